"""The elementwise ops added for transformer graphs end to end (ONNX ->
pocketml.convert -> C runtime, one and two threads) against onnxruntime:
comparisons, logic, Where with attention-mask broadcasting, Mod, the
predicates, rounding/trigonometric/erf ops, both Gelus (standalone, fused
into MatMul/Add by the optimizer, and at transformer sizes), CastLike, and
the importer's exact widening of float16 / int8 / uint8 inputs. Where
onnxruntime has no kernel for a case (float Mod with fmod=0, some 8-bit
comparisons) onnx's reference evaluator is the oracle."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml import ops
from pocketml.errors import PocketMLError

RNG = np.random.default_rng(11)
T = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
     np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
     np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64,
     np.dtype(np.bool_): TensorProto.BOOL}


def model_of(op, feeds, attrs=None, opset=20, n_out=1):
    names = list(feeds)
    node = helper.make_node(op, names, [f"y{i}" for i in range(n_out)], **(attrs or {}))
    graph = helper.make_graph([node], "t",
                              [helper.make_tensor_value_info(n, T[a.dtype], a.shape) for n, a in feeds.items()],
                              [helper.make_empty_tensor_value_info(f"y{i}") for i in range(n_out)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    import onnx

    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def oracle(model, feeds):
    try:
        return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    except Exception:  # onnxruntime has no kernel for this type/attribute: onnx's reference instead
        return ReferenceEvaluator(model).run(None, feeds)


def check(model, feeds, rtol=1e-4, atol=1e-5):
    want = oracle(model, feeds)
    for threads in (1, 2):
        got = pocketml.Session(pocketml.convert(model), threads=threads).run(feeds)
        for i, w in enumerate(want):
            g = got[f"y{i}"]
            assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
            if w.dtype.kind == "f":
                np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), rtol=rtol, atol=atol)
            else:
                np.testing.assert_array_equal(g, w)


def values(shape, dtype, low=-3, high=4):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.asarray(RNG.integers(0, 2, size=shape)).astype(np.bool_)
    v = np.asarray(RNG.integers(low, high, size=shape))
    return np.asarray(v + (3 if dtype.kind == "u" else 0), dtype)  # 0-d stays an array


MASK_SHAPES = [((2, 1, 1, 33), (2, 4, 33, 33)), ((5, 9), (9,)), ((), (1000,)), ((3, 1), (1, 70001))]


@pytest.mark.parametrize("op", ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.int8, np.uint8, np.float16])
def test_comparisons(op, dtype):
    for sa, sb in MASK_SHAPES[:3]:
        feeds = {"a": values(sa, dtype), "b": values(sb, dtype)}
        check(model_of(op, feeds), feeds)


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logical(op):
    for sa, sb in MASK_SHAPES:
        feeds = {"a": values(sa, np.bool_), "b": values(sb, np.bool_)}
        check(model_of(op, feeds), feeds)
    feeds = {"x": values((4, 77), np.bool_)}
    check(model_of("Not", feeds), feeds)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.float16, np.int32])
def test_where_attention_mask(dtype):
    # scores.masked_fill(mask == 0, -inf) style: [B,1,1,S] condition, [B,H,S,S] x, scalar y
    for sc, sx in MASK_SHAPES:
        feeds = {"c": values(sc, np.bool_), "x": values(sx, dtype), "z": values((), dtype)}
        check(model_of("Where", feeds), feeds)
    feeds = {"c": values((2, 1, 6), np.bool_), "x": values((3, 1), dtype), "z": values((2, 3, 6), dtype)}
    check(model_of("Where", feeds), feeds)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.uint8, np.float32, np.float16])
def test_mod(fmod, dtype):
    a = values((6, 11), dtype, -60, 60)
    b = RNG.choice([-7, -3, -1, 1, 2, 5], size=(11,))
    b = (np.abs(b) if np.dtype(dtype).kind == "u" else b).astype(dtype)
    if np.dtype(dtype).kind == "f":
        a = (a * 0.37).astype(dtype)
    feeds = {"a": a, "b": b}
    check(model_of("Mod", feeds, {"fmod": fmod}), feeds, rtol=1e-3 if dtype == np.float16 else 1e-5, atol=1e-5)


def test_mod_by_zero_is_a_clean_error():
    feeds = {"a": np.array([5, 6], np.int64), "b": np.array([2, 0], np.int64)}
    session = pocketml.Session(pocketml.convert(model_of("Mod", feeds)))
    with pytest.raises(PocketMLError, match="modulo by zero"):
        session.run(feeds)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_predicates(dtype):
    x = np.array([[np.inf, -np.inf, np.nan, 0.0, -1.5, 65504.0]], dtype)
    for attrs in ({}, {"detect_positive": 0}, {"detect_negative": 0}):
        check(model_of("IsInf", {"x": x}, attrs), {"x": x})
    check(model_of("IsNaN", {"x": x}), {"x": x})


@pytest.mark.parametrize("op", ["Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_unary_math(op, dtype):
    x = RNG.uniform(-6, 6, size=(7, 131)).astype(dtype)
    x[0, :8] = [0.5, 1.5, 2.5, -0.5, -2.5, 0.0, np.inf, -np.inf] if op != "Sin" and op != "Cos" else 0.5
    check(model_of(op, {"x": x}), {"x": x}, rtol=1e-3 if dtype == np.float16 else 1e-5, atol=1e-5)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", [(1,), (13,), (8 * 32, 3072), (128, 1536)])
def test_gelu(approximate, shape):
    x = RNG.normal(0, 3, size=shape).astype(np.float32)
    check(model_of("Gelu", {"x": x}, {"approximate": approximate}), {"x": x})


def test_gelu_float16_is_widened():
    x = RNG.normal(0, 3, size=(5, 37)).astype(np.float16)
    check(model_of("Gelu", {"x": x}), {"x": x}, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("src,like", [(np.float32, np.float16), (np.float16, np.float32), (np.int64, np.float32),
                                      (np.float32, np.int32), (np.bool_, np.float32), (np.float32, np.bool_),
                                      (np.uint8, np.int8)])
def test_castlike(src, like):
    feeds = {"x": values((3, 17), src, -100, 100), "like": values((1,), like)}
    check(model_of("CastLike", feeds, opset=19), feeds)


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
    check(model, {"x": x})
