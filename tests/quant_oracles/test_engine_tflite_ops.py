"""pocketml's int8 engine on the committed per-op TFLite fixtures: each model converted and run by
the C runtime must reproduce LiteRT's builtin kernels (the outputs recorded in data.npz, which
test_tflite_fixtures checks against a live LiteRT) bit for bit, on the calibration sample and on
inputs spanning the whole integer range, with the best kernels and with the scalar configuration
forced, on one and two threads."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

import pocketml

from .fixtures import TFLITE_DIR, tflite_data, tflite_manifest

MANIFEST = tflite_manifest()

# fixtures whose every op runs on quantized tensors in pocketml
RUNNING = [
    "add_int8", "add_broadcast_relu_int8", "add_broadcast_relu_uint8", "add_int16x8",
    "sub_broadcast_int8", "mul_broadcast_relu6_int8", "mul_broadcast_relu6_uint8",
    "quantize_float_int8", "quantize_int8_int16", "quantize_requant_int8", "dequantize_int8", "dequantize_uint8",
    "add_broadcast_relu_int8_float_io",
    "avg_pool_same_int8", "avg_pool_same_uint8", "mean_hw_int8", "mean_hw_uint8", "mean_last_int8",
    "logistic_int8", "logistic_uint8", "tanh_int8", "hard_swish_int8", "leaky_relu_int8", "gelu_int8",
    "gelu_tanh_int8", "relu_int8", "relu6_int8", "softmax_int8", "softmax_uint8", "softmax_int8_float_io",
    "prelu_int8", "resize_bilinear_align_int8", "resize_bilinear_half_pixel_int8", "resize_bilinear_legacy_int8",
    "resize_nearest_align_int8", "resize_nearest_half_pixel_int8", "concat_scales_int8", "concat_scales_uint8",
    "batch_matmul_int8", "logistic_int16x8", "tanh_int16x8", "softmax_int16x8", "batch_matmul_int16x8",
]
# every kernel configuration this CPU runs (avx512vnni, avx2, scalar on x86-64 with VNNI), and two threads
CONFIGS = [{"threads": 1, "isa": isa} for isa in pocketml.available_isas()] + [{"threads": 2}]


@lru_cache(maxsize=None)
def _model(name: str):
    return pocketml.convert(TFLITE_DIR / MANIFEST[name]["file"])


def _run(name: str, inputs: dict, config: dict) -> list:
    session = pocketml.Session(_model(name), **config)
    order = [io["name"] for io in MANIFEST[name]["inputs"]]
    feeds = {i.name: inputs[n] for i, n in zip(session.inputs, order, strict=True)}
    out = session.run(feeds)
    return [out[o.name] for o in session.outputs]


def _assert_exact(got: list, want: list) -> None:
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
@pytest.mark.parametrize("name", RUNNING)
def test_fixture_matches_litert_builtin(name, config):
    inputs, want = tflite_data(name)
    _assert_exact(_run(name, inputs, config), want)
    if "full_range" in MANIFEST[name]:
        inputs, want = tflite_data(name, full_range=True)
        _assert_exact(_run(name, inputs, config), want)


def test_session_reports_the_tensor_parameters():
    entry = MANIFEST["add_int8"]
    session = pocketml.Session(_model("add_int8"))
    for port, io in zip(list(session.inputs) + list(session.outputs), entry["inputs"] + entry["outputs"]):
        assert port.quant is not None
        assert np.float32(port.quant.scale[0]) == np.float32(io["scale"])
        assert int(port.quant.zero_point[0]) == io["zero_point"]
