"""Dead-code elimination."""
from __future__ import annotations

from pocketml.passes import eliminate_dead_code

from .helpers import Builder, check, counts, rand


def test_dead_branch_and_its_constants_go():
    b = Builder()
    x = b.input("x", (2, 3))
    unused = b.input("unused", (1,))
    dead_const = b.const(rand(2, 3), "dead")
    b.op("Relu", b.op("Mul", x, dead_const))
    g = b.output(b.op("Neg", x))
    after = check(g, eliminate_dead_code, feeds={"x": rand(2, 3), "unused": rand(1)})
    assert counts(after) == {"Neg": 1}
    assert dead_const not in after.values
    assert unused in after.values and after.inputs == ["x", "unused"]


def test_multi_output_node_lives_if_one_output_is_used():
    b = Builder()
    x = b.input("x", (4, 2))
    first, _ = b.op("Split", x, n_out=2, axis=0, split=[1, 3])
    g = b.output(b.op("Relu", first))
    check(g, eliminate_dead_code, expect_change=False)


def test_nothing_to_remove():
    b = Builder()
    x = b.input("x", (2,))
    g = b.output(b.op("Relu", x))
    check(g, eliminate_dead_code, expect_change=False)
