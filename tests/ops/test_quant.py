"""The quant ops' registry references (what constant folding computes) against onnx's
reference evaluator and onnxruntime, bit for bit, with infer() predicting each output's
dtype and shape; plus infer's shape checks with symbolic dims."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir, ops

from .test_registry_reference import onnx_ref, ours

RNG = np.random.default_rng(17)
LAYOUTS = [((), {}), ((4,), {"axis": 1}), ((3,), {"axis": 0}), ((5,), {"axis": -1}),
           ((3, 2, 5), {"axis": 1, "block_size": 3})]


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layout", LAYOUTS, ids=["tensor", "axis1", "axis0", "axis-1", "block"])
@pytest.mark.parametrize("dtype", [np.int8, np.int16], ids=["int8", "int16"])
def test_dequantize_reference(layout, dtype):
    s_shape, attrs = layout
    x = RNG.integers(-100, 100, size=(3, 4, 5)).astype(dtype)
    s = np.asarray(RNG.uniform(0.01, 0.3, size=s_shape), np.float32)
    z = np.asarray(RNG.integers(-5, 5, size=s_shape)).astype(dtype)
    _same(ours("DequantizeLinear", [x, s, z], attrs)[0], onnx_ref("DequantizeLinear", [x, s, z], attrs, opset=21)[0])
    _same(ours("DequantizeLinear", [x, s], attrs)[0], onnx_ref("DequantizeLinear", [x, s], attrs, opset=21)[0])


def test_dequantize_reference_float16_and_output_dtype():
    x = RNG.integers(-100, 100, size=(2, 6)).astype(np.int8)
    s = np.asarray(0.0123, np.float16)
    _same(ours("DequantizeLinear", [x, s])[0], onnx_ref("DequantizeLinear", [x, s], opset=21, engine="ort")[0])
    got = ours("DequantizeLinear", [x, s], {"output_dtype": 1})[0]
    _same(got, onnx_ref("DequantizeLinear", [x, s], {"output_dtype": 1}, opset=23, engine="ort")[0])


def test_infer_accepts_symbolic_dims_and_checks_static_ones():
    op = ops.get("DequantizeLinear")
    node = ir.Node("DequantizeLinear", ["x", "s"], ["y"], {"axis": 0, "block_size": 2}, name="n")
    x = ir.Value("x", "int8", ("batch", 5))
    assert op.infer(node, [x, ir.Value("s", "float32", ("batch", 5))]) == [("float32", ("batch", 5))]
    with pytest.raises(ValueError, match="blocked scale must have shape"):
        op.infer(node, [x, ir.Value("s", "float32", ("batch", 3))])


SPECIALS = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.5, -128.5, 255.5, 32767.5, 65535.5, 1e10, -1e10,
                     np.nan, np.inf, -np.inf, -0.0], np.float32)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16], ids=lambda d: np.dtype(d).name)
def test_quantize_reference_matches_onnxruntime_on_ties_and_specials(dtype):
    """The reference folds constants, so it must give what the C kernel and onnxruntime give
    (onnx's own reference leaves NaN and inf to numpy's platform-dependent cast)."""
    x = np.concatenate([SPECIALS, np.asarray(RNG.standard_normal(13) * 40, np.float32)]).reshape(1, -1)
    for zp in (0, 5):
        z = np.array(zp, dtype)
        for s in (np.array(1.0, np.float32), np.array(0.37, np.float32)):
            _same(ours("QuantizeLinear", [x, s, z])[0], onnx_ref("QuantizeLinear", [x, s, z], opset=21, engine="ort")[0])


@pytest.mark.parametrize("layout", LAYOUTS, ids=["tensor", "axis1", "axis0", "axis-1", "block"])
def test_quantize_reference_layouts(layout):
    s_shape, attrs = layout
    x = np.asarray(RNG.standard_normal((3, 4, 5)) * 10, np.float32)
    s = np.asarray(RNG.uniform(0.01, 0.3, size=s_shape), np.float32)
    z = np.asarray(RNG.integers(-5, 5, size=s_shape)).astype(np.int8)
    _same(ours("QuantizeLinear", [x, s, z], attrs)[0], onnx_ref("QuantizeLinear", [x, s, z], attrs, opset=21)[0])
    _same(ours("QuantizeLinear", [x, s], attrs)[0], onnx_ref("QuantizeLinear", [x, s], attrs, opset=21)[0])
    got = ours("QuantizeLinear", [x, s], {**attrs, "output_dtype": 8})[0]  # int16
    _same(got, onnx_ref("QuantizeLinear", [x, s], {**attrs, "output_dtype": 5}, opset=21)[0])


@pytest.mark.parametrize("x", [np.array([[0.2, -1.7, 3.1], [2.5, -0.4, 0.0]], np.float32), np.zeros(4, np.float32),
                               np.array([1.0, 2.0, 3.0], np.float32), np.array([-1.0, -2.0, -3.0], np.float32)],
                         ids=["mixed", "zeros", "positive", "negative"])
def test_dynamic_quantize_reference(x):
    got = ours("DynamicQuantizeLinear", [x], n_out=3)
    want = onnx_ref("DynamicQuantizeLinear", [x], n_out=3, opset=11, engine="ort")
    for g, w in zip(got, want):
        _same(g, w)
