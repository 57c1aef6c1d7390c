"""ONNX unary ops import: activations and math, Clip across opsets, Dropout, Cast/CastLike, the predicates,
rounding/trigonometric/erf ops, Gelu and SwiGLU (as Swish * B); every dtype ONNX allows for them (float16 and the integer types run
the typed kernels).

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
End-to-end cases convert with pocketml.convert and run the C runtime at one and two threads
against onnxruntime, or onnx's reference evaluator where onnxruntime has no kernel
(runtime_check.check_runtime).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, shape_inference

import pocketml
from pocketml.converters.onnx import import_onnx

from .helpers import F, check, make, one_node, ops_of, rand
from .runtime_check import RNG, T, check_runtime, model_of, values


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


def test_dropout_training_mode_becomes_the_ir_dropout():
    """Training mode with constant inputs: the IR's stateful Dropout (never folded: it draws a new
    mask on every run; its behaviour is tested in test_state.py)."""
    x = rand(3, 4)
    model = one_node("Dropout", {"x": x}, {}, {"r": np.array(0.5, np.float32), "t": np.array(True)}, 13)
    assert ops_of(import_onnx(model)) == ["Dropout"]


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


# each op over its domain, with the domain's ends and, past them, NaN (Asin(2), Acosh(0.5)) or inf (Atanh(1))
TRIG = {"Tan": (-1.5, 1.5, [0.0, -0.0]), "Asin": (-1, 1, [1.0, -1.0, 2.0]), "Acos": (-1, 1, [1.0, -1.0, -2.0]),
        "Atan": (-40, 40, [np.inf, -np.inf]), "Sinh": (-10, 10, [0.0, 100.0]), "Cosh": (-10, 10, [0.0, -100.0]),
        "Asinh": (-100, 100, [np.inf, -np.inf]), "Acosh": (1, 100, [1.0, 0.5, np.inf]),
        "Atanh": (-0.99, 0.99, [1.0, -1.0, 0.0])}


@pytest.mark.parametrize("op", sorted(TRIG))
@pytest.mark.parametrize("shape", [(1,), (13,), (3, 1, 127)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_trigonometric_hyperbolic(op, shape, dtype):
    lo, hi, specials = TRIG[op]
    x = RNG.uniform(lo, hi, size=shape).astype(dtype)
    flat = x.reshape(-1)
    flat[:len(specials)] = specials[:flat.size]
    check_runtime(model_of(op, {"x": x}, opset=22), {"x": x}, rtol=2e-3 if dtype == np.float16 else 1e-5,
                  atol=1e-5)


@pytest.mark.parametrize("attrs", [{}, {"alpha": 0.5}, {"alpha": -1.5}])
@pytest.mark.parametrize("shape", [(1,), (13,), (2, 3, 67)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_swish(attrs, shape, dtype):
    x = RNG.uniform(-10, 10, size=shape).astype(dtype)
    tol = 2e-3 if dtype == np.float16 else 1e-5
    check_runtime(model_of("Swish", {"x": x}, attrs, opset=24), {"x": x}, rtol=tol, atol=tol)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", [(1,), (13,), (8 * 32, 3072), (128, 1536)])
def test_gelu(approximate, shape):
    x = RNG.normal(0, 3, size=shape).astype(np.float32)
    check_runtime(model_of("Gelu", {"x": x}, {"approximate": approximate}), {"x": x})


def test_gelu_float16():
    x = RNG.normal(0, 3, size=(5, 37)).astype(np.float16)
    check_runtime(model_of("Gelu", {"x": x}), {"x": x}, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("src,like", [(np.float32, np.float16), (np.float16, np.float32), (np.int64, np.float32),
                                      (np.float32, np.int32), (np.bool_, np.float32), (np.float32, np.bool_),
                                      (np.uint8, np.int8)])
def test_castlike(src, like):
    feeds = {"x": values((3, 17), src, -100, 100), "like": values((1,), like)}
    check_runtime(model_of("CastLike", feeds, opset=19), feeds)


# ---- the dtype matrix ---------------------------------------------------------------------------------------
SIGNED = [np.int8, np.int16, np.int32, np.int64]
UNSIGNED = [np.uint8, np.uint16, np.uint32, np.uint64]
FLOAT_OPS = ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Exp",
             "Abs", "Neg", "Sign", "Floor", "Ceil", "Round", "Sin", "Cos", "Erf", "Gelu"]


@pytest.mark.parametrize("op,dtype", [(op, t) for op in ("Abs", "Sign") for t in SIGNED + UNSIGNED] +
                         [(op, t) for op in ("Neg", "Relu") for t in SIGNED])  # ONNX: Neg, Relu signed only
def test_integer_unary(op, dtype):
    info = np.iinfo(dtype)
    x = values((5, 29), dtype, -100, 100)
    x.reshape(-1)[:3] = [info.min, info.max, 0]  # Abs/Neg of the minimum wrap, as onnxruntime
    check_runtime(model_of(op, {"x": x}, opset=14), {"x": x})


@pytest.mark.parametrize("op", ["Neg", "Relu"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint32])
def test_signed_only_ops_reject_unsigned(op, dtype):
    x = values((3,), dtype)
    with pytest.raises(pocketml.PocketMLError, match=r"dtype uint\d+; supported: float32, float16, int8"):
        pocketml.convert(model_of(op, {"x": x}, opset=14))


@pytest.mark.parametrize("op", FLOAT_OPS + ["Sqrt", "Log", "Reciprocal"])
def test_float16(op):
    x = RNG.uniform(0.1 if op in ("Sqrt", "Log", "Reciprocal") else -6, 6, size=(3, 67)).astype(np.float16)
    check_runtime(model_of(op, {"x": x}), {"x": x}, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED + [np.float16])
@pytest.mark.parametrize("bounds", [(None, None), (-7, None), (None, 9), (-7, 9), (5, 3)])
def test_clip_dtypes(dtype, bounds):
    if dtype in UNSIGNED:
        bounds = tuple(None if b is None else b + 7 for b in bounds)
    x = values((4, 33), dtype, -20, 20)
    feeds = {"x": x, **{n: np.array(b, dtype) for n, b in zip(("lo", "hi"), bounds) if b is not None}}
    names = ["x", "lo" if bounds[0] is not None else "", "hi" if bounds[1] is not None else ""]
    while not names[-1]:
        names.pop()
    node = helper.make_node("Clip", names, ["y0"])
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", T[x.dtype], x.shape)],
                              [helper.make_empty_tensor_value_info("y0")],
                              [numpy_helper.from_array(v, n) for n, v in feeds.items() if n != "x"])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=9)
    check_runtime(shape_inference.infer_shapes(model), {"x": x})


def test_clip_int64_bound_not_a_float32():
    # float32 cannot hold 2**40 + 1: the bound stays exact through Max/Min instead of a float attribute
    x = np.array([2**40, 2**40 + 1, 2**40 + 2, -5], np.int64)
    check_runtime(one_node("Clip", {"x": x}, {}, {"lo": np.array(2**40 + 1, np.int64)}, 13,
                           out_type=TensorProto.INT64), {"x": x})


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("given", ["both", "min", "max"])
def test_clip_bounds_fed_at_run_time(dtype, given):
    x = values((4, 7), dtype, low=-5, high=6)
    if np.dtype(dtype).kind == "f":
        x.reshape(-1)[0] = np.nan  # stays NaN
    feeds = {"x": x, "lo": np.array(-1 if np.dtype(dtype).kind != "u" else 4, dtype), "hi": np.array(5, dtype)}
    names = {"both": ("lo", "hi"), "min": ("lo",), "max": ("", "hi")}[given]
    node = helper.make_node("Clip", ["x", *names], ["y0"])
    ins = {k: (helper.np_dtype_to_tensor_dtype(feeds[k].dtype), feeds[k].shape) for k in ("x", *names) if k}
    model = make([node], ins, {"y0": (helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), None)}, {}, 13)
    check_runtime(model, {k: v for k, v in feeds.items() if k in ins})
    # min > max gives max everywhere, as ONNX specifies
    if given == "both":
        check_runtime(model, {**feeds, "lo": np.array(6, dtype), "hi": np.array(5, dtype)})


ALL_DTYPES = [np.float32, np.float16, np.bool_] + SIGNED + UNSIGNED


def _cast_input(src, dst):
    """Values every pair converts the same way everywhere: in the target's range, fractions for float sources
    (truncated toward zero), and integer wraparound (int -> narrower int keeps the low bits)."""
    src, dst = np.dtype(src), np.dtype(dst)
    negative = src.kind in "fi" and dst.kind in "fib"
    top = 60000 if src.kind in "iu" and src.itemsize >= 4 and dst.kind in "iub" else 120
    v = RNG.integers(-100 if negative else 0, top, size=(3, 41)).astype(np.float64)
    if src.kind == "f":
        v += RNG.choice([0.0, 0.25, 0.5, 0.75], size=v.shape) * np.sign(v)
    x = v.astype(src)
    x.reshape(-1)[:2] = [0, 1]
    return x


@pytest.mark.parametrize("dst", ALL_DTYPES)
@pytest.mark.parametrize("src", ALL_DTYPES)
def test_cast_every_pair(src, dst):
    x = _cast_input(src, dst)
    check_runtime(model_of("Cast", {"x": x}, {"to": T[np.dtype(dst)]}, opset=19), {"x": x}, rtol=0, atol=0)


@pytest.mark.parametrize("dst", [np.float16, np.float32])
@pytest.mark.parametrize("src", [np.int64, np.uint64, np.int32, np.uint32])
def test_cast_wide_integers_round_to_float(src, dst):
    info = np.iinfo(src)
    x = np.array([min(max(v, int(info.min)), int(info.max)) for v in
                  (int(info.max), int(info.min), 16777217, 2049, 65519, 65520, 2**31 + 1)], src)
    check_runtime(model_of("Cast", {"x": x}, {"to": T[np.dtype(dst)]}, opset=19), {"x": x}, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.float16])
def test_float16_specials(dtype):
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 65504.0, -65504.0, 6e-8], dtype)
    for op in ("Relu", "Abs", "Neg", "Floor", "Exp"):  # Sign(NaN): NaN here as numpy, 0 in onnxruntime
        check_runtime(model_of(op, {"x": x}), {"x": x}, rtol=1e-3, atol=0)


@pytest.mark.parametrize("op,attrs", [
    ("Celu", {}), ("Celu", {"alpha": 0.4}),
    ("Mish", {}),
    ("ThresholdedRelu", {}), ("ThresholdedRelu", {"alpha": -0.5}),
    ("Softsign", {}),
    ("Shrink", {}), ("Shrink", {"bias": 0.3, "lambd": 1.1}),
])
@pytest.mark.parametrize("shape", [(1,), (13,), (7, 131)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_activations_added_for_onnx(op, attrs, shape, dtype):
    x = RNG.uniform(-6, 6, size=shape).astype(dtype)
    x.reshape(-1)[:1] = 1.0  # ThresholdedRelu's default threshold: not above it
    tol = 2e-3 if dtype == np.float16 else 1e-5
    check_runtime(model_of(op, {"x": x}, attrs, opset=18), {"x": x}, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED)
def test_shrink_integers(dtype):
    x = values((3, 45), dtype, -20, 20)
    check_runtime(model_of("Shrink", {"x": x}, {"bias": 2.0, "lambd": 3.0}, opset=18), {"x": x})


@pytest.mark.parametrize("src,dst", [(np.float32, np.int32), (np.int32, np.float32), (np.float16, np.uint16),
                                     (np.int16, np.float16), (np.int8, np.uint8), (np.uint64, np.int64),
                                     (np.uint32, np.float32)])
def test_bitcast_reinterprets_the_bytes(src, dst):
    # the definition of BitCast is numpy's view of the same little-endian bytes
    x = np.frombuffer(RNG.integers(0, 256, size=5 * 3 * np.dtype(src).itemsize, dtype=np.uint8).tobytes(),
                      src).reshape(5, 3)
    if np.dtype(src).kind == "f":
        x = np.where(np.isnan(x), src(1.5), x).astype(src)  # NaN payloads are not compared bit for bit below
    node = helper.make_node("BitCast", ["x"], ["y0"], to=helper.np_dtype_to_tensor_dtype(np.dtype(dst)))
    model = make([node], {"x": (helper.np_dtype_to_tensor_dtype(np.dtype(src)), x.shape)},
                 {"y0": (helper.np_dtype_to_tensor_dtype(np.dtype(dst)), None)}, {}, 26)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["y0"]
    assert got.dtype == dst and got.shape == x.shape
    np.testing.assert_array_equal(got.view(np.uint8), x.view(np.uint8).reshape(got.view(np.uint8).shape))
# ---- SwiGLU (opset 28): its function body, Swish(A, alpha) * B -------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape", [(2, 4), (1,), (3, 5, 130), ()])
@pytest.mark.parametrize("alpha", [None, 0.5, 1.702])
def test_swiglu_vs_onnx_reference(dtype, shape, alpha):
    """onnxruntime has no Swish(24) kernel: onnx's reference evaluator is the oracle."""
    a, b = (np.asarray(RNG.standard_normal(shape) * 3, dtype) for _ in range(2))
    attrs = {} if alpha is None else {"alpha": alpha}
    model = model_of("SwiGLU", {"a": a, "b": b}, attrs, opset=28)
    assert ops_of(import_onnx(model)) == ["Swish", "Mul"]
    tol = 2e-3 if dtype == np.float16 else 1e-5
    check_runtime(model, {"a": a, "b": b}, rtol=tol, atol=tol)


def test_swiglu_shapes_must_match():
    node = helper.make_node("SwiGLU", ["a", "b"], ["y"])
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("a", F, [2, 4]),
                                            helper.make_tensor_value_info("b", F, [1, 4])],
                              [helper.make_tensor_value_info("y", F, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 28)], ir_version=10)
    with pytest.raises(pocketml.PocketMLError, match="same shape"):
        pocketml.convert(model)
