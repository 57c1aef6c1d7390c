"""Helper of the dtype-matrix tests: a one-node ONNX model over inputs of any of pocketml's
dtypes, converted with pocketml.convert and run by the C runtime (1 and 2 threads), compared
with onnxruntime, or with onnx's reference evaluator where onnxruntime has no kernel for the
type (returned, so a test can insist on onnxruntime where it has one)."""
from __future__ import annotations

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
from onnx import helper
from onnx.reference import ReferenceEvaluator

import pocketml

RNG = np.random.default_rng(29)


def small(shape, dtype):
    """Values whose sums and products stay readable: floats in quarter steps, small integers."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.integers(0, 2, size=shape).astype(np.bool_)
    v = RNG.integers(-8, 9, size=shape)
    if dtype.kind == "f":
        return (v * 0.25).astype(dtype)
    return (np.abs(v) if dtype.kind == "u" else v // 2).astype(dtype)


def check_typed(op, feeds, attrs=None, opset=20, n_out=1, rtol=1e-5, atol=1e-6, consts=None):
    """consts: name -> array, initializers after the feeds in the node's inputs (axes, k...);
    an empty name is an absent optional input. Returns the oracle's name ("onnxruntime" or
    "reference")."""
    consts = consts or {}
    node = helper.make_node(op, list(feeds) + list(consts), [f"y{i}" for i in range(n_out)], **(attrs or {}))
    graph = helper.make_graph(
        [node], "t",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for n, a in feeds.items()],
        [helper.make_empty_tensor_value_info(f"y{i}") for i in range(n_out)],
        [onnx.numpy_helper.from_array(np.asarray(a), n) for n, a in consts.items() if n])
    model = onnx.shape_inference.infer_shapes(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10), strict_mode=True)
    try:
        want, who = ort.InferenceSession(model.SerializeToString(),
                                         providers=["CPUExecutionProvider"]).run(None, feeds), "onnxruntime"
    except Exception:  # no onnxruntime kernel for the type
        want, who = ReferenceEvaluator(model).run(None, feeds), "reference"
        # the evaluator widens some integer results (ReduceSumSquare uint32 -> uint64): the type ONNX declares
        types = [helper.tensor_dtype_to_np_dtype(o.type.tensor_type.elem_type) for o in model.graph.output]
        want = [np.asarray(w).astype(t) for w, t in zip(want, types)]
    for threads in (1, 2):
        got = pocketml.Session(pocketml.convert(model), threads=threads).run(feeds)
        for i, w in enumerate(want):
            g, w = got[f"y{i}"], np.asarray(w)
            assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
            if w.dtype.kind == "f":
                tol = (2e-3, 2e-3) if w.dtype == np.float16 else (rtol, atol)
                np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), rtol=tol[0], atol=tol[1])
            else:
                np.testing.assert_array_equal(g, w)
    return who
