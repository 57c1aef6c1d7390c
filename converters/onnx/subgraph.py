"""Importing an ONNX subgraph (a Scan body, an If branch) inline into the graph being built.

``inline_subgraph`` converts the subgraph's nodes once, through the same dispatch as the
graph walk, under fresh names; ``env`` binds the subgraph's inputs (and any other of its
names) to values of the outer graph, and names the subgraph does not define are read from
the outer graph, as ONNX's lexical scoping says. Used by Scan (unrolled, one call per step)
and If (the branch a constant condition selects).
"""
from __future__ import annotations

from .context import Context, OnnxNode, tensor_to_array
from .dispatch import convert_node


def inline_subgraph(ctx: Context, node: OnnxNode, body, env: dict, tag: str) -> list:
    """Converts ``body`` once with ``env`` (body name -> outer name) bound; returns the outer names
    of its outputs. ``tag`` keeps the fresh names of repeated inlinings apart."""
    for k, t_init in enumerate(body.initializer):
        env[t_init.name] = ctx.add_const(tensor_to_array(t_init, f"initializer {t_init.name!r}"), f"{tag}/init{k}")
    body_reads = {i for n in body.node for i in n.input} | {o.name for o in body.output}
    for index, proto in enumerate(body.node):
        inner = OnnxNode.from_proto(proto, index, node.opset)
        inner.name = f"{node.name}/{tag}/{inner.name}"
        inner.inputs = [env.get(i, i) if i else "" for i in inner.inputs]
        outs = []
        for o in inner.outputs:
            fresh = ctx.new_name(f"{node.name}/{tag}/{o}") if o else ""
            if o:
                env[o] = fresh
                if o in body_reads:
                    ctx.consumed.add(fresh)
            outs.append(fresh)
        inner.outputs = outs
        convert_node(ctx, inner)
    return [env.get(o.name, o.name) for o in body.output]
