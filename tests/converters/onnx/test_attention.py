"""ONNX Attention and RotaryEmbedding imported and run through the C runtime,
compared with onnxruntime (the independent oracle): 3-D and 4-D Attention
with masks, a KV cache and GQA; the qk_matmul_output output (modes 0-3),
opset 24's nonpad_kv_seqlen, opset 25's sliding windows and float16;
RotaryEmbedding; LinearAttention (every update rule, GQA, float16, its state carried
across calls); and the errors for what is not covered. (The einsum contractions attention code emits are in
test_matmul.py, LayerNormalization/RMSNormalization in test_norm.py.)"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import pocketml
from onnx import TensorProto

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


def _qkv(b=2, hq=4, hkv=2, s=5, l=7, d=8, dv=6, dtype=np.float32):
    return randn(b, hq, s, d).astype(dtype), randn(b, hkv, l, d).astype(dtype), randn(b, hkv, l, dv).astype(dtype)


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
@pytest.mark.parametrize("attrs,mask", [({}, None), ({"softcap": 2.0}, "float"), ({"is_causal": 1}, "bool"),
                                        ({"is_causal": 1, "scale": 0.3}, "short")])
def test_attention_qk_matmul_output(mode, attrs, mask):
    """Mode 0 is the raw scaled QK^T as the spec and onnxruntime say (onnx's evaluator softcaps it too, so
    the evaluator-checked cases have no softcap in mode 0)."""
    q, k, v = _qkv()
    m = {None: None, "float": randn(2, 1, 5, 7), "bool": RNG.random((5, 7)) > 0.3, "short": randn(5, 5)}[mask]
    model = op_model("Attention", [q, k, v, m], out_names=["o0", "", "", "o3"], qk_matmul_output_mode=mode, **attrs)
    # onnxruntime writes a finite lowest float where mode 2 masks (and rejects short masks): the spec's evaluator
    oracle = "onnx" if mask == "short" or (mode == 2 and mask is not None) else "ort"
    got, ref, _ = run_both(model, [q, k, v, m], threads=2, oracle=oracle)
    close_all(got, ref)


def test_attention_qk_matmul_output_3d_with_past_and_fully_masked_rows():
    q, k, v = randn(2, 3, 16), randn(2, 4, 8), randn(2, 4, 8)
    pk, pv = randn(2, 2, 3, 4), randn(2, 2, 3, 4)
    m = RNG.random((3, 7)) > 0.4
    m[1] = False  # a row with no attendable key: y and the softmax row are 0
    model = op_model("Attention", [q, k, v, m, pk, pv], out_names=["o0", "o1", "o2", "o3"], q_num_heads=4,
                     kv_num_heads=2, qk_matmul_output_mode=3)
    got, ref, _ = run_both(model, [q, k, v, m, pk, pv], oracle="onnx")
    close_all(got, ref)
    assert not got[3][:, :, 1].any() and not got[0][:, 1].any()


@pytest.mark.parametrize("attrs,mask", [({}, None), ({"is_causal": 1}, None), ({"is_causal": 1}, "bool"),
                                        ({}, "float4")])
def test_attention_nonpad_kv_seqlen(attrs, mask):
    """opset 24's external KV cache: batch b sees its first nonpad[b] keys, its queries are the last S of them."""
    q, k, v = _qkv(b=3, s=3, l=8)
    nonpad = np.array([8, 5, 3], np.int64)
    m = {None: None, "bool": RNG.random((3, 8)) > 0.3, "float4": randn(3, 4, 3, 8)}[mask]
    model = op_model("Attention", [q, k, v, m, None, None, nonpad], opset=24, **attrs)
    got, ref, _ = run_both(model, [q, k, v, m, None, None, nonpad], threads=2)
    close_all(got, ref)


def test_attention_nonpad_with_past_is_a_clear_error():
    q, k, v = _qkv(b=1)
    pk, pv = randn(1, 2, 3, 8), randn(1, 2, 3, 6)
    model = op_model("Attention", [q, k, v, None, pk, pv, np.array([4], np.int64)], opset=24)
    with pytest.raises(PocketMLError, match="nonpad_kv_seqlen"):
        pocketml.convert(model)


@pytest.mark.parametrize("attrs", [{"left_window_size": 2, "is_causal": 1}, {"left_window_size": 1,
                                   "right_window_size": 2}, {"right_window_size": 0}, {"left_window_size": 0}])
@pytest.mark.parametrize("extra", ["none", "past", "nonpad", "qk"])
def test_attention_sliding_window(attrs, extra):
    """opset 25 left/right_window_size (onnxruntime implements them): alone, after a KV cache, over an
    external cache, and with the qk output (the evaluator's, mode 2 masks with -inf)."""
    q, k, v = _qkv()
    ins, outs, oracle = [q, k, v], ["o0"], "ort"
    if extra == "past":
        ins, outs = [q, k, v, None, randn(2, 2, 3, 8), randn(2, 2, 3, 6)], ["o0", "o1", "o2"]
    elif extra == "nonpad":
        ins = [q, k, v, None, None, None, np.array([7, 6], np.int64)]
    elif extra == "qk":
        ins, outs, oracle = [q, k, v, randn(5, 7)], ["o0", "", "", "o3"], "onnx"
        attrs = dict(attrs, qk_matmul_output_mode=2)
    got, ref, _ = run_both(op_model("Attention", ins, opset=25, out_names=outs, **attrs), ins, oracle=oracle)
    close_all(got, ref)


@pytest.mark.parametrize("attrs,extra", [({}, None), ({"is_causal": 1}, "mask16"), ({"softcap": 2.0}, "past"),
                                         ({"is_causal": 1}, "nonpad"), ({"qk_matmul_output_mode": 3}, "bool")])
def test_attention_float16(attrs, extra):
    """float16 computes in float32 and rounds once: within a float16 ulp of the float32 result."""
    q, k, v = _qkv(dtype=np.float16)
    ins, outs, opset = [q, k, v], ["o0"], 23
    if extra == "mask16":
        ins = [q, k, v, randn(5, 7).astype(np.float16)]
    elif extra == "past":
        ins, outs = [q, k, v, None, randn(2, 2, 3, 8).astype(np.float16), randn(2, 2, 3, 6).astype(np.float16)], \
            ["o0", "o1", "o2"]
    elif extra == "nonpad":
        ins, opset = [q, k, v, None, None, None, np.array([7, 6], np.int64)], 24
    elif extra == "bool":
        ins, outs = [q, k, v, RNG.random((5, 7)) > 0.3], ["o0", "", "", "o3"]
    model = op_model("Attention", ins, opset=opset, out_names=outs, out_type=TensorProto.FLOAT16, **attrs)
    got, ref, _ = run_both(model, ins, threads=2)
    assert all(g.dtype == np.float16 for g in got)
    close_all(got, ref, rtol=2e-3, atol=2e-3)


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


@pytest.mark.parametrize("attrs", [{"is_causal": 1}, {"left_window_size": 2}])
def test_attention_symbolic_past_with_causal_or_window_is_a_clear_error(attrs):
    """The causal frontier and the window sit past_len keys to the right: a symbolic past length cannot say where."""
    q, k, v, pk, pv = randn(1, 2, 3, 4), randn(1, 2, 3, 4), randn(1, 2, 3, 4), randn(1, 2, 5, 4), randn(1, 2, 5, 4)
    model = op_model("Attention", [q, k, v, None, pk, pv], opset=25, **attrs)
    for name in ("i4", "i5"):
        dims = next(i for i in model.graph.input if i.name == name).type.tensor_type.shape.dim
        dims[2].dim_param = "past"
    with pytest.raises(UnsupportedOpError, match="symbolic past length"):
        pocketml.convert(model)
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
