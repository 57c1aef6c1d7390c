"""Registry references and shape inference of LayerNormalization,
RMSNormalization, GroupNormalization (NHWC; InstanceNormalization is num_groups = C),
LpNormalization, Attention (incl. k_transposed and GQA), RotaryEmbedding and
LinearAttention (every update rule),
checked against onnx's reference evaluator, plus infer errors and symbolic dims."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir, ops

from .test_registry_reference import close, nchw, nhwc, onnx_ref, ours, rand


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_layer_and_rms_norm(axis):
    x = rand(2, 3, 4, 5)
    w, b = rand(*x.shape[axis % 4:]), rand(*x.shape[axis % 4:])
    ref = onnx_ref("LayerNormalization", [x, w, b], {"axis": axis}, n_out=3, opset=17)
    for got, want in zip(ours("LayerNormalization", [x, w, b], {"axis": axis}, n_out=3), ref):
        close(got, want)
    close(ours("RMSNormalization", [x, w], {"axis": axis})[0],
          onnx_ref("RMSNormalization", [x, w], {"axis": axis}, opset=23)[0])


def test_layer_norm_broadcast_scale_and_errors():
    x, w = rand(2, 3, 4), rand(1, 4)
    close(ours("LayerNormalization", [x, w], {"axis": 1}, n_out=3)[0],
          onnx_ref("LayerNormalization", [x, w], {"axis": 1}, n_out=3, opset=17)[0])
    node = ir.Node("LayerNormalization", ["x", "w"], ["y"], {"axis": -1}, name="ln")
    vals = [ir.Value("x", "float32", (2, "seq", 4)), ir.Value("w", "float32", (5,))]
    with pytest.raises(ValueError, match="'ln'.*does not broadcast"):
        ops.get("LayerNormalization").infer(node, vals)
    vals[1] = ir.Value("w", "float32", (4,))
    assert ops.get("LayerNormalization").infer(node, vals)[1] == ("float32", (2, "seq", 1))


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 5), 3), ((1, 4, 7, 1), 1), ((3, 5, 2, 2), 5)])
def test_group_and_instance_norm(shape, groups):
    x, w, b = rand(*shape, low=-2, high=3), rand(shape[1]), rand(shape[1])
    attrs = {"num_groups": groups, "epsilon": 1e-3}
    got = nchw(ours("GroupNormalization", [nhwc(x), w, b], attrs)[0])
    close(got, onnx_ref("GroupNormalization", [x, w, b], attrs, opset=21)[0], atol=1e-4)
    if groups == shape[1]:
        close(got, onnx_ref("InstanceNormalization", [x, w, b], {"epsilon": 1e-3}, opset=22)[0], atol=1e-4)


def test_group_norm_infer_errors():
    node = ir.Node("GroupNormalization", ["x", "w", "b"], ["y"], {"num_groups": 4}, name="gn")
    vals = [ir.Value("x", "float16", ("N", "H", 6)), ir.Value("w", "float16", (6,)), ir.Value("b", "float16", (6,))]
    with pytest.raises(ValueError, match="'gn'.*channels 6.*not a multiple of num_groups 4"):
        ops.get("GroupNormalization").infer(node, vals)
    node.attrs["num_groups"] = 3
    assert ops.get("GroupNormalization").infer(node, vals) == [("float16", ("N", "H", 6))]
    vals[2] = ir.Value("b", "float16", (3,))
    with pytest.raises(ValueError, match="bias shape \\[3\\] must be \\[C\\]"):
        ops.get("GroupNormalization").infer(node, vals)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_lp_norm(p, axis):
    x = rand(3, 4, 5)
    x[1, :, 2] = 0.0  # a zero norm along axis 1 gives 0
    close(ours("LpNormalization", [x], {"p": p, "axis": axis})[0],
          onnx_ref("LpNormalization", [x], {"p": p, "axis": axis}, opset=22, engine="ort")[0])  # onnx's: no abs


@pytest.mark.parametrize("attrs,mask", [({}, None), ({"is_causal": 1}, None), ({"softcap": 2.0, "scale": 0.3}, None),
                                        ({}, "float"), ({}, "bool"), ({"is_causal": 1}, "float4")])
def test_attention_vs_onnx(attrs, mask):
    rng = np.random.default_rng(2)
    q, k, v = rand(2, 6, 4, 8), rand(2, 3, 7, 8), rand(2, 3, 7, 5)
    m = {None: None, "float": rand(4, 7), "bool": rng.random((2, 1, 4, 7)) > 0.3, "float4": rand(2, 6, 4, 7)}[mask]
    want = onnx_ref("Attention", [q, k, v, m], attrs, opset=23)[0]
    close(ours("Attention", [q, k, v, m], attrs, n_out=2)[0], want)
    kt = np.ascontiguousarray(k.swapaxes(-1, -2))
    close(ours("Attention", [q, kt, v, m], dict(attrs, k_transposed=1), n_out=2)[0], want)


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
@pytest.mark.parametrize("onnx_attrs,nonpad", [({"is_causal": 1}, None), ({"softcap": 2.0}, None),
                                               ({"is_causal": 1, "left_window_size": 1}, [7, 4]),
                                               ({"left_window_size": 2, "right_window_size": 0}, None)])
def test_attention_qk_window_nonpad_vs_onnx(mode, onnx_attrs, nonpad):
    """The reference's qk output, sliding window and external cache against onnx's evaluator, or onnxruntime
    with a softcap (the spec's and onnxruntime's mode 0 is the raw QK^T; the evaluator softcaps it too)."""
    q, k, v, m = rand(2, 4, 3, 8), rand(2, 2, 7, 8), rand(2, 2, 7, 5), rand(3, 7)
    npd = None if nonpad is None else np.array(nonpad, np.int64)
    engine = "ort" if "softcap" in onnx_attrs else "onnx"
    want = onnx_ref("Attention", [q, k, v, m, None, None, npd], dict(onnx_attrs, qk_matmul_output_mode=mode),
                    n_out=4, opset=25, engine=engine)
    ir_attrs = {"is_causal": onnx_attrs.get("is_causal", 0), "softcap": onnx_attrs.get("softcap", 0.0),
                "window_left": onnx_attrs.get("left_window_size", -1),
                "window_right": onnx_attrs.get("right_window_size", -1), "qk_mode": mode}
    y, qk = ours("Attention", [q, k, v, m, npd], ir_attrs, n_out=2)
    close(y, want[0])
    fin = np.isfinite(want[3])
    assert (fin == np.isfinite(qk)).all()
    close(np.where(fin, qk, 0), np.where(fin, want[3], 0))


def test_attention_infer_errors_and_symbolic():
    def infer(shapes, attrs=None):
        node = ir.Node("Attention", ["q", "k", "v"], ["y"], attrs or {}, name="att")
        vals = [ir.Value(n, "float32", s) for n, s in zip("qkv", shapes)]
        return ops.get("Attention").infer(node, vals)
    assert infer([("b", 4, "s", 8), ("b", 2, "l", 8), ("b", 2, "l", 6)]) == [("float32", ("b", 4, "s", 6)),
                                                                             ("float32", ("b", 4, "s", "l"))]
    with pytest.raises(ValueError, match="multiple"):
        infer([(1, 3, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8)])
    with pytest.raises(ValueError, match="head sizes"):
        infer([(1, 2, 4, 8), (1, 2, 5, 7), (1, 2, 5, 8)])


@pytest.mark.parametrize("attrs", [{}, {"interleaved": 1}, {"rotary_embedding_dim": 4}])
def test_rotary_embedding(attrs):
    rng = np.random.default_rng(3)
    x, cos, sin = rand(2, 4, 3, 8), rand(50, 2 if attrs.get("rotary_embedding_dim") else 4), None
    sin = rand(*cos.shape)
    pos = rng.integers(0, 50, (2, 3)).astype(np.int64)
    close(ours("RotaryEmbedding", [x, cos, sin, pos], attrs)[0],
          onnx_ref("RotaryEmbedding", [x, cos, sin, pos], attrs, opset=23)[0])
    with pytest.raises(ValueError, match="out of range"):
        ours("RotaryEmbedding", [x, cos, sin, pos + 50], attrs)


@pytest.mark.parametrize("rule,decay_n,beta_n,past", [("linear", 0, 0, False), ("gated", 2, 0, True),
                                                      ("gated", 8, 0, False), ("delta", 0, 1, True),
                                                      ("gated_delta", 8, 2, True)])
def test_linear_attention(rule, decay_n, beta_n, past):
    # q 4 heads over 2 kv heads, Dk 4, Dv 3
    q, k, v = rand(2, 5, 16), rand(2, 5, 8), rand(2, 5, 6)
    ins = [q, k, v, rand(2, 2, 4, 3) if past else None, rand(2, 5, decay_n) if decay_n else None,
           rand(2, 5, beta_n, low=0.0) if beta_n else None]
    attrs = {"q_num_heads": 4, "kv_num_heads": 2}
    want = onnx_ref("LinearAttention", ins, dict(attrs, update_rule=rule), n_out=2, opset=27)
    for got, w in zip(ours("LinearAttention", ins, attrs, n_out=2), want):
        close(got, w)


def test_linear_attention_infer_errors_and_symbolic():
    def infer(shapes, attrs):
        node = ir.Node("LinearAttention", ["q", "k", "v", "p"][:len(shapes)], ["y", "s"], attrs, name="la")
        vals = [ir.Value(n, "float32", s) for n, s in zip("qkvp", shapes)]
        return ops.get("LinearAttention").infer(node, vals)
    two = {"q_num_heads": 2, "kv_num_heads": 2}
    assert infer([("b", "t", 8), ("b", "t", 8), ("b", "t", 6)], two) == [
        ("float32", ("b", "t", 6)), ("float32", ("b", 2, 4, 3))]
    with pytest.raises(ValueError, match="positive multiple"):
        infer([(1, 2, 8), (1, 2, 8), (1, 2, 8)], {"q_num_heads": 3, "kv_num_heads": 2})
    with pytest.raises(ValueError, match="kv_num_heads\\*Dk"):
        infer([(1, 2, 8), (1, 2, 6), (1, 2, 8)], two)
    with pytest.raises(ValueError, match="past_state"):
        infer([(1, 2, 8), (1, 2, 8), (1, 2, 8), (1, 2, 4, 3)], two)
