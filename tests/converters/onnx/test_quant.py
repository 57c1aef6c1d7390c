"""The quant ops (DequantizeLinear, QuantizeLinear, DynamicQuantizeLinear) end to end against
onnxruntime, bit for bit: every integer dtype, float32 and float16 scales, per tensor, per
axis (0, 1, -1) and blocked scales (blocks that do not divide the axis), batch > 1, odd
sizes, scales and zero points as constants and as graph inputs (read at run time), every
opset variant, and constants folded through the registry reference."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml.errors import ConversionError, UnsupportedOpError

RNG = np.random.default_rng(41)
SHAPE = (3, 5, 7)  # batch 3, odd dims
# (scale shape, attributes): per tensor, per axis 0 / 1 / -1, blocked along 1 and -1
LAYOUTS = [
    ((), {}),
    ((1,), {}),
    ((3,), {"axis": 0}),
    ((5,), {"axis": 1}),
    ((7,), {"axis": -1}),
    ((3, 2, 7), {"axis": 1, "block_size": 3}),   # 5 = 3 + 2
    ((3, 5, 3), {"axis": -1, "block_size": 3}),  # 7 = 3 + 3 + 1
    ((1, 5, 7), {"axis": 0, "block_size": 4}),   # one block shorter than block_size
]
LAYOUT_IDS = ["scalar", "one", "axis0", "axis1", "axis-1", "block1", "block-1", "block0"]
INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32]


def _model(op, feeds, consts, opset, n_out=1, **attrs):
    """One node of op over feeds (name -> array, None: an absent optional input); the names in
    consts become initializers."""
    names = list(feeds)
    node = helper.make_node(op, [n if feeds[n] is not None else "" for n in names],
                            [f"y{i}" for i in range(n_out)], **attrs)
    inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
              for n, a in feeds.items() if a is not None and n not in consts]
    inits = [numpy_helper.from_array(feeds[n], n) for n in consts]
    graph = helper.make_graph([node], "t", inputs, [helper.make_empty_tensor_value_info(f"y{i}") for i in range(n_out)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def _ort(model, feeds):
    """onnxruntime without graph rewrites (it would fuse a weight DQ + MatMul into a dynamically
    quantized MatMul, which is not the graph's arithmetic)."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, feeds)


def _check(model, feeds, consts=()):
    """pocketml (one and two threads) equals onnxruntime bit for bit."""
    run_feeds = {n: a for n, a in feeds.items() if a is not None and n not in consts}
    want = _ort(model, run_feeds)
    converted = pocketml.convert(model)
    for threads in (1, 2):
        got = pocketml.Session(converted, threads=threads).run(run_feeds)
        for i, w in enumerate(want):
            g = got[f"y{i}"]
            assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
            np.testing.assert_array_equal(g, w)


def _ints(shape, dtype):
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -40000), min(info.max, 40000)
    return np.asarray(RNG.integers(lo, hi, size=shape, endpoint=True)).astype(dtype)


def _scales(shape, dtype=np.float32):
    return np.asarray(RNG.uniform(0.001, 0.2, size=shape)).astype(dtype)


# ---- DequantizeLinear ------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("dtype", INTS, ids=lambda d: np.dtype(d).name)
def test_dequantize_layouts(layout, dtype):
    s_shape, attrs = layout
    x, s, z = _ints(SHAPE, dtype), _scales(s_shape), _ints(s_shape, dtype)
    if dtype == np.int32:
        z = np.zeros(s_shape, np.int32)  # onnxruntime requires an int32 zero point of 0
    feeds = {"x": x, "s": s, "z": z}
    _check(_model("DequantizeLinear", feeds, (), 21, **attrs), feeds)


@pytest.mark.parametrize("layout", LAYOUTS[:5], ids=LAYOUT_IDS[:5])
@pytest.mark.parametrize("consts", [(), ("s", "z")], ids=["runtime", "const"])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8], ids=lambda d: np.dtype(d).name)
def test_dequantize_opset13_scales_fed_or_const(layout, consts, dtype):
    s_shape, attrs = layout
    x, s, z = _ints((2, 3, 5), dtype), _scales(s_shape), _ints(s_shape, dtype)
    if "axis" in attrs:  # the vector along this test's axis
        s, z = _scales((x.shape[attrs["axis"]],)), _ints((x.shape[attrs["axis"]],), dtype)
    feeds = {"x": x, "s": s, "z": z}
    _check(_model("DequantizeLinear", feeds, consts, 13, **attrs), feeds, consts)


def test_dequantize_opset10_without_zero_point():
    feeds = {"x": _ints((4, 9), np.uint8), "s": np.array(0.37, np.float32)}
    _check(_model("DequantizeLinear", feeds, (), 10), feeds)


@pytest.mark.parametrize("layout", [LAYOUTS[0], LAYOUTS[3], LAYOUTS[5]], ids=["scalar", "axis1", "block1"])
@pytest.mark.parametrize("out", [None, 1, 10], ids=["scale_dtype", "float32", "float16"])
def test_dequantize_float16_scales_and_output_dtype(layout, out):
    s_shape, attrs = layout
    feeds = {"x": _ints(SHAPE, np.int8), "s": _scales(s_shape, np.float16), "z": _ints(s_shape, np.int8)}
    if out is not None:
        attrs = {**attrs, "output_dtype": out}
    _check(_model("DequantizeLinear", feeds, (), 23 if out is not None else 21, **attrs), feeds)


def test_dequantize_batch_of_one_and_empty():
    for shape in [(1, 5, 1), (0, 5, 3)]:
        feeds = {"x": _ints(shape, np.int8), "s": _scales((5,)), "z": _ints((5,), np.int8)}
        _check(_model("DequantizeLinear", feeds, (), 13, axis=1), feeds)


def test_dequantize_constant_weights_fold_through_the_reference():
    """A weight DQ of constants folds at conversion (the numpy reference), then feeds MatMul."""
    w, s, z = _ints((6, 4), np.int8), _scales((4,)), _ints((4,), np.int8)
    dq = helper.make_node("DequantizeLinear", ["w", "s", "z"], ["wf"], axis=1)
    mm = helper.make_node("MatMul", ["a", "wf"], ["y0"])
    graph = helper.make_graph([dq, mm], "t", [helper.make_tensor_value_info("a", 1, (3, 6))],
                              [helper.make_empty_tensor_value_info("y0")],
                              [numpy_helper.from_array(v, n) for n, v in (("w", w), ("s", s), ("z", z))])
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    converted = pocketml.convert(model)
    assert [n.op for n in converted.graph.nodes] == ["MatMul"]
    a = np.asarray(RNG.standard_normal((3, 6)), np.float32)
    want = _ort(model, {"a": a})[0]
    np.testing.assert_allclose(pocketml.Session(converted).run({"a": a})["y0"], want, rtol=1e-5, atol=1e-6)
    from pocketml import ops
    ref = ops.get("DequantizeLinear").reference([w, s, z], {"axis": 1})[0]
    np.testing.assert_array_equal(ref, (w.astype(np.float32) - z.astype(np.float32)) * s)


@pytest.mark.parametrize("s_shape, attrs, what", [
    ((4,), {"axis": 1}, "neither one value nor a vector"),
    ((3, 5), {"axis": 1}, "neither one value nor a vector"),
    ((3, 3, 7), {"axis": 1, "block_size": 3}, "blocked scale must have shape [3,2,7]"),
    ((3, 2, 7), {"axis": 1, "block_size": -3}, "block_size=-3 is outside its domain; allowed: an integer >= 0"),
    ((5,), {"axis": 3}, "axis 3 is out of range"),
])
def test_dequantize_bad_scale_shapes_are_refused(s_shape, attrs, what):
    feeds = {"x": _ints(SHAPE, np.int8), "s": _scales(s_shape)}
    node = helper.make_node("DequantizeLinear", ["x", "s"], ["y0"], **attrs)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                                                          a.shape) for n, a in feeds.items()],
                              [helper.make_tensor_value_info("y0", 1, SHAPE)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    with pytest.raises(ConversionError, match="DequantizeLinear") as e:
        pocketml.convert(model)
    assert what in str(e.value)


def test_dequantize_zero_point_shape_must_match_scale():
    feeds = {"x": _ints(SHAPE, np.int8), "s": _scales((5,)), "z": _ints((1,), np.int8)}
    node = helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y0"], axis=1)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                                                          a.shape) for n, a in feeds.items()],
                              [helper.make_tensor_value_info("y0", 1, SHAPE)])
    with pytest.raises(ConversionError, match="zero_point shape"):
        pocketml.convert(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10))


def test_dequantize_output_dtype_outside_pocketml_is_refused():
    feeds = {"x": _ints((2, 3), np.int8), "s": _scales(())}
    node = helper.make_node("DequantizeLinear", ["x", "s"], ["y0"], output_dtype=onnx.TensorProto.BFLOAT16)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                                                          a.shape) for n, a in feeds.items()],
                              [helper.make_tensor_value_info("y0", onnx.TensorProto.BFLOAT16, (2, 3))])
    with pytest.raises(UnsupportedOpError, match="output_dtype BFLOAT16 is not supported; supported: float32, float16"):
        pocketml.convert(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)], ir_version=10))


# ---- QuantizeLinear --------------------------------------------------------------------------
QUANT_OUT = [np.int8, np.uint8, np.int16, np.uint16]
# values around the rounding ties and the ends of every output range, and the IEEE specials
SPECIALS = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.5, -128.5, 254.5, 255.5, 32766.5, 32767.5,
                     -32768.5, 65534.5, 65535.5, 1e10, -1e10, np.nan, np.inf, -np.inf, -0.0, 3.4e38], np.float32)


def _floats(shape, dtype=np.float32, spread=30.0):
    x = np.asarray(RNG.standard_normal(shape) * spread).astype(np.float32)
    flat = x.reshape(-1)
    flat[: min(flat.size, SPECIALS.size)] = SPECIALS[: flat.size]
    return x.astype(dtype)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("dtype", QUANT_OUT, ids=lambda d: np.dtype(d).name)
def test_quantize_layouts(layout, dtype):
    s_shape, attrs = layout
    feeds = {"x": _floats(SHAPE), "s": _scales(s_shape), "z": _ints(s_shape, dtype)}
    _check(_model("QuantizeLinear", feeds, (), 21, **attrs), feeds)


@pytest.mark.parametrize("dtype", QUANT_OUT, ids=lambda d: np.dtype(d).name)
def test_quantize_ties_nan_inf_with_unit_scale(dtype):
    """x / 1 hits every .5 tie exactly: round half to even, then the zero point, then saturation;
    NaN gives the range's minimum and +-inf its ends (onnxruntime's CPU kernels)."""
    for zp in (0, 3, -3 if np.iinfo(dtype).min < 0 else 250):
        feeds = {"x": SPECIALS.reshape(1, -1), "s": np.array(1.0, np.float32), "z": np.array(zp, dtype)}
        _check(_model("QuantizeLinear", feeds, (), 21), feeds)


def test_quantize_ties_after_division():
    """Quotients that are exact .5 ties in float32 (x = (k + 0.5) * s, s a power of two) and
    quotients one ulp either side of them."""
    s = np.float32(0.125)
    k = np.arange(-40, 40, dtype=np.float32) + np.float32(0.5)
    ties = k * s
    x = np.concatenate([ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf))])
    feeds = {"x": x.reshape(3, -1), "s": np.array(s), "z": np.array(-7, np.int8)}
    _check(_model("QuantizeLinear", feeds, (), 13), feeds)


@pytest.mark.parametrize("opset", [10, 13, 19, 21, 23])
def test_quantize_opsets_default_uint8_without_zero_point(opset):
    feeds = {"x": _floats((2, 9)), "s": np.array(0.71, np.float32)}
    _check(_model("QuantizeLinear", feeds, (), opset), feeds)


@pytest.mark.parametrize("out", [onnx.TensorProto.INT8, onnx.TensorProto.UINT16, onnx.TensorProto.INT16])
def test_quantize_output_dtype_without_zero_point(out):
    feeds = {"x": _floats((2, 3, 5)), "s": _scales((3,))}
    _check(_model("QuantizeLinear", feeds, (), 21, axis=1, output_dtype=out), feeds)


@pytest.mark.parametrize("layout", LAYOUTS[:5], ids=LAYOUT_IDS[:5])
@pytest.mark.parametrize("consts", [(), ("s", "z")], ids=["runtime", "const"])
def test_quantize_opset13_scales_fed_or_const(layout, consts):
    s_shape, attrs = layout
    x = _floats((2, 3, 5))
    if "axis" in attrs:
        s_shape = (x.shape[attrs["axis"]],)
    feeds = {"x": x, "s": _scales(s_shape), "z": _ints(s_shape, np.uint8)}
    _check(_model("QuantizeLinear", feeds, consts, 13, **attrs), feeds, consts)


@pytest.mark.parametrize("layout", [LAYOUTS[0], LAYOUTS[4], LAYOUTS[6]], ids=["scalar", "axis-1", "block-1"])
def test_quantize_float16(layout):
    s_shape, attrs = layout
    feeds = {"x": _floats(SHAPE, np.float16, spread=3.0), "s": _scales(s_shape, np.float16),
             "z": _ints(s_shape, np.int8)}
    _check(_model("QuantizeLinear", feeds, (), 21, **attrs), feeds)


def test_qdq_pair_runs_in_float_with_the_exact_rounding():
    """x -> QuantizeLinear -> DequantizeLinear -> Relu with per-tensor activations, the shape
    of onnxruntime's quantizer output, fed at several batches."""
    q = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"])
    dq = helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"])
    relu = helper.make_node("Relu", ["d"], ["y0"])
    graph = helper.make_graph([q, dq, relu], "t", [helper.make_tensor_value_info("x", 1, ("n", 4, 6))],
                              [helper.make_empty_tensor_value_info("y0")],
                              [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
                               numpy_helper.from_array(np.array(128, np.uint8), "z")])
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    converted = pocketml.convert(model)
    for n in (1, 3):
        x = _floats((n, 4, 6), spread=4.0)
        np.testing.assert_array_equal(pocketml.Session(converted).run({"x": x})["y0"], _ort(model, {"x": x})[0])


def test_quantize_refusals():
    feeds = {"x": _floats((2, 3)), "s": _scales(())}
    with pytest.raises(UnsupportedOpError, match="output_dtype INT4 is not supported; supported: int8, uint8, int16"):
        pocketml.convert(_model("QuantizeLinear", feeds, (), 21, output_dtype=onnx.TensorProto.INT4))
    with pytest.raises(UnsupportedOpError, match="precision FLOAT16 is not supported"):
        pocketml.convert(_model("QuantizeLinear", feeds, (), 23, precision=onnx.TensorProto.FLOAT16))
    feeds["z"] = np.array(0, np.int8)
    bad = _model("QuantizeLinear", feeds, (), 21)
    bad.graph.node[0].attribute.append(helper.make_attribute("output_dtype", onnx.TensorProto.UINT8))
    with pytest.raises(ConversionError, match="output_dtype uint8 differs from the zero point's dtype int8"):
        pocketml.convert(bad)


@pytest.mark.parametrize("layout", [((), {}), ((64,), {"axis": 1}), ((4, 64, 24), {"axis": 2, "block_size": 4})],
                         ids=["tensor", "axis", "block"])
def test_large_tensors_split_over_threads(layout):
    """Past the runtime's per-job minimum, so two threads split the rows."""
    s_shape, attrs = layout
    x = _floats((4, 64, 96))
    feeds = {"x": x, "s": _scales(s_shape), "z": _ints(s_shape, np.int8)}
    _check(_model("QuantizeLinear", feeds, (), 21, **attrs), feeds)
    feeds = {"x": _ints((4, 64, 96), np.uint8), "s": _scales(s_shape), "z": _ints(s_shape, np.uint8)}
    _check(_model("DequantizeLinear", feeds, (), 21, **attrs), feeds)


# ---- DynamicQuantizeLinear -------------------------------------------------------------------
DYNAMIC_INPUTS = {
    "mixed": lambda: np.asarray(RNG.standard_normal((3, 5, 7)) * 3, np.float32),
    "positive": lambda: np.asarray(RNG.uniform(0.5, 9.0, (2, 13)), np.float32),
    "negative": lambda: np.asarray(RNG.uniform(-9.0, -0.5, (127,)), np.float32),
    "zeros": lambda: np.zeros((4, 3), np.float32),
    "one": lambda: np.array([2.5], np.float32),
    "empty": lambda: np.zeros((0, 3), np.float32),
    "nan": lambda: np.array([1.0, np.nan, -2.0, 0.25], np.float32),
    "large": lambda: np.asarray(RNG.standard_normal((4, 64, 96)) * 5, np.float32),
}


@pytest.mark.parametrize("kind", list(DYNAMIC_INPUTS))
def test_dynamic_quantize(kind):
    feeds = {"x": DYNAMIC_INPUTS[kind]()}
    _check(_model("DynamicQuantizeLinear", feeds, (), 11, n_out=3), feeds)


def test_dynamic_quantize_batch_fed_at_run_time_and_unused_outputs():
    """A symbolic batch, and only y read (the scale and zero point outputs unused)."""
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y0", "unused_scale", "unused_zero_point"])
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", 1, ("n", 6))],
                              [helper.make_empty_tensor_value_info("y0")])
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]))
    converted = pocketml.convert(model)
    for n in (1, 5):
        x = np.asarray(RNG.standard_normal((n, 6)), np.float32)
        np.testing.assert_array_equal(pocketml.Session(converted).run({"x": x})["y0"], _ort(model, {"x": x})[0])


# ---- QDQ models ------------------------------------------------------------------------------
def _qdq_cnn(act_axis_scales: bool):
    """x -> Q/DQ -> Conv (per-channel int8 weights behind a DQ) -> Q/DQ (per tensor, or per
    channel along axis 1) -> Conv -> Relu: the graph onnxruntime's quantizer writes (QDQ)."""
    w1, w2 = _ints((6, 3, 3, 3), np.int8), _ints((4, 6, 1, 1), np.int8)
    consts = {"w1": w1, "w1s": _scales((6,)) * np.float32(0.01), "w1z": np.zeros(6, np.int8),
              "w2": w2, "w2s": _scales((4,)) * np.float32(0.01), "w2z": np.zeros(4, np.int8),
              "xs": np.array(0.02, np.float32), "xz": np.array(128, np.uint8),
              "as": _scales((6,)) if act_axis_scales else np.array(0.05, np.float32),
              "az": _ints((6,), np.uint8) if act_axis_scales else np.array(3, np.uint8)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w1", "w1s", "w1z"], ["w1d"], axis=0),
             helper.make_node("Conv", ["xd", "w1d"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("QuantizeLinear", ["c1", "as", "az"], ["c1q"], axis=1),
             helper.make_node("DequantizeLinear", ["c1q", "as", "az"], ["c1d"], axis=1),
             helper.make_node("DequantizeLinear", ["w2", "w2s", "w2z"], ["w2d"], axis=0),
             helper.make_node("Conv", ["c1d", "w2d"], ["c2"]),
             helper.make_node("Relu", ["c2"], ["y0"])]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", 1, ("n", 3, 9, 11))],
                              [helper.make_empty_tensor_value_info("y0")],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))


@pytest.mark.parametrize("per_channel", [False, True], ids=["act_per_tensor", "act_per_channel"])
def test_qdq_cnn_runs_channels_last_without_transposes_around_qdq(per_channel):
    model = _qdq_cnn(per_channel)
    converted = pocketml.convert(model)
    ops_used = [n.op for n in converted.graph.nodes]
    assert "Conv" in ops_used and ops_used.count("Transpose") <= 2, ops_used  # into NHWC once, and out
    for n in (1, 2):
        x = np.asarray(RNG.standard_normal((n, 3, 9, 11)), np.float32)
        got, want = pocketml.Session(converted).run({"x": x})["y0"], _ort(model, {"x": x})[0]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", [LAYOUTS[0], LAYOUTS[3], LAYOUTS[6]], ids=["scalar", "axis1", "block-1"])
@pytest.mark.parametrize("dtype", QUANT_OUT, ids=lambda d: np.dtype(d).name)
def test_quantize_int32_input_against_the_onnx_reference(layout, dtype):
    """onnxruntime has no int32 QuantizeLinear: onnx's reference is the oracle (x / scale in
    float64, so 2**24 + 1 does not round to 2**24). Its rounded quotient goes through int32,
    which wraps past 2**31: the values here stay below that (saturation beyond it is checked
    on its own below)."""
    s_shape, attrs = layout
    x = np.asarray(RNG.integers(-70000, 70000, size=SHAPE), np.int32)
    x.reshape(-1)[:4] = [2 ** 24 + 1, -(2 ** 24) - 1, 2 ** 29, -(2 ** 29)]
    feeds = {"x": x, "s": np.asarray(RNG.choice([0.5, 1.0, 2.0, 3.0, 0.37], size=s_shape), np.float32),
             "z": _ints(s_shape, dtype)}
    model = _model("QuantizeLinear", feeds, (), 21, **attrs)
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    converted = pocketml.convert(model)
    for threads in (1, 2):
        got = pocketml.Session(converted, threads=threads).run(feeds)["y0"]
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_quantize_int32_input_saturates_quotients_past_int32():
    x = np.array([2 ** 31 - 1, -(2 ** 31), 7], np.int32)
    feeds = {"x": x, "s": np.array(0.25, np.float32), "z": np.array(-1, np.int16)}
    got = pocketml.Session(pocketml.convert(_model("QuantizeLinear", feeds, (), 21))).run(feeds)["y0"]
    np.testing.assert_array_equal(got, np.array([32767, -32768, 27], np.int16))


@pytest.mark.parametrize("x_dtype, s_dtype", [(np.float16, np.float32), (np.float32, np.float16)])
def test_quantize_opset23_x_and_scale_of_different_float_dtypes(x_dtype, s_dtype):
    """Opset 23 lets x and the scale differ; onnxruntime binds them to one type, so onnx's
    reference is the oracle (numpy divides the two in float32, as the runtime does). Finite
    values only: that reference casts inf and NaN to int32 as the platform does."""
    x = np.asarray(RNG.standard_normal((2, 5, 3)) * 3, x_dtype)
    feeds = {"x": x, "s": _scales((5,), s_dtype), "z": _ints((5,), np.int8)}
    model = _model("QuantizeLinear", feeds, (), 23, axis=1)
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    got = pocketml.Session(pocketml.convert(model)).run(feeds)["y0"]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["QuantizeLinear", "DequantizeLinear"])
def test_per_tensor_scale_and_zero_point_may_be_scalar_and_one_element_vector(op):
    x = _floats((2, 3)) if op == "QuantizeLinear" else _ints((2, 3), np.int8)
    for s_shape, z_shape in (((), (1,)), ((1,), ())):
        feeds = {"x": x, "s": _scales(s_shape), "z": _ints(z_shape, np.int8)}
        _check(_model(op, feeds, (), 13), feeds)


@pytest.mark.parametrize("act_type", ["QUInt8", "QInt8"])
def test_model_from_onnxruntime_quantizer_matches_onnxruntime(tmp_path, act_type):
    """A float CNN through onnxruntime's static quantizer (QDQ format, per-channel weights),
    then run by pocketml and by onnxruntime (graph rewrites off: they would swap in int8
    kernels whose arithmetic differs from the graph's)."""
    quantization = pytest.importorskip("onnxruntime.quantization")
    w1 = np.asarray(RNG.standard_normal((8, 3, 3, 3)) * 0.3, np.float32)
    w2 = np.asarray(RNG.standard_normal((5, 8, 3, 3)) * 0.3, np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["c2"], ["y0"])]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", 1, ("n", 3, 9, 11))],
                              [helper.make_tensor_value_info("y0", 1, None)],
                              [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
                               numpy_helper.from_array(np.asarray(RNG.standard_normal(8) * 0.1, np.float32), "b1")])
    float_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.save(float_model, tmp_path / "f.onnx")

    class Calibration(quantization.CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"x": np.asarray(RNG.standard_normal((1, 3, 9, 11)), np.float32)} for _ in range(4)])

        def get_next(self):
            return next(self.batches, None)

    quantization.quantize_static(tmp_path / "f.onnx", tmp_path / "q.onnx", Calibration(),
                                 quant_format=quantization.QuantFormat.QDQ, per_channel=True,
                                 activation_type=getattr(quantization.QuantType, act_type),
                                 weight_type=quantization.QuantType.QInt8)
    model = onnx.load(tmp_path / "q.onnx")
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in model.graph.node}
    converted = pocketml.convert(model)
    for n in (1, 3):
        x = np.asarray(RNG.standard_normal((n, 3, 9, 11)), np.float32)
        got, want = pocketml.Session(converted).run({"x": x})["y0"], _ort(model, {"x": x})[0]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
