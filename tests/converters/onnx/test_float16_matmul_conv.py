"""float16 MatMul, Gemm, Conv and ConvTranspose against onnxruntime's CPU provider.

onnxruntime computes these by widening to float32, accumulating in float32 and rounding
the result to float16 once; pocketml does the same (native/src/ops/f16_bridge.c), so
results agree to the float16 rounding of sums taken in another order: at most a couple
of float16 ulps, plus a small absolute slack where a sum cancels to near zero. Shapes
are awkward on purpose (M, N, K off the 16-wide tiles, batch broadcasting, every Gemm
broadcast of c, Conv pads/strides/dilations/groups); weights come both as graph inputs
(widened per run) and as initializers (widened and packed once per session).
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx import import_onnx
from pocketml.reference import run_graph

RNG = np.random.default_rng(16)
H = TensorProto.FLOAT16


def f16(*shape, scale=1.0):
    return np.asarray(RNG.standard_normal(shape) * scale).astype(np.float16)  # 0-d stays an array


def model(nodes, feeds, inits, outputs=("y",), opset=20):
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info(n, H, a.shape) for n, a in feeds.items()],
                              [helper.make_empty_tensor_value_info(o) for o in outputs],
                              [numpy_helper.from_array(a, n) for n, a in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    return onnx.shape_inference.infer_shapes(m, strict_mode=True)


def assert_f16_matches(got, want, ulps=2, atol=1e-4):
    assert got.dtype == np.float16 and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    g, w = got.astype(np.float32), want.astype(np.float32)
    limit = ulps * np.spacing(np.abs(want)).astype(np.float32) + atol
    bad = np.abs(g - w) > limit
    assert not bad.any(), f"{bad.sum()} of {bad.size} differ; worst {np.abs(g - w).max()} (got {g[bad][:4]}, want {w[bad][:4]})"


def check(m, feeds, **tol):
    """The C runtime (threads 1 and 2) and the registry's numpy references (what constant
    folding runs) against onnxruntime."""
    want = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    names = [o.name for o in m.graph.output]
    converted = pocketml.convert(m)
    for threads in (1, 2):
        got = pocketml.Session(converted, threads=threads).run(feeds)
        for name, w in zip(names, want):
            assert_f16_matches(got[name], w, **tol)
    graph = import_onnx(m)
    ref = run_graph(graph, {k: v for k, v in feeds.items() if k in graph.inputs})
    for name, w in zip(names, want):
        assert_f16_matches(np.asarray(ref[name]), w, **tol)
    return converted


def one_node(op, inputs, consts=(), opset=20, **attrs):
    """op over inputs (name -> array); names in consts become initializers."""
    feeds = {n: a for n, a in inputs.items() if n not in consts}
    inits = {n: a for n, a in inputs.items() if n in consts}
    return model([helper.make_node(op, list(inputs), ["y"], **attrs)], feeds, inits, opset=opset), feeds


# ---- MatMul ------------------------------------------------------------------------------------

@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 15, 17), (5, 16, 16), (7, 17, 33), (13, 127, 13), (2, 300, 5),
                                   (17, 1000, 3)])
@pytest.mark.parametrize("b_const", [False, True])
def test_matmul(m, k, n, b_const):
    check(*one_node("MatMul", {"a": f16(m, k), "b": f16(k, n)}, consts=("b",) if b_const else ()))


@pytest.mark.parametrize("sa,sb", [((2, 1, 5, 7), (3, 7, 9)), ((4, 6, 17), (4, 17, 3)), ((7,), (2, 7, 4)),
                                   ((3, 5, 7), (7,)), ((1, 3, 6), (2, 1, 6, 18))])
@pytest.mark.parametrize("b_const", [False, True])
def test_matmul_batch_broadcast(sa, sb, b_const):
    check(*one_node("MatMul", {"a": f16(*sa), "b": f16(*sb)}, consts=("b",) if b_const else ()))


# ---- Gemm -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("c_shape", [None, (), (19,), (1, 19), (6, 1), (6, 19)])
def test_gemm(ta, tb, c_shape):
    m, k, n = 6, 21, 19
    ins = {"a": f16(k, m) if ta else f16(m, k), "b": f16(n, k) if tb else f16(k, n)}
    if c_shape is not None:
        ins["c"] = f16(*c_shape)
    attrs = dict(transA=ta, transB=tb, alpha=0.7, beta=1.3)
    check(*one_node("Gemm", ins, opset=13, **attrs))
    check(*one_node("Gemm", ins, consts=("b", "c"), opset=13, **attrs))  # packed once, beta*c folded


# ---- Conv / ConvTranspose -------------------------------------------------------------------------

CONVS = [  # x NCHW, w OIHW, attributes
    ((1, 3, 7, 9), (5, 3, 3, 3), {}),
    ((2, 5, 11, 13), (6, 5, 3, 3), {"pads": [1, 0, 1, 2]}),
    ((1, 4, 12, 10), (17, 4, 3, 2), {"strides": [2, 3], "pads": [1, 1, 0, 0]}),
    ((1, 3, 13, 13), (4, 3, 3, 3), {"dilations": [2, 3], "pads": [2, 2, 2, 2]}),
    ((2, 6, 9, 8), (4, 3, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    ((1, 17, 10, 9), (17, 1, 3, 3), {"group": 17, "pads": [1, 1, 1, 1], "strides": [2, 1]}),  # depthwise
    ((1, 8, 6, 7), (16, 1, 5, 5), {"group": 8, "auto_pad": "SAME_UPPER"}),  # depthwise, multiplier 2
    ((1, 16, 5, 5), (33, 16, 1, 1), {}),  # 1x1: x read in place
    ((2, 3, 20), (7, 3, 5), {"pads": [2, 1], "strides": [2]}),  # 1-D
]


@pytest.mark.parametrize("xs,ws,attrs", CONVS)
@pytest.mark.parametrize("w_const", [False, True])
def test_conv(xs, ws, attrs, w_const):
    ins = {"x": f16(*xs), "w": f16(*ws, scale=0.5), "b": f16(ws[0])}
    check(*one_node("Conv", ins, consts=("w", "b") if w_const else (), **attrs))


@pytest.mark.parametrize("xs,ws,attrs", [
    ((1, 3, 5, 6), (3, 4, 3, 3), {"strides": [2, 2]}),
    ((2, 4, 4, 5), (4, 3, 3, 2), {"strides": [2, 1], "pads": [1, 0, 0, 1], "output_padding": [1, 0]}),
    ((1, 6, 5, 5), (6, 2, 3, 3), {"group": 3, "dilations": [2, 1]}),
    ((1, 5, 9), (5, 17, 4), {"strides": [3]}),  # 1-D
])
@pytest.mark.parametrize("w_const", [False, True])
def test_conv_transpose(xs, ws, attrs, w_const):
    ins = {"x": f16(*xs), "w": f16(*ws, scale=0.5), "b": f16(ws[1] * attrs.get("group", 1))}
    check(*one_node("ConvTranspose", ins, consts=("w", "b") if w_const else (), **attrs))


# ---- fused epilogues ---------------------------------------------------------------------------------

def test_conv_residual_relu_fuses():
    """Conv -> Add(another Conv's output) -> Relu: the Add and Relu become the later Conv's
    residual and activation, computed in float32 before its one rounding."""
    x, w, b, w2 = f16(1, 4, 8, 8), f16(6, 4, 3, 3, scale=0.5), f16(6), f16(6, 4, 1, 1)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w2"], ["r"]),
             helper.make_node("Add", ["c", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])]
    # onnxruntime rounds each conv to float16 before the Add: the fused node differs from it by
    # up to half an ulp of the convs' values (|c| < 8 here), not of the sum's
    converted = check(model(nodes, {"x": x}, {"w": w, "b": b, "w2": w2}), {"x": x}, atol=2e-3)
    convs = [n for n in converted.graph.nodes if n.op != "Transpose"]
    assert [n.op for n in convs] == ["Conv", "Conv"] and convs[1].inputs[3] and convs[1].attrs["act"] == 1


@pytest.mark.parametrize("act", ["Relu", "Sigmoid", "Tanh"])
def test_gemm_activation_fuses(act):
    a, b, c = f16(9, 23), f16(23, 18, scale=0.3), f16(18)
    nodes = [helper.make_node("Gemm", ["a", "b", "c"], ["g"], alpha=0.5), helper.make_node(act, ["g"], ["y"])]
    converted = check(model(nodes, {"a": a}, {"b": b, "c": c}, opset=13), {"a": a})
    assert [n.op for n in converted.graph.nodes] == ["Gemm"]


def test_mixed_dtypes_rejected():
    """A float16 a with a float32 b is not a model: the import names node, op and dtypes."""
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("a", H, (2, 3)),
                                            helper.make_tensor_value_info("b", TensorProto.FLOAT, (3, 4))],
                              [helper.make_tensor_value_info("y", H, (2, 4))])
    with pytest.raises(Exception, match=r"MatMul"):
        pocketml.convert(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], ir_version=9))
