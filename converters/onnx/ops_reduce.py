"""ONNX ReduceMean/ReduceSum/ReduceMax -> IR reductions.

axes are an attribute up to opset 12 (ReduceSum) / 17 (the others) and a
constant input after; noop_with_empty_axes exists from those same opsets.
"""
from __future__ import annotations

from .context import Context, OnnxNode, handler

_AXES_INPUT_FROM = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18}


@handler(*_AXES_INPUT_FROM)
def reduce(ctx: Context, node: OnnxNode) -> None:
    if node.opset >= _AXES_INPUT_FROM[node.op_type]:
        axes = ctx.param(1, "axes")
        axes = [] if axes is None else [int(a) for a in axes.reshape(-1)]
    else:
        axes = [int(a) for a in node.attrs.get("axes", [])]
    attrs = {"axes": axes, "keepdims": int(node.attrs.get("keepdims", 1)),
             "noop_with_empty_axes": int(node.attrs.get("noop_with_empty_axes", 0))}
    ctx.emit1(node.op_type, [node.input(0)], node.output(0), attrs)
