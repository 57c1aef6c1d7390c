"""Pooling, NHWC inside the engine: x [N,H,W,C] -> [N,OH,OW,C].

kernel/strides/dilations are [kh,kw]; pads are [top,left,bottom,right];
ceil_mode rounds the output size up (a window must start inside the input or
its left padding, as in ONNX). AveragePool divides by the window size including
padding when count_include_pad=1, else by the number of real elements.
LpPool is (sum of |x|^p over the window's real elements)^(1/p) (padding adds
zeros, so it adds nothing; p > 0, a float so ONNX opset 1's float p fits too).
Global pools reduce H and W to 1. MaxPool's optional second output is ONNX's Indices: for
each maximum (the first in the window, or its first NaN, which is also the value) its flat
index into x seen as NCHW, ((n*C + c)*H + h)*W + w, or ((n*C + c)*W + w)*H + h with
storage_order 1; padding is never an index.

With ceil_mode a last window may run past the bottom/right padding; that part
is never counted (as onnxruntime does), so the divisor with count_include_pad=1
is the window clipped to the explicitly padded input.
"""
from __future__ import annotations

import numpy as np

from . import limits
from .registry import QUANT_CHECKS, REQUANT_ATTRS, Attr, define
from ._common import (attrs_of, check_rank, fail, fresh_dim, input_ints, known, param_len, same_out, shape_str,
                      window_out, window_view, with_auto_pads)

_MAX_TYPES = ("float32", "float16", "int8", "uint8")
_AVG_TYPES = ("float32", "float16")
_WINDOW = {
    "kernel": Attr("ints"),
    "strides": Attr("ints", [1, 1]),
    "pads": Attr("ints", [0, 0, 0, 0]),
    "dilations": Attr("ints", [1, 1]),
    "ceil_mode": Attr("int", 0),
    "auto_pad": Attr("int", 0),  # 1 SAME_UPPER / 2 SAME_LOWER: pads computed for each input size
}


def _max_pool_infer(node, ins):
    if attrs_of(node)["storage_order"] not in (0, 1):
        raise fail(node, f"storage_order {attrs_of(node)['storage_order']} unknown (0 row major, 1 column major)")
    (t, shape), = _pool_infer(node, ins)
    return [(t, shape), ("int64", shape)][:max(1, len(node.outputs))]  # Indices only when asked for


def _pool_infer(node, ins):
    at = attrs_of(node)
    t, s = known(node, ins[0], "x")
    check_rank(node, s, 4, "x")
    k, st, p, d = list(at["kernel"]), list(at["strides"]), list(at["pads"]), list(at["dilations"])
    if len(k) != 2 or len(st) != 2 or len(d) != 2 or len(p) != 4 or min(k + st + d) < 1 or min(p) < 0:
        raise fail(node, f"need kernel/strides/dilations of 2 positive values and pads of 4 non-negative: "
                         f"kernel={k} strides={st} dilations={d} pads={p}")
    if p[0] >= d[0] * (k[0] - 1) + 1 or p[1] >= d[1] * (k[1] - 1) + 1 or \
            p[2] >= d[0] * (k[0] - 1) + 1 or p[3] >= d[1] * (k[1] - 1) + 1:
        raise fail(node, f"pads {p} must be smaller than the window {k} (dilations {d})")
    if at["auto_pad"]:
        if at["auto_pad"] not in (1, 2):
            raise fail(node, f"auto_pad {at['auto_pad']} unknown (1 SAME_UPPER, 2 SAME_LOWER)")
        return [(t, (s[0], same_out(node, s[1], st[0]), same_out(node, s[2], st[1]), s[3]))]
    oh = window_out(node, s[1], k[0], st[0], d[0], p[0], p[2], bool(at["ceil_mode"]), "height")
    ow = window_out(node, s[2], k[1], st[1], d[1], p[1], p[3], bool(at["ceil_mode"]), "width")
    return [(t, (s[0], oh, ow, s[3]))]


def _windows(x, attrs, fill):
    """Pad x (explicit pads + whatever ceil_mode's last window needs) with
    ``fill`` and return the [N,OH,OW,KH,KW,C] window view and the padded array."""
    (kh, kw), (sh, sw), (dh, dw) = attrs["kernel"], attrs["strides"], attrs["dilations"]
    pt, pl, pb, pr = with_auto_pads(attrs, x.shape[1:3], attrs["kernel"])["pads"]
    _, h, w, _ = x.shape
    outs = []
    for size, k, s, d, p0, p1 in ((h, kh, sh, dh, pt, pb), (w, kw, sw, dw, pl, pr)):
        span = size + p0 + p1 - d * (k - 1) - 1
        o = -(-span // s) + 1 if attrs["ceil_mode"] else span // s + 1
        if attrs["ceil_mode"] and (o - 1) * s >= size + p0:
            o -= 1
        outs.append(o)
    extra_h = max(0, (outs[0] - 1) * sh + dh * (kh - 1) + 1 - (h + pt + pb))
    extra_w = max(0, (outs[1] - 1) * sw + dw * (kw - 1) + 1 - (w + pl + pr))
    padded = (x.shape[0], h + pt + pb + extra_h, w + pl + pr + extra_w, x.shape[3])
    limits.check_scratch(padded, x.dtype.itemsize, [x])  # a huge kernel's SAME pads: refused before np.pad
    xp = np.pad(x, ((0, 0), (pt, pb + extra_h), (pl, pr + extra_w), (0, 0)), constant_values=fill)
    return window_view(xp, (kh, kw), (sh, sw), (dh, dw), outs), (extra_h, extra_w)


def _max_pool_reference(inputs, attrs):
    x = inputs[0]
    win, _ = _windows(x, attrs, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
    y = win.max(axis=(3, 4))
    # Indices: where the maximum (or first NaN) is, as ONNX's flat index into x seen as NCHW
    n, h, w, c = x.shape
    hw = np.arange(h)[:, None] * w + np.arange(w) if not attrs["storage_order"] else np.arange(w) * h + np.arange(h)[:, None]
    flat = (np.arange(n)[:, None, None, None] * c + np.arange(c)) * h * w + hw[None, :, :, None]
    pos, _ = _windows(flat.astype(np.float64), attrs, -1.0)
    m = y[:, :, :, None, None]
    hit = (win == m) | (np.isnan(win) & np.isnan(m)) if x.dtype.kind == "f" else win == m
    hit &= pos >= 0  # padding is never an index
    first = hit.reshape(*hit.shape[:3], -1, c).argmax(axis=3)
    idx = np.take_along_axis(pos.reshape(*pos.shape[:3], -1, c), first[:, :, :, None], axis=3)[:, :, :, 0]
    return [y, idx.astype(np.int64)]


def _average_pool_reference(inputs, attrs):
    x = inputs[0]
    win, (eh, ew) = _windows(x, attrs, 0.0)
    # the divisor is the same pooling applied to a mask of the counted cells
    if attrs["count_include_pad"]:
        pt, pl, pb, pr = with_auto_pads(attrs, x.shape[1:3], attrs["kernel"])["pads"]
        mask = np.ones((1, x.shape[1] + pt + pb, x.shape[2] + pl + pr, 1), np.float32)
        mask = np.pad(mask, ((0, 0), (0, eh), (0, ew), (0, 0)))
        mwin = window_view(mask, attrs["kernel"], attrs["strides"], attrs["dilations"], win.shape[1:3])
    else:
        mwin, _ = _windows(np.ones((1,) + x.shape[1:3] + (1,), np.float32), attrs, 0.0)
    return [(win.sum(axis=(3, 4), dtype=np.float64) / mwin.sum(axis=(3, 4))).astype(x.dtype)]


def _check_p(node):
    p = attrs_of(node)["p"]
    if not (0 < p < float("inf")):
        raise fail(node, f"attribute p={p} must be a positive finite number")


def _lp_pool_infer(node, ins):
    _check_p(node)
    return _pool_infer(node, ins)


def _lp(win, p, axes):
    """(sum |x|^p)^(1/p) over axes, in float64 (p = 1 and 2 exactly as L1 / L2 norms)."""
    limits.check_scratch(win.shape, 8, [])  # every window's elements are copied to float64
    a = np.abs(win.astype(np.float64))
    s = a.sum(axis=axes) if p == 1 else (a * a).sum(axis=axes) if p == 2 else (a ** p).sum(axis=axes)
    return s if p == 1 else np.sqrt(s) if p == 2 else s ** (1.0 / p)


def _lp_pool_reference(inputs, attrs):
    x = inputs[0]
    win, _ = _windows(x, attrs, 0.0)
    return [_lp(win, attrs["p"], (3, 4)).astype(x.dtype)]


def _global_infer(node, ins):
    t, s = known(node, ins[0], "x")
    check_rank(node, s, 4, "x")
    return [(t, (s[0], 1, 1, s[3]))]


def _global_lp_infer(node, ins):
    _check_p(node)
    return _global_infer(node, ins)


# ONNX's types among pocketml's: MaxPool float16/float/int8/uint8, the averages, GlobalMaxPool and the Lp pools
# the floats
define("MaxPool", 70, "pool", ("x: T",), ("y: T", "indices?: I64"), {**_WINDOW, "storage_order": Attr("int", 0)},
       types={"T": _MAX_TYPES, "I64": ("int64",)}, traits=("quantizable", "quant_transparent"),
       infer=_max_pool_infer, reference=_max_pool_reference)
def _avg_quant_check(node, ins, outs):
    """What native/src/ops/pool.c runs on quantized tensors: int8/uint8 with per-tensor parameters,
    equal on x and y for TFLite's arithmetic (requant 0)."""
    (xt, xq), (_, yq) = ins[0], outs[0]
    if xt not in ("int8", "uint8") or xq is None or yq is None:
        return "AveragePool runs on quantized int8/uint8 input and output"
    if not (xq.per_tensor and yq.per_tensor):
        return "AveragePool needs per-tensor parameters"
    if int(node.attrs.get("requant", 0)) == 0 and xq != yq:
        return "TFLite AveragePool needs the output's parameters equal to the input's"
    return None


QUANT_CHECKS["AveragePool"] = _avg_quant_check
define("AveragePool", 71, "pool", ("x: T",), ("y: T",),
       {**_WINDOW, "count_include_pad": Attr("int", 0), **REQUANT_ATTRS},
       types={"T": _AVG_TYPES + ("int8", "uint8")}, traits=("quantizable", "quant_aware"),
       infer=_pool_infer, reference=_average_pool_reference)
define("GlobalAveragePool", 72, "pool", ("x: T",), ("y: T",), types={"T": _AVG_TYPES}, traits=("quantizable",),
       infer=_global_infer,
       reference=lambda ins, attrs: [ins[0].mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(ins[0].dtype)])
define("GlobalMaxPool", 73, "pool", ("x: T",), ("y: T",), types={"T": _AVG_TYPES}, infer=_global_infer,
       reference=lambda ins, attrs: [ins[0].max(axis=(1, 2), keepdims=True)])
define("LpPool", 236, "pool", ("x: T",), ("y: T",), {**_WINDOW, "p": Attr("float", 2.0)}, types={"T": _AVG_TYPES},
       infer=_lp_pool_infer, reference=_lp_pool_reference)
define("GlobalLpPool", 237, "pool", ("x: T",), ("y: T",), {"p": Attr("float", 2.0)}, types={"T": _AVG_TYPES},
       infer=_global_lp_infer,
       reference=lambda ins, attrs: [_lp(ins[0], attrs["p"], (1, 2))[:, None, None, :].astype(ins[0].dtype)])


# ---- MaxUnpool --------------------------------------------------------------------------------------------
# Layout-free (NCHW as ONNX): x and indices [N, C, d1..dk] (k = 1..3) share a shape; y = zeros(output shape)
# and y.flat[indices.flat[k]] = x.flat[k] for every k in order (a repeated index keeps the last). The output
# shape is output_shape when given (an input read while planning, or the attribute a constant one becomes;
# x's N and C, each spatial size at least the unpooled one), else the unpooled shape [N, C, (d - 1) * stride
# + kernel - pad_begin - pad_end per axis]. As onnxruntime (and PyTorch), the indices number the output
# shape, so the Indices of a MaxPool over an odd-sized input unpool back into that input's shape; onnx's
# evaluator and its node case number the unpooled shape instead (onnx issue 2398).
def _unpool_geometry(node, at, k):
    kernel, strides, pads = list(at["kernel"]), list(at["strides"]) or [1] * k, list(at["pads"]) or [0] * (2 * k)
    if len(kernel) != k or len(strides) != k or len(pads) != 2 * k or min(kernel + strides) < 1 or min(pads) < 0:
        raise fail(node, f"need kernel and strides of {k} positive values and pads of {2 * k} non-negative: "
                         f"kernel={kernel} strides={strides} pads={pads}")
    return kernel, strides, pads


def _max_unpool_infer(node, ins):
    (t, sx), (_, si) = known(node, ins[0], "x"), known(node, ins[1], "indices")
    k = len(sx) - 2
    if not 1 <= k <= 3 or len(si) != len(sx) or any(isinstance(a, int) and isinstance(b, int) and a != b
                                                       for a, b in zip(sx, si)):
        raise fail(node, f"x {shape_str(sx)} must be [N, C, 1 to 3 spatial dims] with indices {shape_str(si)} "
                         f"of the same shape")
    at = attrs_of(node)
    kernel, strides, pads = _unpool_geometry(node, at, k)
    given = len(ins) > 2 and ins[2] is not None
    if given and not ins[2].is_const:
        if param_len(node, ins, 2, "output_shape") != len(sx):
            raise fail(node, f"output_shape must hold {len(sx)} values for x {shape_str(sx)}")
        return [(t, (sx[0], sx[1], *[fresh_dim(node, a) for a in range(k)]))]
    spatial = [(d - 1) * s + kk - p0 - p1 if isinstance(d, int) else fresh_dim(node, a)
               for a, (d, s, kk, p0, p1) in enumerate(zip(sx[2:], strides, kernel, pads[:k], pads[k:]))]
    if any(isinstance(d, int) and d < 0 for d in spatial):
        raise fail(node, f"the pads {pads} leave a negative output size for x {shape_str(sx)}")
    if given or at["output_shape"]:
        out = [int(v) for v in (np.asarray(ins[2].const).reshape(-1) if given else at["output_shape"])]
        if len(out) != len(sx) or any(isinstance(d, int) and d > o for d, o in zip([*sx[:2], *spatial], out)) or \
                any(isinstance(d, int) and d != o for d, o in zip(sx[:2], out)):
            raise fail(node, f"output_shape {out} must be [N, C, ...] of x {shape_str(sx)}, at least the unpooled "
                             f"{shape_str([*sx[:2], *spatial])}")
        return [(t, tuple(out))]
    return [(t, (sx[0], sx[1], *spatial))]


def _max_unpool_reference(inputs, attrs):
    x, idx = inputs[0], inputs[1]
    k = x.ndim - 2
    kernel, strides, pads = _unpool_geometry(None, attrs, k)
    unpooled = [x.shape[0], x.shape[1]] + [(d - 1) * s + kk - p0 - p1 for d, s, kk, p0, p1 in
                                           zip(x.shape[2:], strides, kernel, pads[:k], pads[k:])]
    shape = input_ints(inputs, 2, attrs, "output_shape") or unpooled
    y = np.zeros(int(np.prod(shape)), x.dtype)
    flat = idx.reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() >= y.size):
        raise IndexError(f"MaxUnpool index outside [0, {y.size})")
    y[flat] = x.reshape(-1)
    return [y.reshape(shape)]


define("MaxUnpool", 331, "pool", ("x: T", "indices: I64", "output_shape?: I64"), ("y: T",),
       {"kernel": Attr("ints"), "strides": Attr("ints", []), "pads": Attr("ints", []), "output_shape": Attr("ints", [])},
       types={"T": _AVG_TYPES, "I64": ("int64",)}, plan_inputs=("output_shape",),
       infer=_max_unpool_infer, reference=_max_unpool_reference)
