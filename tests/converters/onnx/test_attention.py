"""ONNX Einsum, Attention, RotaryEmbedding, LayerNormalization and
RMSNormalization imported and run through the C runtime, compared with
onnxruntime (the independent oracle): the einsum contractions attention code
emits and general two-operand ones, 3-D Attention with a KV cache and GQA,
optional LayerNormalization outputs, and the errors for what is not covered."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml.errors import PocketMLError, UnsupportedOpError

RNG = np.random.default_rng(5)
F = TensorProto.FLOAT


def _model(op, inputs, n_out=1, opset=23, out_names=None, **attrs):
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    outs = out_names or [f"o{k}" for k in range(n_out)]
    dt = {np.dtype(np.float32): F, np.dtype(np.int64): TensorProto.INT64, np.dtype(np.bool_): TensorProto.BOOL}
    node = helper.make_node(op, names, outs, **attrs)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, dt[a.dtype], a.shape)
                                            for n, a in zip(names, inputs) if n],
                              [helper.make_tensor_value_info(o, F, None) for o in outs if o])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def _run_both(model, inputs, threads=1, oracle="ort"):
    feeds = {f"i{k}": a for k, a in enumerate(inputs) if a is not None}
    if oracle == "ort":
        ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    else:  # onnx's reference evaluator, for what onnxruntime does not implement
        ref = ReferenceEvaluator(model).run(None, feeds)
    converted = pocketml.convert(model)
    out = pocketml.Session(converted, threads=threads).run(feeds)
    got = list(out.values()) if isinstance(out, dict) else list(out)
    return got, ref, converted


def _close(got, ref, rtol=1e-4, atol=1e-5):
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


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
    inputs = [rand(*s) for s in shapes]
    got, ref, converted = _run_both(_model("Einsum", inputs, opset=12, equation=eq), inputs)
    _close(got, ref)
    assert "Einsum" not in {n.op for n in converted.graph.nodes}


def test_einsum_diagonal_is_a_clear_error():
    x = rand(3, 3)
    with pytest.raises(UnsupportedOpError, match="repeated labels"):
        pocketml.convert(_model("Einsum", [x], opset=12, equation="ii->i"))


@pytest.mark.parametrize("attrs,mask,past", [
    ({}, None, False),
    ({"is_causal": 1}, None, False),
    ({"scale": 0.2, "softcap": 3.0}, "float", False),
    ({}, "bool", False),
    ({"is_causal": 1}, "float", True),
    ({}, "short", True),
])
@pytest.mark.parametrize("rank,hq,hkv", [(4, 4, 4), (4, 6, 2), (3, 4, 2)])
def test_attention_vs_onnxruntime(attrs, mask, past, rank, hq, hkv):
    b, s, l, d, dv, p = 2, 5, 7, 8, 6, 3
    total = l + (p if past else 0)
    if rank == 4:
        q, k, v = rand(b, hq, s, d), rand(b, hkv, l, d), rand(b, hkv, l, dv)
    else:
        q, k, v = rand(b, s, hq * d), rand(b, l, hkv * d), rand(b, l, hkv * dv)
        attrs = dict(attrs, q_num_heads=hq, kv_num_heads=hkv)
    m = None
    if mask == "float":
        m = rand(b, 1, s, total)
    elif mask == "bool":
        m = RNG.random((s, total)) > 0.3
    elif mask == "short":  # fewer keys than K/V: the rest are masked
        m = rand(s, total - 2)
    pk, pv = (rand(b, hkv, p, d), rand(b, hkv, p, dv)) if past else (None, None)
    n_out = 3 if past else 1
    model = _model("Attention", [q, k, v, m, pk, pv], n_out=n_out, **attrs)
    # onnxruntime rejects a mask shorter than the keys, which the spec pads with -inf
    got, ref, _ = _run_both(model, [q, k, v, m, pk, pv], threads=2, oracle="onnx" if mask == "short" else "ort")
    _close(got, ref)


def test_attention_qk_output_is_a_clear_error():
    q, k, v = rand(1, 2, 3, 4), rand(1, 2, 3, 4), rand(1, 2, 3, 4)
    model = _model("Attention", [q, k, v], out_names=["o0", "", "", "o3"])
    with pytest.raises(UnsupportedOpError, match="qk_matmul_output"):
        pocketml.convert(model)


@pytest.mark.parametrize("attrs", [{}, {"interleaved": 1}, {"rotary_embedding_dim": 4},
                                   {"interleaved": 1, "rotary_embedding_dim": 6}])
@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("with_pos", [True, False])
def test_rotary_embedding_vs_onnxruntime(attrs, rank, with_pos):
    b, h, s, dh, max_pos = 2, 3, 5, 8, 20
    rd = attrs.get("rotary_embedding_dim", dh)
    x = rand(b, h, s, dh) if rank == 4 else rand(b, s, h * dh)
    if rank == 3:
        attrs = dict(attrs, num_heads=h)
    if with_pos:
        cos, sin, pos = rand(max_pos, rd // 2), rand(max_pos, rd // 2), RNG.integers(0, max_pos, (b, s))
    else:
        cos, sin, pos = rand(b, s, rd // 2), rand(b, s, rd // 2), None
    got, ref, _ = _run_both(_model("RotaryEmbedding", [x, cos, sin, pos], **attrs), [x, cos, sin, pos])
    _close(got, ref, atol=1e-6)


def test_rotary_position_out_of_range_is_a_clear_error():
    x, cos, sin = rand(1, 1, 2, 4), rand(3, 2), rand(3, 2)
    pos = np.array([[0, 3]], np.int64)
    model = _model("RotaryEmbedding", [x, cos, sin, pos])
    session = pocketml.Session(pocketml.convert(model))
    with pytest.raises(PocketMLError, match="out of range"):
        session.run({"i0": x, "i1": cos, "i2": sin, "i3": pos})


@pytest.mark.parametrize("outs", [["o0"], ["o0", "o1", "o2"], ["o0", "", "o2"]])
@pytest.mark.parametrize("axis", [-1, 1])
def test_layer_normalization_optional_outputs(outs, axis):
    x = rand(2, 3, 17)
    w, b = rand(*x.shape[axis % 3:]), rand(*x.shape[axis % 3:])
    got, ref, _ = _run_both(_model("LayerNormalization", [x, w, b], opset=17, out_names=outs, axis=axis), [x, w, b])
    _close(got, ref)


def test_layer_normalization_without_bias_and_rms_norm():
    x, w = rand(3, 4, 33), rand(33)
    got, ref, _ = _run_both(_model("LayerNormalization", [x, w], opset=17, epsilon=1e-3), [x, w])
    _close(got, ref)
    got, ref, _ = _run_both(_model("RMSNormalization", [x, w], opset=23, epsilon=1e-3), [x, w])
    _close(got, ref)
