"""Registry references and shape inference of the logic ops (comparisons,
And/Or/Xor/Not, Where, the bitwise ops and BitShift) checked against onnx's reference evaluator, and the
dtype/broadcast/attribute errors of the ops added for transformer graphs."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import dtypes, ops

from .test_registry_reference import ONNX_DTYPE, onnx_ref, ours

RNG = np.random.default_rng(7)
# the shared onnx_ref helper builds typed graph inputs: teach it every dtype of the table
ONNX_DTYPE.update({d.np: d.onnx for d in dtypes.ALL})

SHAPES = [((3, 4), (3, 4)), ((2, 3, 5), (5,)), ((4, 1, 6), (1, 5, 1)), ((), (7,)), ((2, 1, 1, 9), (2, 3, 9, 9))]


def values(shape, dtype):
    """Small values so equal pairs are common; float data includes a NaN."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.integers(0, 2, size=shape).astype(np.bool_)
    v = RNG.integers(-3, 4, size=shape)
    if dtype.kind == "u":
        v = v + 3
    v = v.astype(dtype)
    if dtype.kind == "f" and v.size > 2:
        v.reshape(-1)[1] = np.nan
    return v


@pytest.mark.parametrize("op", ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"])
@pytest.mark.parametrize("dtype", ops.get("Less").types["T"])
@pytest.mark.parametrize("shapes", SHAPES)
def test_comparisons(op, dtype, shapes):
    a, b = values(shapes[0], dtype), values(shapes[1], dtype)
    (got,) = ours(op, [a, b])
    (want,) = onnx_ref(op, [a, b])
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, want)


def test_equal_on_bool():
    a, b = values((4, 5), np.bool_), values((5,), np.bool_)
    np.testing.assert_array_equal(ours("Equal", [a, b])[0], onnx_ref("Equal", [a, b])[0])


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
@pytest.mark.parametrize("shapes", SHAPES)
def test_logical(op, shapes):
    a, b = values(shapes[0], np.bool_), values(shapes[1], np.bool_)
    np.testing.assert_array_equal(ours(op, [a, b])[0], onnx_ref(op, [a, b])[0])


def test_not():
    x = values((3, 7), np.bool_)
    np.testing.assert_array_equal(ours("Not", [x])[0], ~x)


@pytest.mark.parametrize("dtype", dtypes.ANY)
def test_where(dtype):
    cond = values((2, 1, 6), np.bool_)
    x, y = values((3, 1), dtype), values((2, 3, 6), dtype)
    (got,) = ours("Where", [cond, x, y])
    (want,) = onnx_ref("Where", [cond, x, y])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


INTEGERS = [t for t in dtypes.ANY if np.dtype(t).kind in "iu"]


@pytest.mark.parametrize("op", ["BitwiseAnd", "BitwiseOr", "BitwiseXor"])
@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("shapes", SHAPES)
def test_bitwise(op, dtype, shapes):
    a, b = _full_range(shapes[0], dtype), _full_range(shapes[1], dtype)
    (got,) = ours(op, [a, b])
    (want,) = onnx_ref(op, [a, b], opset=18)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_bitwise_not(dtype):
    x = _full_range((5, 13), dtype)
    np.testing.assert_array_equal(ours("BitwiseNot", [x])[0], onnx_ref("BitwiseNot", [x], opset=18)[0])


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("shapes", SHAPES[:4])
def test_bitshift(direction, dtype, shapes):
    bits = np.dtype(dtype).itemsize * 8
    x = _full_range(shapes[0], dtype)
    s = RNG.integers(-3 if np.dtype(dtype).kind == "i" else 0, bits + 3, size=shapes[1]).astype(dtype)
    (got,) = ours("BitShift", [x, s], {"direction": direction})
    (want,) = onnx_ref("BitShift", [x, s], {"direction": direction}, opset=28)  # opset 28: every integer dtype
    np.testing.assert_array_equal(got, want)


def _full_range(shape, dtype):
    info = np.iinfo(dtype)
    v = RNG.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    if v.size > 2:
        v.reshape(-1)[:2] = info.min, info.max
    return v


def test_infer_errors():
    f, i = np.zeros(3, np.float32), np.zeros(3, np.int32)
    with pytest.raises(ValueError, match="different dtypes"):
        ours("Less", [f, i])
    with pytest.raises(ValueError, match="dtype bool"):
        ours("Less", [np.zeros(3, bool), np.zeros(3, bool)])  # ONNX orders numbers only
    with pytest.raises(ValueError, match="dtype int8"):
        ours("And", [i.astype(np.int8), i.astype(np.int8)])
    with pytest.raises(ValueError, match="condition"):
        ours("Where", [f, f, f])
    with pytest.raises(ValueError, match="do not broadcast"):
        ours("Where", [np.zeros(3, bool), f, np.zeros(4, np.float32)])
    with pytest.raises(ValueError, match="fmod"):
        ours("Mod", [f, f], {"fmod": 2})
    with pytest.raises(ValueError, match="approximate"):
        ours("Gelu", [f], {"approximate": "fast"})
    with pytest.raises(ValueError, match="dtype int32"):
        ours("Erf", [i])
    with pytest.raises(ValueError, match="dtype float32"):
        ours("BitwiseAnd", [f, f])
    with pytest.raises(ValueError, match="dtype bool"):
        ours("BitwiseNot", [np.zeros(3, bool)])
    with pytest.raises(ValueError, match="direction"):
        ours("BitShift", [i, i], {"direction": "UP"})
    with pytest.raises(ValueError, match="direction"):
        ours("BitShift", [i, i])
    with pytest.raises(ValueError, match="do not broadcast"):
        ours("BitwiseXor", [i, np.zeros(4, np.int32)])
