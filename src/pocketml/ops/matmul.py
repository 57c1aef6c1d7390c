"""Matrix products.

MatMul: numpy matmul semantics (1-D promotion, batch broadcasting), fused activation.
Gemm:   y = alpha * op(a) @ op(b) + beta * c, a/b 2-D, c broadcast to [M,N]; fused activation.
"""
from __future__ import annotations

from . import FUSED_ACT_ATTRS, Attr, define

define("MatMul", 60, "matmul", ("a", "b"), ("y",), dict(FUSED_ACT_ATTRS))
define("Gemm", 61, "matmul", ("a", "b", "c?"), ("y",), {
    "alpha": Attr("float", 1.0), "beta": Attr("float", 1.0),
    "transA": Attr("int", 0), "transB": Attr("int", 0), **FUSED_ACT_ATTRS,
})
