"""Residual Add and PRelu fusion into Conv (passes/fuse_conv_residual.py):
numpy references before/after, and end to end against onnxruntime."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml import ops
from pocketml.passes import fuse_conv_residual, optimize
from pocketml.runtime import Session

from .helpers import Builder, check, counts, rand


def conv(b, x, cin=4, cout=4):
    return b.op("Conv", x, b.const(rand(cout, 3, 3, cin)), b.const(rand(cout)), pads=[1, 1, 1, 1])


@pytest.mark.parametrize("conv_first", [True, False])
def test_add_then_prelu_become_one_conv(conv_first):
    b = Builder()
    x = b.input("x", (1, 6, 6, 4))
    c = conv(b, x)
    s = b.op("Add", c, x) if conv_first else b.op("Add", x, c)
    y = b.op("PRelu", s, b.const(rand(1, 1, 4)))
    g = b.output(y)
    out = check(g, fuse_conv_residual)  # one pass: the PRelu sees the Conv that took over the Add
    assert counts(out) == {"Conv": 1}
    node = out.nodes[0]
    assert node.inputs[3] == "x" and node.attrs["act"] == ops.ACT_PRELU
    assert out.values[node.inputs[4]].const.shape == (4,)


def test_add_keeps_its_activation_and_later_conv_takes_the_sum():
    b = Builder()
    x = b.input("x", (1, 5, 5, 4))
    c1, c2 = conv(b, x), conv(b, x)
    y = b.op("Add", c1, c2, act=ops.ACT_RELU)
    g = b.output(y)
    out = check(g, fuse_conv_residual)
    fused = [n for n in out.nodes if len(n.inputs) > 3]
    assert len(fused) == 1 and fused[0].attrs["act"] == ops.ACT_RELU and counts(out) == {"Conv": 2}


def test_scalar_slope_broadcasts_to_channels():
    b = Builder()
    x = b.input("x", (1, 5, 5, 4))
    y = b.op("PRelu", conv(b, x), b.const(np.array([0.2], np.float32)))
    out = check(b.output(y), fuse_conv_residual)
    assert counts(out) == {"Conv": 1}


@pytest.mark.parametrize("case", ["two_readers", "graph_output", "broadcast_add", "spatial_slope",
                                  "conv_transpose", "has_act"])
def test_not_fused(case):
    b = Builder()
    x = b.input("x", (1, 5, 5, 4))
    if case == "conv_transpose":
        c = b.op("ConvTranspose", x, b.const(rand(4, 3, 3, 4)), b.const(rand(4)), pads=[1, 1, 1, 1])
    else:
        c = conv(b, x)
    if case == "has_act":
        b.g.nodes[-1].attrs["act"] = ops.ACT_RELU
    outs = []
    if case == "broadcast_add":
        y = b.op("Add", c, b.const(rand(4)))
    elif case == "spatial_slope":
        y = b.op("PRelu", c, b.const(rand(5, 1, 1)))
    else:
        y = b.op("Add", c, x)
    if case == "two_readers":
        outs.append(b.op("Relu", c))
    if case == "graph_output":
        outs.append(c)
    g = b.output(y, *outs)
    check(g, fuse_conv_residual, expect_change=False)


def _onnx_residual_block(c=8, h=10):
    rng = np.random.default_rng(3)
    init = [numpy_helper.from_array(rng.standard_normal((c, c, 3, 3)).astype(np.float32) * 0.2, "w"),
            numpy_helper.from_array(rng.standard_normal(c).astype(np.float32), "b"),
            numpy_helper.from_array(rng.uniform(0.05, 0.3, (c, 1, 1)).astype(np.float32), "slope")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c", "x"], ["s"]),
             helper.make_node("PRelu", ["s", "slope"], ["y"])]
    graph = helper.make_graph(nodes, "block", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, h])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c, h, h])], init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_onnx_residual_prelu_block_matches_onnxruntime():
    proto = _onnx_residual_block()
    model = pocketml.convert(proto)
    assert counts(model.graph)["Conv"] == 1 and "Add" not in counts(model.graph)
    assert "PRelu" not in counts(model.graph)
    x = np.random.default_rng(4).standard_normal((1, 8, 10, 10)).astype(np.float32)
    expected = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    got = Session(model.to_bytes()).run({"x": x})["y"]
    np.testing.assert_allclose(got, expected[0], rtol=1e-4, atol=1e-5)


def test_fold_bn_does_not_scale_a_residual():
    b = Builder()
    x = b.input("x", (1, 5, 5, 4))
    s = b.op("Add", conv(b, x), x)
    y = b.op("ScaleShift", s, b.const(rand(4, low=0.5, high=2.0)), b.const(rand(4)))
    g = b.output(y)
    check(g, optimize, expect_change=None)  # outputs must match: a folded scale would miss the residual
