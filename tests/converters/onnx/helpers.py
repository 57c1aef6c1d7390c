"""Helpers of the ONNX importer tests: build small models with onnx.helper, import them, run the
IR with the registry's numpy references (pocketml.reference.run_graph) and compare with
onnxruntime, the independent oracle."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from pocketml.converters.onnx import import_onnx

from pocketml.reference import run_graph

RNG = np.random.default_rng(1)
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


def make(nodes, inputs, outputs, inits=None, opset=17):
    """inputs/outputs: {name: (elem_type, shape)} (shape None = unknown); inits: {name: array}."""
    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in inputs.items()],
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in outputs.items()],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    return onnx.shape_inference.infer_shapes(model)  # fills the output shapes the checker wants


def one_node(op, feeds, attrs=None, inits=None, opset=17, n_out=1, extra_inputs=(), out_type=F):
    """A model of one node reading the feeds (in order) then the initializers (in order)."""
    inits = dict(inits or {})
    names = list(feeds) + list(extra_inputs) + list(inits)
    outs = [f"y{k}" for k in range(n_out)]
    node = helper.make_node(op, names, outs, name=f"my_{op.lower()}", **(attrs or {}))
    ins = {n: (helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for n, a in feeds.items()}
    return make([node], ins, {o: (out_type, None) for o in outs}, inits, opset)


def check(model, feeds, rtol=1e-4, atol=1e-5, **kw):
    """Import, run the IR reference and onnxruntime, compare every output; return the IR graph."""
    graph = import_onnx(model, **kw)
    got = run_graph(graph, {k: v for k, v in feeds.items() if k in graph.inputs})
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    expect = sess.run(None, feeds)
    assert graph.outputs == [o.name for o in model.graph.output]
    for name, e in zip(graph.outputs, expect):
        assert got[name].dtype == e.dtype and got[name].shape == e.shape, (name, got[name].shape, e.shape)
        np.testing.assert_allclose(got[name], e, rtol=rtol, atol=atol, err_msg=name)
    return graph


def ops_of(graph):
    return [n.op for n in graph.nodes]
