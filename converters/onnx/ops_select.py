"""ONNX ops whose output size depends on the data -> IR select ops, one to one:
NonZero, Compress (an absent axis flattens: the IR's axis attribute holds none or one
value), Unique (its unused trailing outputs are left out) and NonMaxSuppression
(max_output_boxes_per_class may be a graph input: the runtime reads it while planning,
since it bounds the output; the thresholds are read at run time).
"""
from __future__ import annotations

from .attr_domains import AXIS, BOOL, domain
from .context import Context, OnnxNode, handler
from .params import const_or_name


def _axis(node: OnnxNode) -> dict:
    return {"axis": [int(node.attrs["axis"])]} if "axis" in node.attrs else {}


@handler("NonZero")
def nonzero(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("NonZero", [node.input(0)], node.output(0))


@handler("Compress")
@domain(axis=AXIS)
def compress(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("Compress", [node.input(0), node.input(1)], node.output(0), _axis(node))


@handler("Unique")
@domain(axis=AXIS, sorted=BOOL)
def unique(ctx: Context, node: OnnxNode) -> None:
    outs = list(node.outputs)
    while outs and not ctx.is_consumed(outs[-1]):
        outs.pop()  # trailing outputs nobody reads are not computed
    outs = [o if o else ctx.new_name(f"{node.name}/unused") for o in (outs or [node.output(0)])]
    ctx.emit("Unique", [node.input(0)], outs, {**_axis(node), "sorted": int(node.attrs.get("sorted", 1))})


@handler("NonMaxSuppression", shape_aware=True)
@domain(center_point_box=BOOL)
def non_max_suppression(ctx: Context, node: OnnxNode) -> None:
    inputs = [const_or_name(ctx, i) if i < len(node.inputs) else "" for i in range(5)]
    ctx.emit1("NonMaxSuppression", inputs, node.output(0),
              {"center_point_box": int(node.attrs.get("center_point_box", 0))})
