"""ONNX BatchNormalization (constant stats -> ScaleShift), LRN and Softmax/LogSoftmax across opsets,
LayerNormalization (optional outputs, no bias) and RMSNormalization, and the losses
NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss (every reduction, ignore_index, weights,
C = 1, k = 0..2 extra dims, float16, int32 targets, the log_prob output).

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check); LayerNormalization/RMSNormalization convert and run the C runtime against
onnxruntime (runtime_check.run_both).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from pocketml.converters.onnx import import_onnx

import pocketml
from pocketml.errors import PocketMLError, UnsupportedOpError

from .helpers import F, check, make, one_node, ops_of, rand
from .runtime_check import T as T_OF
from .runtime_check import check_runtime, close_all, model_of, op_model, oracle, randn, run_both


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


# ---- NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss (imported as their function bodies) ----
LOSSES = ["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"]
LOSS_RNG = np.random.default_rng(23)


def _loss_feeds(shape, ignore_index=None, weighted=False, tdtype=np.int64, dtype=np.float32):
    """x (N x C x d..), targets in [0, C) with about a third set to ignore_index, weights > 0."""
    c = shape[1]
    t = LOSS_RNG.integers(0, c, size=shape[:1] + shape[2:])
    if ignore_index is not None:
        t[LOSS_RNG.random(t.shape) < 0.35] = ignore_index
        t.flat[0] = ignore_index
    feeds = {"x": LOSS_RNG.standard_normal(shape).astype(dtype), "t": t.astype(tdtype)}
    if weighted:
        feeds["w"] = LOSS_RNG.uniform(0.2, 2.0, c).astype(dtype)
    return feeds


def _loss_attrs(reduction, ignore_index):
    return {"reduction": reduction, **({} if ignore_index is None else {"ignore_index": ignore_index})}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [None, 2, -1])  # absent, inside [0, C) (C > 2), outside
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("shape", [(3, 1), (4, 5), (2, 3, 4), (2, 4, 3, 5)])  # C = 1, k = 0, 1, 2
@pytest.mark.parametrize("op", LOSSES)
def test_loss_matches_ort(op, shape, reduction, ignore_index, weighted):
    feeds = _loss_feeds(shape, ignore_index, weighted)
    n_out = 2 if op == "SoftmaxCrossEntropyLoss" else 1
    check_runtime(model_of(op, feeds, _loss_attrs(reduction, ignore_index), opset=13, n_out=n_out), feeds)


@pytest.mark.parametrize("opset", [12, 13])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("op", LOSSES)
def test_loss_float16_int32_targets_compute_in_float32(op, reduction, opset):
    # float16 computes in float32 and rounds once: the oracle is onnxruntime on the float32 values
    # (onnxruntime's float16 function body rounds after every step)
    feeds16 = _loss_feeds((3, 5, 7), 1, True, np.int32, np.float16)
    feeds32 = {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in feeds16.items()}
    n_out = 2 if op == "SoftmaxCrossEntropyLoss" else 1
    attrs = _loss_attrs(reduction, 1)
    want = oracle(model_of(op, feeds32, attrs, opset=opset, n_out=n_out), feeds32)
    got = pocketml.Session(pocketml.convert(model_of(op, feeds16, attrs, opset=opset, n_out=n_out))).run(feeds16)
    for i, w in enumerate(want):
        assert got[f"y{i}"].dtype == np.float16 and got[f"y{i}"].shape == w.shape
        np.testing.assert_array_equal(got[f"y{i}"], w.astype(np.float16))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("op", LOSSES)
def test_loss_mean_of_an_all_ignored_batch_is_nan(op, weighted):
    feeds = _loss_feeds((3, 4, 2), weighted=weighted)
    feeds["t"][:] = 3
    model = model_of(op, feeds, _loss_attrs("mean", 3), opset=13)
    (want,) = oracle(model, feeds)
    got = pocketml.Session(pocketml.convert(model)).run(feeds)["y0"]
    assert np.isnan(want) and np.isnan(got) and got.shape == ()


def test_loss_log_prob_output_with_an_unused_loss_and_symbolic_batch():
    feeds = _loss_feeds((5, 4, 3), 0, True)
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t", "w"], ["unused", "lp"], reduction="mean",
                            ignore_index=0)
    loss = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t"], ["y"], reduction="none")
    model = make([node, loss], {"x": (F, ["N", 4, 3]), "t": (TensorProto.INT64, ["N", 3]), "w": (F, [4])},
                 {"lp": (F, None), "y": (F, None)}, opset=13)
    want = oracle(model, feeds)
    got = pocketml.Session(pocketml.convert(model)).run(feeds)
    for name, w in zip(["lp", "y"], want):
        np.testing.assert_allclose(got[name], w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", LOSSES)
def test_loss_out_of_range_target_is_a_runtime_error(op):
    feeds = _loss_feeds((2, 3, 4), 7)
    session = pocketml.Session(pocketml.convert(model_of(op, feeds, _loss_attrs("sum", 7), opset=13)))
    session.run(feeds)  # ignored targets out of range are fine
    feeds["t"][1, 2] = 5
    with pytest.raises(PocketMLError, match="out of range"):
        session.run(feeds)


@pytest.mark.parametrize("shapes,needle", [
    (((2, 3, 4), (2, 5), None), "do not match"),
    (((2, 3), (2, 1), None), "do not match"),
    (((3,), (3,), None), "do not match"),
    (((2, 3), (2,), (4,)), "expected float32 \\[C\\] with C = 3"),
])
@pytest.mark.parametrize("op", LOSSES)
def test_loss_rejects_mismatched_shapes(op, shapes, needle):
    x, t, w = shapes
    feeds = {"x": np.zeros(x, np.float32), "t": np.zeros(t, np.int64)}
    if w:
        feeds["w"] = np.ones(w, np.float32)
    node = helper.make_node(op, list(feeds), ["y"], name="loss1")
    model = make([node], {k: (T_OF[v.dtype], v.shape) for k, v in feeds.items()}, {"y": (F, None)}, opset=13)
    with pytest.raises(PocketMLError, match=f"'loss1' \\({op}, opset 13\\).*{needle}"):
        import_onnx(model)


def test_loss_rejects_unknown_reduction():
    feeds = _loss_feeds((2, 3))
    node = helper.make_node("NegativeLogLikelihoodLoss", ["x", "t"], ["y"], name="nll", reduction="max")
    model = helper.make_model(helper.make_graph(
        [node], "t", [helper.make_tensor_value_info("x", F, [2, 3]),
                      helper.make_tensor_value_info("t", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", F, None)]), opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(PocketMLError, match="reduction 'max'"):
        import_onnx(model)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_loss_with_several_symbolic_extra_dims(reduction):
    # the class axis goes in and out through a trailing 1 and a Transpose (a Reshape cannot say it)
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t", "w"], ["y"], reduction=reduction, ignore_index=1)
    model = make([node], {"x": (F, ["N", 3, "H", "W"]), "t": (TensorProto.INT64, ["N", "H", "W"]), "w": (F, [3])},
                 {"y": (F, None)}, opset=13)
    assert "Transpose" in ops_of(import_onnx(model))
    session = pocketml.Session(pocketml.convert(model))
    for shape in [(2, 3, 4, 5), (1, 3, 7, 2)]:
        feeds = _loss_feeds(shape, 1, True)
        np.testing.assert_allclose(session.run(feeds)["y"], oracle(model, feeds)[0], rtol=1e-5, atol=1e-6)
