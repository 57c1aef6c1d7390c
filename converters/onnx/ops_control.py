"""ONNX control flow, as far as it resolves at conversion: If whose condition is a constant
(after folding: exporters' shape checks and function bodies such as AffineGrid's expansion
branch on constants) is replaced by the branch it selects, inlined (subgraph.py). An If whose
condition is only known at run time needs subgraphs in the .pml format, which the runtime does
not have yet: it is refused naming the node and saying so.
"""
from __future__ import annotations

import numpy as np

from .context import Context, OnnxNode, handler
from .subgraph import inline_subgraph


@handler("If")
def if_(ctx: Context, node: OnnxNode) -> None:
    cond = ctx.const(node.input(0))
    if cond is None:
        raise ctx.unsupported("an If whose condition is computed at run time is not supported yet (subgraphs "
                              "are not in the .pml format); an If on a constant condition (after folding, e.g. "
                              "of static shapes) is inlined, so pinning input shapes with input_shapes may help")
    if np.asarray(cond).size != 1:
        raise ctx.error(f"cond must hold one value, got shape {list(np.asarray(cond).shape)}")
    taken = bool(np.asarray(cond).reshape(-1)[0])
    branch = node.attrs["then_branch" if taken else "else_branch"]
    outs = inline_subgraph(ctx, node, branch, {}, "then" if taken else "else")
    if len(outs) != len(node.outputs):
        raise ctx.error(f"the {'then' if taken else 'else'} branch has {len(outs)} outputs for the node's "
                        f"{len(node.outputs)}")
    for src, out in zip(outs, node.outputs):
        if out and ctx.is_consumed(out):
            if src in ctx.shape_values:
                ctx.set_shape_value(out, *ctx.shape_values[src])
            else:
                ctx.emit1("Identity", [src], out, hint="branch_out")
