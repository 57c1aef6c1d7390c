"""TFLite space rearrangements -> IR Reshape / Transpose (/ Pad, Slice), which
the optimized transpose kernels run: DEPTH_TO_SPACE / SPACE_TO_DEPTH (DCR:
reshape, transpose, reshape), SPACE_TO_BATCH_ND (pad, split each spatial dim
into [dim / block, block], move the block offsets in front of the batch) and
BATCH_TO_SPACE_ND (the inverse, then crop). Block shapes, paddings and crops
must be constants and shapes static; the channel dims after the spatial ones
travel as one merged dim, so the transposes stay at rank 2 * M + 2.
"""
from __future__ import annotations

import numpy as np
import tflite

from pocketml.ops.tensor import fill_attrs

from .context import Context, handler
from .option_domains import positive


def _block_size(ctx: Context, options_cls, fits) -> tuple:
    """(input, its static NHWC dims, block_size) of DEPTH_TO_SPACE / SPACE_TO_DEPTH; ``fits(dims, bs)``
    says whether the block size divides the dims it must."""
    bs = int(ctx.options(options_cls).BlockSize())
    positive(ctx, block_size=bs)
    x = ctx.input(0)
    xs = ctx.shape(x)
    if len(xs) != 4 or bs < 1 or not all(isinstance(d, int) for d in xs) or not fits(xs, bs):
        raise ctx.error(f"block_size {bs} does not fit input shape {list(xs)}")
    return x, xs, bs


@handler("DEPTH_TO_SPACE")
def depth_to_space(ctx: Context, op) -> None:
    x, (n, h, w, c), bs = _block_size(ctx, tflite.DepthToSpaceOptions, lambda s, b: s[3] % (b * b) == 0)
    y = ctx.reshape(x, [n * h, w, bs, bs * (c // (bs * bs))], hint="split")  # [nh, w, bi, bj*c']
    y = ctx.transpose(y, [0, 2, 1, 3], hint="interleave")  # [nh, bi, w, bj*c']
    ctx.reshape(y, [n, h * bs, w * bs, c // (bs * bs)], out=ctx.out(0))


@handler("SPACE_TO_DEPTH")
def space_to_depth(ctx: Context, op) -> None:
    x, (n, h, w, c), bs = _block_size(ctx, tflite.SpaceToDepthOptions, lambda s, b: s[1] % b == 0 and s[2] % b == 0)
    y = ctx.reshape(x, [n * h // bs, bs, w // bs, bs * c], hint="split")
    y = ctx.transpose(y, [0, 2, 1, 3], hint="gather")
    ctx.reshape(y, [n, h // bs, w // bs, bs * bs * c], out=ctx.out(0))


def _blocks(ctx: Context, x: str, what: str) -> tuple:
    """(static input shape, block shape, [M, 2] paddings or crops) of a *_ND op."""
    xs = ctx.shape(x)
    if not all(isinstance(d, int) for d in xs):
        raise ctx.unsupported(f"{ctx.op.name} needs a static input shape, got {list(xs)}")
    block = [int(b) for b in np.asarray(ctx.param(1, "block_shape")).reshape(-1)]
    pads = np.asarray(ctx.param(2, what), np.int64)
    m = len(block)
    if not 1 <= m <= len(xs) - 1 or pads.shape != (m, 2) or min(block) < 1 or pads.min() < 0:
        raise ctx.error(f"block_shape {block} and {what} {pads.tolist()} do not fit input shape {list(xs)}")
    return xs, block, pads


@handler("SPACE_TO_BATCH_ND")
def space_to_batch_nd(ctx: Context, op) -> None:
    x = ctx.input(0)
    xs, block, pads = _blocks(ctx, x, "paddings")
    m, n = len(block), xs[0]
    rest = int(np.prod(xs[m + 1:], dtype=np.int64))
    padded = [d + int(p.sum()) for d, p in zip(xs[1:m + 1], pads)]
    if any(d % b for d, b in zip(padded, block)):
        raise ctx.error(f"padded spatial dims {padded} are not multiples of block_shape {block}")
    if pads.any():  # padded with the real 0: a quantized tensor's zero point
        q = ctx.graph.values[x].quant
        zero = int(q.zero_point[0]) if q is not None else 0
        full = [[0, 0]] + pads.tolist() + [[0, 0]] * (len(xs) - m - 1)
        x = ctx.emit("Pad", [x], None, {"pads": [p[0] for p in full] + [p[1] for p in full], "mode": 0,
                                        **fill_attrs(zero, ctx.np_type(op.inputs[0]))}, hint="pad")
    split = [n] + [v for d, b in zip(padded, block) for v in (d // b, b)] + [rest]  # [n, d1/b1, b1, ..., rest]
    y = ctx.reshape(x, split, hint="split")
    offsets = [2 + 2 * i for i in range(m)]
    y = ctx.transpose(y, offsets + [0] + [1 + 2 * i for i in range(m)] + [2 * m + 1], hint="blocks_first")
    out = [n * int(np.prod(block))] + [d // b for d, b in zip(padded, block)] + list(xs[m + 1:])
    ctx.reshape(y, out, out=ctx.out(0))


@handler("BATCH_TO_SPACE_ND")
def batch_to_space_nd(ctx: Context, op) -> None:
    x = ctx.input(0)
    xs, block, crops = _blocks(ctx, x, "crops")
    m, total = len(block), int(np.prod(block))
    if xs[0] % total:
        raise ctx.error(f"batch {xs[0]} is not a multiple of the block_shape product {total}")
    n, spatial, rest = xs[0] // total, list(xs[1:m + 1]), int(np.prod(xs[m + 1:], dtype=np.int64))
    full = [d * b for d, b in zip(spatial, block)]
    if any(int(c.sum()) > d for c, d in zip(crops, full)):
        raise ctx.error(f"crops {crops.tolist()} exceed the spatial dims {full}")
    y = ctx.reshape(x, block + [n] + spatial + [rest], hint="split")  # [b1, ..., bM, n, d1, ..., dM, rest]
    perm = [m] + [v for i in range(m) for v in (m + 1 + i, i)] + [2 * m + 1]  # [n, d1, b1, ..., dM, bM, rest]
    y = ctx.reshape(ctx.transpose(y, perm, hint="interleave"), [n] + full + list(xs[m + 1:]), hint="merge")
    axes = [i + 1 for i in range(m) if crops[i].any()]
    if not axes:
        ctx.emit("Identity", [y], ctx.out(0))
        return
    ctx.emit("Slice", [y], ctx.out(0), {"starts": [int(crops[a - 1, 0]) for a in axes],
                                        "ends": [full[a - 1] - int(crops[a - 1, 1]) for a in axes],
                                        "axes": axes, "steps": [1] * len(axes)})
