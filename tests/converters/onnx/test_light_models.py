"""The real-architecture light_* models shipped in the onnx wheel, imported and
run with the registry's numpy references, against onnxruntime on the same
input (and the expected output stored beside each model).

The shipped models fill every weight with one constant (ConstantOfShape), so
their outputs are nearly uniform; the random-weights variant replaces those
constants with random initializers so a wrong layout, padding or weight
transpose cannot hide. Inputs are made as onnx.backend.test makes them for
these models (arange(n)/n in the input's shape, symbolic dims as 1).
"""
from __future__ import annotations

import glob
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from onnx.backend.test.runner import Runner
from pocketml.converters.onnx import import_onnx

from pocketml.reference import run_graph

LIGHT_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
LIGHT_MODELS = sorted(glob.glob(os.path.join(LIGHT_DIR, "light_*.onnx")))
HEAVY = {"light_vgg19", "light_zfnet512", "light_bvlc_alexnet"}  # > 10 s with random weights


def _id(path):
    return os.path.basename(path)[:-len(".onnx")]


def _params(slow_random: bool):
    return [pytest.param(p, id=_id(p), marks=[pytest.mark.slow] if slow_random and _id(p) in HEAVY else [])
            for p in LIGHT_MODELS]


def dummy_inputs(model: onnx.ModelProto) -> dict:
    """The inputs onnx's backend runner feeds these models (its own generator)."""
    inits = {t.name for t in model.graph.initializer}
    return {x.name: Runner.generate_dummy_data(x, seed=0, name=model.graph.name, random=False)
            for x in model.graph.input if x.name not in inits}


def randomize_weights(model: onnx.ModelProto, seed: int = 0) -> onnx.ModelProto:
    """Replace each ConstantOfShape weight with a random initializer: He-scaled
    for kernels/matrices, in [0.5, 1.5] for 1-D ones (so BatchNorm variances stay positive)."""
    rng = np.random.default_rng(seed)
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    keep = []
    for node in g.node:
        if node.op_type == "ConstantOfShape" and node.input[0] in inits:
            shape = tuple(int(d) for d in inits[node.input[0]])
            if len(shape) >= 2:
                fan_in = int(np.prod(shape[1:]))
                w = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
            else:
                w = rng.uniform(0.5, 1.5, size=shape)
            g.initializer.append(numpy_helper.from_array(w.astype(np.float32), node.output[0]))
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    model.ir_version = max(model.ir_version, 4)  # IR 3 would want every initializer listed as an input
    return model


def _compare(model: onnx.ModelProto):
    graph = import_onnx(model)
    feeds = dummy_inputs(model)
    got = run_graph(graph, feeds)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    expect = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, feeds)
    for out, e in zip(model.graph.output, expect):
        assert got[out.name].shape == e.shape and got[out.name].dtype == e.dtype
        np.testing.assert_allclose(got[out.name], e, rtol=1e-3, atol=1e-6, err_msg=out.name)
    return graph, got


def test_light_models_found():
    assert len(LIGHT_MODELS) >= 9, LIGHT_MODELS


@pytest.mark.parametrize("path", _params(slow_random=False))
def test_light_model_matches_onnxruntime_and_expected(path):
    model = onnx.load(path)
    graph, got = _compare(model)
    # the shipped expected output (onnx's reference evaluator on the same input)
    expected = numpy_helper.to_array(onnx.load_tensor(os.path.splitext(path)[0] + "_output_0.pb"))
    np.testing.assert_allclose(got[model.graph.output[0].name], expected, rtol=1e-3, atol=1e-7)
    # every weight folded (ConstantOfShape and the OIHW->OHWI transposes) at import
    assert not any(n.op in ("ConstantOfShape", "Shape") for n in graph.nodes)


@pytest.mark.parametrize("path", _params(slow_random=True))
def test_light_model_with_random_weights_matches_onnxruntime(path):
    _compare(randomize_weights(onnx.load(path)))
