"""TFLite index, shape and filler ops (SHAPE, FILL, RANGE, ZEROS_LIKE,
REVERSE_V2, CUMSUM, ONE_HOT, SCATTER_ND, EMBEDDING_LOOKUP) and the parameters
computed at run time (FILL dims, RANGE bounds, CUMSUM axis, ONE_HOT depth,
SCATTER_ND shape, TILE multiples, BROADCAST_TO shape): pocketml against the
LiteRT interpreter for each dtype LiteRT runs the op on, with a numpy
expectation pinning the semantics (LiteRT is checked against it first).
"""
from __future__ import annotations

import numpy as np
import pytest

from .tflite_builder import build_model
from .test_ops import F32, case_adders, i32, litert_tests, rand
from .test_ops_logic import RNG, values

CASES = []
add, add_op = case_adders(CASES)

OP_LIST = """SHAPE FILL RANGE ZEROS_LIKE REVERSE_V2 CUMSUM ONE_HOT SCATTER_ND EMBEDDING_LOOKUP""".split()
ANY = ("float32", "int32", "int64", "int8", "uint8", "int16", "bool")


def scalar(v, dt):
    return np.array(v, dt)


def runtime_model(op, feeds: dict, consts: dict, out: tuple, options=None):
    """One op whose graph inputs ``feeds`` (names -> arrays) come first unless ``consts`` hold
    an entry "order" naming the op's inputs in order; ``out`` is (dtype, shape) of its output."""
    order = consts.pop("order", list(feeds) + list(consts))
    tensors = {n: (a.dtype.name, a.shape, None) for n, a in feeds.items()}
    tensors.update({n: (a.dtype.name, a.shape, a) for n, a in consts.items()})
    tensors["y"] = (out[0], out[1], None)
    return build_model([(op, order, ["y"], options)], tensors, list(feeds), ["y"])


def add_model(case_id, op, feeds, consts, expected, options=None):
    add(case_id, runtime_model(op, feeds, dict(consts), (expected.dtype.name, expected.shape), options),
        feeds.values(), expected)


# ---- SHAPE, FILL, ZEROS_LIKE, ONES_LIKE --------------------------------------------------------------
for dt, shape, out in (("float32", (2, 3, 5), "int32"), ("int8", (7,), "int64"), ("bool", (1, 4, 1, 2), "int32")):
    v = values(dt, *shape)
    add_op(f"shape-{dt}-{out}", "SHAPE", {"x": v}, options={"out_type": out.upper()}, out=out,
           expected=np.array(shape, out))
for dt in ("float32", "int32", "int64", "int8", "int16", "bool"):
    v = values(dt)
    dims = np.array([2, 3, 4], np.int32 if dt != "int64" else np.int64)
    add_model(f"fill-{dt}-const-dims-runtime-value", "FILL", {"v": v}, {"d": dims, "order": ["d", "v"]},
                np.full(dims, v))
for dt in ("float32", "int32", "int64"):  # (TFLite has no ONES_LIKE builtin)
    v = values(dt, 2, 3, 5)
    add_op(f"zeros_like-{dt}", "ZEROS_LIKE", {"x": v}, out=dt, expected=np.zeros(v.shape, dt))

# ---- RANGE (constant bounds fold into a constant; run-time ones: see the end) -----------------------
for dt, (start, limit, delta) in (("int32", (2, 17, 3)), ("int32", (10, -3, -4)), ("int64", (-5, 5, 1)),
                                  ("float32", (0.5, 3.7, 0.4)), ("float32", (4.0, -1.0, -1.5)),
                                  # LiteRT's float32 length: 6 (float64 says 6.0000001, so 7)
                                  ("float32", (0.5, 1.7, 0.2)), ("float32", (-1.8, 1.6000001, 0.2))):
    b = dict(zip("sld", (scalar(v, dt) for v in (start, limit, delta))))
    n = int(np.ceil(np.abs((b["l"] - b["s"]) / b["d"])))
    add_model(f"range-{dt}-{start}-{limit}-{delta}", "RANGE", {"x": values("float32", 2)},
              {**b, "order": ["s", "l", "d"]}, (b["s"] + np.arange(n) * b["d"]).astype(dt))

# ---- REVERSE_V2 ------------------------------------------------------------------------------------
for dt in ANY:
    v = values(dt, 3, 4, 5)
    for axes in ((1,), (-1,), (1, 2), (0, 1)):  # (LiteRT: contiguous axes only)
        add_op(f"reverse_v2-{dt}-axes{'_'.join(map(str, axes))}", "REVERSE_V2", {"x": v},
               {"a": np.array(axes, np.int32)},
               out=dt, expected=np.flip(v, axes))
v = rand(13)
add_op("reverse_v2-rank1", "REVERSE_V2", {"x": v}, {"a": np.array([0], np.int32)}, expected=v[::-1])


# ---- CUMSUM ------------------------------------------------------------------------------------------
def np_cumsum(v, axis, exclusive, reverse):
    y = np.flip(v, axis) if reverse else v
    c = np.cumsum(y, axis=axis, dtype=v.dtype)
    if exclusive:
        c = c - y
    return np.flip(c, axis) if reverse else c


for dt in ("float32", "int32", "int64"):
    v = values(dt, 3, 4, 7)
    for axis, exclusive, reverse in ((1, False, False), (-1, True, False), (0, False, True), (2, True, True)):
        add_op(f"cumsum-{dt}-axis{axis}-excl{exclusive}-rev{reverse}", "CUMSUM", {"x": v},
               {"a": scalar(axis, np.int32)}, {"exclusive": exclusive, "reverse": reverse}, out=dt,
               expected=np_cumsum(v, axis, exclusive, reverse), tol=1e-5)
v = rand(5, 13)
add_model("cumsum-runtime-axis", "CUMSUM", {"x": v, "a": scalar(1, np.int32)}, {},  # (the runtime reads it)
            np_cumsum(v, 1, True, False), {"exclusive": True})


# ---- ONE_HOT -----------------------------------------------------------------------------------------
def np_one_hot(idx, depth, on, off, axis):
    hot = np.expand_dims(idx, axis % (idx.ndim + 1)) == \
        np.arange(depth).reshape((-1,) + (1,) * (idx.ndim - axis % (idx.ndim + 1)))
    return np.where(hot, on, off).astype(np.asarray(on).dtype)


idx = np.array([[0, 3, -1], [4, 5, 2]], np.int32)  # -1 and 5 (= depth) match nothing
for dt in ("float32", "int32", "int64", "int8", "uint8", "bool"):  # (LiteRT: no int16)
    on, off = (scalar(True, dt), scalar(False, dt)) if dt == "bool" else (scalar(7, dt), scalar(2, dt))
    for axis in (-1, 0, 1):
        add_op(f"one_hot-{dt}-axis{axis}", "ONE_HOT", {"i": idx}, {"d": scalar(5, np.int32), "on": on, "off": off},
               {"axis": axis}, out=dt, expected=np_one_hot(idx, 5, on, off, axis))
i64 = idx.astype(np.int64)
add_op("one_hot-int64-indices", "ONE_HOT", {"i": i64}, {"d": scalar(5, np.int32), "on": scalar(1.5, F32),
                                                          "off": scalar(-0.5, F32)}, {"axis": -1},
       expected=np_one_hot(i64, 5, np.float32(1.5), np.float32(-0.5), -1))
add_model("one_hot-runtime-values", "ONE_HOT", {"i": idx, "on": scalar(3.0, F32), "off": scalar(0.25, F32)},
          {"d": scalar(6, np.int32), "order": ["i", "d", "on", "off"]},
          np_one_hot(idx, 6, np.float32(3.0), np.float32(0.25), -1),
          {"axis": -1})


# ---- SCATTER_ND, EMBEDDING_LOOKUP ------------------------------------------------------------------------
def np_scatter_nd(idx, upd, shape):
    out = np.zeros(shape, upd.dtype)
    for i in np.ndindex(idx.shape[:-1]):
        out[tuple(idx[i])] += upd[i]  # duplicates add up
    return out


for dt in ("float32", "int32", "int64", "int8", "uint8", "bool"):
    idx = np.array([[1], [3], [1]] if dt != "bool" else [[1], [3], [0]], np.int32)  # (bools do not add up)
    upd = values(dt, 3, 4, low=0, high=5)
    add_model(f"scatter_nd-{dt}-rows", "SCATTER_ND", {"u": upd},
                {"i": idx, "s": np.array([5, 4], np.int32), "order": ["i", "u", "s"]}, np_scatter_nd(idx, upd, (5, 4)))
idx = np.array([[[0, 1], [2, 2]], [[0, 1], [1, 0]]], np.int32)
upd = rand(2, 2)
add_model("scatter_nd-elements-runtime-indices", "SCATTER_ND", {"i": idx, "u": upd},
            {"s": np.array([3, 3], np.int32)}, np_scatter_nd(idx, upd, (3, 3)))
table = rand(6, 3)
for ids in (np.array([4, 0, 4, 5], np.int32), np.array([3], np.int32)):  # (TFLite: 1-D ids)
    add_op(f"embedding_lookup-float32-ids{len(ids)}", "EMBEDDING_LOOKUP", {"ids": ids}, {"w": table},
           expected=table[ids])
add_model("embedding_lookup-runtime-table", "EMBEDDING_LOOKUP", {"ids": np.array([2, 2, 0], np.int32), "w": table},
            {}, table[[2, 2, 0]])

for dt in ("int8", "uint8"):  # integer tables into their own dtype: rows copied
    q = values(dt, 6, 4, low=-100, high=100)
    add_op(f"embedding_lookup-{dt}", "EMBEDDING_LOOKUP", {"ids": np.array([5, 1, 1], np.int32)}, {"w": q}, out=dt,
           expected=q[[5, 1, 1]])
# hybrid lookups: an int8 / uint8 table read into float32, scaled per tensor or per row (LiteRT reads the
# bytes as int8 and refuses a non-zero zero point)
ids = np.array([4, 0, 4, 5, 1], np.int32)
for dt, n_scales in (("int8", 1), ("int8", 6), ("uint8", 1), ("uint8", 6)):
    q = RNG.integers(0 if dt == "uint8" else -128, 256 if dt == "uint8" else 128, size=(6, 2, 3)).astype(dt)
    scales = RNG.uniform(0.01, 0.2, size=n_scales).astype(np.float32)
    quant = {"scale": scales.tolist(), "zero_point": [0] * n_scales}
    rows = q.view(np.int8)[ids].astype(np.float32) * (scales[ids].reshape(-1, 1, 1) if n_scales > 1 else scales[0])
    add(f"embedding_lookup-hybrid-{dt}-{n_scales}scales",
        build_model([("EMBEDDING_LOOKUP", ["ids", "w"], ["y"], None)],
                    {"ids": ("int32", ids.shape, None), "w": (dt, q.shape, q, None, quant),
                     "y": (F32, (5, 2, 3), None)},
                    ["ids"], ["y"]), [ids], rows.astype(np.float32))

# ---- existing data-movement and index ops on every dtype LiteRT moves ---------------------------------
for dt in ANY:
    v = values(dt, 3, 1, 4)
    add_op(f"squeeze-{dt}", "SQUEEZE", {"x": v}, options={"squeeze_dims": [1]}, out=dt, expected=v[:, 0])
    add_op(f"tile-{dt}", "TILE", {"x": v}, {"m": np.array([1, 2, 3], np.int32)}, out=dt, expected=np.tile(v, (1, 2, 3)))
    add_op(f"broadcast_to-{dt}", "BROADCAST_TO", {"x": v}, {"s": np.array([2, 3, 5, 4], np.int32)},
           {"_version": 2}, out=dt, expected=np.broadcast_to(v, (2, 3, 5, 4)).copy())
    add_op(f"gather_nd-{dt}", "GATHER_ND", {"x": v}, {"i": np.array([[2, 0], [0, 0]], np.int32)}, out=dt,
           expected=v[[2, 0], [0, 0]])
    add_op(f"gather-{dt}", "GATHER", {"x": v}, {"i": np.array([3, 0, 3], np.int32)}, {"axis": 2}, out=dt,
           expected=v[:, :, [3, 0, 3]])
    # (LiteRT: no bool PACK or SPLIT, no int64 UNPACK)
    if dt != "bool":
        add_op(f"pack-{dt}", "PACK", {"a": v, "b": values(dt, 3, 1, 4)}, options={"values_count": 2, "axis": 1}, out=dt)
    if dt != "int64":
        add_op(f"unpack-{dt}", "UNPACK", {"x": v}, options={"num": 3, "axis": 0}, out=dt, n_out=3)
    if dt != "bool":
        add(f"split-{dt}", build_model([("SPLIT", ["a", "x"], ["y0", "y1"], {"num_splits": 2})],
                                       {"a": ("int32", (), np.array(2, np.int32)), "x": (dt, (3, 1, 4), None),
                                        "y0": (dt, (3, 1, 2), None), "y1": (dt, (3, 1, 2), None)}, ["x"], ["y0", "y1"]),
            [v])
# GATHER with batch_dims (the axis right after the batch dims, or later; negative batch_dims)
params = rand(2, 3, 5, 4)
for idx_shape, axis, bd in (((2, 4), 1, 1), ((2, 3, 2, 2), 2, 2), ((2, 6), 2, 1), ((2, 3), 3, 1), ((2, 3, 2), 3, -1)):
    i = RNG.integers(0, params.shape[axis], size=idx_shape).astype(np.int32)
    b = bd % len(idx_shape)
    want = np.stack([np.take(params[k], i[k], axis=axis - 1) for k in range(2)]) if b == 1 else np.stack([
        np.stack([np.take(params[k, j], i[k, j], axis=axis - 2) for j in range(3)]) for k in range(2)])
    add_op(f"gather-batch_dims{bd}-axis{axis}-idx{'x'.join(map(str, idx_shape))}", "GATHER", {"x": params}, {"i": i},
           {"axis": axis, "batch_dims": bd}, expected=want)
for dt in ("float32", "int32"):
    a, b = values(dt, 2, 3, 5), values(dt, 3, 1)
    add_op(f"squared_difference-{dt}", "SQUARED_DIFFERENCE", {"a": a, "b": b}, out=dt,
           expected=((a - b) ** 2).astype(dt))
for dt in ("float32", "int32", "int8", "uint8"):  # (int8/uint8 as plain integers)
    v = values(dt, 3, 4, 5)
    for op, fn in (("ARG_MAX", np.argmax), ("ARG_MIN", np.argmin)):
        add_op(f"{op.lower()}-{dt}", op, {"x": v}, {"a": scalar(1, np.int32)}, {"output_type": "INT32"}, out="int32",
               expected=fn(v, axis=1).astype(np.int32))

# ---- parameters computed at run time: shape computations on an input with a symbolic batch -----------
# (a parameter read from a graph input's values is data-dependent; the runtime needs shapes while planning)
def shape_param_model(x_shape, ops, tensors, out_shape, out_dtype=F32, feeds=("x",)):
    """SHAPE of "x" (``x_shape`` with a -1 batch) into "s" (int32), then ``ops``; "y" is the output."""
    tensors = {"x": (F32, x_shape, None), "s": ("int32", (len(x_shape),), None), **tensors,
               "y": (out_dtype, out_shape, None)}
    return build_model([("SHAPE", ["x"], ["s"], {"out_type": "INT32"})] + ops, tensors, list(feeds), ["y"])


def dim_ops(axis, out="n"):
    """STRIDED_SLICE of "s" shrinking to the scalar dim ``axis``."""
    return [("STRIDED_SLICE", ["s", "b", "e", "st"], [out], {"shrink_axis_mask": 1})], {
        "b": ("int32", (1,), np.array([axis], np.int32)), "e": ("int32", (1,), np.array([axis + 1], np.int32)),
        "st": ("int32", (1,), np.array([1], np.int32)), out: ("int32", (), None)}


x = rand(1, 7)
add("fill-runtime-dims", shape_param_model((-1, 7), [("FILL", ["s", "v"], ["y"], None)],
                                           {"v": (F32, (), scalar(2.5, F32))}, (-1, 7)), [x], np.full((1, 7), 2.5, F32))
ops, t = dim_ops(1)
for dt, start, delta in (("int32", 1, 2), ("float32", 0.5, 1.5)):
    cast = [("CAST", ["n"], ["nf"], None)] if dt == "float32" else []
    t2 = {**t, "nf": (F32, (), None), "r0": (dt, (), scalar(start, dt)), "dr": (dt, (), scalar(delta, dt))}
    add(f"range-{dt}-runtime-limit", shape_param_model((-1, 7), ops + cast + [
        ("RANGE", ["r0", "nf" if cast else "n", "dr"], ["y"], None)], t2, (-1,), dt),
        [x], np.arange(start, 7, delta, dtype=dt))
idx = np.array([[0, 6, -2], [7, 3, 3]], np.int32)
add("one_hot-runtime-depth",
    shape_param_model((-1, 7), ops + [("ONE_HOT", ["i", "n", "on", "off"], ["y"], {"axis": 1})],
                      {**t, "i": ("int32", idx.shape, None), "on": (F32, (), scalar(1.0, F32)),
                       "off": (F32, (), scalar(0.0, F32))}, (2, -1, 3), feeds=("x", "i")),
    [x, idx], np_one_hot(idx, 7, np.float32(1), np.float32(0), 1))
upd = rand(2, 3)
add("scatter_nd-runtime-shape", shape_param_model((-1, 3), [("SCATTER_ND", ["i", "u", "s"], ["y"], None)],
                                                  {"i": ("int32", (2, 1), np.array([[0], [0]], np.int32)),
                                                   "u": (F32, (2, 3), None)}, (-1, 3), feeds=("x", "u")),
    [rand(1, 3), upd], upd.sum(0, keepdims=True))
v = rand(2, 3)
add("tile-runtime-multiples",
    shape_param_model((-1, 2), [("TILE", ["v", "s"], ["y"], None)], {"v": (F32, (2, 3), None)}, (-1, 6),
                      feeds=("x", "v")), [rand(1, 2), v], np.tile(v, (1, 2)))
v = rand(4, 1)
add("broadcast_to-runtime-shape", shape_param_model((-1, 4, 5), [("BROADCAST_TO", ["v", "s"], ["y"], {"_version": 2})],
                                                    {"v": (F32, (4, 1), None)}, (-1, 4, 5), feeds=("x", "v")),
    [rand(1, 4, 5), v], np.broadcast_to(v, (1, 4, 5)).copy())
# ZEROS_LIKE and SHAPE (int64) of a symbolic batch: the IR's Shape at run time
x = rand(1, 3)
add("zeros_like-symbolic-batch", build_model([("ZEROS_LIKE", ["x"], ["y"], None)],
                                             {"x": (F32, (-1, 3), None), "y": (F32, (-1, 3), None)}, ["x"], ["y"]),
    [x], np.zeros((1, 3), F32))
add("shape-int64-symbolic-batch", build_model([("SHAPE", ["x"], ["y"], {"out_type": "INT64"})],
                                              {"x": (F32, (-1, 3), None), "y": ("int64", (2,), None)}, ["x"], ["y"]),
    [x], np.array([1, 3], np.int64))
# Keras' initial RNN state, tf.zeros([batch, units]): SHAPE, STRIDED_SLICE, PACK, FILL, then used
ops0, t0 = dim_ops(0, "batch")
x = rand(1, 7)
add("keras-zero-state-fill", shape_param_model((-1, 7), ops0 + [
    ("PACK", ["batch", "units"], ["dims"], {"values_count": 2, "axis": 0}), ("FILL", ["dims", "zero"], ["h0"], None),
    ("ADD", ["h0", "bias"], ["y"], None)], {**t0, "units": ("int32", (), scalar(5, np.int32)),
                                             "dims": ("int32", (2,), None), "zero": (F32, (), scalar(0.0, F32)),
                                             "h0": (F32, (-1, 5), None), "bias": (F32, (5,), np.arange(5, dtype=F32))},
    (-1, 5)), [x], np.arange(5, dtype=F32)[None])
v = rand(3, 4)
add("reverse_v2-runtime-axes", shape_param_model((-1, 4), [
    ("STRIDED_SLICE", ["s", "b0", "e0", "st"], ["n1"], None), ("SUB", ["n1", "one"], ["ax"], None),
    ("REVERSE_V2", ["v", "ax"], ["y"], None)], {**t, "b0": ("int32", (1,), i32(0)), "e0": ("int32", (1,), i32(1)),
                                                "n1": ("int32", (1,), None), "one": ("int32", (1,), i32(1)),
                                                "ax": ("int32", (1,), None), "v": (F32, (3, 4), None)},
    (3, 4), feeds=("x", "v")), [rand(1, 4), v], v[::-1])  # axis = batch - 1 = 0

test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)


# ---- errors: what pocketml cannot or will not convert is named ------------------------------------------
@pytest.mark.parametrize("op,tensors,inputs,options,what", [
    ("REDUCE_ANY", {"x": (F32, (3, 4), None), "a": ("int32", (1,), np.array([0], np.int32)),
                    "y": ("bool", (4,), None)}, ["x"], None, r"REDUCE_ANY on a float32 input \(supported: bool\)"),
    ("EMBEDDING_LOOKUP", {"ids": ("int32", (2,), None), "w": ("int16", (4, 3), np.ones((4, 3), np.int16)),
                          "y": (F32, (2, 3), None)}, ["ids"], None, "int16 table .0 scales. into a float32 output"),
    ("SELECT", {"c": ("bool", (3, 4), None), "t": (F32, (3, 4), None), "f": (F32, (4,), None),
                "y": (F32, (3, 4), None)}, ["c", "t", "f"], None, "SELECT does not broadcast"),
    ("REDUCE_PROD", {"x": (F32, (3, 4), None), "a": ("int32", (1,), None), "y": (F32, (4,), None)}, ["x", "a"],
     None, "input 1 \\(axis, tensor 'a'\\) must be a constant"),
    ("SHAPE", {"x": (F32, (3, 4), None), "y": (F32, (2,), None)}, ["x"], None, "out_type float32"),
    ("RANGE", {"s": ("int32", (), scalar(5, np.int32)), "l": ("int32", (), scalar(1, np.int32)),
               "d": ("int32", (), scalar(2, np.int32)), "_x": (F32, (1,), None), "y": ("int32", (1,), None)},
     ["_x"], None,
     "delta 2 cannot step from 5 to 1"),
    ("RANGE", {"s": ("int32", (), scalar(0, np.int32)), "l": ("int32", (), scalar(2 ** 31 - 1, np.int32)),
               "d": ("int32", (), scalar(1, np.int32)), "_x": (F32, (1,), None), "y": ("int32", (1,), None)},
     ["_x"], None, "RANGE of 2147483647 elements is too long to fold"),
    ("FILL", {"d": ("int32", (2,), i32(2 ** 20, 2 ** 20)), "v": (F32, (), scalar(1.0, F32)), "_x": (F32, (1,), None),
              "y": (F32, (1, 1), None)}, ["_x"], None, "too large to fold"),
    ("SPACE_TO_BATCH_ND", {"x": (F32, (1, 5, 2), None), "b": ("int32", (1,), i32(2)),
                           "p": ("int32", (1, 2), np.array([[0, 0]], np.int32)), "y": (F32, (2, 2, 2), None)}, ["x"],
     None, r"padded spatial dims \[5\] are not multiples of block_shape \[2\]"),
    ("LESS", {"a": ("int8", (3,), None, None, {"scale": [0.5]}), "b": ("int8", (3,), None, None, {"scale": [0.25]}),
              "y": ("bool", (3,), None)}, ["a", "b"], None, "quantized int8 tensors are not supported by this op yet"),
])
def test_bad_parameters_are_named(op, tensors, inputs, options, what):
    from pocketml.converters.tflite import import_tflite
    from pocketml.errors import ConversionError

    op_inputs = [n for n in tensors if n != "y" and not n.startswith("_")]  # ("_x": a graph input only)
    data = build_model([(op, op_inputs, ["y"], options)], tensors, inputs, ["y"])
    with pytest.raises(ConversionError, match=rf"operator 0 \({op}, version \d+\).*{what}"):
        import_tflite(data)
