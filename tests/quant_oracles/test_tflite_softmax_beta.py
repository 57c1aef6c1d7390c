"""TFLite SOFTMAX with beta != 1 on quantized tensors: beta is the quantized Softmax's attribute
(LiteRT's integer kernels fold it into the input multiplier), so int8, uint8 and int16x8 models
convert and match LiteRT's builtin kernels bit for bit, in every kernel configuration. A float
Softmax never carries beta (its graph multiplies the input first): shape inference refuses one,
and so does the C session on a file that has one."""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from pocketml import ir
from pocketml.errors import PocketMLError
from pocketml.format import write_pml
from pocketml.runtime import Session
from pocketml.shape_inference import infer_shapes
from tests.fixtures.quant import tflite_op_cases as cases
from tests.fixtures.quant.make_tflite_int8 import _quantized_feeds, calibrate, quantize, sample_inputs

from .litert import interpreter, run_litert


def _softmax_model(beta: float, variant) -> tuple:
    case = cases._unary("softmax_beta", "SOFTMAX", f"beta {beta}", (3, 10), -4.0, 4.0, (variant,), {"beta": beta})
    samples = sample_inputs(case.graph, np.random.default_rng(7), 4)
    scheme, float_io = case.variants[0]
    data = quantize(case.graph, calibrate(case.graph, samples), scheme, case.per_channel, float_io)
    return data, _quantized_feeds(interpreter(data), samples[0])


@pytest.mark.parametrize("variant", [cases.INT8, cases.UINT8, cases.INT16], ids=["int8", "uint8", "int16x8"])
@pytest.mark.parametrize("beta", [0.5, 1.7])
def test_quantized_softmax_beta_matches_litert_builtin(tmp_path, beta, variant):
    data, feeds = _softmax_model(beta, variant)
    (want,) = run_litert(data, feeds)
    path = tmp_path / "softmax.tflite"
    path.write_bytes(data)
    model = pocketml.convert(path)
    (node,) = [n for n in model.graph.nodes if n.op == "Softmax"]
    assert node.attrs["beta"] == pytest.approx(beta) and "Mul" not in [n.op for n in model.graph.nodes]
    for isa in pocketml.available_isas():
        (got,) = pocketml.Session(model, isa=isa).run(feeds).values()
        np.testing.assert_array_equal(got, want)


def _float_softmax(beta: float) -> ir.Graph:
    g = ir.Graph("s")
    g.add_value("x", "float32", (2, 5))
    g.add_value("y", "float32", (2, 5))
    g.inputs, g.outputs = ["x"], ["y"]
    g.add_node("Softmax", ["x"], ["y"], {"beta": beta}, name="sm")
    return g


def test_a_float_softmax_with_beta_is_refused_by_inference_and_by_the_runtime(tmp_path):
    refused = "node .sm. \\(Softmax\\): beta 0.5 on a float32 input: beta scales quantized inputs only"
    with pytest.raises(ValueError, match=refused):
        infer_shapes(_float_softmax(0.5))
    write_pml(_float_softmax(0.5), tmp_path / "s.pml")
    with pytest.raises(PocketMLError, match="node 'sm' \\(Softmax\\): attribute beta=0.5 on a float Softmax"):
        Session(tmp_path / "s.pml")
