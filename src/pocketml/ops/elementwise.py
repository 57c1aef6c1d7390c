"""Binary arithmetic ops with numpy broadcasting: Add Sub Mul Div Pow Max Min
Mod PRelu.

Add/Sub/Mul/Div/Pow/Max/Min carry fused-activation attributes (act,
act_alpha, act_beta) so a following Relu/Clip/Gelu/... can be folded into
them (float32; Relu/Clip as the output clamp on quantized tensors). Add, Sub
and Mul also run on quantized int8/uint8/int16 tensors (per-tensor scale and
zero point on both inputs and the output; attribute requant: 0 TFLite fixed
point, 1 onnxruntime float), computed by the C kernels only. PRelu broadcasts slope to x (unidirectional).

Dtypes are ONNX's among pocketml's: Add/Sub/Mul/Div/Max/Min/Mod take every
numeric dtype, PRelu float32/float16/int32/int64/uint32/uint64, Pow a
float32/float16/int32/int64 base with an exponent of any numeric dtype.
float16 computes in float32 and rounds once (numpy's half ufuncs do the
same). Integers wrap; integer Div truncates toward zero (C, onnxruntime) and
MIN / -1 wraps to MIN; integer Div or Mod by zero raises. Pow computes in
float64 like onnxruntime's std::pow and converts to an integer base's dtype
with NaN and out-of-range results giving the dtype's minimum (x86's
conversion, what onnxruntime returns there).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .registry import FUSED_ACT_ATTRS, QUANT_CHECKS, REGISTRY, REQUANT_ATTRS, Attr, define
from ._common import apply_activation, binary_infer, broadcast_shapes, fail, known
from .logic import COMPARE, LOGICAL  # noqa: F401  (re-exported: importers list them with BINARY)

# type constraints, in dtype-code order (the C error lists them in that order too)
ARITH = tuple(d.name for d in dtypes.ALL if d.kind != "bool")  # every numeric dtype
POW_BASE = ("float32", "float16", "int32", "int64")
PRELU = ("float32", "float16", "int32", "int64", "uint32", "uint64")


def _is_int(a) -> bool:
    return a.dtype.kind in "iu"


def _div(a, b):
    if not _is_int(a):
        return np.divide(a, b)
    if np.any(b == 0):
        raise ZeroDivisionError("integer Div by zero")
    with np.errstate(over="ignore"):  # MIN // -1 wraps to MIN
        q = np.floor_divide(a, b)
        # floor -> toward zero: one up where the signs differ and the division is inexact
        return np.where((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)), q + np.asarray(1, a.dtype), q)


def _pow(a, b):
    if a.dtype == np.float32 and b.dtype == np.float32:
        return np.power(a, b)
    if a.dtype == np.float16:  # float16 computes in float32, rounds once
        return np.power(a.astype(np.float32), b.astype(np.float32))
    with np.errstate(all="ignore"):
        y = np.power(a.astype(np.float64), b.astype(np.float64))
    if a.dtype.kind == "f":
        return y
    info = np.iinfo(a.dtype)
    bad = ~((y >= info.min) & (y < -float(info.min)))  # NaN or out of range: the dtype's minimum
    return np.where(bad, info.min, np.trunc(np.where(bad, 0, y))).astype(a.dtype)


# Pow carries the act attributes too but the fusion pass does not fuse into it (no fusable_producer).
_FUSE = ("fusable_producer",)
BINARY = {  # name: (code, numpy function, dtypes of a, of b, traits)
    "Add": (1, np.add, ARITH, None, _FUSE + ("commutative", "quantizable", "quant_aware")),
    "Sub": (2, np.subtract, ARITH, None, _FUSE + ("quant_aware",)),
    "Mul": (3, np.multiply, ARITH, None, _FUSE + ("commutative", "quantizable", "quant_aware")),
    "Div": (4, _div, ARITH, None, _FUSE),
    "Pow": (5, _pow, POW_BASE, ARITH, ()),  # ONNX's T (base, output) and T1 (exponent)
    "Max": (6, np.maximum, ARITH, None, _FUSE + ("commutative",)),  # NaN propagates, as in onnxruntime
    "Min": (7, np.minimum, ARITH, None, _FUSE + ("commutative",)),
}
BINARY_TRAITS = ("elementwise", "layout_agnostic")


def _binary_reference(fn):
    def reference(inputs, attrs):
        a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # integers wrap; inf/NaN as IEEE
            return [apply_activation(np.asarray(fn(a, b)).astype(a.dtype), attrs)]
    return reference


for _name, (_code, _fn, _ta, _tb, _traits) in BINARY.items():
    _attrs = dict(FUSED_ACT_ATTRS, **(REQUANT_ATTRS if "quant_aware" in _traits else {}))
    define(_name, _code, "elementwise", ("a: T", "b: T1" if _tb else "b: T"), ("y: T",), _attrs,
           types={"T": _ta, "T1": _tb} if _tb else {"T": _ta}, traits=BINARY_TRAITS + _traits,
           infer=binary_infer(), reference=_binary_reference(_fn))


QUANT_DTYPES = ("int8", "uint8", "int16")
QUANT_ACTS = (0, 1, 2)  # none, Relu, Clip: the output clamp (act_kinds.h)


def _binary_quant_check(node, ins, outs):
    """What native/src/ops/elementwise_q8.c runs: both inputs and the output quantized per tensor,
    one 8/16-bit dtype, int16 with zero point 0 and TFLite semantics, a Relu/Clip activation."""
    dtype = ins[0][0]
    for role, (dt, q) in zip(("input 'a'", "input 'b'", "output"), (ins[0], ins[1], outs[0])):
        if q is None:
            return f"{role} is not quantized but another operand is"
        if dt != dtype or dt not in QUANT_DTYPES:
            return f"{role} is {dt}: the operands must share one of {', '.join(QUANT_DTYPES)}"
        if not q.per_tensor:
            return f"{role} is quantized per channel: only per-tensor parameters are supported"
        if dt == "int16" and int(q.zero_point[0]) != 0:
            return f"int16 {role} has zero point {int(q.zero_point[0])} (int16x8 needs 0)"
    if int(node.attrs.get("act", 0)) not in QUANT_ACTS:
        return f"fused activation {node.attrs.get('act')} (only Relu and Clip are)"
    if dtype == "int16" and int(node.attrs.get("requant", 0)) != 0:
        return "int16 operands with requant=1 (ONNX semantics are 8-bit)"
    return None


for _name in ("Add", "Sub", "Mul"):
    QUANT_CHECKS[_name] = _binary_quant_check


def _mod_infer(node, ins):
    (out,) = binary_infer(fused_act=False)(node, ins)
    if REGISTRY["Mod"].attr(node, "fmod") not in (0, 1):
        raise fail(node, f"attribute fmod={node.attrs['fmod']} must be 0 or 1")
    return [out]


def _mod(inputs, attrs):
    """fmod=0: the result takes the divisor's sign (Python/numpy %, also for
    floats as onnx's reference does); fmod=1: C fmod, the dividend's sign."""
    a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
    if _is_int(a) and np.any(b == 0):
        raise ZeroDivisionError("integer Mod by zero")
    if a.dtype == np.float16:  # computed in float32, rounded once
        return [_mod([a.astype(np.float32), b.astype(np.float32)], attrs)[0].astype(np.float16)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return [np.asarray(np.fmod(a, b) if attrs["fmod"] else np.mod(a, b)).astype(a.dtype)]


define("Mod", 17, "elementwise", ("a: T", "b: T"), ("y: T",), {"fmod": Attr("int", 0)}, types={"T": ARITH},
       traits=("elementwise",), infer=_mod_infer, reference=_mod)


def _prelu_infer(node, ins):
    (tx, sx), (ts, ss) = known(node, ins[0], "x"), known(node, ins[1], "slope")
    if len(ss) > len(sx) or broadcast_shapes(node, sx, ss) != tuple(sx):
        raise fail(node, f"slope shape {ss} does not broadcast to x shape {sx} (unidirectional)")
    return [(tx, tuple(sx))]


def _prelu(inputs, attrs):
    x, slope = np.asarray(inputs[0]), np.asarray(inputs[1])
    with np.errstate(over="ignore"):
        return [np.where(x < 0, x * slope, x).astype(x.dtype)]


def _prelu_quant_check(node, ins, outs):
    """What native/src/ops/prelu_q8.c runs: x, slope and y quantized per tensor, one 8/16-bit dtype,
    TFLite's fixed point (requant 0; ONNX has no quantized PRelu)."""
    dtype = ins[0][0]
    for role, (dt, q) in zip(("input 'x'", "input 'slope'", "output"), (ins[0], ins[1], outs[0])):
        if q is None:
            return f"{role} is not quantized but x is"
        if dt != dtype or dt not in QUANT_DTYPES:
            return f"{role} is {dt}: x, slope and y must share one of {', '.join(QUANT_DTYPES)}"
        if not q.per_tensor:
            return f"{role} is quantized per channel: only per-tensor parameters are supported"
    if int(node.attrs.get("requant", 0)) != 0:
        return "requant=1: only TFLite's fixed-point PRelu (requant=0) is implemented"
    return None


QUANT_CHECKS["PRelu"] = _prelu_quant_check
define("PRelu", 8, "elementwise", ("x: T", "slope: T"), ("y: T",), dict(REQUANT_ATTRS),
       types={"T": PRELU + QUANT_DTYPES},
       traits=("elementwise", "layout_agnostic", "quant_aware"), infer=_prelu_infer, reference=_prelu)
