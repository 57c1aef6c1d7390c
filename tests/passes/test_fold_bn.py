"""BatchNorm / ScaleShift folding into Conv, ConvTranspose, Gemm and MatMul weights."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ops
from pocketml.passes import fold_scale_shift

from .helpers import Builder, check, counts, rand


def bn(b: Builder, x: str, c: int) -> str:
    return b.op("BatchNormalization", x, b.const(rand(c)), b.const(rand(c)), b.const(rand(c)),
                b.const(rand(c, low=0.5, high=2.0)), epsilon=1e-3)


@pytest.mark.parametrize("group,bias", [(1, False), (1, True), (2, True), (6, False)])
def test_batchnorm_folds_into_conv(group, bias):
    b = Builder()
    x = b.input("x", (1, 5, 5, 6))
    inputs = [x, b.const(rand(6, 3, 3, 6 // group))] + ([b.const(rand(6))] if bias else [])
    g = b.output(bn(b, b.op("Conv", *inputs, group=group, pads=[1, 1, 1, 1]), 6))
    after = check(g, fold_scale_shift)
    assert counts(after) == {"Conv": 1}
    assert len(after.nodes[0].inputs) == 3


@pytest.mark.parametrize("group,cout_per_group", [(1, 6), (2, 3), (4, 2)])
def test_scaleshift_folds_into_grouped_conv_transpose(group, cout_per_group):
    b = Builder()
    x = b.input("x", (1, 4, 4, 8))
    y = b.op("ConvTranspose", x, b.const(rand(8, 3, 3, cout_per_group)), group=group, strides=[2, 2])
    cout = group * cout_per_group
    out = b.op("ScaleShift", y, b.const(rand(cout)), b.const(rand(cout)), act=ops.ACT_RELU)
    g = b.output(out)
    after = check(g, fold_scale_shift)
    assert counts(after) == {"ConvTranspose": 1}
    assert after.nodes[0].attrs["act"] == ops.ACT_RELU and after.nodes[0].outputs == [out]


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("c_shape", [None, (5,), (3, 1), (3, 5)])
def test_scaleshift_folds_into_gemm(trans_b, c_shape):
    b = Builder()
    a = b.input("a", (3, 4))
    w = b.const(rand(5, 4) if trans_b else rand(4, 5))
    inputs = [a, w] + ([b.const(rand(*c_shape))] if c_shape else [])
    y = b.op("Gemm", *inputs, alpha=1.5, beta=0.5, transB=trans_b)
    g = b.output(b.op("ScaleShift", y, b.const(rand(5)), b.const(rand(5))))
    assert counts(check(g, fold_scale_shift)) == {"Gemm": 1}


def test_matmul_with_2d_input_becomes_gemm_with_bias():
    b = Builder()
    a = b.input("a", (3, 4))
    y = b.op("MatMul", a, b.const(rand(4, 5)))
    g = b.output(b.op("Add", b.op("Mul", y, b.const(rand(5))), b.const(rand(1, 5))))
    assert counts(check(g, fold_scale_shift)) == {"Gemm": 1}


@pytest.mark.parametrize("op,left", [("Mul", {"MatMul": 1}), ("Add", {"MatMul": 1, "ScaleShift": 1})])
def test_batched_matmul_takes_a_scale_but_not_a_shift(op, left):
    b = Builder()
    a = b.input("a", (2, 3, 4))
    y = b.op("MatMul", a, b.const(rand(4, 5)))
    g = b.output(b.op(op, y, b.const(rand(5))))
    assert counts(check(g, fold_scale_shift)) == left


def test_channel_mul_add_chain_folds_into_conv():
    b = Builder()
    x = b.input("x", (1, 4, 4, 3))
    y = b.op("Conv", x, b.const(rand(8, 1, 1, 3)), b.const(rand(8)))
    y = b.op("Mul", b.const(rand(1, 1, 1, 8)), y)
    y = b.op("Sub", b.op("Add", y, b.const(rand(8))), b.const(np.float32(0.25)))
    g = b.output(y)
    after = check(g, fold_scale_shift)
    assert counts(after) == {"Conv": 1} and after.nodes[0].outputs == [y]


def test_lone_mul_becomes_scaleshift():
    b = Builder()
    x = b.input("x", (2, 3, 4))
    g = b.output(b.op("Mul", x, b.const(rand(4)), act=ops.ACT_RELU))
    after = check(g, fold_scale_shift)
    assert counts(after) == {"ScaleShift": 1} and after.nodes[0].attrs["act"] == ops.ACT_RELU


@pytest.mark.parametrize("const_shape", [(3, 1, 1), (1, 3, 1, 1), (4, 4), (1, 1, 1, 1, 4)])
def test_non_channel_broadcast_is_left_alone(const_shape):
    b = Builder()
    x = b.input("x", (1, 3, 4, 4))
    g = b.output(b.op("Mul", x, b.const(rand(*const_shape))))
    check(g, fold_scale_shift, expect_change=False)


def test_reversed_sub_and_int_add_are_left_alone():
    b = Builder()
    x = b.input("x", (2, 4))
    i = b.input("i", (2, 4), dtype="int64")
    g = b.output(b.op("Sub", b.const(rand(4)), x), b.op("Add", i, b.const(np.arange(4))))
    check(g, fold_scale_shift, feeds={"x": rand(2, 4), "i": np.ones((2, 4), np.int64)}, expect_change=False)


def test_conv_with_second_consumer_or_activation_is_not_folded():
    b = Builder()
    x = b.input("x", (1, 4, 4, 3))
    y1 = b.op("Conv", x, b.const(rand(4, 1, 1, 3)))
    y2 = b.op("Conv", x, b.const(rand(4, 1, 1, 3)), act=ops.ACT_RELU)
    s1 = b.op("ScaleShift", y1, b.const(rand(4)), b.const(rand(4)))
    s2 = b.op("ScaleShift", y2, b.const(rand(4)), b.const(rand(4)))
    g = b.output(s1, b.op("Neg", y1), s2)
    check(g, fold_scale_shift, expect_change=False)


def test_conv_output_that_is_graph_output_is_not_folded():
    b = Builder()
    x = b.input("x", (1, 4, 4, 3))
    y = b.op("Conv", x, b.const(rand(4, 1, 1, 3)))
    g = b.output(y, b.op("ScaleShift", y, b.const(rand(4)), b.const(rand(4))))
    check(g, fold_scale_shift, expect_change=False)


def test_shared_weights_are_not_modified_in_place():
    b = Builder()
    x = b.input("x", (1, 4, 4, 3))
    w = b.const(rand(4, 1, 1, 3))
    y1 = b.op("ScaleShift", b.op("Conv", x, w), b.const(rand(4)), b.const(rand(4)))
    g = b.output(y1, b.op("Conv", x, w))
    after = check(g, fold_scale_shift)
    assert counts(after) == {"Conv": 2}
    np.testing.assert_array_equal(after.values[w].const, g.values[w].const)
