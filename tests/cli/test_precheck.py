"""The pre-scan before conversion: unsupported ops in the main graph fail at once, all of
them; ones only inside subgraphs are left to the importer (an If folded on a constant
condition never imports its other branch)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx.dispatch import unsupported_nodes
from pocketml.errors import UnsupportedOpError
from pocketml.precheck import InputShapeError, check_input_shapes


def _if_model(else_op: str, cond: bool, main_extra=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])

    def branch(op, name):
        out = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [2])
        return helper.make_graph([helper.make_node(op, ["x"], [f"{name}_out"], name=f"{name}_node")], name, [], [out])

    nodes = [helper.make_node("If", ["c"], ["t"], name="if0", then_branch=branch("Relu", "then"),
                              else_branch=branch(else_op, "else")),
             helper.make_node("Identity", ["t"], ["y"]), *main_extra]
    c = numpy_helper.from_array(np.array(cond), "c")
    g = helper.make_graph(nodes, "g", [x], [y], initializer=[c])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])


def test_subgraph_rows_are_named_by_their_path():
    rows = unsupported_nodes(_if_model("Bernoulli", True))
    assert rows == [("if0.else_branch: else_node", "Bernoulli", "ai.onnx", 15, False)]


def test_rows_from_the_load_fields_of_a_flat_graph(tmp_path):
    """convert() hands the pre-scan the node fields its load read (a flat graph's nodes are not
    read again): the same rows, named by node name or #index, a custom domain included; an op of
    another domain that has a handler (com.microsoft's QLinearSigmoid) is no row in either."""
    from pocketml.converters.onnx.importer import load_model

    nodes = [helper.make_node("Relu", ["x"], ["a"], name="r"), helper.make_node("Bernoulli", ["a"], ["b"]),
             helper.make_node("Foo", ["b"], ["c"], name="custom", domain="com.example"),
             helper.make_node("QLinearSigmoid", ["c", "s", "z", "s", "z"], ["y"], domain="com.microsoft")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("com.example", 1),
                                                helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, tmp_path / "m.onnx")
    loaded = load_model(tmp_path / "m.onnx")
    assert loaded.flat and loaded.node_fields is not None
    want = [("#1", "Bernoulli", "ai.onnx", 15, True), ("custom", "Foo", "com.example", 1, True)]
    assert unsupported_nodes(loaded.proto, loaded.node_fields, loaded.flat) == want
    assert unsupported_nodes(model) == want
    with pytest.raises(UnsupportedOpError, match=r"2 node\(s\) use 2 unsupported op\(s\)"):
        pocketml.convert(tmp_path / "m.onnx")


def test_unsupported_op_in_a_folded_branch_does_not_stop_conversion(tmp_path):
    onnx.save(_if_model("Bernoulli", True), tmp_path / "m.onnx")
    model = pocketml.convert(tmp_path / "m.onnx")
    x = np.array([-1.0, 2.0], np.float32)
    np.testing.assert_array_equal(pocketml.Session(model).run({"x": x})["y"], np.maximum(x, 0))


def test_main_graph_failure_lists_subgraph_rows_too(tmp_path):
    extra = [helper.make_node("Bernoulli", ["x"], ["z"], name="top")]
    onnx.save(_if_model("Bernoulli", True, extra), tmp_path / "m.onnx")
    with pytest.raises(UnsupportedOpError, match=r"2 node\(s\) use 1 unsupported op\(s\): Bernoulli") as e:
        pocketml.convert(tmp_path / "m.onnx")
    assert "if0.else_branch: else_node" in str(e.value) and "\n  top " in str(e.value)


@pytest.mark.parametrize("given,match", [({"y": (1,)}, "not inputs of the model; its inputs: x"),
                                         ({"x": (0, 2)}, "positive"), ({"x": (2,)}, "rank 1, but")])
def test_check_input_shapes(given, match):
    with pytest.raises(InputShapeError, match=match):
        check_input_shapes(given, {"x": ("batch", 2)})
