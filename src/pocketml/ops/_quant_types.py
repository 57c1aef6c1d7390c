"""Type variables and dtype rules of the ops that compute on quantized int8/uint8 tensors
(Conv, MatMul, Gemm; trait quant_aware): the activations and weights are int8/uint8 and the
bias int32 when quantized (int16x8: int16 activations, int8 weights, int32/int64 bias), every port one float dtype otherwise. The quantization parameters
themselves live on the tensors (Value.quant) and are checked by the runtime."""
from __future__ import annotations

from ..dtypes import FLOATS
from ._common import fail

QUANT_INTS = ("int8", "uint8")
DATA = tuple(FLOATS) + QUANT_INTS + ("int16",)  # activations (x, y; int16: TFLite int16x8) and weights
BIAS = tuple(FLOATS) + ("int32", "int64")       # float bias, or the integer bias of a quantized node


def check_dtypes(node, tx, tw, tb=None) -> None:
    """x, w and bias dtypes agree: all one float dtype, int8/uint8 x and w with an int32 bias, or
    TFLite's int16x8: int16 x, int8 w, an int32 or int64 bias."""
    if tx == "int16":
        if tw != "int8" or tb not in (None, "int32", "int64"):
            raise fail(node, f"int16 input (int16x8) needs int8 weights and an int32/int64 bias, got {tw} and {tb}")
    elif tx in QUANT_INTS:
        if tw not in QUANT_INTS or tb not in (None, "int32"):
            raise fail(node, f"quantized {tx} input needs int8/uint8 weights and an int32 bias, got {tw} and {tb}")
    elif tw != tx or tb not in (None, tx):
        raise fail(node, f"inputs must share one float dtype, got {tx}, {tw}" + (f" and {tb}" if tb else ""))


def refuse_integers(op: str, x) -> None:
    """The float references cannot compute a quantized node: its parameters are not among their inputs."""
    if x.dtype.kind in "iu":
        raise ValueError(f"{op} reference: {x.dtype} inputs are quantized; their integer arithmetic needs the "
                         "tensors' quantization parameters (see pocketml.ops.quant_reference)")
