"""pocketml on the committed quantized ONNX fixtures (QDQ, QOperator and dynamic) against onnxruntime,
with the best kernels, the scalar configuration forced, and two threads:
- every per-op model within one quantization step (its output DequantizeLinear's scale) of
  onnxruntime's default output (data.npz "out", what a user of onnxruntime gets);
- the CNN/MLP models within 2% of the output range of onnxruntime's default output, and their
  argmax equal on at least 99% of a seeded batch of inputs (onnxruntime run live);
- the dynamic-quantized encoders at cosine >= 0.999 per output;
- light_squeezenet quantized at test time (QDQ, QOperator, dynamic) under the CNN criterion.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import pocketml
from tests.fixtures.quant import onnx_float_models

from .fixtures import ONNX_DIR, onnx_data, onnx_manifest
from .light_models import float_inputs
from .ort import session as ort_session

MANIFEST = onnx_manifest()
OP_MODELS = sorted(n for n in MANIFEST if n.startswith("op_"))
NETWORKS = sorted(n for n in MANIFEST if n.startswith(("cnn_", "mlp_")))
ENCODERS = sorted(n for n in MANIFEST if n.startswith("encoder_"))
CONFIGS = [{"threads": 1}, {"threads": 1, "isa": "scalar"}, {"threads": 2}]
CONFIG_IDS = ["-".join(f"{k}{v}" for k, v in c.items()) for c in CONFIGS]
BATCH = 200   # argmax samples per CNN/MLP model (at most 2 may disagree)


@lru_cache(maxsize=None)
def _model(path: str):
    return pocketml.convert(path)


def _run(path, feeds: dict, config: dict) -> list:
    session = pocketml.Session(_model(str(path)), **config)
    out = session.run(feeds)
    return [out[o.name] for o in session.outputs]


def _output_step(name: str) -> float:
    """The scale of the DequantizeLinear that produces the model's output: one quantization step."""
    model = onnx.load(ONNX_DIR / MANIFEST[name]["file"])
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out = model.graph.output[0].name
    producer = next(n for n in model.graph.node if out in n.output)
    assert producer.op_type == "DequantizeLinear", name
    return float(inits[producer.input[1]].reshape(-1)[0])


def test_every_fixture_is_covered():
    assert sorted(OP_MODELS + NETWORKS + ENCODERS) == sorted(MANIFEST)
    assert any("_qop_" in n for n in OP_MODELS) and any("_qop_" in n for n in NETWORKS)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", OP_MODELS)
def test_per_op_model_within_one_step_of_onnxruntime(name, config):
    inputs, (want,) = onnx_data(name)
    (got,) = _run(ONNX_DIR / MANIFEST[name]["file"], inputs, config)
    assert got.shape == want.shape and got.dtype == want.dtype
    step = _output_step(name)
    assert np.max(np.abs(got.astype(np.float64) - want)) <= step * 1.0001


def _assert_network_close(path, batches: list, config: dict) -> None:
    """Within 2% of onnxruntime's output range on every sample; argmax agreement >= 99% over all rows."""
    ort = ort_session(path)
    agree = rows = 0
    for feeds in batches:
        want = ort.run(None, feeds)[0]
        (got,) = _run(path, feeds, config)[:1]
        span = float(want.max() - want.min())
        assert np.max(np.abs(got - want)) <= 0.02 * span
        agree += int(np.sum(got.reshape(len(got), -1).argmax(1) == want.reshape(len(want), -1).argmax(1)))
        rows += len(want)
    assert agree >= 0.99 * rows, f"argmax agrees on {agree} of {rows} rows"


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", NETWORKS)
def test_network_within_two_percent_and_same_argmax(name, config):
    inputs, (want, *_) = onnx_data(name)
    path = ONNX_DIR / MANIFEST[name]["file"]
    (got,) = _run(path, inputs, config)
    assert np.max(np.abs(got - want)) <= 0.02 * float(want.max() - want.min())   # the recorded sample
    float_model = onnx_float_models.cnn() if name.startswith("cnn_") else onnx_float_models.mlp()
    batch = len(next(iter(inputs.values())))
    samples = onnx_float_models.sample_inputs(float_model, np.random.default_rng(2026), BATCH // batch)
    _assert_network_close(path, samples, config)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", ENCODERS)
def test_dynamic_encoder_cosine_to_onnxruntime(name, config):
    inputs, wants = onnx_data(name)
    gots = _run(ONNX_DIR / MANIFEST[name]["file"], inputs, config)
    for got, want in zip(gots, wants, strict=True):
        assert got.shape == want.shape
        g, w = got.reshape(-1).astype(np.float64), want.reshape(-1).astype(np.float64)
        assert float(g @ w / (np.linalg.norm(g) * np.linalg.norm(w))) >= 0.999


def _logits_model(path, out_dir) -> str:
    """The model cut before its final (QLinear)Softmax, its output the float logits: the seeded
    SqueezeNet's softmax over 1000 classes is near uniform (~0.001 each), so its quantized output
    (steps of 1/256) is almost all zeros and says nothing; the logits do."""
    model = onnx.load(path)
    nodes = list(model.graph.node)
    k = next(i for i, n in enumerate(nodes) if n.op_type in ("Softmax", "QLinearSoftmax"))
    soft = nodes[k]
    del model.graph.node[k:]
    logits = soft.input[0]
    if soft.op_type == "QLinearSoftmax":
        model.graph.node.append(onnx.helper.make_node("DequantizeLinear", list(soft.input[:3]), ["logits"]))
        logits = "logits"
    del model.graph.output[:]
    model.graph.output.append(onnx.helper.make_tensor_value_info(logits, onnx.TensorProto.FLOAT, None))
    out = out_dir / f"{path.stem}_logits.onnx"
    onnx.save(model, out)
    return str(out)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("variant", ["qdq_s8s8_per_channel", "qop_u8s8_per_tensor", "dynamic"])
def test_light_squeezenet_quantized(light_squeezenet_quantized, variant, config, tmp_path):
    paths = light_squeezenet_quantized
    model = onnx.load(paths["float"])
    rng = np.random.default_rng(5)
    samples = [paths["inputs"]] + [float_inputs(model, rng) for _ in range(7)]
    _assert_network_close(_logits_model(paths[variant], tmp_path), samples, config)
