"""GELU recognition: exported erf / tanh GELU subgraphs -> one Gelu node."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

import pocketml
from pocketml import ops
from pocketml.passes import fuse_gelu, optimize
from pocketml.reference import run_graph

from .helpers import Builder, check, counts, rand
from pocketml.shape_inference import infer_shapes

SQRT2 = math.sqrt(2.0)
FIXTURE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def f32(value, cshape):
    return np.full(cshape, value, dtype=np.float32)


def gelu_erf(b: Builder, x: str, scale="div", add="right", tail="xt*h", cshape=(), sqrt2=SQRT2) -> str:
    """x * 0.5 * (1 + erf(x / sqrt2)) in one of the orderings exporters write."""
    c = lambda v: b.const(f32(v, cshape))  # noqa: E731
    u = {"div": lambda: b.op("Div", x, c(sqrt2)),
         "mul": lambda: b.op("Mul", x, c(1.0 / sqrt2)),
         "cmul": lambda: b.op("Mul", c(1.0 / sqrt2), x)}[scale]()
    e = b.op("Erf", u)
    t = b.op("Add", e, c(1.0)) if add == "right" else b.op("Add", c(1.0), e)
    return _tail(b, x, t, tail, c)


def _tail(b: Builder, x: str, t: str, tail: str, c) -> str:
    """x * 0.5 * t: which two are multiplied first ("xt", "xh", "th") and operand order."""
    return {"xt*h": lambda: b.op("Mul", b.op("Mul", x, t), c(0.5)),
            "h*tx": lambda: b.op("Mul", c(0.5), b.op("Mul", t, x)),
            "xh*t": lambda: b.op("Mul", b.op("Mul", x, c(0.5)), t),
            "t*hx": lambda: b.op("Mul", t, b.op("Mul", c(0.5), x)),
            "x*th": lambda: b.op("Mul", x, b.op("Mul", t, c(0.5))),
            "ht*x": lambda: b.op("Mul", b.op("Mul", c(0.5), t), x)}[tail]()


def gelu_tanh(b: Builder, x: str, cube="pow", tail="xh*t", cshape=()) -> str:
    """0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))."""
    c = lambda v: b.const(f32(v, cshape))  # noqa: E731
    x3 = {"pow": lambda: b.op("Pow", x, c(3.0)),
          "x*xx": lambda: b.op("Mul", x, b.op("Mul", x, x)),
          "xx*x": lambda: b.op("Mul", b.op("Mul", x, x), x)}[cube]()
    inner = b.op("Mul", c(math.sqrt(2.0 / math.pi)), b.op("Add", x, b.op("Mul", c(0.044715), x3)))
    return _tail(b, x, b.op("Add", c(1.0), b.op("Tanh", inner)), tail, c)


def feeds(shape=(2, 3, 8)):
    return {"x": rand(*shape, low=-4.0, high=4.0)}


def assert_single_gelu(after, out, approximate):
    assert counts(after) == {"Gelu": 1}
    (node,) = after.nodes
    assert node.inputs == ["x"] and node.outputs == [out] and node.attrs["approximate"] == approximate


TAILS = ["xt*h", "h*tx", "xh*t", "t*hx", "x*th", "ht*x"]


@pytest.mark.parametrize("cshape", [(), (1,)])
@pytest.mark.parametrize("tail", TAILS)
@pytest.mark.parametrize("add", ["left", "right"])
@pytest.mark.parametrize("scale", ["div", "mul", "cmul"])
def test_erf_gelu_orderings_fuse(scale, add, tail, cshape):
    b = Builder()
    x = b.input("x", (2, 3, 8))
    out = gelu_erf(b, x, scale, add, tail, cshape)
    g = b.output(out)
    assert len(g.nodes) == 5
    f = feeds()
    after = check(g, fuse_gelu, feeds=f)
    assert_single_gelu(after, out, "none")
    # the oracle: numpy's exact GELU
    want = 0.5 * f["x"] * (1.0 + np.vectorize(math.erf)(f["x"].astype(np.float64) / SQRT2))
    np.testing.assert_allclose(run_graph(after, f)[out], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tail", ["xh*t", "xt*h", "x*th"])
@pytest.mark.parametrize("cube", ["pow", "x*xx", "xx*x"])
def test_tanh_gelu_fuses(cube, tail):
    b = Builder()
    x = b.input("x", (4, 16))
    out = gelu_tanh(b, x, cube, tail, cshape=(1,))
    g = b.output(out)
    f = feeds((4, 16))
    after = check(g, fuse_gelu, feeds=f)
    assert_single_gelu(after, out, "tanh")
    v = f["x"].astype(np.float64)
    want = 0.5 * v * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v ** 3)))
    np.testing.assert_allclose(run_graph(after, f)[out], want, rtol=1e-5, atol=1e-6)


def test_rounded_constants_fuse_but_other_constants_do_not():
    b = Builder()
    x = b.input("x", (2, 8))
    g = b.output(gelu_erf(b, x, sqrt2=1.4142135 * (1 + 5e-7)))
    assert counts(check(g, fuse_gelu, feeds=feeds((2, 8)))) == {"Gelu": 1}
    b = Builder()
    x = b.input("x", (2, 8))
    g = b.output(gelu_erf(b, x, sqrt2=1.41))
    check(g, fuse_gelu, feeds=feeds((2, 8)), expect_change=False)


def _intermediates(g, out):
    return [n.outputs[0] for n in g.nodes if n.outputs[0] != out]


@pytest.mark.parametrize("form", ["erf", "tanh"])
@pytest.mark.parametrize("tail", ["xt*h", "xh*t", "x*th"])
def test_not_fused_when_an_intermediate_has_another_consumer(form, tail):
    b = Builder()
    x = b.input("x", (2, 8))
    out = gelu_erf(b, x, tail=tail) if form == "erf" else gelu_tanh(b, x, "x*xx", tail)
    for inter in _intermediates(b.g, out):
        g = b.g.copy()
        extra = g.unique_name("neg")
        g.add_node("Neg", [inter], [extra])
        g.outputs.extend([out, extra])
        infer_shapes(g)
        check(g, fuse_gelu, feeds=feeds((2, 8)), expect_change=False)


def test_not_fused_when_an_intermediate_is_a_graph_output():
    b = Builder()
    x = b.input("x", (2, 8))
    out = gelu_erf(b, x)
    for inter in _intermediates(b.g, out):
        g = b.g.copy()
        g.outputs.extend([out, inter])
        infer_shapes(g)
        check(g, fuse_gelu, feeds=feeds((2, 8)), expect_change=False)


def test_not_fused_when_the_constant_broadcasts_x_up():
    b = Builder()
    x = b.input("x", (8,))
    g = b.output(gelu_erf(b, x, cshape=(1, 1)))  # the result is [1, 8], not x's [8]
    check(g, fuse_gelu, feeds=feeds((8,)), expect_change=False)


def test_two_gelus_in_a_row_both_fuse():
    b = Builder()
    x = b.input("x", (2, 8))
    out = gelu_tanh(b, gelu_erf(b, x, tail="h*tx"), "pow", "t*hx")
    after = check(b.output(out), fuse_gelu, feeds=feeds((2, 8)))
    assert [n.attrs["approximate"] for n in after.nodes] == ["none", "tanh"]


@pytest.mark.parametrize("form", ["erf", "tanh"])
def test_pipeline_fuses_the_gelu_into_the_matmul_bias_add(form):
    b = Builder()
    x = b.input("x", (2, 5, 16))
    h = b.op("Add", b.op("MatMul", x, b.const(rand(16, 32))), b.const(rand(32)))
    out = gelu_erf(b, h, "div", "right", "xt*h") if form == "erf" else gelu_tanh(b, h)
    g = b.output(b.op("MatMul", out, b.const(rand(32, 16))))
    after = check(g, lambda graph: optimize(graph) is graph, feeds=feeds((2, 5, 16)))
    assert not {"Erf", "Tanh", "Gelu", "Pow", "Div"} & set(counts(after))
    kind = ops.ACT_GELU_ERF if form == "erf" else ops.ACT_GELU_TANH
    assert [n.attrs.get("act") for n in after.nodes].count(kind) == 1


def test_encoder_torchscript_fixture_has_no_erf_and_matches_onnxruntime():
    model = pocketml.convert(os.path.join(FIXTURE_DIR, "encoder_torchscript.onnx"))
    ops_left = counts(model.graph)
    assert "Erf" not in ops_left and "Gelu" not in ops_left  # fused as an activation
    assert sum(n.attrs.get("act") == ops.ACT_GELU_ERF for n in model.graph.nodes) == 2
    data = np.load(os.path.join(FIXTURE_DIR, "encoder_torchscript.npz"))
    with pocketml.Session(model) as session:
        got = session.run({k: data[f"in/{k}/1x128"] for k in ("input_ids", "attention_mask")})
    for out in ("last_hidden_state", "pooler_output"):
        np.testing.assert_allclose(got[out], data[f"out/{out}/1x128"], rtol=1e-4, atol=1e-5, err_msg=out)
