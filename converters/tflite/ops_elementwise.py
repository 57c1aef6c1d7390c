"""TFLite elementwise ops -> IR: ADD/SUB/MUL/DIV (fused activation carried
as the IR's act attributes), MAXIMUM/MINIMUM, PRELU, RELU, RELU6,
RELU_N1_TO_1, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, EXP, ... (numpy broadcasting as TFLite);
SOFTMAX (beta != 1 multiplies the input first), LOG_SOFTMAX, MEAN/SUM/REDUCE_MAX/REDUCE_MIN
(constant axis, keep_dims), ARG_MAX/ARG_MIN, CAST, SQUARED_DIFFERENCE (Sub, Mul), RSQRT
(Sqrt, Reciprocal), POW, GELU (approximate -> "tanh"), L2_NORMALIZATION over the last axis
(x / max(sqrt(sum x^2), 1e-6) as LiteRT's float kernel: ReduceL2, Max, Div) and
LOCAL_RESPONSE_NORMALIZATION (IR LRN over the channel-last axis: size = 2*radius+1 and, as
ONNX divides alpha by size and TFLite does not, alpha = TFLite alpha * size)."""
from __future__ import annotations

import numpy as np
import tflite

from .context import Context, handler

_BINARY = {"ADD": ("Add", tflite.AddOptions), "SUB": ("Sub", tflite.SubOptions),
           "MUL": ("Mul", tflite.MulOptions), "DIV": ("Div", tflite.DivOptions)}


@handler(*_BINARY)
def binary(ctx: Context, op) -> None:
    ir_op, opts_cls = _BINARY[op.name]
    o = ctx.options(opts_cls, required=False)
    attrs = ctx.fused_act(o.FusedActivationFunction()) if o is not None else {}
    ctx.emit(ir_op, [ctx.input(0), ctx.input(1)], ctx.out(0), attrs)


@handler("MAXIMUM", "MINIMUM")
def max_min(ctx: Context, op) -> None:
    ctx.emit("Max" if op.name == "MAXIMUM" else "Min", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("PRELU")
def prelu(ctx: Context, op) -> None:
    ctx.emit("PRelu", [ctx.input(0), ctx.input(1)], ctx.out(0))


_UNARY = {"RELU": ("Relu", {}), "LOGISTIC": ("Sigmoid", {}), "TANH": ("Tanh", {}), "HARD_SWISH": ("HardSwish", {}),
          "EXP": ("Exp", {}), "ABS": ("Abs", {}), "NEG": ("Neg", {}), "SQRT": ("Sqrt", {}), "LOG": ("Log", {}),
          "RELU6": ("Clip", {"min": 0.0, "max": 6.0}), "RELU_N1_TO_1": ("Clip", {"min": -1.0, "max": 1.0}),
          "RELU_0_TO_1": ("Clip", {"min": 0.0, "max": 1.0})}


@handler(*_UNARY)
def unary(ctx: Context, op) -> None:
    ir_op, attrs = _UNARY[op.name]
    ctx.emit(ir_op, [ctx.input(0)], ctx.out(0), attrs)


@handler("LEAKY_RELU")
def leaky_relu(ctx: Context, op) -> None:
    o = ctx.options(tflite.LeakyReluOptions)
    ctx.emit("LeakyRelu", [ctx.input(0)], ctx.out(0), {"alpha": float(o.Alpha())})


# ---- softmax, reductions, misc math -----------------------------------------------------------
@handler("SOFTMAX")
def softmax(ctx: Context, op) -> None:
    o = ctx.options(tflite.SoftmaxOptions, required=False)
    beta = float(o.Beta()) if o is not None else 1.0
    x = ctx.input(0)
    if beta != 1.0:
        x = ctx.emit("Mul", [x, ctx.add_const(np.array(beta, np.float32), "beta")], hint="beta")
    ctx.emit("Softmax", [x], ctx.out(0), {"axis": -1})


@handler("LOG_SOFTMAX")
def log_softmax(ctx: Context, op) -> None:
    ctx.emit("LogSoftmax", [ctx.input(0)], ctx.out(0), {"axis": -1})


_REDUCE = {"MEAN": "ReduceMean", "SUM": "ReduceSum", "REDUCE_MAX": "ReduceMax", "REDUCE_MIN": "ReduceMin"}


@handler(*_REDUCE)
def reduce(ctx: Context, op) -> None:
    o = ctx.options(tflite.ReducerOptions, required=False)
    keep = bool(o.KeepDims()) if o is not None else False
    x = ctx.input(0)
    rank = len(ctx.shape(x))
    axes = [int(a) for a in np.asarray(ctx.param(1, "axis")).reshape(-1)]
    if any(not -rank <= a < rank for a in axes):
        raise ctx.error(f"axis {axes} out of range for rank {rank}")
    axes = sorted({a % rank for a in axes})
    if not axes:  # TFLite reduces nothing
        ctx.emit("Identity", [x], ctx.out(0))
        return
    ctx.emit(_REDUCE[op.name], [x], ctx.out(0), {"axes": axes, "keepdims": int(keep)})


@handler("ARG_MAX", "ARG_MIN")
def arg_max_min(ctx: Context, op) -> None:
    x = ctx.input(0)
    rank = len(ctx.shape(x))
    axis = np.asarray(ctx.param(1, "axis")).reshape(-1)
    if axis.size != 1 or not -rank <= int(axis[0]) < rank:
        raise ctx.error(f"axis {axis.tolist()} is not one axis of a rank-{rank} input")
    out_t = ctx.np_type(op.outputs[0])
    if out_t.name not in ("int32", "int64"):
        raise ctx.unsupported(f"output type {out_t.name} (supported: int32, int64)")
    y = ctx.emit("ArgMax" if op.name == "ARG_MAX" else "ArgMin", [x], None if out_t.name == "int32" else ctx.out(0),
                 {"axis": int(axis[0]) % rank, "keepdims": 0})
    if out_t.name == "int32":
        ctx.emit("Cast", [y], ctx.out(0), {"to": 5})


_CAST_CODES = {"float32": 1, "float16": 2, "int8": 3, "uint8": 4, "int32": 5, "int64": 6, "bool": 7}


@handler("CAST")
def cast(ctx: Context, op) -> None:
    to = ctx.np_type(op.outputs[0]).name
    if to not in _CAST_CODES:
        raise ctx.unsupported(f"CAST to {to}")
    ctx.emit("Cast", [ctx.input(0)], ctx.out(0), {"to": _CAST_CODES[to]})


@handler("SQUARED_DIFFERENCE")
def squared_difference(ctx: Context, op) -> None:
    d = ctx.emit("Sub", [ctx.input(0), ctx.input(1)], hint="diff")
    ctx.emit("Mul", [d, d], ctx.out(0))


@handler("RSQRT")
def rsqrt(ctx: Context, op) -> None:
    s = ctx.emit("Sqrt", [ctx.input(0)], hint="sqrt")
    ctx.emit("Reciprocal", [s], ctx.out(0))


@handler("POW")
def pow_(ctx: Context, op) -> None:
    ctx.emit("Pow", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("GELU")
def gelu(ctx: Context, op) -> None:
    o = ctx.options(tflite.GeluOptions, required=False)
    approximate = bool(o.Approximate()) if o is not None else False
    ctx.emit("Gelu", [ctx.input(0)], ctx.out(0), {"approximate": "tanh" if approximate else "none"})


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
