"""TFLite binary arithmetic -> IR elementwise ops (numpy broadcasting as
TFLite): ADD/SUB/MUL/DIV (fused activation carried as the IR's act
attributes), MAXIMUM/MINIMUM, PRELU, POW and SQUARED_DIFFERENCE (Sub, Mul),
on every dtype the registry allows. Quantized integer tensors (with a scale)
hold scaled reals, not integers: arithmetic on them is refused rather than
computed on the raw integers."""
from __future__ import annotations

import tflite

from .context import Context, handler


_BINARY = {"ADD": ("Add", tflite.AddOptions), "SUB": ("Sub", tflite.SubOptions),
           "MUL": ("Mul", tflite.MulOptions), "DIV": ("Div", tflite.DivOptions)}


def _refuse_quantized(ctx: Context, op) -> None:
    for i in list(op.inputs) + list(op.outputs):
        if i < 0:
            continue
        q = ctx.tensor(i).obj.Quantization()
        if q is not None and q.ScaleLength() > 0 and ctx.np_type(i).kind in "iu":
            raise ctx.unsupported(f"{op.name} on quantized tensor {i} ({ctx.tensor(i).name!r}): quantized "
                                  "arithmetic is not supported (only float and plain integer tensors)")


@handler(*_BINARY)
def binary(ctx: Context, op) -> None:
    _refuse_quantized(ctx, op)
    ir_op, opts_cls = _BINARY[op.name]
    o = ctx.options(opts_cls, required=False)
    attrs = ctx.fused_act(o.FusedActivationFunction()) if o is not None else {}
    ctx.emit(ir_op, [ctx.input(0), ctx.input(1)], ctx.out(0), attrs)


@handler("MAXIMUM", "MINIMUM")
def max_min(ctx: Context, op) -> None:
    _refuse_quantized(ctx, op)
    ctx.emit("Max" if op.name == "MAXIMUM" else "Min", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("PRELU")
def prelu(ctx: Context, op) -> None:
    _refuse_quantized(ctx, op)
    ctx.emit("PRelu", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("POW")
def pow_(ctx: Context, op) -> None:
    _refuse_quantized(ctx, op)
    ctx.emit("Pow", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("SQUARED_DIFFERENCE")
def squared_difference(ctx: Context, op) -> None:
    _refuse_quantized(ctx, op)
    d = ctx.emit("Sub", [ctx.input(0), ctx.input(1)], hint="diff")
    ctx.emit("Mul", [d, d], ctx.out(0))
