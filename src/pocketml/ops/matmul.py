"""Matrix products.

MatMul: numpy matmul semantics (1-D promotion, batch broadcasting), fused activation.
Gemm:   y = alpha * op(a) @ op(b) + beta * c, a/b 2-D, c broadcast to [M,N]; fused activation.
Det:    y[...] = det(x[..., M, M]) over batches of square matrices (float32, float16 computed in
        float32; the C kernel factors each matrix LU with partial pivoting).
MatMulInteger: y = (a - a_zero_point) @ (b - b_zero_point) exactly, int8/uint8 operands, int32 y
        (MatMul's shapes; the sum wraps modulo 2^32 as onnxruntime's int32 accumulator). a's zero
        point is one value, per row ([M], or a's shape with its last dim 1); b's is one value or
        per column ([N], or b's shape with dim -2 being 1).
MatMulIntegerToFloat (com.microsoft): y = float32((a - a_zero_point) @ (b - b_zero_point))
        * (a_scale * b_scale) + bias, MatMulInteger's product and zero points; a_scale one value,
        b_scale one value or per column [N], bias [N]; the multiplier a_scale * b_scale is rounded
        to float32 first, then the product and the sum each round once (no fused multiply-add), as
        the Cast -> Mul -> Add that onnxruntime's quantize_dynamic writes after a MatMulInteger.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import FLOATS
from . import _quant_types as _qt
from .registry import FUSED_ACT_ATTRS, Attr, define
from ._common import (
    apply_activation,
    attrs_of,
    broadcast_shapes,
    check_act,
    check_rank,
    dims_equal,
    fail,
    is_sym,
    known,
    shape_str,
)


def _inner(node, k1, k2, sa, sb):
    if not dims_equal(k1, k2) and not (isinstance(k1, str) or isinstance(k2, str)):
        raise fail(node, f"inner dimensions differ: a {shape_str(sa)} @ b {shape_str(sb)}")


def _matmul_infer(node, ins):
    (ta, sa), (tb, sb) = known(node, ins[0], "a"), known(node, ins[1], "b")
    check_act(node, node.attrs)
    if not (ta == tb == "int16"):  # int16 x int16: TFLite int16x8 BATCH_MATMUL of two activations
        _qt.check_dtypes(node, ta, tb)
    if not sa or not sb:
        raise fail(node, "MatMul inputs must have rank >= 1")
    a2 = (1,) + tuple(sa) if len(sa) == 1 else tuple(sa)  # numpy 1-D promotion
    b2 = tuple(sb) + (1,) if len(sb) == 1 else tuple(sb)
    _inner(node, a2[-1], b2[-2], sa, sb)
    out = broadcast_shapes(node, a2[:-2], b2[:-2]) + ((a2[-2],) if len(sa) > 1 else ()) + \
        ((b2[-1],) if len(sb) > 1 else ())
    return [(ta, out)]


def _gemm_infer(node, ins):
    at = attrs_of(node)
    (ta, sa), (tb, sb) = known(node, ins[0], "a"), known(node, ins[1], "b")
    check_rank(node, sa, 2, "a")
    check_rank(node, sb, 2, "b")
    check_act(node, at)
    _qt.check_dtypes(node, ta, tb, known(node, ins[2], "b")[0] if len(ins) > 2 and ins[2] is not None else None)
    m, k1 = sa[::-1] if at["transA"] else sa
    k2, n = sb[::-1] if at["transB"] else sb
    _inner(node, k1, k2, sa, sb)
    if len(ins) > 2 and ins[2] is not None:
        tc, sc = known(node, ins[2], "c")
        if len(sc) > 2 or broadcast_shapes(node, (m, n), sc) != (m, n):
            raise fail(node, f"c shape {shape_str(sc)} does not broadcast to [M,N] = [{m},{n}]")
    return [(ta, (m, n))]


def _gemm_reference(inputs, attrs):
    _qt.refuse_integers("Gemm", inputs[0])
    # float64 accumulation, one rounding (see conv.py)
    a, b = inputs[0].astype(np.float64), inputs[1].astype(np.float64)
    a = a.T if attrs["transA"] else a
    b = b.T if attrs["transB"] else b
    y = attrs["alpha"] * (a @ b)
    if len(inputs) > 2 and inputs[2] is not None:
        y = y + attrs["beta"] * inputs[2].astype(np.float64)
    return [apply_activation(y.astype(np.float32), attrs).astype(inputs[0].dtype)]


def _matmul_reference(inputs, attrs):
    _qt.refuse_integers("MatMul", inputs[0])
    y = np.matmul(inputs[0].astype(np.float64), inputs[1].astype(np.float64))
    return [apply_activation(y.astype(np.float32), attrs).astype(inputs[0].dtype)]


# requant: on quantized tensors, 0 TFLite fixed-point requantization, 1 ONNX float (round half even)
define("MatMul", 60, "matmul", ("a: T", "b: TW"), ("y: T",), {**FUSED_ACT_ATTRS, "requant": Attr("int", 0)},
       types={"T": _qt.DATA, "TW": _qt.DATA}, traits=("fusable_producer", "quantizable", "quant_aware"),
       infer=_matmul_infer,
       reference=_matmul_reference)
define("Gemm", 61, "matmul", ("a: T", "b: TW", "c?: TB"), ("y: T",),
       types={"T": _qt.DATA, "TW": _qt.DATA, "TB": _qt.BIAS}, traits=("fusable_producer", "quantizable", "quant_aware"),
       attrs={
    "alpha": Attr("float", 1.0), "beta": Attr("float", 1.0), "requant": Attr("int", 0),
    "transA": Attr("int", 0), "transB": Attr("int", 0), **FUSED_ACT_ATTRS,
}, infer=_gemm_infer, reference=_gemm_reference)


def _det_infer(node, ins):
    t, s = known(node, ins[0], "x")
    if len(s) < 2 or not (dims_equal(s[-1], s[-2]) or is_sym(s[-1]) or is_sym(s[-2])):
        raise fail(node, f"x must be square matrices [..., M, M], got shape {shape_str(s)}")
    return [(t, tuple(s[:-2]))]


def _det_reference(inputs, attrs):
    return [np.asarray(np.linalg.det(inputs[0].astype(np.float64))).astype(inputs[0].dtype)]


def zero_point_form(node, zp_shape, shape, per_axis: int, what: str) -> str:
    """'tensor' (one value) or 'axis' (per row of a, per_axis=-2 / per column of b, per_axis=-1)."""
    if len(zp_shape) <= 1 and all(d == 1 for d in zp_shape):
        return "tensor"
    if len(shape) >= 2 and tuple(zp_shape) == (shape[per_axis],):
        return "axis"
    full = tuple(1 if i == len(shape) + (-1 if per_axis == -2 else -2) else d for i, d in enumerate(shape))
    if len(shape) >= 2 and tuple(zp_shape) == full:
        return "axis"
    raise fail(node, f"{what} zero point of shape {shape_str(zp_shape)} is neither one value nor "
                     f"[{shape[per_axis] if len(shape) >= -per_axis else 1}] nor {shape_str(full)} (input shape {shape_str(shape)})")


def _matmul_integer_infer(node, ins):
    (_, y), = _matmul_infer(node, ins[:2])
    for i, axis, what in ((2, -2, "a"), (3, -1, "b")):
        if len(ins) > i and ins[i] is not None:
            zero_point_form(node, known(node, ins[i], f"{what}_zero_point")[1], known(node, ins[i - 2], what)[1],
                            axis, what)
    return [("int32", y)]


def _matmul_integer_reference(inputs, attrs):
    a, b = (inputs[i].astype(np.int64) for i in range(2))
    if len(inputs) > 2 and inputs[2] is not None:
        za = inputs[2].astype(np.int64)
        a = a - (za.reshape(-1, 1) if za.ndim == 1 and za.size > 1 else za)  # per row: [M] -> [M, 1]
    if len(inputs) > 3 and inputs[3] is not None:
        b = b - inputs[3].astype(np.int64)
    return [np.matmul(a, b).astype(np.int32)]  # wraps modulo 2^32


define("MatMulInteger", 460, "matmul", ("a: T1", "b: T2", "a_zero_point?: T1", "b_zero_point?: T2"), ("y: T3",),
       {}, types={"T1": ("int8", "uint8"), "T2": ("int8", "uint8"), "T3": ("int32",)}, traits=("quant_explicit",),
       infer=_matmul_integer_infer, reference=_matmul_integer_reference)
def _matmul_integer_to_float_infer(node, ins):
    (_, y), = _matmul_integer_infer(node, [ins[0], ins[1]] + list(ins[4:6]))
    n = y[-1] if y else 1
    for i, what, per_column in ((2, "a_scale", False), (3, "b_scale", True), (6, "bias", True)):
        if len(ins) <= i or ins[i] is None:
            continue
        s = known(node, ins[i], what)[1]
        one = len(s) <= 1 and all(d == 1 for d in s)
        if not (one and what != "bias") and not (per_column and len(s) == 1 and dims_equal(s[0], n)):
            raise fail(node, f"{what} of shape {shape_str(s)} must be " +
                       ("one value" if not per_column else f"[{n}]" if what == "bias" else f"one value or [{n}]"))
    return [("float32", y)]


def _matmul_integer_to_float_reference(inputs, attrs):
    a, b, a_scale, b_scale = inputs[:4]
    zps = list(inputs[4:6]) + [None] * (2 - len(inputs[4:6]))
    acc = _matmul_integer_reference([a, b] + zps, attrs)[0].astype(np.float32)
    y = acc * (np.float32(a_scale.reshape(())) * b_scale.astype(np.float32)).astype(np.float32)
    if len(inputs) > 6 and inputs[6] is not None:
        y = y + inputs[6]
    return [y.astype(np.float32)]


define("MatMulIntegerToFloat", 462, "matmul",
       ("a: T1", "b: T2", "a_scale: F", "b_scale: F", "a_zero_point?: T1", "b_zero_point?: T2", "bias?: F"),
       ("y: F",), {}, types={"T1": ("int8", "uint8"), "T2": ("int8", "uint8"), "F": ("float32",)},
       traits=("quant_explicit",), infer=_matmul_integer_to_float_infer,
       reference=_matmul_integer_to_float_reference)
define("Det", 350, "matmul", ("x: T",), ("y: T",), {}, types={"T": ("float32", "float16")},
       infer=_det_infer, reference=_det_reference)
