"""Run an IR graph with the op registry's numpy references.

This is a test oracle (and what constant folding uses per node): it is never
how pocketml runs a model — Session runs the C runtime.
"""
from __future__ import annotations

import numpy as np

from . import ir, ops


def run_node(node: ir.Node, inputs: list) -> list:
    opdef = ops.get(node.op)
    if opdef.reference is None:
        raise NotImplementedError(f"op {node.op} has no numpy reference")
    outs = opdef.reference(inputs, opdef.attrs_of(node))
    return [np.asarray(o) for o in outs][:max(1, len(node.outputs))]  # optional trailing outputs not asked for


def run_graph(graph: ir.Graph, feeds: dict) -> dict:
    env = {k: v.const for k, v in graph.values.items() if v.const is not None}
    env.update({k: np.asarray(v) for k, v in feeds.items()})
    for node in graph.nodes:
        outs = run_node(node, [env[i] if i else None for i in node.inputs])
        for name, val in zip(node.outputs, outs):
            if name:
                env[name] = val
    return {name: env[name] for name in graph.outputs}
