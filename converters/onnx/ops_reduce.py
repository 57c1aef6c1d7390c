"""ONNX reductions -> IR reductions; ArgMax/ArgMin.

axes are an attribute up to opset 12 (ReduceSum) / 17 (the others) and an
input after: a constant one becomes the IR attribute, one computed at run time
stays the IR node's axes input (read while planning); noop_with_empty_axes
exists from those same opsets. ArgMax/ArgMin keep their attributes
(select_last_index from opset 12). ReduceLogSum is log(ReduceSum(x)): the two IR ops.
"""
from __future__ import annotations

from .attr_domains import AXES, AXIS, BOOL, domain
from .context import Context, OnnxNode, handler
from .params import runtime_param

_AXES_INPUT_FROM = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18, "ReduceProd": 18,
                    "ReduceL1": 18, "ReduceL2": 18, "ReduceSumSquare": 18, "ReduceLogSumExp": 18, "ReduceLogSum": 18}


@handler(*_AXES_INPUT_FROM)
@domain(axes=AXES, keepdims=BOOL, noop_with_empty_axes=BOOL)
def reduce(ctx: Context, node: OnnxNode) -> None:
    attrs, runtime_axes = _reduce_attrs(ctx, node)
    inputs = [node.input(0)] + ([runtime_axes] if runtime_axes else [])
    if node.op_type == "ReduceLogSum":
        total = ctx.emit1("ReduceSum", inputs, attrs=attrs, hint="logsum")
        ctx.emit1("Log", [total], node.output(0))
        return
    ctx.emit1(node.op_type, inputs, node.output(0), attrs)


def _reduce_attrs(ctx: Context, node: OnnxNode) -> tuple:
    """(IR attributes, name of a run-time axes input or None)."""
    runtime = None
    if node.opset >= _AXES_INPUT_FROM[node.op_type]:
        axes, runtime = runtime_param(ctx, 1, "axes")
        axes = axes or []
    else:
        axes = [int(a) for a in node.attrs.get("axes", [])]
    return {"axes": axes, "keepdims": int(node.attrs.get("keepdims", 1)),
            "noop_with_empty_axes": int(node.attrs.get("noop_with_empty_axes", 0))}, runtime


@handler("ArgMax", "ArgMin")
@domain(axis=AXIS, keepdims=BOOL, select_last_index=BOOL)
def arg(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [node.input(0)], node.output(0), {
        "axis": int(node.attrs.get("axis", 0)), "keepdims": int(node.attrs.get("keepdims", 1)),
        "select_last_index": int(node.attrs.get("select_last_index", 0))})
