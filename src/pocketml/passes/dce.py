"""Dead-code elimination: drop nodes whose outputs reach no graph output (or state write).

Liveness is a backward walk from the graph outputs through producers, so it
does not depend on node order. A node with several outputs lives if any output
does. Values no node or interface references any more (folded-away constants,
outputs of removed nodes) are dropped too; graph inputs always stay.
"""
from __future__ import annotations

from .. import ir, ops


def eliminate_dead_code(graph: ir.Graph) -> bool:
    producers = graph.producers()
    live_nodes: set = set()
    seen = set(graph.outputs)
    stack = list(graph.outputs)
    for node in graph.nodes:  # state writes (VariableAssign) live without outputs
        if not node.outputs and "stateful" in ops.get(node.op).traits:
            live_nodes.add(id(node))
            stack += [i for i in node.inputs if i and i not in seen]
            seen.update(node.inputs)
    while stack:
        node = producers.get(stack.pop())
        if node is None or id(node) in live_nodes:
            continue
        live_nodes.add(id(node))
        for i in node.inputs:
            if i and i not in seen:
                seen.add(i)
                stack.append(i)
    nodes = graph.nodes
    before = (len(nodes), len(graph.values))
    if len(live_nodes) != len(nodes):  # (live nodes are graph nodes: as many means all of them)
        graph.nodes = [n for n in nodes if id(n) in live_nodes]
    graph.remove_unused_values()
    return (len(graph.nodes), len(graph.values)) != before
