"""Residual Add fusion into quantized Convs (passes/fuse_conv_residual_q8.py) and the fused epilogue
in C (native/src/ops/conv_q8.c): whole int8/uint8 networks converted with the fusion must give
exactly the outputs of the same networks with their Conv and Add run as separate nodes (the C
conv and Add kernels, themselves checked against LiteRT and onnxruntime), on every kernel
configuration and on two threads: a TFLite fixture (within LiteRT's recorded outputs as before)
and a residual CNN quantized here by onnxruntime's quantizer in four forms (within 2% of
onnxruntime's output). The per-kernel oracle (conv ref + Add ref) is native/tests/test_qconv_residual.c."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

import pocketml
from pocketml import ops
import pocketml.passes.fuse_conv_residual  # noqa: F401 (the module, not the pass function)
import sys

fcr = sys.modules["pocketml.passes.fuse_conv_residual"]

from tests.quant_oracles.fixtures import TFLITE_DIR, tflite_data, tflite_manifest
from tests.quant_oracles.ort import run_ort

CONFIGS = [{"threads": 1, "isa": isa} for isa in pocketml.available_isas()] + [{"threads": 2}]
# onnxruntime's quantizer on a small residual CNN (below): format, activations, weights, per channel
ONNX_QUANT = {"qdq_u8s8_per_tensor": (QuantFormat.QDQ, QuantType.QUInt8, QuantType.QInt8, False),
              "qdq_s8s8_per_channel": (QuantFormat.QDQ, QuantType.QInt8, QuantType.QInt8, True),
              "qop_u8u8_per_tensor": (QuantFormat.QOperator, QuantType.QUInt8, QuantType.QUInt8, False),
              "qop_s8s8_per_channel": (QuantFormat.QOperator, QuantType.QInt8, QuantType.QInt8, True)}
# (fixture, its format, residual Adds that fold into a Conv)
NETWORKS = [("mobilenet_int8", "tflite", 3)] + [(name, "onnx", 3) for name in ONNX_QUANT]


def _residual_cnn() -> onnx.ModelProto:
    """x [1,8,11,13] -> 1x1 conv (17 channels) -> 3 blocks of (1x1 conv + Relu, 1x1 conv / 3x3 conv, + residual);
    the last Add feeds a Relu (QDQ: folded as the Add's activation)."""
    rng = np.random.default_rng(5)
    inits, nodes = [], []

    def conv(x, y, cin, cout, k=1):
        inits.append(numpy_helper.from_array((rng.standard_normal((cout, cin, k, k)) / np.sqrt(cin * k * k))
                                             .astype(np.float32), y + "_w"))
        inits.append(numpy_helper.from_array((0.1 * rng.standard_normal(cout)).astype(np.float32), y + "_b"))
        nodes.append(helper.make_node("Conv", [x, y + "_w", y + "_b"], [y], pads=[k // 2] * 4))

    conv("x", "stem", 8, 17)
    skip = "stem"
    for i in range(3):
        conv(skip, f"e{i}", 17, 24)
        nodes.append(helper.make_node("Relu", [f"e{i}"], [f"r{i}"]))
        conv(f"r{i}", f"p{i}", 24, 17, k=3 if i == 1 else 1)
        nodes.append(helper.make_node("Add", [f"p{i}" if i != 2 else skip, skip if i != 2 else f"p{i}"], [f"s{i}"]))
        skip = f"s{i}"
    nodes.append(helper.make_node("Relu", [skip], ["y"]))
    graph = helper.make_graph(nodes, "residual_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 11, 13])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 17, 11, 13])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class _Reader(CalibrationDataReader):
    def __init__(self, samples):
        self._it = iter(samples)

    def get_next(self):
        return next(self._it, None)


@pytest.fixture(scope="module")
def onnx_models(tmp_path_factory) -> dict:
    """name -> (path, input)"""
    work = tmp_path_factory.mktemp("residual_cnn")
    rng = np.random.default_rng(9)
    samples = [{"x": rng.standard_normal((1, 8, 11, 13)).astype(np.float32)} for _ in range(4)]
    result = {}
    for name, (fmt, act, weight, per_channel) in ONNX_QUANT.items():
        path = work / f"{name}.onnx"
        quantize_static(_residual_cnn(), path, _Reader(samples), quant_format=fmt, activation_type=act,
                        weight_type=weight, per_channel=per_channel)
        result[name] = (path, samples[0]["x"])
    return result


def _path(name: str, fmt: str, onnx_models: dict):
    if fmt == "tflite":
        return TFLITE_DIR / tflite_manifest()[name]["file"]
    return onnx_models[name][0]


def _inputs(name: str, fmt: str, onnx_models: dict) -> tuple:
    if fmt == "tflite":
        inputs, want = tflite_data(name)
        order = [io["name"] for io in tflite_manifest()[name]["inputs"]]
        return [inputs[n] for n in order], want
    path, x = onnx_models[name]
    return [x], run_ort(path, {"x": x})


def _convert(name: str, fmt: str, fused: bool, monkeypatch, onnx_models: dict = None) -> pocketml.Model:
    with monkeypatch.context() as m:
        if not fused:
            m.setattr(fcr, "fuse_q8_add", lambda *args: False)
        return pocketml.convert(_path(name, fmt, onnx_models))


def _run(model, inputs: list, config: dict) -> list:
    session = pocketml.Session(model, **config)
    out = session.run({i.name: v for i, v in zip(session.inputs, inputs, strict=True)})
    return [out[o.name] for o in session.outputs]


def _summed_convs(model) -> list:
    return [n for n in model.graph.nodes if n.op == "Conv" and len(n.inputs) > 3 and n.inputs[3]]


@pytest.mark.parametrize("name,fmt,adds", NETWORKS, ids=[n[0] for n in NETWORKS])
def test_fused_network_equals_unfused(name, fmt, adds, monkeypatch, onnx_models):
    fused = _convert(name, fmt, True, monkeypatch, onnx_models)
    unfused = _convert(name, fmt, False, monkeypatch, onnx_models)
    summed = _summed_convs(fused)
    assert len(summed) == adds and not _summed_convs(unfused)
    assert all(n.attrs["sum_scale"] > 0 for n in summed)
    n_add = sum(n.op == "Add" for n in unfused.graph.nodes) - sum(n.op == "Add" for n in fused.graph.nodes)
    assert n_add == adds
    inputs, recorded = _inputs(name, fmt, onnx_models)
    want = _run(unfused, inputs, {"threads": 1, "isa": "scalar"})
    for config in CONFIGS:
        got = _run(fused, inputs, config)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w, err_msg=f"{name} {config}")
    if fmt == "tflite":  # and the unfused run is LiteRT's within one step (tests/models/test_int8_models.py)
        assert int(np.max(np.abs(want[0].astype(np.int64) - recorded[0].astype(np.int64)))) <= 1
    else:  # issue 13's whole-CNN bound against onnxruntime: within 2% of the output range
        span = float(np.ptp(recorded[0]))
        assert float(np.max(np.abs(want[0].astype(np.float64) - recorded[0]))) <= 0.02 * span


def test_fused_conv_keeps_the_add_activation(monkeypatch):
    # mobilenet_int8's last residual ADD carries RELU6: the fused Conv clamps with it
    model = _convert("mobilenet_int8", "tflite", True, monkeypatch)
    acts = sorted(n.attrs.get("act", ops.ACT_NONE) for n in _summed_convs(model))
    assert ops.ACT_CLIP in acts and ops.ACT_NONE in acts


@pytest.mark.parametrize("field,value,message", [
    ("sum_scale", 0.0, "sum_scale"), ("sum_scale", float("nan"), "sum_scale"),
    ("sum_zero_point", 300, "sum_zero_point"), ("sum_requant", 2, "sum_requant")])
def test_bad_sum_attributes_are_refused(field, value, message, monkeypatch):
    model = _convert("mobilenet_int8", "tflite", True, monkeypatch)
    _summed_convs(model)[0].attrs[field] = value
    inputs, _ = _inputs("mobilenet_int8", "tflite", {})
    with pytest.raises(Exception, match=message):
        _run(model, inputs, {"threads": 1})
