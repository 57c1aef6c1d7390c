"""ONNX BatchNormalization (constant stats -> ScaleShift), LRN and Softmax/LogSoftmax across opsets,
LayerNormalization (optional outputs, no bias) and RMSNormalization.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check); LayerNormalization/RMSNormalization convert and run the C runtime against
onnxruntime (runtime_check.run_both).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper
from pocketml.converters.onnx import import_onnx

from pocketml.errors import UnsupportedOpError

from .helpers import F, check, make, one_node, ops_of, rand
from .runtime_check import check_runtime, close_all, model_of, op_model, randn, run_both


def _bn_stats(c):
    return {"s": rand(c), "bias": rand(c), "mean": rand(c), "var": rand(c, low=0.2, high=2.0)}


@pytest.mark.parametrize("opset", [7, 9, 14, 15])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3), (2, 3, 7)])
def test_batch_norm_constant_stats_become_scale_shift(opset, shape):
    x = rand(*shape)
    graph = check(one_node("BatchNormalization", {"x": x}, {"epsilon": 1e-3}, _bn_stats(shape[1]), opset), {"x": x})
    assert "ScaleShift" in ops_of(graph) and "BatchNormalization" not in ops_of(graph)


def test_batch_norm_runtime_stats_stay_batch_norm():
    x = rand(2, 3, 4, 4)
    stats = _bn_stats(3)
    feeds = {"x": x, **stats}
    graph = check(one_node("BatchNormalization", feeds), feeds)
    assert ops_of(graph) == ["Transpose", "BatchNormalization", "Transpose"]


def test_batch_norm_training_outputs_are_rejected():
    x = rand(2, 3, 4, 4)
    node = helper.make_node("BatchNormalization", ["x", "s", "bias", "mean", "var"], ["y", "rm", "rv"],
                            name="bn1", training_mode=1)
    model = make([node], {"x": (F, x.shape)}, {"y": (F, None), "rm": (F, None)}, _bn_stats(3), opset=15)
    with pytest.raises(UnsupportedOpError, match=r"'bn1' \(BatchNormalization, opset 15\).*training"):
        import_onnx(model)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn(size):
    x = rand(2, 6, 3, 4)
    graph = check(one_node("LRN", {"x": x}, {"size": size, "alpha": 0.02, "beta": 0.7, "bias": 1.2}), {"x": x})
    assert ops_of(graph) == ["Transpose", "LRN", "Transpose"]


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("opset,axis", [(11, 1), (11, -1), (11, 0), (13, 1), (13, -1), (9, None)])
def test_softmax_opsets(op, opset, axis):
    x = rand(2, 3, 4, low=-3, high=3)
    attrs = {} if axis is None else {"axis": axis}
    graph = check(one_node(op, {"x": x}, attrs, opset=opset), {"x": x})
    if opset < 13 and axis in (1, 0, None):
        assert ops_of(graph) == ["Reshape", op, "Reshape"]  # the coerce-to-2D semantics


@pytest.mark.parametrize("outs", [["o0"], ["o0", "o1", "o2"], ["o0", "", "o2"]])
@pytest.mark.parametrize("axis", [-1, 1])
def test_layer_normalization_optional_outputs(outs, axis):
    x = randn(2, 3, 17)
    w, b = randn(*x.shape[axis % 3:]), randn(*x.shape[axis % 3:])
    got, ref, _ = run_both(op_model("LayerNormalization", [x, w, b], opset=17, out_names=outs, axis=axis), [x, w, b])
    close_all(got, ref)


def test_layer_normalization_without_bias_and_rms_norm():
    x, w = randn(3, 4, 33), randn(33)
    got, ref, _ = run_both(op_model("LayerNormalization", [x, w], opset=17, epsilon=1e-3), [x, w])
    close_all(got, ref)
    got, ref, _ = run_both(op_model("RMSNormalization", [x, w], opset=23, epsilon=1e-3), [x, w])
    close_all(got, ref)


@pytest.mark.parametrize("opset,axis", [(13, -1), (13, 1), (13, 0), (11, 1), (11, -1), (9, None)])
def test_hardmax(opset, axis):
    x = randn(3, 4, 17)
    x[1, 2, :] = x[1, 2, 0]  # ties: the first maximum wins
    x[:, 3, 4] = 7.0
    attrs = {} if axis is None else {"axis": axis}
    got, ref, _ = run_both(op_model("Hardmax", [x], opset=opset, **attrs), [x])
    close_all(got, ref)


@pytest.mark.parametrize("axis", [-1, 1])
def test_hardmax_float16(axis):
    x = randn(2, 5, 33).astype(np.float16)
    x[0, 1, :] = 1.0
    check_runtime(model_of("Hardmax", {"x": x}, {"axis": axis}, opset=13), {"x": x}, rtol=0, atol=0)


def test_hardmax_after_nchw_conv_keeps_the_axis():
    # the layout pass remaps Hardmax's axis through the NHWC transposes (its Softmax handler)
    x, w = randn(1, 3, 5, 5), randn(4, 3, 3, 3)
    conv = helper.make_node("Conv", ["i0", "w"], ["c"], pads=[1, 1, 1, 1])
    hm = helper.make_node("Hardmax", ["c"], ["o0"], axis=1)
    graph = helper.make_graph([conv, hm], "t", [helper.make_tensor_value_info("i0", F, x.shape)],
                              [helper.make_tensor_value_info("o0", F, None)], [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)
    got, ref, _ = run_both(model, [x])
    close_all(got, ref)
