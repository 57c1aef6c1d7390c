"""Zero-size dims at run time: a symbolic batch of 0 runs and returns empty
outputs, against onnxruntime, for single ops of the usual families, a small
CNN, light_squeezenet and the exported RNN; where onnxruntime refuses (the
TorchScript encoder's Reshape(-1) of nothing) pocketml refuses too, with an
error naming the node."""
from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.errors import RuntimeFailure

ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(0)
F, I64 = TensorProto.FLOAT, TensorProto.INT64
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def i64(*values):
    return np.array(values, np.int64)


def one_op(op, shape, inits=None, x_type=F, y_type=F, n_out=1, **attrs):
    """x[shape] (first dim symbolic "N") -> op(x, *inits) -> y (and y1.. when n_out > 1)."""
    inits = inits or {}
    outs = ["y"] + [f"y{k}" for k in range(1, n_out)]
    node = helper.make_node(op, ["x", *inits], outs, **attrs)
    graph = helper.make_graph([node], op, [helper.make_tensor_value_info("x", x_type, ["N", *shape])],
                              [helper.make_tensor_value_info(o, y_type if o == "y" else I64, None) for o in outs],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


OPS = {  # name: (op, shape without the batch dim, initializers, attributes, keywords of one_op)
    "Conv": ("Conv", [3, 8, 8], {"w": rand(4, 3, 3, 3), "b": rand(4)}, {"pads": [1, 1, 1, 1]}),
    "Conv depthwise": ("Conv", [3, 8, 8], {"w": rand(3, 1, 3, 3)}, {"group": 3, "pads": [1, 1, 1, 1]}),
    "ConvTranspose": ("ConvTranspose", [3, 4, 4], {"w": rand(3, 2, 3, 3)}, {"strides": [2, 2]}),
    "MaxPool": ("MaxPool", [3, 8, 8], {}, {"kernel_shape": [2, 2]}),
    "AveragePool": ("AveragePool", [3, 8, 8], {}, {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    "BatchNormalization": ("BatchNormalization", [3, 4, 4],
                           {"s": rand(3), "b": rand(3), "m": rand(3), "v": np.abs(rand(3)) + 1}, {}),
    "LayerNormalization": ("LayerNormalization", [7, 16], {"s": rand(16), "b": rand(16)}, {"axis": -1}),
    "InstanceNormalization": ("InstanceNormalization", [3, 4, 4], {"s": rand(3), "b": rand(3)}, {}),
    "Gemm": ("Gemm", [16], {"w": rand(4, 16), "b": rand(4)}, {"transB": 1}),
    "MatMul": ("MatMul", [5, 16], {"w": rand(16, 4)}, {}),
    "Transpose": ("Transpose", [3, 4, 5], {}, {"perm": [0, 2, 3, 1]}),
    "Softmax": ("Softmax", [10], {}, {"axis": 1}),
    "Concat": ("Concat", [10], {"c": rand(0, 10)}, {"axis": 0}),
    "ReduceMean": ("ReduceMean", [10], {}, {"axes": [1], "keepdims": 0}),
    "ReduceSum over the batch": ("ReduceSum", [10], {"axes": i64(0)}, {"keepdims": 0}),
    "Resize": ("Resize", [3, 4, 4], {"roi": np.zeros(0, np.float32), "sc": np.array([1, 1, 2, 2], np.float32)},
               {"mode": "nearest"}),
    "Reshape": ("Reshape", [3, 4], {"shape": i64(0, 12)}, {}),
    "Slice": ("Slice", [10], {"st": i64(2), "en": i64(5), "ax": i64(1)}, {}),
    "Pad": ("Pad", [10], {"p": i64(0, 1, 0, 1)}, {}),
    "Add broadcast": ("Add", [1, 10], {"c": rand(4, 10)}, {}),
    "CumSum": ("CumSum", [10], {"ax": np.array(1, np.int64)}, {}),
    "ArgMax": ("ArgMax", [10], {}, {"axis": 1}, {"y_type": I64}),
    "TopK": ("TopK", [10], {"k": i64(3)}, {"axis": 1}, {"n_out": 2}),
    "Gather": ("Gather", [5], {}, {}, {"x_type": I64}),
}


def check_against_onnxruntime(proto: onnx.ModelProto, feeds: dict, session=None) -> None:
    want = ort.InferenceSession(proto.SerializeToString()).run(None, feeds)
    session = session or pocketml.Session(pocketml.convert(proto))
    got = session.run(None, feeds)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", OPS)
def test_one_op_with_batch_zero(name):
    op, shape, inits, attrs, *kw = OPS[name]
    kw = kw[0] if kw else {}
    if op == "Gather":  # the table is the initializer, the batch the indices
        proto = one_op(op, shape, **kw)
        proto.graph.initializer.append(numpy_helper.from_array(rand(10, 4), "table"))
        proto.graph.node[0].input[:] = ["table", "x"]
    else:
        proto = one_op(op, shape, inits, **kw, **attrs)
    session = pocketml.Session(pocketml.convert(proto))
    for batch in (0, 2, 0):  # empty after non-empty too: the plan cache keeps both
        x = RNG.integers(0, 10, (batch, *shape)) if kw.get("x_type") == I64 else rand(batch, *shape)
        check_against_onnxruntime(proto, {"x": x}, session)


def test_small_cnn_with_batch_zero():
    w, g = rand(8, 3, 3, 3), rand(8, 5)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]), helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("MatMul", ["f", "g"], ["m"]), helper.make_node("Softmax", ["m"], ["y"], axis=-1)]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", F, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("y", F, ["N", 5])],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(g, "g")])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = pocketml.Session(pocketml.convert(proto))
    for batch in (0, 3):
        check_against_onnxruntime(proto, {"x": rand(batch, 3, 8, 8)}, session)
    assert session.run({"x": rand(0, 3, 8, 8)})["y"].shape == (0, 5)


def test_light_squeezenet_with_batch_zero():
    proto = onnx.load(os.path.join(LIGHT, "light_squeezenet.onnx"))
    inits = {t.name for t in proto.graph.initializer}
    (x,) = [i for i in proto.graph.input if i.name not in inits]
    for value in (x, *proto.graph.output):  # make the batch symbolic
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    del proto.graph.value_info[:]
    session = pocketml.Session(pocketml.convert(proto))
    for batch in (0, 1):
        check_against_onnxruntime(proto, {x.name: RNG.random((batch, 3, 224, 224), dtype=np.float32)}, session)


def test_exported_rnn_with_batch_zero():
    """onnxruntime aborts the process on this one (std::terminate), so the oracle is the shape."""
    session = pocketml.Session(pocketml.convert(os.path.join(FIXTURES, "rnn_torchscript.onnx")))
    (features,) = session.inputs
    out = session.run({features.name: np.zeros((0, 16, features.shape[-1]), np.float32)})
    assert [v.shape for v in out.values()] == [(0, 16, 12), (0, 12)]


def test_encoder_with_batch_zero_is_refused_like_onnxruntime():
    path = os.path.join(FIXTURES, "encoder_torchscript.onnx")
    feeds = {"input_ids": np.zeros((0, 16), np.int64), "attention_mask": np.ones((0, 16), np.int64)}
    with pytest.raises(Exception, match="Reshape"):
        ort.InferenceSession(path).run(None, feeds)
    with pytest.raises(RuntimeFailure, match=r"node '.*' \(Reshape\): cannot infer the -1 dim: input \[0,16\] has 0 "
                                         r"elements"):
        pocketml.Session(pocketml.convert(path)).run(feeds)


@pytest.mark.xfail(strict=True, raises=RuntimeFailure, reason="the ONNX importer lowers Unsqueeze of [batch, seq] to Reshape with a -1 "
                                       "(converters/onnx/context.py reshape_attrs), which cannot be inferred from 0 "
                                       "elements; onnxruntime runs this model at batch 0")
def test_dynamo_encoder_with_batch_zero():
    path = os.path.join(FIXTURES, "encoder_dynamo.onnx")
    feeds = {"input_ids": np.zeros((0, 16), np.int64), "attention_mask": np.ones((0, 16), np.int64)}
    check_against_onnxruntime(onnx.load(path), feeds)
