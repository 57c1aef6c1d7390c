"""ONNX Conv / ConvTranspose import: the NCHW<->NHWC wrapping, weights folded to OHWI, auto_pad, groups, 1-D as 2-D;
Col2Im through the C runtime; DeformConv through the C runtime (float32, float16) and its reference.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check). CausalConvWithState runs through the C runtime against onnxruntime
(runtime_check.run_both), float16 and its state carried across calls included.
"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml.converters.onnx import import_onnx
from pocketml.errors import ConversionError, PocketMLError, UnsupportedOpError

from .helpers import check, make, one_node, ops_of, rand, run_graph
from .runtime_check import T, close_all, model_of, op_model, randn, run_both
from .typed_check import check_typed, small


def test_conv_is_wrapped_in_transposes_and_weights_fold_to_ohwi():
    x, w, b = rand(1, 3, 8, 8), rand(5, 3, 3, 3), rand(5)
    graph = check(one_node("Conv", {"x": x}, {"pads": [1, 1, 1, 1]}, {"w": w, "b": b}), {"x": x})
    assert ops_of(graph) == ["Transpose", "Conv", "Transpose"]
    conv = graph.nodes[1]
    assert graph.nodes[0].attrs["perm"] == [0, 2, 3, 1] and graph.nodes[2].attrs["perm"] == [0, 3, 1, 2]
    assert graph.values[conv.inputs[1]].const.shape == (5, 3, 3, 3)  # OHWI, folded
    np.testing.assert_array_equal(graph.values[conv.inputs[1]].const, w.transpose(0, 2, 3, 1))
    assert graph.values["x"].shape == (1, 3, 8, 8) and graph.values["y0"].shape == (1, 5, 8, 8)
    assert graph.inputs == ["x"]


@pytest.mark.parametrize("auto_pad", ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("hw,k,s,d", [((9, 8), (3, 3), (2, 2), (1, 1)), ((7, 10), (4, 2), (3, 1), (1, 2)),
                                      ((6, 6), (2, 2), (1, 1), (1, 1))])
def test_conv_auto_pad(auto_pad, hw, k, s, d):
    if auto_pad.startswith("SAME"):
        d = (1, 1)  # onnxruntime rejects dilated SAME convolutions
    x, w = rand(2, 4, *hw), rand(6, 4, *k)
    attrs = {"strides": list(s), "dilations": list(d), "auto_pad": auto_pad}
    if auto_pad == "NOTSET":
        attrs["pads"] = [1, 0, 0, 1]
    check(one_node("Conv", {"x": x}, attrs, {"w": w}), {"x": x})


@pytest.mark.parametrize("group,cin,cout", [(2, 4, 6), (4, 4, 4), (4, 4, 8)])
def test_conv_groups_and_depthwise(group, cin, cout):
    x, w, b = rand(1, cin, 7, 9), rand(cout, cin // group, 3, 3), rand(cout)
    check(one_node("Conv", {"x": x}, {"group": group, "pads": [1, 1, 1, 1], "strides": [2, 1]}, {"w": w, "b": b}),
          {"x": x})


def test_conv_1d_as_2d():
    x, w = rand(2, 3, 11), rand(4, 3, 3)
    graph = check(one_node("Conv", {"x": x}, {"pads": [2, 1], "strides": [2], "dilations": [2]}, {"w": w}), {"x": x})
    conv = next(n for n in graph.nodes if n.op == "Conv")
    assert graph.values[conv.inputs[0]].shape == (2, 1, 11, 3)


def test_conv_runtime_weights():
    x, w = rand(1, 2, 5, 5), rand(3, 2, 3, 3)
    graph = check(one_node("Conv", {"x": x, "w": w}), {"x": x, "w": w})
    assert ops_of(graph).count("Transpose") == 3  # data in, weights, data out


def test_conv_3d_is_unsupported():
    x, w = rand(1, 2, 3, 4, 5), rand(3, 2, 1, 1, 1)
    with pytest.raises(UnsupportedOpError, match=r"'my_conv' \(Conv, opset 17\).*3 spatial dims.*1-D and 2-D"):
        import_onnx(one_node("Conv", {"x": x}, {}, {"w": w}))


@pytest.mark.parametrize("attrs", [
    {},
    {"strides": [2, 2], "output_padding": [1, 0]},
    {"strides": [2, 3], "pads": [1, 0, 2, 1], "dilations": [1, 2]},
    {"strides": [2, 2], "output_shape": [10, 9]},
    {"strides": [2, 2], "output_shape": [9, 12]},
    {"strides": [3, 2], "output_shape": [10, 11]},
    {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
    {"strides": [2, 2], "auto_pad": "SAME_LOWER"},
    {"strides": [3, 2], "auto_pad": "SAME_UPPER", "output_shape": [12, 9]},
    {"auto_pad": "VALID", "group": 2},
])
def test_conv_transpose(attrs):
    g = attrs.get("group", 1)
    x, w, b = rand(1, 4, 4, 5), rand(4, 3, 3, 4), rand(3 * g)
    check(one_node("ConvTranspose", {"x": x}, attrs, {"w": w, "b": b}), {"x": x})


def test_conv_transpose_1d():
    x, w = rand(1, 2, 6), rand(2, 3, 4)
    check(one_node("ConvTranspose", {"x": x}, {"strides": [2], "pads": [1, 0]}, {"w": w}), {"x": x})


# ---- 3-D ConvTranspose: a 2-D one over (H, W) plus Col2Im along D; the C runtime and the reference
# against onnxruntime at odd sizes, batch > 1, channels not a multiple of 8 ----------------------------------
CT3D_CASES = [
    ((2, 3, 3, 4, 5), (3, 5, 2, 3, 2), {}),
    ((1, 6, 4, 3, 5), (6, 3, 3, 2, 3), {"strides": [2, 3, 2], "pads": [1, 0, 2, 1, 1, 0], "group": 2}),
    ((2, 4, 3, 5, 4), (4, 7, 2, 3, 3), {"strides": [3, 2, 2], "dilations": [2, 1, 2], "output_padding": [2, 1, 0]}),
    ((1, 3, 2, 3, 3), (3, 2, 3, 3, 2), {"strides": [2, 2, 1], "output_padding": [1, 1, 0], "pads": [0, 1, 0, 0, 0, 1]}),
    ((1, 5, 3, 4, 3), (5, 9, 3, 3, 3), {"strides": [2, 2, 2], "output_shape": [8, 9, 7]}),
    ((2, 2, 4, 3, 3), (2, 3, 3, 2, 2), {"strides": [2, 1, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 4, 3, 3, 4), (4, 1, 2, 2, 3), {"strides": [3, 2, 1], "auto_pad": "SAME_LOWER", "group": 4}),
    ((1, 2, 3, 2, 3), (2, 3, 2, 2, 2), {"auto_pad": "VALID", "dilations": [3, 1, 1]}),
]


@pytest.mark.parametrize("xshape,wshape,attrs", CT3D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose_3d(xshape, wshape, attrs, bias):
    x, w = rand(*xshape), rand(*wshape)
    inits = {"w": w, "b": rand(wshape[1] * attrs.get("group", 1))} if bias else {"w": w}
    model = one_node("ConvTranspose", {"x": x}, attrs, inits)
    check(model, {"x": x})  # the registry references of the decomposition
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    for threads in (1, 2):
        got = pocketml.Session(pocketml.convert(model), threads=threads).run({"x": x})["y0"]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_conv_transpose_3d_symbolic_sizes_and_runtime_weights():
    # a 3-D decoder step whose batch and volume are symbolic, weights fed at run time
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2, 1], pads=[1, 0, 0, 0, 1, 1],
                            output_padding=[1, 0, 0])
    graph = helper.make_graph([node], "up", [helper.make_tensor_value_info("x", T[np.dtype(np.float32)], ["n", 3, "d", "h", "w"]),
                                             helper.make_tensor_value_info("w", T[np.dtype(np.float32)], [3, 5, 3, 2, 3]),
                                             helper.make_tensor_value_info("b", T[np.dtype(np.float32)], [5])],
                              [helper.make_tensor_value_info("y", T[np.dtype(np.float32)], None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for n, d, h, wd in [(2, 3, 4, 5), (1, 5, 2, 3), (2, 3, 4, 5)]:
        feeds = {"x": rand(n, 3, d, h, wd), "w": rand(3, 5, 3, 2, 3), "b": rand(5)}
        np.testing.assert_allclose(session.run(feeds)["y"], oracle.run(None, feeds)[0], rtol=1e-4, atol=1e-5)


# ---- Col2Im (opset 18): the C runtime against onnxruntime (float32) and onnx's evaluator (other dtypes) -----
COL2IM_CASES = [((5, 5), (1, 5), {}), ((5, 5), (3, 3), {"strides": [2, 2]}), ((6, 6), (2, 2), {"dilations": [1, 5]}),
                ((7, 6), (3, 2), {"strides": [2, 1], "pads": [1, 0, 2, 1], "dilations": [2, 1]}),
                ((3, 4, 5), (1, 2, 5), {}), ((13,), (3,), {"strides": [2], "pads": [1, 2]}), ((1, 1), (1, 1), {})]


def _col2im_feeds(image, block, attrs, dtype, channels=3, batch=2):
    k = len(image)
    st, dl, pd = attrs.get("strides", [1] * k), attrs.get("dilations", [1] * k), attrs.get("pads", [0] * 2 * k)
    blocks = [(image[i] + pd[i] + pd[i + k] - dl[i] * (block[i] - 1) - 1) // st[i] + 1 for i in range(k)]
    return {"x": small((batch, channels * int(np.prod(block)), int(np.prod(blocks))), dtype),
            "image_shape": np.array(image, np.int64), "block_shape": np.array(block, np.int64)}


@pytest.mark.parametrize("image,block,attrs", COL2IM_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.uint8, np.int32, np.int64, np.uint64])
def test_col2im_shapes_fed_at_run_time(image, block, attrs, dtype):
    oracle = check_typed("Col2Im", _col2im_feeds(image, block, attrs, dtype), attrs, opset=18,
                         rtol=1e-3 if dtype == np.float16 else 1e-5)
    assert oracle == "onnxruntime" or dtype != np.float32


@pytest.mark.parametrize("image,block,attrs", COL2IM_CASES[:4])
def test_col2im_constant_shapes(image, block, attrs):
    feeds = _col2im_feeds(image, block, attrs, np.float32, channels=13, batch=1)
    check_typed("Col2Im", {"x": feeds["x"]}, attrs, opset=18,
                consts={"image_shape": feeds["image_shape"], "block_shape": feeds["block_shape"]})


@pytest.mark.parametrize("image,block,attrs,message", [((4, 4), (6, 1), {}, "does not fit"),
                                                       ((5, 5), (2, 2), {}, "must be")])
def test_col2im_rejects(image, block, attrs, message):
    feeds = _col2im_feeds((5, 5), (1, 5), {}, np.float32)
    feeds.update(image_shape=np.array(image, np.int64), block_shape=np.array(block, np.int64))
    session = pocketml.Session(pocketml.convert(model_of("Col2Im", feeds, attrs, opset=18)))
    with pytest.raises(pocketml.PocketMLError, match=message):
        session.run(feeds)


def test_col2im_zero_stride_is_refused_at_conversion():
    """strides are an attribute: outside their domain (>= 1) the importer refuses the model."""
    feeds = _col2im_feeds((5, 5), (1, 5), {}, np.float32)
    with pytest.raises(pocketml.ConversionError, match=r"strides=\[0, 1\] is outside its domain"):
        pocketml.convert(model_of("Col2Im", feeds, {"strides": [0, 1]}, opset=18))
# ---- CausalConvWithState (opset 27), run by the C runtime ------------------------------------------

def _causal_model(inputs, activation=None, dynamic_len=False):
    """One CausalConvWithState over i0..i3 (None: absent), outputs o0 (y) and o1 (present_state)."""
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    attrs = {"activation": activation} if activation else {}
    node = helper.make_node("CausalConvWithState", names, ["o0", "o1"], **attrs)
    shape = lambda k, a: [a.shape[0], a.shape[1], "L"] if dynamic_len and k == 0 else a.shape
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info(n, T[a.dtype], shape(k, a))
                                            for k, (n, a) in enumerate(zip(names, inputs)) if n],
                              [helper.make_tensor_value_info(o, T[inputs[0].dtype], None) for o in ("o0", "o1")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 27)], ir_version=10)


@pytest.mark.parametrize("b,c,length,k", [(2, 4, 8, 4), (1, 1, 6, 4), (2, 3, 2, 5), (3, 5, 7, 1), (1, 130, 33, 3)])
@pytest.mark.parametrize("bias,past", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("activation", [None, "silu", "swish"])
def test_causal_conv_with_state_vs_onnxruntime(b, c, length, k, bias, past, activation):
    ins = [randn(b, c, length), randn(c, 1, k), randn(c) if bias else None, randn(b, c, k - 1) if past else None]
    got, ref, _ = run_both(_causal_model(ins, activation), ins, threads=2)
    assert got[1].shape == (b, c, k - 1)
    close_all(got, ref)


@pytest.mark.parametrize("activation", [None, "silu"])
def test_causal_conv_with_state_float16_vs_onnxruntime(activation):
    ins = [a.astype(np.float16) for a in (randn(2, 6, 9), randn(6, 1, 4), randn(6), randn(2, 6, 3))]
    got, ref, _ = run_both(_causal_model(ins, activation), ins)
    assert [g.dtype for g in got] == [np.float16, np.float16]
    np.testing.assert_array_equal(got[1], ref[1])
    np.testing.assert_allclose(got[0].astype(np.float32), ref[0].astype(np.float32), rtol=2e-3, atol=2e-3)


def test_causal_conv_with_state_carries_across_calls():
    """Prefill, then decode steps feeding present_state back as past_state: each call matches
    onnxruntime, and the calls together match one call over the whole sequence."""
    x, w, bias = randn(2, 3, 9), randn(3, 1, 4), randn(3)
    model = _causal_model([x, w, bias, randn(2, 3, 3)], "silu", dynamic_len=True)
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    state, ys = np.zeros((2, 3, 3), np.float32), []
    for t0, t1 in ((0, 5), (5, 6), (6, 7), (7, 9)):
        feeds = {"i0": np.ascontiguousarray(x[:, :, t0:t1]), "i1": w, "i2": bias, "i3": state}
        got = list(session.run(feeds).values())
        close_all(got, oracle.run(None, feeds))
        state = got[1]
        ys.append(got[0])
    whole = list(session.run({"i0": x, "i1": w, "i2": bias, "i3": np.zeros((2, 3, 3), np.float32)}).values())
    close_all([np.concatenate(ys, axis=2), state], whole)


def test_causal_conv_with_state_errors_are_clear():
    x, w = randn(1, 2, 5), randn(2, 1, 3)
    with pytest.raises(ConversionError, match="activation='gelu' is outside its domain; allowed: one of none, silu"):
        pocketml.convert(_causal_model([x, w, None, None], "gelu"))
    with pytest.raises(PocketMLError, match="past_state"):
        pocketml.convert(_causal_model([x, w, None, randn(1, 2, 3)]))
    with pytest.raises(PocketMLError, match=r"\[C,1,K\]"):
        pocketml.convert(_causal_model([x, randn(3, 1, 3), None, None]))


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
@pytest.mark.parametrize("strides,dilations", [([1, 1], [1, 1]), ([2, 2], [1, 1]), ([1, 2], [1, 1])])  # (onnxruntime refuses dilated SAME)
def test_conv_same_auto_pad_on_symbolic_sizes(auto_pad, strides, dilations):
    # the runtime pads each concrete size: no input_shapes needed for SAME convolutions
    rng = np.random.default_rng(9)
    w = helper.make_tensor("w", T[np.dtype(np.float32)], (4, 3, 3, 3), rng.standard_normal(108).astype(np.float32) * 0.3)
    node = helper.make_node("Conv", ["x", "w"], ["y0"], auto_pad=auto_pad, strides=strides, dilations=dilations)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", T[np.dtype(np.float32)], ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("y0", T[np.dtype(np.float32)], None)], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for shape in [(1, 3, 7, 8), (2, 3, 5, 5), (1, 3, 2, 9), (1, 3, 7, 8)]:
        x = rng.standard_normal(shape).astype(np.float32)
        got, want = session.run({"x": x})["y0"], oracle.run(None, {"x": x})[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# ---- DeformConv: the sampling im2col + GEMM path of the C runtime against onnxruntime -------------------

RNG_MASK = np.random.default_rng(19)

def _deform_inputs(n, c, hw, cout, k, group, og, stride, dil, pads, bias, mask, dtype=np.float32):
    oh = (hw[0] + pads[0] + pads[2] - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    ow = (hw[1] + pads[1] + pads[3] - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    taps = og * k[0] * k[1]
    ins = [randn(n, c, *hw), randn(cout, c // group, *k), 2 * randn(n, 2 * taps, oh, ow),  # many taps land outside
           randn(cout) if bias else None, RNG_MASK.uniform(0, 1, (n, taps, oh, ow)).astype(np.float32) if mask else None]
    attrs = {"kernel_shape": list(k), "strides": list(stride), "dilations": list(dil), "pads": list(pads),
             "group": group, "offset_group": og}
    return [a if a is None else a.astype(dtype) for a in ins], attrs


DEFORM_CASES = [  # n, c, (h, w), cout, kernel, group, offset_group, strides, dilations, pads, bias, mask
    (1, 1, (5, 5), 1, (3, 3), 1, 1, (1, 1), (1, 1), (0, 0, 0, 0), False, False),
    (2, 6, (7, 9), 4, (3, 2), 2, 3, (2, 1), (1, 2), (1, 0, 2, 1), True, True),
    (1, 8, (13, 11), 6, (3, 3), 2, 4, (1, 2), (2, 1), (2, 2, 2, 2), False, True),
    (3, 4, (6, 5), 8, (1, 1), 4, 2, (1, 1), (1, 1), (0, 0, 0, 0), True, False),
    (1, 17, (9, 7), 33, (3, 3), 1, 17, (1, 1), (1, 1), (1, 1, 1, 1), True, True),  # 33 = 2 panels + 1
    (2, 32, (6, 7), 20, (3, 3), 1, 2, (1, 1), (1, 1), (1, 1, 1, 1), True, True),   # K = 288: two K blocks
    (1, 12, (4, 13), 6, (2, 3), 3, 6, (3, 2), (1, 1), (0, 1, 2, 0), False, True),  # offset group inside a group
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", DEFORM_CASES)
def test_deform_conv_vs_onnxruntime(case, threads):
    ins, attrs = _deform_inputs(*case)
    got, ref, converted = run_both(op_model("DeformConv", ins, opset=19, **attrs), ins, threads=threads)
    close_all(got, ref, rtol=1e-4, atol=1e-4)


def test_deform_conv_reference_is_nhwc_and_matches_onnxruntime():
    ins, attrs = _deform_inputs(*DEFORM_CASES[1])
    feeds = {"x": ins[0], "offset": ins[2], "mask": ins[4]}
    node = helper.make_node("DeformConv", ["x", "w", "offset", "b", "mask"], ["y0"], **attrs)
    model = make([node], {k: (TensorProto.FLOAT, v.shape) for k, v in feeds.items()}, {"y0": (TensorProto.FLOAT, None)},
                 {"w": ins[1], "b": ins[3]}, opset=19)
    graph = check(model, feeds, atol=1e-4)
    deform = next(nd for nd in graph.nodes if nd.op == "DeformConv")
    assert graph.values[deform.inputs[1]].const.shape == (4, 3, 2, 3)  # OHWI, folded
    assert [graph.values[deform.inputs[i]].shape for i in (2, 4)] == [(2, 4, 8, 36), (2, 4, 8, 18)]
    assert ops_of(graph) == ["Transpose", "Transpose", "Transpose", "DeformConv", "Transpose"]


def test_deform_conv_reference_matches_onnx_reference_evaluator():
    """The registry's numpy reference against onnx's own (GridSample-based) reference, tiny shapes."""
    ins, attrs = _deform_inputs(2, 4, (4, 5), 2, (2, 2), 2, 2, (1, 2), (1, 1), (1, 0, 0, 1), True, True)
    model = op_model("DeformConv", ins, opset=19, **attrs)
    feeds = {f"i{k}": a for k, a in enumerate(ins) if a is not None}
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    got = run_graph(import_onnx(model), feeds)["o0"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_deform_conv_float16_vs_onnxruntime_float32():
    ins, attrs = _deform_inputs(*DEFORM_CASES[2], dtype=np.float16)
    model = op_model("DeformConv", ins, opset=19, out_type=TensorProto.FLOAT16, **attrs)
    got = pocketml.Session(pocketml.convert(model)).run({f"i{k}": a for k, a in enumerate(ins) if a is not None})
    wide = [a if a is None else a.astype(np.float32) for a in ins]
    _, ref, _ = run_both(op_model("DeformConv", wide, opset=19, **attrs), wide)
    got = list(got.values()) if isinstance(got, dict) else list(got)
    assert got[0].dtype == np.float16
    np.testing.assert_allclose(got[0].astype(np.float32), ref[0], rtol=2e-3, atol=2e-2)


def test_deform_conv_errors_are_clear():
    ins, attrs = _deform_inputs(*DEFORM_CASES[1])
    ins[2] = ins[2][:, :-2]  # one tap's offsets missing
    with pytest.raises(PocketMLError, match=r"DeformConv.*offset"):
        pocketml.Session(pocketml.convert(op_model("DeformConv", ins, opset=19, **attrs)))
    x, w, off = randn(1, 2, 4, 5, 6), randn(2, 2, 1, 1, 1), randn(1, 2, 4, 5, 6)
    with pytest.raises(UnsupportedOpError, match="supported: 2-D"):
        import_onnx(op_model("DeformConv", [x, w, off], opset=19))
