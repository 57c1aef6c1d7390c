"""TFLite bitwise ops -> IR logic ops (numpy broadcasting as TFLite):
BITWISE_XOR -> BitwiseXor, RIGHT_SHIFT -> BitShift(direction=RIGHT), on the
integer dtypes the registry allows. A right shift of a signed value is
arithmetic in both; a shift amount outside [0, bit width) has no defined
TFLite result (its kernel shifts a C int), pocketml gives ONNX opset 28's
sign fill. Quantized integer tensors are refused like arithmetic on them."""
from __future__ import annotations

from .context import Context, handler
from .ops_elementwise import _refuse_quantized


_BITWISE = {"BITWISE_XOR": ("BitwiseXor", None), "RIGHT_SHIFT": ("BitShift", {"direction": "RIGHT"})}


@handler(*_BITWISE)
def bitwise(ctx: Context, op) -> None:
    _refuse_quantized(ctx, op)
    ir_op, attrs = _BITWISE[op.name]
    ctx.emit(ir_op, [ctx.input(0), ctx.input(1)], ctx.out(0), attrs)
