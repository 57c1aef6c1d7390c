"""TFLite dynamic-range (hybrid) CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: float activations,
constant int8 weights with scales. The importer dequantizes the weights once at conversion and
the float kernels run (faster here than hybrid int8: docs/benchmarks.md). LiteRT's hybrid kernels
instead quantize each batch item's activations to int8 at every run (symmetric, or asymmetric with
asymmetric_quantize_inputs: a step of at most max|x| / 127), so LiteRT's own result is off from the
exact one by at most half a step per input element times the weights' absolute sum, per output:
  |pocketml - LiteRT| <= (max|x| / 127) / 2 * sum_taps |w[co]| (+ float32 rounding)
This is the tolerance; the fixtures' float (builtin reference) output is recorded by qfixtures.
"""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from pocketml.converters.tflite import import_tflite
from tests.quant_oracles.fixtures import TFLITE_DIR, tflite_data, tflite_manifest

DYNAMIC = sorted(k for k, e in tflite_manifest().items() if e["scheme"] == "dynamic" and e["op"] in
                 ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))


def test_the_dynamic_fixtures_are_found():
    assert len(DYNAMIC) == 5, DYNAMIC


def _weight_abs_sums(path) -> np.ndarray:
    """sum |w| per output channel of the one Conv/Gemm of a fixture (the dequantized weights)."""
    g = import_tflite(path.read_bytes())
    node = next(n for n in g.nodes if n.op in ("Conv", "Gemm"))
    w = g.values[node.inputs[1]].const.astype(np.float64)
    assert g.values[node.inputs[1]].dtype == "float32", "dynamic-range weights are dequantized at conversion"
    if node.op == "Gemm":  # [N, K] (transB)
        return np.abs(w).sum(axis=1)
    return np.abs(w).reshape(w.shape[0], -1).sum(axis=1)  # OHWI


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", DYNAMIC)
def test_dynamic_range_within_litert_activation_rounding(name, threads):
    path = TFLITE_DIR / tflite_manifest()[name]["file"]
    ins, want = tflite_data(name)
    got = pocketml.Session(pocketml.convert(path), threads=threads).run(None, ins)[0]
    x = next(iter(ins.values()))
    step = float(np.abs(x).max()) / 127
    bound = 0.5 * step * _weight_abs_sums(path) + 1e-4 * (1 + np.abs(want[0]))
    diff = np.abs(got.astype(np.float64) - want[0])
    assert (diff <= bound).all(), f"{name}: max diff {diff.max()}, bound {bound.min()}..{bound.max()}"
