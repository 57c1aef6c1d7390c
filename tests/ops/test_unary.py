"""Registry references of the unary ops added for transformer graphs
(IsNaN/IsInf, Floor/Ceil/Round/Sign, Sin/Cos, Erf, Gelu) checked against
onnx's reference evaluator (onnxruntime for Gelu), plus the Gelu fused
activations against the Gelu op's reference."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ops
from pocketml.ops._common import apply_activation

from .test_registry_reference import close, onnx_ref, ours

RNG = np.random.default_rng(7)


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


# each op over its domain (Acosh from 1, Asin/Acos/Atanh inside [-1, 1]), ends included
TRIG_DOMAINS = {"Tan": (-1.5, 1.5), "Asin": (-1, 1), "Acos": (-1, 1), "Atan": (-40, 40), "Sinh": (-20, 20),
                "Cosh": (-20, 20), "Asinh": (-100, 100), "Acosh": (1, 100), "Atanh": (-0.999, 0.999)}


@pytest.mark.parametrize("op", sorted(TRIG_DOMAINS))
def test_trigonometric_hyperbolic(op):
    lo, hi = TRIG_DOMAINS[op]
    x = np.concatenate([RNG.uniform(lo, hi, 200), [lo, hi]]).astype(np.float32)
    close(ours(op, [x])[0], onnx_ref(op, [x])[0], rtol=1e-6, atol=1e-7)
    h = x.astype(np.float16)
    close(ours(op, [h])[0].astype(np.float32), onnx_ref(op, [h])[0].astype(np.float32), rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("alpha", [None, 1.0, 0.3, -2.0])
def test_swish(alpha):
    x = np.concatenate([RNG.uniform(-8, 8, 200), [-100.0, 0.0, 100.0]]).astype(np.float32)
    attrs = {} if alpha is None else {"alpha": alpha}
    close(ours("Swish", [x], attrs)[0], onnx_ref("Swish", [x], attrs, opset=24)[0], rtol=1e-6, atol=1e-7)


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


@pytest.mark.parametrize("op,attrs", [
    ("Celu", {}), ("Celu", {"alpha": 0.4}),
    ("Mish", {}),
    ("ThresholdedRelu", {}), ("ThresholdedRelu", {"alpha": -0.5}),
    ("Softsign", {}),
    ("Shrink", {}), ("Shrink", {"bias": 0.3, "lambd": 1.1}),
])
def test_activations_added_for_onnx(op, attrs):
    x = np.concatenate([RNG.uniform(-6, 6, 200), [-1.1, -0.5, 0.0, 0.5, 1.0, 1.1, -40.0, 40.0]]).astype(np.float32)
    close(ours(op, [x], attrs)[0], onnx_ref(op, [x], attrs)[0], rtol=1e-6, atol=1e-7)
    h = x.astype(np.float16)  # float16: the reference computes in the input's dtype like onnx's
    close(ours(op, [h], attrs)[0].astype(np.float32), onnx_ref(op, [h], attrs)[0].astype(np.float32), rtol=2e-3,
          atol=2e-3)


@pytest.mark.parametrize("op,attrs", [("Abs", {}), ("Neg", {}), ("Sign", {}), ("Relu", {}),
                                      ("Clip", {"min": -7.0, "max": 9.0}), ("Shrink", {"bias": 2.0, "lambd": 3.0})])
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64, np.float16])
def test_integer_and_float16_references(op, attrs, dtype):
    x = RNG.integers(-20, 20, size=(4, 9)).astype(dtype)
    inputs = [x]
    if op == "Clip":  # ONNX Clip takes its bounds as inputs of x's dtype
        inputs = [x, np.array(attrs["min"], dtype), np.array(attrs["max"], dtype)]
    want = onnx_ref(op, inputs, {} if op == "Clip" else attrs, opset=14 if op != "Shrink" else 9)[0]
    np.testing.assert_array_equal(ours(op, [x], attrs)[0], want)
