"""The quantized TFLite fixtures themselves (not pocketml): each model loads and runs in LiteRT with its
builtin kernels and with XNNPACK, reproduces the outputs recorded in data.npz, matches its manifest
entry, and the generator reproduces the committed files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.fixtures.quant import make_tflite_int8, qparams, tflite_networks

from .fixtures import TFLITE_DIR, tflite_data, tflite_manifest
from .litert import interpreter, run_litert, run_litert_stream

MANIFEST = tflite_manifest()
SINGLE_SHOT = sorted(name for name in MANIFEST if name != "kws_stream_int8")


def test_manifest_lists_exactly_the_committed_models():
    assert sorted(p.name for p in TFLITE_DIR.glob("*.tflite")) == sorted(e["file"] for e in MANIFEST.values())
    assert sum(p.stat().st_size for p in TFLITE_DIR.iterdir()) < 1_000_000


@pytest.mark.parametrize("name", SINGLE_SHOT)
def test_model_runs_and_reproduces_its_recorded_outputs(name):
    entry = MANIFEST[name]
    inputs, recorded = tflite_data(name)
    it = interpreter(TFLITE_DIR / entry["file"])
    for d, io in zip(it.get_input_details(), entry["inputs"], strict=True):
        assert (d["name"], np.dtype(d["dtype"]).name, list(d["shape"])) == (io["name"], io["dtype"], io["shape"])
        assert d["quantization"][1] == io["zero_point"] and np.float32(d["quantization"][0]) == np.float32(io["scale"])
    got = run_litert(TFLITE_DIR / entry["file"], inputs, "builtin")
    for g, want in zip(got, recorded, strict=True):
        _assert_same(g, want)
    xnnpack = run_litert(TFLITE_DIR / entry["file"], inputs, "xnnpack")
    diff = max(float(np.max(np.abs(g.astype(np.float64) - x.astype(np.float64)))) for g, x in zip(got, xnnpack))
    if all(io["dtype"] != "float32" for io in entry["outputs"]):
        assert diff <= 1, "XNNPACK should stay within one quantization step of the builtin kernels"
    else:   # float summation order depends on the CPU: only a loose bound
        assert diff <= 2 * entry["xnnpack_max_diff"] + 1e-5
    if "reference_max_diff" in entry:
        _, recorded_reference = tflite_data(name, "reference")
        reference = run_litert(TFLITE_DIR / entry["file"], inputs, "reference")
        for g, want in zip(reference, recorded_reference, strict=True):
            _assert_same(g, want)


@pytest.mark.parametrize("name", sorted(name for name, e in MANIFEST.items() if "full_range" in e))
def test_full_range_inputs_reproduce_their_recorded_outputs(name):
    path = TFLITE_DIR / MANIFEST[name]["file"]
    for kernels in ("builtin", "reference"):
        inputs, recorded = tflite_data(name, kernels, full_range=True)
        assert inputs and recorded
        for got, want in zip(run_litert(path, inputs, kernels), recorded, strict=True):
            _assert_same(got, want)


def _assert_same(got, want):
    """Integer outputs bit for bit; float outputs (float I/O, dynamic range) up to summation order."""
    if got.dtype == np.float32:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


def test_zero_points_are_exercised():
    """The fixtures are only useful if most int8 activations have a zero point other than 0."""
    zps = [io["zero_point"] for e in MANIFEST.values() if e["scheme"] == "int8" for io in e["inputs"]
           if io["dtype"] == "int8"]
    assert sum(zp != 0 for zp in zps) > len(zps) // 2


def test_quantize_matches_numpy_quantization():
    inputs, (out,) = tflite_data("quantize_float_int8")
    io = MANIFEST["quantize_float_int8"]["outputs"][0]
    np.testing.assert_array_equal(out, qparams.quantize(inputs["x"], io["scale"], io["zero_point"], "int8"))


def test_dequantize_matches_numpy():
    inputs, (out,) = tflite_data("dequantize_int8")
    io = MANIFEST["dequantize_int8"]["inputs"][0]
    np.testing.assert_allclose(out, qparams.dequantize(inputs["x"], io["scale"], io["zero_point"]), rtol=1e-6)


def test_int8_mobilenet_stays_close_to_the_float_original():
    """A sanity check of the quantizer: the int8 network's probabilities track the float network's."""
    inputs, (probs_float,) = tflite_data("mobilenet_float")
    _, (probs_fio,) = tflite_data("mobilenet_int8_float_io")
    assert np.max(np.abs(probs_fio - probs_float)) < 0.05
    assert np.argmax(probs_fio) == np.argmax(probs_float)


@pytest.mark.parametrize("kernels", ["builtin", "xnnpack"])
def test_streaming_kws_matches_the_window_model_at_every_step(kernels):
    entry = MANIFEST["kws_stream_int8"]
    inputs, (recorded,) = tflite_data("kws_stream_int8")
    frames = inputs["frame"]
    streamed = run_litert_stream(TFLITE_DIR / entry["file"], [[f] for f in frames], kernels)
    zp = entry["inputs"][0]["zero_point"]
    window = np.full((1, 4, 8), zp, np.int8)
    for t, frame in enumerate(frames):
        window = np.concatenate([window[:, 1:], frame], axis=1)
        expected = run_litert(TFLITE_DIR / "kws_window_int8.tflite", [window], kernels)[0]
        np.testing.assert_array_equal(streamed[t][0], expected, err_msg=f"step {t}")
        if kernels == "builtin":
            np.testing.assert_array_equal(streamed[t][0], recorded[t])
    assert len({streamed[t][0].tobytes() for t in range(len(frames))}) > 1   # the state does change the output


def test_generator_reproduces_the_committed_files(tmp_path):
    versions = json.loads((TFLITE_DIR / "versions.json").read_text())
    make_tflite_int8.write_all(tmp_path)
    if versions != qparams.generator_versions():
        again = tmp_path / "again"
        make_tflite_int8.write_all(again)   # other versions: the script must at least be deterministic
        reference = again
    else:
        reference = TFLITE_DIR
    for path in sorted(reference.glob("*.*")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_kws_models_are_deterministic():
    assert tflite_networks.kws_models() == tflite_networks.kws_models()


def test_mobilenet_numpy_forward_matches_litert_float():
    """The numpy network that calibrates the MobileNet fixtures is the float model LiteRT runs."""
    inputs, (probs,) = tflite_data("mobilenet_float")
    values = tflite_networks.numpy_forward(tflite_networks.mobilenet_graph(), inputs)
    np.testing.assert_allclose(values["probs"], probs, rtol=1e-4, atol=1e-6)
