"""Unary ops: activations and math (one input, same shape out), the
predicates IsNaN/IsInf (bool out), Identity and Cast.

Dtypes: what ONNX allows among pocketml's (the float ops float32 and float16;
Abs, Sign and Clip every numeric dtype; Neg and Relu the signed ones too);
Identity and Cast take any dtype.
The activations that a producer can absorb (trait ``activation``) share their
numpy code with the fused activations (_common.ACTIVATIONS).
"""
from __future__ import annotations

import math

import numpy as np

from ..dtypes import BY_NAME, DTYPE_BY_CODE, FLOATS, NUMERIC, SIGNED, np_dtype
from .registry import (ACT_GELU_ERF, ACT_GELU_TANH, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_LEAKY_RELU, ACT_RELU, ACT_SIGMOID,
               ACT_TANH, QUANT_CHECKS, REGISTRY, REQUANT_ATTRS, Attr, define)
from ._common import ACTIVATIONS, ANY, BOOL, erf, fail, known


def _act(kind, alpha=None, beta=None):
    """A unary op that is one of the fusable activations (same numpy code)."""
    return lambda x, at: ACTIVATIONS[kind](x, at.get(alpha, 0.0) if alpha else 0.0, at.get(beta, 0.0) if beta else 0.0)


def _clip(x, at):
    lo, hi = at["min"], at["max"]
    if x.dtype.kind in "iu":  # float bounds rounded into the dtype (min up, max down, saturating), as the C kernels
        info = np.iinfo(x.dtype)
        lo = info.min if not lo > info.min else info.max if lo >= info.max else math.ceil(lo)
        hi = info.max if not hi < info.max else info.min if hi <= info.min else math.floor(hi)
        lo, hi = x.dtype.type(lo), x.dtype.type(hi)
    return np.minimum(np.maximum(x, lo), hi)


def _softplus(x, at):
    # log(1 + e^x) without overflow for large x
    return np.logaddexp(np.zeros_like(x), x)


def _elu(x, at):
    return np.where(x < 0, at["alpha"] * np.expm1(np.minimum(x, 0)), x)


def _selu(x, at):
    return at["gamma"] * np.where(x <= 0, at["alpha"] * np.expm1(np.minimum(x, 0)), x)


def _celu(x, at):
    # max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    return np.maximum(x, 0) + np.minimum(0, at["alpha"] * np.expm1(np.minimum(x, 0) / at["alpha"]))

def _mish(x, at):
    return x * np.tanh(np.logaddexp(np.zeros_like(x), x))  # x * tanh(softplus(x))

def _shrink(x, at):
    return np.where(x < -at["lambd"], x + at["bias"], np.where(x > at["lambd"], x - at["bias"], 0))

def _swish(x, at):
    return x * ACTIVATIONS[ACT_SIGMOID](at["alpha"] * x, 0.0, 0.0)  # x sigmoid(alpha x)

SIGNED_OR_FLOAT = FLOATS + SIGNED  # ONNX Relu (opset 14) and Neg
UNARY = {  # name: (code, attrs, fn(x, attrs), dtypes)
    "Relu": (20, {}, _act(ACT_RELU), SIGNED_OR_FLOAT),
    "LeakyRelu": (21, {"alpha": Attr("float", 0.01)}, _act(ACT_LEAKY_RELU, "alpha"), FLOATS),
    "Clip": (22, {"min": Attr("float", float("-inf")), "max": Attr("float", float("inf"))},
             _clip, NUMERIC),
    "Sigmoid": (23, {}, _act(ACT_SIGMOID), FLOATS),
    "Tanh": (24, {}, _act(ACT_TANH), FLOATS),
    "HardSigmoid": (25, {"alpha": Attr("float", 0.2), "beta": Attr("float", 0.5)},
                    _act(ACT_HARDSIGMOID, "alpha", "beta"), FLOATS),
    "HardSwish": (26, {}, _act(ACT_HARDSWISH), FLOATS),
    "Elu": (27, {"alpha": Attr("float", 1.0)}, _elu, FLOATS),
    "Selu": (28, {"alpha": Attr("float", 1.67326319217681884765625),
                  "gamma": Attr("float", 1.05070102214813232421875)}, _selu, FLOATS),
    "Softplus": (29, {}, _softplus, FLOATS),
    "Sqrt": (30, {}, lambda x, at: np.sqrt(x), FLOATS),
    "Exp": (31, {}, lambda x, at: np.exp(x), FLOATS),
    "Log": (32, {}, lambda x, at: np.log(x), FLOATS),
    "Abs": (33, {}, lambda x, at: np.abs(x), NUMERIC),
    "Neg": (34, {}, lambda x, at: np.negative(x), SIGNED_OR_FLOAT),
    "Reciprocal": (35, {}, lambda x, at: np.reciprocal(x), FLOATS),
    "Identity": (36, {}, lambda x, at: x.copy(), ANY),
    "Floor": (42, {}, lambda x, at: np.floor(x), FLOATS),
    "Ceil": (43, {}, lambda x, at: np.ceil(x), FLOATS),
    "Round": (44, {}, lambda x, at: np.round(x), FLOATS),  # half to even, as ONNX
    "Sign": (45, {}, lambda x, at: np.sign(x), NUMERIC),
    "Sin": (46, {}, lambda x, at: np.sin(x), FLOATS),
    "Cos": (47, {}, lambda x, at: np.cos(x), FLOATS),
    "Erf": (48, {}, lambda x, at: erf(x), FLOATS),
    # approximate: "none" (x/2 (1 + erf(x/sqrt2))) or "tanh", as ONNX Gelu (opset 20)
    "Gelu": (49, {"approximate": Attr("string", "none")},
             lambda x, at: ACTIVATIONS[GELU_ACT[at["approximate"]]](x, 0.0, 0.0), FLOATS),
    "Celu": (190, {"alpha": Attr("float", 1.0)}, _celu, FLOATS),
    "Mish": (191, {}, _mish, FLOATS),
    "ThresholdedRelu": (193, {"alpha": Attr("float", 1.0)}, lambda x, at: np.where(x > at["alpha"], x, 0),
                        FLOATS),
    "Softsign": (194, {}, lambda x, at: x / (1 + np.abs(x)), FLOATS),
    "Shrink": (192, {"bias": Attr("float", 0.0), "lambd": Attr("float", 0.5)}, _shrink, NUMERIC),
    "Tan": (220, {}, lambda x, at: np.tan(x), FLOATS),
    "Asin": (221, {}, lambda x, at: np.arcsin(x), FLOATS),
    "Acos": (222, {}, lambda x, at: np.arccos(x), FLOATS),
    "Atan": (223, {}, lambda x, at: np.arctan(x), FLOATS),
    "Sinh": (224, {}, lambda x, at: np.sinh(x), FLOATS),
    "Cosh": (225, {}, lambda x, at: np.cosh(x), FLOATS),
    "Asinh": (226, {}, lambda x, at: np.arcsinh(x), FLOATS),
    "Acosh": (227, {}, lambda x, at: np.arccosh(x), FLOATS),
    "Atanh": (228, {}, lambda x, at: np.arctanh(x), FLOATS),
    "Swish": (229, {"alpha": Attr("float", 1.0)}, _swish, FLOATS),  # ONNX opset 24
}
GELU_ACT = {"none": ACT_GELU_ERF, "tanh": ACT_GELU_TANH}
# unary ops that a fusable producer can absorb as its act attribute (passes/fuse_activation.py maps them)
ACTIVATION_OPS = ("Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu")
# unary ops the layout pass moves transposes through (any elementwise op could join once tested there)
LAYOUT_AGNOSTIC = ("Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu",
                   "Softplus", "Sqrt", "Exp", "Log", "Abs", "Neg", "Reciprocal", "Identity", "Celu", "Mish",
                   "ThresholdedRelu", "Softsign", "Shrink", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
                   "Acosh", "Atanh", "Swish")


def _unary_infer(node, ins):
    t, s = known(node, ins[0], "x")
    if node.op == "Gelu" and REGISTRY["Gelu"].attr(node, "approximate") not in GELU_ACT:
        raise fail(node, f"approximate={node.attrs['approximate']!r} is not supported (supported: none, tanh)")
    return [(t, s)]


def _unary_reference(fn):
    def reference(inputs, attrs):
        x = np.asarray(inputs[0])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return [np.asarray(fn(x, attrs)).astype(x.dtype)]
    return reference


# activations that run on quantized tensors (native/src/ops/unary_q8.c): name -> quantized dtypes
QUANT_UNARY = {"Relu": ("int8", "int16"), "Clip": ("int8", "uint8", "int16"), "Sigmoid": ("int8", "uint8", "int16"),
               "Tanh": ("int8", "uint8", "int16"), "HardSwish": ("int8", "uint8"), "LeakyRelu": ("int8", "uint8", "int16"),
               "Gelu": ("int8", "uint8", "int16"), "Elu": ("int8", "uint8")}


def _unary_quant_check(node, ins, outs):
    (xt, xq), (yt, yq) = ins[0], outs[0]
    if xt not in QUANT_UNARY[node.op] or xq is None or yq is None or yt != xt:
        return f"{node.op} runs on quantized {', '.join(QUANT_UNARY[node.op])} input and output"
    if not (xq.per_tensor and yq.per_tensor):
        return f"{node.op} needs per-tensor parameters"
    if xt == "int16" and int(node.attrs.get("requant", 0)) != 0:
        return "int16 with requant=1 (ONNX semantics are 8-bit)"
    if xt == "int16" and node.op in ("Sigmoid", "Tanh"):
        return _int16_sigmoid_check(node.op, xq, yq)
    return None


def _int16_sigmoid_check(op, xq, yq):
    """TFLite int16x8 LOGISTIC/TANH (native/src/kernels/quant/qsigmoid16.h): zero points 0 and
    an output scale of 2^-15 (LOGISTIC exactly, TANH within CheckedLog2's tolerance)."""
    out_scale = float(np.float32(yq.scale[0]))
    pot_ok = out_scale == 2.0 ** -15 or (op == "Tanh" and abs(np.log2(out_scale) + 15) < 1e-3)
    if int(xq.zero_point[0]) != 0 or int(yq.zero_point[0]) != 0 or not pot_ok:
        return (f"int16 {op} needs zero points 0 and an output scale of 2^-15 (TFLite int16x8); got input zero point "
                f"{int(xq.zero_point[0])}, output scale {out_scale:g} and zero point {int(yq.zero_point[0])}")
    return None


for _name, (_code, _attrs, _fn, _dtypes) in UNARY.items():
    _traits = ("elementwise",) + (("activation",) if _name in ACTIVATION_OPS else ()) + \
        (("layout_agnostic",) if _name in LAYOUT_AGNOSTIC else ()) + \
        (("quant_transparent",) if _name == "Identity" else ())
    if _name in QUANT_UNARY:
        _traits += ("quant_aware",)
        _attrs = {**_attrs, **REQUANT_ATTRS}
        _dtypes = tuple(sorted(set(_dtypes) | set(QUANT_UNARY[_name]), key=lambda t: BY_NAME[t].code))
        QUANT_CHECKS[_name] = _unary_quant_check
    define(_name, _code, "unary", ("x: T",), ("y: T",), _attrs, types={"T": _dtypes}, traits=_traits,
           infer=_unary_infer, reference=_unary_reference(_fn))


# ---- predicates: bool output -----------------------------------------------------------
def _predicate_infer(node, ins):
    return [("bool", known(node, ins[0], "x")[1])]


def _isinf(x, at):
    return (np.isposinf(x) & bool(at["detect_positive"])) | (np.isneginf(x) & bool(at["detect_negative"]))


define("IsNaN", 40, "unary", ("x: T",), ("y: B",), types={"T": FLOATS, "B": BOOL},
       traits=("elementwise",), infer=_predicate_infer, reference=lambda ins, at: [np.isnan(ins[0])])
define("IsInf", 41, "unary", ("x: T",), ("y: B",),
       {"detect_positive": Attr("int", 1), "detect_negative": Attr("int", 1)}, types={"T": FLOATS, "B": BOOL},
       traits=("elementwise",), infer=_predicate_infer,
       reference=lambda ins, at: [np.asarray(_isinf(ins[0], at))])


# ---- Cast ------------------------------------------------------------------------------
def _cast_infer(node, ins):
    _, s = known(node, ins[0], "x")
    op = REGISTRY["Cast"]
    to = op.attr(node, "to")
    allowed = {c: n for c, n in DTYPE_BY_CODE.items() if n in op.types["T2"]}
    if to not in allowed:
        raise fail(node, f"attribute to={to} is not a supported dtype code (supported: {allowed})")
    return [(DTYPE_BY_CODE[to], s)]


def _cast_reference(inputs, attrs):
    # float -> int truncates toward zero (numpy astype and C casts agree)
    with np.errstate(invalid="ignore"):
        return [np.asarray(inputs[0]).astype(np_dtype(DTYPE_BY_CODE[attrs["to"]]))]


# to: a dtype code (pocketml.dtypes)
define("Cast", 38, "unary", ("x: T1",), ("y: T2",), {"to": Attr("int")}, types={"T1": ANY, "T2": ANY},
       traits=("elementwise", "layout_agnostic"), infer=_cast_infer, reference=_cast_reference)


def _bitcast_infer(node, ins):
    t, s = known(node, ins[0], "x")
    to = REGISTRY["BitCast"].attr(node, "to")
    if to not in DTYPE_BY_CODE:
        raise fail(node, f"attribute to={to} is not a dtype code (supported: {DTYPE_BY_CODE})")
    if np_dtype(DTYPE_BY_CODE[to]).itemsize != np_dtype(t).itemsize:
        raise fail(node, f"BitCast keeps the element size: {t} ({np_dtype(t).itemsize} bytes) cannot become "
                         f"{DTYPE_BY_CODE[to]} ({np_dtype(DTYPE_BY_CODE[to]).itemsize} bytes)")
    return [(DTYPE_BY_CODE[to], s)]


# BitCast (opset 26): the bytes of x read as dtype "to" of the same width (little endian, as the runtime)
define("BitCast", 195, "unary", ("x: T1",), ("y: T2",), {"to": Attr("int")}, types={"T1": ANY, "T2": ANY},
       traits=("elementwise", "layout_agnostic"), infer=_bitcast_infer,
       reference=lambda ins, attrs: [np.require(ins[0], requirements="C").view(np_dtype(DTYPE_BY_CODE[attrs["to"]]))])
