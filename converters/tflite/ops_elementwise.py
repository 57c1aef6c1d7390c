"""TFLite binary arithmetic -> IR elementwise ops (numpy broadcasting as
TFLite): ADD/SUB/MUL/DIV (fused activation carried as the IR's act
attributes), MAXIMUM/MINIMUM, PRELU, POW and SQUARED_DIFFERENCE (Sub, Mul)."""
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


@handler("POW")
def pow_(ctx: Context, op) -> None:
    ctx.emit("Pow", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("SQUARED_DIFFERENCE")
def squared_difference(ctx: Context, op) -> None:
    d = ctx.emit("Sub", [ctx.input(0), ctx.input(1)], hint="diff")
    ctx.emit("Mul", [d, d], ctx.out(0))
