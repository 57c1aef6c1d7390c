"""Shape and dtype inference over an ir.Graph with the op registry's rules.

``infer_shapes(graph)`` runs every node in order (nodes must be topologically
sorted); ``infer_shapes(graph, nodes)`` re-infers only the given nodes and then
whatever downstream value they changed, so a pass that rewrote a few nodes pays
for those, not for the whole graph. This lives outside ir.py because the
registry (ops/) imports the IR.
"""
from __future__ import annotations

import heapq
from typing import Iterable, Optional

from . import ir, ops


def _infer_node(graph: ir.Graph, node: ir.Node) -> bool:
    """Infer one node's outputs; True if any output's dtype or shape changed."""
    values = graph.values
    ins = [values[i] if i else None for i in node.inputs]
    results = ops.get(node.op).infer(node, ins)
    changed = False
    for out, (dtype, shape) in zip(node.outputs, results):
        if out:
            v = values[out]
            shape = None if shape is None else tuple(shape)
            if v.dtype != dtype or v.shape != shape:
                v.dtype, v.shape, changed = dtype, shape, True
    return changed


def infer_shapes(graph: ir.Graph, nodes: Optional[Iterable[ir.Node]] = None) -> None:
    """Infer every node (``nodes`` None), or the given nodes and everything their changes reach."""
    if nodes is None:
        for n in graph.nodes:
            _infer_node(graph, n)
        return
    order = {id(n): k for k, n in enumerate(graph.nodes)}
    heap = [(order[id(n)], id(n), n) for n in nodes if id(n) in order]
    heapq.heapify(heap)
    seen = {entry[1] for entry in heap}
    while heap:
        _, _, n = heapq.heappop(heap)
        if not _infer_node(graph, n):
            continue
        for o in n.outputs:
            for c in graph.consumers_of(o):
                if id(c) not in seen and id(c) in order:
                    seen.add(id(c))
                    heapq.heappush(heap, (order[id(c)], id(c), c))
