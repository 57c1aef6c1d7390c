"""ONNX Attention / RotaryEmbedding (opset 23+) -> IR Attention / RotaryEmbedding.

Attention: 3-D inputs [B,S,H*D] are split into heads (Reshape + Transpose to
[B,H,S,D]) around the engine's 4-D fused op, and the output is merged back;
past_key/past_value are concatenated in front of K/V on the sequence axis
(the concatenation is also the present_key/present_value output), and the
causal frontier then sits past_len keys to the right (causal_offset).
nonpad_kv_seqlen (opset 24's external KV cache), the sliding window
(left/right_window_size) and the qk_matmul_output output (4-D in every
variant; qk_matmul_output_mode 0..3) map onto the IR op's input, attributes
and second output. softmax_precision is accepted: the softmax always runs in
float32 (float16 Attention computes in float32 and rounds once).

LinearAttention (opset 27): the IR op reads the update rule from its inputs (decay:
gated, beta: delta), so the importer checks that update_rule names exactly the inputs
given; chunk_size is a tuning hint with no effect on the result.
"""
from __future__ import annotations

from .attr_domains import BOOL, NONNEG, POSITIVE, domain, enum, int_range
from .context import Context, OnnxNode, handler


def _split_heads(ctx: Context, x: str, heads: int, role: str) -> str:
    b, s, hidden = ctx.shape(x)
    if isinstance(hidden, str) or heads <= 0 or hidden % heads:
        raise ctx.error(f"{role} hidden size {hidden} is not a static multiple of its head count {heads}")
    x4 = ctx.reshape(x, [b, s, heads, hidden // heads], hint=f"{role}_heads")
    return ctx.transpose(x4, [0, 2, 1, 3], hint=f"{role}_bhsd")


@handler("Attention")
@domain(is_causal=BOOL, qk_matmul_output_mode=int_range(0, 3), q_num_heads=POSITIVE, kv_num_heads=POSITIVE)
def attention(ctx: Context, node: OnnxNode) -> None:
    a = node.attrs
    q, k, v, mask, past_k, past_v, nonpad = (node.input(i) for i in range(7))
    if nonpad and past_k:
        raise ctx.error("nonpad_kv_seqlen (external KV cache) cannot be combined with past_key/past_value")
    rank = ctx.rank(q)
    if rank not in (3, 4) or ctx.rank(k) != rank or ctx.rank(v) != rank:
        raise ctx.error(f"Q, K, V must all be 3-D or all 4-D, got shapes {list(ctx.shape(q))}, "
                        f"{list(ctx.shape(k))}, {list(ctx.shape(v))}")
    if rank == 3:
        qh, kvh = int(a.get("q_num_heads", 0)), int(a.get("kv_num_heads", 0))
        q, k, v = (_split_heads(ctx, x, h, r) for x, h, r in ((q, qh, "q"), (k, kvh, "k"), (v, kvh, "v")))
    if bool(past_k) != bool(past_v):
        raise ctx.error("past_key and past_value must be given together")
    offset = 0
    if past_k:
        if ctx.rank(past_k) != 4 or ctx.rank(past_v) != 4:
            raise ctx.error(f"past_key and past_value must be 4-D [batch, kv_heads, past, head_size], got "
                            f"shapes {list(ctx.shape(past_k))} and {list(ctx.shape(past_v))}")
        offset = ctx.shape(past_k)[2]
        windowed = int(a.get("left_window_size", -1)) >= 0 or int(a.get("right_window_size", -1)) >= 0
        if isinstance(offset, str) and (int(a.get("is_causal", 0)) or windowed):
            raise ctx.unsupported(f"causal or sliding-window attention with a symbolic past length {offset!r}")
        present_k = node.output(1) if ctx.is_consumed(node.output(1)) else None
        present_v = node.output(2) if ctx.is_consumed(node.output(2)) else None
        k = ctx.emit1("Concat", [past_k, k], present_k, {"axis": 2}, hint="present_key")
        v = ctx.emit1("Concat", [past_v, v], present_v, {"axis": 2}, hint="present_value")
    elif ctx.is_consumed(node.output(1)) or ctx.is_consumed(node.output(2)):
        # without a cache, present_key/value are K and V themselves
        for src, out in ((k, node.output(1)), (v, node.output(2))):
            if ctx.is_consumed(out):
                ctx.emit1("Identity", [src], out, hint="present")
    attrs = {"is_causal": int(a.get("is_causal", 0)), "causal_offset": int(offset) if not isinstance(offset, str)
             else 0, "softcap": float(a.get("softcap", 0.0)), "qk_mode": int(a.get("qk_matmul_output_mode", 0)),
             "window_left": int(a.get("left_window_size", -1)), "window_right": int(a.get("right_window_size", -1))}
    if attrs["qk_mode"] not in (0, 1, 2, 3):
        raise ctx.error(f"qk_matmul_output_mode {attrs['qk_mode']} is not one of 0, 1, 2, 3")
    if "scale" in a:
        attrs["scale"] = float(a["scale"])
        if attrs["scale"] == 0.0:
            raise ctx.unsupported("scale 0 (pocketml reads scale 0 as the default 1/sqrt(head_size))")
    ins = [q, k, v, mask, nonpad]
    qk = node.output(3) if ctx.is_consumed(node.output(3)) else None
    if rank == 4:
        ctx.emit("Attention", ins, [node.output(0)] + ([qk] if qk else []), attrs)
        return
    y = ctx.emit("Attention", ins, [ctx.new_name(f"{node.name}/attention")] + ([qk] if qk else []), attrs)[0]
    b, h, s, dv = ctx.shape(y)
    yt = ctx.transpose(y, [0, 2, 1, 3], hint="y_bshd")
    ctx.reshape(yt, [b, s, h * dv], node.output(0), hint="y_merge_heads")


@handler("RotaryEmbedding")
@domain(interleaved=BOOL, num_heads=NONNEG, rotary_embedding_dim=NONNEG)
def rotary_embedding(ctx: Context, node: OnnxNode) -> None:
    attrs = {k: int(node.attrs.get(k, 0)) for k in ("interleaved", "rotary_embedding_dim", "num_heads")}
    ctx.emit1("RotaryEmbedding", [node.input(i) for i in range(4)], node.output(0), attrs)


# update_rule -> (needs decay, needs beta)
_LINEAR_RULES = {"linear": (False, False), "gated": (True, False), "delta": (False, True),
                 "gated_delta": (True, True)}


@handler("LinearAttention")
@domain(update_rule=enum("linear", "gated", "delta", "gated_delta"), q_num_heads=POSITIVE, kv_num_heads=POSITIVE)
def linear_attention(ctx: Context, node: OnnxNode) -> None:
    a = node.attrs
    rule = a.get("update_rule", "gated_delta")
    if rule not in _LINEAR_RULES:
        raise ctx.unsupported(f"update_rule={rule!r} is not supported (supported: {', '.join(_LINEAR_RULES)})")
    for i, (role, needed) in zip((4, 5), zip(("decay", "beta"), _LINEAR_RULES[rule])):
        if bool(node.input(i)) != needed:
            raise ctx.error(f"update_rule {rule!r} {'needs' if needed else 'takes no'} {role} input")
    for k in ("q_num_heads", "kv_num_heads"):
        if k not in a:
            raise ctx.error(f"attribute {k} is required")
    attrs = {"q_num_heads": int(a["q_num_heads"]), "kv_num_heads": int(a["kv_num_heads"]),
             "scale": float(a.get("scale", 0.0))}
    present = node.output(1) or ctx.new_name(f"{node.name}/present_state")
    ctx.emit("LinearAttention", [node.input(i) for i in range(6)], [node.output(0), present], attrs)
