"""ONNX shape and data-movement ops import: Concat, Transpose, Reshape, Flatten, (Un)Squeeze, Slice, Split, Pad,
Constant and ConstantOfShape/Shape, across the attribute-vs-input opsets.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check). BitCast runs through the C runtime against onnxruntime, every same-size pair.
"""
from __future__ import annotations

import numpy as np
import pytest

from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx import import_onnx

from pocketml.errors import UnsupportedOpError

from .helpers import F, I64, check, i64, make, one_node, ops_of, rand
from .runtime_check import T, oracle
from .typed_check import check_typed, small


def test_concat_and_transpose_default_perm():
    feeds = {"a": rand(2, 3, 4), "b": rand(2, 1, 4)}
    check(one_node("Concat", feeds, {"axis": -2}), feeds)
    x = rand(2, 3, 4)
    check(one_node("Transpose", {"x": x}), {"x": x})


@pytest.mark.parametrize("opset,shape,allowzero", [(7, [0, -1], 0), (13, [4, 6], 0), (14, [2, 0, 12], 1),
                                                   (14, [-1, 2], 0)])
def test_reshape(opset, shape, allowzero):
    x = rand(2, 3, 4) if shape != [2, 0, 12] else np.zeros((2, 0, 3), np.float32)
    attrs = {"allowzero": allowzero} if opset >= 14 else {}
    check(one_node("Reshape", {"x": x}, attrs, {"shape": i64(*shape)}, opset), {"x": x})


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 3])
def test_flatten(axis):
    x = rand(2, 3, 4)
    if axis == 3:
        axis = 3  # == rank: everything in the first dim
    graph = check(one_node("Flatten", {"x": x}, {"axis": axis}, opset=13), {"x": x})
    assert ops_of(graph) == ["Reshape"]


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_unsqueeze(opset):
    x = rand(1, 3, 1, 4)
    axes = [0, -2]
    if opset < 13:
        m1 = one_node("Squeeze", {"x": x}, {"axes": axes}, opset=opset)
        m2 = one_node("Unsqueeze", {"x": x}, {"axes": [1, -1]}, opset=opset)
    else:
        m1 = one_node("Squeeze", {"x": x}, {}, {"axes": i64(*axes)}, opset)
        m2 = one_node("Unsqueeze", {"x": x}, {}, {"axes": i64(1, -1)}, opset)
    assert ops_of(check(m1, {"x": x})) == ["Reshape"]
    assert ops_of(check(m2, {"x": x})) == ["Reshape"]
    check(one_node("Squeeze", {"x": x}, opset=opset), {"x": x})  # no axes: all size-1 dims


@pytest.mark.parametrize("opset,starts,ends,axes,steps", [
    (9, [1, 0], [3, -1], [0, 2], None),
    (10, [1], [1000], [1], None),
    (13, [-1, 4], [-1000, 0], [0, 2], [-1, -2]),
    (13, [0, 1, 0], [2, 3, 5], None, [1, 1, 2]),
])
def test_slice(opset, starts, ends, axes, steps):
    x = rand(3, 4, 5)
    if opset < 10:
        model = one_node("Slice", {"x": x}, {"starts": starts, "ends": ends, "axes": axes}, opset=opset)
    else:
        params = [("s", i64(*starts)), ("e", i64(*ends)), ("a", None if axes is None else i64(*axes)),
                  ("st", None if steps is None else i64(*steps))]
        while params[-1][1] is None:
            params.pop()
        node = helper.make_node("Slice", ["x"] + [n if a is not None else "" for n, a in params], ["y"])
        model = make([node], {"x": (F, x.shape)}, {"y": (F, None)}, {n: a for n, a in params if a is not None},
                     opset)
    assert ops_of(check(model, {"x": x})) == ["Slice"]


@pytest.mark.parametrize("opset,attrs,inits,n", [
    (11, {"axis": 1, "split": [1, 3]}, {}, 2),
    (13, {"axis": 1}, {"split": i64(2, 1, 1)}, 3),
    (13, {"axis": -1}, {}, 2),
    (18, {"axis": 2, "num_outputs": 2}, {}, 2),
])
def test_split(opset, attrs, inits, n):
    x = rand(2, 4, 5) if opset != 13 or inits else rand(2, 4, 6)
    check(one_node("Split", {"x": x}, attrs, inits, opset, n_out=n), {"x": x})


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("opset", [7, 11, 18])
def test_pad(mode, opset):
    x = rand(1, 2, 4, 5)
    pads = [0, 0, 1, 2, 0, 1, 2, 1]
    if opset < 11:
        model = one_node("Pad", {"x": x}, {"mode": mode, "pads": pads, "value": 0.5}, opset=opset)
    elif opset < 18:
        model = one_node("Pad", {"x": x}, {"mode": mode}, {"p": i64(*pads), "v": np.array(0.5, np.float32)}, opset)
    else:  # axes input: pads for H and W only
        model = one_node("Pad", {"x": x}, {"mode": mode},
                         {"p": i64(1, 2, 2, 1), "v": np.array(0.5, np.float32), "ax": i64(2, 3)}, opset)
    check(model, {"x": x})


def test_pad_wrap_is_unsupported():
    x = rand(1, 2, 4, 5)
    model = one_node("Pad", {"x": x}, {"mode": "wrap"}, {"p": i64(0, 0, 1, 1, 0, 0, 1, 1)}, 19)
    with pytest.raises(UnsupportedOpError, match=r"'my_pad' \(Pad, opset 19\).*wrap.*constant, reflect, edge"):
        import_onnx(model)


@pytest.mark.parametrize("key,value", [
    ("value", numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3))),
    ("value_float", 2.5), ("value_floats", [1.0, 2.0]), ("value_int", 7), ("value_ints", [1, 2, 3]),
    ("sparse_value", helper.make_sparse_tensor(numpy_helper.from_array(np.array([5.0, 6.0], np.float32)),
                                               numpy_helper.from_array(i64(1, 4)), [2, 3])),
])
def test_constant_forms(key, value):
    node = helper.make_node("Constant", [], ["c"], name="k", **{key: value})
    add = helper.make_node("Identity", ["c"], ["y"])
    dtype = I64 if key.startswith("value_int") else F
    model = make([node, add], {}, {"y": (dtype, None)}, opset=13)
    graph = check(model, {})
    assert graph.values["y"].is_const and graph.nodes == []


def test_constant_of_shape_and_shape_start_end():
    x = rand(2, 3, 4, 5)
    shape = helper.make_node("Shape", ["x"], ["s"], start=1, end=-1)
    cos = helper.make_node("ConstantOfShape", ["s"], ["c"],
                           value=numpy_helper.from_array(np.array([1.5], np.float32)))
    add = helper.make_node("Add", ["c", "c"], ["y"])
    model = make([shape, cos, add], {"x": (F, x.shape)}, {"y": (F, None)}, opset=15)
    graph = check(model, {"x": x})
    assert graph.values["y"].const.shape == (3, 4)


# ---- data movement on the dtypes added last (moved by element size) --------------------------------------------
@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint32", "uint64", "float16", "bool"])
def test_moves_dtypes(dtype):
    x = small((2, 7, 3), dtype)
    check_typed("Transpose", {"x": x}, {"perm": [2, 0, 1]})
    check_typed("Concat", {"a": x, "b": small((2, 1, 3), dtype)}, {"axis": 1})
    check_typed("Slice", {"x": x}, consts={"s": np.array([-1], np.int64), "e": np.array([-100], np.int64),
                                            "a": np.array([1], np.int64), "p": np.array([-2], np.int64)})
    check_typed("Gather", {"x": x}, {"axis": 1}, consts={"i": np.array([6, 0, -1], np.int64)})
    check_typed("Tile", {"x": x}, consts={"r": np.array([1, 2, 3], np.int64)})
    check_typed("Expand", {"x": small((2, 1, 3), dtype)}, consts={"s": np.array([4, 2, 5, 3], np.int64)})
    value = np.array([1 if dtype == "bool" else 3], x.dtype)
    check_typed("Pad", {"x": x}, consts={"p": np.array([0, 1, 0, 0, 2, 1], np.int64), "v": value}, opset=18)


# Fill values that float32 cannot hold: Pad's constant_value and ConstantOfShape's
# value travel exactly for integer dtypes (value_int), whether the runtime fills
# (shape known only at run time) or the converter folds.
EXACT_FILLS = [(np.int64, 2**40 + 1), (np.int64, -2**63), (np.uint64, 2**64 - 1), (np.uint64, 2**63 + 3),
               (np.int32, 2**24 + 1), (np.uint32, 2**32 - 1), (np.int16, -32768), (np.int8, -127)]


@pytest.mark.parametrize("dtype, value", EXACT_FILLS)
def test_constant_of_shape_fill_is_exact(dtype, value):
    fill = numpy_helper.from_array(np.array([value], dtype))
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("ConstantOfShape", ["s"], ["y0"], value=fill)]
    model = helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
                                                [helper.make_tensor_value_info("y0", T[np.dtype(dtype)], ["n"])]),
                              opset_imports=[helper.make_opsetid("", 17)])
    feeds = {"x": np.zeros(3, np.float32)}
    want = oracle(model, feeds)[0]
    assert want.dtype == dtype and int(want[0]) == value  # the oracle holds the exact value
    for shapes in (None, {"x": [3]}):  # filled at run time / folded by the converter
        got = pocketml.Session(pocketml.convert(model, input_shapes=shapes)).run(feeds)["y0"]
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype, value", EXACT_FILLS)
def test_pad_constant_is_exact(dtype, value):
    inits = [numpy_helper.from_array(np.array([1, 2], np.int64), "p"), numpy_helper.from_array(np.array(value, dtype), "c")]
    node = helper.make_node("Pad", ["x", "p", "c"], ["y0"])
    model = helper.make_model(helper.make_graph([node], "g", [helper.make_tensor_value_info("x", T[np.dtype(dtype)], [2])],
                                                [helper.make_tensor_value_info("y0", T[np.dtype(dtype)], [5])], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    feeds = {"x": np.array([5, 6], dtype)}
    want = oracle(model, feeds)[0]
    np.testing.assert_array_equal(pocketml.Session(pocketml.convert(model)).run(feeds)["y0"], want)
    assert int(want[0]) == value


# ---- BitCast (opset 26), run by the C runtime ---------------------------------------------------------
_BY_SIZE = [("int8", "uint8", "bool"), ("float16", "int16", "uint16"), ("float32", "int32", "uint32"),
            ("int64", "uint64")]


@pytest.mark.parametrize("src,dst", [(a, b) for group in _BY_SIZE for a in group for b in group if a != b])
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
def test_bitcast_vs_onnxruntime(src, dst, shape):
    size = np.dtype(src).itemsize
    raw = np.random.default_rng(size).integers(0, 2 if "bool" in (src, dst) else 256, (*shape, size), dtype=np.uint8)
    x = raw.view(src).reshape(shape)  # any bit pattern, NaNs included; 0/1 bytes where bool is involved
    node = helper.make_node("BitCast", ["x"], ["y"], to=helper.np_dtype_to_tensor_dtype(np.dtype(dst)))
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", T[x.dtype], shape)],
                              [helper.make_tensor_value_info("y", T[np.dtype(dst)], shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 26)], ir_version=10)
    want = oracle(model, {"x": x})[0]
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["y"]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


def test_bitcast_size_change_and_double_are_clear_errors():
    node = helper.make_node("BitCast", ["x"], ["y"], to=TensorProto.INT64)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, [3])])
    with pytest.raises(pocketml.PocketMLError, match="element size"):
        pocketml.convert(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 26)], ir_version=10))
    node = helper.make_node("BitCast", ["x"], ["y"], to=TensorProto.DOUBLE)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", TensorProto.INT64, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [3])])
    with pytest.raises(UnsupportedOpError, match="DOUBLE"):
        pocketml.convert(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 26)], ir_version=10))
