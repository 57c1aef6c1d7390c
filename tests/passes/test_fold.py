"""Constant folding: folded graphs compute the same outputs; Shape folds on static dims."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml.passes import fold_constants

from .helpers import Builder, check, counts, rand


def test_constant_chain_folds_to_one_constant():
    b = Builder()
    x = b.input("x", (2, 3))
    c = b.op("Mul", b.op("Add", b.const(rand(2, 3)), b.const(rand(3))), b.const(np.float32(2.0)))
    g = b.output(b.op("Add", x, b.op("Relu", c)))
    after = check(g, fold_constants)
    assert counts(after) == {"Add": 1}
    assert after.is_const(after.nodes[0].inputs[1])


def test_shape_subgraph_folds_once_input_shape_is_static():
    b = Builder()
    x = b.input("x", (2, 3))
    ones = b.op("ConstantOfShape", b.op("Shape", x), value=[1.5])
    g = b.output(b.op("Add", x, ones), infer=False)  # ConstantOfShape infers only once its input is folded
    after = check(g, fold_constants)
    assert counts(after) == {"Add": 1}
    np.testing.assert_array_equal(after.values[after.nodes[0].inputs[1]].const, np.full((2, 3), 1.5, np.float32))


def test_shape_slice_folds_around_symbolic_dims():
    b = Builder()
    x = b.input("x", ("batch", 3, 4))
    static = b.op("Shape", x, start=1)
    dynamic = b.op("Shape", x)
    g = b.output(b.op("Concat", static, b.op("Shape", x, start=-2, end=-1), axis=0), dynamic)
    after = check(g, fold_constants, feeds={"x": rand(5, 3, 4)})
    assert counts(after) == {"Shape": 1, "Identity": 1}  # the Concat of two static slices folded too
    shape_node = next(n for n in after.nodes if n.op == "Shape")
    assert shape_node.outputs == [dynamic]


def test_constant_graph_output_folds_and_keeps_its_name():
    b = Builder()
    x = b.input("x", (2, 3))
    out = b.op("Shape", x)  # runtime=False: must not reach the runtime even as an output
    g = b.output(out, b.op("Neg", b.const(rand(2))))
    after = check(g, fold_constants)
    # the runtime wants outputs computed by nodes: each becomes Identity(constant), once
    assert counts(after) == {"Identity": 2} and after.outputs == g.outputs
    assert after.values[after.nodes[0].inputs[0]].const.tolist() == [2, 3]
    assert not fold_constants(after)


def test_constant_output_from_the_importer_is_materialised():
    b = Builder()
    b.input("x", (2,))
    g = b.output(b.const(rand(3)))
    after = check(g, fold_constants)
    assert counts(after) == {"Identity": 1} and after.outputs == g.outputs


def test_expanding_runtime_ops_are_not_folded():
    b = Builder()
    x = b.input("x", (1024, 1024))
    big = b.op("Add", b.const(rand(1024, 1)), b.const(rand(1, 1024)))  # 4 MiB from 8 KiB
    # ConstantOfShape runs in the C runtime too: a 4 MiB fill stays a node, not file bytes
    fill = b.op("ConstantOfShape", b.const(np.array([1024, 1024], np.int64)), value=[0.5])
    g = b.output(b.op("Add", b.op("Add", x, big), fill))
    after = check(g, fold_constants, expect_change=False)
    assert counts(after) == {"Add": 3, "ConstantOfShape": 1}


def test_failing_reference_leaves_node_with_warning():
    b = Builder()
    x = b.input("x", (3,))
    picked = b.op("Gather", b.const(rand(3)), b.const(np.array([7], np.int64)), axis=0)
    b.output(b.op("Add", x, picked))  # infer cannot see the index value; the reference rejects it
    with pytest.warns(UserWarning, match="Gather"):
        assert not fold_constants(b.g)
    assert counts(b.g) == {"Gather": 1, "Add": 1}


def test_folded_value_keeps_inferred_dtype():
    b = Builder()
    x = b.input("x", (2,), dtype="int32")
    s = b.op("Cast", b.op("Shape", b.const(rand(4, 2))), to=5)  # int64 -> int32
    g = b.output(b.op("Add", x, b.op("Gather", s, b.const(np.array([1], np.int64)), axis=0)))
    after = check(g, fold_constants, feeds={"x": np.array([1, 2], np.int32)})
    folded = after.values[after.nodes[0].inputs[1]]
    assert folded.dtype == "int32" and folded.const.dtype == np.int32


def test_a_folded_graph_output_that_other_nodes_read_keeps_the_order_valid():
    """sf = Cast(Shape(x)) folds to a constant that is both a graph output (so it gets an Identity
    producer, appended last) and an input of Add: the converted file must still be in topological
    order and load (it did not: 'nodes are not in topological order')."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Cast", ["s"], ["sf"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["x", "sf"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2]),
                               helper.make_tensor_value_info("sf", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    out = pocketml.Session(pocketml.convert(model)).run({"x": np.array([1.0, 2.0], np.float32)})
    np.testing.assert_array_equal(out["y"], [3.0, 4.0])
    np.testing.assert_array_equal(out["sf"], [2.0])
