"""Ops whose output size depends on the data (NonZero, Compress, Unique, NonMaxSuppression)
end to end against onnxruntime: every dtype the op allows, awkward shapes, counts of zero and
of everything, and graphs that go on after such a node (the session plans the nodes after it
once it has run, session_tail.c): a detector head's NMS -> Gather of the kept boxes, two
data-dependent nodes in a row, the same session run with counts that change and come back
(tail plans cached per count, not re-planned)."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml.runtime import lib

from .runtime_check import T, check_runtime, model_of, values

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
RNG = np.random.default_rng(29)
DTYPES = [np.float32, np.float16, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
          np.bool_]


def _graph_model(nodes, inputs, outputs, inits=(), opset=20):
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_empty_tensor_value_info(o) for o in outputs], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def _ort(model, feeds):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def _same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6) if want.dtype.kind == "f" else \
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_nonzero_every_dtype(dtype):
    x = values((3, 1, 5), dtype)
    x.reshape(-1)[:4] = 0
    if np.dtype(dtype).kind == "f":
        x.reshape(-1)[4] = -0.0  # negative zero is zero
    check_runtime(model_of("NonZero", {"x": x}), {"x": x})


@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4), (1, 0, 3)])
def test_nonzero_shapes(shape):
    x = (RNG.random(shape) > 0.5).astype(np.float32) if shape else np.array(2.0, np.float32)
    check_runtime(model_of("NonZero", {"x": x}), {"x": x})


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.float16])
def test_compress(axis, dtype):
    x = values((4, 5), dtype)
    n = 5 if axis in (1, -1) else (4 if axis == 0 else 20)
    cond = RNG.random(n - 1) > 0.4  # shorter than the axis: selects among its first entries
    attrs = {} if axis is None else {"axis": axis}
    check_runtime(model_of("Compress", {"x": x, "c": cond}, attrs), {"x": x, "c": cond})


UNIQUE_ATTRS = [{}, {"sorted": 0}, {"axis": 0}, {"axis": 1, "sorted": 0}, {"axis": -1}]


def _repeats(dtype):
    x = RNG.integers(0, 3, size=(4, 3)).astype(dtype)
    x[2] = x[0]  # a repeated row for the axis cases
    return x


@pytest.mark.parametrize("attrs", UNIQUE_ATTRS)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int8])  # onnxruntime's Unique kernels
def test_unique(attrs, dtype):
    x = _repeats(dtype)
    check_runtime(model_of("Unique", {"x": x}, attrs, n_out=4), {"x": x})


@pytest.mark.parametrize("attrs", UNIQUE_ATTRS)
@pytest.mark.parametrize("dtype", [np.float16, np.uint8, np.int32, np.uint64, np.bool_])
def test_unique_other_dtypes_against_numpy(attrs, dtype):
    """dtypes onnxruntime has no Unique kernel for: numpy's unique is the oracle."""
    x = _repeats(dtype)
    x.reshape(-1)[0] = -0.0 if np.dtype(dtype).kind == "f" else x.reshape(-1)[0]
    got = pocketml.Session(pocketml.convert(model_of("Unique", {"x": x}, attrs, n_out=4))).run({"x": x})
    axis = attrs.get("axis")
    y, first, inverse, counts = np.unique(x, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    inverse = inverse.reshape(-1)
    if attrs.get("sorted", 1) == 0:
        order = np.argsort(first, kind="stable")
        rank = np.argsort(order)
        y, first, counts, inverse = np.take(y, order, axis=axis or 0), first[order], counts[order], rank[inverse]
    for name, want in zip(["y0", "y1", "y2", "y3"], [y, first, inverse, counts]):
        _same(got[name], want.astype(got[name].dtype) if name != "y0" else want)


def _boxes(batch, n):
    centre = RNG.random((batch, n, 2)) * 10
    size = RNG.random((batch, n, 2)) * 4 + 0.5
    return np.concatenate([centre - size / 2, centre + size / 2], axis=-1).astype(np.float32)


@pytest.mark.parametrize("center", [0, 1])
def test_nms_against_onnxruntime(center):
    batch, classes, n = 2, 3, 37
    boxes, scores = _boxes(batch, n), RNG.random((batch, classes, n)).astype(np.float32)
    scores[0, 0, 3] = scores[0, 0, 4]  # a tie: the lower box index first
    feeds = {"boxes": boxes, "scores": scores, "k": np.array([5], np.int64), "iou": np.array([0.3], np.float32),
             "thr": np.array([0.2], np.float32)}
    check_runtime(model_of("NonMaxSuppression", feeds, {"center_point_box": center}), feeds)


def _detector_head():
    """NMS -> the kept boxes gathered and scaled: a YOLO/SSD-style post-processing tail."""
    nodes = [
        helper.make_node("NonMaxSuppression", ["boxes", "scores", "k", "iou", "thr"], ["sel"]),
        helper.make_node("Gather", ["sel", "two"], ["box_idx"], axis=1),       # [n] box index
        helper.make_node("Squeeze", ["boxes", "zero"], ["boxes0"]),             # batch 1
        helper.make_node("Gather", ["boxes0", "box_idx"], ["kept"], axis=0),   # [n, 4]
        helper.make_node("Mul", ["kept", "scale"], ["scaled"]),
        helper.make_node("ReduceSum", ["scaled", "one"], ["area_like"], keepdims=0),
    ]
    inits = [helper.make_tensor("two", I64, [1], [2]), helper.make_tensor("zero", I64, [1], [0]),
             helper.make_tensor("one", I64, [1], [1]), helper.make_tensor("scale", F, [4], [2, 3, 4, 5])]
    inputs = [("boxes", F, [1, 50, 4]), ("scores", F, [1, 2, 50]), ("k", I64, [1]), ("iou", F, [1]),
              ("thr", F, [1])]
    return _graph_model(nodes, inputs, ["sel", "scaled", "area_like"], inits)


def test_detector_head_counts_change_and_tails_are_cached():
    model = _detector_head()
    session = pocketml.Session(pocketml.convert(model))
    boxes, scores = _boxes(1, 50), RNG.random((1, 2, 50)).astype(np.float32)
    plans, counts = [], []
    for thr, k in [(0.5, 10), (0.9, 10), (0.5, 10), (0.0, 3), (1.0, 10), (0.9, 10)]:
        feeds = {"boxes": boxes, "scores": scores, "k": np.array([k], np.int64),
                 "iou": np.array([0.4], np.float32), "thr": np.array([thr], np.float32)}
        got = session.run(feeds)
        for name, want in zip(["sel", "scaled", "area_like"], _ort(model, feeds)):
            _same(got[name], want)
        counts.append(got["sel"].shape[0])
        plans.append(lib().pml_session_plan_count(session._handle))
    assert counts[4] == 0 and counts[0] > counts[1] > 0  # nothing above 1.0; fewer above 0.9
    assert plans[2] == plans[1] and plans[5] == plans[4]  # a count seen before re-uses its tail plan
    assert plans[3] > plans[2]  # k fixes the bound: a new k is a new plan


def test_two_data_dependent_nodes_in_a_row():
    """NonZero -> Gather -> Unique -> Mul: a tail that ends in another data-dependent node."""
    nodes = [helper.make_node("NonZero", ["x"], ["nz"]),
             helper.make_node("Gather", ["nz", "zero"], ["rows"], axis=0),
             helper.make_node("Unique", ["rows"], ["u", "idx", "inv", "cnt"]),
             helper.make_node("Mul", ["cnt", "cnt"], ["sq"])]
    model = _graph_model(nodes, [("x", F, ["n", 6])], ["u", "inv", "sq"], [helper.make_tensor("zero", I64, [], [0])])
    session = pocketml.Session(pocketml.convert(model))
    for rows, p in [(5, 0.5), (9, 0.3), (5, 0.5), (3, 0.0), (4, 1.0)]:
        x = (RNG.random((rows, 6)) < p).astype(np.float32)
        got = session.run({"x": x})
        for name, want in zip(["u", "inv", "sq"], _ort(model, {"x": x})):
            _same(got[name], want)


def test_output_shapes_vary_is_reported():
    x = np.ones((2, 2), np.float32)
    varying = pocketml.Session(pocketml.convert(model_of("NonZero", {"x": x})))
    fixed = pocketml.Session(pocketml.convert(model_of("Relu", {"x": x})))
    assert lib().pml_session_output_shapes_vary(varying._handle) == 1
    assert lib().pml_session_output_shapes_vary(fixed._handle) == 0


def test_nonzero_of_a_constant_folds():
    nodes = [helper.make_node("NonZero", ["c"], ["nz"]), helper.make_node("Cast", ["nz"], ["y"], to=F),
             helper.make_node("Add", ["y", "x"], ["z"])]
    model = _graph_model(nodes, [("x", F, [2, 2])], ["z"], [helper.make_tensor("c", F, [2, 2], [1, 0, 0, 5])])
    converted = pocketml.convert(model)
    assert [n.op for n in converted.graph.nodes] == ["Add"]
    x = RNG.random((2, 2)).astype(np.float32)
    _same(pocketml.Session(converted).run({"x": x})["z"], _ort(model, {"x": x})[0])


def test_compress_condition_longer_than_axis_with_a_true_beyond_it_is_an_error():
    x, cond = np.ones((3,), np.float32), np.array([1, 0, 0, 1], bool)
    session = pocketml.Session(pocketml.convert(model_of("Compress", {"x": x, "c": cond}, {"axis": 0})))
    with pytest.raises(pocketml.errors.PocketMLError, match="beyond the 3 entries"):
        session.run({"x": x, "c": cond})
