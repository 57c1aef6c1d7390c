"""Activation fusion into producers carrying act/act_alpha/act_beta."""
from __future__ import annotations

import pytest

from pocketml import ops
from pocketml.passes import fuse_activations

from .helpers import Builder, check, counts, rand

ACTIVATIONS = [
    ("Relu", {}, ops.ACT_RELU),
    ("Clip", {"min": 0.0, "max": 6.0}, ops.ACT_CLIP),
    ("Clip", {"min": 0.0}, ops.ACT_RELU),
    ("Clip", {"min": -0.5, "max": 0.25}, ops.ACT_CLIP),
    ("Sigmoid", {}, ops.ACT_SIGMOID),
    ("HardSwish", {}, ops.ACT_HARDSWISH),
    ("LeakyRelu", {"alpha": 0.1}, ops.ACT_LEAKY_RELU),
    ("Tanh", {}, ops.ACT_TANH),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, ops.ACT_HARDSIGMOID),
]


@pytest.mark.parametrize("act,attrs,kind", ACTIVATIONS)
@pytest.mark.parametrize("producer", ["Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Max", "Min",
                                      "ScaleShift", "ConvTranspose"])
def test_activation_fuses(act, attrs, kind, producer):
    b = Builder()
    if producer in ("Conv", "ConvTranspose"):
        x = b.input("x", (1, 4, 4, 3))
        y = b.op(producer, x, b.const(rand(3, 3, 3, 3)), b.const(rand(3)))
    elif producer in ("Gemm", "MatMul"):
        x = b.input("x", (2, 3))
        y = b.op(producer, x, b.const(rand(3, 4)))
    elif producer == "ScaleShift":
        x = b.input("x", (2, 3))
        y = b.op(producer, x, b.const(rand(3)), b.const(rand(3)))
    else:
        x = b.input("x", (2, 3))
        y = b.op(producer, x, b.const(rand(3, low=0.5, high=2.0)))
    out = b.op(act, y, **attrs)
    g = b.output(out)
    after = check(g, fuse_activations, feeds={"x": rand(*g.values[x].shape, low=-4, high=4)})
    assert counts(after) == {producer: 1}
    node = after.nodes[0]
    assert node.attrs["act"] == kind and node.outputs == [out]


def test_not_fused_when_pre_activation_value_is_observable():
    b = Builder()
    x = b.input("x", (2, 3))
    y1 = b.op("Add", x, b.const(rand(3)))
    y2 = b.op("Mul", x, b.const(rand(3)))
    y3 = b.op("Sub", x, b.const(rand(3)), act=ops.ACT_SIGMOID)
    g = b.output(y1, b.op("Relu", y1), b.op("Relu", y2), b.op("Neg", y2), b.op("Relu", y3))
    check(g, fuse_activations, expect_change=False)


def test_chain_of_activations_fuses_only_the_first():
    b = Builder()
    x = b.input("x", (2, 3))
    g = b.output(b.op("Sigmoid", b.op("Relu", b.op("Add", x, x))))
    assert counts(check(g, fuse_activations)) == {"Add": 1, "Sigmoid": 1}


def test_unfusable_producer_is_left_alone():
    b = Builder()
    x = b.input("x", (2, 3))
    g = b.output(b.op("Relu", b.op("Pow", x, b.const(rand(3, low=1.0, high=2.0)))))
    check(g, fuse_activations, feeds={"x": rand(2, 3, low=0.1, high=2.0)}, expect_change=False)
