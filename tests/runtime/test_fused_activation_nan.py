"""Fused activations in the GEMM epilogue propagate NaN like their numpy
references (the shared vector exp once clamped NaN to a finite value, so a
fused sigmoid/tanh/GELU silently turned NaN into a number)."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir, ops, reference
from pocketml.format import write_pml
from pocketml.runtime import Session
from pocketml.shape_inference import infer_shapes

KINDS = {"sigmoid": ops.ACT_SIGMOID, "tanh": ops.ACT_TANH, "gelu_erf": 8, "gelu_tanh": 9}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("scalar_only", [False, True])
def test_nan_propagates_through_fused_activation(kind, scalar_only):
    g = ir.Graph("nan")
    g.add_value("x", "float32", (3, 16))
    g.inputs = ["x"]
    w = g.add_const(np.random.default_rng(0).standard_normal((16, 24)).astype(np.float32), "w")
    g.add_node("MatMul", ["x", w], ["y"], {"act": KINDS[kind]}, name="mm")
    g.outputs = ["y"]
    infer_shapes(g)
    x = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    x[1, 5] = np.nan  # row 1 of the product is NaN everywhere
    expected = reference.run_graph(g, {"x": x})["y"]
    got = Session(write_pml(g), scalar_only=scalar_only).run({"x": x})["y"]
    assert np.isnan(expected[1]).all() and not np.isnan(expected[[0, 2]]).any()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)  # NaNs must sit at the same places
