"""TFLite softmax and normalisations -> IR norm ops: SOFTMAX (beta != 1
multiplies a float input first, and is the quantized Softmax's own attribute),
LOG_SOFTMAX, L2_NORMALIZATION over the last axis (x / max(sqrt(sum x^2), 1e-6)
as LiteRT's float kernel: ReduceL2, Max, Div) and LOCAL_RESPONSE_NORMALIZATION (IR LRN over the channel-last axis:
size = 2*radius+1 and, as ONNX divides alpha by size and TFLite does not,
alpha = TFLite alpha * size)."""
from __future__ import annotations

import numpy as np
import tflite

from .context import Context, handler


@handler("SOFTMAX")
def softmax(ctx: Context, op) -> None:
    o = ctx.options(tflite.SoftmaxOptions, required=False)
    beta = float(o.Beta()) if o is not None else 1.0
    x = ctx.input(0)
    if ctx.graph.values[x].quant is not None:  # the integer kernels fold beta into the input multiplier
        ctx.emit("Softmax", [x], ctx.out(0), {"axis": -1, "beta": beta})
        return
    if beta != 1.0:
        x = ctx.emit("Mul", [x, ctx.add_const(np.array(beta, np.float32), "beta")], hint="beta")
    ctx.emit("Softmax", [x], ctx.out(0), {"axis": -1})


@handler("LOG_SOFTMAX")
def log_softmax(ctx: Context, op) -> None:
    ctx.emit("LogSoftmax", [ctx.input(0)], ctx.out(0), {"axis": -1})


L2_NORM_EPSILON = 1e-6  # LiteRT's l2norm.cc: output = x / max(||x||, epsilon)


@handler("L2_NORMALIZATION")
def l2_normalization(ctx: Context, op) -> None:
    o = ctx.options(tflite.L2NormOptions, required=False)
    act = ctx.fused_act(o.FusedActivationFunction()) if o is not None else {}
    x = ctx.input(0)
    rank = len(ctx.shape(x))
    if rank < 1:
        raise ctx.error("L2_NORMALIZATION of a scalar")
    norm = ctx.emit("ReduceL2", [x], None, {"axes": [rank - 1], "keepdims": 1}, hint="norm")
    norm = ctx.emit("Max", [norm, ctx.add_const(np.array(L2_NORM_EPSILON, np.float32), "epsilon")], hint="clamp")
    ctx.emit("Div", [x, norm], ctx.out(0), act)


@handler("LOCAL_RESPONSE_NORMALIZATION")
def local_response_normalization(ctx: Context, op) -> None:
    o = ctx.options(tflite.LocalResponseNormalizationOptions)
    radius = int(o.Radius())
    if radius < 0:
        raise ctx.error(f"radius {radius} is negative")
    size = 2 * radius + 1
    ctx.emit("LRN", [ctx.input(0)], ctx.out(0), {"size": size, "alpha": float(o.Alpha()) * size,
                                                 "beta": float(o.Beta()), "bias": float(o.Bias())})
