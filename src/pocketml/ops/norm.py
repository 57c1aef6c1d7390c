"""Normalisation and softmax.

ScaleShift:         y = act(x * scale[c] + shift[c]), c = last axis (NHWC channels).
                    Inference BatchNormalization folds to this when its statistics are constant.
BatchNormalization: inference form, c = last axis; inputs x, scale, bias, mean, var.
LRN:                across channels, c = last axis (NHWC); ONNX formula
                    y = x / (bias + alpha/size * sum(x^2 over window))^beta,
                    window = channels [c - floor((size-1)/2), c + ceil((size-1)/2)].
Softmax/LogSoftmax: over one axis.
Hardmax:            1 at the first maximum along one axis, 0 elsewhere (float32, float16).
LayerNormalization: normalise over the trailing dims x.shape[axis:] (ONNX), y = (x - mean) * inv_std * scale
                    + bias with scale/bias broadcast to those dims; optional outputs mean and inv_std_dev
                    (shape x.shape[:axis] + [1] * (rank - axis)). Statistics are float32 (stash_type 1).
RMSNormalization:   y = x / sqrt(mean(x^2 over x.shape[axis:]) + epsilon) * scale (ONNX opset 23).
GroupNormalization: x [N, spatial..., C] (NHWC) with C split into num_groups contiguous groups; each
                    (instance, group) is normalised over its spatial x C/num_groups values, then
                    y = normalised * scale[c] + bias[c] (per channel, as ONNX opset 21). Statistics are
                    float32 or better; float16 computes in float32 and rounds once. ONNX
                    InstanceNormalization is num_groups = C.
LpNormalization:    y = x / ||x||_p along one axis (p 1 or 2); a zero norm gives 0 (ONNX).
"""
from __future__ import annotations

import numpy as np

from ..dtypes import FLOATS
from .registry import FUSED_ACT_ATTRS, QUANT_CHECKS, REQUANT_ATTRS, Attr, define
from ._common import (
    FLOAT,
    apply_activation,
    attrs_of,
    check_act,
    dims_equal,
    fail,
    is_sym,
    known,
    normalize_axis,
    shape_str,
)


def _per_channel_infer(roles):
    """x of rank >= 1 plus 1-D per-channel vectors matching x's last axis."""
    def infer(node, ins):
        t, s = known(node, ins[0], "x")
        check_act(node, node.attrs)
        if not s:
            raise fail(node, "x must have rank >= 1 (channels on the last axis)")
        for role, v in zip(roles, ins[1:]):
            tv, sv = known(node, v, role)
            if len(sv) != 1 or not (is_sym(s[-1]) or dims_equal(sv[0], s[-1])):
                raise fail(node, f"{role} shape {list(sv)} must be [C] with C = x's last dim {s[-1]}")
        return [(t, s)]
    return infer


def _batch_norm_reference(inputs, attrs):
    x, scale, bias, mean, var = inputs
    y = (x - mean) / np.sqrt(var + np.float32(attrs["epsilon"])) * scale + bias
    return [y.astype(x.dtype)]


def _lrn_infer(node, ins):
    t, s = known(node, ins[0], "x")
    if len(s) < 2 or attrs_of(node)["size"] < 1:
        raise fail(node, f"needs rank >= 2 (got {len(s)}) and size >= 1 (got {attrs_of(node)['size']})")
    return [(t, s)]


def _lrn_reference(inputs, attrs):
    x, size = inputs[0], attrs["size"]
    before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = np.pad(np.square(x), [(0, 0)] * (x.ndim - 1) + [(before, after)])
    c = x.shape[-1]
    window_sum = sum(sq[..., i:i + c] for i in range(size))
    return [(x / (attrs["bias"] + attrs["alpha"] / size * window_sum) ** attrs["beta"]).astype(x.dtype)]


def _softmax_infer(node, ins):
    t, s = known(node, ins[0], "x")
    normalize_axis(node, attrs_of(node)["axis"], len(s))
    if node.op == "Softmax" and attrs_of(node)["beta"] != 1.0 and t not in QUANTIZED_SOFTMAX:
        raise fail(node, f"beta {attrs_of(node)['beta']} on a {t} input: beta scales quantized inputs only "
                         "(a float graph multiplies its input first)")
    return [(t, s)]


def _softmax_reference(inputs, attrs):
    x = inputs[0].astype(np.float64) * attrs.get("beta", 1.0)  # float64 sums, one rounding
    e = np.exp(x - x.max(axis=attrs["axis"], keepdims=True))
    return [(e / e.sum(axis=attrs["axis"], keepdims=True)).astype(inputs[0].dtype)]


def _log_softmax_reference(inputs, attrs):
    x = inputs[0].astype(np.float64)
    z = x - x.max(axis=attrs["axis"], keepdims=True)
    return [(z - np.log(np.exp(z).sum(axis=attrs["axis"], keepdims=True))).astype(inputs[0].dtype)]


define("ScaleShift", 80, "norm", ("x: T", "scale: T", "shift: T"), ("y: T",), dict(FUSED_ACT_ATTRS), types={"T": FLOAT},
       traits=("fusable_producer", "channel_last", "quantizable"),
       infer=_per_channel_infer(("scale", "shift")),
       reference=lambda ins, attrs: [apply_activation((ins[0] * ins[1] + ins[2]).astype(ins[0].dtype), attrs)])
define("LRN", 81, "norm", ("x: T",), ("y: T",), types={"T": FLOAT}, traits=("channel_last",), attrs={
    "size": Attr("int"), "alpha": Attr("float", 0.0001), "beta": Attr("float", 0.75), "bias": Attr("float", 1.0),
}, infer=_lrn_infer, reference=_lrn_reference)
QUANTIZED_SOFTMAX = ("int8", "uint8", "int16")


def _softmax_quant_check(node, ins, outs):
    """What native/src/ops/norm_q8.c runs: int8/uint8 in and out, or TFLite int16x8 (zero points 0,
    output scale 2^-15 within 0.1%, requant 0), per tensor, over the last axis."""
    (xt, xq), (yt, yq) = ins[0], outs[0]
    if xt not in ("int8", "uint8", "int16") or xq is None or yq is None:
        return "Softmax runs on quantized int8/uint8/int16 input and output"
    if not (xq.per_tensor and yq.per_tensor):
        return "Softmax needs per-tensor parameters"
    if xt == "int16":
        out_scale = float(np.float32(yq.scale[0]))
        if int(node.attrs.get("requant", 0)) != 0:
            return "int16 with requant=1 (ONNX semantics are 8-bit)"
        if yt != "int16" or int(xq.zero_point[0]) != 0 or int(yq.zero_point[0]) != 0 or \
                abs(out_scale - 2.0 ** -15) > 0.001 * 2.0 ** -15:
            return (f"int16 Softmax needs an int16 output, zero points 0 and an output scale of 2^-15 (TFLite "
                    f"int16x8); got {yt} output, input zero point {int(xq.zero_point[0])}, output scale "
                    f"{out_scale:g} and zero point {int(yq.zero_point[0])}")
    return None


QUANT_CHECKS["Softmax"] = _softmax_quant_check
# beta: TFLite SOFTMAX's input factor on quantized inputs (its integer kernels fold it into the
# input multiplier); 1 for everything else
define("Softmax", 82, "norm", ("x: T",), ("y: T",),
       {"axis": Attr("int", -1), "beta": Attr("float", 1.0), **REQUANT_ATTRS},
       types={"T": FLOATS + QUANTIZED_SOFTMAX}, traits=("quant_aware",),
       infer=_softmax_infer, reference=_softmax_reference)
define("LogSoftmax", 83, "norm", ("x: T",), ("y: T",), {"axis": Attr("int", -1)}, types={"T": FLOATS},
       infer=_softmax_infer, reference=_log_softmax_reference)


def _hardmax_reference(inputs, attrs):
    x, axis = inputs[0], attrs["axis"]
    first_max = np.expand_dims(np.argmax(x, axis=axis), axis)  # argmax: the first of equal maxima
    y = np.zeros_like(x)
    np.put_along_axis(y, first_max, 1, axis=axis)
    return [y]


define("Hardmax", 85, "norm", ("x: T",), ("y: T",), {"axis": Attr("int", -1)}, types={"T": FLOATS},
       infer=_softmax_infer, reference=_hardmax_reference)
define("BatchNormalization", 84, "norm", ("x: T", "scale: T", "bias: T", "mean: T", "var: T"), ("y: T",),
       {"epsilon": Attr("float", 1e-5)}, types={"T": FLOAT}, traits=("channel_last",),
       infer=_per_channel_infer(("scale", "bias", "mean", "var")),
       reference=_batch_norm_reference)


def _normalized_infer(roles, n_stats):
    """x float32, per-normalised-slice vectors (scale, bias) that broadcast to x.shape[axis:]."""
    def infer(node, ins):
        t, s = known(node, ins[0], "x")
        if not s:
            raise fail(node, "x must have rank >= 1")
        axis = normalize_axis(node, attrs_of(node)["axis"], len(s))
        norm_shape = s[axis:]
        for role, v in zip(roles, ins[1:]):
            if v is None:
                continue
            tv, sv = known(node, v, role)
            if len(sv) > len(norm_shape) or not all(
                    (not is_sym(d) and int(d) == 1) or is_sym(e) or dims_equal(d, e)
                    for d, e in zip(sv[::-1], norm_shape[::-1])):
                raise fail(node, f"{role} shape {list(sv)} does not broadcast to the normalised dims "
                                 f"{list(norm_shape)} (x.shape[axis:], axis {axis})")
        stats = tuple(s[:axis]) + (1,) * (len(s) - axis)
        return [(t, s)] + [("float32", stats)] * n_stats
    return infer


def _layer_norm_reference(inputs, attrs):
    x, scale = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 and inputs[2] is not None else None
    axes = tuple(range(attrs["axis"] % x.ndim, x.ndim))
    xd = x.astype(np.float64)
    mean = xd.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(((xd - mean) ** 2).mean(axis=axes, keepdims=True) + np.float32(attrs["epsilon"]))
    y = (xd - mean) * inv_std * scale + (0.0 if bias is None else bias)
    return [y.astype(x.dtype), mean.astype(np.float32), inv_std.astype(np.float32)]


def _rms_norm_reference(inputs, attrs):
    x, scale = inputs
    axes = tuple(range(attrs["axis"] % x.ndim, x.ndim))
    xd = x.astype(np.float64)
    rms = np.sqrt((xd * xd).mean(axis=axes, keepdims=True) + np.float32(attrs["epsilon"]))
    return [(xd / rms * scale).astype(x.dtype)]


define("LayerNormalization", 62, "norm", ("x: T", "scale: T", "bias?: T"), ("y: T", "mean?: T", "inv_std_dev?: T"),
       {"axis": Attr("int", -1), "epsilon": Attr("float", 1e-5)}, types={"T": FLOAT},
       infer=_normalized_infer(("scale", "bias"), 2), reference=_layer_norm_reference)
define("RMSNormalization", 63, "norm", ("x: T", "scale: T"), ("y: T",),
       {"axis": Attr("int", -1), "epsilon": Attr("float", 1e-5)}, types={"T": FLOAT},
       infer=_normalized_infer(("scale",), 0),
       reference=_rms_norm_reference)


def _group_norm_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    groups, eps = int(at["num_groups"]), float(at["epsilon"])
    if len(s) < 2 or groups < 1 or not (0.0 <= eps < float("inf")):
        raise fail(node, f"needs x of rank >= 2 (batch first, channels last; got {shape_str(s)}), num_groups >= 1 "
                         f"(got {groups}) and a finite epsilon >= 0 (got {eps})")
    c = s[-1]
    if not is_sym(c) and int(c) % groups:
        raise fail(node, f"channels {c} (last axis of x) are not a multiple of num_groups {groups}")
    for role, v in zip(("scale", "bias"), ins[1:3]):
        _, sv = known(node, v, role)
        if len(sv) != 1 or not (is_sym(c) or is_sym(sv[0]) or dims_equal(sv[0], c)):
            raise fail(node, f"{role} shape {list(sv)} must be [C] with C = x's last dim {c}")
    return [(t, s)]


def _group_norm_reference(inputs, attrs):
    x, scale, bias = inputs
    if x.size == 0:
        return [x.copy()]
    g = attrs["num_groups"]
    xg = x.astype(np.float64).reshape(x.shape[0], -1, g, x.shape[-1] // g)  # [N, spatial, G, C/G]
    mean = xg.mean(axis=(1, 3), keepdims=True)
    var = xg.var(axis=(1, 3), keepdims=True)
    normed = ((xg - mean) / np.sqrt(var + np.float32(attrs["epsilon"]))).reshape(x.shape)
    return [(normed * scale.astype(np.float64) + bias.astype(np.float64)).astype(x.dtype)]


define("GroupNormalization", 202, "norm", ("x: T", "scale: T", "bias: T"), ("y: T",),
       {"num_groups": Attr("int"), "epsilon": Attr("float", 1e-5)}, types={"T": FLOATS},
       infer=_group_norm_infer, reference=_group_norm_reference)


def _lp_norm_infer(node, ins):
    t, s = known(node, ins[0], "x")
    normalize_axis(node, attrs_of(node)["axis"], len(s))
    if attrs_of(node)["p"] not in (1, 2):
        raise fail(node, f"p {attrs_of(node)['p']} is not supported; supported: 1, 2")
    return [(t, s)]


def _lp_norm_reference(inputs, attrs):
    x = inputs[0].astype(np.float64)
    norm = np.abs(x) if attrs["p"] == 1 else x * x
    norm = norm.sum(axis=attrs["axis"], keepdims=True)
    norm = norm if attrs["p"] == 1 else np.sqrt(norm)
    return [np.where(norm == 0, 0.0, x / np.where(norm == 0, 1.0, norm)).astype(inputs[0].dtype)]


define("LpNormalization", 203, "norm", ("x: T",), ("y: T",), {"axis": Attr("int", -1), "p": Attr("int", 2)},
       types={"T": FLOATS}, infer=_lp_norm_infer, reference=_lp_norm_reference)
