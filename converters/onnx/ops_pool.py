"""ONNX pooling -> IR pools (NHWC), wrapped NCHW->NHWC and back.

1-D pools become 2-D with H = 1. 3-D pools (MaxPool, AveragePool, LpPool)
are separable: the box is a product of per-axis windows, so a 3-D pool is a
2-D pool over (H, W) of [N, C*D, H, W] followed by a (kd, 1) pool over D of
[N, C, D, H'*W'] -- exact for max, Lp and both average modes (each axis
divides by its own count, full or valid). Global pools of 2-D inputs use the NHWC
global pool; other ranks reduce the spatial axes directly (no layout change
is needed for a reduction), except GlobalLpPool, which has no reduction for
every p: 1-D inputs take its NHWC pool with H = 1, 3-D ones are refused.
LpPool's p (an int from opset 2; a float in opset 1, which the importer
does not take) travels as a float attribute (default 2). MaxPool's Indices
output (opset 8+; storage_order 0/1) comes from the IR MaxPool's second
output; a 3-D pool's from both stages' (row major only: storage_order 1 is
refused there). MaxUnpool stays NCHW (its indices are
flat NCHW positions).
"""
from __future__ import annotations

from .attr_domains import AUTO_PAD, BOOL, PADS, SPATIAL_POSITIVE, domain
from .context import Context, OnnxNode, handler
from .layout import as_2d, auto_pad_code, from_nhwc, reshape_parts, spatial_rank, to_nhwc, window_geometry


@handler("MaxPool", "AveragePool", "LpPool")
@domain(kernel_shape=SPATIAL_POSITIVE, strides=SPATIAL_POSITIVE, dilations=SPATIAL_POSITIVE, pads=PADS,
        auto_pad=AUTO_PAD, ceil_mode=BOOL, count_include_pad=BOOL, storage_order=BOOL)
def pool(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    indices = ctx.is_consumed(node.output(1))
    if ctx.rank(x) == 5:
        if indices and int(node.attrs.get("storage_order", 0)):
            raise ctx.unsupported("storage_order=1 (column major) for the Indices of a 3-D MaxPool is not "
                                  "supported; supported: 0 (row major)")
        _pool_3d(ctx, node, x, indices)
        return
    nd = spatial_rank(ctx, x, node.op_type)
    kernel = [int(k) for k in node.attrs["kernel_shape"]]
    strides, dilations, pads = window_geometry(ctx, node, x, kernel, nd)
    attrs = {"kernel": as_2d(kernel, nd, 1), "strides": strides, "dilations": dilations, "pads": pads,
             "ceil_mode": int(node.attrs.get("ceil_mode", 0)), **auto_pad_code(ctx, node, x)}
    if node.op_type == "AveragePool":
        attrs["count_include_pad"] = int(node.attrs.get("count_include_pad", 0))
    if node.op_type == "LpPool":
        attrs["p"] = float(node.attrs.get("p", 2))
    if not indices:
        y = ctx.emit1(node.op_type, [to_nhwc(ctx, x)], attrs=attrs)
        from_nhwc(ctx, y, node.output(0), nd + 2)
        return
    # Indices are ONNX's flat NCHW indices (computed by the IR op from x's NHWC dims), laid out NHWC
    # like y, so both take the same way back
    attrs["storage_order"] = int(node.attrs.get("storage_order", 0))
    y, idx = ctx.emit(node.op_type, [to_nhwc(ctx, x)], 2, attrs=attrs)
    from_nhwc(ctx, y, node.output(0), nd + 2)
    from_nhwc(ctx, idx, node.output(1), nd + 2)


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


def _pool_attrs(node: OnnxNode) -> dict:
    attrs = {"ceil_mode": int(node.attrs.get("ceil_mode", 0))}
    if node.op_type == "AveragePool":
        attrs["count_include_pad"] = int(node.attrs.get("count_include_pad", 0))
    if node.op_type == "LpPool":
        attrs["p"] = float(node.attrs.get("p", 2))
    return attrs


def _pool_3d(ctx: Context, node: OnnxNode, x: str, indices: bool = False) -> None:
    """A 3-D pool as two separable 2-D pools (see the module docstring). With MaxPool's Indices, the
    first stage's indices over [N, C*D, H, W] already are flat NCDHW indices of each (n, c, d) row's
    (h, w) maximum; the second stage's indices over [N, C, D, H'*W'] pick the row, and index them
    (first maximum in (d, h, w) order, as onnxruntime)."""
    kernel = [int(k) for k in node.attrs["kernel_shape"]]
    strides, dilations, pads = window_geometry(ctx, node, x, kernel, 3)
    attrs = {**_pool_attrs(node), **auto_pad_code(ctx, node, x)}  # SAME is per axis: each stage pads its own
    if indices:
        attrs["storage_order"] = 0
    c = ctx.shape(x)[1]
    hw = ctx.emit(node.op_type, [to_nhwc(ctx, reshape_parts(ctx, x, [(x, 0, 1), (x, 1, 3), (x, 3, 4), (x, 4, 5)], "hw"))],
                  1 + indices, attrs={**attrs, "kernel": kernel[1:], "strides": strides[1:],
                                      "dilations": dilations[1:], "pads": [pads[1], pads[2], pads[4], pads[5]]},
                  hint="pool_hw")
    hw_i = from_nhwc(ctx, hw[1], ctx.new_name(f"{node.name}/index_hw_nchw"), 4) if indices else None
    hw = from_nhwc(ctx, hw[0], ctx.new_name(f"{node.name}/pool_hw_nchw"), 4)   # [N, C*D, H', W']
    cols = reshape_parts(ctx, hw, [(x, 0, 1), c if isinstance(c, int) else (x, 1, 2), (x, 2, 3), (hw, 2, 4)],
                         "d_cols")                                              # [N, C, D, H'*W']
    d = ctx.emit(node.op_type, [to_nhwc(ctx, cols)], 1 + indices,
                 attrs={**attrs, "kernel": [kernel[0], 1], "strides": [strides[0], 1], "dilations": [dilations[0], 1],
                        "pads": [pads[0], 0, pads[3], 0]}, hint="pool_d")
    d_i = from_nhwc(ctx, d[1], ctx.new_name(f"{node.name}/index_d_nchw"), 4) if indices else None
    d = from_nhwc(ctx, d[0], ctx.new_name(f"{node.name}/pool_d_nchw"), 4)        # [N, C, D', H'*W']
    out = reshape_parts(ctx, d, [(d, 0, 1), (d, 1, 2), (d, 2, 3), (hw, 2, 3), (hw, 3, 4)], "unflatten")
    ctx.emit1("Identity", [out], node.output(0))
    if indices:  # d_i numbers [N, C, D, H'*W'], the same elements as hw_i [N, C*D, H', W']
        picked = ctx.emit1("Gather", [ctx.reshape(hw_i, [-1], hint="index_rows"), d_i], attrs={"axis": 0},
                           hint="index_pick")
        out_i = reshape_parts(ctx, picked, [(d, 0, 1), (d, 1, 2), (d, 2, 3), (hw, 2, 3), (hw, 3, 4)], "index_unflatten")
        ctx.emit1("Identity", [out_i], node.output(1))


@handler("MaxUnpool")
@domain(kernel_shape=SPATIAL_POSITIVE, strides=SPATIAL_POSITIVE, pads=PADS)
def max_unpool(ctx: Context, node: OnnxNode) -> None:
    """MaxUnpool (opsets 9, 11) as the layout-free IR MaxUnpool: its indices are flat NCHW
    positions, so x, indices and y stay NCHW. A constant output_shape becomes the attribute;
    one computed at run time stays an input, read while planning."""
    x, indices = node.input(0), node.input(1)
    k = ctx.rank(x) - 2
    attrs = {"kernel": [int(v) for v in node.attrs["kernel_shape"]],
             "strides": [int(v) for v in node.attrs.get("strides", [1] * k)],
             "pads": [int(v) for v in node.attrs.get("pads", [0] * (2 * k))]}
    inputs = [x, indices]
    shape = node.input(2) if len(node.inputs) > 2 else ""
    if shape and ctx.const(shape) is not None:
        attrs["output_shape"] = [int(v) for v in ctx.const(shape).reshape(-1)]
    elif shape:
        inputs.append(shape)
    ctx.emit1("MaxUnpool", inputs, node.output(0), attrs=attrs)
