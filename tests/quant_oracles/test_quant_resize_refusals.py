"""Quantized Resize and PRelu refuse what they do not honour, naming node, op and mode: the
conversion check (quant_support.problem) and the C session's prepare, never a run on the raw
integers. (What they do run is checked bit for bit against LiteRT in test_engine_tflite_ops.)"""
from __future__ import annotations

import pytest

from pocketml import ir, quant_support
from pocketml.errors import PocketMLError
from pocketml.format import write_pml
from pocketml.quant_params import QuantParams
from pocketml.runtime import Session

Q = QuantParams(0.05, -3)


def _resize_graph(attrs: dict, q_out=Q, shape=(1, 4, 4, 3), out_shape=(1, 8, 8, 3)) -> ir.Graph:
    g = ir.Graph("r")
    g.add_value("x", "int8", shape, quant=Q)
    g.add_value("y", "int8", out_shape, quant=q_out)
    g.inputs, g.outputs = ["x"], ["y"]
    scales = [o / i for o, i in zip(out_shape, shape)]
    g.add_node("Resize", ["x"], ["y"], {"sizes": list(out_shape), "scales": scales, **attrs}, name="up")
    return g


@pytest.mark.parametrize("attrs, why, c_why", [
    ({"mode": 2}, "mode cubic", "only nearest and linear are implemented"),
    ({"mode": 1, "requant": 1}, "requant 1", "TFLite.s integer bilinear \\(requant 0\\) only"),
    ({"mode": 1, "coordinate_transformation_mode": 3}, "pytorch_half_pixel", "half_pixel, asymmetric or align_corners"),
    ({"mode": 1, "antialias": 1}, "antialias 1", "antialias is not implemented"),
])
def test_quantized_resize_refuses_modes_it_does_not_implement(tmp_path, attrs, why, c_why):
    g = _resize_graph(attrs)
    msg = quant_support.problem(g, g.nodes[0])
    assert msg and why in msg
    write_pml(g, tmp_path / "r.pml")
    with pytest.raises(PocketMLError, match=f"node 'up' \\(Resize\\): quantized int8 Resize .*{c_why}"):
        Session(tmp_path / "r.pml")


def test_quantized_resize_refuses_a_rescale(tmp_path):
    g = _resize_graph({"mode": 0}, q_out=QuantParams(0.1, -3))
    assert "different quantization parameters" in quant_support.problem(g, g.nodes[0])
    write_pml(g, tmp_path / "r.pml")
    with pytest.raises(PocketMLError, match="same per-tensor quantization parameters"):
        Session(tmp_path / "r.pml")


def test_quantized_linear_resize_only_over_nhwc_height_and_width(tmp_path):
    g = _resize_graph({"mode": 1}, shape=(1, 3, 4, 4), out_shape=(1, 6, 4, 4))
    write_pml(g, tmp_path / "r.pml")
    Session(tmp_path / "r.pml")  # H (axis 1) only: fine
    g = _resize_graph({"mode": 1}, shape=(1, 4, 4, 3), out_shape=(1, 4, 4, 6))
    write_pml(g, tmp_path / "c.pml")
    with pytest.raises(PocketMLError, match="H and W of a 4-D NHWC tensor only"):
        Session(tmp_path / "c.pml")


def test_quantized_prelu_refuses_onnx_semantics_and_mixed_tensors(tmp_path):
    g = ir.Graph("p")
    g.add_value("x", "int8", (1, 4), quant=Q)
    g.add_value("s", "int8", (4,))  # slope not quantized
    g.add_value("y", "int8", (1, 4), quant=Q)
    g.inputs, g.outputs = ["x", "s"], ["y"]
    g.add_node("PRelu", ["x", "s"], ["y"], name="pr")
    assert "input 'slope' is not quantized" in quant_support.problem(g, g.nodes[0])
    write_pml(g, tmp_path / "p.pml")
    with pytest.raises(PocketMLError, match="node 'pr' \\(PRelu\\): quantized PRelu: slope 's' is not quantized"):
        Session(tmp_path / "p.pml")
    g.values["s"].quant = Q
    g.nodes[0].attrs["requant"] = 1
    assert "requant=1" in quant_support.problem(g, g.nodes[0])
    write_pml(g, tmp_path / "p1.pml")
    with pytest.raises(PocketMLError, match="quantized PRelu with requant=1"):
        Session(tmp_path / "p1.pml")
