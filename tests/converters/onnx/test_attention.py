"""ONNX Attention and RotaryEmbedding imported and run through the C runtime,
compared with onnxruntime (the independent oracle): 3-D and 4-D Attention
with masks, a KV cache and GQA, RotaryEmbedding, LinearAttention (every update
rule, GQA, float16, its state carried across calls), and the errors for what is
not covered. (The einsum contractions attention code emits are in
test_matmul.py, LayerNormalization/RMSNormalization in test_norm.py.)"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import pocketml
from pocketml.errors import PocketMLError, UnsupportedOpError

from .runtime_check import RNG_N as RNG, T, close_all, op_model, randn, run_both


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
        q, k, v = randn(b, hq, s, d), randn(b, hkv, l, d), randn(b, hkv, l, dv)
    else:
        q, k, v = randn(b, s, hq * d), randn(b, l, hkv * d), randn(b, l, hkv * dv)
        attrs = dict(attrs, q_num_heads=hq, kv_num_heads=hkv)
    m = None
    if mask == "float":
        m = randn(b, 1, s, total)
    elif mask == "bool":
        m = RNG.random((s, total)) > 0.3
    elif mask == "short":  # fewer keys than K/V: the rest are masked
        m = randn(s, total - 2)
    pk, pv = (randn(b, hkv, p, d), randn(b, hkv, p, dv)) if past else (None, None)
    n_out = 3 if past else 1
    model = op_model("Attention", [q, k, v, m, pk, pv], n_out=n_out, **attrs)
    # onnxruntime rejects a mask shorter than the keys, which the spec pads with -inf
    got, ref, _ = run_both(model, [q, k, v, m, pk, pv], threads=2, oracle="onnx" if mask == "short" else "ort")
    close_all(got, ref)


def test_attention_qk_output_is_a_clear_error():
    q, k, v = randn(1, 2, 3, 4), randn(1, 2, 3, 4), randn(1, 2, 3, 4)
    model = op_model("Attention", [q, k, v], out_names=["o0", "", "", "o3"])
    with pytest.raises(UnsupportedOpError, match="qk_matmul_output"):
        pocketml.convert(model)


@pytest.mark.parametrize("attrs", [{}, {"interleaved": 1}, {"rotary_embedding_dim": 4},
                                   {"interleaved": 1, "rotary_embedding_dim": 6}])
@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("with_pos", [True, False])
def test_rotary_embedding_vs_onnxruntime(attrs, rank, with_pos):
    b, h, s, dh, max_pos = 2, 3, 5, 8, 20
    rd = attrs.get("rotary_embedding_dim", dh)
    x = randn(b, h, s, dh) if rank == 4 else randn(b, s, h * dh)
    if rank == 3:
        attrs = dict(attrs, num_heads=h)
    if with_pos:
        cos, sin, pos = randn(max_pos, rd // 2), randn(max_pos, rd // 2), RNG.integers(0, max_pos, (b, s))
    else:
        cos, sin, pos = randn(b, s, rd // 2), randn(b, s, rd // 2), None
    got, ref, _ = run_both(op_model("RotaryEmbedding", [x, cos, sin, pos], **attrs), [x, cos, sin, pos])
    close_all(got, ref, atol=1e-6)


def test_rotary_position_out_of_range_is_a_clear_error():
    x, cos, sin = randn(1, 1, 2, 4), randn(3, 2), randn(3, 2)
    pos = np.array([[0, 3]], np.int64)
    model = op_model("RotaryEmbedding", [x, cos, sin, pos])
    session = pocketml.Session(pocketml.convert(model))
    with pytest.raises(PocketMLError, match="out of range"):
        session.run({"i0": x, "i1": cos, "i2": sin, "i3": pos})


# ---- LinearAttention (opset 27) ---------------------------------------------------------------------

def _linear_model(inputs, opset=27, dynamic_t=False, **attrs):
    """One LinearAttention node over i0..i5 (None: absent), outputs o0 (y) and o1 (present_state);
    dynamic_t: the token count is a symbolic dim "T"."""
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    node = helper.make_node("LinearAttention", names, ["o0", "o1"], **attrs)
    shape = lambda a: [a.shape[0], "T", a.shape[2]] if dynamic_t and a.ndim == 3 else a.shape
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, T[a.dtype], shape(a))
                                            for n, a in zip(names, inputs) if n],
                              [helper.make_tensor_value_info(o, T[inputs[0].dtype], None) for o in ("o0", "o1")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def _linear_inputs(b, t, hq, hkv, dk, dv, rule, decay_n, beta_n, past, dtype=np.float32):
    q, k, v = randn(b, t, hq * dk), randn(b, t, hkv * dk) / np.sqrt(dk), randn(b, t, hkv * dv)
    decay = -np.abs(randn(b, t, decay_n)) * 0.5 if rule in ("gated", "gated_delta") else None
    beta = 1.0 / (1.0 + np.exp(-randn(b, t, beta_n))) if rule in ("delta", "gated_delta") else None
    state = randn(b, hkv, dk, dv) if past else None
    return [None if a is None else a.astype(dtype) for a in (q, k, v, state, decay, beta)]


@pytest.mark.parametrize("rule", ["linear", "gated", "delta", "gated_delta"])
@pytest.mark.parametrize("hq,hkv,per_key,beta_shared", [(2, 2, False, False), (4, 2, True, False),
                                                        (3, 1, True, True), (4, 4, False, True)])
@pytest.mark.parametrize("past", [False, True])
def test_linear_attention_vs_onnxruntime(rule, hq, hkv, per_key, beta_shared, past):
    dk, dv = 5, 3
    ins = _linear_inputs(2, 6, hq, hkv, dk, dv, rule, hkv * dk if per_key else hkv, 1 if beta_shared else hkv, past)
    attrs = {"q_num_heads": hq, "kv_num_heads": hkv, "update_rule": rule}
    if rule == "gated":
        attrs["scale"] = 0.3
    got, ref, _ = run_both(_linear_model(ins, **attrs), ins, threads=2)
    assert got[1].shape == (2, hkv, dk, dv)
    close_all(got, ref)


def test_linear_attention_float16_vs_onnxruntime():
    ins = _linear_inputs(2, 5, 4, 2, 8, 4, "gated_delta", 2 * 8, 2, True, dtype=np.float16)
    got, ref, _ = run_both(_linear_model(ins, q_num_heads=4, kv_num_heads=2), ins)
    assert [g.dtype for g in got] == [np.float16, np.float16]
    close_all([g.astype(np.float32) for g in got], [r.astype(np.float32) for r in ref], rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("rule", ["linear", "gated_delta"])
def test_linear_attention_state_carries_across_calls(rule):
    """Prefill then decode: the present_state of one run fed back as past_state; each call
    matches onnxruntime and the two calls match one call over all tokens."""
    b, hq, hkv, dk, dv = 2, 4, 2, 4, 3
    full = _linear_inputs(b, 5, hq, hkv, dk, dv, rule, hkv, hkv, True)
    attrs = {"q_num_heads": hq, "kv_num_heads": hkv, "update_rule": rule}
    model = _linear_model(full, dynamic_t=True, **attrs)
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = lambda ins: {f"i{k}": a for k, a in enumerate(ins) if a is not None}
    state, ys = full[3], []
    for t0, t1 in ((0, 3), (3, 4), (4, 5)):  # prefill of 3 tokens, then two decode steps
        ins = [a[:, t0:t1] if k in (0, 1, 2, 4, 5) and a is not None else a for k, a in enumerate(full)]
        ins[3] = state
        got, ref = list(session.run(feeds(ins)).values()), oracle.run(None, feeds(ins))
        close_all(got, ref)
        state = got[1]
        ys.append(got[0])
    whole = list(session.run(feeds(full)).values())
    close_all([np.concatenate(ys, axis=1), state], whole)


@pytest.mark.parametrize("rule,drop,match", [("gated", 4, "needs decay"), ("linear", None, "takes no beta"),
                                             ("chunked", None, "update_rule")])
def test_linear_attention_bad_rule_is_a_clear_error(rule, drop, match):
    ins = _linear_inputs(1, 2, 2, 2, 4, 4, "gated_delta", 2, 2, False)
    if drop is not None:
        ins[drop] = None
    if rule == "linear":
        ins[4] = None
    with pytest.raises(PocketMLError, match=match):
        pocketml.convert(_linear_model(ins, q_num_heads=2, kv_num_heads=2, update_rule=rule))


def test_linear_attention_bad_shapes_are_clear_errors():
    ins = _linear_inputs(1, 2, 2, 2, 4, 4, "linear", 2, 2, True)
    with pytest.raises(PocketMLError, match="multiple of kv_num_heads"):
        pocketml.convert(_linear_model(ins, q_num_heads=3, kv_num_heads=2, update_rule="linear"))
    ins[3] = randn(1, 2, 4, 3)
    with pytest.raises(PocketMLError, match="past_state"):
        pocketml.convert(_linear_model(ins, q_num_heads=2, kv_num_heads=2, update_rule="linear"))
