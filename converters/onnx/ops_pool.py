"""ONNX pooling -> IR pools (NHWC), wrapped NCHW->NHWC and back.

1-D pools become 2-D with H = 1. Global pools of 2-D inputs use the NHWC
global pool; other ranks reduce the spatial axes directly (no layout change
is needed for a reduction), except GlobalLpPool, which has no reduction for
every p: 1-D inputs take its NHWC pool with H = 1, 3-D ones are refused.
LpPool's p (an int from opset 2; a float in opset 1, which the importer
does not take) travels as a float attribute (default 2).
"""
from __future__ import annotations

from .context import Context, OnnxNode, handler
from .layout import as_2d, from_nhwc, spatial_rank, to_nhwc, window_geometry


@handler("MaxPool", "AveragePool", "LpPool")
def pool(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    if ctx.is_consumed(node.output(1)):
        raise ctx.unsupported("the Indices output of MaxPool is not supported")
    nd = spatial_rank(ctx, x, node.op_type)
    kernel = [int(k) for k in node.attrs["kernel_shape"]]
    strides, dilations, pads = window_geometry(ctx, node, x, kernel, nd)
    attrs = {"kernel": as_2d(kernel, nd, 1), "strides": strides, "dilations": dilations, "pads": pads,
             "ceil_mode": int(node.attrs.get("ceil_mode", 0))}
    if node.op_type == "AveragePool":
        attrs["count_include_pad"] = int(node.attrs.get("count_include_pad", 0))
    if node.op_type == "LpPool":
        attrs["p"] = float(node.attrs.get("p", 2))
    # storage_order only concerns the Indices output, which is rejected above
    y = ctx.emit1(node.op_type, [to_nhwc(ctx, x)], attrs=attrs)
    from_nhwc(ctx, y, node.output(0), nd + 2)


@handler("GlobalAveragePool", "GlobalMaxPool")
def global_pool(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    rank = ctx.rank(x)
    if rank < 3:
        raise ctx.error(f"input shape {list(ctx.shape(x))} has no spatial dims")
    if rank == 4:
        y = ctx.emit1(node.op_type, [to_nhwc(ctx, x)])
        from_nhwc(ctx, y, node.output(0), 4)
        return
    op = "ReduceMean" if node.op_type == "GlobalAveragePool" else "ReduceMax"
    ctx.emit1(op, [x], node.output(0), {"axes": list(range(2, rank)), "keepdims": 1})


@handler("GlobalLpPool")
def global_lp_pool(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    nd = spatial_rank(ctx, x, node.op_type)
    y = ctx.emit1("GlobalLpPool", [to_nhwc(ctx, x)], attrs={"p": float(node.attrs.get("p", 2))})
    from_nhwc(ctx, y, node.output(0), nd + 2)
