"""Shape subgraphs with symbolic dims, end to end: ONNX graphs from the
exporters' playbook (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Range
over a sequence length, Expand/ConstantOfShape to a computed shape) are
converted once with their batch/sequence dims symbolic, then run at several
sizes against onnxruntime. Where the importer cannot fold a shape tensor
into attributes, the IR keeps Shape nodes and the runtime evaluates the
shape computation while planning each new input shape."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def ort_run(model, feeds):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def const(name, values, dtype=I64, dims=None):
    arr = np.asarray(values)
    return helper.make_tensor(name, dtype, list(arr.shape) if dims is None else dims, arr.reshape(-1).tolist())


def test_reshape_to_computed_shape_at_two_batch_sizes():
    # y = Reshape(x, Concat(Unsqueeze(Shape(x)[0]), [-1, 2])): [B, 4, 3] -> [B, 6, 2]
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
        helper.make_node("Unsqueeze", ["b", "axes0"], ["b1"]),
        helper.make_node("Concat", ["b1", "rest"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", F, ["B", 4, 3])],
                              [helper.make_tensor_value_info("y", F, ["B", 6, 2])],
                              [const("zero", 0, dims=[]), const("axes0", [0]), const("rest", [-1, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = pocketml.Session(pocketml.convert(model))
    for batch in (2, 5, 1):
        x = np.random.default_rng(batch).standard_normal((batch, 4, 3)).astype(np.float32)
        np.testing.assert_array_equal(session.run({"x": x})["y"], ort_run(model, {"x": x})[0])


def test_runtime_shape_values_range_expand_constant_of_shape():
    # pos = Range(0, S, 1); ones = ConstantOfShape(Shape(x)); z = Expand(bias, Shape(x)) + ones
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "one"], ["seq"], axis=0),
        helper.make_node("Range", ["zero", "seq", "one"], ["pos"]),
        helper.make_node("ConstantOfShape", ["s"], ["ones"], value=const("v", [1.0], F, [1])),
        helper.make_node("Expand", ["bias", "s"], ["eb"]),
        helper.make_node("Add", ["eb", "ones"], ["z"]),
        helper.make_node("Mul", ["z", "x"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "t", [helper.make_tensor_value_info("x", F, ["B", "S"])],
        [helper.make_tensor_value_info("y", F, ["B", "S"]), helper.make_tensor_value_info("pos", I64, ["S"])],
        [const("zero", 0, dims=[]), const("one", 1, dims=[]), helper.make_tensor("bias", F, [1, 1], [0.5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = pocketml.Session(pocketml.convert(model))
    for b, s in ((2, 3), (1, 7), (4, 1), (2, 3)):
        x = np.random.default_rng(b * 10 + s).standard_normal((b, s)).astype(np.float32)
        ours = session.run({"x": x})
        y, pos = ort_run(model, {"x": x})
        np.testing.assert_allclose(ours["y"], y, rtol=1e-6)
        np.testing.assert_array_equal(ours["pos"], pos)


def test_slice_to_sequence_length_and_tile_by_batch():
    # the position-mask pattern: table[:, :S] with S = Shape(x)[1], then tiled over the batch
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Slice", ["s", "one1", "two1"], ["s1"]),  # [S]
        helper.make_node("Slice", ["table", "zero1", "s1", "one1"], ["part"]),  # [1, S]
        helper.make_node("Slice", ["s", "zero1", "one1"], ["b1"]),  # [B]
        helper.make_node("Concat", ["b1", "one1"], ["reps"], axis=0),  # [B, 1]
        helper.make_node("Tile", ["part", "reps"], ["tiled"]),
        helper.make_node("Add", ["tiled", "x"], ["y"]),
    ]
    table = np.arange(32, dtype=np.float32).reshape(1, 32)
    graph = helper.make_graph(
        nodes, "t", [helper.make_tensor_value_info("x", F, ["B", "S"])],
        [helper.make_tensor_value_info("y", F, ["B", "S"])],
        [const("zero1", [0]), const("one1", [1]), const("two1", [2]),
         helper.make_tensor("table", F, [1, 32], table.reshape(-1).tolist())])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = pocketml.Session(pocketml.convert(model))
    for b, s in ((2, 5), (3, 32), (1, 1)):
        x = np.random.default_rng(b + s).standard_normal((b, s)).astype(np.float32)
        np.testing.assert_allclose(session.run({"x": x})["y"], ort_run(model, {"x": x})[0], rtol=1e-6)
