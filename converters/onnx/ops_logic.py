"""ONNX comparisons and logic -> IR logic ops (layout-agnostic, numpy
broadcasting), one to one on every dtype the registry allows:
Equal/Less/LessOrEqual/Greater/GreaterOrEqual, And/Or/Xor, Not and Where.
"""
from __future__ import annotations

from pocketml.ops.logic import COMPARE, LOGICAL

from .context import Context, OnnxNode, handler


@handler(*COMPARE, *LOGICAL, "Not", "Where")
def logic(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [i for i in node.inputs], node.output(0))
