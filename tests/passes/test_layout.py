"""Layout: transposes around NHWC ops are eliminated; graph interface keeps NCHW."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml.passes import layout, optimize_layout

from .helpers import NCHW_TO_NHWC, NHWC_TO_NCHW, Builder, check, counts, rand
from pocketml.shape_inference import infer_shapes


def conv(b: Builder, x: str, cin: int, cout: int, k: int = 3, **attrs) -> str:
    """An NCHW conv in the importer's wrapped form."""
    return b.nhwc("Conv", x, b.const(rand(cout, k, k, cin)), b.const(rand(cout)), pads=[k // 2] * 4, **attrs)


def bn(b: Builder, x: str, c: int) -> str:
    return b.nhwc("BatchNormalization", x, b.const(rand(c)), b.const(rand(c)), b.const(rand(c)),
                  b.const(rand(c, low=0.5, high=2.0)))


def transposes(graph) -> int:
    return counts(graph)["Transpose"]


def test_cnn_chain_keeps_only_the_input_transpose():
    b = Builder()
    x = b.input("x", (1, 3, 8, 8))
    y = conv(b, b.op("Relu", conv(b, x, 3, 4)), 4, 6)
    y = b.op("Reshape", b.nhwc("GlobalAveragePool", y), shape=[1, 6])
    g = b.output(b.op("Gemm", y, b.const(rand(6, 5)), b.const(rand(5))))
    after = check(g, optimize_layout)
    assert transposes(after) == 1 and after.nodes[0].op == "Transpose" and after.nodes[0].inputs == [x]
    assert counts(after)["Reshape"] == 1


def test_resnet_block_with_batchnorm_maxpool_and_residual_add():
    b = Builder()
    x = b.input("x", ("N", 3, 16, 16))
    stem = b.nhwc("MaxPool", b.op("Relu", bn(b, conv(b, x, 3, 8, 7), 8)), kernel=[3, 3], strides=[2, 2],
                  pads=[1, 1, 1, 1])
    y = b.op("Relu", bn(b, conv(b, stem, 8, 8), 8))
    y = bn(b, conv(b, y, 8, 8), 8)
    y = b.op("Relu", b.op("Add", y, stem))
    down = bn(b, conv(b, y, 8, 16, 1, strides=[2, 2]), 16)
    z = b.op("Relu", b.op("Add", bn(b, conv(b, b.op("Relu", bn(b, conv(b, y, 8, 16, strides=[2, 2]), 16)),
                                             16, 16), 16), down))
    z = b.op("Reshape", b.nhwc("GlobalAveragePool", z), shape=[0, -1])
    g = b.output(b.op("Gemm", z, b.const(rand(16, 10)), b.const(rand(10))))
    after = check(g, optimize_layout, feeds={"x": rand(2, 3, 16, 16)}, rtol=1e-4, atol=1e-4)
    assert transposes(after) == 1 and counts(after)["Reshape"] == 1


def test_fire_module_concat_on_channels():
    b = Builder()
    x = b.input("x", (1, 3, 9, 9))
    s = b.op("Relu", conv(b, x, 3, 4, 1))
    e = b.op("Concat", b.op("Relu", conv(b, s, 4, 5, 1)), b.op("Relu", conv(b, s, 4, 3, 3)), axis=1)
    g = b.output(b.op("Relu", conv(b, e, 8, 4, 1)))
    after = check(g, optimize_layout)
    assert transposes(after) == 2  # the graph input and the NCHW graph output
    assert next(n for n in after.nodes if n.op == "Concat").attrs["axis"] == 3


def test_densenet_style_channel_affine_and_concat_chain():
    b = Builder()
    x = b.input("x", (1, 4, 6, 6))
    feats = conv(b, x, 4, 4)
    for c in (4, 6, 8):
        h = b.op("Add", b.op("Mul", bn(b, feats, c), b.const(rand(c, 1, 1))), b.const(rand(c, 1, 1)))
        feats = b.op("Concat", feats, conv(b, b.op("Relu", h), c, 2), axis=1)
    g = b.output(b.nhwc("GlobalAveragePool", feats))
    after = check(g, optimize_layout)
    assert transposes(after) == 1  # the output is [1,C,1,1]: its transpose became a Reshape
    for n in after.nodes:
        if n.op in ("Mul", "Add"):
            assert after.values[n.inputs[1]].shape == (1, 1, 1, after.values[n.inputs[1]].shape[-1])


# (name, builder of the op between two wrapped convs on a [1,4,6,6] value, expected transposes)
def _between(op, **attrs):
    return lambda b, y: b.op(op, y, **attrs)


AGNOSTIC = [
    ("softmax_c", _between("Softmax", axis=1), 2),
    ("logsoftmax_w", _between("LogSoftmax", axis=-1), 2),
    ("reducemean_keep", _between("ReduceMean", axes=[1], keepdims=1), 2),
    ("reducemax_hw_keep", _between("ReduceMax", axes=[-2, -1], keepdims=1), 1),
    ("slice", _between("Slice", starts=[1, 1], ends=[3, 5], axes=[1, 3], steps=[1, 2]), 2),
    ("slice_default_axes", _between("Slice", starts=[0, 0, 1], ends=[1, 3, 5]), 2),
    ("pad", _between("Pad", pads=[0, 1, 2, 0, 0, 0, 1, 3], mode=1), 2),
    ("resize", _between("Resize", scales=[1.0, 1.0, 2.0, 1.5], sizes=[1, 4, 12, 9], mode=1), 2),
    ("gather_c", lambda b, y: b.op("Gather", y, b.const(np.array([3, 0, 1], np.int64)), axis=1), 2),
    ("clip", _between("Clip", min=-0.1, max=0.2), 2),
    ("cast", _between("Cast", to=1), 2),
    ("prelu", lambda b, y: b.op("PRelu", y, b.const(rand(4, 1, 1))), 2),
    ("mul_scalar", lambda b, y: b.op("Mul", y, b.const(np.float32(3.0))), 2),
    ("add_lower_rank_const", lambda b, y: b.op("Add", y, b.const(rand(6, 1))), 2),
    ("split_concat", lambda b, y: b.op("Concat", *reversed(b.op("Split", y, n_out=2, axis=1, split=[1, 3])),
                                       axis=1), 2),
    ("self_mul", lambda b, y: b.op("Mul", y, y), 2),
]


@pytest.mark.parametrize("make", [m for _, m, _ in AGNOSTIC], ids=[n for n, _, _ in AGNOSTIC])
def test_transposes_sink_through_layout_agnostic_ops(make):
    expected = {id(m): e for _, m, e in AGNOSTIC}[id(make)]
    b = Builder()
    x = b.input("x", (1, 4, 6, 6))
    y = make(b, conv(b, x, 4, 4))
    infer_shapes(b.g)
    g = b.output(conv(b, y, b.g.values[y].shape[1], 3))
    after = check(g, optimize_layout, rtol=1e-4, atol=1e-5)
    assert transposes(after) == expected


def test_rank_reducing_ops_sink():
    b = Builder()
    x = b.input("x", (2, 4, 6, 6))
    y = conv(b, x, 4, 5)
    pooled = b.op("ReduceMean", y, axes=[2, 3], keepdims=0)
    row = b.op("Gather", y, b.const(np.array(2, np.int64)), axis=2)  # [2,5,6]: N,C,W
    row = b.op("ReduceSum", b.op("Relu", row), axes=[-1], keepdims=0)  # [2,5]
    g = b.output(b.op("Gemm", pooled, b.const(rand(5, 3))), row)
    after = check(g, optimize_layout)
    assert transposes(after) == 1


def test_non_constant_lower_rank_operand_is_reshaped():
    b = Builder()
    x = b.input("x", (1, 4, 6, 6))
    bias = b.input("bias", (4, 1, 1))
    g = b.output(conv(b, b.op("Add", conv(b, x, 4, 4), bias), 4, 4))
    after = check(g, optimize_layout, feeds={"x": rand(1, 4, 6, 6), "bias": rand(4, 1, 1)})
    assert transposes(after) == 2 and counts(after)["Reshape"] == 1


def test_non_constant_same_rank_operand_blocks_and_stays_correct():
    b = Builder()
    x = b.input("x", (1, 4, 6, 6))
    other = b.input("other", (1, 4, 6, 6))
    g = b.output(conv(b, b.op("Add", conv(b, x, 4, 4), other), 4, 4))
    before = transposes(g)
    after = check(g, optimize_layout, feeds={"x": rand(1, 4, 6, 6), "other": rand(1, 4, 6, 6)})
    assert transposes(after) <= before


def test_graph_outputs_keep_names_and_layout():
    b = Builder()
    x = b.input("x", (1, 3, 6, 6))
    mid = b.op("Relu", conv(b, x, 3, 4))
    g = b.output(mid, conv(b, mid, 4, 2))
    after = check(g, optimize_layout)  # check() asserts names, dtypes and NCHW shapes
    assert transposes(after) == 3
    assert all(after.values[o].shape[1] in (4, 2) for o in after.outputs)


def test_input_feeding_several_wrapped_ops_shares_one_transpose():
    b = Builder()
    x = b.input("x", (1, 3, 6, 6))
    g = b.output(b.op("Reshape", b.nhwc("GlobalMaxPool", b.op("Add", conv(b, x, 3, 4), conv(b, x, 3, 4))),
                      shape=[1, 4]))
    assert transposes(check(g, optimize_layout)) == 1


def test_channel_last_op_blocks_a_transpose_that_moves_the_channel():
    b = Builder()
    x = b.input("x", (2, 3, 4, 5))
    t = b.op("Transpose", x, perm=[0, 1, 3, 2])
    y = b.op("ScaleShift", t, b.const(rand(4)), b.const(rand(4)))
    g = b.output(b.op("Transpose", y, perm=[0, 1, 3, 2]))
    check(g, optimize_layout, expect_change=False)


def test_channel_last_op_passes_a_transpose_that_keeps_the_channel():
    b = Builder()
    x = b.input("x", (2, 3, 4, 5))
    t = b.op("Transpose", x, perm=[0, 2, 1, 3])
    y = b.op("LRN", b.op("ScaleShift", t, b.const(rand(5)), b.const(rand(5))), size=3)
    g = b.output(b.op("Transpose", y, perm=[0, 2, 1, 3]))
    assert transposes(check(g, optimize_layout)) == 0


def test_transpose_pairs_cancel_or_compose():
    b = Builder()
    x = b.input("x", (2, 3, 4, 5))
    cancelled = b.op("Transpose", b.op("Transpose", x, perm=NCHW_TO_NHWC), perm=NHWC_TO_NCHW)
    composed = b.op("Transpose", b.op("Transpose", x, perm=[1, 0, 2, 3]), perm=[0, 2, 1, 3])
    g = b.output(b.op("Relu", cancelled), composed)
    after = check(g, optimize_layout)
    assert transposes(after) == 1
    assert next(n for n in after.nodes if n.op == "Transpose").attrs["perm"] == [1, 2, 0, 3]


def test_transpose_of_constant_folds():
    b = Builder()
    x = b.input("x", (3, 2))
    g = b.output(b.op("Add", x, b.op("Transpose", b.const(rand(2, 3)), perm=[1, 0])))
    assert counts(check(g, optimize_layout)) == {"Add": 1}


def test_unit_dim_transpose_becomes_reshape_and_reshapes_merge():
    b = Builder()
    x = b.input("x", ("N", 1, 1, 7))
    y = b.op("Transpose", b.op("Relu", x), perm=[0, 3, 1, 2])  # [N,7,1,1]: moves only 1s
    y = b.op("Reshape", y, shape=[0, 7, 1])
    g = b.output(b.op("Reshape", y, shape=[0, -1]))
    after = check(g, optimize_layout, feeds={"x": rand(3, 1, 1, 7)})
    assert counts(after) == {"Relu": 1, "Reshape": 1}


def test_shufflenet_channel_shuffle_stays_correct():
    b = Builder()
    x = b.input("x", (1, 4, 5, 5))
    y = b.op("Relu", conv(b, x, 4, 6, 1))
    y = b.op("Reshape", y, shape=[1, 2, 3, 5, 5])
    y = b.op("Reshape", b.op("Transpose", y, perm=[0, 2, 1, 3, 4]), shape=[1, 6, 5, 5])
    g = b.output(b.op("Add", b.nhwc("Conv", y, b.const(rand(6, 3, 3, 3)), pads=[1] * 4, group=2), y))
    after = check(g, optimize_layout)
    assert transposes(after) == 3  # the input, the shuffle itself (now NHWC) and the NCHW output
    shuffle = [n for n in after.nodes if n.op == "Transpose" and len(n.attrs["perm"]) == 5]
    assert len(shuffle) == 1 and shuffle[0].attrs["perm"] == [0, 1, 2, 4, 3]


def test_transpose_sinks_through_reshape_that_keeps_groups_together():
    b = Builder()
    x = b.input("x", ("N", 6, 4, 5))
    y = b.op("Reshape", b.op("Relu", conv(b, x, 6, 6)), shape=[0, 2, 3, 20])  # splits C, merges H,W
    g = b.output(b.op("ReduceSum", y, axes=[1], keepdims=0))
    after = check(g, optimize_layout, feeds={"x": rand(2, 6, 4, 5)})
    assert transposes(after) == 2  # input and output: a split of C cannot be pushed past H,W merge


def test_transpose_blocked_by_reshape_that_mixes_permuted_dims():
    b = Builder()
    x = b.input("x", (2, 3, 4, 5))
    y = b.op("Reshape", conv(b, x, 3, 3), shape=[2, 60])  # flattens C,H,W: data order matters
    g = b.output(b.op("Relu", y))
    check(g, optimize_layout, expect_change=False)


def test_tie_moves_transpose_below_activation():
    b = Builder()
    x = b.input("x", (2, 3, 4, 5))
    y = b.op("Reshape", b.op("Relu", conv(b, x, 3, 3)), shape=[2, 60])
    g = b.output(b.op("Neg", y))
    after = check(g, optimize_layout)
    ops = [n.op for n in after.nodes]
    assert ops.index("Relu") == ops.index("Conv") + 1  # now fusable into the Conv


@pytest.mark.parametrize("src,dst,expected", [
    ((2, 6, 4), (2, 2, 3, 4), [([0], [0]), ([1], [1, 2]), ([2], [2 + 1])]),
    (("N", 3, 4), ("N", 12), [([0], [0]), ([1, 2], [1])]),
    ((1, 6), (6,), [([0, 1], [0])]),
    ((6,), (1, 6, 1), [([0], [0, 1]), ([], [2])]),
    ((2, 3), (3, 2), [([0, 1], [0, 1])]),
    ((2, 3), (3, 4), None),
    (("N", 4), (4, "N"), None),
])
def test_reshape_groups(src, dst, expected):
    groups = layout.reshape_groups(src, dst)
    assert (None if groups is None else [(list(a), list(b)) for a, b in groups]) == expected
    assert layout.reshape_groups(list(src), list(dst)) is groups  # cached (tuples: nobody can change it)


def test_one_dimensional_conv_wrapping_cancels():
    b = Builder()
    x = b.input("x", (1, 3, 10))

    def conv1d(y, cin, cout):
        t = b.op("Reshape", b.op("Transpose", y, perm=[0, 2, 1]), shape=[1, 1, 10, cin])
        t = b.op("Conv", t, b.const(rand(cout, 1, 3, cin)), pads=[0, 1, 0, 1])
        return b.op("Transpose", b.op("Reshape", t, shape=[1, 10, cout]), perm=[0, 2, 1])

    g = b.output(conv1d(b.op("Relu", conv1d(x, 3, 4)), 4, 2))
    after = check(g, optimize_layout)
    assert transposes(after) == 2


@pytest.mark.parametrize("fc", ["Gemm", "GemmT", "MatMul"])
def test_flatten_transpose_is_absorbed_by_fully_connected_weights(fc):
    b = Builder()
    x = b.input("x", (2, 3, 5, 5))
    y = b.op("Reshape", b.nhwc("MaxPool", conv(b, x, 3, 4), kernel=[2, 2], strides=[2, 2]), shape=[2, 16])
    if fc == "GemmT":
        y = b.op("Gemm", y, b.const(rand(7, 16)), b.const(rand(7)), transB=1)
    else:
        y = b.op(fc, y, b.const(rand(16, 7)))
    g = b.output(y)
    after = check(g, optimize_layout)
    assert transposes(after) == 1


def test_gemm_reads_transposed_operands_through_trans_flags():
    b = Builder()
    a = b.input("a", (4, 3))
    w = b.input("w", (5, 4))
    g = b.output(b.op("Gemm", b.op("Transpose", a, perm=[1, 0]), b.op("Transpose", w, perm=[1, 0])))
    after = check(g, optimize_layout, feeds={"a": rand(4, 3), "w": rand(5, 4)})
    assert counts(after) == {"Gemm": 1}
    assert after.nodes[0].attrs["transA"] == 1 and after.nodes[0].attrs["transB"] == 1


def test_pass_restores_the_graph_if_transposes_would_increase(monkeypatch):
    def add_pair(graph):
        x = graph.inputs[0]
        if any(n.op == "Transpose" for n in graph.nodes):
            return False
        t = graph.unique_name("t")
        graph.add_value(t, "float32", (3, 2))
        graph.add_node("Transpose", [x], [t], {"perm": [1, 0]}, index=0)
        back = graph.unique_name("back")
        graph.add_value(back, "float32", (2, 3))
        graph.add_node("Transpose", [t], [back], {"perm": [1, 0]}, index=1)
        graph.nodes[2].inputs[0] = back
        return True

    monkeypatch.setattr(layout, "SINK_RULES", [add_pair])
    monkeypatch.setattr(layout, "CLEANUP_RULES", [])
    b = Builder()
    x = b.input("x", (2, 3))
    g = b.output(b.op("Relu", x))
    after = check(g, optimize_layout, expect_change=False)
    assert counts(after) == {"Relu": 1}
