"""ONNX comparisons and logic -> IR logic ops (layout-agnostic, numpy
broadcasting): Equal/Less/LessOrEqual/Greater/GreaterOrEqual (float16 inputs
compared in float32, exactly: widen.py), And/Or/Xor, Not and Where.
"""
from __future__ import annotations

from pocketml.ops.elementwise import COMPARE, LOGICAL

from .context import Context, OnnxNode, handler
from .widen import F16, emit_widened


@handler(*COMPARE)
def compare(ctx: Context, node: OnnxNode) -> None:
    emit_widened(ctx, node, node.op_type, [node.input(0), node.input(1)], F16, narrow_back=False)


@handler(*LOGICAL, "Not", "Where")
def logic(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [i for i in node.inputs], node.output(0))
