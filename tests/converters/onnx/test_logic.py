"""ONNX comparisons, And/Or/Xor/Not, Where (attention-mask broadcasting), the bitwise ops and BitShift
end to end.

End-to-end cases convert with pocketml.convert and run the C runtime at one and two threads
against onnxruntime, or onnx's reference evaluator where onnxruntime has no kernel
(runtime_check.check_runtime).
"""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from pocketml import dtypes

from . import runtime_check
from .runtime_check import check_runtime, model_of, values

runtime_check.T.update({d.np: d.onnx for d in dtypes.ALL})  # graph inputs of every dtype of the table


MASK_SHAPES = [((2, 1, 1, 33), (2, 4, 33, 33)), ((5, 9), (9,)), ((), (1000,)), ((3, 1), (1, 70001))]


@pytest.mark.parametrize("op", ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.int8, np.uint8, np.float16, np.int16,
                                   np.uint16, np.uint32, np.uint64])
def test_comparisons(op, dtype):
    for sa, sb in MASK_SHAPES[:3]:
        feeds = {"a": values(sa, dtype), "b": values(sb, dtype)}
        check_runtime(model_of(op, feeds), feeds)


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logical(op):
    for sa, sb in MASK_SHAPES:
        feeds = {"a": values(sa, np.bool_), "b": values(sb, np.bool_)}
        check_runtime(model_of(op, feeds), feeds)
    feeds = {"x": values((4, 77), np.bool_)}
    check_runtime(model_of("Not", feeds), feeds)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.float16, np.int32, np.int16, np.uint64])
def test_where_attention_mask(dtype):
    # scores.masked_fill(mask == 0, -inf) style: [B,1,1,S] condition, [B,H,S,S] x, scalar y
    for sc, sx in MASK_SHAPES:
        feeds = {"c": values(sc, np.bool_), "x": values(sx, dtype), "z": values((), dtype)}
        check_runtime(model_of("Where", feeds), feeds)
    feeds = {"c": values((2, 1, 6), np.bool_), "x": values((3, 1), dtype), "z": values((2, 3, 6), dtype)}
    check_runtime(model_of("Where", feeds), feeds)


def test_equal_on_bool_and_64_bit_integers_is_exact():
    big = np.array([2 ** 63 - 1, 2 ** 63 - 2, -(2 ** 63), 5], np.int64)  # equal as doubles, not as integers
    feeds = {"a": big, "b": np.array([2 ** 63 - 2] * 4, np.int64)}
    check_runtime(model_of("Equal", feeds), feeds)
    feeds = {"a": values((3, 5), np.bool_), "b": values((5,), np.bool_)}
    check_runtime(model_of("Equal", feeds), feeds)


INTEGERS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
BIT_SHAPES = MASK_SHAPES + [((4, 1, 6), (1, 5, 1)), ((1,), (13,))]


def _bits(shape, dtype):
    info = np.iinfo(dtype)
    v = runtime_check.RNG.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return np.asarray(v, dtype)


@pytest.mark.parametrize("op", ["BitwiseAnd", "BitwiseOr", "BitwiseXor"])
@pytest.mark.parametrize("dtype", INTEGERS)
def test_bitwise(op, dtype):
    for sa, sb in BIT_SHAPES:
        feeds = {"a": _bits(sa, dtype), "b": _bits(sb, dtype)}
        check_runtime(model_of(op, feeds, opset=18), feeds)
        feeds = {"a": feeds["b"], "b": feeds["a"]}
        check_runtime(model_of(op, feeds, opset=18), feeds)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_bitwise_not(dtype):
    for shape in [(1,), (13,), (3, 1, 127), (7, 1001)]:
        feeds = {"x": _bits(shape, dtype)}
        check_runtime(model_of("BitwiseNot", feeds, opset=18), feeds)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_bitshift(direction, dtype):
    # opset 11, shift amounts inside the width: onnxruntime (uint16, which it lacks: onnx's reference)
    bits = np.dtype(dtype).itemsize * 8
    for sa, sb in BIT_SHAPES:
        feeds = {"x": _bits(sa, dtype), "y": runtime_check.RNG.integers(0, bits, size=sb).astype(dtype)}
        check_runtime(model_of("BitShift", feeds, {"direction": direction}, opset=11), feeds)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", INTEGERS)
def test_bitshift_opset28_out_of_range(direction, dtype):
    # opset 28: signed types (arithmetic right shift) and amounts < 0 or >= the width, which
    # onnxruntime does not implement: onnx's reference evaluator, which follows the opset 28 text
    bits = np.dtype(dtype).itemsize * 8
    lo = -3 if np.dtype(dtype).kind == "i" else 0
    for sa, sb in BIT_SHAPES[:3]:
        feeds = {"x": _bits(sa, dtype), "y": runtime_check.RNG.integers(lo, bits + 3, size=sb).astype(dtype)}
        check_runtime(model_of("BitShift", feeds, {"direction": direction}, opset=28), feeds)


def test_bitshift_bad_direction():
    feeds = {"x": np.ones(3, np.uint8), "y": np.ones(3, np.uint8)}
    model = model_of("BitShift", feeds, {"direction": "LEFT"}, opset=11)
    model.graph.node[0].attribute[0].s = b"UP"
    with pytest.raises(pocketml.PocketMLError, match="direction"):
        pocketml.convert(model)
