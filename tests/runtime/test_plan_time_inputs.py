"""Graph inputs whose values fix shapes (a Reshape's shape, Slice bounds, TopK's k, reduction
axes, Pad's pads, Range's limits...) fed at run time: the session reads them while planning,
keys its plan cache on their values and matches onnxruntime for every value."""
from __future__ import annotations

import ctypes

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml.errors import PocketMLError
from pocketml.runtime import lib

F, I64 = TensorProto.FLOAT, TensorProto.INT64
RNG = np.random.default_rng(7)


def _model(nodes, inputs, opset=18):
    graph = helper.make_graph(nodes, "plan_inputs", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info("y", F, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _check(model, feeds_list):
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for feeds in feeds_list:
        got = session.run(feeds)["y"]
        want = oracle.run(None, feeds)[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    return session


X = RNG.standard_normal((2, 3, 4)).astype(np.float32)
CASES = {
    "reshape": (_model([helper.make_node("Reshape", ["x", "p"], ["y"])], [("x", F, [2, 3, 4]), ("p", I64, [2])]),
                [[6, 4], [4, 6], [-1, 2], [6, 4]]),
    "slice": (_model([helper.make_node("Slice", ["x", "p", "e"], ["y"])], [("x", F, [2, 3, 4]), ("p", I64, [3]),
                                                                         ("e", I64, [3])]),
              [([0, 1, 1], [2, 3, 4]), ([1, 0, -3], [2, 2, 4]), ([0, 1, 1], [2, 3, 4])]),
    "reduce_axes": (_model([helper.make_node("ReduceSum", ["x", "p"], ["y"], keepdims=0)],
                           [("x", F, [2, 3, 4]), ("p", I64, [1])]), [[0], [2], [-2], [0]]),
    "pad": (_model([helper.make_node("Pad", ["x", "p"], ["y"], mode="edge")], [("x", F, [2, 3, 4]), ("p", I64, [6])]),
            [[0, 1, 2, 0, 0, 1], [1, 0, 0, 2, 1, -1], [0, 1, 2, 0, 0, 1]]),
    "topk": (_model([helper.make_node("TopK", ["x", "p"], ["y", "i"])], [("x", F, [2, 3, 4]), ("p", I64, [1])]),
             [[1], [4], [2]]),
    "tile": (_model([helper.make_node("Tile", ["x", "p"], ["y"])], [("x", F, [2, 3, 4]), ("p", I64, [3])]),
             [[1, 2, 1], [2, 1, 3]]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parameter_fed_at_run_time_matches_onnxruntime(name):
    model, values = CASES[name]
    params = [i.name for i in model.graph.input if i.name != "x"]
    feeds = []
    for v in values:
        vs = v if isinstance(v, tuple) else (v,)
        feeds.append({"x": X, **{p: np.array(a, np.int64) for p, a in zip(params, vs)}})
    session = _check(model, feeds)
    distinct = len({tuple(map(tuple, v)) if isinstance(v, tuple) else tuple(v) for v in values})
    assert session.plan_count == distinct  # a value seen before re-uses its cached plan


def test_range_limit_from_an_input_sizes_the_output():
    nodes = [helper.make_node("Range", ["s", "n", "d"], ["r"]), helper.make_node("Cast", ["r"], ["c"], to=F),
             helper.make_node("Mul", ["c", "x"], ["y"])]
    model = _model(nodes, [("x", F, [1]), ("s", I64, []), ("n", I64, []), ("d", I64, [])], opset=17)
    _check(model, [{"x": np.array([2.0], np.float32), "s": np.array(0), "n": np.array(n), "d": np.array(1)}
                   for n in (3, 7, 0, 3)])


def _c_session(model):
    return pocketml.Session(pocketml.convert(model))


def test_c_api_names_the_input_to_set_first():
    model, _ = CASES["reshape"]
    session = _c_session(model)
    handle = session._require()
    fixes = [lib().pml_session_input_fixes_shapes(handle, i) for i in range(2)]
    assert fixes == [0, 1]
    # data before the input that fixes shapes: the error says which input to set first
    status = lib().pml_session_set_input(handle, 0, X.ctypes.data_as(ctypes.c_void_p), X.nbytes)
    assert status != 0
    assert "'p' fixes output shapes" in lib().pml_last_error().decode()
    # a wrong element count for the plan-time input is refused with its size
    bad = np.zeros(3, np.int64)
    assert lib().pml_session_set_input(handle, 1, bad.ctypes.data_as(ctypes.c_void_p), bad.nbytes) != 0
    assert "expects 16 bytes" in lib().pml_last_error().decode()


def test_bad_value_is_a_clear_error_and_the_session_recovers():
    model, _ = CASES["reshape"]
    session = _c_session(model)
    with pytest.raises(PocketMLError, match="cannot reshape"):
        session.run({"x": X, "p": np.array([5, 5], np.int64)})
    assert session.run({"x": X, "p": np.array([4, 6], np.int64)})["y"].shape == (4, 6)
