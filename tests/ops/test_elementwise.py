"""Registry references of the elementwise family on every dtype the registry
allows, checked against onnxruntime (onnx's reference evaluator where
onnxruntime has no kernel): integer wraparound and truncating division,
float16 rounded once, Pow's mixed base/exponent dtypes, Mod in both fmod
modes; integer Div/Mod by zero raises."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import dtypes, ops

from .test_registry_reference import ONNX_DTYPE, close, onnx_ref, ours

RNG = np.random.default_rng(7)
# the shared onnx_ref helper builds typed graph inputs: teach it every dtype of the table
ONNX_DTYPE.update({d.np: d.onnx for d in dtypes.ALL})


def values(shape, dtype, nonzero=False):
    """Values that reach the dtype's edges (wraparound) and, for floats, fractions."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        v = (RNG.standard_normal(shape) * 4).astype(dtype)
        return np.where(nonzero & (v == 0), dtype.type(1), v).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -(2 ** 40)), min(info.max, 2 ** 40)
    v = RNG.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64 if dtype != np.uint64 else np.uint64)
    small = RNG.integers(0 if dtype.kind == "u" else -9, 10, size=shape)
    v = np.where(RNG.random(shape) < 0.5, small, v).astype(dtype)  # mix small and large operands
    v.reshape(-1)[:2] = [info.min, info.max] if v.size >= 2 else v.reshape(-1)[:2]
    return np.where(nonzero & (v == 0), dtype.type(1), v).astype(dtype)


def oracle(op, inputs, attrs=None):
    try:
        return onnx_ref(op, inputs, attrs, opset=21, engine="ort")
    except Exception:  # onnxruntime has no kernel for this dtype: onnx's reference
        return onnx_ref(op, inputs, attrs, opset=21)


@pytest.mark.parametrize("dtype", ops.get("Add").types["T"])
@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Max", "Min"])
def test_binary_every_dtype(op, dtype):
    a, b = values((5, 7), dtype), values((7,), dtype, nonzero=op == "Div")
    if op == "Div" and np.dtype(dtype).kind == "i":
        a[a == np.iinfo(dtype).min] += 1  # MIN / -1 traps inside onnxruntime: test_div_min_by_minus_one
    (got,) = ours(op, [a, b])
    (want,) = oracle(op, [a, b])
    assert got.dtype == want.dtype
    if np.dtype(dtype).kind == "f":
        close(got, want, rtol=0, atol=0)  # float16: rounded once, like onnxruntime
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", dtypes.SIGNED)
def test_div_min_by_minus_one(dtype):
    lo = np.iinfo(dtype).min
    a, b = np.array([lo, lo, -7, 7], dtype), np.array([-1, 1, 2, -2], dtype)
    np.testing.assert_array_equal(ours("Div", [a, b])[0], np.array([lo, lo, -3, -3], dtype))  # wraps, truncates


# onnx requires fmod=1 for floats; our fmod=0 on floats follows numpy (test_mod_float_fmod0)
@pytest.mark.parametrize("dtype,fmod", [(t, f) for t in ops.get("Mod").types["T"] for f in (0, 1)
                                        if f or np.dtype(t).kind != "f"])
def test_mod(dtype, fmod):
    a, b = values((4, 6), dtype), values((6,), dtype, nonzero=True)
    (got,) = ours("Mod", [a, b], {"fmod": fmod})
    (want,) = oracle("Mod", [a, b], {"fmod": fmod})
    close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_mod_float_fmod0(dtype):
    a = (RNG.integers(-50, 50, size=(4, 6)) * 0.37).astype(dtype)
    b = RNG.choice([-7, -3, -1, 1, 2, 5], size=(6,)).astype(dtype)
    (got,) = ours("Mod", [a, b], {"fmod": 0})
    want = np.mod(a.astype(np.float32), b.astype(np.float32)).astype(dtype)
    close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("base", ops.get("Pow").types["T"])
@pytest.mark.parametrize("exponent", ops.get("Pow").types["T1"])
def test_pow_types(base, exponent):
    a = np.array([[1, 2, 3, -2, 7, 5], [0, -3, 4, 9, 2, 3]]).astype(base)
    b = np.array([3, 2, 0, 3, 1, 4]).astype(exponent)
    if np.dtype(base).kind == "f":
        a = (a * 0.75).astype(base)
    (got,) = ours("Pow", [a, b])
    (want,) = oracle("Pow", [a, b])
    assert got.dtype == want.dtype
    close(got.astype(np.float64), want.astype(np.float64), rtol=1e-6 if base != np.float16 else 1e-3, atol=0)


def test_pow_int_overflow_like_onnxruntime():
    a, b = np.array([46341, 2, 3, -2, 7], np.int32), np.array([2.0, 31, 0.5, 3, -1], np.float32)
    np.testing.assert_array_equal(ours("Pow", [a, b])[0], oracle("Pow", [a, b])[0])


@pytest.mark.parametrize("dtype", ops.get("PRelu").types["T"])
def test_prelu(dtype):
    x, slope = values((3, 5), dtype), values((5,), dtype)
    (got,) = ours("PRelu", [x, slope])
    (want,) = oracle("PRelu", [x, slope])
    close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("op", ["Div", "Mod"])
@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.uint64])
def test_int_by_zero_raises(op, dtype):
    with pytest.raises(ZeroDivisionError):
        ours(op, [np.array([3, 4], dtype), np.array([1, 0], dtype)])
