"""Importing ONNX subgraphs: inline into the graph being built (a Scan body, an If branch a
constant condition selects), or as pocketml subgraphs of their own (If on a run-time
condition, Loop).

``inline_subgraph`` converts the subgraph's nodes once, through the same dispatch as the
graph walk, under fresh names; ``env`` binds the subgraph's inputs (and any other of its
names) to values of the outer graph, and names the subgraph does not define are read from
the outer graph, as ONNX's lexical scoping says. Used by Scan (unrolled, one call per step)
and If (the branch a constant condition selects).

``import_subgraph`` converts a body into an ir.Graph of its own, for a control-flow node to run:
the outer values it reads (``free_names``) become explicit inputs (``captured_inputs``), except
constants, which it holds itself.
"""
from __future__ import annotations

import onnx

from pocketml import import_boundary, ir

from .context import Context, OnnxNode, tensor_to_array
from .dispatch import convert_node
from .ops_sequence import APPENDABLE, Appended
from .params import materialize


def inline_subgraph(ctx: Context, node: OnnxNode, body, env: dict, tag: str) -> list:
    """Converts ``body`` once with ``env`` (body name -> outer name) bound; returns the outer names
    of its outputs. ``tag`` keeps the fresh names of repeated inlinings apart."""
    env = {**node.scope, **env}  # an enclosing inlined body's names, renamed
    for k, t_init in enumerate(body.initializer):
        env[t_init.name] = ctx.add_const(tensor_to_array(t_init, f"initializer {t_init.name!r}"), f"{tag}/init{k}")
    body_reads = {i for n in body.node for i in n.input} | {o.name for o in body.output}
    for index, proto in enumerate(body.node):
        inner = OnnxNode.from_proto(proto, index, node.opset)
        inner.name = f"{node.name}/{tag}/{inner.name}"
        inner.inputs = [env.get(i, i) if i else "" for i in inner.inputs]
        inner.scope = dict(env)  # what its own subgraphs read, under the names given here
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


# ---- subgraphs kept as subgraphs (an If on a run-time condition, Loop) -------------------
def free_names(body) -> list:
    """Names ``body`` (and the subgraphs inside it) reads but does not define, in first-read
    order: what it captures from the scopes around it."""
    defined = {i.name for i in body.input} | {t.name for t in body.initializer} | \
        {o for n in body.node for o in n.output if o}
    reads: list = []
    for n in body.node:
        reads += [i for i in n.input if i]
        for a in n.attribute:
            for sub in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                reads += free_names(sub)
    reads += [o.name for o in body.output]
    return [r for r in dict.fromkeys(reads) if r not in defined]


def _all_names(body) -> set:
    names = {i.name for i in body.input} | {t.name for t in body.initializer} | {o.name for o in body.output}
    for n in body.node:
        names.update(n.input)
        names.update(n.output)
        for a in n.attribute:
            for sub in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                names |= _all_names(sub)
    return names


def captured_inputs(ctx: Context, node: OnnxNode, names: list) -> tuple:
    """Outer values a subgraph of ``node`` reads, split into (run-time values as (name in the
    subgraph, name here) pairs, passed as node inputs; {name in the subgraph: constant}, copied
    into it). Symbolic shape tensors are computed first."""
    passed, consts = [], {}
    for name in names:
        outer = node.scope.get(name, name)
        if outer in ctx.shape_values:
            materialize(ctx, outer, in_place=True)
        if outer not in ctx.graph.values:
            raise ctx.error(f"a subgraph reads {name!r}, which no enclosing graph defines")
        value = ctx.graph.values[outer]
        if value.is_const:
            consts[name] = value.const
        else:
            passed.append((name, outer))
    return passed, consts


def import_subgraph(ctx: Context, node: OnnxNode, body, tag: str, inputs: list, consts: dict,
                    appendable: tuple = ()) -> ir.Graph:
    """``body`` as a pocketml subgraph of its own. inputs: (name, dtype, shape) of its graph inputs
    in order (the body's declared inputs, then the captured outer values, under their own
    names); consts: captured outer constants. Its outputs are the body's, each produced by a
    node or an input (constants and repeated names get an Identity, as the format asks).
    appendable: body inputs that are a Loop's carried sequences (not graph inputs): the body
    may only append one item to each, and the output that gives it back becomes that item."""
    sub = ir.Graph(f"{node.name}/{tag}")
    reserved = ctx.reserved | _all_names(body)
    consumed = {i for n in body.node for i in n.input if i} | {o.name for o in body.output}
    for name in free_names(body):
        consumed.add(name)
    for n in body.node:
        for a in n.attribute:
            for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                consumed |= _all_names(g)
    inner = Context(sub, reserved, consumed)
    for name, dtype, shape in inputs:
        sub.add_value(name, dtype, shape)
        sub.inputs.append(name)
    for name, array in consts.items():
        sub.add_value(name, const=array)
    inner_sequences = inner.sequences
    for name in appendable:
        inner_sequences[name] = APPENDABLE
    for t_init in body.initializer:
        sub.add_value(t_init.name, const=tensor_to_array(t_init, f"initializer {t_init.name!r}"))
    inner.follow_nodes()
    for index, proto in enumerate(body.node):
        inner_node = OnnxNode.from_proto(proto, index, node.opset)
        inner_node.name = f"{node.name}/{tag}/{inner_node.name}"
        convert_node(inner, inner_node)
    inner.node = node
    outputs = []
    for vo in body.output:
        name = vo.name
        if name in inner_sequences:
            if not isinstance(inner_sequences[name], Appended):
                raise ctx.unsupported(f"the {tag} gives sequence {name!r}; only a Loop's carried sequence that the "
                                      "body appends one item to is supported")
            name = inner_sequences[name].item
        if name in inner.shape_values:
            inner.node = node
            materialize(inner, name, in_place=True)
        if name not in sub.values:
            raise ctx.error(f"{tag} output {name!r} is not produced by the {tag}")
        if sub.values[name].is_const or name in outputs:
            copy = inner.new_name(f"{node.name}/{tag}/{name}_out")
            v = sub.values[name]
            sub.add_value(copy, v.dtype, v.shape)
            sub.add_node("Identity", [name], [copy], name=copy)
            name = copy
        outputs.append(name)
    inner.finish(outputs)
    sub.outputs = outputs
    sub.remove_unused_values()
    import_boundary.unfollow(inner)  # imported: a later failure is the enclosing graph's
    return sub
