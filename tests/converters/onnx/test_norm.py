"""ONNX BatchNormalization (constant stats -> ScaleShift), LRN and Softmax/LogSoftmax across opsets,
LayerNormalization (optional outputs, no bias), RMSNormalization, InstanceNormalization /
GroupNormalization (opset 18 per-group and 21 per-channel scale, stash_type; float32, float16),
LpNormalization and MeanVarianceNormalization, and the losses NegativeLogLikelihoodLoss /
SoftmaxCrossEntropyLoss (every reduction, ignore_index, weights, C = 1, k = 0..2 extra dims,
float16, int32 targets, the log_prob output).
Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check); LayerNormalization/RMSNormalization convert and run the C runtime against
onnxruntime (runtime_check.run_both).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx import import_onnx

from pocketml.errors import ConversionError, PocketMLError, UnsupportedOpError

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


def test_batch_norm_saved_statistics_before_opset_14_are_rejected():
    x = rand(2, 3, 4, 4)
    node = helper.make_node("BatchNormalization", ["x", "s", "bias", "mean", "var"], ["y", "rm", "rv"], name="bn1")
    model = make([node], {"x": (F, x.shape)}, {"y": (F, None), "rm": (F, None)}, _bn_stats(3), opset=9)
    with pytest.raises(UnsupportedOpError, match=r"'bn1' \(BatchNormalization, opset 9\).*saved statistics"):
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


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_softmax_float16(op, axis):
    """float16 rows computed in float32 and rounded once, as onnxruntime does: within an ulp or
    two of it (LogSoftmax's values reach |20|, whose ulp is 2**-6)."""
    x = np.random.default_rng(3).normal(0, 3, size=(3, 5, 37)).astype(np.float16)
    check_runtime(model_of(op, {"x": x}, {"axis": axis}, opset=13), {"x": x}, rtol=2e-3, atol=1e-4)


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
    with pytest.raises(PocketMLError, match="reduction='max' is outside its domain; allowed: one of none, sum, mean"):
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
# ---- InstanceNormalization / GroupNormalization: channels-last GroupNormalization in the runtime -------------
def _gn_inputs(shape, dtype, scale_len, mean=0.0):
    x = (randn(*shape) * 2.0 + mean).astype(dtype)
    return x, randn(scale_len).astype(dtype), randn(scale_len).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 1, 1, 1), (1, 13, 127), (2, 8, 3, 4, 5), (3, 16, 129, 1)])
@pytest.mark.parametrize("opset", [6, 22])
def test_instance_norm(dtype, shape, opset):
    x, s, b = _gn_inputs(shape, dtype, shape[1])
    tol = 2e-3 if dtype == np.float16 else 1e-4
    check_runtime(model_of("InstanceNormalization", {"x": x, "s": s, "b": b}, {"epsilon": 1e-3}, opset=opset),
                  {"x": x, "s": s, "b": b}, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape,groups", [((2, 6, 5, 7), 3), ((1, 8, 1, 1), 2), ((1, 32, 9, 13), 8), ((2, 4, 33), 1),
                                          ((1, 5, 4, 4), 5)])
@pytest.mark.parametrize("stash", [None, 1, 11])
def test_group_norm_opset21(dtype, shape, groups, stash):
    x, s, b = _gn_inputs(shape, dtype, shape[1], mean=3.0)
    attrs = {"num_groups": groups, "epsilon": 1e-2, **({"stash_type": stash} if stash else {})}
    tol = 3e-3 if dtype == np.float16 else 1e-4
    got, ref, _ = run_both(_gn_model(x, s, b, attrs, 21), [x, s, b])
    assert got[0].dtype == ref[0].dtype == dtype
    close_all([g.astype(np.float32) for g in got], [r.astype(np.float32) for r in ref], rtol=tol, atol=tol)


def _gn_model(x, s, b, attrs, opset, const_params=False):
    feeds = {"i0": x} if const_params else {"i0": x, "i1": s, "i2": b}
    node = helper.make_node("GroupNormalization", ["i0", "i1", "i2"], ["o0"], **attrs)
    inits = [numpy_helper.from_array(s, "i1"), numpy_helper.from_array(b, "i2")] if const_params else []
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, elem, a.shape) for n, a in feeds.items()],
                              [helper.make_tensor_value_info("o0", elem, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


@pytest.mark.parametrize("const_params", [False, True])
@pytest.mark.parametrize("shape,groups", [((2, 6, 5, 7), 3), ((1, 8, 3, 3), 4), ((1, 4, 11), 1)])
def test_group_norm_opset18_per_group_scale(shape, groups, const_params):
    x, s, b = _gn_inputs(shape, np.float32, groups)
    model = _gn_model(x, s, b, {"num_groups": groups, "epsilon": 1e-4}, 18, const_params)
    feeds = [x] if const_params else [x, s, b]
    got, ref, _ = run_both(model, feeds)
    close_all(got, ref)


def test_group_norm_runs_channels_last_between_convs():
    """Conv -> GroupNormalization -> Conv: the layout pass leaves no transpose around the norm."""
    x, w, w2 = randn(1, 3, 6, 6), randn(8, 3, 3, 3), randn(2, 8, 1, 1)
    s, b = randn(8), randn(8)
    nodes = [helper.make_node("Conv", ["i0", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("GroupNormalization", ["c", "s", "b"], ["g"], num_groups=4),
             helper.make_node("Conv", ["g", "w2"], ["o0"])]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("i0", F, x.shape)],
                              [helper.make_tensor_value_info("o0", F, None)],
                              [numpy_helper.from_array(a, n) for n, a in (("w", w), ("w2", w2), ("s", s), ("b", b))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    got, ref, converted = run_both(model, [x])
    close_all(got, ref, atol=1e-4)
    assert [n.op for n in converted.graph.nodes] == ["Transpose", "Conv", "GroupNormalization", "Conv", "Transpose"]


def test_group_norm_bad_attributes_are_clear_errors():
    x, s, b = _gn_inputs((1, 6, 2, 2), np.float32, 6)
    with pytest.raises(UnsupportedOpError, match=r"GroupNormalization.*stash_type 10"):
        import_onnx(_gn_model(x, s, b, {"num_groups": 3, "stash_type": 10}, 21))
    with pytest.raises(PocketMLError, match=r"GroupNormalization.*num_groups 4 does not divide the 6 channels"):
        import_onnx(_gn_model(x, s, b, {"num_groups": 4}, 21))



# ---- LpNormalization / MeanVarianceNormalization ------------------------------------------------------------
def _check_float16_against_float32(op, x, attrs, opset, tol=3e-3):
    """float16 x through pocketml against onnxruntime on the float32 values: where onnxruntime
    has no float16 kernel (LpNormalization, MeanVarianceNormalization's function body cannot
    mix its float32 constants with float16) and onnx's evaluator is wrong (p=1 without abs)."""
    want = oracle(model_of(op, {"x": x.astype(np.float32)}, attrs, opset=opset), {"x": x.astype(np.float32)})[0]
    for threads in (1, 2):
        got = pocketml.Session(pocketml.convert(model_of(op, {"x": x}, attrs, opset=opset)), threads=threads).run(
            {"x": x})["y0"]
        assert got.dtype == np.float16 and got.shape == want.shape
        np.testing.assert_allclose(got.astype(np.float32), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("shape,axis", [((3, 127), -1), ((2, 13, 5), 1), ((1, 70, 9), 0), ((4, 1), 0), ((2, 3, 65, 2), 2)])
@pytest.mark.parametrize("opset", [1, 22])
def test_lp_norm(dtype, p, shape, axis, opset):
    x = randn(*shape).astype(dtype)
    x.reshape(-1)[: shape[-1]] = 0  # zero rows/columns: a zero norm gives 0
    if dtype == np.float16:
        _check_float16_against_float32("LpNormalization", x, {"p": p, "axis": axis}, opset)
    else:
        check_runtime(model_of("LpNormalization", {"x": x}, {"p": p, "axis": axis}, opset=opset), {"x": x})


def test_lp_norm_after_conv_follows_the_channels():
    """LpNormalization over NCHW channels after a Conv runs on NHWC's last axis (the layout pass remaps it)."""
    x, w = randn(1, 3, 5, 5), randn(6, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["i0", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("LpNormalization", ["c"], ["o0"], axis=1)]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("i0", F, x.shape)],
                              [helper.make_tensor_value_info("o0", F, None)], [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)], ir_version=10)
    got, ref, converted = run_both(model, [x])
    close_all(got, ref)
    lp = [n for n in converted.graph.nodes if n.op == "LpNormalization"]
    assert len(lp) == 1 and lp[0].attrs["axis"] in (3, -1)


def test_lp_norm_p3_is_a_clear_error():
    x = randn(2, 3)
    with pytest.raises(ConversionError, match=r"LpNormalization.*p=3 is outside its domain; allowed: one of 1, 2"):
        import_onnx(model_of("LpNormalization", {"x": x}, {"p": 3}, opset=22))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape,axes,opset", [((3, 3, 3, 1), None, 9), ((2, 5, 7, 9), [0, 2, 3], 13),
                                              ((2, 13, 4), [2], 13), ((4, 6), [0, 1], 9), ((1, 3, 8, 8), [1, 2, 3], 13)])
def test_mean_variance_norm(dtype, shape, axes, opset):
    """(opset 13 with the default axes: onnx's strict shape inference rejects its function body)"""
    x = (randn(*shape) + 1.0).astype(dtype)
    attrs = {} if axes is None else {"axes": axes}
    if dtype == np.float16:
        _check_float16_against_float32("MeanVarianceNormalization", x, attrs, opset)
    else:
        check_runtime(model_of("MeanVarianceNormalization", {"x": x}, attrs, opset=opset), {"x": x}, rtol=1e-4,
                      atol=1e-4)


def test_instance_norm_with_symbolic_dims_takes_channels_from_scale():
    x, s, b = _gn_inputs((2, 4, 5, 3), np.float32, 4)
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"])
    model = make([node], {"x": (F, ["n", "c", "h", "w"])}, {"y": (F, None)}, {"s": s, "b": b}, opset=6)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["y"]
    want = oracle(model, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (6, 3), (1, 3, 7)])
def test_batchnorm_training_mode_matches_the_reference(shape):
    # batch statistics and updated running statistics; onnxruntime's CPU build has no training mode,
    # so onnx's reference evaluator is the oracle
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(4)
    c = shape[1]
    stats = {"s": rng.standard_normal(c), "b": rng.standard_normal(c), "m": rng.standard_normal(c),
             "v": rng.random(c) + 0.5}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], training_mode=1,
                            momentum=0.8, epsilon=1e-3)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"] + list(shape[1:]))],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("y", "rm", "rv")],
                              [numpy_helper.from_array(a.astype(np.float32), k) for k, a in stats.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    session = pocketml.Session(pocketml.convert(model))
    for n in (shape[0], shape[0] + 2):
        x = rng.standard_normal((n,) + shape[1:]).astype(np.float32)
        got = session.run({"x": x})
        want = ReferenceEvaluator(model).run(None, {"x": x})
        for name, w in zip(("y", "rm", "rv"), want):
            np.testing.assert_allclose(got[name], w, rtol=1e-4, atol=1e-5)
