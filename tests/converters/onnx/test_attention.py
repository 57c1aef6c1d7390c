"""ONNX Attention and RotaryEmbedding imported and run through the C runtime,
compared with onnxruntime (the independent oracle): 3-D and 4-D Attention
with masks, a KV cache and GQA, RotaryEmbedding, and the errors for what is
not covered. (The einsum contractions attention code emits are in
test_matmul.py, LayerNormalization/RMSNormalization in test_norm.py.)"""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from pocketml.errors import PocketMLError, UnsupportedOpError

from .runtime_check import RNG_N as RNG, close_all, op_model, randn, run_both


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
