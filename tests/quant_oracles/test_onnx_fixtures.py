"""The quantized ONNX fixtures themselves (not pocketml): each model runs in onnxruntime and reproduces
the outputs recorded in data.npz, its manifest lists the ops it really contains, the quantized
models track their float originals, the generator reproduces the committed files, and the
light_squeezenet session fixture quantizes and runs."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from tests.fixtures.quant import make_onnx_quant, qparams

from .fixtures import ONNX_DIR, onnx_data, onnx_manifest
from .ort import run_ort

MANIFEST = onnx_manifest()


def test_manifest_lists_exactly_the_committed_models():
    assert sorted(p.name for p in ONNX_DIR.glob("*.onnx")) == sorted(e["file"] for e in MANIFEST.values())
    assert sum(p.stat().st_size for p in ONNX_DIR.iterdir()) < 1_000_000


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_model_runs_and_reproduces_its_recorded_outputs(name):
    entry = MANIFEST[name]
    model = onnx.load(ONNX_DIR / entry["file"])
    onnx.checker.check_model(model)
    assert make_onnx_quant.op_counts(model) == entry["ops"]
    inputs, recorded = onnx_data(name)
    for got, want in zip(run_ort(ONNX_DIR / entry["file"], inputs), recorded, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    if "exact_error" not in entry:
        _, recorded_exact = onnx_data(name, "exact")
        for got, want in zip(run_ort(ONNX_DIR / entry["file"], inputs, exact=True), recorded_exact, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    _, recorded_unfused = onnx_data(name, "unfused")
    for got, want in zip(run_ort(ONNX_DIR / entry["file"], inputs, optimize=False), recorded_unfused, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_quantized_model_tracks_its_float_original(name):
    """Sanity of the fixtures: within 5% of the float model's output range (the engine must do better
    than this against onnxruntime itself)."""
    entry = MANIFEST[name]
    inputs, (quantized, *_) = onnx_data(name)
    reference = run_ort(make_onnx_quant.float_model(entry["source"]).SerializeToString(), inputs)[0]
    span = float(reference.max() - reference.min())
    assert np.max(np.abs(quantized - reference)) <= 0.05 * span


def test_static_models_contain_the_quantized_ops_of_their_format():
    for name, entry in MANIFEST.items():
        ops = entry["ops"]
        if entry["format"] == "QDQ":
            assert "QuantizeLinear" in ops and "DequantizeLinear" in ops and "QLinearConv" not in ops, name
        elif entry["format"] == "QOperator":
            assert any(op.split(".")[-1].startswith(("QLinear", "QGemm")) for op in ops), name
        else:
            assert "MatMulInteger" in ops and "DynamicQuantizeLinear" in ops, name
    assert "com.microsoft.QLinearAdd" in MANIFEST["cnn_qop_u8u8_per_tensor"]["ops"]


def test_generator_reproduces_the_committed_files(tmp_path):
    make_onnx_quant.write_all(tmp_path)
    reference = ONNX_DIR
    if json.loads((ONNX_DIR / "versions.json").read_text()) != qparams.generator_versions():
        reference = tmp_path / "again"   # other versions: the script must at least be deterministic
        make_onnx_quant.write_all(reference)
    for path in sorted(reference.glob("*.*")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_light_squeezenet_session_fixture(light_squeezenet_quantized):
    paths = light_squeezenet_quantized
    reference = run_ort(paths["float"], paths["inputs"])[0]
    span = float(reference.max() - reference.min())
    for variant in ("qdq_s8s8_per_channel", "qop_u8s8_per_tensor", "dynamic"):
        out = run_ort(paths[variant], paths["inputs"])[0]
        assert out.shape == reference.shape
        assert np.max(np.abs(out - reference)) <= 0.1 * span, variant
    ops = {n.op_type for n in onnx.load(paths["qop_u8s8_per_tensor"]).graph.node}
    assert "QLinearConv" in ops
