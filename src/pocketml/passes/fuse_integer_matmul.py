"""MatMulInteger -> Cast -> Mul (-> Add bias) fused into one MatMulIntegerToFloat.

onnxruntime's ``quantize_dynamic`` writes every weight MatMul of a transformer as

    DynamicQuantizeLinear(x) -> a, a_scale, a_zp
    Mul(a_scale, w_scale)                    -> s
    MatMulInteger(a, w, a_zp, w_zp)          -> int32 acc
    Cast(acc, to=float) -> Mul(., s) -> Add(., bias)

Unfused, the int32 product makes three more passes over memory (Cast, Mul, Add) after the GEMM.
MatMulIntegerToFloat (com.microsoft; onnxruntime fuses the same pattern into it) converts each
block of rows while it is in cache. The values do not change: the fused op rounds the multiplier
``a_scale * b_scale`` to float32 first, then the product and the sum once each, exactly as the
Mul and Add nodes did (no fused multiply-add).

Conditions: Cast to float32 is the product's only reader and the Mul the Cast's (neither a graph
output); the Mul's other operand is float32, one value or one per column ([N]); the Mul carries no
fused activation. When that operand is itself a Mul of one value by one value or [N] (the pattern
above), its operands become a_scale and b_scale; otherwise it is b_scale ([N]) or a_scale (one
value) and the other is 1 (a product with 1 is exact). A following Add of a float32 constant of
one value per column ([N], or [1, .., N]) that alone reads the Mul becomes the bias. Runs before
fold_bn, which would otherwise turn the Mul and Add into ScaleShifts.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import ir, ops
from ._util import attr, const, remove_nodes, sole_consumer

FLOAT32 = 1  # TensorProto.FLOAT: Cast's "to"


def _one(shape) -> bool:
    return shape is not None and len(shape) <= 1 and all(d == 1 for d in shape)


def _per_column(shape, n) -> bool:
    return shape is not None and len(shape) == 1 and shape[0] == n


def _no_act(node: ir.Node) -> bool:
    return "act" not in node.attrs or attr(node, "act") == ops.ACT_NONE


def _scales(graph: ir.Graph, producers: dict, s: str, n, ones: list) -> Optional[tuple]:
    """(a_scale, b_scale) names whose product is s, or None."""
    shape = graph.values[s].shape
    if graph.values[s].dtype != "float32" or not (_one(shape) or _per_column(shape, n)):
        return None
    p = producers.get(s)
    if p is not None and p.op == "Mul" and _no_act(p) and all(graph.values[i].dtype == "float32" for i in p.inputs):
        u, v = p.inputs
        if _one(graph.values[v].shape) and not _one(graph.values[u].shape):
            u, v = v, u
        if _one(graph.values[u].shape) and (_one(graph.values[v].shape) or _per_column(graph.values[v].shape, n)):
            return u, v
    if not ones:  # one constant 1 for the whole graph
        ones.append(graph.add_const(np.ones((), np.float32), "one"))
    one = ones[0]
    return (s, one) if _one(shape) else (one, s)


def _bias(graph: ir.Graph, uses: dict, z: str, n) -> Optional[tuple]:
    """(Add node, bias [N] name) when an Add of a constant per column alone reads z."""
    add = sole_consumer(graph, uses, z)
    if add is None or add.op != "Add" or not _no_act(add) or add.inputs[0] == add.inputs[1]:
        return None
    other = add.inputs[1] if add.inputs[0] == z else add.inputs[0]
    b = const(graph, other)
    if b is None or b.dtype != np.float32 or b.ndim < 1 or b.shape[-1] != n or any(d != 1 for d in b.shape[:-1]):
        return None
    if graph.values[add.outputs[0]].shape != graph.values[z].shape:
        return None
    return add, graph.add_const(np.ascontiguousarray(b.reshape(-1)), f"{add.name}_bias")


def _fuse(graph: ir.Graph, mmi: ir.Node, producers: dict, uses: dict, ones: list) -> Optional[list]:
    acc = mmi.outputs[0]
    y_shape = graph.values[acc].shape
    if not y_shape:
        return None
    n = y_shape[-1]
    cast = sole_consumer(graph, uses, acc)
    if cast is None or cast.op != "Cast" or attr(cast, "to") != FLOAT32:
        return None
    mul = sole_consumer(graph, uses, cast.outputs[0])
    if mul is None or mul.op != "Mul" or not _no_act(mul) or mul.inputs[0] == mul.inputs[1]:
        return None
    s = mul.inputs[1] if mul.inputs[0] == cast.outputs[0] else mul.inputs[0]
    if graph.values[mul.outputs[0]].shape != y_shape:
        return None
    scales = _scales(graph, producers, s, n, ones)
    if scales is None:
        return None
    bias = _bias(graph, uses, mul.outputs[0], n)
    last = bias[0] if bias else mul
    ins = list(mmi.inputs) + [""] * (4 - len(mmi.inputs))
    fused = graph.new_node("MatMulIntegerToFloat", [ins[0], ins[1], scales[0], scales[1], ins[2], ins[3],
                                                    bias[1] if bias else ""], [last.outputs[0]], name=mmi.name)
    graph.replace_node(last, fused)  # where every input is computed
    return [mmi, cast, mul] if bias else [mmi, cast]


def fuse_integer_matmul(graph: ir.Graph) -> bool:
    producers, uses = graph.producers(), graph.consumers()
    dead, ones = [], []
    for node in list(graph.nodes):
        if node.op == "MatMulInteger":
            gone = _fuse(graph, node, producers, uses, ones)
            if gone:
                dead.extend(gone)
    remove_nodes(graph, dead)
    return bool(dead)
