"""Comparison and logic ops: Equal Less LessOrEqual Greater GreaterOrEqual
(bool output), And Or Xor Not (bool), Where, and the bitwise ops BitwiseAnd
BitwiseOr BitwiseXor BitwiseNot BitShift (integers, output of the input dtype).

Dtypes are ONNX's among pocketml's: Equal compares any dtype, Less/
LessOrEqual/Greater/GreaterOrEqual every numeric dtype (float16 compared
exactly in float32; anything against NaN is false); And/Or/Xor/Not work on
bool; Where selects between two tensors of any one dtype; the bitwise ops
take every integer dtype (BitShift: unsigned from opset 11, signed from 28).
BitShift follows ONNX opset 28 on every dtype: a right shift of a signed
value is arithmetic, a left shift discards what passes the sign bit, and a
shift by a negative amount or by the bit width or more leaves only the sign
extension (-1 right-shifting a negative value, else 0).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .registry import Attr, define
from ._common import ANY, BOOL, binary_infer, broadcast_shapes, fail, known

ORDERED = tuple(d for d in ANY if d != "bool")  # Less & co.; Equal also compares bool

COMPARE = {  # name: (code, numpy function); output bool
    "Equal": (9, np.equal),
    "Less": (10, np.less),
    "LessOrEqual": (11, np.less_equal),
    "Greater": (12, np.greater),
    "GreaterOrEqual": (13, np.greater_equal),
}
LOGICAL = {"And": (14, np.logical_and), "Or": (15, np.logical_or), "Xor": (16, np.logical_xor)}
BITWISE = {"BitwiseAnd": (230, np.bitwise_and), "BitwiseOr": (231, np.bitwise_or),
           "BitwiseXor": (232, np.bitwise_xor)}
INTEGERS = tuple(d.name for d in dtypes.ALL if d.kind in ("signed", "unsigned"))  # in dtype-code order
_TRAITS = ("elementwise",)

for _name, (_code, _fn) in COMPARE.items():
    define(_name, _code, "logic", ("a: T", "b: T"), ("y: B",), types={"T": ANY if _name == "Equal" else ORDERED, "B": BOOL},
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
       traits=_TRAITS + ("quant_transparent",), infer=_where_infer,
       reference=lambda ins, at: [np.asarray(np.where(ins[0], ins[1], ins[2])).astype(np.asarray(ins[1]).dtype)])


# ---- bitwise ops: integers, output of the input dtype -------------------------------------
for _name, (_code, _fn) in BITWISE.items():
    define(_name, _code, "logic", ("a: T", "b: T"), ("y: T",), types={"T": INTEGERS},
           traits=_TRAITS + ("commutative",), infer=binary_infer(fused_act=False),
           reference=lambda ins, at, fn=_fn: [np.asarray(fn(ins[0], ins[1]))])
define("BitwiseNot", 233, "logic", ("x: T",), ("y: T",), types={"T": INTEGERS},
       traits=_TRAITS, infer=lambda node, ins: [known(node, ins[0], "x")],
       reference=lambda ins, at: [np.invert(ins[0])])


def _bitshift_infer(node, ins):
    if node.attrs.get("direction") not in ("LEFT", "RIGHT"):  # required, no default
        raise fail(node, f"attribute direction={node.attrs.get('direction')!r} must be 'LEFT' or 'RIGHT'")
    return binary_infer(fused_act=False)(node, ins)


def _bitshift(ins, at):
    x, s = np.broadcast_arrays(np.asarray(ins[0]), np.asarray(ins[1]))
    bits = x.dtype.itemsize * 8
    ok = (s >= 0) & (s < bits)
    s = np.where(ok, s, 0).astype(x.dtype)
    zero = np.zeros_like(x)  # out of range: the sign fill alone (~0 = -1 right-shifting a negative x)
    if at["direction"] == "LEFT":  # numpy wraps what passes the sign bit
        return [np.where(ok, np.left_shift(x, s), zero)]
    return [np.where(ok, np.right_shift(x, s), np.where(x < 0, ~zero, zero))]


# x: T, y: T (shift amounts, same dtype), direction LEFT/RIGHT (required)
define("BitShift", 234, "logic", ("x: T", "y: T"), ("z: T",), {"direction": Attr("string")}, types={"T": INTEGERS},
       traits=_TRAITS, infer=_bitshift_infer, reference=_bitshift)
