"""Index ops end to end (ONNX -> pocketml.convert -> C runtime) against
onnxruntime, and the acceptance point "int64 index inputs that are out of
range give a clear error, not a crash": Gather, GatherElements, GatherND,
ScatterElements and ScatterND fed an out-of-range index through Session fail
with a RuntimeFailure naming the node, the op, the index value and the valid
range. OneHot is the op ONNX defines differently: an out-of-range index gives
an all-off row (checked against onnxruntime). Gather of constants folds at
import (helpers.check: the IR's numpy references against onnxruntime). TensorScatter (every
dtype, both modes, any axis, a cache fed back across calls) runs the C runtime against
onnxruntime, and an update past the end in linear mode is a clear error."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml.errors import PocketMLError

from .helpers import check, i64, one_node, rand
from .runtime_check import check_runtime, model_of as feeds_model, values
from .typed_check import check_typed, small

F, I64 = TensorProto.FLOAT, TensorProto.INT64
RNG = np.random.default_rng(3)


def model_of(op, inputs, out_shape, attrs=None, opset=18, out_type=F):
    names = list(inputs)
    node = helper.make_node(op, names, ["y"], **(attrs or {}))
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, t, s) for n, (t, s) in inputs.items()],
                              [helper.make_tensor_value_info("y", out_type, out_shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def run_both(model, feeds):
    session = pocketml.Session(pocketml.convert(model))
    ours = session.run(feeds)["y"]
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    return session, ours, ref


CASES = {
    # op: (inputs, output shape, attrs, good index, bad index, the bound in the message)
    "Gather": ({"data": (F, [4, 3]), "idx": (I64, [2])}, [2, 3], {"axis": 0},
               np.array([3, -4], np.int64), np.array([1, 4], np.int64), "size 4"),
    "GatherElements": ({"data": (F, [4, 3]), "idx": (I64, [2, 3])}, [2, 3], {"axis": 0},
                       np.array([[0, 3, -1], [2, -4, 1]], np.int64), np.array([[0, 3, -1], [2, -5, 1]], np.int64),
                       "size 4"),
    "GatherND": ({"data": (F, [4, 3]), "idx": (I64, [2, 2])}, [2], {},
                 np.array([[3, 2], [-1, 0]], np.int64), np.array([[3, 3], [0, 0]], np.int64), "size 3"),
}
SCATTER = {
    "ScatterElements": ({"data": (F, [4, 3]), "idx": (I64, [1, 3]), "upd": (F, [1, 3])}, {"axis": 0},
                        np.array([[3, -4, 1]], np.int64), np.array([[3, 7, 1]], np.int64), "index 7"),
    "ScatterND": ({"data": (F, [4, 3]), "idx": (I64, [2, 1]), "upd": (F, [2, 3])}, {"reduction": "add"},
                  np.array([[3], [-2]], np.int64), np.array([[3], [-5]], np.int64), "index -5"),
}


@pytest.mark.parametrize("op", list(CASES))
def test_gather_family_matches_ort_and_rejects_bad_index(op):
    inputs, out_shape, attrs, good, bad, bound = CASES[op]
    data = RNG.standard_normal((4, 3)).astype(np.float32)
    session, ours, ref = run_both(model_of(op, inputs, out_shape, attrs), {"data": data, "idx": good})
    np.testing.assert_array_equal(ours, ref)
    with pytest.raises(PocketMLError) as e:
        session.run({"data": data, "idx": bad})
    msg = str(e.value)
    assert op in msg and "out of range" in msg and bound in msg, msg
    # the session is still usable after the failed run
    np.testing.assert_array_equal(session.run({"data": data, "idx": good})["y"], ref)


@pytest.mark.parametrize("op", list(SCATTER))
def test_scatter_family_matches_ort_and_rejects_bad_index(op):
    inputs, attrs, good, bad, needle = SCATTER[op]
    data = RNG.standard_normal((4, 3)).astype(np.float32)
    upd = RNG.standard_normal(inputs["upd"][1]).astype(np.float32)
    session, ours, ref = run_both(model_of(op, inputs, [4, 3], attrs), {"data": data, "idx": good, "upd": upd})
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)
    with pytest.raises(PocketMLError) as e:
        session.run({"data": data, "idx": bad, "upd": upd})
    msg = str(e.value)
    assert op in msg and "out of range" in msg and needle in msg, msg


def test_onehot_out_of_range_is_an_off_row():
    depth = helper.make_tensor("depth", I64, [], [4])
    node = helper.make_node("OneHot", ["idx", "depth", "values"], ["y"], axis=-1)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("idx", I64, [5]),
                                            helper.make_tensor_value_info("values", F, [2])],
                              [helper.make_tensor_value_info("y", F, [5, 4])], [depth])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=8)
    feeds = {"idx": np.array([0, 3, -1, 4, -5], np.int64), "values": np.array([-1, 9], np.float32)}
    _, ours, ref = run_both(model, feeds)
    np.testing.assert_array_equal(ours, ref)
    assert np.all(ours[3:] == -1)


def test_topk_and_argmax_match_ort():
    x = np.array([[3, 1, 3, 2, 5, 5], [0, 0, 1, 1, -2, 7]], np.float32)
    k = helper.make_tensor("k", I64, [1], [3])
    nodes = [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1), helper.make_node("ArgMax", ["x"], ["a"], axis=1,
                                                                                        select_last_index=1)]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", F, [2, 6])],
                              [helper.make_tensor_value_info("v", F, [2, 3]),
                               helper.make_tensor_value_info("i", I64, [2, 3]),
                               helper.make_tensor_value_info("a", I64, [2, 1])], [k])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    ours = pocketml.Session(pocketml.convert(model)).run({"x": x})
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for name, r in zip(("v", "i", "a"), ref):
        np.testing.assert_array_equal(ours[name], r)


def test_gather_and_cast_fold():
    x = rand(5, 4)
    check(one_node("Gather", {"x": x}, {"axis": 0}, {"i": i64(3, -1, 0)}), {"x": x})
    check(one_node("Gather", {"x": x}, {"axis": 1}, {"i": np.array(2, np.int64)}), {"x": x})


# ---- the type-generic index kernels on every dtype ONNX allows ---------------------------------------------
_NUMBERS = ["float16", "int8", "uint8", "int16", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("dtype", _NUMBERS)
@pytest.mark.parametrize("largest", [0, 1])
def test_topk_dtypes(dtype, largest):
    check_typed("TopK", {"x": small((3, 13, 2), dtype)}, {"axis": 1, "largest": largest}, n_out=2, opset=11,
                consts={"k": np.array([5], np.int64)})


@pytest.mark.parametrize("dtype", ["float16", "uint32", "uint64", "int32"])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 1)])
def test_cumsum_dtypes(dtype, exclusive, reverse):
    check_typed("CumSum", {"x": small((4, 13), dtype)}, {"exclusive": exclusive, "reverse": reverse}, opset=14,
                consts={"axis": np.array(1, np.int64)})


@pytest.mark.parametrize("dtype", ["float32", "float16", "uint32", "uint64", "int32", "int64"])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumprod_dtypes(dtype, exclusive, reverse, axis):
    check_typed("CumProd", {"x": small((4, 13), dtype)}, {"exclusive": exclusive, "reverse": reverse}, opset=26,
                consts={"axis": np.array(axis, np.int64)})


def test_cumprod_runtime_axis():
    x = rand(3, 5, 2)
    for axis in (np.array(1, np.int64), np.array([2], np.int32)):
        check_typed("CumProd", {"x": x, "axis": axis}, {"reverse": 1}, opset=26)


@pytest.mark.parametrize("dtype", ["float16", "int8", "uint16", "uint64", "bool"])
@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_elements_dtypes(dtype, reduction):
    idx = np.array([[0, 2, 2, 1], [1, 1, 0, 3]], np.int64)
    check_typed("ScatterElements", {"data": small((2, 5), dtype), "indices": idx, "updates": small((2, 4), dtype)},
                {"axis": 1, "reduction": reduction}, opset=18)


@pytest.mark.parametrize("dtype", ["float16", "int16"])
def test_range_dtypes(dtype):
    s, limit, d = (np.array(v, dtype) for v in (-3, 10, 2))
    check_typed("Range", {}, opset=11, consts={"start": s, "limit": limit, "delta": d})


@pytest.mark.parametrize("dtype", ["float16", "int8", "uint16", "uint64", "int32"])
def test_onehot_index_dtypes(dtype):
    idx = np.array([[0, 3, 1], [2, 4, 1]], dtype)
    check_typed("OneHot", {"indices": idx}, {"axis": 1}, opset=11,
                consts={"depth": np.array(4, dtype), "values": np.array([0, 5], np.int16)})


# ---- ReverseSequence: run-time lengths, either axis order, any dtype ----------------------------------------
@pytest.mark.parametrize("batch_axis,time_axis,shape", [(1, 0, (13, 5, 3)), (0, 1, (5, 13, 2, 2)), (1, 0, (7, 1)),
                                                        (0, 1, (3, 127))])
def test_reverse_sequence(batch_axis, time_axis, shape):
    x = rand(*shape)
    steps, batch = shape[time_axis], shape[batch_axis]
    lens = np.array([(b * 5) % (steps + 1) for b in range(batch)], np.int64)  # 0 and full lengths included
    lens[-1] = steps
    check_typed("ReverseSequence", {"x": x, "lens": lens}, {"batch_axis": batch_axis, "time_axis": time_axis},
                opset=10)


@pytest.mark.parametrize("dtype", ["float16", "int8", "uint16", "int32", "uint64", "bool"])
def test_reverse_sequence_dtypes(dtype):
    check_typed("ReverseSequence", {"x": small((6, 4, 3), dtype), "lens": np.array([6, 0, 3, 1], np.int64)}, opset=10)


def test_reverse_sequence_length_out_of_range_is_a_runtime_error():
    x = rand(4, 2)
    node = helper.make_node("ReverseSequence", ["x", "lens"], ["y"], name="rev", batch_axis=1, time_axis=0)
    model = onnx.shape_inference.infer_shapes(helper.make_model(
        helper.make_graph([node], "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape),
                                        helper.make_tensor_value_info("lens", TensorProto.INT64, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]),
        opset_imports=[helper.make_opsetid("", 10)]))
    sess = pocketml.Session(pocketml.convert(model))
    with pytest.raises(PocketMLError, match=r"'rev'.*ReverseSequence.*sequence_lens\[1\] = 5 is out of range"):
        sess.run({"x": x, "lens": np.array([2, 5], np.int64)})
    np.testing.assert_array_equal(sess.run({"x": x, "lens": np.array([4, 0], np.int64)})["y"][:, 1], x[:, 1])
# ---- TensorScatter (opset 24): a KV-cache update ------------------------------------------------------
_TS_DTYPES = [np.float32, np.float16, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
              np.uint64, np.bool_]


@pytest.mark.parametrize("dtype", _TS_DTYPES)
def test_tensor_scatter_every_dtype(dtype):
    cache, update = values((2, 3, 6, 4), dtype), values((2, 3, 2, 4), dtype)
    feeds = {"past_cache": cache, "update": update, "write_indices": np.array([1, 4], np.int64)}
    check_runtime(feeds_model("TensorScatter", feeds, opset=24), feeds)


@pytest.mark.parametrize("shape,upd_len,axis,mode,wi", [
    ((2, 1, 4, 5), 1, -2, "linear", [0, 3]), ((2, 1, 4, 5), 2, -2, "circular", [3, 7]),
    ((3, 4, 5), 2, 1, "linear", None), ((3, 4, 5), 4, 1, "circular", [2, 0, 5]),
    ((2, 3, 7), 3, -1, "linear", [4, 0]), ((2, 2, 3, 6, 2), 5, 3, "circular", [5, 1]),
    ((1, 5), 5, 1, "linear", [0]), ((2, 3, 4), 0, 1, "linear", [3, 3]),
])
def test_tensor_scatter_vs_onnxruntime(shape, upd_len, axis, mode, wi):
    ax = axis % len(shape)
    cache = values(shape, np.float32)
    update = values(shape[:ax] + (upd_len,) + shape[ax + 1:], np.float32)
    feeds = {"past_cache": cache, "update": update}
    if wi is not None:
        feeds["write_indices"] = np.array(wi, np.int64)
    check_runtime(feeds_model("TensorScatter", feeds, {"axis": axis, "mode": mode}, opset=24), feeds)


def test_tensor_scatter_cache_grows_across_calls():
    """Decode steps: each call writes one token after the last valid one, present fed back as past."""
    cache = np.zeros((2, 2, 6, 3), np.float32)
    feeds = {"past_cache": cache, "update": values((2, 2, 1, 3), np.float32),
             "write_indices": np.array([0, 2], np.int64)}
    model = feeds_model("TensorScatter", feeds, opset=24)
    session = pocketml.Session(pocketml.convert(model))
    oracle_s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for step in range(3):
        feeds["update"] = values((2, 2, 1, 3), np.float32)
        got = session.run(feeds)["y0"]
        np.testing.assert_array_equal(got, oracle_s.run(None, feeds)[0])
        feeds["past_cache"], feeds["write_indices"] = got, feeds["write_indices"] + 1


def test_tensor_scatter_linear_overflow_is_a_clear_error():
    feeds = {"past_cache": values((2, 1, 4, 5), np.float32), "update": values((2, 1, 2, 5), np.float32),
             "write_indices": np.array([0, 3], np.int64)}
    session = pocketml.Session(pocketml.convert(feeds_model("TensorScatter", feeds, opset=24)))
    with pytest.raises(PocketMLError, match=r"write_indices\[1\] = 3 .*linear"):
        session.run(feeds)
