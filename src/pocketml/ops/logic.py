"""Comparison and logic ops: Equal Less LessOrEqual Greater GreaterOrEqual
(bool output), And Or Xor Not (bool), and Where.

Dtypes: comparisons take float32, int8, uint8, int32, int64 and bool; And/Or/
Xor/Not work on bool; Where selects between two tensors of any one dtype.
"""
from __future__ import annotations

import numpy as np

from .registry import define
from ._common import ANY, BOOL, COMPARABLE, binary_infer, broadcast_shapes, known

COMPARE = {  # name: (code, numpy function); output bool
    "Equal": (9, np.equal),
    "Less": (10, np.less),
    "LessOrEqual": (11, np.less_equal),
    "Greater": (12, np.greater),
    "GreaterOrEqual": (13, np.greater_equal),
}
LOGICAL = {"And": (14, np.logical_and), "Or": (15, np.logical_or), "Xor": (16, np.logical_xor)}
_TRAITS = ("elementwise",)

for _name, (_code, _fn) in COMPARE.items():
    define(_name, _code, "logic", ("a: T", "b: T"), ("y: B",), types={"T": COMPARABLE, "B": BOOL},
           traits=_TRAITS + (("commutative",) if _name == "Equal" else ()), infer=binary_infer("bool", False),
           reference=lambda ins, at, fn=_fn: [np.asarray(fn(ins[0], ins[1]))])
for _name, (_code, _fn) in LOGICAL.items():
    define(_name, _code, "logic", ("a: B", "b: B"), ("y: B",), types={"B": BOOL},
           traits=_TRAITS + ("commutative",), infer=binary_infer("bool", False),
           reference=lambda ins, at, fn=_fn: [np.asarray(fn(ins[0], ins[1]))])


def _not_infer(node, ins):
    return [("bool", known(node, ins[0], "x")[1])]


define("Not", 39, "logic", ("x: B",), ("y: B",), types={"B": BOOL}, traits=_TRAITS, infer=_not_infer,
       reference=lambda ins, at: [np.logical_not(ins[0])])


def _where_infer(node, ins):
    (tc, sc), (tx, sx), (ty, sy) = known(node, ins[0], "condition"), known(node, ins[1], "x"), known(node, ins[2], "y")
    return [(tx, broadcast_shapes(node, sc, sx, sy))]


define("Where", 18, "logic", ("condition: B", "x: T", "y: T"), ("y: T",), types={"B": BOOL, "T": ANY},
       traits=_TRAITS, infer=_where_infer,
       reference=lambda ins, at: [np.asarray(np.where(ins[0], ins[1], ins[2])).astype(np.asarray(ins[1]).dtype)])
