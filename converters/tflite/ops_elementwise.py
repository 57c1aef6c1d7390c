"""TFLite binary arithmetic -> IR elementwise ops (numpy broadcasting as
TFLite): ADD/SUB/MUL/DIV (fused activation carried as the IR's act
attributes), MAXIMUM/MINIMUM, PRELU, POW, SQUARED_DIFFERENCE (Sub, Mul),
SQUARE (Mul), ADD_N (a chain of Adds), FLOOR_MOD (Mod with the divisor's
sign, fmod=0) and FLOOR_DIV (see floor_div), on every dtype the registry
allows. Quantized integer tensors (with a scale) hold scaled reals, not
integers: the importer's quantization check (pocketml.quant_support) refuses
arithmetic on them rather than computing on the raw integers."""
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


@handler("SQUARE")
def square(ctx: Context, op) -> None:
    x = ctx.input(0)
    ctx.emit("Mul", [x, x], ctx.out(0))


@handler("ADD_N")
def add_n(ctx: Context, op) -> None:
    ins = [ctx.input(i) for i in range(len(op.inputs))]
    if not ins:
        raise ctx.error("ADD_N needs at least one input")
    acc = ins[0]  # a left fold: ((a + b) + c) + ..., the last Add writing the output
    for k, v in enumerate(ins[1:-1], 1):
        acc = ctx.emit("Add", [acc, v], hint=f"sum{k}")
    ctx.emit("Add" if len(ins) > 1 else "Identity", [acc] + ins[1:][-1:], ctx.out(0))


@handler("FLOOR_MOD")
def floor_mod(ctx: Context, op) -> None:
    ctx.emit("Mod", [ctx.input(0), ctx.input(1)], ctx.out(0), {"fmod": 0})


@handler("FLOOR_DIV")
def floor_div(ctx: Context, op) -> None:
    """The exact floored quotient, as LiteRT computes it (integers: exactly; floats: floor of the
    float64 quotient, so float32 Floor(Div) would be off by one where a/b rounds onto an integer).
    q = a / b truncated toward zero: integers the IR's Div; floats Round((a - fmod(a, b)) / b),
    whose dividend is the exact multiple of b. The floored and truncated remainders (Mod fmod=0 /
    fmod=1) differ by exactly b where the quotient must go one down, else they are equal:
    floor(a/b) = q - (r_floor - r_trunc) / b, without the overflow of (a - r_floor) / b near an
    integer dtype's minimum (r_floor - r_trunc is 0 or b)."""
    a, b = ctx.input(0), ctx.input(1)
    exact = ctx.np_type(op.inputs[0]).kind in "iu"  # integer Div is exact (truncating)
    r_trunc = ctx.emit("Mod", [a, b], attrs={"fmod": 1}, hint="rem_trunc")
    r_floor = ctx.emit("Mod", [a, b], attrs={"fmod": 0}, hint="rem_floor")

    def whole_quotient(x: str, hint: str) -> str:  # x / b where x is a whole multiple of b
        q = ctx.emit("Div", [x, b], hint=hint)
        return q if exact else ctx.emit("Round", [q], hint=f"{hint}_round")

    q = whole_quotient(a if exact else ctx.emit("Sub", [a, r_trunc], hint="multiple"), "quotient")
    step = whole_quotient(ctx.emit("Sub", [r_floor, r_trunc], hint="rem_diff"), "step")
    ctx.emit("Sub", [q, step], ctx.out(0))
