"""ONNX binary arithmetic -> IR elementwise ops (layout-agnostic: they run on
the NCHW tensors as they are, with numpy broadcasting).

Add/Sub/Mul/Div/Pow/Mod/PRelu map one to one on every dtype the registry
allows (Pow's exponent may have another dtype than its base, as in ONNX);
n-ary Sum/Max/Min become left folds of binary ops (one input: Identity), and
Mean (float dtypes, every opset: 1's consumed_inputs is legacy, 6 has equal
shapes, 8+ broadcasts) the fold of Adds divided by the input count, in
float32 (float16 inputs are widened and the mean rounded once, as
onnxruntime's kernel does).
"""
from __future__ import annotations

import numpy as np

from pocketml import dtypes
from pocketml.ops.elementwise import BINARY

from .attr_domains import BOOL, domain
from .context import Context, OnnxNode, handler

_BINARY_OPS = list(BINARY)  # ONNX and IR share these names


def _inputs(ctx: Context, node: OnnxNode) -> list:
    ins = [i for i in node.inputs if i]
    if not ins:
        raise ctx.error("needs at least one input")
    return ins


def _chain(ctx: Context, node: OnnxNode, op: str) -> None:
    """Variadic op -> left fold of binary ops; one input -> Identity."""
    ins = _inputs(ctx, node)
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


@handler("Mean")
def mean(ctx: Context, node: OnnxNode) -> None:
    ins = _inputs(ctx, node)
    dtype = ctx.dtype(ins[0])
    if dtype not in dtypes.FLOATS:
        raise ctx.unsupported(f"input dtype {dtype} is not supported; supported: {', '.join(dtypes.FLOATS)}")
    if len(ins) == 1:
        ctx.emit1("Identity", ins, node.output(0))  # the mean of one tensor is that tensor
        return
    # float16 sums in float32 and rounds once at the end, as onnxruntime's kernel does
    wide = "float32"
    acc = ins[0] if dtype == wide else ctx.emit1("Cast", [ins[0]], None, {"to": dtypes.dtype_code(wide)}, hint="wide")
    for x in ins[1:]:
        x = x if dtype == wide else ctx.emit1("Cast", [x], None, {"to": dtypes.dtype_code(wide)}, hint="wide")
        acc = ctx.emit1("Add", [acc, x], None, hint="sum")
    count = ctx.add_const(np.asarray(len(ins), np.float32), hint="count")
    if dtype == wide:
        ctx.emit1("Div", [acc, count], node.output(0))
    else:
        ctx.emit1("Cast", [ctx.emit1("Div", [acc, count], None, hint="mean")], node.output(0),
                  {"to": dtypes.dtype_code(dtype)})


@handler("PRelu")
def prelu(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("PRelu", [node.input(0), node.input(1)], node.output(0))


@handler("Mod")
@domain(fmod=BOOL)
def mod(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("Mod", [node.input(0), node.input(1)], node.output(0), {"fmod": int(node.attrs.get("fmod", 0))})
