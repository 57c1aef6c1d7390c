"""GELU recognition: the elementwise subgraphs exporters write for GELU -> one Gelu node.

Exact (erf) form, as torch.onnx's TorchScript exporter writes F.gelu:

  Div(x, sqrt2) | Mul(x, 1/sqrt2) -> Erf -> Add(1) -> then x * 0.5 * (.) as
  Mul(Mul(x, .), 0.5) | Mul(Mul(x, 0.5), .) | Mul(x, Mul(., 0.5))

Tanh form (HF "gelu_new" / F.gelu(approximate="tanh")):

  Pow(x, 3) | Mul(x, Mul(x, x)) -> Mul(0.044715) -> Add(x) -> Mul(sqrt(2/pi))
  -> Tanh -> Add(1) -> the same x * 0.5 * (.) tail

Constants may sit on either side of a commutative op, be scalars or shape [1]
(size 1 in any case), and may be rounded (relative 1e-6). The subgraph becomes
Gelu(x) (approximate "none" / "tanh") taking over the last node's output name,
only when x is float32, the result has x's shape, no matched op carries a fused
activation, and every intermediate is read by nothing outside the subgraph and
is not a graph output. Runs before fuse_activation so the Gelu then folds
into the MatMul/Gemm/Add producing x.
"""
from __future__ import annotations

import math
from typing import Optional

from .. import ir, ops
from ._util import attr, const, is_float, remove_nodes, shape

RTOL = 1e-6
SQRT2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
TANH_CUBIC = 0.044715
COMMUTATIVE = ops.with_trait("commutative")


def _scalar(graph: ir.Graph, name: str) -> Optional[float]:
    c = const(graph, name)
    if c is None or c.size != 1 or c.ndim > 1 or c.dtype.kind != "f":
        return None
    return float(c.reshape(-1)[0])


def _close(value: Optional[float], target: float) -> bool:
    return value is not None and math.isclose(value, target, rel_tol=RTOL)


def _binary(node: Optional[ir.Node], op: str) -> bool:
    return node is not None and node.op == op and len(node.inputs) == 2 and attr(node, "act") == ops.ACT_NONE


def _other(graph: ir.Graph, node: Optional[ir.Node], op: str, target: float) -> Optional[str]:
    """For ``op(v, c)`` (or ``op(c, v)`` if op commutes) with c a size-1 constant ~ target: v."""
    if not _binary(node, op):
        return None
    a, b = node.inputs
    if _close(_scalar(graph, b), target) and const(graph, a) is None:
        return a
    if op in COMMUTATIVE and _close(_scalar(graph, a), target) and const(graph, b) is None:
        return b
    return None


def _partner(node: ir.Node, name: str) -> Optional[str]:
    """The other input of a two-input node reading ``name`` once."""
    a, b = node.inputs
    if a == b:
        return None
    return b if a == name else a if b == name else None


def _reader(uses: dict, name: str) -> Optional[ir.Node]:
    readers = uses.get(name, [])
    return readers[0] if len(readers) == 1 else None


def _tail(graph: ir.Graph, producers: dict, uses: dict, x: str, one_plus: str) -> Optional[list]:
    """The nodes computing x * 0.5 * one_plus, last one producing the result, or None."""
    m = _reader(uses, one_plus)
    if not _binary(m, "Mul"):
        return None
    other = _partner(m, one_plus)
    if other is None:
        return None
    if other == x:  # (x * t) * 0.5
        last = _reader(uses, m.outputs[0])
        return [m, last] if _other(graph, last, "Mul", 0.5) == m.outputs[0] else None
    if _close(_scalar(graph, other), 0.5):  # x * (t * 0.5)
        last = _reader(uses, m.outputs[0])
        return [m, last] if _binary(last, "Mul") and _partner(last, m.outputs[0]) == x else None
    half = producers.get(other)  # (x * 0.5) * t
    return [half, m] if _other(graph, half, "Mul", 0.5) == x else None


def _cube(graph: ir.Graph, producers: dict, name: str) -> Optional[tuple]:
    """(x, nodes) if ``name`` is Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x)."""
    node = producers.get(name)
    if node is None:
        return None
    if node.op == "Pow" and len(node.inputs) == 2 and _close(_scalar(graph, node.inputs[1]), 3.0) \
            and const(graph, node.inputs[0]) is None:
        return node.inputs[0], [node]
    if not _binary(node, "Mul"):
        return None
    for sq, x in (node.inputs, node.inputs[::-1]):
        sq_node = producers.get(sq)
        if _binary(sq_node, "Mul") and sq_node.inputs == [x, x] and const(graph, x) is None:
            return x, [sq_node, node]
    return None


def _match_erf(graph: ir.Graph, producers: dict, uses: dict, erf: ir.Node) -> Optional[tuple]:
    scaled = producers.get(erf.inputs[0])
    x = _other(graph, scaled, "Div", SQRT2) or _other(graph, scaled, "Mul", 1.0 / SQRT2)
    add = _reader(uses, erf.outputs[0])
    if x is None or _other(graph, add, "Add", 1.0) != erf.outputs[0]:
        return None
    tail = _tail(graph, producers, uses, x, add.outputs[0])
    return None if tail is None else (x, "none", [scaled, erf, add] + tail)


def _match_tanh(graph: ir.Graph, producers: dict, uses: dict, tanh: ir.Node) -> Optional[tuple]:
    inner = _other(graph, producers.get(tanh.inputs[0]), "Mul", SQRT_2_OVER_PI)
    add_cubic = producers.get(inner) if inner is not None else None
    if not _binary(add_cubic, "Add"):
        return None
    for x, cubic in (add_cubic.inputs, add_cubic.inputs[::-1]):
        scaled = producers.get(cubic)
        cube = _cube(graph, producers, _other(graph, scaled, "Mul", TANH_CUBIC) or "")
        if cube is None or cube[0] != x:
            continue
        add = _reader(uses, tanh.outputs[0])
        if _other(graph, add, "Add", 1.0) != tanh.outputs[0]:
            return None
        tail = _tail(graph, producers, uses, x, add.outputs[0])
        if tail is None:
            return None
        body = cube[1] + [scaled, add_cubic, producers[tanh.inputs[0]], tanh, add]
        return x, "tanh", body + tail
    return None


def _private(graph: ir.Graph, uses: dict, nodes: list) -> bool:
    """Every value the subgraph produces but the last is read only inside it and is not a graph output."""
    ids = {id(n) for n in nodes}
    for n in nodes[:-1]:
        for out in n.outputs:
            if out in graph.outputs or any(id(r) not in ids for r in uses.get(out, [])):
                return False
    return True


def fuse_gelu(graph: ir.Graph) -> bool:
    producers, uses = graph.producers(), graph.consumers()
    dead: list = []
    dead_ids: set = set()
    replacements: list = []
    for node in graph.nodes:
        if node.op == "Erf":
            m = _match_erf(graph, producers, uses, node)
        elif node.op == "Tanh":
            m = _match_tanh(graph, producers, uses, node)
        else:
            continue
        if m is None:
            continue
        x, approximate, nodes = m
        y = nodes[-1].outputs[0]
        if any(id(n) in dead_ids for n in nodes) or not _private(graph, uses, nodes) or not is_float(graph, x) \
                or shape(graph, y) is None or shape(graph, y) != shape(graph, x):
            continue
        dead.extend(nodes)
        dead_ids.update(id(n) for n in nodes)
        replacements.append((nodes, ir.Node("Gelu", [x], [y], {"approximate": approximate},
                                            graph.unique_name(f"{nodes[-1].name}/gelu"))))
    graph.replace_nodes((nodes[-1], gelu) for nodes, gelu in replacements)  # where the subgraph's last node stood
    for nodes, gelu in replacements:
        for n in nodes[:-1]:
            graph.values.pop(n.outputs[0], None)
    remove_nodes(graph, dead)
    return bool(replacements)
