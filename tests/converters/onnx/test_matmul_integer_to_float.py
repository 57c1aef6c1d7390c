"""MatMulIntegerToFloat (com.microsoft) end to end, and the pass that fuses onnxruntime's dynamic
quantization pattern MatMulInteger -> Cast -> Mul (-> Add bias) into it.

The op is checked against onnxruntime's own kernel (imported from a com.microsoft node) and, bit
for bit, against the registry's numpy reference; the fusion bit for bit against the same graph
converted without the pass (the Cast, Mul and Add it replaces run as separate nodes there), at
awkward sizes around the vpdpbusd tile (4 rows x 32 columns, 4-byte K quads), for int8 and uint8
activations, int8 and uint8 weights (uint8 weights and non-zero weight zero points take the
int16 form), scales of one value and per column, with and without bias; one and two threads.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml import ops, passes

RNG = np.random.default_rng(7)
MS = "com.microsoft"


def _ints(shape, dtype):
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max + 1, shape).astype(dtype)


def _model(nodes, inputs, output_shape, inits):
    graph = helper.make_graph(nodes, "t", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                             ir_version=9)


def _ort(model, feeds):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def _run(converted, feeds):
    outs = [pocketml.Session(converted, threads=t).run(feeds)["y"] for t in (1, 2)]
    np.testing.assert_array_equal(outs[0], outs[1])
    return outs[0]


def _unfused(model):
    """The model converted with every pass but the fusion."""
    saved = list(passes.PIPELINE)
    passes.PIPELINE[:] = [p for p in saved if p[0] != "fuse_integer_matmul"]
    try:
        return pocketml.convert(model)
    finally:
        passes.PIPELINE[:] = saved


SHAPES = [(1, 1, 1), (3, 5, 17), (4, 64, 32), (5, 63, 33), (13, 65, 100), (2, 4096, 16)]


@pytest.mark.parametrize("a_dt,b_dt", [(np.uint8, np.int8), (np.int8, np.int8), (np.uint8, np.uint8)],
                         ids=["u8s8", "s8s8", "u8u8"])
@pytest.mark.parametrize("mkn", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("form", ["column_scale_bias", "one_scale", "w_zero_point"])
def test_com_microsoft_op_against_onnxruntime_and_the_reference(a_dt, b_dt, mkn, form):
    m, k, n = mkn
    a, b = _ints((m, k), a_dt), _ints((k, n), b_dt)
    a_scale = np.float32(0.013)
    b_scale = (RNG.uniform(0.001, 0.02, n) if form == "column_scale_bias" else np.float32(0.007)).astype(np.float32)
    a_zp = np.array(RNG.integers(0, 100), a_dt)
    b_zp = np.array(3 if form == "w_zero_point" else 0, b_dt)
    bias = RNG.normal(0, 1, n).astype(np.float32)
    inits = {"b": b, "a_scale": a_scale, "b_scale": b_scale, "a_zp": a_zp, "b_zp": b_zp, "bias": bias}
    names = ["a", "b", "a_scale", "b_scale", "a_zp", "b_zp", "bias" if form != "one_scale" else ""]
    node = helper.make_node("MatMulIntegerToFloat", names, ["y"], domain=MS)
    model = _model([node], [helper.make_tensor_value_info("a", helper.np_dtype_to_tensor_dtype(a.dtype), (m, k))],
                   (m, n), inits)
    got = _run(pocketml.convert(model), {"a": a})
    ref_inputs = [a, b, a_scale, b_scale, a_zp, b_zp, bias if form != "one_scale" else None]
    want = ops.get("MatMulIntegerToFloat").reference(ref_inputs, {})[0]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, _ort(model, {"a": a}), rtol=2e-6, atol=1e-6)


def _dynamic_pattern(m, k, n, a_shape_col: bool, bias: bool, b_dt=np.int8):
    """DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(a_scale * w_scale) (-> Add bias), as
    onnxruntime's quantize_dynamic writes it."""
    w = _ints((k, n), b_dt)
    w_scale = (RNG.uniform(0.001, 0.02, n) if a_shape_col else np.array(0.01)).astype(np.float32)
    inits = {"w": w, "w_scale": w_scale, "w_zp": np.zeros(n if a_shape_col else (), b_dt),
             "bias": RNG.normal(0, 1, n).astype(np.float32)}
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "q_scale", "q_zp"]),
             helper.make_node("Mul", ["q_scale", "w_scale"], ["scale"]),
             helper.make_node("MatMulInteger", ["q", "w", "q_zp", "w_zp"], ["acc"]),
             helper.make_node("Cast", ["acc"], ["acc_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["acc_f", "scale"], ["y" if not bias else "z"])]
    if bias:
        nodes.append(helper.make_node("Add", ["z", "bias"], ["y"]))
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, (m, k))], (m, n), inits)


@pytest.mark.parametrize("mkn", SHAPES[1:5], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("per_column", [True, False], ids=["w_scale_per_column", "w_scale_one"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_dynamic_pattern_fuses_and_keeps_every_bit(mkn, per_column, bias):
    m, k, n = mkn
    model = _dynamic_pattern(m, k, n, per_column, bias)
    fused = pocketml.convert(model)
    op_counts = {node.op for node in fused.graph.nodes}
    assert "MatMulIntegerToFloat" in op_counts and not op_counts & {"MatMulInteger", "Cast", "Mul", "Add"}
    x = RNG.normal(0, 1, (m, k)).astype(np.float32)
    got = _run(fused, {"x": x})
    np.testing.assert_array_equal(got, _run(_unfused(model), {"x": x}))
    np.testing.assert_allclose(got, _ort(model, {"x": x}), rtol=1e-5, atol=1e-5)


def test_uint8_weights_fuse_on_the_int16_form():
    model = _dynamic_pattern(7, 33, 20, True, True, b_dt=np.uint8)
    x = RNG.normal(0, 1, (7, 33)).astype(np.float32)
    fused = pocketml.convert(model)
    assert "MatMulIntegerToFloat" in {node.op for node in fused.graph.nodes}
    np.testing.assert_array_equal(_run(fused, {"x": x}), _run(_unfused(model), {"x": x}))


def test_a_product_read_twice_stays_unfused():
    model = _dynamic_pattern(4, 8, 16, True, False)
    graph = model.graph
    graph.node.append(helper.make_node("Relu", ["acc_f"], ["r"]))
    graph.output.append(helper.make_tensor_value_info("r", TensorProto.FLOAT, (4, 16)))
    converted = pocketml.convert(model)
    assert "MatMulIntegerToFloat" not in {node.op for node in converted.graph.nodes}
    x = RNG.normal(0, 1, (4, 8)).astype(np.float32)
    np.testing.assert_allclose(pocketml.Session(converted).run({"x": x})["y"], _ort(model, {"x": x}), rtol=1e-5,
                               atol=1e-5)


def test_bad_scale_shape_names_the_node():
    a, b = _ints((3, 4), np.uint8), _ints((4, 5), np.int8)
    node = helper.make_node("MatMulIntegerToFloat", ["a", "b", "a_scale", "b_scale"], ["y"], domain=MS, name="mm")
    model = _model([node], [helper.make_tensor_value_info("a", TensorProto.UINT8, (3, 4))], (3, 5),
                   {"b": b, "a_scale": np.ones(3, np.float32), "b_scale": np.ones(5, np.float32)})
    with pytest.raises(pocketml.PocketMLError, match="mm.*a_scale of shape"):
        pocketml.convert(model)
    del a
