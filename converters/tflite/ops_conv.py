"""TFLite convolutions -> IR Conv / ConvTranspose (already NHWC, no transposes).

CONV_2D weights are OHWI [Cout,KH,KW,Cin/g] as in the IR. DEPTHWISE_CONV_2D
weights [1,KH,KW,Cin*M] become [Cin*M,KH,KW,1] with group=Cin (output channel
c*M+m reads input channel c, as TFLite's depth multiplier does).
TRANSPOSE_CONV weights [Cout,KH,KW,Cin] become [Cin,KH,KW,Cout]. SAME padding
becomes explicit pads as TFLite computes them (total = max((out-1)*stride +
eff_k - in, 0), the odd pixel at the end).
"""
from __future__ import annotations

import tflite

from .context import Context, handler
from .weights import float_weights
from .option_domains import non_negative, positive


def nhwc_hw(ctx: Context, x: str, what: str) -> tuple:
    s = ctx.shape(x)
    if len(s) != 4:
        raise ctx.error(f"{what} expects a 4-D NHWC input, got shape {list(s)}")
    return s[1], s[2]


def _window_domain(ctx: Context, o) -> None:
    """Strides and dilation factors of CONV_2D / DEPTHWISE_CONV_2D (the schema's default
    dilation is 1, so a 0 was written on purpose, and LiteRT would divide by it)."""
    positive(ctx, stride_h=o.StrideH(), stride_w=o.StrideW(), dilation_h_factor=o.DilationHFactor(),
             dilation_w_factor=o.DilationWFactor())


@handler("CONV_2D")
def conv_2d(ctx: Context, op) -> None:
    o = ctx.options(tflite.Conv2DOptions)
    x, w, b = ctx.input(0), ctx.input(1), ctx.input(2, required=False)
    ws = ctx.shape(w)
    if len(ws) != 4:
        raise ctx.error(f"weights must be [Cout,KH,KW,Cin], got {list(ws)}")
    _window_domain(ctx, o)
    w = float_weights(ctx, x, w)
    strides, dil = [o.StrideH(), o.StrideW()], [o.DilationHFactor(), o.DilationWFactor()]
    pads = ctx.same_pads(nhwc_hw(ctx, x, "CONV_2D"), ws[1:3], strides, dil, o.Padding())
    cin = ctx.shape(x)[3]
    group = cin // ws[3] if isinstance(cin, int) and ws[3] and cin % ws[3] == 0 else 1
    attrs = {"strides": strides, "dilations": dil, "pads": pads, "group": group, **ctx.fused_act(o.FusedActivationFunction())}
    ctx.emit("Conv", [x, w, b], ctx.out(0), attrs)


@handler("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(ctx: Context, op) -> None:
    o = ctx.options(tflite.DepthwiseConv2DOptions)
    x, w, b = ctx.input(0), ctx.input(1), ctx.input(2, required=False)
    ws, xs = ctx.shape(w), ctx.shape(x)
    if len(ws) != 4 or ws[0] != 1:
        raise ctx.error(f"depthwise weights must be [1,KH,KW,Cin*M], got {list(ws)}")
    cin = xs[3] if len(xs) == 4 else None
    if not isinstance(cin, int) or cin < 1 or ws[3] % cin:
        raise ctx.error(f"input channels {cin} do not divide the weight channels {ws[3]}")
    _window_domain(ctx, o)
    non_negative(ctx, depth_multiplier=o.DepthMultiplier())  # 0: derived from the weights (older converters)
    mult = o.DepthMultiplier()
    if mult and mult * cin != ws[3]:
        raise ctx.error(f"depth_multiplier {mult} * Cin {cin} != weight channels {ws[3]}")
    strides, dil = [o.StrideH(), o.StrideW()], [o.DilationHFactor(), o.DilationWFactor()]
    pads = ctx.same_pads(nhwc_hw(ctx, x, "DEPTHWISE_CONV_2D"), ws[1:3], strides, dil, o.Padding())
    w = ctx.transpose(float_weights(ctx, x, w), [3, 1, 2, 0], hint="weights_ohwi")
    attrs = {"strides": strides, "dilations": dil, "pads": pads, "group": cin,
             **ctx.fused_act(o.FusedActivationFunction())}
    ctx.emit("Conv", [x, w, b], ctx.out(0), attrs)


@handler("TRANSPOSE_CONV")
def transpose_conv(ctx: Context, op) -> None:
    o = ctx.options(tflite.TransposeConvOptions)
    out_shape = [int(d) for d in ctx.param(0, "output_shape").reshape(-1)]
    w, x, b = ctx.input(1), ctx.input(2), ctx.input(3, required=False)
    ws = ctx.shape(w)
    h, wd = nhwc_hw(ctx, x, "TRANSPOSE_CONV")
    if len(ws) != 4 or len(out_shape) != 4 or not isinstance(h, int) or not isinstance(wd, int):
        raise ctx.error(f"need weights [Cout,KH,KW,Cin], a 4-D output_shape and static H/W; got weights "
                        f"{list(ws)}, output_shape {out_shape}, input {list(ctx.shape(x))}")
    positive(ctx, stride_h=o.StrideH(), stride_w=o.StrideW())
    strides = [o.StrideH(), o.StrideW()]
    begin, end, extra = [], [], []
    for size, k, s, out in zip((h, wd), ws[1:3], strides, out_shape[1:3]):
        if o.Padding() == tflite.Padding.SAME:
            total = max((size - 1) * s + k - out, 0)
        else:
            total = 0
        full = (size - 1) * s + k - total
        begin.append(total // 2)
        end.append(total - total // 2)
        extra.append(out - full)
    if min(extra) < 0:
        # VALID with an output smaller than the full transposed conv: crop at the end
        for i in range(2):
            if extra[i] < 0:
                end[i] -= extra[i]
                extra[i] = 0
    w = ctx.transpose(w, [3, 1, 2, 0], hint="weights_ihwo")
    attrs = {"strides": strides, "pads": [begin[0], begin[1], end[0], end[1]], "output_padding": extra}
    try:
        attrs.update(ctx.fused_act(o.FusedActivationFunction()))
    except AttributeError:  # older schema without a fused activation here
        pass
    ctx.emit("ConvTranspose", [x, w, b], ctx.out(0), attrs)
