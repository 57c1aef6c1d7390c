"""Empty tensors in the kernels UBSan found undefined behaviour in (tests/test_sanitizers.py runs
this file against the sanitizer library): recurrent ops at batch 0, MatMul and Gemm with an
empty inner dim (K = 0: the output is all bias, or zeros), Conv and ConvTranspose with an
empty batch, a reduction with an empty output. Against onnxruntime where it runs the case; at batch 0
it aborts the process for LSTM and GRU (std::terminate), so there the oracle is the ONNX spec's
output shapes, and the same session must then still match onnxruntime at batch 2.
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml

ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(7)
F = TensorProto.FLOAT
HIDDEN, INPUT, SEQ = 5, 3, 4
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def model(node, inputs: dict, inits: dict, outputs: list):
    graph = helper.make_graph([node], node.op_type,
                              [helper.make_tensor_value_info(n, F, s) for n, s in inputs.items()],
                              [helper.make_tensor_value_info(o, F, None) for o in outputs],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def ort_run(proto, feeds):
    return ort.InferenceSession(proto.SerializeToString()).run(None, feeds)


def check(got: list, want: list):
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def recurrent(op: str, direction: str):
    dirs = 2 if direction == "bidirectional" else 1
    outs = ["y", "yh"] + (["yc"] if op == "LSTM" else [])
    node = helper.make_node(op, ["x", "W", "R", "B"], outs, hidden_size=HIDDEN, direction=direction)
    inits = {"W": rand(dirs, GATES[op] * HIDDEN, INPUT), "R": rand(dirs, GATES[op] * HIDDEN, HIDDEN),
             "B": rand(dirs, 2 * GATES[op] * HIDDEN)}
    return model(node, {"x": ["S", "N", INPUT]}, inits, outs), dirs


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_recurrent_with_batch_zero(op, direction):
    proto, dirs = recurrent(op, direction)
    session = pocketml.Session(pocketml.convert(proto))
    empty = {"x": np.zeros((SEQ, 0, INPUT), np.float32)}
    got = session.run(None, empty)
    assert [g.shape for g in got] == [(SEQ, dirs, 0, HIDDEN)] + [(dirs, 0, HIDDEN)] * (len(got) - 1)
    if op == "RNN":  # the one onnxruntime runs at batch 0
        check(got, ort_run(proto, empty))
    feeds = {"x": rand(SEQ, 2, INPUT)}  # and the same session after it
    check(session.run(None, feeds), ort_run(proto, feeds))


def test_matmul_with_empty_inner_dim_is_zeros():
    proto = model(helper.make_node("MatMul", ["x", "w"], ["y"]), {"x": ["N", 0]}, {"w": rand(0, 4)}, ["y"])
    feeds = {"x": np.zeros((3, 0), np.float32)}
    got = pocketml.Session(pocketml.convert(proto)).run(None, feeds)
    check(got, ort_run(proto, feeds))
    assert not got[0].any()


@pytest.mark.parametrize("trans_a", [0, 1])
def test_gemm_with_empty_inner_dim_is_the_bias(trans_a):
    node = helper.make_node("Gemm", ["x", "w", "c"], ["y"], transA=trans_a, transB=1, beta=0.5)
    x_shape = [0, "N"] if trans_a else ["N", 0]
    proto = model(node, {"x": x_shape}, {"w": rand(4, 0), "c": rand(4)}, ["y"])
    feeds = {"x": np.zeros((0, 3) if trans_a else (3, 0), np.float32)}
    check(pocketml.Session(pocketml.convert(proto)).run(None, feeds), ort_run(proto, feeds))


@pytest.mark.parametrize("op, w_shape, attrs", [
    ("Conv", (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}),
    ("Conv", (4, 3, 1, 1), {}),  # pointwise: the plain GEMM path
    ("Conv", (3, 1, 3, 3), {"group": 3, "pads": [1, 1, 1, 1]}),  # depthwise
    ("ConvTranspose", (3, 2, 3, 3), {"strides": [2, 2]}),
])
@pytest.mark.parametrize("batch", [0, 2])
def test_conv_with_an_empty_batch(op, w_shape, attrs, batch):
    node = helper.make_node(op, ["x", "w", "b"], ["y"], **attrs)
    b = rand(w_shape[1] * attrs.get("group", 1) if op == "ConvTranspose" else w_shape[0])
    proto = model(node, {"x": ["N", 3, 6, 6]}, {"w": rand(*w_shape), "b": b}, ["y"])
    session = pocketml.Session(pocketml.convert(proto))
    for n in (batch, 1, batch):  # empty before and after a non-empty plan of the same session
        feeds = {"x": rand(n, 3, 6, 6)}
        check(session.run(None, feeds), ort_run(proto, feeds))


def test_reduce_log_sum_exp_with_an_empty_output():
    node = helper.make_node("ReduceLogSumExp", ["x"], ["y"], axes=[1], keepdims=0)
    proto = model(node, {"x": ["N", 4]}, {}, ["y"])
    feeds = {"x": np.zeros((0, 4), np.float32)}
    check(pocketml.Session(pocketml.convert(proto)).run(None, feeds), ort_run(proto, feeds))
