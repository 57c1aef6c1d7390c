"""QOperator import (converters/onnx/ops_qlinear.py) on hand-built graphs, against onnxruntime running
the same QOperator graph: the attribute forms the quantizer fixtures do not reach (QLinearSoftmax of
an older opset on a non-last axis, QLinearAveragePool channels_last, QGemm with alpha and a float
output, QLinearLeakyRelu's default alpha, zero points left out), within one output quantization step;
then what the importer refuses, with the node, op and domain named."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.errors import ConversionError
from tests.quant_oracles.ort import run_ort

MS = "com.microsoft"


def _model(nodes, inits: dict, inputs: list, outputs: list) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "q", inputs, outputs,
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    return model


def _quantized_input(shape, scale=0.02, zp=128):
    """A float input quantized to uint8 by QuantizeLinear ("xq"), and its inits."""
    node = helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"])
    return node, {"xs": np.float32(scale), "xz": np.uint8(zp)}, helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)


def _dequantized_output(name: str, scale: float, zp: int):
    node = helper.make_node("DequantizeLinear", [name, "ys", "yz"], ["y"])
    return node, {"ys": np.float32(scale), "yz": np.uint8(zp)}, helper.make_tensor_value_info("y", TensorProto.FLOAT, None)


def _check(model: onnx.ModelProto, x: np.ndarray, step: float) -> None:
    want = run_ort(model.SerializeToString(), {"x": x})[0]
    for isa in pocketml.available_isas():
        got = pocketml.Session(pocketml.convert(model), isa=isa).run({"x": x})
        got = list(got.values())[0]
        assert got.shape == want.shape
        assert np.max(np.abs(got.astype(np.float64) - want)) <= step * 1.0001, isa


def _unary_model(node: onnx.NodeProto, shape, y_scale: float, y_zp: int) -> onnx.ModelProto:
    q, qi, vin = _quantized_input(shape)
    d, di, vout = _dequantized_output("yq", y_scale, y_zp)
    return _model([q, node, d], {**qi, **di, "ys_": np.float32(y_scale), "yz_": np.uint8(y_zp)}, [vin], [vout])


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, shape).astype(np.float32)


def test_softmax_of_opset_11_flattens_from_its_axis():
    node = helper.make_node("QLinearSoftmax", ["xq", "xs", "xz", "ys_", "yz_"], ["yq"], domain=MS, axis=1, opset=11)
    _check(_unary_model(node, [2, 3, 4], 1 / 256, 0), _x([2, 3, 4]), 1 / 256)


def test_average_pool_channels_last():
    node = helper.make_node("QLinearAveragePool", ["xq", "xs", "xz", "ys_", "yz_"], ["yq"], domain=MS,
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1], channels_last=1, count_include_pad=1)
    _check(_unary_model(node, [1, 5, 6, 3], 0.01, 128), _x([1, 5, 6, 3]), 0.01)


def test_global_average_pool_channels_last():
    node = helper.make_node("QLinearGlobalAveragePool", ["xq", "xs", "xz", "ys_", "yz_"], ["yq"], domain=MS,
                            channels_last=1)
    _check(_unary_model(node, [1, 4, 4, 5], 0.01, 128), _x([1, 4, 4, 5]), 0.01)


def test_leaky_relu_default_alpha_and_absent_zero_points():
    """An absent zero point is 0 of the input's type: the model without y's zero point against
    onnxruntime on the same model with an explicit uint8 0 (onnxruntime itself aborts on the former)."""
    explicit = helper.make_node("QLinearLeakyRelu", ["xq", "xs", "xz", "ys_", "yz_"], ["yq"], domain=MS)
    absent = helper.make_node("QLinearLeakyRelu", ["xq", "xs", "xz", "ys_"], ["yq"], domain=MS)
    x = _x([3, 7])
    want = run_ort(_unary_model(explicit, [3, 7], 0.01, 0).SerializeToString(), {"x": x})[0]
    for node in (explicit, absent):
        got = list(pocketml.Session(pocketml.convert(_unary_model(node, [3, 7], 0.01, 0))).run({"x": x}).values())[0]
        assert np.max(np.abs(got - want)) <= 0.01 * 1.0001


def test_qgemm_alpha_trans_a_and_float_output():
    rng = np.random.default_rng(3)
    q, qi, vin = _quantized_input([6, 4])
    inits = {**qi, "w": rng.integers(-127, 128, (6, 5)).astype(np.int8), "ws": np.float32(0.01),
             "wz": np.int8(0), "b": rng.integers(-500, 500, 5).astype(np.int32)}
    node = helper.make_node("QGemm", ["xq", "xs", "xz", "w", "ws", "wz", "b"], ["y"], domain=MS, alpha=0.5, transA=1)
    model = _model([q, node], inits, [vin], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    x = _x([6, 4])
    want = run_ort(model.SerializeToString(), {"x": x})[0]
    got = list(pocketml.Session(pocketml.convert(model)).run({"x": x}).values())[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_unsupported_com_microsoft_op_is_named():
    q, qi, vin = _quantized_input([2, 4])
    node = helper.make_node("QLinearReduceMean", ["xq", "xs", "xz", "xs", "xz"], ["yq"], domain=MS, axes=[1],
                            keepdims=1, name="rm")
    d, di, vout = _dequantized_output("yq", 0.02, 128)
    with pytest.raises(ConversionError, match=r"QLinearReduceMean.*com\.microsoft|com\.microsoft.*QLinearReduceMean"):
        pocketml.convert(_model([q, node, d], {**qi, **di}, [vin], [vout]))


def test_per_channel_activation_scale_is_refused():
    q, qi, vin = _quantized_input([2, 4])
    node = helper.make_node("QLinearAdd", ["xq", "cs", "cz", "xq", "xs", "xz", "xs", "xz"], ["yq"], domain=MS,
                            name="add")
    d, di, vout = _dequantized_output("yq", 0.02, 128)
    inits = {**qi, **di, "cs": np.full(4, 0.02, np.float32), "cz": np.full(4, 128, np.uint8)}
    with pytest.raises(ConversionError, match=r"'add' \(QLinearAdd.*com\.microsoft.*per-tensor"):
        pocketml.convert(_model([q, node, d], inits, [vin], [vout]))
