"""Output symbolic dims carry readable names: the source model's own names for them, else the
graph-input dim inside the expression shape inference computed (max(batch,node:d0) -> batch)."""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml import ir
from pocketml.dim_names import name_output_dims

F = TensorProto.FLOAT


def _model(output_shape):
    nodes = [helper.make_node("Expand", ["x", "shape"], ["e"]), helper.make_node("Add", ["e", "x"], ["y"])]
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", F, ["batch", 4])],
                              [helper.make_tensor_value_info("y", F, output_shape)],
                              [numpy_helper.from_array(np.array([1, 4], np.int64), "shape")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_output_dims_take_the_names_the_model_declares():
    session = pocketml.Session(pocketml.convert(_model(["N", 4])))
    assert session.outputs[0].shape == ("N", 4)


def test_computed_dim_names_simplify_to_the_input_dim():
    graph = ir.Graph()
    graph.add_value("x", "float32", ("batch", "seq"))
    graph.add_value("y", "float32", ("max(max(batch,node_expand:d0),node_view_3:d0)", "node_view:d1", 4))
    graph.add_node("Identity", ["x"], ["y"])
    graph.inputs, graph.outputs = ["x"], ["y"]
    name_output_dims(graph)
    assert graph.values["y"].shape == ("batch", "node_view:d1", 4)  # no input dim inside: kept
    session = pocketml.Session(pocketml.convert(_model(None)))
    assert session.outputs[0].shape == ("batch", 4)
    assert session.run({"x": np.ones((3, 4), np.float32)})["y"].shape == (3, 4)


def test_exported_encoders_name_their_outputs_batch_and_seq():
    for path in ("tests/fixtures/encoder_dynamo.onnx", "tests/fixtures/encoder_torchscript.onnx"):
        outs = {o.name: o.shape for o in pocketml.Session(pocketml.convert(path)).outputs}
        assert outs == {"last_hidden_state": ("batch", "seq", 64), "pooler_output": ("batch", 64)}, path
