"""Identity removal, including the graph-output cases."""
from __future__ import annotations

import numpy as np

from pocketml.passes import remove_identities

from .helpers import Builder, check, counts, rand


def test_identity_in_the_middle_is_rewired():
    b = Builder()
    x = b.input("x", (2, 3))
    g = b.output(b.op("Neg", b.op("Identity", b.op("Identity", b.op("Relu", x)))))
    assert counts(check(g, remove_identities)) == {"Relu": 1, "Neg": 1}


def test_identity_producing_graph_output_renames_its_producer():
    b = Builder()
    x = b.input("x", (2, 3))
    r = b.op("Relu", x)
    out = b.op("Identity", r)
    g = b.output(out, b.op("Neg", r))
    after = check(g, remove_identities)
    assert counts(after) == {"Relu": 1, "Neg": 1}
    relu = next(n for n in after.nodes if n.op == "Relu")
    assert relu.outputs == [out] and next(n for n in after.nodes if n.op == "Neg").inputs == [out]


def test_identity_between_graph_input_and_output_stays():
    b = Builder()
    x = b.input("x", (2,))
    g = b.output(b.op("Identity", x))
    check(g, remove_identities, expect_change=False)


def test_identity_between_two_graph_outputs_stays():
    b = Builder()
    x = b.input("x", (2,))
    r = b.op("Relu", x)
    g = b.output(r, b.op("Identity", r))
    check(g, remove_identities, expect_change=False)


def test_noop_cast_transpose_reshape_pad_concat_clip():
    b = Builder()
    x = b.input("x", ("n", 3, 4))
    y = b.op("Cast", b.op("Relu", x), to=1)
    y = b.op("Transpose", y, perm=[0, 1, 2])
    y = b.op("Reshape", y, shape=[0, 3, 4])
    y = b.op("Pad", y, pads=[0] * 6)
    y = b.op("Concat", y, axis=1)
    y = b.op("Clip", y)
    g = b.output(b.op("Neg", y))
    after = check(g, remove_identities, feeds={"x": rand(2, 3, 4)})
    assert counts(after) == {"Relu": 1, "Neg": 1}


def test_real_cast_and_reshape_stay():
    b = Builder()
    x = b.input("x", (2, 3))
    g = b.output(b.op("Reshape", b.op("Cast", x, to=6), shape=[3, 2]))
    check(g, remove_identities, feeds={"x": np.arange(6, dtype=np.float32).reshape(2, 3)}, expect_change=False)
