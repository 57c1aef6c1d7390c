"""ONNX Gemm / MatMul import, MatMul (+ bias) -> Gelu fused into one node by the optimizer, Det, and Einsum
(decomposed at import into ReduceSum/Transpose/Reshape/MatMul) against onnxruntime.

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
from pocketml.errors import UnsupportedOpError

from .helpers import check, one_node, rand
from .runtime_check import RNG, check_runtime, close_all, model_of, op_model, randn, run_both


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


@pytest.mark.parametrize("eq,shapes", [
    ("bhid,bhjd->bhij", [(2, 3, 5, 8), (2, 3, 7, 8)]),
    ("bhij,bhjd->bhid", [(2, 3, 5, 7), (2, 3, 7, 8)]),
    ("bij,bjk->bik", [(4, 5, 6), (4, 6, 3)]),
    ("ij,jk->ik", [(5, 6), (6, 7)]),
    ("bid,jd->bij", [(2, 5, 8), (9, 8)]),
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (2, 3, 5, 6)]),
    ("bsh,hd->bsd", [(2, 3, 16), (16, 9)]),
    ("i,i", [(7,), (7,)]),
    ("i,j->ij", [(4,), (5,)]),
    ("ij,kj->ik", [(3, 5), (4, 5)]),
    ("bqhd,bkhd->bhqk", [(2, 5, 3, 4), (2, 6, 3, 4)]),
    ("abc,cd", [(2, 3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ijk->ik", [(3, 4, 5)]),
    ("ij,jk->", [(3, 4), (4, 5)]),
    ("ijk,jl->il", [(2, 3, 4), (3, 5)]),  # k summed in the first operand alone
])
def test_einsum_vs_onnxruntime(eq, shapes):
    inputs = [randn(*s) for s in shapes]
    got, ref, converted = run_both(op_model("Einsum", inputs, opset=12, equation=eq), inputs)
    close_all(got, ref)
    assert "Einsum" not in {n.op for n in converted.graph.nodes}


def test_einsum_diagonal_is_a_clear_error():
    x = randn(3, 3)
    with pytest.raises(UnsupportedOpError, match="repeated labels"):
        pocketml.convert(op_model("Einsum", [x], opset=12, equation="ii->i"))


# ---- Det (opset 11): the C runtime at one and two threads against onnxruntime -----------------------------
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 3), (5, 5), (13, 13), (2, 3, 4, 4), (9, 7, 7), (1, 2, 1, 1),
                                   (0, 3, 3), (17, 2, 2)])
def test_det(shape):
    x = rand(*shape, low=-1.5, high=1.5)
    check_runtime(model_of("Det", {"x": x}, opset=11), {"x": x}, rtol=1e-3, atol=1e-4)


def test_det_pivoting_and_singular():
    # a zero leading entry (needs a row swap), a permutation (det -1), two equal rows and a zero column
    x = np.array([[[0, 2, 1], [3, 1, 0], [1, 1, 1]], [[0, 1, 0], [1, 0, 0], [0, 0, 1]],
                  [[1, 2, 3], [4, 5, 6], [1, 2, 3]], [[0, 1, 2], [0, 3, 4], [0, 5, 6]]], np.float32)
    check_runtime(model_of("Det", {"x": x}, opset=11), {"x": x}, rtol=1e-5, atol=1e-5)


def test_det_float16_computes_in_float32():
    x = rand(3, 2, 5, 5, low=-1, high=1).astype(np.float16)
    check_runtime(model_of("Det", {"x": x}, opset=11), {"x": x}, rtol=5e-3, atol=2e-3)


def test_det_symbolic_batch():
    node = helper.make_node("Det", ["x"], ["y"])
    graph = helper.make_graph([node], "det", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    session = pocketml.Session(pocketml.convert(model), threads=2)
    for n in (1, 20, 3):
        x = rand(n, 6, 6, low=-1.5, high=1.5)
        np.testing.assert_allclose(session.run({"x": x})["y"], np.linalg.det(x.astype(np.float64)), rtol=1e-3,
                                   atol=1e-4)


def test_det_rejects_non_square():
    x = rand(2, 3, 4)
    with pytest.raises(pocketml.PocketMLError, match=r"square matrices"):
        pocketml.convert(one_node("Det", {"x": x}, opset=11))
