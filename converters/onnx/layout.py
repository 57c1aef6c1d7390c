"""NCHW <-> NHWC wrapping and window geometry shared by the spatial handlers
(conv, pool, norm).

ONNX tensors are NCHW; the IR's conv/pool/LRN/BatchNorm ops are channels-last.
A spatial op is imported as Transpose(NCHW->NHWC) -> op -> Transpose back, so
the graph's inputs and outputs keep ONNX's layout; a later pass cancels the
transpose pairs between consecutive spatial ops. 1-D ops ([N,C,L]) become
2-D with H = 1. auto_pad is resolved here into explicit [top,left,bottom,right].
reshape_parts reshapes to dims taken from other values (symbolic ones while planning).
"""
from __future__ import annotations

import numpy as np

from .context import Context, OnnxNode


def channels_last_perm(rank: int) -> list:
    return [0] + list(range(2, rank)) + [1]


def channels_first_perm(rank: int) -> list:
    return [0, rank - 1] + list(range(1, rank - 1))


def spatial_rank(ctx: Context, x: str, what: str) -> int:
    """Number of spatial dims of an NCHW input; 1 or 2 supported."""
    nd = ctx.rank(x) - 2
    if nd not in (1, 2):
        raise ctx.unsupported(f"{what} with {nd} spatial dims (input shape {list(ctx.shape(x))}) is not "
                              f"supported; supported: 1-D and 2-D")
    return nd


def to_nhwc(ctx: Context, x: str) -> str:
    """[N,C,H,W] -> [N,H,W,C]; [N,C,L] -> [N,1,L,C]."""
    if ctx.rank(x) == 4:
        return ctx.transpose(x, [0, 2, 3, 1], hint="to_nhwc")
    if ctx.rank(x) != 3:  # e.g. a DeformConv offset map of another rank than its input
        raise ctx.error(f"input {x!r} has shape {list(ctx.shape(x))}; expected [N, C, L] or [N, C, H, W]")
    n, c, length = ctx.shape(x)
    t = ctx.transpose(x, [0, 2, 1], hint="to_nwc")
    return ctx.reshape(t, [n, 1, length, c], hint="to_nhwc")


def from_nhwc(ctx: Context, y: str, out: str, rank: int) -> str:
    """Inverse of to_nhwc, writing the ONNX output name ``out``."""
    if rank == 4:
        return ctx.transpose(y, [0, 3, 1, 2], out, hint="to_nchw")
    n, _, length, c = ctx.shape(y)
    t = ctx.reshape(y, [n, length, c], hint="to_nwc")
    return ctx.transpose(t, [0, 2, 1], out, hint="to_ncw")


def as_2d(values, nd: int, fill) -> list:
    """A per-spatial-axis list for 1-D (prefixed with the H=1 entry) or 2-D."""
    values = [int(v) for v in values]
    return [fill] + values if nd == 1 else values


def window_geometry(ctx: Context, node: OnnxNode, x: str, kernel: list, nd: int, transpose_conv: bool = False):
    """(strides, dilations, pads[t,l,b,r]) for the 2-D IR op, auto_pad resolved."""
    strides = list(node.attrs.get("strides", [1] * nd))
    dilations = list(node.attrs.get("dilations", [1] * nd))
    if len(kernel) != nd or len(strides) != nd or len(dilations) != nd:
        raise ctx.error(f"kernel {kernel}, strides {strides} and dilations {dilations} need {nd} values each")
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if auto_pad in ("NOTSET", ""):
        pads = list(node.attrs.get("pads", [0] * (2 * nd)))
        if len(pads) != 2 * nd:
            raise ctx.error(f"pads {pads} need {2 * nd} values")
    elif auto_pad == "VALID":
        pads = [0] * (2 * nd)
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER") and not transpose_conv and \
            any(isinstance(d, str) for d in ctx.shape(x)[2:]):
        pads = [0] * (2 * nd)  # symbolic: the IR op pads each concrete size itself (auto_pad_code)
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        spatial = ctx.shape(x)[2:]
        begin, end = [], []
        for d, k, s, dl in zip(spatial, kernel, strides, dilations):
            if isinstance(d, str):
                raise ctx.error(f"auto_pad={auto_pad} needs static spatial dims, got {list(ctx.shape(x))}; "
                                f"fix them with input_shapes")
            if transpose_conv:
                # output is in*stride; the padding trims the full transposed output to it
                total = max(0, (d - 1) * s + (k - 1) * dl + 1 - d * s)
            else:
                total = max(0, (-(-d // s) - 1) * s + (k - 1) * dl + 1 - d)
            small, big = total // 2, total - total // 2
            b0, e0 = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
            begin.append(b0)
            end.append(e0)
        pads = begin + end
    else:
        raise ctx.unsupported(f"auto_pad={auto_pad!r} is not supported; supported: NOTSET, VALID, SAME_UPPER, "
                              f"SAME_LOWER")
    pads = [int(p) for p in pads]
    if nd == 1:
        pads = [0, pads[0], 0, pads[1]]
    return as_2d(strides, nd, 1), as_2d(dilations, nd, 1), pads


def auto_pad_code(ctx: Context, node: OnnxNode, x: str) -> dict:
    """{"auto_pad": 1 SAME_UPPER / 2 SAME_LOWER} when SAME padding meets symbolic spatial dims (the
    IR op then pads each concrete size itself; window_geometry returned zero pads), else {}."""
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER") or not any(isinstance(d, str) for d in ctx.shape(x)[2:]):
        return {}
    return {"auto_pad": 1 if auto_pad == "SAME_UPPER" else 2}


def reshape_parts(ctx: Context, x: str, parts: list, hint: str) -> str:
    """Reshape x to ``parts``: ints, or (value, start, end) for the dims value's shape has there
    (their product when several: one -1); a target with symbolic dims is computed while planning."""
    dims = []
    for p in parts:
        if isinstance(p, int):
            dims.append(p)
            continue
        d = ctx.shape(p[0])[p[1]:p[2]]
        dims.append(d[0] if len(d) == 1 else (int(np.prod(d)) if all(isinstance(v, int) for v in d) else None))
    if all(isinstance(d, int) for d in dims):
        return ctx.reshape(x, dims, hint=hint)
    pieces = [ctx.add_const(np.array([-1 if d is None else p], np.int64), "dims") if isinstance(p, int) or d is None
              else ctx.emit1("Shape", [p[0]], attrs={"start": p[1], "end": p[2]}, hint="dims")
              for p, d in zip(parts, dims)]
    shape = ctx.emit1("Concat", pieces, attrs={"axis": 0}, hint="shape")
    return ctx.emit1("Reshape", [x, shape], attrs={"shape": [], "allowzero": 0}, hint=hint)
