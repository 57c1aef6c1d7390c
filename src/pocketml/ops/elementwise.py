"""Elementwise ops: binary with numpy broadcasting, comparisons and logic,
Where, and unary activations/math.

Binary arithmetic ops carry fused-activation attributes (act, act_alpha,
act_beta) so a following Relu/Clip/Gelu/... can be folded into them. PRelu
broadcasts slope to x (unidirectional). Cast converts between any two
registry dtypes.
Dtypes: float32 everywhere; Add/Sub/Mul/Div/Max/Min/Mod/Neg/Abs/Sign also
int32/int64 (integer Div truncates toward zero, as C and onnxruntime do;
Mod follows its fmod attribute); comparisons take float32, int8, uint8,
int32, int64 and bool and give bool; And/Or/Xor/Not work on bool; Where
selects between two tensors of any one dtype; Identity and Cast take any
dtype.
"""
from __future__ import annotations

import numpy as np

from ..ir import DTYPE_BY_CODE, np_dtype
from . import (
    ACT_GELU_ERF,
    ACT_GELU_TANH,
    ACT_HARDSIGMOID,
    ACT_HARDSWISH,
    ACT_LEAKY_RELU,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_TANH,
    FUSED_ACT_ATTRS,
    REGISTRY,
    Attr,
    define,
)
from ._common import (
    ACTIVATIONS,
    FLOAT,
    NUMERIC,
    apply_activation,
    erf,
    broadcast_shapes,
    check_act,
    check_dtype,
    fail,
    known,
)


# ---- binary ---------------------------------------------------------------------
def _int_div(a, b):
    if np.any(b == 0):
        raise ZeroDivisionError("integer Div by zero")
    q = np.abs(a) // np.abs(b)
    return (np.sign(a) * np.sign(b) * q).astype(np.result_type(a, b))


BINARY = {  # name: (code, numpy function, dtypes)
    "Add": (1, np.add, NUMERIC),
    "Sub": (2, np.subtract, NUMERIC),
    "Mul": (3, np.multiply, NUMERIC),
    "Div": (4, lambda a, b: _int_div(a, b) if a.dtype.kind == "i" else np.divide(a, b), NUMERIC),
    "Pow": (5, np.power, FLOAT),
    "Max": (6, np.maximum, NUMERIC),
    "Min": (7, np.minimum, NUMERIC),
}


def _binary_infer(allowed, out_dtype=None):
    """Both inputs of one allowed dtype, broadcast; the output has out_dtype (default: the inputs')."""
    def infer(node, ins):
        (ta, sa), (tb, sb) = known(node, ins[0], "a"), known(node, ins[1], "b")
        check_dtype(node, ta, allowed, "a")
        if tb != ta:
            raise fail(node, f"inputs have different dtypes {ta} and {tb}")
        check_act(node, node.attrs)
        return [(out_dtype or ta, broadcast_shapes(node, sa, sb))]
    return infer


def _binary_reference(fn):
    def reference(inputs, attrs):
        a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
        return [apply_activation(np.asarray(fn(a, b)).astype(a.dtype), attrs)]
    return reference


for _name, (_code, _fn, _dtypes) in BINARY.items():
    define(_name, _code, "elementwise", ("a", "b"), ("y",), dict(FUSED_ACT_ATTRS),
           infer=_binary_infer(_dtypes), reference=_binary_reference(_fn))


def _prelu_infer(node, ins):
    (tx, sx), (ts, ss) = known(node, ins[0], "x"), known(node, ins[1], "slope")
    check_dtype(node, tx, FLOAT, "x")
    check_dtype(node, ts, FLOAT, "slope")
    if len(ss) > len(sx) or broadcast_shapes(node, sx, ss) != tuple(sx):
        raise fail(node, f"slope shape {ss} does not broadcast to x shape {sx} (unidirectional)")
    return [(tx, tuple(sx))]


# ---- comparisons, logic, Mod, Where -------------------------------------------------
COMPARABLE = ("float32", "int8", "uint8", "int32", "int64", "bool")
COMPARE = {  # name: (code, numpy function); output bool
    "Equal": (9, np.equal),
    "Less": (10, np.less),
    "LessOrEqual": (11, np.less_equal),
    "Greater": (12, np.greater),
    "GreaterOrEqual": (13, np.greater_equal),
}
LOGICAL = {"And": (14, np.logical_and), "Or": (15, np.logical_or), "Xor": (16, np.logical_xor)}


for _name, (_code, _fn) in COMPARE.items():
    define(_name, _code, "elementwise", ("a", "b"), ("y",), infer=_binary_infer(COMPARABLE, "bool"),
           reference=lambda ins, at, fn=_fn: [np.asarray(fn(ins[0], ins[1]))])
for _name, (_code, _fn) in LOGICAL.items():
    define(_name, _code, "elementwise", ("a", "b"), ("y",), infer=_binary_infer(("bool",), "bool"),
           reference=lambda ins, at, fn=_fn: [np.asarray(fn(ins[0], ins[1]))])


def _mod_infer(node, ins):
    (out,) = _binary_infer(NUMERIC)(node, ins)
    if REGISTRY["Mod"].attr(node, "fmod") not in (0, 1):
        raise fail(node, f"attribute fmod={node.attrs['fmod']} must be 0 or 1")
    return [out]


def _mod(inputs, attrs):
    """fmod=0: the result takes the divisor's sign (Python/numpy %, also for
    floats as onnx's reference does); fmod=1: C fmod, the dividend's sign."""
    a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
    if a.dtype.kind == "i" and np.any(b == 0):
        raise ZeroDivisionError("integer Mod by zero")
    with np.errstate(invalid="ignore", divide="ignore"):
        return [np.asarray(np.fmod(a, b) if attrs["fmod"] else np.mod(a, b)).astype(a.dtype)]


define("Mod", 17, "elementwise", ("a", "b"), ("y",), {"fmod": Attr("int", 0)}, infer=_mod_infer, reference=_mod)


def _where_infer(node, ins):
    (tc, sc), (tx, sx), (ty, sy) = known(node, ins[0], "condition"), known(node, ins[1], "x"), known(node, ins[2], "y")
    check_dtype(node, tc, ("bool",), "condition")
    if ty != tx:
        raise fail(node, f"x and y have different dtypes {tx} and {ty}")
    return [(tx, broadcast_shapes(node, sc, sx, sy))]


define("Where", 18, "elementwise", ("condition", "x", "y"), ("y",), infer=_where_infer,
       reference=lambda ins, at: [np.asarray(np.where(ins[0], ins[1], ins[2])).astype(np.asarray(ins[1]).dtype)])


define("PRelu", 8, "elementwise", ("x", "slope"), ("y",), infer=_prelu_infer,
       reference=lambda ins, attrs: [np.where(ins[0] < 0, ins[0] * ins[1], ins[0]).astype(ins[0].dtype)])


# ---- unary -------------------------------------------------------------------------
def _act(kind, alpha=None, beta=None):
    """A unary op that is one of the fusable activations (same numpy code)."""
    return lambda x, at: ACTIVATIONS[kind](x, at.get(alpha, 0.0) if alpha else 0.0, at.get(beta, 0.0) if beta else 0.0)


def _softplus(x, at):
    # log(1 + e^x) without overflow for large x
    return np.logaddexp(np.zeros_like(x), x)


def _elu(x, at):
    return np.where(x < 0, at["alpha"] * np.expm1(np.minimum(x, 0)), x)


def _selu(x, at):
    return at["gamma"] * np.where(x <= 0, at["alpha"] * np.expm1(np.minimum(x, 0)), x)


UNARY = {  # name: (code, attrs, fn(x, attrs), dtypes)
    "Relu": (20, {}, _act(ACT_RELU), FLOAT),
    "LeakyRelu": (21, {"alpha": Attr("float", 0.01)}, _act(ACT_LEAKY_RELU, "alpha"), FLOAT),
    "Clip": (22, {"min": Attr("float", float("-inf")), "max": Attr("float", float("inf"))},
             lambda x, at: np.minimum(np.maximum(x, at["min"]), at["max"]), FLOAT),
    "Sigmoid": (23, {}, _act(ACT_SIGMOID), FLOAT),
    "Tanh": (24, {}, _act(ACT_TANH), FLOAT),
    "HardSigmoid": (25, {"alpha": Attr("float", 0.2), "beta": Attr("float", 0.5)},
                    _act(ACT_HARDSIGMOID, "alpha", "beta"), FLOAT),
    "HardSwish": (26, {}, _act(ACT_HARDSWISH), FLOAT),
    "Elu": (27, {"alpha": Attr("float", 1.0)}, _elu, FLOAT),
    "Selu": (28, {"alpha": Attr("float", 1.67326319217681884765625),
                  "gamma": Attr("float", 1.05070102214813232421875)}, _selu, FLOAT),
    "Softplus": (29, {}, _softplus, FLOAT),
    "Sqrt": (30, {}, lambda x, at: np.sqrt(x), FLOAT),
    "Exp": (31, {}, lambda x, at: np.exp(x), FLOAT),
    "Log": (32, {}, lambda x, at: np.log(x), FLOAT),
    "Abs": (33, {}, lambda x, at: np.abs(x), NUMERIC),
    "Neg": (34, {}, lambda x, at: np.negative(x), NUMERIC),
    "Reciprocal": (35, {}, lambda x, at: np.reciprocal(x), FLOAT),
    "Identity": (36, {}, lambda x, at: x.copy(), None),
    "Floor": (42, {}, lambda x, at: np.floor(x), FLOAT),
    "Ceil": (43, {}, lambda x, at: np.ceil(x), FLOAT),
    "Round": (44, {}, lambda x, at: np.round(x), FLOAT),  # half to even, as ONNX
    "Sign": (45, {}, lambda x, at: np.sign(x), NUMERIC),
    "Sin": (46, {}, lambda x, at: np.sin(x), FLOAT),
    "Cos": (47, {}, lambda x, at: np.cos(x), FLOAT),
    "Erf": (48, {}, lambda x, at: erf(x), FLOAT),
    # approximate: "none" (x/2 (1 + erf(x/sqrt2))) or "tanh", as ONNX Gelu (opset 20)
    "Gelu": (49, {"approximate": Attr("string", "none")},
             lambda x, at: ACTIVATIONS[GELU_ACT[at["approximate"]]](x, 0.0, 0.0), FLOAT),
}
GELU_ACT = {"none": ACT_GELU_ERF, "tanh": ACT_GELU_TANH}


def _unary_infer(allowed):
    def infer(node, ins):
        t, s = known(node, ins[0], "x")
        check_dtype(node, t, allowed, "x")
        if node.op == "Gelu" and REGISTRY["Gelu"].attr(node, "approximate") not in GELU_ACT:
            raise fail(node, f"approximate={node.attrs['approximate']!r} is not supported (supported: none, tanh)")
        return [(t, s)]
    return infer


def _unary_reference(fn):
    def reference(inputs, attrs):
        x = np.asarray(inputs[0])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return [np.asarray(fn(x, attrs)).astype(x.dtype)]
    return reference


for _name, (_code, _attrs, _fn, _dtypes) in UNARY.items():
    define(_name, _code, "elementwise", ("x",), ("y",), _attrs,
           infer=_unary_infer(_dtypes), reference=_unary_reference(_fn))


# ---- predicates: bool output -----------------------------------------------------------
def _predicate_unary_infer(allowed):
    def infer(node, ins):
        t, s = known(node, ins[0], "x")
        check_dtype(node, t, allowed, "x")
        return [("bool", s)]
    return infer


def _isinf(x, at):
    return (np.isposinf(x) & bool(at["detect_positive"])) | (np.isneginf(x) & bool(at["detect_negative"]))


define("Not", 39, "elementwise", ("x",), ("y",), infer=_predicate_unary_infer(("bool",)),
       reference=lambda ins, at: [np.logical_not(ins[0])])
define("IsNaN", 40, "elementwise", ("x",), ("y",), infer=_predicate_unary_infer(FLOAT),
       reference=lambda ins, at: [np.isnan(ins[0])])
define("IsInf", 41, "elementwise", ("x",), ("y",),
       {"detect_positive": Attr("int", 1), "detect_negative": Attr("int", 1)},
       infer=_predicate_unary_infer(FLOAT), reference=lambda ins, at: [np.asarray(_isinf(ins[0], at))])


# ---- Cast ------------------------------------------------------------------------------
def _cast_infer(node, ins):
    _, s = known(node, ins[0], "x")
    to = REGISTRY["Cast"].attr(node, "to")
    if to not in DTYPE_BY_CODE:
        raise fail(node, f"attribute to={to} is not a dtype code (known: {DTYPE_BY_CODE})")
    return [(DTYPE_BY_CODE[to], s)]


def _cast_reference(inputs, attrs):
    # float -> int truncates toward zero (numpy astype and C casts agree)
    with np.errstate(invalid="ignore"):
        return [np.asarray(inputs[0]).astype(np_dtype(DTYPE_BY_CODE[attrs["to"]]))]


# to: dtype code (1 float32, 2 float16, 3 int8, 4 uint8, 5 int32, 6 int64, 7 bool)
define("Cast", 38, "elementwise", ("x",), ("y",), {"to": Attr("int")}, infer=_cast_infer, reference=_cast_reference)
