"""ONNX unary ops import: activations and math, Clip across opsets, Dropout, Cast/CastLike, the predicates,
rounding/trigonometric/erf ops and Gelu with their exact float16 widening.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
End-to-end cases convert with pocketml.convert and run the C runtime at one and two threads
against onnxruntime, or onnx's reference evaluator where onnxruntime has no kernel
(runtime_check.check_runtime).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from pocketml.converters.onnx import import_onnx

from pocketml.errors import UnsupportedOpError

from .helpers import F, check, make, one_node, ops_of, rand
from .runtime_check import RNG, check_runtime, model_of, values


@pytest.mark.parametrize("op,attrs", [
    ("Relu", {}), ("LeakyRelu", {"alpha": 0.3}), ("Sigmoid", {}), ("Tanh", {}),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Elu", {"alpha": 0.5}),
    ("Selu", {"alpha": 1.5, "gamma": 1.1}), ("Softplus", {}), ("Exp", {}), ("Abs", {}), ("Neg", {}),
    ("Identity", {}),
])
def test_unary(op, attrs):
    x = rand(3, 4, 5, low=-4, high=4)
    check(one_node(op, {"x": x}, attrs, opset=14 if op == "HardSwish" else 13), {"x": x})


@pytest.mark.parametrize("op", ["Sqrt", "Log", "Reciprocal"])
def test_unary_positive(op):
    x = rand(3, 4, low=0.1, high=4)
    check(one_node(op, {"x": x}), {"x": x})


@pytest.mark.parametrize("opset,inits,attrs", [
    (7, {}, {"min": -0.5, "max": 0.3}),
    (11, {"lo": np.array(-0.2, np.float32), "hi": np.array(0.4, np.float32)}, {}),
    (13, {"lo": np.array(-0.2, np.float32)}, {}),
    (10, {}, {}),
])
def test_clip(opset, inits, attrs):
    x = rand(4, 5)
    check(one_node("Clip", {"x": x}, attrs, inits, opset), {"x": x})


def test_clip_absent_min_input():
    x = rand(4, 5)
    model = one_node("Clip", {"x": x}, {}, {"hi": np.array(0.1, np.float32)}, 13, extra_inputs=[""])
    check(model, {"x": x})


@pytest.mark.parametrize("opset", [7, 12, 13])
def test_dropout_is_identity(opset):
    x = rand(3, 4)
    node = helper.make_node("Dropout", ["x"], ["y", "mask"], name="drop")
    mask_type = TensorProto.BOOL if opset >= 10 else F
    model = make([node], {"x": (F, x.shape)}, {"y": (F, x.shape), "mask": (mask_type, x.shape)}, opset=opset)
    graph = check(model, {"x": x})
    assert ops_of(graph) == ["Identity"] and graph.values["mask"].is_const


def test_dropout_training_mode_is_rejected():
    x = rand(3, 4)
    model = one_node("Dropout", {"x": x}, {}, {"r": np.array(0.5, np.float32), "t": np.array(True)}, 13)
    with pytest.raises(UnsupportedOpError, match=r"'my_dropout' \(Dropout, opset 13\).*training_mode"):
        import_onnx(model)


@pytest.mark.parametrize("to,dtype", [(TensorProto.INT64, np.int64), (TensorProto.INT32, np.int32),
                                      (TensorProto.BOOL, np.bool_)])
def test_cast(to, dtype):
    x = rand(3, 4, low=-5, high=5)
    check(one_node("Cast", {"x": x}, {"to": to}, out_type=to), {"x": x})


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_predicates(dtype):
    x = np.array([[np.inf, -np.inf, np.nan, 0.0, -1.5, 65504.0]], dtype)
    for attrs in ({}, {"detect_positive": 0}, {"detect_negative": 0}):
        check_runtime(model_of("IsInf", {"x": x}, attrs), {"x": x})
    check_runtime(model_of("IsNaN", {"x": x}), {"x": x})


@pytest.mark.parametrize("op", ["Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_unary_math(op, dtype):
    x = RNG.uniform(-6, 6, size=(7, 131)).astype(dtype)
    x[0, :8] = [0.5, 1.5, 2.5, -0.5, -2.5, 0.0, np.inf, -np.inf] if op != "Sin" and op != "Cos" else 0.5
    check_runtime(model_of(op, {"x": x}), {"x": x}, rtol=1e-3 if dtype == np.float16 else 1e-5, atol=1e-5)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", [(1,), (13,), (8 * 32, 3072), (128, 1536)])
def test_gelu(approximate, shape):
    x = RNG.normal(0, 3, size=shape).astype(np.float32)
    check_runtime(model_of("Gelu", {"x": x}, {"approximate": approximate}), {"x": x})


def test_gelu_float16_is_widened():
    x = RNG.normal(0, 3, size=(5, 37)).astype(np.float16)
    check_runtime(model_of("Gelu", {"x": x}), {"x": x}, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("src,like", [(np.float32, np.float16), (np.float16, np.float32), (np.int64, np.float32),
                                      (np.float32, np.int32), (np.bool_, np.float32), (np.float32, np.bool_),
                                      (np.uint8, np.int8)])
def test_castlike(src, like):
    feeds = {"x": values((3, 17), src, -100, 100), "like": values((1,), like)}
    check_runtime(model_of("CastLike", feeds, opset=19), feeds)
