"""The QDQ folding pass on onnxruntime's QDQ models: every per-op fixture converts with its op on
int8 tensors (no DequantizeLinear/QuantizeLinear left around it) and comes out within one output
quantization step of onnxruntime's default (fused QLinear) output; the QDQ CNNs and MLP within 2%
of the output range with argmax agreement, and light SqueezeNet likewise; all with the best
kernels, the scalar configuration forced, and two threads."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import pocketml

from .fixtures import ONNX_DIR, onnx_data, onnx_manifest
from .ort import run_ort

MANIFEST = onnx_manifest()
CONFIGS = [{"threads": 1}, {"threads": 1, "isa": "scalar"}, {"threads": 2}]
CONFIG_IDS = ["best", "scalar", "threads2"]
INT8S = ("int8", "uint8")
# fixture name part -> the IR op the folded graph must run on int8 tensors
OP_OF = {"add_broadcast": "Add", "concat": "Concat", "conv1x1_no_bias": "Conv", "conv3x3_s2": "Conv",
         "conv_depthwise": "Conv", "gemm": "Gemm", "global_avgpool": "ReduceMean", "leaky_relu": "LeakyRelu",
         "matmul": "MatMul", "mul_broadcast": "Mul", "pad": "Pad", "sigmoid": "Sigmoid", "softmax": "Softmax"}
OP_FIXTURES = sorted(n for n in MANIFEST if n.startswith("op_") and "_qdq_" in n)
MODEL_FIXTURES = sorted(n for n in MANIFEST if not n.startswith("op_") and "_qdq_" in n)
COMPUTE = ("Conv", "Gemm", "MatMul", "Add", "Mul", "Sigmoid", "LeakyRelu", "Softmax", "ReduceMean", "AveragePool",
           "GlobalAveragePool", "Tanh", "Relu", "Clip")


@lru_cache(maxsize=None)
def _model(name: str) -> pocketml.Model:
    return pocketml.convert(ONNX_DIR / MANIFEST[name]["file"])


def _run(model: pocketml.Model, inputs: dict, config: dict) -> np.ndarray:
    return next(iter(pocketml.Session(model, **config).run(inputs).values()))


def _output_step(name: str) -> float:
    """The scale of the DequantizeLinear producing the model's output."""
    proto = onnx.load(ONNX_DIR / MANIFEST[name]["file"])
    inits = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    (last,) = [n for n in proto.graph.node if n.op_type == "DequantizeLinear" and n.output[0] == proto.graph.output[0].name]
    return float(inits[last.input[1]])


def _assert_runs_on_integers(graph, node) -> None:
    for name in node.inputs[:2 if node.op != "Concat" else None]:
        v = graph.values[name]
        assert v.dtype in INT8S and v.quant is not None, (node.op, name, v.dtype)
        producer = graph.producer(name)
        assert producer is None or producer.op != "DequantizeLinear", (node.op, name)
    out = node.outputs[0]
    assert graph.values[out].dtype in INT8S and graph.values[out].quant is not None
    assert all(c.op != "QuantizeLinear" for c in graph.consumers_of(out))


@pytest.mark.parametrize("name", OP_FIXTURES)
def test_per_op_fixture_folds_into_the_int8_op(name):
    model = _model(name)
    g = model.graph
    op = next(v for k, v in OP_OF.items() if name.startswith(f"op_{k}_qdq"))
    nodes = [n for n in g.nodes if n.op == op]
    assert len(nodes) == 1, [n.op for n in g.nodes]
    _assert_runs_on_integers(g, nodes[0])
    assert model.notes == []
    assert nodes[0].op in ("Pad", "Concat") or nodes[0].attrs.get("requant") == 1


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", OP_FIXTURES)
def test_per_op_fixture_within_one_step_of_onnxruntime(name, config):
    inputs, (want, *_) = onnx_data(name)
    got = _run(_model(name), inputs, config)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.max(np.abs(got - want)) <= _output_step(name) * 1.0001


@pytest.mark.parametrize("name", MODEL_FIXTURES)
def test_model_fixture_runs_its_compute_on_integers(name):
    g = _model(name).graph
    compute = [n for n in g.nodes if n.op in COMPUTE]
    assert compute
    for node in compute:
        _assert_runs_on_integers(g, node)
    assert sum(n.op == "DequantizeLinear" for n in g.nodes) <= 1  # the output's (Concat inputs: Requantize)


def _close_to(got: np.ndarray, want: np.ndarray) -> None:
    span = float(want.max() - want.min())
    assert np.max(np.abs(got - want)) <= 0.02 * span
    rows = len(want)  # per batch row, over every class (light SqueezeNet's logits are [N, 1000, 1, 1])
    assert np.mean(np.argmax(got.reshape(rows, -1), 1) == np.argmax(want.reshape(rows, -1), 1)) >= 0.99


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", MODEL_FIXTURES)
def test_model_fixture_tracks_onnxruntime(name, config):
    inputs, (want, *_) = onnx_data(name)
    _close_to(_run(_model(name), inputs, config), want)


@pytest.mark.parametrize("config", CONFIGS[:2], ids=CONFIG_IDS[:2])
def test_light_squeezenet_qdq_runs_on_integers_and_tracks_onnxruntime(light_squeezenet_quantized, config):
    paths = light_squeezenet_quantized
    model = pocketml.convert(paths["qdq_s8s8_per_channel"])
    convs = [n for n in model.graph.nodes if n.op == "Conv"]
    assert convs
    for node in convs:
        _assert_runs_on_integers(model.graph, node)
    want = run_ort(paths["qdq_s8s8_per_channel"], paths["inputs"])[0]
    feeds = paths["inputs"]
    got = pocketml.Session(model, **config).run(feeds)
    _close_to(next(iter(got.values())), want)
