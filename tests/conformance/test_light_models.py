"""The real-architecture light_* models shipped in the onnx wheel: each
converts through the `pocketml convert` CLI and, run by the C runtime, matches
the expected outputs stored beside it within the backend test's tolerances
(rtol 1e-3, atol 1e-7), with every kernel configuration this CPU offers
(pocketml.available_isas()). Inputs are generated as onnx.backend.test does
for these models (arange(n)/n in the input's shape)."""
from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import pocketml

LIGHT_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
LIGHT_MODELS = sorted(glob.glob(os.path.join(LIGHT_DIR, "light_*.onnx")))
ISAS = pocketml.available_isas()


def dummy_inputs(model: onnx.ModelProto) -> dict:
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for x in model.graph.input:
        if x.name in inits:
            continue
        shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in x.type.tensor_type.shape.dim)
        n = int(np.prod(shape))
        feeds[x.name] = (np.arange(n).reshape(shape) / n).astype(np.float32)
    return feeds


def test_light_models_found():
    assert len(LIGHT_MODELS) >= 9, LIGHT_MODELS


@pytest.fixture(scope="module")
def cli_converted(tmp_path_factory):
    """path -> .pml converted by the CLI, once per model for every configuration."""
    done = {}

    def convert(path):
        if path not in done:
            out = tmp_path_factory.mktemp("light") / "model.pml"
            proc = subprocess.run([sys.executable, "-m", "pocketml.cli", "convert", path, "-o", str(out)],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            assert "ops by type" in proc.stdout and "arena size" in proc.stdout, proc.stdout
            done[path] = out
        return done[path]
    return convert


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("path", LIGHT_MODELS, ids=lambda p: os.path.basename(p)[len("light_"):-len(".onnx")])
def test_light_model_converts_via_cli_and_matches(path, isa, cli_converted):
    out = cli_converted(path)

    model = onnx.load(path)
    feeds = dummy_inputs(model)
    expected_path = os.path.splitext(path)[0] + "_output_0.pb"
    expected = numpy_helper.to_array(onnx.load_tensor(expected_path))
    with pocketml.Session(str(out), isa=isa) as session:
        assert session.isa == isa
        outputs = session.run(feeds)
    got = outputs[model.graph.output[0].name]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-7)
