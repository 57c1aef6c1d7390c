"""ONNX Gemm / MatMul import, and MatMul (+ bias) -> Gelu fused into one node by the optimizer.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
End-to-end cases convert with pocketml.convert and run the C runtime at one and two threads
against onnxruntime, or onnx's reference evaluator where onnxruntime has no kernel
(runtime_check.check_runtime).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml import ops

from .helpers import check, one_node, rand
from .runtime_check import RNG, check_runtime


@pytest.mark.parametrize("opset,ta,tb,with_c", [(7, 0, 0, True), (9, 1, 0, True), (11, 0, 1, False),
                                                (13, 1, 1, True)])
def test_gemm(opset, ta, tb, with_c):
    a = rand(5, 3) if ta else rand(3, 5)
    b = rand(4, 5) if tb else rand(5, 4)
    inits = {"b": b, "c": rand(4)} if with_c else {"b": b}
    check(one_node("Gemm", {"a": a}, {"transA": ta, "transB": tb, "alpha": 0.7, "beta": 1.3}, inits, opset), {"a": a})


def test_matmul_batched():
    a, b = rand(2, 3, 4, 5), rand(5, 6)
    check(one_node("MatMul", {"a": a}, {}, {"b": b}), {"a": a})


@pytest.mark.parametrize("approximate,kind", [("none", ops.ACT_GELU_ERF), ("tanh", ops.ACT_GELU_TANH)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_matmul_gelu_fuses(approximate, kind, with_bias):
    """A transformer MLP's first half: x @ W (+ b) -> Gelu becomes one node with a fused Gelu."""
    w = RNG.normal(0, 0.2, size=(64, 96)).astype(np.float32)
    b = RNG.normal(0, 0.2, size=(96,)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"])]
    if with_bias:
        nodes.append(helper.make_node("Add", ["h", "b"], ["hb"]))
    nodes.append(helper.make_node("Gelu", ["hb" if with_bias else "h"], ["y0"], approximate=approximate))
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 32, 64])],
                              [helper.make_tensor_value_info("y0", TensorProto.FLOAT, [8, 32, 96])],
                              [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.reshape(-1)),
                               helper.make_tensor("b", TensorProto.FLOAT, b.shape, b)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], ir_version=9)
    converted = pocketml.convert(model)
    assert "Gelu" not in [n.op for n in converted.graph.nodes]
    assert [n.attrs.get("act") for n in converted.graph.nodes if n.attrs.get("act")] == [kind]
    x = RNG.normal(0, 1, size=(8, 32, 64)).astype(np.float32)
    check_runtime(model, {"x": x})
