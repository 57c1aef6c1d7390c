"""TFLite unary ops -> IR unary ops: RELU, RELU6, RELU_N1_TO_1,
RELU_0_TO_1 (Clip), LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, EXP, ABS, NEG,
SQRT, LOG, SIN, COS, FLOOR, CEIL, ROUND (half to even), SIGN, ELU (alpha 1),
RSQRT (Sqrt, Reciprocal), GELU (approximate -> "tanh") and CAST.
standalone_act applies a fused activation as its own unary op, for the ops
whose IR form carries none (pools, CONCATENATION)."""
from __future__ import annotations

import tflite

from pocketml import dtypes
from pocketml.ops import ACT_CLIP, ACT_RELU

from .context import Context, handler


_UNARY = {"RELU": ("Relu", {}), "LOGISTIC": ("Sigmoid", {}), "TANH": ("Tanh", {}), "HARD_SWISH": ("HardSwish", {}),
          "EXP": ("Exp", {}), "ABS": ("Abs", {}), "NEG": ("Neg", {}), "SQRT": ("Sqrt", {}), "LOG": ("Log", {}),
          "SIN": ("Sin", {}), "COS": ("Cos", {}), "FLOOR": ("Floor", {}), "CEIL": ("Ceil", {}),
          "ROUND": ("Round", {}), "SIGN": ("Sign", {}), "ELU": ("Elu", {"alpha": 1.0}),
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


@handler("RSQRT")
def rsqrt(ctx: Context, op) -> None:
    s = ctx.emit("Sqrt", [ctx.input(0)], hint="sqrt")
    ctx.emit("Reciprocal", [s], ctx.out(0))


@handler("GELU")
def gelu(ctx: Context, op) -> None:
    o = ctx.options(tflite.GeluOptions, required=False)
    approximate = bool(o.Approximate()) if o is not None else False
    ctx.emit("Gelu", [ctx.input(0)], ctx.out(0), {"approximate": "tanh" if approximate else "none"})


_CAST_CODES = {d.name: d.code for d in dtypes.ALL}  # Cast's "to" attribute is the .pml dtype code


@handler("CAST")
def cast(ctx: Context, op) -> None:
    to = ctx.np_type(op.outputs[0]).name
    if to not in _CAST_CODES:
        raise ctx.unsupported(f"CAST to {to}")
    ctx.emit("Cast", [ctx.input(0)], ctx.out(0), {"to": _CAST_CODES[to]})


def standalone_act(ctx: Context, y: str, act: dict, out: str) -> str:
    """Apply the fused activation ``act`` (ctx.fused_act) to y as a Relu or Clip node."""
    kind = act["act"]
    if kind == ACT_RELU:
        return ctx.emit("Relu", [y], out)
    if kind == ACT_CLIP:
        return ctx.emit("Clip", [y], out, {"min": act["act_alpha"], "max": act["act_beta"]})
    raise ctx.unsupported(f"fused activation {act}")
