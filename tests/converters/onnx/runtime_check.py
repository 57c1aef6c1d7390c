"""Helpers of the ONNX end-to-end tests: a one-node model of given feeds, converted with
pocketml.convert and run by the C runtime (one and two threads), compared with onnxruntime or,
where onnxruntime has no kernel for a type/attribute, onnx's reference evaluator."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import pocketml

RNG = np.random.default_rng(11)
T = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
     np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
     np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64,
     np.dtype(np.bool_): TensorProto.BOOL}


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
