"""Attention fusion: softmax(Q K^T * scale + mask) V subgraphs -> one Attention node.

Torch exporters (TorchScript and dynamo, hand-written attention and
scaled_dot_product_attention alike) emit, on rank-4 [B,H,S,D] tensors:

    MatMul(Q', K') -> [Div|Mul by a scalar constant]* -> [Add(mask)] -> Softmax(last axis) -> MatMul(., V)

where Q' may be Mul(Q, c) and K' may be Mul(Kt, c) (SDPA splits the scale as
sqrt(scale) on both sides), and Kt is [B,H,D,L]: a Transpose swapping K's last
two axes (then the fused op reads K directly) or any other producer (the fused
op reads it as k_transposed). Every intermediate must feed only the next step
and not be a graph output; Q, K, V (and the mask) must be float32 rank-4
tensors whose batch/head dims are not provably different (symbolic dims from
run-time Reshapes are checked by the kernel at plan time; a K/V head dim of 1
broadcast over the query heads is grouped-query attention) and the mask must
broadcast to the scores without widening them. The constants multiply into
the Attention node's scale.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ._util import attr, const, remove_nodes, shape, sole_consumer

SWAP_LAST = [0, 1, 3, 2]


def _scalar(graph: ir.Graph, name: str) -> float | None:
    c = const(graph, name)
    if c is None or c.size != 1 or c.dtype != np.float32:
        return None
    return float(c.reshape(()))


def _scalar_operand(graph: ir.Graph, node: ir.Node) -> tuple | None:
    """(other input, factor) for Mul/Div by a scalar constant: x*c, c*x or x/c (x rank 4)."""
    a, b = node.inputs[:2]
    if node.op == "Mul":
        for x, c in ((a, b), (b, a)):
            v = _scalar(graph, c)
            if v is not None and _rank4_f32(graph, x):
                return x, v
    if node.op == "Div":
        v = _scalar(graph, b)
        if v and _rank4_f32(graph, a):
            return a, 1.0 / v
    return None


def _maybe_equal(*dims) -> bool:
    """Not provably different: static dims agree (symbolic ones are checked by the runtime)."""
    static = {int(d) for d in dims if not isinstance(d, str)}
    return len(static) <= 1


def _mask_fits(mask_shape, scores_shape) -> bool:
    """The mask broadcasts onto the scores without widening them (as far as static dims tell)."""
    if mask_shape is None or len(mask_shape) > 4:
        return False
    for m, s in zip(mask_shape[::-1], scores_shape[::-1]):
        if not isinstance(m, str) and not isinstance(s, str) and int(m) not in (1, int(s)):
            return False
    return True  # symbolic dims: the Attention kernel's infer checks them at plan time


def _rank4_f32(graph: ir.Graph, name: str) -> bool:
    v = graph.values.get(name)
    return v is not None and v.dtype == "float32" and v.shape is not None and len(v.shape) == 4


def _match(graph: ir.Graph, out_mm: ir.Node, producers: dict, uses: dict) -> tuple | None:
    """(fused node inputs, attrs, matched nodes) for the MatMul producing the attention output."""
    p, v = out_mm.inputs
    sm = producers.get(p)
    if sm is None or sm.op != "Softmax" or sole_consumer(graph, uses, p) is not out_mm:
        return None
    if attr(sm, "axis") not in (-1, 3) or not _rank4_f32(graph, p) or not _rank4_f32(graph, v):
        return None
    nodes, scale, mask = [out_mm, sm], 1.0, ""
    x = sm.inputs[0]
    node = producers.get(x)
    if node is not None and node.op == "Add" and sole_consumer(graph, uses, x) is sm:
        for s_in, m_in in (node.inputs[:2], node.inputs[1::-1]):
            if _rank4_f32(graph, s_in) and graph.values[m_in].dtype == "float32" and \
                    _mask_fits(shape(graph, m_in), shape(graph, s_in)) and \
                    producers.get(s_in) is not None and producers[s_in].op in ("MatMul", "Mul", "Div"):
                nodes.append(node)
                x, mask = s_in, m_in
                node = producers.get(x)
                break
    while node is not None and node.op in ("Mul", "Div") and sole_consumer(graph, uses, x) is nodes[-1]:
        found = _scalar_operand(graph, node)
        if found is None:
            break
        nodes.append(node)
        x, factor = found
        scale *= factor
        node = producers.get(x)
    qk = node
    if qk is None or qk.op != "MatMul" or attr(qk, "act") != 0 or sole_consumer(graph, uses, x) is not nodes[-1]:
        return None
    nodes.append(qk)
    q, kt = qk.inputs
    for side in ("q", "k"):
        cur = q if side == "q" else kt
        n = producers.get(cur)
        if n is not None and n.op == "Mul" and sole_consumer(graph, uses, cur) is qk:
            found = _scalar_operand(graph, n)
            if found is not None:
                nodes.append(n)
                cur, factor = found
                scale *= factor
                if side == "q":
                    q = cur
                else:
                    kt = cur
    if not (_rank4_f32(graph, q) and _rank4_f32(graph, kt)):
        return None
    k, k_transposed = kt, 1
    t = producers.get(kt)
    if t is not None and t.op == "Transpose" and list(attr(t, "perm")) == SWAP_LAST and _rank4_f32(graph, t.inputs[0]):
        k, k_transposed = t.inputs[0], 0  # the Transpose dies with the match if nothing else reads it
    sq, sk, sv = shape(graph, q), shape(graph, k), shape(graph, v)
    if not (_maybe_equal(sq[0], sk[0], sv[0]) and _maybe_equal(sk[1], sv[1]) and
            _maybe_equal(sq[3], sk[2] if k_transposed else sk[3])):
        return None  # broadcast batch dims stay with MatMul
    hq, hk = sq[1], sk[1]
    # a K/V head dim of 1 broadcast over the query heads is grouped-query attention with one group
    if not (_maybe_equal(hq, hk) or (not isinstance(hk, str) and int(hk) == 1)):
        return None
    if scale == 0.0 or not np.isfinite(scale):
        return None
    attrs = {"scale": float(np.float32(scale)), "k_transposed": k_transposed}
    return [q, k, v, mask], attrs, nodes


def fuse_attention(graph: ir.Graph) -> bool:
    """Sweeps over the MatMul nodes (the softmax(...) V product a match starts from) until a
    sweep fuses nothing; a fusion removes nodes, so later candidates are checked live."""
    changed, progress = False, True
    producers, uses = graph.producers(), graph.consumers()
    while progress:
        progress = False
        for node in [n for n in graph.nodes if n.op == "MatMul"]:
            if node not in graph or attr(node, "act") != 0:
                continue
            m = _match(graph, node, producers, uses)
            if m is None:
                continue
            inputs, attrs, nodes = m
            out = node.outputs[0]
            remove_nodes(graph, nodes)
            fused = ir.Node("Attention", inputs if inputs[3] else inputs[:3], [out], attrs,
                            graph.unique_name(f"{node.name}/attention"))
            graph.append_node(fused)  # optimize() re-sorts after the pass
            for n in nodes:
                for o in n.outputs:
                    if o != out:
                        graph.values.pop(o, None)
            changed = progress = True
    return changed
