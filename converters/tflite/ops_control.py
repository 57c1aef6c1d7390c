"""TFLite IF and WHILE -> IR If and While, their subgraphs imported as IR subgraphs.

TFLite passes every value a subgraph reads explicitly (IF's operands after the condition,
WHILE's loop values), so a subgraph imports on its own: its inputs take the shapes of what
the operator passes. A WHILE body that changes a value's shape from one iteration to the next
is imported a second time with the dims it changes symbolic (the first import shows which).
A subgraph that names itself or one of the subgraphs running it is refused (it would never
end), as is an index outside the model.
"""
from __future__ import annotations

import dataclasses

import tflite

from pocketml import import_boundary, ir

from .context import Context, convert_ops, graph_outputs, handler


def import_subgraph(ctx: Context, k: int, specs: list, what: str) -> ir.Graph:
    """Subgraph k as an IR graph whose inputs have the (dtype, shape) of ``specs``."""
    subgraphs = ctx.model.subgraphs
    running = ctx.running
    if not 0 <= k < len(subgraphs):
        raise ctx.error(f"{what} {k} is not a subgraph of the model ({len(subgraphs)} subgraphs)")
    if k in running:
        raise ctx.error(f"{what} {k} names a subgraph that is already running (subgraphs {list(running)}): "
                        "it would recurse forever")
    sg = subgraphs[k]
    if len(sg.inputs) != len(specs):
        raise ctx.error(f"{what} {k} takes {len(sg.inputs)} inputs; the operator passes {len(specs)}")
    view = dataclasses.replace(ctx.model, tensors=sg.tensors, ops=sg.ops, inputs=sg.inputs, outputs=sg.outputs)
    sub = Context(view, ir.Graph(f"{ctx.graph.name}/subgraph{k}"), f"{ctx.source} (subgraph {k})")
    sub.running = running + (k,)
    for ti, (dtype, shape) in zip(sg.inputs, specs):
        name = sub.value_name(ti)
        declared = ir.dtype_name(sub.np_type(ti))
        if declared != dtype:
            raise ctx.error(f"{what} {k}: input {name!r} is {declared} but the operator passes {dtype}")
        sub.graph.add_value(name, dtype, shape)
        sub.graph.inputs.append(name)
    convert_ops(sub)
    sub.op = None
    import_boundary.unfollow(sub)  # imported: a later failure is the enclosing graph's
    sub.graph.outputs = graph_outputs(sub)
    return sub.graph


def _specs(ctx: Context, names: list, shapes=None) -> list:
    return [(ctx.graph.values[n].dtype, tuple(shapes[i]) if shapes else ctx.shape(n)) for i, n in enumerate(names)]


@handler("IF")
def if_(ctx: Context, op) -> None:
    o = ctx.options(tflite.IfOptions)
    operands = [ctx.input(i) for i in range(1, len(op.inputs))]
    specs = _specs(ctx, operands)
    then_g = import_subgraph(ctx, int(o.ThenSubgraphIndex()), specs, "then_subgraph_index")
    else_g = import_subgraph(ctx, int(o.ElseSubgraphIndex()), specs, "else_subgraph_index")
    outs = [ctx.out(i) for i in range(len(op.outputs))]
    ctx.emit_outputs("If", [ctx.input(0)] + operands, outs, {"then_branch": then_g, "else_branch": else_g})


@handler("WHILE")
def while_(ctx: Context, op) -> None:
    o = ctx.options(tflite.WhileOptions)
    values = [ctx.input(i) for i in range(len(op.inputs))]
    if len(op.outputs) != len(values):
        raise ctx.error(f"has {len(values)} loop values but {len(op.outputs)} outputs")
    shapes = [ctx.shape(v) for v in values]
    for attempt in range(2):
        body = import_subgraph(ctx, int(o.BodySubgraphIndex()), _specs(ctx, values, shapes), "body_subgraph_index")
        if len(body.outputs) != len(values):
            raise ctx.error(f"body_subgraph_index {int(o.BodySubgraphIndex())} gives {len(body.outputs)} values "
                            f"for the {len(values)} it takes")
        given = [tuple(body.values[n].shape) for n in body.outputs]
        if given == shapes:
            break
        # dims the body changes become symbolic (the second import keeps them so)
        shapes = [tuple(a if a == b else f"while{op.index}_v{k}_d{j}" for j, (a, b) in enumerate(zip(s, g)))
                  if len(s) == len(g) else s for k, (s, g) in enumerate(zip(shapes, given))]
    cond = import_subgraph(ctx, int(o.CondSubgraphIndex()), _specs(ctx, values, shapes), "cond_subgraph_index")
    outs = [ctx.out(i) for i in range(len(op.outputs))]
    ctx.emit_outputs("While", values, outs, {"cond": cond, "body": body})
