"""ONNX binary arithmetic -> IR elementwise ops (layout-agnostic: they run on
the NCHW tensors as they are, with numpy broadcasting).

Add/Sub/Mul/Div map one to one; n-ary Sum/Max/Min become left folds of
binary ops (one input: Identity); Pow casts an exponent of another dtype to
the base's (opset 12+ allows e.g. a float base with an int exponent); Mod
computes float16 in float32 and int8/uint8 in int32 (widen.py).
"""
from __future__ import annotations

from pocketml import ir
from pocketml.ops.elementwise import BINARY

from .context import Context, OnnxNode, handler
from .widen import emit_widened

_BINARY_OPS = [op for op in BINARY if op != "Pow"]  # ONNX and IR share these names


def _chain(ctx: Context, node: OnnxNode, op: str) -> None:
    """Variadic op -> left fold of binary ops; one input -> Identity."""
    ins = [i for i in node.inputs if i]
    if not ins:
        raise ctx.error("needs at least one input")
    if len(ins) == 1:
        ctx.emit1("Identity", ins, node.output(0))
        return
    acc = ins[0]
    for k, x in enumerate(ins[1:], start=2):
        acc = ctx.emit1(op, [acc, x], node.output(0) if k == len(ins) else None, hint=f"{op.lower()}{k - 1}")


@handler(*_BINARY_OPS)
def binary(ctx: Context, node: OnnxNode) -> None:
    if node.op_type in ("Max", "Min"):
        _chain(ctx, node, node.op_type)  # variadic in ONNX
    else:
        ctx.emit1(node.op_type, [node.input(0), node.input(1)], node.output(0))


@handler("Sum")
def sum_(ctx: Context, node: OnnxNode) -> None:
    _chain(ctx, node, "Add")


@handler("Pow")
def pow_(ctx: Context, node: OnnxNode) -> None:
    base, exponent = node.input(0), node.input(1)
    if ctx.dtype(exponent) != ctx.dtype(base):
        # opset 12+ allows e.g. a float base with an int exponent; the IR op wants one dtype
        exponent = ctx.emit1("Cast", [exponent], attrs={"to": ir.dtype_code(ctx.dtype(base))}, hint="exponent")
    ctx.emit1("Pow", [base, exponent], node.output(0))


@handler("PRelu")
def prelu(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("PRelu", [node.input(0), node.input(1)], node.output(0))


@handler("Mod")
def mod(ctx: Context, node: OnnxNode) -> None:
    widen = {"float16": "float32", "int8": "int32", "uint8": "int32"}
    emit_widened(ctx, node, "Mod", [node.input(0), node.input(1)], widen, {"fmod": int(node.attrs.get("fmod", 0))})
