"""MatMulInteger and ConvInteger end to end through the C runtime, bit for bit against
onnxruntime: every pairing of int8 and uint8 operands, K not a multiple of any tile and K = 4096
with values at the range's ends (sums past 2^24: a float32 accumulator would round), batch
broadcasting, zero points absent / one value / per column of b / per output channel, weights
as constants (packed once) and as graph inputs (packed per run), one and two threads;
ConvInteger with pads holding a non-zero x zero point, strides, dilations, groups, auto_pad,
1-D. The zero point forms onnxruntime refuses (per row of a, per output channel of w) are
checked against onnx's reference evaluator instead. Then a model from onnxruntime's dynamic
quantizer (DynamicQuantizeLinear -> MatMulInteger / ConvInteger -> Cast -> Mul), and errors."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml.errors import PocketMLError, UnsupportedOpError

RNG = np.random.default_rng(10)
PAIRS = [(np.int8, np.int8), (np.int8, np.uint8), (np.uint8, np.int8), (np.uint8, np.uint8)]
PAIR_IDS = ["s8s8", "s8u8", "u8s8", "u8u8"]


def _model(op, feeds, consts=(), opset=10, **attrs):
    """One node of op over feeds (name -> array, None: an absent optional input); the names in
    consts become initializers."""
    node = helper.make_node(op, [n if a is not None else "" for n, a in feeds.items()], ["y"], **attrs)
    inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
              for n, a in feeds.items() if a is not None and n not in consts]
    inits = [numpy_helper.from_array(feeds[n], n) for n in consts]
    graph = helper.make_graph([node], "t", inputs, [helper.make_empty_tensor_value_info("y")], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def _ort(model, feeds):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, feeds)


def _check(op, feeds, consts=(), oracle="ort", **attrs):
    """pocketml (one and two threads) equals the oracle bit for bit."""
    model = _model(op, feeds, consts, **attrs)
    run_feeds = {n: a for n, a in feeds.items() if a is not None and n not in consts}
    want = (_ort(model, run_feeds) if oracle == "ort" else ReferenceEvaluator(model).run(None, run_feeds))[0]
    converted = pocketml.convert(model)
    for threads in (1, 2):
        got = pocketml.Session(converted, threads=threads).run(run_feeds)["y"]
        assert got.dtype == want.dtype == np.int32 and got.shape == want.shape, (got.shape, want.shape)
        np.testing.assert_array_equal(got, want)


def _ints(shape, dtype, extreme=False):
    info = np.iinfo(dtype)
    if extreme:  # mostly the far end of the range (-128 / 255), some of the other
        far, near = (info.min, info.max) if dtype == np.int8 else (info.max, info.min)
        return np.where(RNG.random(shape) < 0.9, far, near).astype(dtype)
    return RNG.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


# ---- MatMulInteger ---------------------------------------------------------------------------
@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mkn", [(1, 1, 1), (7, 13, 9), (16, 127, 17), (5, 33, 1)], ids=str)
@pytest.mark.parametrize("consts", [(), ("b", "zb")], ids=["runtime", "const"])
def test_matmul_integer_shapes_and_zero_points(pair, mkn, consts):
    (ta, tb), (m, k, n) = pair, mkn
    feeds = {"a": _ints((m, k), ta), "b": _ints((k, n), tb), "za": _ints((), ta), "zb": _ints((n,), tb)}
    _check("MatMulInteger", feeds, consts)


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("consts", [(), ("b",)], ids=["runtime", "const"])
def test_matmul_integer_k4096_at_the_range_ends_is_exact(pair, consts):
    ta, tb = pair
    feeds = {"a": _ints((3, 4096), ta, extreme=True), "b": _ints((4096, 5), tb, extreme=True),
             "za": np.zeros((), ta), "zb": np.zeros((1,), tb)}
    a, b = feeds["a"].astype(np.int64), feeds["b"].astype(np.int64)
    assert np.abs(a @ b).max() > 2 ** 24  # float32 would round these sums
    _check("MatMulInteger", feeds, consts)


@pytest.mark.parametrize("shapes", [((2, 1, 3, 7), (4, 7, 5)), ((3, 7), (2, 7, 5)), ((2, 3, 7), (7, 5)),
                                    ((7,), (2, 7, 5)), ((2, 3, 7), (7,)), ((1, 2, 3, 7), (2, 1, 7, 5))], ids=str)
@pytest.mark.parametrize("consts", [(), ("b",)], ids=["runtime", "const"])
def test_matmul_integer_batch_broadcast(shapes, consts):
    sa, sb = shapes
    # per column: [N] for a 2-D b, b's shape with dim -2 = 1 for a batched one (onnxruntime's forms)
    zb = _ints(() if len(sb) == 1 else (sb[-1],) if len(sb) == 2 else sb[:-2] + (1, sb[-1]), np.int8)
    feeds = {"a": _ints(sa, np.uint8), "b": _ints(sb, np.int8), "za": _ints((1,), np.uint8), "zb": zb}
    _check("MatMulInteger", feeds, consts)


def test_matmul_integer_without_zero_points_and_b_zero_point_alone():
    _check("MatMulInteger", {"a": _ints((4, 9), np.uint8), "b": _ints((9, 6), np.uint8)})
    _check("MatMulInteger", {"a": _ints((4, 9), np.int8), "b": _ints((9, 6), np.int8), "za": None,
                             "zb": _ints((1, 6), np.int8)}, ("b", "zb"))


@pytest.mark.parametrize("consts", [(), ("b", "zb")], ids=["runtime", "const"])
def test_matmul_integer_per_row_zero_point(consts):
    """a's zero point per row ([M], or a's shape with last dim 1): onnxruntime refuses it, onnx's
    evaluator broadcasts [D.., M, 1] only, so [M] is checked as the [M, 1] it means."""
    a, b = _ints((5, 11), np.uint8), _ints((11, 3), np.int8)
    za, zb = _ints((5,), np.uint8), _ints((3,), np.int8)
    model = _model("MatMulInteger", {"a": a, "b": b, "za": za, "zb": zb}, consts)
    run_feeds = {n: v for n, v in {"a": a, "b": b, "za": za, "zb": zb}.items() if n not in consts}
    want = ReferenceEvaluator(_model("MatMulInteger", {"a": a, "b": b, "za": za.reshape(5, 1), "zb": zb})).run(
        None, {"a": a, "b": b, "za": za.reshape(5, 1), "zb": zb})[0]
    np.testing.assert_array_equal(pocketml.Session(pocketml.convert(model)).run(run_feeds)["y"], want)
    feeds = {"a": _ints((2, 4, 11), np.int8), "b": _ints((2, 11, 3), np.int8), "za": _ints((2, 4, 1), np.int8),
             "zb": _ints((2, 1, 3), np.int8)}
    _check("MatMulInteger", feeds, oracle="onnx")


# ---- ConvInteger -----------------------------------------------------------------------------
CONV_CASES = [
    dict(shape=(1, 3, 7, 6), w=(4, 3, 3, 3), pads=[1, 1, 1, 1]),
    dict(shape=(2, 4, 9, 8), w=(6, 2, 3, 2), pads=[2, 0, 1, 1], strides=[2, 1], dilations=[1, 2], group=2),
    dict(shape=(1, 6, 5, 5), w=(6, 1, 3, 3), pads=[1, 1, 1, 1], group=6),
    dict(shape=(2, 8, 4, 5), w=(5, 8, 1, 1)),
    dict(shape=(1, 2, 11, 10), w=(3, 2, 5, 5), pads=[2, 2, 2, 2], strides=[3, 3]),
    dict(shape=(1, 5, 13), w=(7, 5, 3), pads=[1, 2], strides=[2]),
]


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
@pytest.mark.parametrize("consts", [(), ("w", "zw")], ids=["runtime", "const"])
def test_conv_integer(pair, case, consts):
    (tx, tw), c = pair, dict(CONV_CASES[case])
    shape, wshape = c.pop("shape"), c.pop("w")
    feeds = {"x": _ints(shape, tx), "w": _ints(wshape, tw), "zx": _ints((), tx), "zw": _ints((1,), tw)}
    _check("ConvInteger", feeds, consts, **c)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_conv_integer_auto_pad_pads_with_the_zero_point(auto_pad):
    feeds = {"x": _ints((1, 3, 7, 8), np.uint8), "w": _ints((4, 3, 4, 3), np.uint8), "zx": np.array(200, np.uint8),
             "zw": None}
    _check("ConvInteger", feeds, ("w",), auto_pad=auto_pad, strides=[2, 2])


@pytest.mark.parametrize("consts", [(), ("w", "zw")], ids=["runtime", "const"])
def test_conv_integer_per_output_channel_w_zero_point(consts):
    """onnxruntime's CPU ConvInteger refuses it: onnx's reference evaluator is the oracle."""
    feeds = {"x": _ints((2, 4, 6, 5), np.uint8), "w": _ints((6, 2, 3, 3), np.int8), "zx": _ints((), np.uint8),
             "zw": _ints((6,), np.int8)}
    _check("ConvInteger", feeds, consts, oracle="onnx", pads=[1, 0, 1, 2], group=2)


def test_conv_integer_3d_is_refused_clearly():
    feeds = {"x": _ints((1, 2, 3, 4, 4), np.uint8), "w": _ints((3, 2, 2, 2, 2), np.uint8)}
    with pytest.raises(UnsupportedOpError, match="ConvInteger with 3 spatial dims .* supported: 1-D and 2-D"):
        pocketml.convert(_model("ConvInteger", feeds))


# ---- errors and a dynamically quantized model --------------------------------------------------
def test_zero_point_shape_errors_name_the_node():
    bad = {"a": _ints((3, 4), np.uint8), "b": _ints((4, 5), np.int8), "za": None, "zb": _ints((4,), np.int8)}
    model = _model("MatMulInteger", bad)
    with pytest.raises(PocketMLError, match=r"MatMulInteger.*b zero point of shape \[4\]"):
        pocketml.convert(model)
    bad = {"x": _ints((1, 2, 4, 4), np.uint8), "w": _ints((3, 2, 1, 1), np.uint8), "zx": _ints((2,), np.uint8)}
    with pytest.raises(PocketMLError, match=r"ConvInteger.*x_zero_point of shape \[2\] must be one value"):
        pocketml.convert(_model("ConvInteger", bad))


def test_model_from_onnxruntime_dynamic_quantizer(tmp_path):
    """A float MatMul + Conv model through onnxruntime's dynamic quantizer (DynamicQuantizeLinear ->
    MatMulInteger / ConvInteger -> Cast -> Mul by the scales), run by pocketml and onnxruntime."""
    quantization = pytest.importorskip("onnxruntime.quantization")
    w1 = np.asarray(RNG.standard_normal((4, 3, 3, 3)) * 0.3, np.float32)
    w2 = np.asarray(RNG.standard_normal((36, 7)) * 0.3, np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Reshape", ["c", "shape"], ["r"]),
             helper.make_node("MatMul", ["r", "w2"], ["y"])]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", 1, (2, 3, 3, 3))],
                              [helper.make_tensor_value_info("y", 1, None)],
                              [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
                               numpy_helper.from_array(np.array([2, 36], np.int64), "shape")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), tmp_path / "f.onnx")
    quantization.quantize_dynamic(tmp_path / "f.onnx", tmp_path / "q.onnx", op_types_to_quantize=["Conv", "MatMul"],
                                  weight_type=quantization.QuantType.QUInt8)
    model = onnx.load(tmp_path / "q.onnx")
    assert {"DynamicQuantizeLinear", "MatMulInteger", "ConvInteger"} <= {n.op_type for n in model.graph.node}
    converted = pocketml.convert(model)
    for _ in range(3):
        x = np.asarray(RNG.standard_normal((2, 3, 3, 3)), np.float32)
        np.testing.assert_allclose(pocketml.Session(converted).run({"x": x})["y"], _ort(model, {"x": x})[0],
                                   rtol=1e-5, atol=1e-5)
