"""Convolutions, NHWC inside the engine.

Conv:          x [N,H,W,Cin], w [Cout,KH,KW,Cin/group] (OHWI), b [Cout]?, sum [N,OH,OW,Cout]?,
               slope [Cout]? -> [N,OH,OW,Cout]
ConvTranspose: x [N,H,W,Cin], w [Cin,KH,KW,Cout/group],        b [Cout]? -> [N,OH,OW,Cout]
strides/dilations are [sh,sw]; pads are [top,left,bottom,right] (explicit:
converters resolve auto_pad). ConvTranspose output size is
  (H-1)*sh - pad_top - pad_bottom + dilation*(KH-1) + 1 + output_padding_h.
Both carry fused activations. Conv also takes a residual ``sum`` added before
the activation (passes/fuse_conv_residual.py folds Conv -> Add into it) and
act=ACT_PRELU with a per-channel ``slope`` (Conv -> PRelu):
  y = act(conv(x, w) + b + sum).
1-D convolutions are expressed by converters
as 2-D with H = 1.

CausalConvWithState (ONNX opset 27) keeps ONNX's channels-first layout (channels are
independent, and each channel's time axis is contiguous, which is what it streams):
  x [B,C,L], w [C,1,K] (depthwise), b [C]?, past_state [B,C,K-1]? (zeros when absent);
  p = concat(past_state, x) along time, y[t] = b + sum_i w[i] p[t+i], then y * sigmoid(y)
  when silu = 1; present_state = the last K-1 steps of p. float16 computes in float32 and
  rounds the convolution once, then the SiLU from that rounded value (as onnx's reference).

The references are vectorised (a strided window view contracted with the
weights by BLAS, i.e. im2col + matmul) because the import tests run whole
networks such as ResNet-50 through them. They accumulate in float64 and round
once, so equal inputs give bit-equal outputs whatever the BLAS blocking (an
oracle should not add its own rounding noise).
"""
from __future__ import annotations

import numpy as np

from ..dtypes import FLOATS
from . import _quant_types as _qt, limits
from .registry import ACT_PRELU, FUSED_ACT_ATTRS, Attr, define
from ._common import (
    _sigmoid,
    dims_equal,
    shape_str,
    apply_activation,
    attrs_of,
    check_act,
    check_rank,
    fail,
    is_sym,
    known,
    same_out,
    static_dim,
    window_out,
    window_view,
    with_auto_pads,
)

_COMMON = {
    "strides": Attr("ints", [1, 1]),
    "pads": Attr("ints", [0, 0, 0, 0]),
    "dilations": Attr("ints", [1, 1]),
    "group": Attr("int", 1),
    **FUSED_ACT_ATTRS,
}
# Conv only: 1 SAME_UPPER / 2 SAME_LOWER pads computed for each input size (symbolic spatial dims)
_AUTO_PAD = {"auto_pad": Attr("int", 0)}


def _geometry(node, attrs, has_output_padding=False):
    """Validate strides/pads/dilations/group/output_padding lengths and values."""
    strides, pads, dil = list(attrs["strides"]), list(attrs["pads"]), list(attrs["dilations"])
    if len(strides) != 2 or len(dil) != 2 or len(pads) != 4:
        raise fail(node, f"strides/dilations need 2 values and pads 4 (NHWC 2-D), got strides={strides} "
                         f"dilations={dil} pads={pads}")
    if min(strides) < 1 or min(dil) < 1 or min(pads) < 0 or attrs["group"] < 1:
        raise fail(node, f"invalid strides={strides} dilations={dil} pads={pads} group={attrs['group']}")
    if has_output_padding:
        op = list(attrs["output_padding"])
        # no "< stride" rule: converters also use it to grow the output to an explicit output_shape
        if len(op) != 2 or min(op) < 0:
            raise fail(node, f"output_padding={op} must be 2 non-negative values")
    return strides, pads, dil


def _check_bias(node, ins, cout):
    if len(ins) > 2 and ins[2] is not None:
        tb, sb = known(node, ins[2], "b")
        if len(sb) != 1 or not (is_sym(cout) or is_sym(sb[0]) or sb[0] == cout):
            raise fail(node, f"bias shape {sb} must be [{cout}]")


def _conv_infer(node, ins):
    attrs = attrs_of(node)
    (tx, sx), (tw, sw) = known(node, ins[0], "x"), known(node, ins[1], "w")
    check_rank(node, sx, 4, "x")
    check_rank(node, sw, 4, "w")
    _qt.check_dtypes(node, tx, tw, known(node, ins[2], "b")[0] if len(ins) > 2 and ins[2] is not None else None)
    if attrs.get("act") != ACT_PRELU:
        check_act(node, attrs)
    strides, pads, dil = _geometry(node, attrs)
    g = attrs["group"]
    cout, kh, kw = (static_dim(node, d, "weight dim") for d in sw[:3])
    cin = static_dim(node, sx[3], "input channels (NHWC last axis)")
    if cin % g or cout % g or sw[3] != cin // g:
        raise fail(node, f"x has {cin} channels, group={g}, weight OHWI {list(sw)}: need Cin%group==0, "
                         f"Cout%group==0 and weight last dim Cin/group={cin // g if cin % g == 0 else '?'}")
    _check_bias(node, ins, cout)
    if attrs.get("auto_pad"):
        if attrs["auto_pad"] not in (1, 2):
            raise fail(node, f"auto_pad {attrs['auto_pad']} unknown (1 SAME_UPPER, 2 SAME_LOWER)")
        oh, ow = same_out(node, sx[1], strides[0]), same_out(node, sx[2], strides[1])
    else:
        oh = window_out(node, sx[1], kh, strides[0], dil[0], pads[0], pads[2], what="height")
        ow = window_out(node, sx[2], kw, strides[1], dil[1], pads[1], pads[3], what="width")
    _check_residual_and_slope(node, ins, attrs, (sx[0], oh, ow, cout))
    return [(tx, (sx[0], oh, ow, cout))]


# _conv_infer's verdicts on what they depend on (op, attributes, each input's dtype and shape) ->
# the output's spatial dims and channels: a CNN's convolutions repeat a few geometries. Only
# passes are kept (a refused node is inferred again, and its error worded, every time); bounded.
_CONV_PASSED: dict = {}
_CONV_PASSED_MAX = 4096


def _conv_infer_remembered(node, ins):
    """_conv_infer, answered from _CONV_PASSED when the same geometry passed before."""
    try:
        key = (node.op, tuple((k, tuple(v) if type(v) is list else v) for k, v in node.attrs.items()),
               tuple(None if v is None else (v.dtype, None if v.shape is None else tuple(v.shape)) for v in ins))
        dims = _CONV_PASSED.get(key)
    except TypeError:  # an unhashable attribute value (nested lists, arrays): no memo
        return _conv_infer(node, ins)
    if dims is None:
        result = _conv_infer(node, ins)
        if len(_CONV_PASSED) >= _CONV_PASSED_MAX:
            _CONV_PASSED.clear()
        _CONV_PASSED[key] = dims = result[0][1][1:]
    x = ins[0]
    return [(x.dtype, (x.shape[0],) + dims)]


def _check_residual_and_slope(node, ins, attrs, out_shape):
    if len(ins) > 3 and ins[3] is not None:
        ts, ss = known(node, ins[3], "sum")
        if tuple(ss) != tuple(out_shape):
            raise fail(node, f"sum shape {tuple(ss)} must equal the output shape {tuple(out_shape)}")
        if ts in _qt.QUANT_INTS:
            _check_quantized_sum(node, ts, attrs)
    has_slope = len(ins) > 4 and ins[4] is not None
    if (attrs.get("act") == ACT_PRELU) != has_slope:
        raise fail(node, f"act=prelu ({ACT_PRELU}) and the slope input go together (act={attrs.get('act')}, "
                         f"slope {'given' if has_slope else 'absent'})")
    if has_slope:
        tk, sk = known(node, ins[4], "slope")
        if tuple(sk) != (out_shape[3],):
            raise fail(node, f"slope shape {tuple(sk)} must be [{out_shape[3]}] (Cout)")


def _check_quantized_sum(node, dtype, attrs):
    """A quantized residual sum needs the conv output's own quantization in the sum_* attributes."""
    scale, zp, mode = attrs.get("sum_scale", 0.0), attrs.get("sum_zero_point", 0), attrs.get("sum_requant", 0)
    lo, hi = (0, 255) if dtype == "uint8" else (-128, 127)
    if not (np.isfinite(scale) and scale > 0) or not lo <= zp <= hi or mode not in (0, 1):
        raise fail(node, f"a quantized residual sum needs sum_scale > 0 (got {scale}), sum_zero_point in "
                         f"[{lo}, {hi}] (got {zp}) and sum_requant 0 or 1 (got {mode})")


def _sum_and_activation(y, inputs, attrs):
    """Conv's epilogue: + sum, then the fused activation (prelu with the slope input)."""
    if len(inputs) > 3 and inputs[3] is not None:
        y = y + inputs[3].astype(np.float64)
    y = y.astype(np.float32)  # float16 too: the epilogue runs in float32, y rounds once
    if attrs.get("act") == ACT_PRELU:
        return np.where(y < 0, y * inputs[4].astype(np.float32), y).astype(inputs[0].dtype)
    return apply_activation(y, attrs).astype(inputs[0].dtype)


def _conv_reference(inputs, attrs):
    x, w = inputs[0], inputs[1]
    _qt.refuse_integers("Conv", x)
    attrs = with_auto_pads(attrs, x.shape[1:3], w.shape[1:3])
    b = inputs[2] if len(inputs) > 2 else None
    (sh, sw), (dh, dw), (pt, pl, pb, pr), g = attrs["strides"], attrs["dilations"], attrs["pads"], attrs["group"]
    cout, kh, kw, cg = w.shape
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    win = window_view(xp.astype(np.float64), (kh, kw), (sh, sw), (dh, dw), (oh, ow))  # [N,OH,OW,KH,KW,Cin]
    w = w.astype(np.float64)
    m = cout // g
    if g == 1:
        y = np.tensordot(win, w, axes=([3, 4, 5], [1, 2, 3]))
    elif cg == 1:
        # depthwise-like: one input channel per group, so multiply-accumulate
        # over the taps instead of running one tiny matmul per group
        wg = w.reshape(g, m, kh, kw)
        y = np.zeros(win.shape[:3] + (g, m))
        for i in range(kh):
            for j in range(kw):
                y += win[:, :, :, i, j, :, None] * wg[:, :, i, j]
        y = y.reshape(win.shape[:3] + (cout,))
    else:
        y = np.concatenate([np.tensordot(win[..., k * cg:(k + 1) * cg], w[k * m:(k + 1) * m],
                                         axes=([3, 4, 5], [1, 2, 3])) for k in range(g)], axis=-1)
    if b is not None:
        y = y + b
    return [_sum_and_activation(y, inputs, attrs)]


def _conv_transpose_infer(node, ins):
    attrs = attrs_of(node)
    (tx, sx), (tw, sw) = known(node, ins[0], "x"), known(node, ins[1], "w")
    check_rank(node, sx, 4, "x")
    check_rank(node, sw, 4, "w")
    check_act(node, attrs)
    strides, pads, dil = _geometry(node, attrs, has_output_padding=True)
    g = attrs["group"]
    wcin, kh, kw, coutg = (static_dim(node, d, "weight dim") for d in sw)
    # symbolic input channels (x reshaped by a shape computed while planning) are the weight's, checked then
    cin = wcin if is_sym(sx[3]) else sx[3]
    if cin % g or wcin != cin:
        raise fail(node, f"x has {cin} channels, group={g}, weight [Cin,KH,KW,Cout/group] {list(sw)}: "
                         "need weight dim 0 == Cin and Cin%group==0")
    cout = coutg * g
    _check_bias(node, ins, cout)
    out = []
    for axis, (size, k) in enumerate(zip(sx[1:3], (kh, kw))):
        extra = dil[axis] * (k - 1) + 1 + attrs["output_padding"][axis] - pads[axis] - pads[axis + 2]
        if is_sym(size):
            out.append(f"({size}-1)*{strides[axis]}+{extra}")
        else:
            o = (size - 1) * strides[axis] + extra
            if o < 1:
                raise fail(node, f"output spatial size {o} < 1 (pads {pads} too large)")
            out.append(o)
    return [(tx, (sx[0], out[0], out[1], cout))]


def _conv_transpose_reference(inputs, attrs):
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    (sh, sw), (dh, dw), (pt, pl, pb, pr), g = attrs["strides"], attrs["dilations"], attrs["pads"], attrs["group"]
    oph, opw = attrs["output_padding"]
    n, h, wd, cin = x.shape
    _, kh, kw, m = w.shape
    cg = cin // g
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    for scratch in ((n, h, wd, kh, kw, g, m), (n, full_h, full_w, g, m)):  # before allocating them (float64)
        limits.check_scratch(scratch, 8, [x, w])
    x, w = x.astype(np.float64), w.astype(np.float64)
    # every input pixel scatters a KHxKW patch: compute all patches with one
    # matmul per group, then overlap-add them onto an uncropped canvas
    cols = np.stack([np.tensordot(x[..., k * cg:(k + 1) * cg], w[k * cg:(k + 1) * cg], axes=([3], [0]))
                     for k in range(g)], axis=-2)  # [N,H,W,KH,KW,G,M]
    canvas = np.zeros((n, full_h, full_w, g, m))
    for i in range(kh):
        for j in range(kw):
            canvas[:, i * dh:i * dh + (h - 1) * sh + 1:sh, j * dw:j * dw + (wd - 1) * sw + 1:sw] += cols[:, :, :, i, j]
    y = canvas[:, pt:full_h - pb, pl:full_w - pr].reshape(n, full_h - pt - pb, full_w - pl - pr, g * m)
    if b is not None:
        y = y + b
    return [apply_activation(y.astype(np.float32), attrs).astype(inputs[0].dtype)]


# requant: on quantized tensors, 0 TFLite fixed-point requantization, 1 ONNX float (round half even)
# sum_scale, sum_zero_point, sum_requant: on quantized tensors with a residual sum (an Add folded in by
# passes/fuse_conv_residual_q8.py), the conv's own output quantization before the Add and the Add's
# requant; act is then the Add's activation
define("Conv", 50, "conv", ("x: T", "w: TW", "b?: TB", "sum?: T", "slope?: T"), ("y: T",),
       {**_COMMON, **_AUTO_PAD, "requant": Attr("int", 0), "sum_scale": Attr("float", 0.0),
        "sum_zero_point": Attr("int", 0), "sum_requant": Attr("int", 0)},
       types={"T": _qt.DATA, "TW": _qt.DATA, "TB": _qt.BIAS}, traits=("fusable_producer", "quantizable", "quant_aware"),
       infer=_conv_infer_remembered, reference=_conv_reference)
define("ConvTranspose", 51, "conv", ("x: T", "w: T", "b?: T"), ("y: T",),
       {**_COMMON, "output_padding": Attr("ints", [0, 0])}, types={"T": FLOATS}, traits=("fusable_producer",),
       infer=_conv_transpose_infer, reference=_conv_transpose_reference)


def _causal_conv_infer(node, ins):
    (tx, sx), (_, sw) = known(node, ins[0], "x"), known(node, ins[1], "w")
    check_rank(node, sx, 3, "x")
    check_rank(node, sw, 3, "w")
    b, c, _ = sx
    if not dims_equal(sw[0], c) or sw[1] != 1 or is_sym(sw[2]) or int(sw[2]) < 1:
        raise fail(node, f"w {shape_str(sw)} must be [C,1,K] with K >= 1 for x {shape_str(sx)}")
    state = (b, c, int(sw[2]) - 1)
    if len(ins) > 2 and ins[2] is not None:
        _, sb = known(node, ins[2], "b")
        if len(sb) != 1 or not dims_equal(sb[0], c):
            raise fail(node, f"b {shape_str(sb)} must be [C] = [{c}]")
    if len(ins) > 3 and ins[3] is not None:
        _, sp = known(node, ins[3], "past_state")
        if len(sp) != 3 or not all(dims_equal(p, e) for p, e in zip(sp, state)):
            raise fail(node, f"past_state {shape_str(sp)} must be [B,C,K-1] = {shape_str(state)}")
    if attrs_of(node)["silu"] not in (0, 1):
        raise fail(node, f"silu {attrs_of(node)['silu']} must be 0 or 1")
    return [(tx, sx), (tx, state)]


def _causal_conv_reference(inputs, attrs):
    x, w = inputs[:2]
    bias, past = (inputs[i] if len(inputs) > i else None for i in (2, 3))
    k, length = w.shape[2], x.shape[2]
    if past is None:
        past = np.zeros(x.shape[:2] + (k - 1,), x.dtype)
    p = np.concatenate([past, x], axis=2)
    y = sum(w[None, :, 0, i, None].astype(np.float64) * p[:, :, i:i + length] for i in range(k))
    if bias is not None:
        y = y + bias[None, :, None]
    y = y.astype(x.dtype)
    if attrs["silu"]:
        y32 = y.astype(np.float32)
        y = (y32 * _sigmoid(y32)).astype(x.dtype)
    return [y, np.ascontiguousarray(p[:, :, length:])]


define("CausalConvWithState", 321, "conv", ("x: T", "w: T", "b?: T", "past_state?: T"), ("y: T", "present_state: T"),
       {"silu": Attr("int", 0)}, types={"T": FLOATS}, infer=_causal_conv_infer, reference=_causal_conv_reference)
