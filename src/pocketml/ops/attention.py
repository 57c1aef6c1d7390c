"""Attention: the fused scaled-dot-product Attention op and RotaryEmbedding.

Attention (the engine's fused op; ONNX Attention and the MatMul/Softmax/MatMul
subgraphs of torch exporters both become it):
    q [B,Hq,S,D], k [B,Hkv,L,D] ([B,Hkv,D,L] when k_transposed), v [B,Hkv,L,Dv],
    mask (optional, additive float or bool keep-mask) broadcasting to [B,Hq,S,Lm], Lm <= L
    (keys j >= Lm are masked, as ONNX pads a short mask with -inf);
    nonpad_kv_seqlen (optional, int64 [B]): batch b only sees keys j < nonpad[b] (an
    external KV cache), and its queries sit at positions p = i + nonpad[b] - S;
    without it p = i + causal_offset (the past length of an internal cache).
    query head h reads kv head h // (Hq/Hkv) (grouped-query attention).
    s = q k^T * scale (scale 0: 1/sqrt(D)); s = softcap*tanh(s/softcap) if softcap > 0;
    s += mask; is_causal masks keys j > p; window_left/right >= 0 mask keys j < p - left
    and j > p + right (sliding window); y = softmax(s) v.
    A query row whose mask/causal bias is -inf everywhere gives y = 0 (ONNX's rule).
    qk (optional output [B,Hq,S,L], ONNX's qk_matmul_output): qk_mode 0 the raw scaled
    scores, 1 capped, 2 capped plus every bias (mask, causal, window, padding), 3 softmax.
    float16 computes in float32 and rounds y (and qk) once.
RotaryEmbedding (ONNX opset 23): x [B,H,S,Dh] or [B,S,H*Dh] (num_heads), rotates the first
    rotary_embedding_dim (0: Dh) features of each head by cos/sin caches, either indexed by
    position_ids [B,S] (caches [max_pos, rd/2]) or given per position (caches [B,S,rd/2]);
    interleaved pairs (x0,x1),(x2,x3).. or halves (x[:rd/2], x[rd/2:rd]).
LinearAttention (ONNX opset 27): q [B,T,Hq*Dk], k [B,T,Hkv*Dk], v [B,T,Hkv*Dv], a recurrent
    state per (batch, kv head) S [Dk,Dv] (past_state [B,Hkv,Dk,Dv], zeros when absent), per token:
    S *= exp(g) (decay given: [B,T,Hkv] per head or [B,T,Hkv*Dk] per key dim),
    v <- beta * (v - S^T k) (beta given: [B,T,Hkv] or [B,T,1]), S += k v^T, y = scale * q^T S
    (scale 0: 1/sqrt(Dk)); query head h reads kv head h // (Hq/Hkv). ONNX's update_rule is the
    presence of decay (gated) and beta (delta). Outputs y [B,T,Hq*Dv] and present_state, the last S.
    float16 computes in float32 (the state too) and rounds once.
"""
from __future__ import annotations

import numpy as np

from .registry import Attr, define
from ..dtypes import FLOATS
from ._common import (
    FLOAT,
    INDEX,
    attrs_of,
    check_rank,
    dims_equal,
    fail,
    is_sym,
    known,
    shape_str,
)


def _static(d):
    return not is_sym(d)


def _attention_infer(node, ins):
    at = attrs_of(node)
    (tq, sq), (tk, sk), (tv, sv) = (known(node, v, r) for v, r in zip(ins[:3], ("q", "k", "v")))
    for t, s, role in ((tq, sq, "q"), (tk, sk, "k"), (tv, sv, "v")):
        check_rank(node, s, 4, role)
    kd, kl = (sk[2], sk[3]) if at["k_transposed"] else (sk[3], sk[2])
    b, hq, s_len, d = sq
    if not (dims_equal(sk[0], b) and dims_equal(sv[0], b)) and all(_static(x) for x in (b, sk[0], sv[0])):
        raise fail(node, f"batch dims differ: q {shape_str(sq)}, k {shape_str(sk)}, v {shape_str(sv)}")
    hkv = sk[1]
    if _static(hkv) and _static(sv[1]) and int(hkv) != int(sv[1]):
        raise fail(node, f"k and v head counts differ: k {shape_str(sk)}, v {shape_str(sv)}")
    if _static(hq) and _static(hkv) and (int(hkv) < 1 or int(hq) % int(hkv)):
        raise fail(node, f"q heads {hq} must be a multiple of k/v heads {hkv}")
    if _static(kd) and _static(d) and int(kd) != int(d):
        raise fail(node, f"q and k head sizes differ: q {shape_str(sq)}, k {shape_str(sk)}")
    if _static(kl) and _static(sv[2]) and int(kl) != int(sv[2]):
        raise fail(node, f"k and v sequence lengths differ: k {shape_str(sk)}, v {shape_str(sv)}")
    if len(ins) > 3 and ins[3] is not None:
        tm, sm = known(node, ins[3], "mask")
        full = (b, hq, s_len, kl)
        if len(sm) > 4:
            raise fail(node, f"mask {shape_str(sm)} has rank > 4")
        for i, (m, f) in enumerate(zip(sm[::-1], full[::-1])):
            if not (_static(m) and _static(f)):
                continue
            if i == 0 and int(m) > int(f):
                raise fail(node, f"mask {shape_str(sm)} has more keys than k/v ({f})")
            if i > 0 and int(m) not in (1, int(f)):
                raise fail(node, f"mask {shape_str(sm)} does not broadcast to {shape_str(full)}")
    if len(ins) > 4 and ins[4] is not None:
        _, sn = known(node, ins[4], "nonpad_kv_seqlen")
        if len(sn) != 1 or (_static(sn[0]) and _static(b) and int(sn[0]) != int(b)):
            raise fail(node, f"nonpad_kv_seqlen {shape_str(sn)} must be [batch] = [{b}]")
    if at["softcap"] < 0:
        raise fail(node, f"softcap {at['softcap']} must be >= 0")
    if at["qk_mode"] not in (0, 1, 2, 3):
        raise fail(node, f"qk_mode {at['qk_mode']} must be 0, 1, 2 or 3")
    if at["window_left"] < -1 or at["window_right"] < -1:
        raise fail(node, f"window sizes {at['window_left']}/{at['window_right']} must be -1 or >= 0")
    return [(tq, (b, hq, s_len, sv[3])), (tq, (b, hq, s_len, kl))]


def _attention_bias(attrs, mask, nonpad, b, s_len, l_len):
    """The additive bias [B|1, 1|Hq, S, L] of mask, causal, window and padding."""
    bias = np.zeros((1, 1, s_len, l_len))
    if mask is not None:
        m = np.where(mask, 0.0, -np.inf) if mask.dtype == np.bool_ else mask.astype(np.float64)
        pad = [(0, 0)] * (m.ndim - 1) + [(0, l_len - m.shape[-1])]
        bias = bias + np.pad(m, pad, constant_values=-np.inf)
    i, j = np.arange(s_len)[:, None], np.arange(l_len)[None, :]
    off = attrs["causal_offset"] if nonpad is None else (nonpad.astype(np.int64) - s_len).reshape(b, 1, 1, 1)
    p = i + off
    keep = np.ones_like(p - j, dtype=bool)
    if attrs["is_causal"]:
        keep &= j <= p
    if attrs["window_left"] >= 0:
        keep &= j >= p - attrs["window_left"]
    if attrs["window_right"] >= 0:
        keep &= j <= p + attrs["window_right"]
    if nonpad is not None:
        keep &= j < nonpad.astype(np.int64).reshape(b, 1, 1, 1)
    return bias + np.where(keep, 0.0, -np.inf)


def _attention_reference(inputs, attrs):
    q, k, v = (a.astype(np.float64) for a in inputs[:3])
    mask = inputs[3] if len(inputs) > 3 else None
    nonpad = inputs[4] if len(inputs) > 4 else None
    if attrs["k_transposed"]:
        k = np.swapaxes(k, -1, -2)
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    s_len, l_len = q.shape[2], k.shape[2]
    scale = attrs["scale"] or 1.0 / np.sqrt(q.shape[3])
    raw = s = q @ np.swapaxes(k, -1, -2) * scale
    if attrs["softcap"] > 0:
        s = attrs["softcap"] * np.tanh(s / attrs["softcap"])
    capped = s
    bias = _attention_bias(attrs, mask, nonpad, q.shape[0], s_len, l_len)
    s = s + bias
    dead = np.isneginf(np.max(bias + np.zeros_like(s), axis=-1, keepdims=True))
    top = np.where(dead, 0.0, np.max(s, axis=-1, keepdims=True))
    with np.errstate(invalid="ignore"):
        e = np.where(dead, 0.0, np.exp(s - top))
    p = e / np.where(dead, 1.0, e.sum(axis=-1, keepdims=True))
    qk = (raw, capped, s, p)[attrs["qk_mode"]]
    return [(p @ v).astype(inputs[0].dtype), qk.astype(inputs[0].dtype)]


def _rotary_geometry(node, s, at):
    """(heads, head_size, rotary_dim) of x's shape."""
    if len(s) == 4:
        heads, dh = s[1], s[3]
    elif len(s) == 3:
        heads = at["num_heads"]
        if heads <= 0:
            raise fail(node, f"3-D input {shape_str(s)} needs num_heads > 0")
        if is_sym(s[2]) or int(s[2]) % heads:
            raise fail(node, f"hidden size {s[2]} must be a static multiple of num_heads {heads}")
        dh = int(s[2]) // heads
    else:
        raise fail(node, f"input must have rank 3 or 4, got {shape_str(s)}")
    rd = at["rotary_embedding_dim"] or dh
    if _static(dh) and (rd < 0 or rd % 2 or int(rd) > int(dh)):
        raise fail(node, f"rotary_embedding_dim {rd} must be even and <= head size {dh}")
    return heads, dh, rd


def _rotary_infer(node, ins):
    at = attrs_of(node)
    t, s = known(node, ins[0], "x")
    _, _, rd = _rotary_geometry(node, s, at)
    pos = ins[3] if len(ins) > 3 else None
    for role, v in (("cos_cache", ins[1]), ("sin_cache", ins[2])):
        tc, sc = known(node, v, role)
        check_rank(node, sc, 2 if pos is not None else 3, role)
        if _static(rd) and _static(sc[-1]) and int(sc[-1]) * 2 != int(rd):
            raise fail(node, f"{role} {shape_str(sc)}: last dim must be rotary_embedding_dim/2 = {rd // 2}")
    if pos is not None:
        tp, sp = known(node, pos, "position_ids")
        check_rank(node, sp, 2, "position_ids")
    return [(t, s)]


def _rotary_reference(inputs, attrs):
    x, cos, sin = inputs[:3]
    pos = inputs[3] if len(inputs) > 3 else None
    x4 = x.transpose(0, 2, 1, 3) if x.ndim == 4 else x.reshape(x.shape[0], x.shape[1], attrs["num_heads"], -1)
    rd = attrs["rotary_embedding_dim"] or x4.shape[3]
    if pos is not None:
        if pos.size and (pos.min() < 0 or pos.max() >= cos.shape[0]):
            raise ValueError(f"position_ids out of range [0, {cos.shape[0]})")
        cos, sin = cos[pos], sin[pos]
    cos, sin = cos[:, :, None, :], sin[:, :, None, :]  # [B,S,1,rd/2]
    rot = x4[..., :rd]
    x1, x2 = (rot[..., 0::2], rot[..., 1::2]) if attrs["interleaved"] else np.split(rot, 2, axis=-1)
    real, imag = cos * x1 - sin * x2, sin * x1 + cos * x2
    rot = np.stack([real, imag], -1).reshape(rot.shape) if attrs["interleaved"] else np.concatenate([real, imag], -1)
    y = np.concatenate([rot, x4[..., rd:]], -1)
    y = y.transpose(0, 2, 1, 3) if x.ndim == 4 else y.reshape(x.shape)
    return [np.ascontiguousarray(y).astype(x.dtype)]


define("Attention", 64, "attention", ("q: T", "k: T", "v: T", "mask?: M", "nonpad_kv_seqlen?: I64"),
       ("y: T", "qk?: T"), types={"T": ("float32", "float16"), "M": ("float32", "float16", "bool"),
                                   "I64": ("int64",)}, attrs={
    "scale": Attr("float", 0.0), "is_causal": Attr("int", 0), "causal_offset": Attr("int", 0),
    "softcap": Attr("float", 0.0), "k_transposed": Attr("int", 0), "qk_mode": Attr("int", 0),
    "window_left": Attr("int", -1), "window_right": Attr("int", -1),
}, infer=_attention_infer, reference=_attention_reference)
define("RotaryEmbedding", 65, "attention", ("x: T", "cos_cache: T", "sin_cache: T", "position_ids?: I"), ("y: T",),
       types={"T": FLOAT, "I": INDEX}, attrs={
    "interleaved": Attr("int", 0), "rotary_embedding_dim": Attr("int", 0), "num_heads": Attr("int", 0),
}, infer=_rotary_infer, reference=_rotary_reference)


def _linear_attention_geometry(node, at, sq, sk, sv):
    """(Dk, Dv) from the packed [B,T,H*D] shapes; checks the head counts divide them."""
    hq, hkv = at["q_num_heads"], at["kv_num_heads"]
    if hq < 1 or hkv < 1 or hq % hkv:
        raise fail(node, f"q_num_heads {hq} must be a positive multiple of kv_num_heads {hkv}")
    for s, h, role in ((sq, hq, "query"), (sk, hkv, "key"), (sv, hkv, "value")):
        check_rank(node, s, 3, role)
        if is_sym(s[2]) or int(s[2]) % h:
            raise fail(node, f"{role} {shape_str(s)}: last dim must be a static multiple of its head count {h}")
    dk, dv = int(sq[2]) // hq, int(sv[2]) // hkv
    if int(sk[2]) != hkv * dk:
        raise fail(node, f"key {shape_str(sk)} must have kv_num_heads*Dk = {hkv * dk} features (query {shape_str(sq)})")
    return dk, dv


def _linear_attention_infer(node, ins):
    at = attrs_of(node)
    (tq, sq), (_, sk), (_, sv) = (known(node, v, r) for v, r in zip(ins[:3], ("query", "key", "value")))
    dk, dv = _linear_attention_geometry(node, at, sq, sk, sv)
    b, t, hkv = sq[0], sq[1], at["kv_num_heads"]
    for s, role in ((sk, "key"), (sv, "value")):
        if not (dims_equal(s[0], b) and dims_equal(s[1], t)) and all(_static(x) for x in (s[0], s[1], b, t)):
            raise fail(node, f"{role} {shape_str(s)} and query {shape_str(sq)} differ in batch or tokens")
    state = (b, hkv, dk, dv)
    opt = [ins[i] if len(ins) > i else None for i in (3, 4, 5)]
    if opt[0] is not None:
        _, sp = known(node, opt[0], "past_state")
        if len(sp) != 4 or any(_static(p) and _static(e) and int(p) != int(e) for p, e in zip(sp, state)):
            raise fail(node, f"past_state {shape_str(sp)} must be [B,Hkv,Dk,Dv] = {shape_str(state)}")
    for v, role, lasts in ((opt[1], "decay", (hkv, hkv * dk)), (opt[2], "beta", (hkv, 1))):
        if v is None:
            continue
        _, s = known(node, v, role)
        check_rank(node, s, 3, role)
        if is_sym(s[2]) or int(s[2]) not in lasts:
            raise fail(node, f"{role} {shape_str(s)}: last dim must be {' or '.join(map(str, lasts))}")
    if at["scale"] < 0 or not np.isfinite(at["scale"]):
        raise fail(node, f"scale {at['scale']} must be finite and >= 0")
    return [(tq, (b, t, at["q_num_heads"] * dv)), (tq, state)]


def _linear_attention_reference(inputs, attrs):
    q, k, v = inputs[:3]
    past, decay, beta = (inputs[i] if len(inputs) > i else None for i in (3, 4, 5))
    hq, hkv = attrs["q_num_heads"], attrs["kv_num_heads"]
    b, t, _ = q.shape
    heads = lambda x, h: x.astype(np.float32).reshape(b, t, h, -1).transpose(0, 2, 1, 3)  # [B,H,T,D]
    q4, k4, v4 = heads(q, hq), heads(k, hkv), heads(v, hkv)
    dk, dv = q4.shape[3], v4.shape[3]
    s = np.zeros((b, hkv, dk, dv), np.float32) if past is None else past.astype(np.float32)
    g4 = None if decay is None else heads(decay, hkv)          # [B,Hkv,T,1 or Dk]
    b4 = None if beta is None else heads(beta, beta.shape[2])  # [B,Hkv or 1,T,1]
    scale = attrs["scale"] or 1.0 / np.sqrt(dk)
    y = np.zeros((b, hq, t, dv), np.float32)
    for i in range(t):
        if g4 is not None:
            s = s * np.exp(g4[:, :, i, :])[..., None]
        vt = v4[:, :, i, :]
        if b4 is not None:
            vt = b4[:, :, i, :] * (vt - np.einsum("bhdm,bhd->bhm", s, k4[:, :, i, :]))
        s = s + k4[:, :, i, :, None] * vt[:, :, None, :]
        y[:, :, i, :] = scale * np.einsum("bhd,bhdm->bhm", q4[:, :, i, :], np.repeat(s, hq // hkv, axis=1))
    return [y.transpose(0, 2, 1, 3).reshape(b, t, hq * dv).astype(q.dtype), s.astype(q.dtype)]


define("LinearAttention", 320, "attention",
       ("query: T", "key: T", "value: T", "past_state?: T", "decay?: T", "beta?: T"), ("y: T", "present_state: T"),
       types={"T": FLOATS}, attrs={
    "q_num_heads": Attr("int"), "kv_num_heads": Attr("int"), "scale": Attr("float", 0.0),
}, infer=_linear_attention_infer, reference=_linear_attention_reference)
