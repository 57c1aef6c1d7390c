"""TFLite comparisons, logical, bitwise ops and selection -> IR logic ops.

LESS/LESS_EQUAL/GREATER/GREATER_EQUAL/EQUAL (numpy broadcasting, bool out)
map one to one; NOT_EQUAL is Not(Equal). LOGICAL_AND/OR/NOT are And/Or/Not.
SELECT_V2 broadcasts condition, x and y like numpy: the IR's Where. SELECT
(v1) does not broadcast: x and y have one shape and the condition either has
it too, is a scalar, or is 1-D, choosing whole slices along axis 0; that
condition is reshaped to [n, 1, ...] so Where broadcasts it over the slices.
BITWISE_XOR -> BitwiseXor, RIGHT_SHIFT -> BitShift(direction=RIGHT) on the
integer dtypes the registry allows (a right shift of a signed value is
arithmetic in both; a shift amount outside [0, bit width) has no defined TFLite
result, its kernel shifts a C int: pocketml gives ONNX opset 28's sign fill).
Quantized integer inputs (with a scale) compare scaled reals and are refused
(pocketml.quant_support); selection copies the stored integers, so it takes
them when both branches and the output share their quantization parameters.
"""
from __future__ import annotations

from .context import Context, handler

_COMPARE = {"LESS": "Less", "LESS_EQUAL": "LessOrEqual", "GREATER": "Greater", "GREATER_EQUAL": "GreaterOrEqual",
            "EQUAL": "Equal"}


@handler(*_COMPARE)
def compare(ctx: Context, op) -> None:
    ctx.emit(_COMPARE[op.name], [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("NOT_EQUAL")
def not_equal(ctx: Context, op) -> None:
    eq = ctx.emit("Equal", [ctx.input(0), ctx.input(1)], hint="equal")
    ctx.emit("Not", [eq], ctx.out(0))


@handler("LOGICAL_AND", "LOGICAL_OR")
def logical_binary(ctx: Context, op) -> None:
    ctx.emit("And" if op.name == "LOGICAL_AND" else "Or", [ctx.input(0), ctx.input(1)], ctx.out(0))


@handler("LOGICAL_NOT")
def logical_not(ctx: Context, op) -> None:
    ctx.emit("Not", [ctx.input(0)], ctx.out(0))


@handler("SELECT_V2")
def select_v2(ctx: Context, op) -> None:
    ctx.emit("Where", [ctx.input(0), ctx.input(1), ctx.input(2)], ctx.out(0))


@handler("SELECT")
def select(ctx: Context, op) -> None:
    cond, x, y = ctx.input(0), ctx.input(1), ctx.input(2)
    sc, sx, sy = ctx.shape(cond), ctx.shape(x), ctx.shape(y)
    if sx != sy:
        raise ctx.error(f"x {list(sx)} and y {list(sy)} must have one shape (SELECT does not broadcast; "
                        "SELECT_V2 does)")
    if sc != sx and sc != ():  # (a scalar condition picks x or y whole)
        if len(sc) != 1 or not sx or sc[0] != sx[0]:
            raise ctx.error(f"condition {list(sc)} must have the shape of x {list(sx)}, be a scalar or be 1-D of "
                            "its first dim")
        n = sc[0] if isinstance(sc[0], int) else -1
        cond = ctx.reshape(cond, [n] + [1] * (len(sx) - 1), hint="rows") if len(sx) > 1 else cond
    ctx.emit("Where", [cond, x, y], ctx.out(0))


_BITWISE = {"BITWISE_XOR": ("BitwiseXor", None), "RIGHT_SHIFT": ("BitShift", {"direction": "RIGHT"})}


@handler(*_BITWISE)
def bitwise(ctx: Context, op) -> None:
    ir_op, attrs = _BITWISE[op.name]
    ctx.emit(ir_op, [ctx.input(0), ctx.input(1)], ctx.out(0), attrs)
