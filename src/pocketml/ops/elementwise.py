"""Binary arithmetic ops with numpy broadcasting: Add Sub Mul Div Pow Max Min
Mod PRelu.

Add/Sub/Mul/Div/Pow/Max/Min carry fused-activation attributes (act,
act_alpha, act_beta) so a following Relu/Clip/Gelu/... can be folded into
them. PRelu broadcasts slope to x (unidirectional).
Dtypes: float32; Add/Sub/Mul/Div/Max/Min/Mod also int32/int64 (integer Div
truncates toward zero, as C and onnxruntime do; Mod follows its fmod
attribute).
"""
from __future__ import annotations

import numpy as np

from .registry import FUSED_ACT_ATTRS, REGISTRY, Attr, define
from ._common import FLOAT, NUMERIC, apply_activation, binary_infer, broadcast_shapes, fail, known
from .logic import COMPARE, LOGICAL  # noqa: F401  (re-exported: importers list them with BINARY)


def _int_div(a, b):
    if np.any(b == 0):
        raise ZeroDivisionError("integer Div by zero")
    q = np.abs(a) // np.abs(b)
    return (np.sign(a) * np.sign(b) * q).astype(np.result_type(a, b))


# Pow carries the act attributes too but the fusion pass does not fuse into it (no fusable_producer).
_FUSE = ("fusable_producer",)
BINARY = {  # name: (code, numpy function, dtypes, traits)
    "Add": (1, np.add, NUMERIC, _FUSE + ("commutative", "quantizable")),
    "Sub": (2, np.subtract, NUMERIC, _FUSE),
    "Mul": (3, np.multiply, NUMERIC, _FUSE + ("commutative", "quantizable")),
    "Div": (4, lambda a, b: _int_div(a, b) if a.dtype.kind == "i" else np.divide(a, b), NUMERIC, _FUSE),
    "Pow": (5, np.power, FLOAT, ()),
    "Max": (6, np.maximum, NUMERIC, _FUSE + ("commutative",)),
    "Min": (7, np.minimum, NUMERIC, _FUSE + ("commutative",)),
}
BINARY_TRAITS = ("elementwise", "layout_agnostic")


def _binary_reference(fn):
    def reference(inputs, attrs):
        a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
        return [apply_activation(np.asarray(fn(a, b)).astype(a.dtype), attrs)]
    return reference


for _name, (_code, _fn, _dtypes, _traits) in BINARY.items():
    define(_name, _code, "elementwise", ("a: T", "b: T"), ("y: T",), dict(FUSED_ACT_ATTRS),
           types={"T": _dtypes}, traits=BINARY_TRAITS + _traits,
           infer=binary_infer(), reference=_binary_reference(_fn))


def _mod_infer(node, ins):
    (out,) = binary_infer(fused_act=False)(node, ins)
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


define("Mod", 17, "elementwise", ("a: T", "b: T"), ("y: T",), {"fmod": Attr("int", 0)}, types={"T": NUMERIC},
       traits=("elementwise",), infer=_mod_infer, reference=_mod)


def _prelu_infer(node, ins):
    (tx, sx), (ts, ss) = known(node, ins[0], "x"), known(node, ins[1], "slope")
    if len(ss) > len(sx) or broadcast_shapes(node, sx, ss) != tuple(sx):
        raise fail(node, f"slope shape {ss} does not broadcast to x shape {sx} (unidirectional)")
    return [(tx, tuple(sx))]


define("PRelu", 8, "elementwise", ("x: T", "slope: T"), ("y: T",), types={"T": FLOAT},
       traits=("elementwise", "layout_agnostic"), infer=_prelu_infer,
       reference=lambda ins, attrs: [np.where(ins[0] < 0, ins[0] * ins[1], ins[0]).astype(ins[0].dtype)])
