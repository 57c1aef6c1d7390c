"""ONNX Resize (opsets 10..19) and Upsample import: modes, coordinate transforms, sizes, keep_aspect_ratio;
GridSample (opsets 16, 20, 22) through the C runtime against onnxruntime.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check); scales on symbolic axes and scales/sizes fed at run time run the C runtime
against onnxruntime at several shapes and values, one of them seen again after others.
"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml.converters.onnx import import_onnx

from pocketml.errors import UnsupportedOpError

from pocketml.passes import optimize

from .helpers import check, i64, one_node, rand
from .runtime_check import check_runtime, model_of, oracle
from .typed_check import check_typed, small


RESIZE_COORDS = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"]


@pytest.mark.parametrize("mode,coord", [(m, c) for m in ("nearest", "linear", "cubic") for c in RESIZE_COORDS
                                        if m == "nearest" or c != "tf_half_pixel_for_nn"])
@pytest.mark.parametrize("scales", [(1, 1, 2, 2), (1, 1, 0.5, 0.75), (1, 1, 1.5, 3)])
def test_resize_11_scales(mode, coord, scales):
    x = rand(1, 2, 4, 6)
    attrs = {"mode": mode, "coordinate_transformation_mode": coord}
    model = one_node("Resize", {"x": x}, attrs,
                     {"roi": np.zeros(0, np.float32), "scales": np.array(scales, np.float32)}, 11)
    check(model, {"x": x})


@pytest.mark.parametrize("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
@pytest.mark.parametrize("sizes", [(1, 2, 7, 11), (1, 2, 3, 4)])
def test_resize_13_sizes_nearest_modes(nearest_mode, sizes):
    x = rand(1, 2, 5, 6)
    model = one_node("Resize", {"x": x}, {"mode": "nearest", "nearest_mode": nearest_mode},
                     {"sizes": i64(*sizes)}, 13, extra_inputs=["", ""])
    check(model, {"x": x})


@pytest.mark.parametrize("exclude_outside,a", [(0, -0.75), (1, -0.5)])
def test_resize_cubic_options(exclude_outside, a):
    x = rand(1, 1, 5, 5)
    model = one_node("Resize", {"x": x}, {"mode": "cubic", "exclude_outside": exclude_outside, "cubic_coeff_a": a},
                     {"sizes": i64(1, 1, 9, 7)}, 13, extra_inputs=["", ""])
    check(model, {"x": x})


@pytest.mark.parametrize("policy", ["stretch", "not_larger", "not_smaller"])
def test_resize_18_axes_and_keep_aspect_ratio(policy):
    x = rand(1, 2, 4, 6)
    model = one_node("Resize", {"x": x}, {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": policy},
                     {"sizes": i64(8, 9)}, 18, extra_inputs=["", ""])
    check(model, {"x": x})


def test_resize_19_half_pixel_symmetric():
    x = rand(1, 2, 4, 6)
    model = one_node("Resize", {"x": x}, {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"},
                     {"scales": np.array([1, 1, 1.7, 0.6], np.float32)}, 19, extra_inputs=[""])
    check(model, {"x": x})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("scales", [(1, 1, 2, 3), (1, 1, 0.5, 0.5)])
def test_resize_10(mode, scales):
    x = rand(1, 2, 4, 6)
    check(one_node("Resize", {"x": x}, {"mode": mode}, {"scales": np.array(scales, np.float32)}, 10), {"x": x})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("opset", [7, 9])
def test_upsample(mode, opset):
    x = rand(1, 2, 3, 4)
    scales = [1.0, 1.0, 2.0, 1.5]
    if opset == 7:
        model = one_node("Upsample", {"x": x}, {"mode": mode, "scales": scales}, opset=7)
    else:
        model = one_node("Upsample", {"x": x}, {"mode": mode}, {"s": np.array(scales, np.float32)}, 9)
    check(model, {"x": x})


def test_resize_antialias_nearest_is_unsupported():
    x = rand(1, 2, 4, 6)
    model = one_node("Resize", {"x": x}, {"mode": "nearest", "antialias": 1},
                     {"scales": np.array([1, 1, 0.5, 0.5], np.float32)}, 18, extra_inputs=[""])
    with pytest.raises(UnsupportedOpError, match=r"'my_resize' \(Resize, opset 18\).*antialias=1 with mode='nearest'"):
        import_onnx(model)


def _resize_model(inputs, attrs, opset=19, **node_inputs):
    """Resize over x [N, C, H, W] with symbolic dims where ``inputs`` says; node_inputs names roi/scales/sizes."""
    names = ["x", node_inputs.get("roi", ""), node_inputs.get("scales", ""), node_inputs.get("sizes", "")]
    while not names[-1]:
        names.pop()
    node = helper.make_node("Resize", names, ["y"], **attrs)
    graph = helper.make_graph([node], "resize", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=node_inputs.get("inits", []))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _against_onnxruntime(model, feeds_list):
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for feeds in feeds_list:
        got, want = session.run(feeds)["y"], oracle.run(None, feeds)[0]
        assert got.shape == want.shape, (got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_scale_on_symbolic_axes_applies_to_each_concrete_shape(mode):
    # the YOLO / OCR upsampling pattern: a constant scale on axes the model leaves symbolic
    scales = numpy_helper.from_array(np.array([1, 1, 2, 1.5], np.float32), "scales")
    model = _resize_model([("x", TensorProto.FLOAT, ["n", 3, "h", "w"])], {"mode": mode},
                          roi="", scales="scales", inits=[scales])
    _against_onnxruntime(model, [{"x": rand(*s)} for s in [(1, 3, 4, 6), (2, 3, 7, 5), (1, 3, 1, 9), (1, 3, 4, 6)]])


@pytest.mark.parametrize("policy", ["stretch", "not_larger", "not_smaller"])
def test_sizes_fed_at_run_time(policy):
    model = _resize_model([("x", TensorProto.FLOAT, [1, 2, 5, 6]), ("sizes", TensorProto.INT64, [2])],
                          {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": policy}, sizes="sizes")
    _against_onnxruntime(model, [{"x": rand(1, 2, 5, 6), "sizes": i64(*s)} for s in [(7, 11), (3, 4), (10, 3), (7, 11)]])


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_scales_fed_at_run_time_on_symbolic_input(mode):
    model = _resize_model([("x", TensorProto.FLOAT, [1, 2, "h", "w"]), ("scales", TensorProto.FLOAT, [4])],
                          {"mode": mode}, roi="", scales="scales")
    feeds = [({"x": rand(1, 2, h, w), "scales": np.array(s, np.float32)})
             for (h, w), s in [((4, 6), (1, 1, 2, 2)), ((5, 3), (1, 1, 0.6, 1.5)), ((4, 6), (1, 1, 2, 2))]]
    _against_onnxruntime(model, feeds)


# ---- antialias (opset 18+): the C runtime and the numpy reference against onnxruntime -------------------------
# (align_corners with scales whose product is not whole: onnxruntime divides by the rounded output length, the
# ONNX reference and pocketml by scale * in -- as without antialias; it is checked with sizes below)
AA_COORDS = ["half_pixel", "asymmetric", "pytorch_half_pixel", "half_pixel_symmetric"]


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("coord", AA_COORDS)
@pytest.mark.parametrize("exclude_outside", [0, 1])
@pytest.mark.parametrize("shape,scales", [((2, 3, 13, 11), (1, 1, 0.4, 0.77)), ((1, 2, 7, 9), (1, 1, 0.5, 1.7)),
                                          ((3, 1, 5, 200), (1, 1, 1.6, 0.03))])
def test_resize_antialias_scales(mode, coord, exclude_outside, shape, scales):
    attrs = {"mode": mode, "coordinate_transformation_mode": coord, "antialias": 1, "exclude_outside": exclude_outside,
             "cubic_coeff_a": -0.5 if exclude_outside else -0.75}
    model = _resize_model([("x", TensorProto.FLOAT, shape)], attrs, 18, roi="", scales="scales",
                          inits=[numpy_helper.from_array(np.array(scales, np.float32), "scales")])
    feeds = {"x": rand(*shape)}
    _against_onnxruntime(model, [feeds])
    check(model, feeds)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
# (align_corners with a kept aspect ratio rounds the sizes: the case the comment above names)
@pytest.mark.parametrize("coord,policy", [("half_pixel", "stretch"), ("half_pixel", "not_larger"),
                                          ("half_pixel", "not_smaller"), ("align_corners", "stretch")])
@pytest.mark.parametrize("axes,sizes", [([2, 3], (5, 4)), ([3, 2], (1, 6)), ([2, 3], (13, 3))])
def test_resize_antialias_sizes_axes(mode, coord, policy, axes, sizes):
    attrs = {"mode": mode, "coordinate_transformation_mode": coord, "antialias": 1, "axes": axes,
             "keep_aspect_ratio_policy": policy}
    model = _resize_model([("x", TensorProto.FLOAT, (2, 3, 13, 11))], attrs, 18, sizes="sizes",
                          inits=[numpy_helper.from_array(i64(*sizes), "sizes")])
    feeds = {"x": rand(2, 3, 13, 11)}
    _against_onnxruntime(model, [feeds])
    check(model, feeds)


@pytest.mark.parametrize("mode,shape,scales", [("cubic", (2, 13, 11, 3), (1, 0.3, 0.5, 1)),  # NHWC
                                               ("linear", (13, 11, 3), (0.6, 0.3, 1)),
                                               ("linear", (2, 3, 9, 10, 11), (1, 1, 0.5, 1.3, 0.2))])
def test_resize_antialias_other_layouts(mode, shape, scales):
    model = _resize_model([("x", TensorProto.FLOAT, shape)], {"mode": mode, "antialias": 1}, 18, roi="",
                          scales="scales", inits=[numpy_helper.from_array(np.array(scales, np.float32), "scales")])
    _against_onnxruntime(model, [{"x": rand(*shape)}])


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_antialias_sizes_fed_at_run_time(mode):
    model = _resize_model([("x", TensorProto.FLOAT, [2, 3, "h", "w"]), ("sizes", TensorProto.INT64, [2])],
                          {"mode": mode, "antialias": 1, "axes": [2, 3]}, 18, sizes="sizes")
    feeds = [{"x": rand(2, 3, h, w), "sizes": i64(*s)} for (h, w), s in
             [((13, 11), (5, 4)), ((8, 30), (3, 7)), ((7, 5), (14, 2)), ((13, 11), (5, 4))]]
    _against_onnxruntime(model, feeds)


# ---- tf_crop_and_resize: roi constant or fed at run time, the C runtime against onnxruntime ------------------
# (scales whose product with the input is not whole: onnxruntime divides by the rounded output length, pocketml
# and the ONNX reference by scale * in - 1, as for align_corners)
def _f32(name, *values):
    return numpy_helper.from_array(np.array(values, np.float32), name)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("shape,roi,target", [
    ((2, 3, 7, 9), (0, 0, 0.1, -0.25, 1, 1, 0.83, 1.31), ("sizes", (2, 3, 5, 12))),
    ((1, 2, 10, 6), (0, 0, -0.4, 0.2, 1, 1, 1.2, 0.45), ("scales", (1, 1, 0.6, 2.5))),
    ((3, 1, 5, 11), (0, 0, 0.7, 0.05, 1, 1, 0.2, 0.9), ("sizes", (3, 1, 1, 4))),  # a flipped crop and one row
])
def test_resize_tf_crop_and_resize(mode, shape, roi, target):
    kind, values = target
    param = numpy_helper.from_array(i64(*values), kind) if kind == "sizes" else _f32(kind, *values)
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": -3.5}
    model = _resize_model([("x", TensorProto.FLOAT, shape)], attrs, 13, roi="roi", inits=[_f32("roi", *roi), param],
                          **{kind: kind})
    feeds = {"x": rand(*shape)}
    _against_onnxruntime(model, [feeds])
    check(model, feeds)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_tf_crop_and_resize_axes_and_antialias(mode):
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize", "axes": [3, 2], "antialias": 1,
             "extrapolation_value": 0.25}
    model = _resize_model([("x", TensorProto.FLOAT, (2, 2, 15, 17))], attrs, 18, roi="roi", sizes="sizes",
                          inits=[_f32("roi", -0.1, 0.2, 1.05, 0.9), numpy_helper.from_array(i64(6, 5), "sizes")])
    feeds = {"x": rand(2, 2, 15, 17)}
    _against_onnxruntime(model, [feeds])
    check(model, feeds)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("roi_type", [TensorProto.FLOAT, TensorProto.FLOAT16])
def test_resize_tf_crop_and_resize_roi_fed_at_run_time(mode, roi_type):
    # the crop boxes of a detector's second stage: the roi changes at every run, the output size does not
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize", "axes": [2, 3],
             "extrapolation_value": 9.0}
    def model(t):
        return _resize_model([("x", TensorProto.FLOAT, (2, 3, 11, 8)), ("roi", t, [4])], attrs, 18, roi="roi",
                             sizes="sizes", inits=[numpy_helper.from_array(i64(7, 5), "sizes")])

    rois = [(0.1, 0.2, 0.8, 0.95), (-0.3, 0.1, 1.2, 0.6), (0.55, 0.9, 0.05, 0.15), (0.1, 0.2, 0.8, 0.95)]
    dtype = np.float32 if roi_type == TensorProto.FLOAT else np.float16
    session = pocketml.Session(pocketml.convert(model(roi_type)))
    # onnxruntime reads no float16 roi: its float32 model on the same (widened) values is the oracle
    oracle = ort.InferenceSession(model(TensorProto.FLOAT).SerializeToString(), providers=["CPUExecutionProvider"])
    for r in rois:
        x, roi = rand(2, 3, 11, 8), np.array(r, dtype)
        got, want = session.run({"x": x, "roi": roi})["y"], oracle.run(None, {"x": x, "roi": roi.astype(np.float32)})[0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["nearest", "cubic"])
def test_resize_tf_crop_and_resize_roi_and_sizes_fed_at_run_time(mode):
    # both at run time: the sizes key the plan, the roi only refills the taps
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize", "axes": [3, 2],
             "extrapolation_value": -1.0}
    model = _resize_model([("x", TensorProto.FLOAT, (1, 2, 9, 12)), ("roi", TensorProto.FLOAT, [4]),
                           ("sizes", TensorProto.INT64, [2])], attrs, 18, roi="roi", sizes="sizes")
    cases = [((0.1, -0.2, 0.85, 1.1), (5, 7)), ((0.3, 0.05, 0.6, 0.7), (5, 7)), ((-0.15, 0.2, 1.2, 0.9), (13, 3)),
             ((0.1, -0.2, 0.85, 1.1), (5, 7))]
    _against_onnxruntime(model, [{"x": rand(1, 2, 9, 12), "roi": np.array(r, np.float32), "sizes": i64(*z)}
                                 for r, z in cases])


def test_resize_tf_crop_and_resize_between_convs():
    # conv -> crop-and-resize -> conv: the layout pass moves the Resize to NHWC and permutes its roi
    w = rand(4, 4, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Resize", ["a", "roi", "", "sizes"], ["b"], mode="linear",
                              coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-1.0),
             helper.make_node("Conv", ["b", "w"], ["y"], pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "crop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 9, 7])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "w"), _f32("roi", 0, 0, -0.2, 0.3, 1, 1, 0.9, 1.25),
                               numpy_helper.from_array(i64(2, 4, 6, 10), "sizes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    ops_in_order = [n.op for n in optimize(import_onnx(model)).nodes]
    assert ops_in_order.count("Transpose") == 2, ops_in_order
    _against_onnxruntime(model, [{"x": rand(2, 4, 9, 7)}])


# ---- GridSample: the C runtime against onnxruntime (onnx's evaluator where onnxruntime has no kernel:
# 1-D, and 3-D cubic) ------------------------------------------------------------------------------------
GRID_MODES_BY_OPSET = {16: ("bilinear", "nearest", "bicubic"), 20: ("linear", "nearest", "cubic"),
                       22: ("linear", "nearest", "cubic")}
GRID_PADDINGS = ("zeros", "border", "reflection")


def _grid_feeds(xshape, gshape, dtype=np.float32):
    return {"x": rand(*xshape, low=-2, high=2).astype(dtype), "grid": rand(*gshape, low=-1.7, high=1.7).astype(dtype)}


@pytest.mark.parametrize("opset", [16, 20, 22])
@pytest.mark.parametrize("mode", range(3))
@pytest.mark.parametrize("padding", GRID_PADDINGS)
@pytest.mark.parametrize("align", [0, 1])
@pytest.mark.parametrize("xshape,gshape", [((2, 3, 5, 4), (2, 6, 7, 2)), ((1, 13, 1, 1), (1, 2, 3, 2)),
                                           ((1, 129, 3, 7), (1, 5, 1, 2))])
def test_grid_sample_2d(opset, mode, padding, align, xshape, gshape):
    feeds = _grid_feeds(xshape, gshape)
    attrs = {"mode": GRID_MODES_BY_OPSET[opset][mode], "padding_mode": padding, "align_corners": align}
    check_runtime(model_of("GridSample", feeds, attrs, opset=opset), feeds)


@pytest.mark.parametrize("mode", ["linear", "nearest", "cubic"])
@pytest.mark.parametrize("padding", GRID_PADDINGS)
@pytest.mark.parametrize("align", [0, 1])
@pytest.mark.parametrize("xshape,gshape", [((2, 3, 3, 4, 5), (2, 2, 3, 4, 3)), ((1, 1, 7), (1, 13, 1))])
def test_grid_sample_1d_3d(mode, padding, align, xshape, gshape):
    if mode == "cubic" and padding == "border":
        # the oracle here is onnx's evaluator, which clamps the cubic coordinate (onnxruntime clamps only
        # the taps, as ours; tests/ops/test_registry_reference.py checks 1-D against onnxruntime's 2-D)
        pytest.skip("onnx's evaluator differs from onnxruntime on cubic + border; onnxruntime has no 1-D/3-D cubic")
    feeds = _grid_feeds(xshape, gshape)
    check_runtime(model_of("GridSample", feeds, {"mode": mode, "padding_mode": padding, "align_corners": align}),
                  feeds)


@pytest.mark.parametrize("mode", ["linear", "nearest", "cubic"])
def test_grid_sample_float16_rounds_once(mode):
    # onnxruntime has no float16 GridSample: its float32 result on the same values, rounded to float16
    feeds = _grid_feeds((1, 5, 6, 7), (1, 4, 9, 2), np.float16)
    model = model_of("GridSample", feeds, {"mode": mode, "padding_mode": "border"})
    want = oracle(model_of("GridSample", {k: v.astype(np.float32) for k, v in feeds.items()},
                           {"mode": mode, "padding_mode": "border"}),
                  {k: v.astype(np.float32) for k, v in feeds.items()})[0]
    got = pocketml.Session(pocketml.convert(model)).run(feeds)["y0"]
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float16).astype(np.float32), rtol=2e-3, atol=1e-3)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
                                   np.bool_])
@pytest.mark.parametrize("padding", GRID_PADDINGS)
def test_grid_sample_nearest_moves_any_dtype(dtype, padding):
    # onnxruntime has no integer GridSample: onnx's evaluator is the oracle
    feeds = {"x": small((2, 3, 4, 5), dtype), "grid": rand(2, 6, 3, 2, low=-1.3, high=1.3)}
    assert check_typed("GridSample", feeds, {"mode": "nearest", "padding_mode": padding}, opset=20) == "reference"


def test_grid_sample_symbolic_shapes_and_layout():
    # conv -> GridSample -> conv (a warping block): the layout pass leaves no transposes between them
    w = rand(4, 4, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("GridSample", ["a", "grid"], ["b"], align_corners=1),
             helper.make_node("Conv", ["b", "w"], ["y"], pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "warp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4, "h", "w"]),
                                              helper.make_tensor_value_info("grid", TensorProto.FLOAT, ["n", "ho", "wo", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    ops_in_order = [n.op for n in optimize(import_onnx(model)).nodes]
    assert ops_in_order.count("Transpose") == 2, ops_in_order  # graph input to NHWC, output back to NCHW
    feeds = [{"x": rand(n, 4, h, wd), "grid": rand(n, ho, wo, 2, low=-1.2, high=1.2)}
             for n, h, wd, ho, wo in [(1, 5, 6, 3, 4), (2, 3, 3, 7, 2), (1, 5, 6, 3, 4)]]
    _against_onnxruntime(model, feeds)


@pytest.mark.parametrize("attrs,opset,xshape,dtype,message", [
    ({"mode": "linear"}, 16, (1, 2, 3, 4), np.float32, "mode='linear'"),
    ({"mode": "bilinear"}, 20, (1, 2, 3, 4), np.float32, "mode='bilinear'"),
    ({"padding_mode": "wrap"}, 20, (1, 2, 3, 4), np.float32, "padding_mode='wrap'"),
    ({}, 16, (1, 2, 3, 4, 5), np.float32, "rank 5"),
    ({}, 20, (1, 2, 3, 4), np.int32, "linear GridSample of int32"),
    ({"mode": "cubic"}, 20, (1, 2, 3, 4), np.uint8, "cubic GridSample of uint8"),
])
def test_grid_sample_rejects(attrs, opset, xshape, dtype, message):
    k = len(xshape) - 2
    feeds = {"x": np.zeros(xshape, dtype), "grid": np.zeros((1, *[2] * k, k), np.float32)}
    with pytest.raises(pocketml.PocketMLError, match=message):
        pocketml.convert(model_of("GridSample", feeds, attrs, opset=opset))


# ---- AffineGrid: size fed at run time (read while planning) or constant ------------------------------------
def _affine_model(dtype, size_len, align, const_size=None):
    k = size_len - 2
    inits = [numpy_helper.from_array(np.array(const_size, np.int64), "size")] if const_size else []
    inputs = [helper.make_tensor_value_info("theta", dtype, ["n", k, k + 1])] + \
        ([] if const_size else [helper.make_tensor_value_info("size", TensorProto.INT64, [size_len])])
    node = helper.make_node("AffineGrid", ["theta", "size"], ["y"], align_corners=align)
    graph = helper.make_graph([node], "affine", inputs, [helper.make_tensor_value_info("y", dtype, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


@pytest.mark.parametrize("align", [0, 1])
@pytest.mark.parametrize("sizes", [[(2, 3, 5, 6), (1, 1, 13, 2), (2, 3, 5, 6)], [(2, 1, 3, 4, 5), (1, 2, 2, 7, 3)]])
def test_affine_grid_size_fed_at_run_time(align, sizes):
    model = _affine_model(TensorProto.FLOAT, len(sizes[0]), align)
    k = len(sizes[0]) - 2
    _against_onnxruntime(model, [{"theta": rand(s[0], k, k + 1, low=-2, high=2), "size": i64(*s)} for s in sizes])


@pytest.mark.parametrize("align", [0, 1])
def test_affine_grid_constant_size_into_grid_sample(align):
    # the spatial-transformer pattern: AffineGrid feeding GridSample
    size = numpy_helper.from_array(i64(2, 3, 4, 5), "size")
    nodes = [helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=align),
             helper.make_node("GridSample", ["x", "grid"], ["y"], align_corners=align)]
    graph = helper.make_graph(nodes, "stn", [helper.make_tensor_value_info("theta", TensorProto.FLOAT, [2, 2, 3]),
                                             helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 6, 7])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [size])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    _against_onnxruntime(model, [{"theta": rand(2, 2, 3), "x": rand(2, 3, 6, 7)} for _ in range(2)])


def test_affine_grid_float16_and_unit_axes():
    # float16: the float32 result rounded once; a length-1 axis with align_corners sits at -1 as onnx's
    # evaluator has it (onnxruntime's linspace puts it at +1)
    model = _affine_model(TensorProto.FLOAT16, 4, 1, const_size=[2, 1, 1, 6])
    theta = rand(2, 2, 3, low=-2, high=2).astype(np.float16)
    got = pocketml.Session(pocketml.convert(model)).run({"theta": theta})["y"]
    want = ReferenceEvaluator(_affine_model(TensorProto.FLOAT, 4, 1, const_size=[2, 1, 1, 6])).run(
        None, {"theta": theta.astype(np.float32)})[0]
    assert got.dtype == np.float16 and got.shape == (2, 1, 6, 2)
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float16).astype(np.float32), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("size_len,theta_dims,message", [(3, (2, 3), "4 or 5"), (4, (3, 4), "theta")])
def test_affine_grid_rejects_at_conversion(size_len, theta_dims, message):
    model = _affine_model(TensorProto.FLOAT, size_len, 0)
    for i, d in enumerate(theta_dims):
        model.graph.input[0].type.tensor_type.shape.dim[i + 1].dim_value = d
    with pytest.raises(pocketml.PocketMLError, match=message):
        pocketml.convert(model)


@pytest.mark.parametrize("theta_n,size,message", [(2, (1, 1, 4, 4), "theta"), (1, (1, 1, -4, 4), "out of range")])
def test_affine_grid_rejects_bad_size_at_run_time(theta_n, size, message):
    session = pocketml.Session(pocketml.convert(_affine_model(TensorProto.FLOAT, 4, 0)))
    with pytest.raises(pocketml.PocketMLError, match=message):
        session.run({"theta": rand(theta_n, 2, 3), "size": i64(*size)})


# ---- RoiAlign: the C runtime against onnxruntime (float32; float16 as its float32 result rounded once) -------
def _roi_feeds(n, c, h, w, r, scale, dtype=np.float32):
    """r rois over a batch of n: several per image, some partly outside, one reversed, one tiny."""
    rng = np.random.default_rng(r)
    lo = rng.uniform(-2, [w / scale, h / scale], size=(r, 2))
    hi = lo + rng.uniform(0.3, [w / scale, h / scale], size=(r, 2))
    rois = np.concatenate([lo, hi], axis=1).astype(np.float32)
    rois[0] = rois[0, [2, 3, 0, 1]]
    rois[-1, 2:] = rois[-1, :2] + 0.05
    return {"x": rand(n, c, h, w, low=-2, high=2).astype(dtype), "rois": rois.astype(dtype),
            "batch_indices": np.arange(r, dtype=np.int64) % n}


@pytest.mark.parametrize("opset,coords", [(10, None), (16, "half_pixel"), (16, "output_half_pixel"), (22, None)])
@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("ratio,scale", [(0, 1.0), (2, 0.5), (1, 0.25)])
@pytest.mark.parametrize("n,c,h,w,r,oh,ow", [(2, 3, 11, 9, 5, 3, 4), (1, 13, 5, 7, 3, 7, 2), (3, 129, 6, 5, 4, 2, 2)])
def test_roi_align(opset, coords, mode, ratio, scale, n, c, h, w, r, oh, ow):
    feeds = _roi_feeds(n, c, h, w, r, scale)
    attrs = {"mode": mode, "sampling_ratio": ratio, "spatial_scale": scale, "output_height": oh, "output_width": ow}
    if coords:
        attrs["coordinate_transformation_mode"] = coords
    check_runtime(model_of("RoiAlign", feeds, attrs, opset=opset), feeds)


def test_roi_align_float16_rounds_once():
    # onnxruntime has no float16 RoiAlign: its float32 result on the same values, rounded to float16
    feeds = _roi_feeds(2, 5, 8, 9, 6, 0.5, np.float16)
    attrs = {"mode": "avg", "spatial_scale": 0.5, "output_height": 3, "output_width": 3}
    want = oracle(model_of("RoiAlign", {k: v.astype(np.float32) if v.dtype == np.float16 else v
                                        for k, v in feeds.items()}, attrs, opset=16),
                  {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in feeds.items()})[0]
    got = pocketml.Session(pocketml.convert(model_of("RoiAlign", feeds, attrs, opset=16))).run(feeds)["y0"]
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float16).astype(np.float32), rtol=2e-3, atol=1e-3)


def test_roi_align_symbolic_roi_count_after_conv():
    # a Mask R-CNN style head: conv features, proposals fed at run time in any number (zero included)
    wconv = rand(6, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["f"], pads=[1, 1, 1, 1]),
             helper.make_node("RoiAlign", ["f", "rois", "batch"], ["y"], output_height=3, output_width=2,
                              sampling_ratio=2, spatial_scale=0.5)]
    graph = helper.make_graph(nodes, "head", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 10, 12]),
                                              helper.make_tensor_value_info("rois", TensorProto.FLOAT, ["r", 4]),
                                              helper.make_tensor_value_info("batch", TensorProto.INT64, ["r"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(wconv, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    feeds = []
    for r in (4, 1, 7, 0):
        f = _roi_feeds(2, 3, 10, 12, max(r, 1), 0.5)
        feeds.append({"x": f["x"], "rois": f["rois"][:r] * 2, "batch": f["batch_indices"][:r]})
    _against_onnxruntime(model, feeds)


@pytest.mark.parametrize("attrs,message", [({"mode": "min"}, "mode='min'"),
                                           ({"coordinate_transformation_mode": "align_corners"}, "align_corners")])
def test_roi_align_rejects(attrs, message):
    feeds = _roi_feeds(1, 2, 4, 4, 2, 1.0)
    with pytest.raises(pocketml.PocketMLError, match=message):
        pocketml.convert(model_of("RoiAlign", feeds, attrs, opset=16))


def test_roi_align_batch_index_out_of_range_is_a_run_time_error():
    feeds = _roi_feeds(2, 2, 4, 4, 3, 1.0)
    session = pocketml.Session(pocketml.convert(model_of("RoiAlign", feeds, {}, opset=16)))
    with pytest.raises(pocketml.PocketMLError, match=r"RoiAlign.*batch_indices\[1\] = 2 is outside \[0, 2\)"):
        session.run({**feeds, "batch_indices": i64(0, 2, 1)})
