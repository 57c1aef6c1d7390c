"""ONNX pool import: MaxPool / AveragePool / LpPool across opsets and auto_pad, 1-D pools, global pools.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml.converters.onnx import import_onnx

from pocketml.errors import UnsupportedOpError

from .helpers import F, I64, check, make, one_node, ops_of, rand
from .runtime_check import check_runtime, model_of
from .typed_check import check_typed, small


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("opset,attrs", [
    (7, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    (7, {"kernel_shape": [3, 2], "auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    (7, {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER", "strides": [2, 3]}),
    (7, {"kernel_shape": [2, 2], "auto_pad": "VALID", "strides": [2, 2]}),
    (10, {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    (19, {"kernel_shape": [2, 2], "dilations": [2, 1], "pads": [1, 0, 1, 1]}),
])
def test_pool(op, opset, attrs):
    if op == "MaxPool" and opset == 19:
        opset = 12
    x = rand(2, 3, 9, 8)
    graph = check(one_node(op, {"x": x}, attrs, opset=opset), {"x": x})
    assert ops_of(graph) == ["Transpose", op, "Transpose"]


@pytest.mark.parametrize("cip", [0, 1])
def test_average_pool_count_include_pad(cip):
    x = rand(1, 2, 5, 5)
    attrs = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": cip, "strides": [2, 2]}
    check(one_node("AveragePool", {"x": x}, attrs, opset=11), {"x": x})


def test_pool_1d():
    x = rand(2, 3, 10)
    check(one_node("MaxPool", {"x": x}, {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}), {"x": x})


# ---- MaxPool's Indices: the C runtime against onnxruntime (onnx's evaluator where it has no kernel) --------
INDEX_CASES = [
    (8, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    (10, {"kernel_shape": [3, 2], "strides": [2, 1], "ceil_mode": 1}),
    (12, {"kernel_shape": [2, 3], "dilations": [2, 1], "pads": [1, 0, 0, 2]}),
    (12, {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    (22, {"kernel_shape": [2, 2], "auto_pad": "SAME_LOWER", "strides": [1, 2]}),
]


@pytest.mark.parametrize("opset,attrs", INDEX_CASES)
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("shape", [(2, 3, 9, 8), (1, 13, 7, 5), (3, 9, 3, 6)])
def test_maxpool_indices(opset, attrs, order, shape):
    feeds = {"x": rand(*shape)}
    check_runtime(model_of("MaxPool", feeds, {**attrs, "storage_order": order}, opset=opset, n_out=2), feeds)


@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.uint8])
@pytest.mark.parametrize("order", [0, 1])
def test_maxpool_indices_dtypes(dtype, order):
    # int8/uint8 from a small range: ties pick the window's first maximum, as onnxruntime
    feeds = {"x": (rand(2, 5, 7, 6) * 3).astype(dtype) if dtype == np.float16 else small((2, 5, 7, 6), dtype)}
    attrs = {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 1, 1, 0], "storage_order": order}
    check_runtime(model_of("MaxPool", feeds, attrs, opset=12, n_out=2), feeds)


@pytest.mark.parametrize("order", [0, 1])
def test_maxpool_indices_1d_and_only_indices_used(order):
    feeds = {"x": rand(2, 5, 11)}
    check_runtime(model_of("MaxPool", feeds, {"kernel_shape": [3], "strides": [2], "pads": [1, 1],
                                              "storage_order": order}, opset=12, n_out=2), feeds)
    node = helper.make_node("MaxPool", ["x"], ["unused", "idx"], kernel_shape=[2, 2], strides=[2, 2])
    model = make([node], {"x": (F, (1, 3, 5, 4))}, {"idx": (I64, None)}, opset=12)
    x = rand(1, 3, 5, 4)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["idx"]
    np.testing.assert_array_equal(got, _ort(model, {"x": x}))


def test_maxpool_indices_after_conv_through_the_layout_pass():
    # conv features pooled with Indices (a SegNet encoder step): the indices keep ONNX's NCHW numbering
    w = rand(4, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["a"], ["p", "idx"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Relu", ["p"], ["y"])]
    model = make(nodes, {"x": (F, (2, 3, 7, 9))}, {"y": (F, None), "idx": (I64, None)}, {"w": w}, opset=12)
    x = rand(2, 3, 7, 9)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(got["y"], want[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got["idx"], want[1])


@pytest.mark.parametrize("shape,attrs", [
    ((2, 3, 5, 6, 7), {"kernel_shape": [2, 3, 2], "strides": [2, 2, 3]}),
    ((1, 13, 4, 5, 3), {"kernel_shape": [3, 2, 2], "pads": [1, 0, 1, 1, 1, 0], "strides": [2, 1, 2]}),
    ((1, 2, 5, 4, 6), {"kernel_shape": [2, 2, 3], "dilations": [2, 1, 1], "ceil_mode": 1, "strides": [2, 2, 2]}),
])
def test_maxpool_3d_indices(shape, attrs):
    # ties (int8 values from a small range) must pick the first maximum in (d, h, w) order, as onnxruntime
    for x in (rand(*shape), small(shape, np.int8)):
        feeds = {"x": x}
        check_runtime(model_of("MaxPool", feeds, attrs, opset=12, n_out=2), feeds)


def test_maxpool_3d_column_major_indices_are_rejected():
    x = rand(1, 1, 4, 4, 4)
    node = helper.make_node("MaxPool", ["x"], ["y", "idx"], name="mp", kernel_shape=[2, 2, 2], storage_order=1)
    model = make([node], {"x": (F, x.shape)}, {"y": (F, None), "idx": (I64, None)}, opset=12)
    with pytest.raises(UnsupportedOpError, match=r"'mp' \(MaxPool, opset 12\).*storage_order=1.*3-D MaxPool"):
        import_onnx(model)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (2, 3, 7)])
def test_global_pool(op, shape):
    x = rand(*shape)
    check(one_node(op, {"x": x}), {"x": x})


# ---- MaxPool on every dtype ONNX allows (max is exact: compared bit for bit) ----------------------------------
@pytest.mark.parametrize("dtype", ["float16", "int8", "uint8"])
@pytest.mark.parametrize("attrs", [{"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
                                   {"kernel_shape": [2, 3], "dilations": [2, 1], "ceil_mode": 1}])
def test_maxpool_dtypes(dtype, attrs):
    check_typed("MaxPool", {"x": small((2, 13, 7, 9), dtype)}, attrs, opset=22)


@pytest.mark.parametrize("op", ["GlobalMaxPool", "GlobalAveragePool"])
def test_global_pools_float16(op):
    check_typed(op, {"x": small((2, 9, 5, 4), np.float16)}, opset=22)


@pytest.mark.parametrize("attrs", [{"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
                                   {"kernel_shape": [2, 3], "pads": [1, 0, 1, 1], "count_include_pad": 1,
                                    "ceil_mode": 1}])
def test_average_pool_float16(attrs):
    check_typed("AveragePool", {"x": small((2, 13, 7, 9), np.float16)}, attrs, opset=22)


# ---- LpPool / GlobalLpPool: the registry reference (check) and the C runtime (check_typed) against onnxruntime --
LP_CASES = [
    (11, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "p": 2}),
    (11, {"kernel_shape": [3, 2], "auto_pad": "SAME_UPPER", "strides": [2, 2], "p": 1}),
    (11, {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER", "strides": [2, 3], "p": 3}),
    (11, {"kernel_shape": [2, 2], "auto_pad": "VALID"}),
    (18, {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1, "p": 2}),
    (18, {"kernel_shape": [2, 2], "dilations": [2, 1], "pads": [1, 0, 1, 1], "p": 4}),
    (22, {"kernel_shape": [1, 1], "p": 2}),
    (2, {"kernel_shape": [2, 2], "strides": [1, 2], "p": 3}),
]


@pytest.mark.parametrize("opset,attrs", LP_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9, 8), (1, 17, 7, 13)])
def test_lp_pool(opset, attrs, shape):
    x = rand(*shape)
    graph = check(one_node("LpPool", {"x": x}, attrs, opset=opset), {"x": x})
    assert ops_of(graph) == ["Transpose", "LpPool", "Transpose"]
    assert check_typed("LpPool", {"x": x}, attrs, opset=opset) == "onnxruntime"


def test_lp_pool_1d_and_float16():
    x = rand(2, 3, 10)
    attrs = {"kernel_shape": [3], "strides": [2], "pads": [1, 1], "p": 2}
    check(one_node("LpPool", {"x": x}, attrs, opset=18), {"x": x})
    assert check_typed("LpPool", {"x": x}, attrs, opset=18) == "onnxruntime"
    check_typed("LpPool", {"x": small((2, 13, 7, 9), np.float16)}, {"kernel_shape": [3, 3], "p": 3}, opset=22)


def _ort(model, feeds):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 17, 1, 1), (2, 3, 7)])
def test_global_lp_pool(p, shape):
    x = rand(*shape)
    check(one_node("GlobalLpPool", {"x": x}, {"p": p}, opset=13), {"x": x})
    assert check_typed("GlobalLpPool", {"x": x}, {"p": p}, opset=13) == "onnxruntime"


def test_global_lp_pool_float16_and_3d():
    # no float16 GlobalLpPool in onnxruntime or onnx's evaluator: onnxruntime's float32 result on the same values
    x = small((2, 9, 5, 4), np.float16)
    model = one_node("GlobalLpPool", {"x": x}, {"p": 2}, opset=22, out_type=TensorProto.FLOAT16)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})
    want = _ort(one_node("GlobalLpPool", {"x": x.astype(np.float32)}, {"p": 2}, opset=13), {"x": x.astype(np.float32)})
    assert got["y0"].dtype == np.float16
    np.testing.assert_allclose(got["y0"].astype(np.float32), want, rtol=1e-3, atol=1e-3)
    x = rand(1, 2, 3, 4, 5)
    with pytest.raises(UnsupportedOpError, match="GlobalLpPool with 3 spatial dims"):
        import_onnx(one_node("GlobalLpPool", {"x": x}, {"p": 2}, opset=13))


def test_lp_pool_bad_p():
    x = rand(1, 1, 4, 4)
    with pytest.raises(Exception, match="p=0"):
        import_onnx(one_node("LpPool", {"x": x}, {"kernel_shape": [2, 2], "p": 0}, opset=18))


POOL_3D = [
    ("MaxPool", {"kernel_shape": [2, 3, 2], "strides": [2, 1, 2]}),
    ("MaxPool", {"kernel_shape": [3, 3, 3], "pads": [1, 0, 1, 1, 2, 0], "dilations": [1, 2, 1], "ceil_mode": 1}),
    ("AveragePool", {"kernel_shape": [2, 2, 3], "pads": [1, 1, 1, 0, 1, 1], "count_include_pad": 0}),
    ("AveragePool", {"kernel_shape": [3, 2, 2], "pads": [1, 1, 0, 1, 0, 1], "count_include_pad": 1,
                     "strides": [2, 2, 1], "ceil_mode": 1}),
    ("LpPool", {"kernel_shape": [2, 2, 2], "p": 3, "strides": [1, 2, 2]}),
]


@pytest.mark.parametrize("op,attrs", POOL_3D)
def test_3d_pools_match_onnxruntime_on_symbolic_volumes(op, attrs):
    # separable: a (H, W) pool then a depth pool, exact for max, Lp and both average modes
    node = helper.make_node(op, ["x"], ["y0"], **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "d", "h", "w"])],
                              [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for shape in [(1, 3, 5, 6, 7), (2, 3, 4, 9, 5), (1, 3, 5, 6, 7)]:
        x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
        got, want = session.run({"x": x})["y0"], oracle.run(None, {"x": x})[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
@pytest.mark.parametrize("op,attrs", [("MaxPool", {"kernel_shape": [3, 2], "strides": [2, 1]}),
                                      ("AveragePool", {"kernel_shape": [2, 3], "strides": [2, 2]}),
                                      ("AveragePool", {"kernel_shape": [3, 3], "strides": [1, 3], "count_include_pad": 1})])
def test_same_auto_pad_on_symbolic_sizes(auto_pad, op, attrs):
    # the runtime pads each concrete size (tf2onnx keeps auto_pad when the image size is dynamic)
    node = helper.make_node(op, ["x"], ["y0"], auto_pad=auto_pad, **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for shape in [(1, 3, 7, 8), (2, 3, 4, 5), (1, 3, 1, 1), (1, 3, 7, 8)]:
        x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
        got, want = session.run({"x": x})["y0"], oracle.run(None, {"x": x})[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ---- MaxUnpool (opsets 9, 11): fed by MaxPool's Indices or by index inputs; against onnxruntime ----------------
def _unpool_indices(x_shape, unpooled, rng):
    """Distinct flat indices into the unpooled shape, one per element of x (per (n, c) plane, as a pool's)."""
    n, c, plane = x_shape[0], x_shape[1], int(np.prod(unpooled[2:]))
    per = int(np.prod(x_shape[2:]))
    idx = np.stack([rng.choice(plane, per, replace=False) + p * plane for p in range(n * c)])
    return idx.reshape(x_shape).astype(np.int64)


@pytest.mark.parametrize("opset", [9, 11, 22])
@pytest.mark.parametrize("shape,attrs,unpooled", [
    ((2, 3, 4, 3), {"kernel_shape": [2, 2], "strides": [2, 2]}, (2, 3, 8, 6)),
    ((1, 13, 3, 5), {"kernel_shape": [3, 2], "strides": [2, 1], "pads": [1, 0, 0, 1]}, (1, 13, 6, 5)),
    ((3, 5, 7), {"kernel_shape": [3], "strides": [2]}, (3, 5, 15)),
    ((1, 2, 2, 3, 2), {"kernel_shape": [2, 2, 3], "strides": [2, 2, 2]}, (1, 2, 4, 6, 5)),
])
def test_max_unpool(opset, shape, attrs, unpooled):
    rng = np.random.default_rng(7)
    feeds = {"x": rand(*shape), "i": _unpool_indices(shape, unpooled, rng)}
    check_runtime(model_of("MaxUnpool", feeds, attrs, opset=opset), feeds)
    check(model_of("MaxUnpool", feeds, attrs, opset=opset), feeds)  # the registry's numpy reference
    # a larger output_shape: the indices number it (onnxruntime's rule; see src/pocketml/ops/pool.py)
    big = np.array([*unpooled[:2], *[d + 2 for d in unpooled[2:]]], np.int64)
    feeds["output_shape"] = big
    check_runtime(model_of("MaxUnpool", feeds, attrs, opset=opset), feeds)
    check(model_of("MaxUnpool", feeds, attrs, opset=opset), feeds)


def test_max_unpool_float16():
    # onnxruntime has no float16 MaxUnpool: onnx's evaluator is the oracle (data movement: exact)
    feeds = {"x": rand(2, 3, 4, 3).astype(np.float16), "i": _unpool_indices((2, 3, 4, 3), (2, 3, 8, 6),
                                                                            np.random.default_rng(3))}
    check_runtime(model_of("MaxUnpool", feeds, {"kernel_shape": [2, 2], "strides": [2, 2]}, opset=11), feeds)


@pytest.mark.parametrize("const_shape", [True, False])
def test_maxpool_indices_into_max_unpool(const_shape):
    # a SegNet decoder step: pool with Indices, a conv in between, unpool back to the pooled input's size
    # (odd sizes: output_shape restores the row and column the pool dropped)
    w = rand(5, 5, 3, 3)
    nodes = [helper.make_node("MaxPool", ["x"], ["p", "idx"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("MaxUnpool", ["c", "idx", "shape"], ["y"], kernel_shape=[2, 2], strides=[2, 2])]
    x_shape = (2, 5, 9, 7) if const_shape else ("n", 5, "h", "w")
    model = make(nodes, {"x": (F, x_shape)}, {"y": (F, None)}, {"w": w}, opset=11)
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for shape in [(2, 5, 9, 7)] if const_shape else [(2, 5, 9, 7), (1, 5, 6, 11), (3, 5, 5, 5)]:
        x = rand(*shape)
        np.testing.assert_allclose(session.run({"x": x})["y"], oracle.run(None, {"x": x})[0], rtol=1e-4, atol=1e-5)


def test_max_unpool_rejects():
    feeds = {"x": rand(1, 2, 2, 2), "i": np.zeros((1, 2, 2, 2), np.int64),
             "output_shape": np.array([1, 2, 3, 3], np.int64)}
    small_shape = make([helper.make_node("MaxUnpool", ["x", "i", "s"], ["y"], name="mu", kernel_shape=[2, 2],
                                         strides=[2, 2])],
                       {"x": (F, (1, 2, 2, 2)), "i": (I64, (1, 2, 2, 2))}, {"y": (F, None)},
                       {"s": feeds["output_shape"]}, opset=11)
    with pytest.raises(pocketml.PocketMLError, match=r"'mu'.*output_shape \[1, 2, 3, 3\] must be .*at least"):
        pocketml.convert(small_shape)
    del feeds["output_shape"]
    session = pocketml.Session(pocketml.convert(model_of("MaxUnpool", feeds, {"kernel_shape": [2, 2], "strides": [2, 2]},
                                                         opset=11)))
    with pytest.raises(pocketml.PocketMLError, match=r"MaxUnpool.*indices value 32 .* is outside \[0, 32\)"):
        session.run({**feeds, "i": np.full((1, 2, 2, 2), 32, np.int64)})
