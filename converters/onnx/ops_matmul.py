"""ONNX Gemm / MatMul -> IR Gemm / MatMul (same semantics, no layout change)."""
from __future__ import annotations

from .context import Context, OnnxNode, handler


@handler("Gemm")
def gemm(ctx: Context, node: OnnxNode) -> None:
    attrs = {"alpha": float(node.attrs.get("alpha", 1.0)), "beta": float(node.attrs.get("beta", 1.0)),
             "transA": int(node.attrs.get("transA", 0)), "transB": int(node.attrs.get("transB", 0))}
    ctx.emit1("Gemm", [node.input(0), node.input(1), node.input(2)], node.output(0), attrs)


@handler("MatMul")
def matmul(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("MatMul", [node.input(0), node.input(1)], node.output(0))
