"""TFLite comparisons, logical ops, selection, integer-aware arithmetic (FLOOR_DIV,
FLOOR_MOD, SQUARE, ADD_N), SIN/COS, FLOOR/CEIL/ROUND/SIGN/ELU and the
reductions REDUCE_PROD/ANY/ALL: pocketml against the LiteRT interpreter, for
each dtype LiteRT runs the op on, at awkward and broadcasting shapes. A numpy expectation pins the semantics we
assume (LiteRT is checked against it first).
"""
from __future__ import annotations

import numpy as np

from .tflite_builder import build_model
from .test_ops import F32, case_adders, litert_tests, rand

RNG = np.random.default_rng(97)
CASES = []
add, add_op = case_adders(CASES)

OP_LIST = """LESS LESS_EQUAL GREATER GREATER_EQUAL EQUAL NOT_EQUAL LOGICAL_AND LOGICAL_OR LOGICAL_NOT SELECT
SELECT_V2 FLOOR_DIV FLOOR_MOD SQUARE ADD_N SIN COS FLOOR CEIL ROUND SIGN ELU REDUCE_PROD REDUCE_ANY
REDUCE_ALL""".split()


def values(dtype, *shape, low=-9, high=9):
    """Random values of ``dtype``: small integers (so ties and equal values occur), bools, floats."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.asarray(RNG.random(shape) < 0.5)
    if dtype.kind == "u":
        low = max(low, 0)
    if dtype.kind in "iu":
        return np.asarray(RNG.integers(low, high, size=shape, endpoint=True), dtype)
    return np.asarray(np.round(rand(*shape, low=low, high=high), 1))  # one decimal: some values compare equal


def tag(a) -> str:
    return "x".join(map(str, a.shape)) or "scalar"


# ---- comparisons ------------------------------------------------------------------------------
NUMBERS = ("float32", "int32", "int64", "int8", "uint8", "int16")
COMPARE = {"LESS": np.less, "LESS_EQUAL": np.less_equal, "GREATER": np.greater, "GREATER_EQUAL": np.greater_equal,
           "EQUAL": np.equal, "NOT_EQUAL": np.not_equal}
for op, fn in COMPARE.items():
    # (LiteRT compares int8/uint8 only as quantized tensors: it aborts on plain ones; its int16
    # NOT_EQUAL answers wrongly, e.g. [0 1 2 0] != [0] gives [1 1 1 1])
    for dt in ("float32", "int32", "int64") + (("int16",) if op != "NOT_EQUAL" else ()) + \
            (("bool",) if op in ("EQUAL", "NOT_EQUAL") else ()):
        a, b = values(dt, 2, 3, 5, low=-3, high=3), values(dt, 3, 1, low=-3, high=3)
        add_op(f"{op.lower()}-{dt}-broadcast", op, {"a": a, "b": b}, out="bool", expected=fn(a, b))
    a, c = values("float32", 13), np.array(0.5, np.float32)
    add_op(f"{op.lower()}-const-scalar", op, {"a": a}, {"c": c}, out="bool", expected=fn(a, c))

# ---- logical ------------------------------------------------------------------------------------
for op, fn in (("LOGICAL_AND", np.logical_and), ("LOGICAL_OR", np.logical_or)):
    a, b = values("bool", 2, 1, 7), values("bool", 3, 7)
    add_op(f"{op.lower()}-broadcast", op, {"a": a, "b": b}, out="bool", expected=fn(a, b))
    add_op(f"{op.lower()}-same", op, {"a": values("bool", 13), "b": values("bool", 13)}, out="bool")
a = values("bool", 3, 1, 13)
add_op("logical_not", "LOGICAL_NOT", {"a": a}, out="bool", expected=~a)

# ---- SELECT / SELECT_V2 ---------------------------------------------------------------------------
ANY = NUMBERS + ("bool",)
for dt in ANY:
    cond, x, y = values("bool", 3, 1), values(dt, 2, 3, 4), values(dt, 4)
    add_op(f"select_v2-{dt}-broadcast", "SELECT_V2", {"c": cond, "t": x, "f": y}, out=dt,
           expected=np.where(cond, x, y))
    cond, x, y = values("bool", 3, 4, 5), values(dt, 3, 4, 5), values(dt, 3, 4, 5)
    add_op(f"select-{dt}-same-shape", "SELECT", {"c": cond, "t": x, "f": y}, out=dt, expected=np.where(cond, x, y))
cond, x, y = values("bool", 3), values(F32, 3, 4, 5), values(F32, 3, 4, 5)
add_op("select-rank1-condition", "SELECT", {"c": cond, "t": x, "f": y}, expected=np.where(cond[:, None, None], x, y))
add_op("select-scalar-condition", "SELECT", {"c": np.array(False), "t": x, "f": y}, expected=y)
quant = {"scale": [0.5], "zero_point": [3]}  # quantized branches: the stored integers are copied
add("select_v2-quantized-int8", build_model(
    [("SELECT_V2", ["c", "t", "f"], ["y"], None)],
    {"c": ("bool", (2, 3), None), "t": ("int8", (2, 3), None, None, quant), "f": ("int8", (1, 3), None, None, quant),
     "y": ("int8", (2, 3), None, None, quant)}, ["c", "t", "f"], ["y"]),
    [values("bool", 2, 3), values("int8", 2, 3), values("int8", 1, 3)])
# (a move whose output has other parameters than its inputs is refused: tests/converters/tflite/test_quantized_tensors.py)
add("select-rank1-condition-symbolic-batch", build_model(
    [("SELECT", ["c", "t", "f"], ["y"], None)],
    {"c": ("bool", (-1,), None), "t": (F32, (-1, 4), None), "f": (F32, (-1, 4), None), "y": (F32, (-1, 4), None)},
    ["c", "t", "f"], ["y"]), [np.array([True]), rand(1, 4), rand(1, 4)])
cond, x, y = values("bool", 7), values("int32", 7), values("int32", 7)
add_op("select-rank1-all", "SELECT", {"c": cond, "t": x, "f": y}, out="int32", expected=np.where(cond, x, y))
add_op("select_v2-scalar-condition-const-branches", "SELECT_V2", {"c": np.array(False)}, {"t": x, "f": y}, out="int32",
       expected=y)


# ---- FLOOR_DIV / FLOOR_MOD ------------------------------------------------------------------------
def nonzero(dt, *shape):
    v = values(dt, *shape, low=-7, high=7)
    return np.where(v == 0, np.ones((), v.dtype) * 3, v).astype(v.dtype)


def tf_floor_mod(a, b):
    return np.mod(a, b) if a.dtype.kind in "iu" else (a - np.floor(a / b) * b).astype(a.dtype)


for op, fn, dts in (("FLOOR_DIV", np.floor_divide, ("float32", "int32", "int8", "int16")),  # (LiteRT: no int64)
                    ("FLOOR_MOD", np.mod, ("float32", "int32", "int64", "int8", "int16"))):
    for dt in dts:
        a, b = values(dt, 2, 3, 5, low=-60, high=60), nonzero(dt, 3, 1)
        expected = fn(a, b).astype(dt) if dt != "float32" or op == "FLOOR_DIV" else None
        add_op(f"{op.lower()}-{dt}-broadcast", op, {"a": a, "b": b}, out=dt, expected=expected, tol=1e-5)
        add_op(f"{op.lower()}-{dt}-const-divisor", op, {"a": a}, {"b": nonzero(dt, 5)}, out=dt, tol=1e-5)
# the extremes: the dtype's minimum divided by a positive divisor (a naive (a - a mod b) / b overflows)
for dt in ("int8", "int32"):
    info = np.iinfo(dt)
    a, b = np.array([info.min, info.min + 1, info.max, -1, 1, 0, -7, 7], dt), np.array([3, 7, -2, 5, -5, 9, 2, -2], dt)
    add_op(f"floor_div-{dt}-extremes", "FLOOR_DIV", {"a": a, "b": b}, out=dt, expected=np.floor_divide(a, b))
    add_op(f"floor_mod-{dt}-extremes", "FLOOR_MOD", {"a": a, "b": b}, out=dt, expected=np.mod(a, b))
a, b = np.array([-128, 127, -1, 5], np.int8), np.array([-128, -128, -128, -128], np.int8)
add_op("floor_div-int8-min-divisor", "FLOOR_DIV", {"a": a, "b": b}, out="int8", expected=np.floor_divide(a, b))

# ---- SQUARE, ADD_N, SIN, COS -----------------------------------------------------------------------
v = rand(2, 13, low=-40, high=40)
add_op("square", "SQUARE", {"x": v}, expected=v * v)  # (LiteRT: float32 only)
for dt in ("float32", "int32"):
    a, b, c = values(dt, 3, 7), values(dt, 3, 7), values(dt, 3, 7)
    add_op(f"add_n-{dt}-3", "ADD_N", {"a": a, "b": b, "c": c}, out=dt, expected=(a + b + c).astype(dt))
add_op("add_n-2-const", "ADD_N", {"a": rand(5, 3)}, {"b": rand(5, 3)})
for op, fn in (("SIN", np.sin), ("COS", np.cos)):
    v = rand(3, 17, low=-10, high=10)
    add_op(op.lower(), op, {"x": v}, expected=fn(v).astype(np.float32), tol=2e-6)

v = np.concatenate([rand(3, 13, low=-6, high=6).ravel(), np.arange(-3.5, 4, 1, dtype=np.float32), [0, -0.0]])
for op, fn in (("FLOOR", np.floor), ("CEIL", np.ceil), ("ROUND", np.round), ("SIGN", np.sign),
               ("ELU", lambda a: np.where(a < 0, np.expm1(a), a))):
    add_op(op.lower(), op, {"x": v.astype(np.float32)}, expected=fn(v).astype(np.float32), tol=2e-6)
v = values("int32", 17)
add_op("sign-int32", "SIGN", {"x": v}, out="int32", expected=np.sign(v))

# ---- REDUCE_PROD / REDUCE_ANY / REDUCE_ALL ---------------------------------------------------------
for dt in ("float32", "int32", "int64"):
    v = values(dt, 2, 3, 5, low=-2, high=2) if dt != "float32" else rand(2, 3, 5, low=0.5, high=1.5)
    for axes, keep in (((1,), True), ((0, -1), False)):
        add_op(f"reduce_prod-{dt}-axes{'_'.join(map(str, axes))}-keep{keep}", "REDUCE_PROD", {"x": v},
               {"axes": np.array(axes, np.int32)}, {"keep_dims": keep}, out=dt,
               expected=np.prod(v, axis=axes, keepdims=keep).astype(dt), tol=1e-5)
for op, fn in (("REDUCE_ANY", np.any), ("REDUCE_ALL", np.all)):
    v = RNG.random((4, 3, 5)) < (0.15 if op == "REDUCE_ANY" else 0.85)
    for axes, keep in (((2,), False), ((0, 1), True), ((-1, 0), False)):
        add_op(f"{op.lower()}-axes{'_'.join(map(str, axes))}-keep{keep}", op, {"x": v},
               {"axes": np.array(axes, np.int32)}, {"keep_dims": keep}, out="bool",
               expected=fn(v, axis=axes, keepdims=keep))


test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)
