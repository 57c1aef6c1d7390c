"""ONNX If at conversion: a constant condition (as written, or folded from static shapes) inlines the
branch it selects, whose nodes may read outer-scope values and nest another If; the result matches
onnxruntime. A condition only known at run time keeps both branches as subgraphs (the runtime picks
one per run; tests/runtime/test_control_flow.py covers the runtime side)."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml

F = TensorProto.FLOAT
RNG = np.random.default_rng(5)


def _branch(name, op, out, extra_nodes=()):
    nodes = list(extra_nodes) + [helper.make_node(op, ["x", "w"], [out])]  # x and w come from the outer graph
    return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(out, F, None)])


def _model(cond_nodes, cond_name, then_g, else_g, inits=()):
    nodes = list(cond_nodes) + [helper.make_node("If", [cond_name], ["y"], name="my_if", then_branch=then_g,
                                                 else_branch=else_g),
                                helper.make_node("Relu", ["y"], ["z"])]
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", F, [2, 3])],
                              [helper.make_tensor_value_info("z", F, None)],
                              [numpy_helper.from_array(np.array([0.5, -1.0, 2.0], np.float32), "w"), *inits])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _check(model):
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    converted = pocketml.convert(model)
    assert "If" not in {n.op for n in converted.graph.nodes}
    got = pocketml.Session(converted).run({"x": x})["z"]
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("value", [True, False])
def test_constant_condition_inlines_the_selected_branch(value):
    cond = numpy_helper.from_array(np.array(value), "c")
    _check(_model([], "c", _branch("then", "Add", "t"), _branch("else", "Mul", "e"), [cond]))


def test_condition_folded_from_a_static_shape_and_a_nested_if():
    """cond = Shape(x)[0] == 2 folds to true; the then-branch holds another If on a constant."""
    inner = helper.make_node("If", ["c_inner"], ["t"], then_branch=_branch("tt", "Sub", "t1"),
                             else_branch=_branch("te", "Div", "t2"))
    then_g = helper.make_graph([helper.make_node("Constant", [], ["c_inner"],
                                                 value=numpy_helper.from_array(np.array(False))), inner],
                               "then", [], [helper.make_tensor_value_info("t", F, None)])
    cond_nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Gather", ["s", "zero"], ["d0"], axis=0),
                  helper.make_node("Equal", ["d0", "two"], ["c"])]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array(2, np.int64), "two")]
    _check(_model(cond_nodes, "c", then_g, _branch("else", "Mul", "e"), inits))


def test_run_time_condition_keeps_both_branches_as_subgraphs():
    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0), helper.make_node("Greater", ["s", "zero"], ["c"])]
    model = _model(nodes, "c", _branch("then", "Add", "t"), _branch("else", "Mul", "e"),
                   [numpy_helper.from_array(np.array(0.0, np.float32), "zero")])
    converted = pocketml.convert(model)
    (node,) = [n for n in converted.graph.nodes if n.op == "If"]
    assert node.inputs == ["c", "x"]  # the outer value both branches read, passed explicitly
    assert node.attrs["then_branch"].inputs == ["x"] and node.attrs["else_branch"].inputs == ["x"]
    session = pocketml.Session(converted)
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for sign in (1.0, -1.0, 1.0):  # both branches, from one session
        x = (sign * np.abs(RNG.standard_normal((2, 3)))).astype(np.float32)
        np.testing.assert_allclose(session.run({"x": x})["z"], oracle.run(None, {"x": x})[0], rtol=1e-6, atol=1e-6)
