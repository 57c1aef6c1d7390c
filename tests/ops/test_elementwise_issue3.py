"""Registry references and shape inference of the elementwise ops added for
transformer graphs (comparisons, And/Or/Xor/Not, Where, Mod, IsNaN/IsInf,
Floor/Ceil/Round/Sign, Sin/Cos, Erf, Gelu), checked against onnx's
reference evaluator (onnxruntime where it is the better oracle), plus the
Gelu fused activations against the Gelu op's reference."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto

from pocketml import ops
from pocketml.ops._common import apply_activation

from .test_registry_reference import ONNX_DTYPE, close, onnx_ref, ours

RNG = np.random.default_rng(7)
# the shared onnx_ref helper builds typed graph inputs: teach it the 8-bit dtypes compared here
ONNX_DTYPE.update({np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8})

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
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.int8, np.uint8])
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


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.bool_])
def test_where(dtype):
    cond = values((2, 1, 6), np.bool_)
    x, y = values((3, 1), dtype), values((2, 3, 6), dtype)
    (got,) = ours("Where", [cond, x, y])
    (want,) = onnx_ref("Where", [cond, x, y])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
def test_mod(fmod, dtype):
    a = RNG.integers(-50, 50, size=(4, 6)).astype(dtype)
    b = RNG.choice([-7, -3, -1, 1, 2, 5], size=(6,)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        a = a * np.float32(0.37)
    (got,) = ours("Mod", [a, b], {"fmod": fmod})
    (want,) = onnx_ref("Mod", [a, b], {"fmod": fmod})
    close(got, want, rtol=1e-6, atol=1e-6)


def test_mod_int_by_zero_raises():
    with pytest.raises(ZeroDivisionError):
        ours("Mod", [np.array([3], np.int32), np.array([0], np.int32)])


@pytest.mark.parametrize("attrs", [{}, {"detect_negative": 0}, {"detect_positive": 0}])
def test_isinf_isnan(attrs):
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -1.5, 3e38], np.float32)
    np.testing.assert_array_equal(ours("IsInf", [x], attrs)[0], onnx_ref("IsInf", [x], attrs)[0])
    np.testing.assert_array_equal(ours("IsNaN", [x])[0], onnx_ref("IsNaN", [x])[0])


@pytest.mark.parametrize("op", ["Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf"])
def test_unary_math(op):
    x = RNG.uniform(-6, 6, size=(5, 13)).astype(np.float32)
    x[0, :6] = [0.5, 1.5, 2.5, -0.5, -2.5, 0.0]  # Round: ties go to even
    close(ours(op, [x])[0], onnx_ref(op, [x])[0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_sign_int(dtype):
    x = np.array([-5, 0, 7, np.iinfo(dtype).min], dtype)
    np.testing.assert_array_equal(ours("Sign", [x])[0], onnx_ref("Sign", [x])[0])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    x = np.concatenate([RNG.uniform(-8, 8, 200), [-30.0, 0.0, 30.0]]).astype(np.float32)
    (got,) = ours("Gelu", [x], {"approximate": approximate})
    (want,) = onnx_ref("Gelu", [x], {"approximate": approximate}, opset=20, engine="ort")
    # atol: onnxruntime's float 0.5x(1 + tanh(u)) cancels in the negative tail; ours is computed in float64
    close(got, want, rtol=1e-5, atol=1e-6)
    kind = ops.ACT_GELU_TANH if approximate == "tanh" else ops.ACT_GELU_ERF
    close(apply_activation(x, {"act": kind}), got, rtol=0, atol=0)


def test_infer_errors():
    f, i = np.zeros(3, np.float32), np.zeros(3, np.int32)
    with pytest.raises(ValueError, match="different dtypes"):
        ours("Less", [f, i])
    with pytest.raises(ValueError, match="dtype float16"):
        ours("Equal", [f.astype(np.float16), f.astype(np.float16)])
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
