"""ONNX Conv / ConvTranspose -> IR Conv / ConvTranspose (NHWC, OHWI weights).

The data input is wrapped NCHW->NHWC and back (layout.py). Weights get their
own Transpose (OIHW -> OHWI; ConvTranspose [Cin,Cout/g,kh,kw] -> [Cin,kh,kw,Cout/g]),
which folds away at once when the weights are constant. 1-D convolutions
become 2-D with H = 1; 3-D Conv is rejected. A 3-D ConvTranspose is a 2-D one
over (H, W) of [N*D, H, W, Ci] whose output channels are (Co, KD) pairs,
followed by Col2Im overlap-adding the KD depth taps along D (the pools' 3-D
form is separable the same way): exact, with group, dilations, pads,
output_padding, output_shape and auto_pad; the bias is added at the end.
Col2Im maps to the IR Col2Im as is. DeformConv (2-D) is wrapped like Conv, its offset and
mask maps too. ConvInteger (opset 10) is Conv's handler with the zero points passed on (x's is
one value, w's one value or one per output channel: layout-free).

CausalConvWithState (opset 27) maps one to one: it stays in ONNX's [B, C, L] layout
(no transposes), and activation silu/swish (the same function) becomes silu = 1.
"""
from __future__ import annotations

import numpy as np

from .attr_domains import (AUTO_PAD, GROUP, NONNEG_INTS, PADS, POSITIVE, POSITIVE_INTS, SPATIAL_NONNEG, SPATIAL_POSITIVE,
                           domain, enum)
from .context import Context, OnnxNode, handler
from .layout import as_2d, auto_pad_code, from_nhwc, reshape_parts, spatial_rank, to_nhwc, window_geometry
from .params import const_or_name


def _kernel(ctx: Context, node: OnnxNode, w: str, nd: int) -> list:
    wshape = ctx.shape(w)
    if len(wshape) != nd + 2:
        raise ctx.error(f"weight shape {list(wshape)} does not match a {nd}-D input")
    kernel = list(node.attrs.get("kernel_shape", wshape[2:]))
    if any(isinstance(k, str) for k in kernel) or list(kernel) != list(wshape[2:]):
        raise ctx.error(f"kernel_shape {kernel} does not match the weight's spatial dims {list(wshape[2:])}")
    return [int(k) for k in kernel]


def _weights_hwc(ctx: Context, w: str, nd: int) -> str:
    """[A,B,k...] -> [A,kh,kw,B] (1-D kernels get kh = 1)."""
    if nd == 1:
        a, b, k = ctx.shape(w)
        w = ctx.reshape(w, [a, b, 1, k], hint="weights_2d")
    return ctx.transpose(w, [0, 2, 3, 1], hint="weights_hwc")


@handler("Conv", "ConvInteger")
@domain(kernel_shape=SPATIAL_POSITIVE, strides=SPATIAL_POSITIVE, dilations=SPATIAL_POSITIVE, pads=PADS,
        auto_pad=AUTO_PAD, group=GROUP)
def conv(ctx: Context, node: OnnxNode) -> None:
    """Conv: x, w, b; ConvInteger: x, w, x_zero_point, w_zero_point (the same positions)."""
    x, w, third, fourth = (node.input(i) for i in range(4))
    nd = spatial_rank(ctx, x, node.op_type)
    kernel = _kernel(ctx, node, w, nd)
    strides, dilations, pads = window_geometry(ctx, node, x, kernel, nd)
    attrs = {"strides": strides, "dilations": dilations, "pads": pads, "group": int(node.attrs.get("group", 1)),
             **auto_pad_code(ctx, node, x)}
    extra = [fourth] if node.op_type == "ConvInteger" else []
    y = ctx.emit1(node.op_type, [to_nhwc(ctx, x), _weights_hwc(ctx, w, nd), third, *extra], attrs=attrs)
    from_nhwc(ctx, y, node.output(0), nd + 2)


@handler("ConvTranspose")
@domain(kernel_shape=SPATIAL_POSITIVE, strides=SPATIAL_POSITIVE, dilations=SPATIAL_POSITIVE, pads=PADS,
        auto_pad=AUTO_PAD, group=GROUP, output_padding=SPATIAL_NONNEG, output_shape=POSITIVE_INTS)
def conv_transpose(ctx: Context, node: OnnxNode) -> None:
    x, w, b = node.input(0), node.input(1), node.input(2)
    nd = ctx.rank(x) - 2
    if nd != 3:
        nd = spatial_rank(ctx, x, "ConvTranspose")
    kernel = _kernel(ctx, node, w, nd)
    group = int(node.attrs.get("group", 1))
    out_pad = [int(p) for p in node.attrs.get("output_padding", [0] * nd)]
    if len(out_pad) != nd:
        raise ctx.error(f"output_padding {out_pad} needs {nd} values")
    strides, dilations, pads = window_geometry(ctx, node, x, kernel, nd, transpose_conv=True)
    if "output_shape" in node.attrs:
        out_shape = [int(d) for d in node.attrs["output_shape"]][-nd:]  # some exporters give N,C too
        begin, end = [], []
        for axis, (d, k, o) in enumerate(zip(ctx.shape(x)[2:], kernel, out_shape)):
            if isinstance(d, str):
                raise ctx.error(f"output_shape needs static spatial dims, got {list(ctx.shape(x))}")
            s, dl = strides[axis + len(strides) - nd], dilations[axis + len(dilations) - nd]
            total = (d - 1) * s + out_pad[axis] + (k - 1) * dl + 1 - o
            if total < 0:  # a larger output than the transposed conv covers: the rest is bias only
                out_pad[axis] -= total
                total = 0
            # the spec's split (onnxruntime agrees): SAME_UPPER puts the odd pixel of padding at
            # the end, every other mode at the start
            small, big = total // 2, total - total // 2
            b0, e0 = (small, big) if node.attrs.get("auto_pad") == "SAME_UPPER" else (big, small)
            begin.append(b0)
            end.append(e0)
        pads = begin + end if nd != 1 else [0, begin[0], 0, end[0]]
    if nd == 3:
        _conv_transpose_3d(ctx, node, (x, w, b), kernel, strides, dilations, pads, out_pad, group)
        return
    attrs = {"strides": strides, "dilations": dilations, "pads": pads, "group": group,
             "output_padding": as_2d(out_pad, nd, 0)}
    y = ctx.emit1("ConvTranspose", [to_nhwc(ctx, x), _weights_hwc(ctx, w, nd), b], attrs=attrs)
    from_nhwc(ctx, y, node.output(0), nd + 2)


def _conv_transpose_3d(ctx: Context, node: OnnxNode, xwb, kernel, strides, dilations, pads, out_pad, group) -> None:
    """A 3-D transposed conv as a 2-D one over (H, W) followed by overlap-adding along D (see the
    module docstring): depth joins the batch, the depth taps join the output channels."""
    x, w, b = xwb
    ci, cog = ctx.shape(w)[:2]
    kd, kh, kw = kernel
    (sd, sh, sw), (dd, dh, dw), (pd0, ph0, pw0, pd1, ph1, pw1) = strides, dilations, pads
    xt = ctx.transpose(x, [0, 2, 3, 4, 1], hint="to_ndhwc")
    x2 = reshape_parts(ctx, xt, [(xt, 0, 2), (xt, 2, 3), (xt, 3, 4), (xt, 4, 5)], "depth_into_batch")
    # [Ci, Co/g, KD, KH, KW] -> [Ci, KH, KW, Co/g * KD]: output channel (co, kd) of each group, kd fastest
    w2 = ctx.reshape(ctx.transpose(w, [0, 3, 4, 1, 2], hint="weights_hwc_kd"), [ci, kh, kw, cog * kd],
                     hint="weights_2d")
    z = ctx.emit1("ConvTranspose", [x2, w2], attrs={
        "strides": [sh, sw], "dilations": [dh, dw], "pads": [ph0, pw0, ph1, pw1], "group": group,
        "output_padding": out_pad[1:]}, hint="conv_transpose_hw")               # [N*D, OH, OW, Co*KD]
    cols = reshape_parts(ctx, z, [(x, 0, 1), (x, 2, 3), (z, 1, 4)], "depth_cols")  # [N, D, OH*OW*Co*KD]
    cols = ctx.transpose(cols, [0, 2, 1], hint="columns")                        # [N, OH*OW*Co*KD, D]
    # the depth axis: block kd of column d lands at d*sd - pd0 + kd*dd. output_padding first eats into
    # the end padding (Col2Im's pads end, so that it counts D columns); what is left past the blocks'
    # reach is zeros, padded on after
    d, tail = ctx.shape(x)[2], max(0, out_pad[0] - pd1)
    extra = (kd - 1) * dd + 1 - pd0 - pd1 + out_pad[0] - tail
    if isinstance(d, int):
        image = ctx.add_const(np.array([(d - 1) * sd + extra], np.int64), "image_shape")
    else:
        depth = ctx.emit1("Shape", [x], attrs={"start": 2, "end": 3}, hint="depth")
        scaled = ctx.emit1("Mul", [depth, ctx.add_const(np.array([sd], np.int64), "stride")], hint="depth_scaled")
        image = ctx.emit1("Add", [scaled, ctx.add_const(np.array([extra - sd], np.int64), "extent")],
                          hint="image_shape")
    y = ctx.emit1("Col2Im", [cols, image, ctx.add_const(np.array([kd], np.int64), "block_shape")],
                  attrs={"strides": [sd], "dilations": [dd], "pads": [pd0, max(0, pd1 - out_pad[0])]},
                  hint="overlap_add_depth")                                     # [N, OH*OW*Co, OD]
    if tail:
        y = ctx.emit1("Pad", [y], attrs={"pads": [0, 0, 0, 0, 0, tail]}, hint="output_padding_depth")
    y = reshape_parts(ctx, y, [(x, 0, 1), (z, 1, 2), (z, 2, 3), cog * group, (y, 2, 3)], "unflatten")
    if not b:
        ctx.transpose(y, [0, 3, 4, 1, 2], node.output(0), hint="to_ncdhw")
        return
    y = ctx.transpose(y, [0, 3, 4, 1, 2], hint="to_ncdhw")
    ctx.emit1("Add", [y, ctx.reshape(b, [1, cog * group, 1, 1, 1], hint="bias")], node.output(0))


@handler("Col2Im")
@domain(strides=POSITIVE_INTS, dilations=POSITIVE_INTS, pads=NONNEG_INTS)
def col2im(ctx: Context, node: OnnxNode) -> None:
    """Channels first as ONNX (no layout wrapping); image_shape and block_shape stay inputs
    (constants, or values the runtime reads while planning)."""
    attrs = {a: [int(v) for v in node.attrs[a]] for a in ("strides", "pads", "dilations") if a in node.attrs}
    ctx.emit1("Col2Im", [const_or_name(ctx, 0), const_or_name(ctx, 1), const_or_name(ctx, 2)], node.output(0), attrs)
@handler("CausalConvWithState")
@domain(activation=enum("none", "silu", "swish"))
def causal_conv_with_state(ctx: Context, node: OnnxNode) -> None:
    act = node.attrs.get("activation", "none")
    if act not in ("none", "silu", "swish"):
        raise ctx.unsupported(f"activation={act!r} is not supported (supported: none, silu, swish)")
    present = node.output(1) or ctx.new_name(f"{node.name}/present_state")
    ctx.emit("CausalConvWithState", [node.input(i) for i in range(4)], [node.output(0), present],
             {"silu": int(act != "none")})


@handler("DeformConv")
@domain(kernel_shape=SPATIAL_POSITIVE, strides=SPATIAL_POSITIVE, dilations=SPATIAL_POSITIVE, pads=PADS,
        group=GROUP, offset_group=POSITIVE)
def deform_conv(ctx: Context, node: OnnxNode) -> None:
    """2-D only (as onnx's reference and onnxruntime). NHWC like Conv (ops/conv_deform.py): x, the
    per-output-pixel offset and mask maps are wrapped NCHW->NHWC (their channel order is kept),
    the weights go OIHW -> OHWI."""
    x, w, offset, b, mask = (node.input(i) for i in range(5))
    if ctx.rank(x) != 4:
        raise ctx.unsupported(f"DeformConv with {ctx.rank(x) - 2} spatial dims (input shape {list(ctx.shape(x))}) "
                              f"is not supported; supported: 2-D")
    kernel = _kernel(ctx, node, w, 2)
    geometry = {"strides": [1, 1], "dilations": [1, 1], "pads": [0, 0, 0, 0]}
    attrs = {k: [int(v) for v in node.attrs.get(k, d)] for k, d in geometry.items()}
    if any(len(attrs[k]) != len(d) for k, d in geometry.items()):
        raise ctx.error(f"strides {attrs['strides']} and dilations {attrs['dilations']} need 2 values, "
                        f"pads {attrs['pads']} 4 (kernel {kernel})")
    attrs.update(group=int(node.attrs.get("group", 1)), offset_group=int(node.attrs.get("offset_group", 1)))
    y = ctx.emit1("DeformConv", [to_nhwc(ctx, x), _weights_hwc(ctx, w, 2), to_nhwc(ctx, offset), b,
                                 to_nhwc(ctx, mask) if mask else mask], attrs=attrs)
    from_nhwc(ctx, y, node.output(0), 4)
