"""TFLite pools -> IR pools (NHWC). SAME padding becomes explicit pads as
for convolutions. Average pools divide by the number of real elements
(count_include_pad=0), max pools ignore the padding. L2_POOL_2D is sqrt(mean
of squares over the in-bounds window): Mul(x, x), AveragePool
(count_include_pad=0), Sqrt. A fused activation follows as its own op.
"""
from __future__ import annotations

import tflite

from .context import Context, handler
from .ops_conv import nhwc_hw
from .ops_unary import standalone_act
from .option_domains import positive


def _pool(ctx: Context, op: str, extra: dict, x: str = "", post: str = "") -> None:
    """A pool of ctx.input(0) (or of x), then the op `post` (if any), then the fused activation."""
    o = ctx.options(tflite.Pool2DOptions)
    x = x or ctx.input(0)
    positive(ctx, filter_height=o.FilterHeight(), filter_width=o.FilterWidth(), stride_h=o.StrideH(),
             stride_w=o.StrideW())
    kernel, strides = [o.FilterHeight(), o.FilterWidth()], [o.StrideH(), o.StrideW()]
    pads = ctx.same_pads(nhwc_hw(ctx, x, op), kernel, strides, [1, 1], o.Padding())
    act = ctx.fused_act(o.FusedActivationFunction())
    y = ctx.emit(op, [x], None if act or post else ctx.out(0),
                 {"kernel": kernel, "strides": strides, "pads": pads, **extra})
    if post:
        y = ctx.emit(post, [y], None if act else ctx.out(0), hint=post.lower())
    if act:
        standalone_act(ctx, y, act, ctx.out(0))


@handler("MAX_POOL_2D")
def max_pool_2d(ctx: Context, op) -> None:
    _pool(ctx, "MaxPool", {})


@handler("AVERAGE_POOL_2D")
def average_pool_2d(ctx: Context, op) -> None:
    _pool(ctx, "AveragePool", {"count_include_pad": 0})


@handler("L2_POOL_2D")
def l2_pool_2d(ctx: Context, op) -> None:
    x = ctx.input(0)
    _pool(ctx, "AveragePool", {"count_include_pad": 0}, x=ctx.emit("Mul", [x, x], hint="square"), post="Sqrt")
