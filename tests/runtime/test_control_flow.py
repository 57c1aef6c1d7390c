"""Control flow in the runtime: If, Loop and While run their subgraphs through child sessions.

The control_flow fixture (tests/format/make_c_fixtures.py: an If whose branches give different
shapes, a Loop carrying a value and stacking it, an If nested in its body) against the registry's
numpy references at changing shapes, trip counts and branches, on every kernel configuration and
with a thread pool; the subgraphs survive a .pml round trip; a Loop whose carried value grows
matches onnxruntime; a loop that never stops is stopped by max_loop_iterations with a clear error."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml import reference, runtime
from pocketml.errors import PocketMLError
from pocketml.format.reader import read_pml
from pocketml.format.writer import write_pml
from tests.format.make_c_fixtures import control_flow_graph

RNG = np.random.default_rng(21)


def _feeds(n: int, steps: int, sign: float) -> dict:
    x = (sign * np.abs(RNG.standard_normal((n, 3)))).astype(np.float32)
    return {"x": x, "steps": np.array(steps, np.int64)}


@pytest.mark.parametrize("isa", runtime.available_isas())
@pytest.mark.parametrize("threads", [1, 2])
def test_fixture_matches_the_reference_as_shapes_branches_and_trip_counts_change(isa, threads):
    graph = control_flow_graph()
    session = pocketml.Session(pocketml.Model(graph, {}), threads=threads, isa=isa)
    for n, steps, sign in [(4, 3, 1.0), (4, 3, -1.0), (2, 5, 1.0), (5, 0, -1.0), (4, 3, 1.0), (1, 7, -1.0)]:
        feeds = _feeds(n, steps, sign)
        got, want = session.run(feeds), reference.run_graph(graph, feeds)
        for name in want:
            assert got[name].shape == want[name].shape, (name, n, steps, sign)
            np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-6)


def test_subgraphs_survive_a_pml_round_trip(tmp_path):
    path = tmp_path / "cf.pml"
    write_pml(control_flow_graph(), path)
    graph, _ = read_pml(path)
    (pick,) = [n for n in graph.nodes if n.op == "If"]
    (loop,) = [n for n in graph.nodes if n.op == "Loop"]
    assert pick.attrs["else_branch"].inputs and [n.op for n in pick.attrs["else_branch"].nodes] == ["Slice"]
    nested = [n for n in loop.attrs["body"].nodes if n.op == "If"]
    assert len(nested) == 1 and nested[0].attrs["then_branch"].nodes[0].op == "Neg"
    session = pocketml.Session(pocketml.Model.load(str(path)))
    feeds = _feeds(3, 4, -1.0)
    want = reference.run_graph(control_flow_graph(), feeds)
    for name, value in session.run(feeds).items():
        np.testing.assert_allclose(value, want[name], rtol=1e-6, atol=1e-6)


def _loop_model(body_nodes, body_outputs, inputs, loop_inputs, outputs, inits=(), n_scan=0):
    I64, B, F = TensorProto.INT64, TensorProto.BOOL, TensorProto.FLOAT
    body = helper.make_graph(body_nodes, "body",
                             [helper.make_tensor_value_info("i", I64, []), helper.make_tensor_value_info("c", B, []),
                              helper.make_tensor_value_info("v", F, None)],
                             [helper.make_tensor_value_info(o, t, None) for o, t in body_outputs])
    node = helper.make_node("Loop", loop_inputs, outputs, body=body)
    graph = helper.make_graph([node], "m", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(o, F, None) for o in outputs], initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_loop_whose_carried_value_grows_matches_onnxruntime():
    """v <- concat(v, v * i): the carried value doubles in length every iteration."""
    B, F, I64 = TensorProto.BOOL, TensorProto.FLOAT, TensorProto.INT64
    model = _loop_model(
        [helper.make_node("Cast", ["i"], ["fi"], to=F), helper.make_node("Mul", ["v", "fi"], ["vi"]),
         helper.make_node("Concat", ["v", "vi"], ["v2"], axis=0), helper.make_node("Identity", ["c"], ["c2"])],
        [("c2", B), ("v2", F)], [("x", F, ["n"]), ("m", I64, [])], ["m", "", "x"], ["y"])
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for n, m in [(2, 3), (3, 1), (2, 4), (2, 3)]:
        feeds = {"x": RNG.standard_normal(n).astype(np.float32), "m": np.array(m, np.int64)}
        got, want = session.run(feeds)["y"], oracle.run(None, feeds)[0]
        assert got.shape == want.shape == (n * 2**m,)
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("trip_count", [False, True])
def test_loop_that_never_stops_is_stopped_with_a_clear_error(trip_count):
    """The body passes its condition through unchanged: with cond true and no (or a huge) trip count
    the loop would never end."""
    B, F, I64 = TensorProto.BOOL, TensorProto.FLOAT, TensorProto.INT64
    inputs = [("x", F, [2]), ("go", B, [])] + ([("m", I64, [])] if trip_count else [])
    model = _loop_model([helper.make_node("Identity", ["c"], ["c2"]), helper.make_node("Neg", ["v"], ["v2"])],
                        [("c2", B), ("v2", F)], inputs, ["m" if trip_count else "", "go", "x"], ["y"])
    session = pocketml.Session(pocketml.convert(model), max_loop_iterations=100)
    feeds = {"x": np.ones(2, np.float32), "go": np.array(True)}
    if trip_count:
        feeds["m"] = np.array(2**62, np.int64)
    with pytest.raises(PocketMLError, match=r"'Loop_0' \(Loop\): ran 100 iterations without stopping.*"
                                            r"max_loop_iterations"):
        session.run(feeds)
    feeds["go"] = np.array(False)  # the same session still runs a loop that stops
    np.testing.assert_array_equal(session.run(feeds)["y"], np.ones(2, np.float32))


def test_a_body_condition_that_is_not_one_value_is_a_clear_error():
    """A file may declare a body whose condition output is empty: the run names it, never reads past it."""
    from pocketml import ir
    from pocketml.shape_inference import infer_shapes

    body = ir.Graph("body")
    body.add_value("i", "int64", ())
    body.add_value("c", "bool", ())
    body.add_value("v", "float32", (2,))
    body.inputs = ["i", "c", "v"]
    body.add_value("none", const=np.zeros(0, bool))
    body.add_node("Identity", ["none"], ["c_out"], name="empty_cond")
    body.add_node("Neg", ["v"], ["v_out"], name="negate")
    body.outputs = ["c_out", "v_out"]
    graph = ir.Graph("m")
    graph.add_value("x", "float32", (2,))
    graph.add_value("m", "int64", ())
    graph.inputs = ["x", "m"]
    graph.add_node("Loop", ["m", "", "x"], ["y"], {"body": body, "n_carried": 1}, name="loop")
    graph.outputs = ["y"]
    infer_shapes(body)
    infer_shapes(graph)
    session = pocketml.Session(pocketml.Model(graph, {}))
    with pytest.raises(PocketMLError, match=r"'loop' \(Loop\): the body's condition must give one value, got shape \[0\]"):
        session.run({"x": np.ones(2, np.float32), "m": np.array(3, np.int64)})
