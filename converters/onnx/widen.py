"""Dtype widening for ONNX ops the IR computes in a wider dtype.

Where onnxruntime accepts a dtype the IR op does not compute in, the input
is widened exactly and the result narrowed back: float16 through float32
(comparisons and Mod; the float32 result rounds to the nearest half as a
float16 kernel would) and int8/uint8 through int32 (Mod: the remainder always
fits the narrow type). Shared by the elementwise and logic family modules.
"""
from __future__ import annotations

from pocketml import ir

from .context import Context, OnnxNode

F16 = {"float16": "float32"}  # the common case: float16 computed in float32


def _widen(ctx: Context, names: list, widen: dict) -> tuple:
    """Cast inputs whose dtype is a key of ``widen`` to its value (exactly
    representable there); returns (new names, original dtype or None)."""
    dtype = ctx.dtype(names[0])
    if dtype not in widen:
        return names, None
    return [ctx.emit1("Cast", [n], attrs={"to": ir.dtype_code(widen[dtype])}, hint=f"{widen[dtype]}_in{i}")
            for i, n in enumerate(names)], dtype


def emit_widened(ctx: Context, node: OnnxNode, op: str, names: list, widen: dict, attrs=None,
                 narrow_back: bool = True) -> None:
    """Emit ``op`` on ``names`` (widened per ``widen``) into the node's output,
    narrowing the result back to the input dtype unless narrow_back is False
    (ops with a bool output)."""
    names, orig = _widen(ctx, names, widen)
    if orig is None or not narrow_back:
        ctx.emit1(op, names, node.output(0), attrs)
        return
    wide = ctx.emit1(op, names, None, attrs, hint=f"{op.lower()}_{widen[orig]}")
    ctx.emit1("Cast", [wide], node.output(0), {"to": ir.dtype_code(orig)}, hint=orig)
