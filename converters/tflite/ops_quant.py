"""TFLite QUANTIZE of activations -> IR Quantize (float32 -> int8/uint8/int16) or Requantize (between
quantized types), both reading the parameters the importer put on their tensors (Value.quant).
DEQUANTIZE lives in weights.py (constants are decoded there; activations become Dequantize)."""
from __future__ import annotations

from pocketml import dtypes

from .context import Context, handler

QUANTIZED = ("int8", "uint8", "int16")


@handler("QUANTIZE")
def quantize(ctx: Context, op) -> None:
    x_type, y_type = ctx.np_type(op.inputs[0]).name, ctx.np_type(op.outputs[0]).name
    if y_type not in QUANTIZED or x_type not in QUANTIZED + ("float32",):
        raise ctx.unsupported(f"QUANTIZE from {x_type} to {y_type} (supported: float32, int8, uint8 or int16 to "
                              "int8, uint8 or int16)")
    ctx.emit("Quantize" if x_type == "float32" else "Requantize", [ctx.input(0)], ctx.out(0),
             {"to": dtypes.BY_NAME[y_type].code})
