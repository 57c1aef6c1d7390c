"""QuantParams (validation, value semantics, transposes) and quant_support (which nodes may run
on quantized tensors; what folding and the layout helpers do to their parameters)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from pocketml import ir
from pocketml.errors import UnsupportedOpError
from pocketml.passes import fold_constants
from pocketml.quant_params import QuantParams
from pocketml import quant_support


def test_per_tensor_and_per_channel_construction():
    q = QuantParams(0.5, 3)
    assert q.per_tensor and q.count == 1 and q.scale.dtype == np.float32 and q.zero_point.dtype == np.int64
    c = QuantParams([0.1, 0.2], [1, 2], axis=0)
    assert c.axis == 0 and c.count == 2
    assert QuantParams([0.1, 0.2], 5, axis=1).zero_point.tolist() == [5, 5]  # one shared zero point
    with pytest.raises(ValueError, match="need a channel axis"):
        QuantParams([0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="2 scales but 3 zero points"):
        QuantParams([0.1, 0.2], [0, 0, 0], axis=0)
    with pytest.raises(ValueError, match="integers"):
        QuantParams(0.1, 0.5)


def test_value_semantics_and_immutability():
    a, b = QuantParams([0.1, 0.2], [1, 2], 1), QuantParams(np.array([0.1, 0.2]), np.array([1, 2]), 1)
    assert a == b and hash(a) == hash(b)
    assert a != QuantParams([0.1, 0.2], [1, 2], 0) and a != QuantParams([0.1, 0.2000001], [1, 2], 1)
    with pytest.raises(AttributeError):
        a.axis = 0
    with pytest.raises(ValueError):
        a.scale[0] = 1.0  # read-only arrays
    src = np.array([0.25], np.float32)
    q = QuantParams(src, 0)
    src[0] = 9.0
    assert q.scale[0] == np.float32(0.25)  # a private copy


@pytest.mark.parametrize("dtype,zp,ok", [
    ("int8", -128, True), ("int8", 127, True), ("int8", 128, False), ("int8", -129, False),
    ("uint8", 0, True), ("uint8", 255, True), ("uint8", -1, False), ("uint8", 256, False),
    ("int16", -32768, True), ("int16", 32768, False),
    ("int32", 0, True), ("int32", 1, False),  # biases: zero point 0
])
def test_zero_point_range_by_dtype(dtype, zp, ok):
    why = QuantParams(0.5, zp).check(dtype)
    assert (why is None) == ok, why
    if not ok:
        assert f"zero_point[0] is {zp}" in why


@pytest.mark.parametrize("scale", [0.0, -1.0, np.nan, np.inf])
def test_bad_scales(scale):
    assert "finite and > 0" in QuantParams(scale, 0).check("int8")


def test_dtype_and_shape_checks():
    assert "cannot carry" in QuantParams(0.5, 0).check("float32")
    assert "cannot carry" in QuantParams(0.5, 0).check("bool")
    q = QuantParams([0.1, 0.2, 0.3], 0, axis=1)
    assert q.check("int8", (2, 3, 4)) is None
    assert "3 scales along axis 1, whose dim is 4" in q.check("int8", (2, 4, 4))
    assert "axis 1 is out of range for rank 1" in q.check("int8", (3,))
    assert "whose dim is c" in q.check("int8", (2, "c", 4))  # channels along a symbolic dim: never
    with pytest.raises(ValueError, match="value 'w': invalid quantization"):
        q.validate("int8", (2, 4), "value 'w'")


def test_quantize_dequantize_round_trip():
    q = QuantParams([0.5, 0.25], [3, -2], axis=1)
    x = np.array([[-128, 0], [5, 127]], np.int8)
    real = q.dequantize(x)
    np.testing.assert_array_equal(real, (x.astype(np.float32) - [3, -2]) * np.float32([0.5, 0.25]))
    np.testing.assert_array_equal(q.quantize(real, "int8"), x)
    assert q.quantize(np.float32([[1e9, -1e9]]), "int8").tolist() == [[127, -128]]  # saturates


@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_permuted_axis_follows_the_transpose(rank):
    """Property: dequantize(transpose(x)) with the permuted parameters == transpose(dequantize(x))."""
    rng = np.random.default_rng(rank)
    shape = tuple(int(d) for d in rng.integers(1, 5, rank))
    x = rng.integers(-128, 128, shape).astype(np.int8)
    for axis in range(rank):
        q = QuantParams(rng.uniform(0.01, 1, shape[axis]) if shape[axis] > 1 else [0.3],
                        rng.integers(-5, 5, shape[axis]) if shape[axis] > 1 else [2], axis if shape[axis] > 1 else -1)
        for perm in itertools.permutations(range(rank)):
            moved = q.permuted(perm)
            assert moved.check("int8", np.transpose(x, perm).shape) is None
            np.testing.assert_array_equal(moved.dequantize(np.transpose(x, perm)), np.transpose(q.dequantize(x), perm))


def test_moved_lifts_then_permutes():
    q = QuantParams([0.1, 0.2, 0.3], 0, axis=0)  # a [3, 5] tensor lifted to [1, 1, 3, 5]
    assert quant_support.moved(q, (0, 2, 3, 1), lift=2).axis == 1
    x = np.arange(15, dtype=np.int8).reshape(3, 5)
    lifted = np.transpose(x.reshape(1, 1, 3, 5), (0, 2, 3, 1))
    np.testing.assert_array_equal(quant_support.moved(q, (0, 2, 3, 1), 2).dequantize(lifted),
                                  np.transpose(q.dequantize(x).reshape(1, 1, 3, 5), (0, 2, 3, 1)))
    assert quant_support.moved(None, (1, 0)) is None


# ---- which nodes may run on quantized tensors ----------------------------------------------
Q = QuantParams(0.05, 4)


def _graph(op, attrs=None, in_q=Q, out_q=Q, shape=(1, 4, 4, 2), out_shape=None, dtype="int8", extra=()):
    g = ir.Graph("g")
    g.add_value("x", dtype, shape, quant=in_q)
    g.inputs = ["x"]
    g.add_value("y", dtype, out_shape or shape, quant=out_q)
    g.add_node(op, ["x", *extra], ["y"], attrs or {}, name="n")
    g.outputs = ["y"]
    return g


def test_arithmetic_on_quantized_tensors_is_refused():
    g = _graph("Abs")
    assert quant_support.problem(g, g.nodes[0]) == quant_support.UNSUPPORTED.format(dtype="int8")
    with pytest.raises(UnsupportedOpError, match=r"node 'n' \(Abs\): quantized int8 tensors are not supported"):
        quant_support.check_graph(g)


def test_refusal_names_the_activations_dtype():
    """An int16x8 model's refused node says int16, the dtype the user has."""
    g = _graph("Abs", dtype="int16", in_q=QuantParams(0.05, 0), out_q=QuantParams(0.05, 0))
    assert quant_support.problem(g, g.nodes[0]) == "quantized int16 tensors are not supported by this op yet"


def test_plain_integer_graphs_are_untouched():
    assert quant_support.problem(_graph("Relu", in_q=None, out_q=None), _graph("Relu").nodes[0]) is None


def test_data_movement_needs_equal_parameters():
    assert quant_support.problem(*(lambda g: (g, g.nodes[0]))(_graph("Reshape", {"shape": [1, 32]},
                                                                      out_shape=(1, 32)))) is None
    g = _graph("Reshape", {"shape": [1, 32]}, out_q=QuantParams(0.05, 5), out_shape=(1, 32))
    assert "differ" in quant_support.problem(g, g.nodes[0])
    g = _graph("Reshape", {"shape": [1, 32]}, out_q=None, out_shape=(1, 32))
    assert "differ" in quant_support.problem(g, g.nodes[0])
    quant_support.propagate(g, g.nodes[0])  # an importer's intermediate takes its input's parameters
    assert g.values["y"].quant == Q and quant_support.problem(g, g.nodes[0]) is None


def test_per_channel_moves_only_through_transpose():
    pc = QuantParams([0.1, 0.2], [0, 1], axis=3)
    g = _graph("Reshape", {"shape": [1, 32]}, in_q=pc, out_q=pc, out_shape=(1, 32))
    assert "per-channel" in quant_support.problem(g, g.nodes[0])
    g = _graph("Transpose", {"perm": [0, 3, 1, 2]}, in_q=pc, out_q=None, out_shape=(1, 2, 4, 4))
    quant_support.propagate(g, g.nodes[0])
    assert g.values["y"].quant.axis == 1 and quant_support.problem(g, g.nodes[0]) is None
    g.values["y"].quant = pc  # axis 3 after the transpose would be the wrong dim
    assert "differ" in quant_support.problem(g, g.nodes[0])


def test_pad_moves_stored_integers():
    """Pad's fill is a stored integer like the elements (the importers choose the zero point for a real 0)."""
    pads = {"pads": [0, 1, 1, 0, 0, 1, 1, 0], "mode": 0}
    g = _graph("Pad", {**pads, "value": 4.0, "value_int": [4]}, out_shape=(1, 6, 6, 2))
    assert quant_support.problem(g, g.nodes[0]) is None
    g = _graph("Pad", {**pads, "value": 4.0, "value_int": [4]}, out_q=QuantParams(0.1, 4), out_shape=(1, 6, 6, 2))
    assert "differ" in quant_support.problem(g, g.nodes[0])


def test_shape_only_and_explicit_ops_run():
    g = ir.Graph("g")
    g.add_value("x", "int8", (2, 3), quant=Q)
    g.add_value("s", "int64", (2,))
    g.add_node("Shape", ["x"], ["s"], name="shape")
    assert quant_support.problem(g, g.nodes[0]) is None
    g.add_value("scale", const=np.float32(0.05))
    g.add_value("zp", const=np.int8(4))
    g.add_value("r", "float32", (2, 3))
    g.add_node("DequantizeLinear", ["x", "scale", "zp"], ["r"], name="dq")
    assert quant_support.problem(g, g.nodes[1]) is None


# ---- passes keep the parameters -------------------------------------------------------------
def test_folding_a_weight_transpose_permutes_its_axis():
    w = np.arange(24, dtype=np.int8).reshape(2, 3, 4)
    q = QuantParams([0.5, 0.25], [1, -1], axis=0)
    g = ir.Graph("g")
    g.add_value("w", const=w, quant=q)
    g.add_value("wt", "int8", (3, 4, 2))
    g.add_node("Transpose", ["w"], ["wt"], {"perm": [1, 2, 0]}, name="t")
    g.add_value("x", "int8", (3, 4, 2), quant=q.permuted([1, 2, 0]))
    g.inputs = ["x"]
    g.add_value("y", "int8", (6, 4, 2), quant=q.permuted([1, 2, 0]))
    g.add_node("Concat", ["x", "wt"], ["y"], {"axis": 0}, name="cat")  # per-channel Concat: refused, not folded
    g.outputs = ["y"]
    fold_constants(g)
    folded = g.values["wt"]
    assert folded.is_const and folded.quant == q.permuted([1, 2, 0]) and folded.quant.axis == 2
    np.testing.assert_array_equal(folded.quant.dequantize(folded.const), np.transpose(q.dequantize(w), (1, 2, 0)))


def test_folding_never_computes_on_quantized_integers():
    g = ir.Graph("g")
    g.add_value("a", const=np.int8([1, 2]), quant=Q)
    g.add_value("b", const=np.int8([3, 4]), quant=Q)
    g.add_value("c", "int8", (2,), quant=Q)
    g.add_node("Add", ["a", "b"], ["c"], name="add")  # reals: (1-4)*s + (3-4)*s, not (1+3-4)*s
    g.add_value("x", "int8", (2,))
    g.inputs = ["x"]
    g.add_value("y", "int8", (2,))
    g.add_node("Add", ["x", "x"], ["y"], name="plain")
    g.outputs = ["c", "y"]
    fold_constants(g)
    assert [n.op for n in g.nodes][0] == "Add" and g.nodes[0].name == "add"
    assert g.values["c"].const is None


def test_identity_removal_never_merges_values_with_other_parameters():
    from pocketml.passes import remove_identities

    g = _graph("Identity", out_q=QuantParams(0.05, 5), shape=(2, 2))
    g.add_value("z", "int8", (2, 2), quant=QuantParams(0.05, 5))
    g.add_node("Identity", ["y"], ["z"], name="keep_me")
    g.outputs = ["z"]
    remove_identities(g)
    # the Identity between equal parameters went (its producer now writes z); the other stays
    assert [(n.name, n.outputs) for n in g.nodes] == [("n", ["z"])]
    assert g.values["z"].quant == QuantParams(0.05, 5)
