"""ONNX comparisons, logic and bitwise ops -> IR logic ops (layout-agnostic,
numpy broadcasting), one to one on every dtype the registry allows:
Equal/Less/LessOrEqual/Greater/GreaterOrEqual, And/Or/Xor, Not, Where,
BitwiseAnd/Or/Xor/Not (opset 18) and BitShift (opset 11: unsigned; 28: every
integer dtype, with the same semantics, so one mapping serves both).
"""
from __future__ import annotations

from pocketml.ops.logic import BITWISE, COMPARE, LOGICAL

from .attr_domains import domain, enum
from .context import Context, OnnxNode, handler


@handler(*COMPARE, *LOGICAL, "Not", "Where", *BITWISE, "BitwiseNot")
def logic(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [i for i in node.inputs], node.output(0))


@handler("BitShift")
@domain(direction=enum("LEFT", "RIGHT"))
def bitshift(ctx: Context, node: OnnxNode) -> None:
    direction = node.attrs.get("direction")
    if direction not in ("LEFT", "RIGHT"):
        raise ctx.error(f"attribute direction={direction!r} must be 'LEFT' or 'RIGHT'")
    ctx.emit1("BitShift", [node.input(0), node.input(1)], node.output(0), {"direction": direction})
