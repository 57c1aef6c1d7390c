"""ONNX indexing ops -> IR index ops: Gather (which also selects dims from a
symbolic shape tensor), GatherElements, GatherND, ScatterElements (and the
deprecated Scatter), ScatterND, OneHot, Range, TopK, Trilu, CumSum, CumProd,
ReverseSequence (its sequence_lens is a run-time input, checked by the runtime) and
TensorScatter (opset 24; mode linear/circular becomes circular 0/1).
Range, OneHot's depth, TopK's k, Trilu's k and CumSum's/CumProd's axis may be
computed at run time: the IR node then takes them as inputs (params.py).
"""
from __future__ import annotations

import numpy as np

from .attr_domains import AXIS, BOOL, NONNEG, axis, domain, enum
from .context import Context, OnnxNode, handler
from .params import const_or_name, runtime_param


@handler("Gather", shape_aware=True)
@domain(axis=AXIS)
def gather(ctx: Context, node: OnnxNode) -> None:
    if node.input(0) in ctx.shape_values:
        dims = ctx.shape_values[node.input(0)][0]
        idx = ctx.param(1, "indices", required=True)
        if idx.ndim > 1 or np.any((idx < -len(dims)) | (idx >= len(dims))):
            raise ctx.error(f"indices {idx.tolist()} do not select from the shape tensor {dims}")
        ctx.set_shape_value(node.output(0), [dims[int(i)] for i in idx.reshape(-1)], scalar=idx.ndim == 0)
        return
    ctx.emit1("Gather", [node.input(0), node.input(1)], node.output(0), {"axis": int(node.attrs.get("axis", 0))})


@handler("Range", shape_aware=True)
def range_(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("Range", [const_or_name(ctx, i) for i in range(3)], node.output(0))


_REDUCTIONS = ("none", "add", "mul", "max", "min")


def _reduction(ctx: Context, node: OnnxNode) -> int:
    red = node.attrs.get("reduction", "none")
    if red not in _REDUCTIONS:
        raise ctx.unsupported(f"reduction={red!r} is not supported; supported: {', '.join(_REDUCTIONS)}")
    return _REDUCTIONS.index(red)


@handler("GatherElements")
@domain(axis=AXIS)
def gather_elements(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("GatherElements", [node.input(0), node.input(1)], node.output(0),
              {"axis": int(node.attrs.get("axis", 0))})


@handler("GatherND")
@domain(batch_dims=NONNEG)
def gather_nd(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("GatherND", [node.input(0), node.input(1)], node.output(0),
              {"batch_dims": int(node.attrs.get("batch_dims", 0))})


@handler("ScatterElements", "Scatter")
@domain(axis=AXIS, reduction=enum("none", "add", "mul", "max", "min"))
def scatter_elements(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("ScatterElements", [node.input(0), node.input(1), node.input(2)], node.output(0),
              {"axis": int(node.attrs.get("axis", 0)), "reduction": _reduction(ctx, node)})


@handler("ScatterND")
@domain(reduction=enum("none", "add", "mul", "max", "min"))
def scatter_nd(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("ScatterND", [node.input(0), node.input(1), node.input(2)], node.output(0),
              {"reduction": _reduction(ctx, node)})


@handler("OneHot", shape_aware=True)
@domain(axis=axis(extra=1, index=0))
def onehot(ctx: Context, node: OnnxNode) -> None:
    depth = ctx.const(node.input(1)) if node.input(1) not in ctx.shape_values else None
    attrs = {"axis": int(node.attrs.get("axis", -1))}
    if depth is not None:  # ONNX allows any numeric type: the value is truncated to an integer
        attrs["depth"] = int(np.asarray(depth).reshape(-1)[0])
        ctx.emit1("OneHot", [node.input(0), node.input(2)], node.output(0), attrs)
    else:
        ctx.emit1("OneHot", [node.input(0), node.input(2), const_or_name(ctx, 1)], node.output(0), attrs)


@handler("TopK", shape_aware=True)
@domain(axis=AXIS, largest=BOOL, sorted=BOOL)
def topk(ctx: Context, node: OnnxNode) -> None:
    attrs = {"axis": int(node.attrs.get("axis", -1)), "largest": int(node.attrs.get("largest", 1)),
             "sorted": int(node.attrs.get("sorted", 1))}
    outs = list(node.outputs) + [""] * (2 - len(node.outputs))
    if node.opset < 10:
        attrs["k"] = int(node.attrs["k"])
        ctx.emit("TopK", [node.input(0)], outs, attrs)
        return
    k, runtime = runtime_param(ctx, 1, "k", required=True)
    if runtime is not None:
        ctx.emit("TopK", [node.input(0), runtime], outs, attrs)
    else:
        if len(k) != 1:
            raise ctx.error(f"k must hold one value, got {k}")
        ctx.emit("TopK", [node.input(0)], outs, {**attrs, "k": k[0]})


@handler("Trilu", shape_aware=True)
@domain(upper=BOOL)
def trilu(ctx: Context, node: OnnxNode) -> None:
    k, runtime = runtime_param(ctx, 1, "k")
    attrs = {"upper": int(node.attrs.get("upper", 1))}
    if runtime is not None:
        ctx.emit1("Trilu", [node.input(0), runtime], node.output(0), attrs)
    else:
        ctx.emit1("Trilu", [node.input(0)], node.output(0), {**attrs, "k": k[0] if k else 0})


@handler("CumSum", "CumProd", shape_aware=True)
@domain(exclusive=BOOL, reverse=BOOL)
def cumulative(ctx: Context, node: OnnxNode) -> None:
    axis, runtime = runtime_param(ctx, 1, "axis", required=True)
    attrs = {"exclusive": int(node.attrs.get("exclusive", 0)), "reverse": int(node.attrs.get("reverse", 0))}
    if runtime is not None:
        ctx.emit1(node.op_type, [node.input(0), runtime], node.output(0), attrs)
    else:
        ctx.emit1(node.op_type, [node.input(0)], node.output(0), {**attrs, "axis": axis[0]})


@handler("ReverseSequence")
@domain(batch_axis=BOOL, time_axis=BOOL)
def reverse_sequence(ctx: Context, node: OnnxNode) -> None:
    attrs = {"batch_axis": int(node.attrs.get("batch_axis", 1)), "time_axis": int(node.attrs.get("time_axis", 0))}
    ctx.emit1("ReverseSequence", [node.input(0), node.input(1)], node.output(0), attrs)


@handler("TensorScatter")
@domain(axis=AXIS, mode=enum("linear", "circular"))
def tensor_scatter(ctx: Context, node: OnnxNode) -> None:
    mode = node.attrs.get("mode", "linear")
    if mode not in ("linear", "circular"):
        raise ctx.unsupported(f"mode={mode!r} is not supported (supported: linear, circular)")
    attrs = {"axis": int(node.attrs.get("axis", -2)), "circular": int(mode == "circular")}
    ctx.emit1("TensorScatter", [node.input(i) for i in range(3)], node.output(0), attrs)
