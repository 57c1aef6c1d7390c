"""ONNX control flow. An If whose condition is a constant (after folding: exporters' shape
checks and function bodies such as AffineGrid's expansion branch on constants) is replaced by
the branch it selects, inlined (subgraph.py). An If on a run-time condition becomes the IR If
with both branches as subgraphs, and Loop the IR Loop with its body as one: the outer values a
body reads become explicit inputs of the node (constants are copied into the body).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name
from .ops_sequence import Stacked
from .subgraph import captured_inputs, free_names, import_subgraph, inline_subgraph


@handler("If")
def if_(ctx: Context, node: OnnxNode) -> None:
    cond = ctx.const(node.input(0))
    if cond is None:
        _runtime_if(ctx, node)
        return
    if np.asarray(cond).size != 1:
        raise ctx.error(f"cond must hold one value, got shape {list(np.asarray(cond).shape)}")
    for tag in ("then_branch", "else_branch"):  # both, as onnxruntime checks them
        if len(node.attrs[tag].output) != len(node.outputs):
            raise ctx.error(f"the {tag.split('_')[0]} branch has {len(node.attrs[tag].output)} outputs for the "
                            f"node's {len(node.outputs)}")
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
            elif src in ctx.sequences or src in ctx.optionals:  # resolved at conversion: the name aliases them
                table = ctx.sequences if src in ctx.sequences else ctx.optionals
                table[out] = table[src]
            else:
                ctx.emit1("Identity", [src], out, hint="branch_out")


def _runtime_if(ctx: Context, node: OnnxNode) -> None:
    """Both branches as subgraphs taking the outer values either reads; the runtime picks one."""
    then_b, else_b = node.attrs["then_branch"], node.attrs["else_branch"]
    for body, tag in ((then_b, "then"), (else_b, "else")):
        if len(body.output) != len(node.outputs):
            raise ctx.error(f"the {tag} branch has {len(body.output)} outputs for the node's {len(node.outputs)}")
    passed, consts = captured_inputs(ctx, node, list(dict.fromkeys(free_names(then_b) + free_names(else_b))))
    inputs = [(inner, ctx.dtype(outer), ctx.shape(outer)) for inner, outer in passed]
    branches = {}
    for body, tag in ((then_b, "then"), (else_b, "else")):
        branches[tag] = import_subgraph(ctx, node, body, tag, inputs, consts)
    ctx.emit("If", [node.input(0)] + [outer for _, outer in passed], list(node.outputs),
             {"then_branch": branches["then"], "else_branch": branches["else"]})


def _body_input(ctx: Context, vi, what: str) -> tuple:
    t = vi.type.tensor_type
    if vi.type.HasField("tensor_type") and t.elem_type and t.elem_type not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"the body's {what} ({vi.name!r}) has type {onnx_dtype_name(t.elem_type)}")
    if vi.type.HasField("tensor_type") and t.HasField("shape"):
        return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or f"{vi.name}_d{k}")
                     for k, d in enumerate(t.shape.dim))
    return ()


@handler("Loop")
def loop(ctx: Context, node: OnnxNode) -> None:
    """ONNX Loop: body(iteration, cond, carried..., captured...) -> (cond, carried..., scans...).
    A carried value keeps the shape it starts with when the body gives it back unchanged (the
    body is first imported so); otherwise the dims that change are symbolic in the body. A
    carried sequence the body appends one item to becomes a scan output (ops_sequence.Stacked)."""
    body = node.attrs["body"]
    carried = [node.input(2 + k) for k in range(len(node.inputs) - 2)]
    if len(body.input) != 2 + len(carried):
        raise ctx.error(f"the body takes {len(body.input)} inputs for 2 + {len(carried)} (iteration, condition, "
                        "loop-carried values)")
    if len(body.output) < 1 + len(carried) or len(node.outputs) > len(body.output) - 1:
        raise ctx.error(f"the body gives {len(body.output)} outputs: the condition, {len(carried)} carried values "
                        "and the scan outputs; the node's outputs must match")
    for k, name in enumerate(carried):
        if not name:
            raise ctx.error(f"loop-carried value {k} is absent")
    seqs = ctx.sequences
    lists = [k for k, name in enumerate(carried) if name in seqs]
    for k in lists:
        if not isinstance(seqs[carried[k]], list):
            raise ctx.unsupported(f"loop-carried value {k} is a sequence another Loop built")
    tensors = [k for k in range(len(carried)) if k not in lists]
    bound = {i.name for i in body.input}
    passed, consts = captured_inputs(ctx, node, [n for n in free_names(body) if n not in bound])
    head = [(body.input[0].name, "int64", _body_input(ctx, body.input[0], "iteration count")),
            (body.input[1].name, "bool", _body_input(ctx, body.input[1], "condition"))]
    captured = [(inner, ctx.dtype(outer), ctx.shape(outer)) for inner, outer in passed]
    appendable = tuple(body.input[2 + k].name for k in lists)
    shapes = [ctx.shape(carried[k]) for k in tensors]
    for attempt in range(2):
        values = [(body.input[2 + k].name, ctx.dtype(carried[k]), shape) for k, shape in zip(tensors, shapes)]
        sub = import_subgraph(ctx, node, body, "body", head + values + captured, consts, appendable)
        given = [tuple(sub.values[sub.outputs[1 + k]].shape) for k in tensors]
        if given == shapes:
            break
        # dims the body changes become symbolic (the second import keeps them so)
        shapes = [tuple(a if a == b else f"{node.name}_carried{k}_d{j}" for j, (a, b) in enumerate(zip(s, g)))
                  if len(s) == len(g) else s for k, (s, g) in enumerate(zip(shapes, given))]
    # body outputs: cond, carried tensors, the body's scans, then the appended items as more scans
    n = len(carried)
    sub.outputs = [sub.outputs[0]] + [sub.outputs[1 + k] for k in tensors] + sub.outputs[1 + n:] + \
        [sub.outputs[1 + k] for k in lists]
    stacked = [ctx.new_name(f"{node.name}/stacked{k}") for k in lists]
    outputs = [node.output(k) for k in tensors] + [node.output(n + j) for j in range(len(body.output) - 1 - n)]
    if lists:
        outputs += stacked
    while outputs and not outputs[-1]:
        outputs.pop()
    outputs = [o or ctx.new_name(f"{node.name}/unused") for o in outputs]
    ctx.emit("Loop", [node.input(0), node.input(1)] + [carried[k] for k in tensors] + [outer for _, outer in passed],
             outputs, {"body": sub, "n_carried": len(tensors)})
    for k, scan in zip(lists, stacked):
        if node.output(k):
            seqs[node.output(k)] = Stacked(seqs[carried[k]], scan)


INT64_MIN = -(2**63)


def scan_as_loop(ctx: Context, node: OnnxNode, n_state: int, xs: list, in_axes: list, in_dirs: list) -> None:
    """ONNX Scan (opset 9+) as a Loop over the scan axis length (known or not): the Loop body is
    Scan's body behind a Gather of each scan input's step (counted from the end for a reversed
    input); the stacked scan outputs are then reversed and moved to their axes as Scan says."""
    body = node.attrs["body"]
    k = len(body.output) - n_state
    info = helper.make_tensor_value_info
    steps = ctx.emit1("Shape", [xs[0]], attrs={"start": in_axes[0], "end": in_axes[0] + 1}, hint="steps")
    steps = ctx.reshape(steps, [], hint="steps_scalar")
    last = ctx.emit1("Sub", [steps, ctx.add_const(np.array(1, np.int64), "one")], hint="last") if any(in_dirs) else ""
    it, cond, go = (f"{node.name}/scan_{n}" for n in ("iteration", "cond", "cond_out"))
    pre = []
    for j, (x, axis, reverse) in enumerate(zip(xs, in_axes, in_dirs)):
        index = it
        if reverse:
            index = f"{node.name}/scan_step{j}"
            pre.append(helper.make_node("Sub", [last, it], [index]))
        pre.append(helper.make_node("Gather", [x, index], [body.input[n_state + j].name], axis=axis))
    loop_body = helper.make_graph(
        pre + list(body.node) + [helper.make_node("Identity", [cond], [go])], f"{node.name}/scan_body",
        [info(it, onnx.TensorProto.INT64, []), info(cond, onnx.TensorProto.BOOL, [])] + list(body.input[:n_state]),
        [info(go, onnx.TensorProto.BOOL, [])] + list(body.output), initializer=list(body.initializer))
    stacked = [ctx.new_name(f"{node.name}/stacked{j}") for j in range(k)]
    proto = helper.make_node("Loop", [steps, ""] + [node.input(i) for i in range(n_state)],
                             [node.output(i) for i in range(n_state)] + stacked, name=f"{node.name}/loop",
                             body=loop_body)
    as_loop = OnnxNode.from_proto(proto, 0, node.opset)
    as_loop.scope = node.scope
    outer, ctx.node = ctx.node, as_loop
    for y in stacked:
        ctx.consumed.add(y)
    loop(ctx, as_loop)
    ctx.node = outer
    out_axes = list(node.attrs.get("scan_output_axes", [0] * k))
    out_dirs = list(node.attrs.get("scan_output_directions", [0] * k))
    for j, y in enumerate(stacked):
        out = node.output(n_state + j)
        if not ctx.is_consumed(out):
            continue
        if out_dirs[j]:
            y = ctx.emit1("Slice", [y], attrs={"starts": [-1], "ends": [INT64_MIN], "axes": [0], "steps": [-1]},
                          hint=f"reversed{j}")
        rank = len(ctx.shape(y))
        axis = out_axes[j] % rank if -rank <= out_axes[j] < rank else None
        if axis is None:
            raise ctx.error(f"scan_output_axes entry {out_axes[j]} is out of range for rank {rank}")
        perm = list(range(1, axis + 1)) + [0] + list(range(axis + 1, rank))
        if axis:
            ctx.transpose(y, perm, out)
        else:
            ctx.emit1("Identity", [y], out)
