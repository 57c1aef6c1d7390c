"""Helpers of the ONNX end-to-end tests: one-node models converted with pocketml.convert and
run by the C runtime, compared with onnxruntime or, where onnxruntime has no kernel for a
type/attribute, onnx's reference evaluator. model_of/check_runtime name the feeds themselves
and run one and two threads; op_model/run_both/close_all take positional inputs i0, i1...
(None: an absent optional input)."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import pocketml

RNG = np.random.default_rng(11)
RNG_N = np.random.default_rng(5)  # randn's stream (also the attention tests' RNG)
F = TensorProto.FLOAT
T = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
     np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
     np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64,
     np.dtype(np.bool_): TensorProto.BOOL, np.dtype(np.int16): TensorProto.INT16,
     np.dtype(np.uint16): TensorProto.UINT16, np.dtype(np.uint32): TensorProto.UINT32,
     np.dtype(np.uint64): TensorProto.UINT64}


def model_of(op, feeds, attrs=None, opset=20, n_out=1):
    names = list(feeds)
    node = helper.make_node(op, names, [f"y{i}" for i in range(n_out)], **(attrs or {}))
    graph = helper.make_graph([node], "t",
                              [helper.make_tensor_value_info(n, T[a.dtype], a.shape) for n, a in feeds.items()],
                              [helper.make_empty_tensor_value_info(f"y{i}") for i in range(n_out)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    import onnx

    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def oracle(model, feeds):
    try:
        return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    except Exception:  # onnxruntime has no kernel for this type/attribute: onnx's reference instead
        return ReferenceEvaluator(model).run(None, feeds)


def check_runtime(model, feeds, rtol=1e-4, atol=1e-5):
    want = oracle(model, feeds)
    for threads in (1, 2):
        got = pocketml.Session(pocketml.convert(model), threads=threads).run(feeds)
        for i, w in enumerate(want):
            g = got[f"y{i}"]
            assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
            if w.dtype.kind == "f":
                np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), rtol=rtol, atol=atol)
            else:
                np.testing.assert_array_equal(g, w)


def values(shape, dtype, low=-3, high=4):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.asarray(RNG.integers(0, 2, size=shape)).astype(np.bool_)
    v = np.asarray(RNG.integers(low, high, size=shape))
    return np.asarray(v + (3 if dtype.kind == "u" else 0), dtype)  # 0-d stays an array


def op_model(op, inputs, n_out=1, opset=23, out_names=None, out_type=F, **attrs):
    """One node of op over inputs i0, i1... (None: an absent optional input), outputs o0, o1... of out_type"""
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    outs = out_names or [f"o{k}" for k in range(n_out)]
    node = helper.make_node(op, names, outs, **attrs)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, T[a.dtype], a.shape)
                                            for n, a in zip(names, inputs) if n],
                              [helper.make_tensor_value_info(o, out_type, None) for o in outs if o])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def run_both(model, inputs, threads=1, oracle="ort"):
    """(pocketml outputs, oracle outputs, converted model) for the inputs of an op_model."""
    feeds = {f"i{k}": a for k, a in enumerate(inputs) if a is not None}
    if oracle == "ort":
        ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    else:  # onnx's reference evaluator, for what onnxruntime does not implement
        ref = ReferenceEvaluator(model).run(None, feeds)
    converted = pocketml.convert(model)
    out = pocketml.Session(converted, threads=threads).run(feeds)
    got = list(out.values()) if isinstance(out, dict) else list(out)
    return got, ref, converted


def close_all(got, ref, rtol=1e-4, atol=1e-5):
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol)


def randn(*shape):
    return RNG_N.standard_normal(shape).astype(np.float32)
