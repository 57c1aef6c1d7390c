"""TFLite elementwise ops -> IR: ADD/SUB/MUL/DIV (fused activation carried
as the IR's act attributes), MAXIMUM/MINIMUM, PRELU, RELU, RELU6,
RELU_N1_TO_1, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, EXP, ... (numpy broadcasting as TFLite)."""
from __future__ import annotations

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
