"""ONNX binary arithmetic -> IR elementwise ops (layout-agnostic: they run on
the NCHW tensors as they are, with numpy broadcasting).

Add/Sub/Mul/Div/Pow/Mod/PRelu map one to one on every dtype the registry
allows (Pow's exponent may have another dtype than its base, as in ONNX);
n-ary Sum/Max/Min become left folds of binary ops (one input: Identity).
"""
from __future__ import annotations

from pocketml.ops.elementwise import BINARY

from .context import Context, OnnxNode, handler

_BINARY_OPS = list(BINARY)  # ONNX and IR share these names


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


@handler("PRelu")
def prelu(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("PRelu", [node.input(0), node.input(1)], node.output(0))


@handler("Mod")
def mod(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("Mod", [node.input(0), node.input(1)], node.output(0), {"fmod": int(node.attrs.get("fmod", 0))})
