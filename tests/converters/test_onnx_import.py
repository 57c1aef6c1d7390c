"""The ONNX importer: small graphs built with onnx.helper are imported, run with
the registry's numpy references (pocketml.reference.run_graph) and compared
with onnxruntime, the independent oracle. Covers the NCHW<->NHWC wrapping,
auto_pad, the attribute-vs-input forms across opsets, folding of shape
subgraphs, symbolic dims, and the error messages.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from pocketml.converters.onnx import import_onnx, supported_ops

from pocketml import ir
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.reference import run_graph

RNG = np.random.default_rng(1)
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


def make(nodes, inputs, outputs, inits=None, opset=17):
    """inputs/outputs: {name: (elem_type, shape)} (shape None = unknown); inits: {name: array}."""
    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in inputs.items()],
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in outputs.items()],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    return onnx.shape_inference.infer_shapes(model)  # fills the output shapes the checker wants


def one_node(op, feeds, attrs=None, inits=None, opset=17, n_out=1, extra_inputs=(), out_type=F):
    """A model of one node reading the feeds (in order) then the initializers (in order)."""
    inits = dict(inits or {})
    names = list(feeds) + list(extra_inputs) + list(inits)
    outs = [f"y{k}" for k in range(n_out)]
    node = helper.make_node(op, names, outs, name=f"my_{op.lower()}", **(attrs or {}))
    ins = {n: (helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for n, a in feeds.items()}
    return make([node], ins, {o: (out_type, None) for o in outs}, inits, opset)


def check(model, feeds, rtol=1e-4, atol=1e-5, **kw):
    """Import, run the IR reference and onnxruntime, compare every output; return the IR graph."""
    graph = import_onnx(model, **kw)
    got = run_graph(graph, {k: v for k, v in feeds.items() if k in graph.inputs})
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    expect = sess.run(None, feeds)
    assert graph.outputs == [o.name for o in model.graph.output]
    for name, e in zip(graph.outputs, expect):
        assert got[name].dtype == e.dtype and got[name].shape == e.shape, (name, got[name].shape, e.shape)
        np.testing.assert_allclose(got[name], e, rtol=rtol, atol=atol, err_msg=name)
    return graph


def ops_of(graph):
    return [n.op for n in graph.nodes]


# ---- layout wrapping and conv ------------------------------------------------------------
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


# ---- matmul --------------------------------------------------------------------------------
@pytest.mark.parametrize("opset,ta,tb,with_c", [(7, 0, 0, True), (9, 1, 0, True), (11, 0, 1, False),
                                                (13, 1, 1, True)])
def test_gemm(opset, ta, tb, with_c):
    a = rand(5, 3) if ta else rand(3, 5)
    b = rand(4, 5) if tb else rand(5, 4)
    inits = {"b": b, "c": rand(4)} if with_c else {"b": b}
    check(one_node("Gemm", {"a": a}, {"transA": ta, "transB": tb, "alpha": 0.7, "beta": 1.3}, inits, opset), {"a": a})


def test_matmul_batched():
    a, b = rand(2, 3, 4, 5), rand(5, 6)
    check(one_node("MatMul", {"a": a}, {}, {"b": b}), {"a": a})


# ---- norm ----------------------------------------------------------------------------------
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


# ---- elementwise ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Max", "Min"])
def test_binary_broadcast(op):
    a, b = rand(2, 3, 4, 5), rand(3, 1, 1, low=0.5, high=2)
    check(one_node(op, {"a": a}, {}, {"b": b}), {"a": a})


@pytest.mark.parametrize("op,ir_op", [("Sum", "Add"), ("Max", "Max"), ("Min", "Min")])
def test_variadic_becomes_chain(op, ir_op):
    feeds = {"a": rand(2, 3), "b": rand(3), "c": rand(2, 1), "d": rand(2, 3)}
    graph = check(one_node(op, feeds), feeds)
    assert ops_of(graph) == [ir_op] * 3


def test_sum_of_one_is_identity():
    feeds = {"a": rand(2, 3)}
    assert ops_of(check(one_node("Sum", feeds), feeds)) == ["Identity"]


def test_int_arithmetic():
    a, b = np.array([7, -7, 9, -9], np.int64), np.array([2, 2, -4, -4], np.int64)
    for op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        check(one_node(op, {"a": a, "b": b}, out_type=I64), {"a": a, "b": b})


@pytest.mark.parametrize("opset", [7, 13, 15])
def test_pow(opset):
    a = rand(3, 4, low=0.1, high=2)
    check(one_node("Pow", {"a": a}, {}, {"b": np.array(2.5, np.float32)}, opset), {"a": a})


def test_pow_int_exponent_is_cast():
    a = rand(3, 4, low=0.1, high=2)
    graph = check(one_node("Pow", {"a": a}, {}, {"b": np.array(3, np.int64)}, 15), {"a": a})
    assert ops_of(graph) == ["Pow"]  # the constant exponent's Cast folded


@pytest.mark.parametrize("op,attrs", [
    ("Relu", {}), ("LeakyRelu", {"alpha": 0.3}), ("Sigmoid", {}), ("Tanh", {}),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Elu", {"alpha": 0.5}),
    ("Selu", {"alpha": 1.5, "gamma": 1.1}), ("Softplus", {}), ("Exp", {}), ("Abs", {}), ("Neg", {}),
    ("Identity", {}),
])
def test_unary(op, attrs):
    x = rand(3, 4, 5, low=-4, high=4)
    check(one_node(op, {"x": x}, attrs, opset=14 if op == "HardSwish" else 13), {"x": x})


@pytest.mark.parametrize("op", ["Sqrt", "Log", "Reciprocal"])
def test_unary_positive(op):
    x = rand(3, 4, low=0.1, high=4)
    check(one_node(op, {"x": x}), {"x": x})


def test_prelu_channel_slope():
    x = rand(2, 3, 4, 4)
    check(one_node("PRelu", {"x": x}, {}, {"slope": rand(3, 1, 1)}), {"x": x})


@pytest.mark.parametrize("opset,inits,attrs", [
    (7, {}, {"min": -0.5, "max": 0.3}),
    (11, {"lo": np.array(-0.2, np.float32), "hi": np.array(0.4, np.float32)}, {}),
    (13, {"lo": np.array(-0.2, np.float32)}, {}),
    (10, {}, {}),
])
def test_clip(opset, inits, attrs):
    x = rand(4, 5)
    check(one_node("Clip", {"x": x}, attrs, inits, opset), {"x": x})


def test_clip_absent_min_input():
    x = rand(4, 5)
    model = one_node("Clip", {"x": x}, {}, {"hi": np.array(0.1, np.float32)}, 13, extra_inputs=[""])
    check(model, {"x": x})


@pytest.mark.parametrize("opset", [7, 12, 13])
def test_dropout_is_identity(opset):
    x = rand(3, 4)
    node = helper.make_node("Dropout", ["x"], ["y", "mask"], name="drop")
    mask_type = TensorProto.BOOL if opset >= 10 else F
    model = make([node], {"x": (F, x.shape)}, {"y": (F, x.shape), "mask": (mask_type, x.shape)}, opset=opset)
    graph = check(model, {"x": x})
    assert ops_of(graph) == ["Identity"] and graph.values["mask"].is_const


def test_dropout_training_mode_is_rejected():
    x = rand(3, 4)
    model = one_node("Dropout", {"x": x}, {}, {"r": np.array(0.5, np.float32), "t": np.array(True)}, 13)
    with pytest.raises(UnsupportedOpError, match=r"'my_dropout' \(Dropout, opset 13\).*training_mode"):
        import_onnx(model)


@pytest.mark.parametrize("to,dtype", [(TensorProto.INT64, np.int64), (TensorProto.INT32, np.int32),
                                      (TensorProto.BOOL, np.bool_)])
def test_cast(to, dtype):
    x = rand(3, 4, low=-5, high=5)
    check(one_node("Cast", {"x": x}, {"to": to}, out_type=to), {"x": x})


# ---- pool ----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("opset,attrs", [
    (7, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    (7, {"kernel_shape": [3, 2], "auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    (7, {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER", "strides": [2, 3]}),
    (7, {"kernel_shape": [2, 2], "auto_pad": "VALID", "strides": [2, 2]}),
    (10, {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    (19, {"kernel_shape": [2, 2], "dilations": [2, 1], "pads": [1, 0, 1, 1]}),
])
def test_pool(op, opset, attrs):
    if op == "MaxPool" and opset == 19:
        opset = 12
    x = rand(2, 3, 9, 8)
    graph = check(one_node(op, {"x": x}, attrs, opset=opset), {"x": x})
    assert ops_of(graph) == ["Transpose", op, "Transpose"]


@pytest.mark.parametrize("cip", [0, 1])
def test_average_pool_count_include_pad(cip):
    x = rand(1, 2, 5, 5)
    attrs = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": cip, "strides": [2, 2]}
    check(one_node("AveragePool", {"x": x}, attrs, opset=11), {"x": x})


def test_pool_1d():
    x = rand(2, 3, 10)
    check(one_node("MaxPool", {"x": x}, {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}), {"x": x})


def test_maxpool_indices_output_is_rejected():
    x = rand(1, 1, 4, 4)
    node = helper.make_node("MaxPool", ["x"], ["y", "idx"], name="mp", kernel_shape=[2, 2])
    model = make([node], {"x": (F, x.shape)}, {"y": (F, None), "idx": (I64, None)}, opset=12)
    with pytest.raises(UnsupportedOpError, match=r"'mp' \(MaxPool, opset 12\).*Indices"):
        import_onnx(model)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (2, 3, 7)])
def test_global_pool(op, shape):
    x = rand(*shape)
    check(one_node(op, {"x": x}), {"x": x})


# ---- tensor ops ---------------------------------------------------------------------------------
def test_concat_and_transpose_default_perm():
    feeds = {"a": rand(2, 3, 4), "b": rand(2, 1, 4)}
    check(one_node("Concat", feeds, {"axis": -2}), feeds)
    x = rand(2, 3, 4)
    check(one_node("Transpose", {"x": x}), {"x": x})


@pytest.mark.parametrize("opset,shape,allowzero", [(7, [0, -1], 0), (13, [4, 6], 0), (14, [2, 0, 12], 1),
                                                   (14, [-1, 2], 0)])
def test_reshape(opset, shape, allowzero):
    x = rand(2, 3, 4) if shape != [2, 0, 12] else np.zeros((2, 0, 3), np.float32)
    attrs = {"allowzero": allowzero} if opset >= 14 else {}
    check(one_node("Reshape", {"x": x}, attrs, {"shape": i64(*shape)}, opset), {"x": x})


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 3])
def test_flatten(axis):
    x = rand(2, 3, 4)
    if axis == 3:
        axis = 3  # == rank: everything in the first dim
    graph = check(one_node("Flatten", {"x": x}, {"axis": axis}, opset=13), {"x": x})
    assert ops_of(graph) == ["Reshape"]


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_unsqueeze(opset):
    x = rand(1, 3, 1, 4)
    axes = [0, -2]
    if opset < 13:
        m1 = one_node("Squeeze", {"x": x}, {"axes": axes}, opset=opset)
        m2 = one_node("Unsqueeze", {"x": x}, {"axes": [1, -1]}, opset=opset)
    else:
        m1 = one_node("Squeeze", {"x": x}, {}, {"axes": i64(*axes)}, opset)
        m2 = one_node("Unsqueeze", {"x": x}, {}, {"axes": i64(1, -1)}, opset)
    assert ops_of(check(m1, {"x": x})) == ["Reshape"]
    assert ops_of(check(m2, {"x": x})) == ["Reshape"]
    check(one_node("Squeeze", {"x": x}, opset=opset), {"x": x})  # no axes: all size-1 dims


@pytest.mark.parametrize("opset,starts,ends,axes,steps", [
    (9, [1, 0], [3, -1], [0, 2], None),
    (10, [1], [1000], [1], None),
    (13, [-1, 4], [-1000, 0], [0, 2], [-1, -2]),
    (13, [0, 1, 0], [2, 3, 5], None, [1, 1, 2]),
])
def test_slice(opset, starts, ends, axes, steps):
    x = rand(3, 4, 5)
    if opset < 10:
        model = one_node("Slice", {"x": x}, {"starts": starts, "ends": ends, "axes": axes}, opset=opset)
    else:
        params = [("s", i64(*starts)), ("e", i64(*ends)), ("a", None if axes is None else i64(*axes)),
                  ("st", None if steps is None else i64(*steps))]
        while params[-1][1] is None:
            params.pop()
        node = helper.make_node("Slice", ["x"] + [n if a is not None else "" for n, a in params], ["y"])
        model = make([node], {"x": (F, x.shape)}, {"y": (F, None)}, {n: a for n, a in params if a is not None},
                     opset)
    assert ops_of(check(model, {"x": x})) == ["Slice"]


@pytest.mark.parametrize("opset,attrs,inits,n", [
    (11, {"axis": 1, "split": [1, 3]}, {}, 2),
    (13, {"axis": 1}, {"split": i64(2, 1, 1)}, 3),
    (13, {"axis": -1}, {}, 2),
    (18, {"axis": 2, "num_outputs": 2}, {}, 2),
])
def test_split(opset, attrs, inits, n):
    x = rand(2, 4, 5) if opset != 13 or inits else rand(2, 4, 6)
    check(one_node("Split", {"x": x}, attrs, inits, opset, n_out=n), {"x": x})


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("opset", [7, 11, 18])
def test_pad(mode, opset):
    x = rand(1, 2, 4, 5)
    pads = [0, 0, 1, 2, 0, 1, 2, 1]
    if opset < 11:
        model = one_node("Pad", {"x": x}, {"mode": mode, "pads": pads, "value": 0.5}, opset=opset)
    elif opset < 18:
        model = one_node("Pad", {"x": x}, {"mode": mode}, {"p": i64(*pads), "v": np.array(0.5, np.float32)}, opset)
    else:  # axes input: pads for H and W only
        model = one_node("Pad", {"x": x}, {"mode": mode},
                         {"p": i64(1, 2, 2, 1), "v": np.array(0.5, np.float32), "ax": i64(2, 3)}, opset)
    check(model, {"x": x})


def test_pad_wrap_is_unsupported():
    x = rand(1, 2, 4, 5)
    model = one_node("Pad", {"x": x}, {"mode": "wrap"}, {"p": i64(0, 0, 1, 1, 0, 0, 1, 1)}, 19)
    with pytest.raises(UnsupportedOpError, match=r"'my_pad' \(Pad, opset 19\).*wrap.*constant, reflect, edge"):
        import_onnx(model)


def test_gather_and_cast_fold():
    x = rand(5, 4)
    check(one_node("Gather", {"x": x}, {"axis": 0}, {"i": i64(3, -1, 0)}), {"x": x})
    check(one_node("Gather", {"x": x}, {"axis": 1}, {"i": np.array(2, np.int64)}), {"x": x})


@pytest.mark.parametrize("key,value", [
    ("value", numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3))),
    ("value_float", 2.5), ("value_floats", [1.0, 2.0]), ("value_int", 7), ("value_ints", [1, 2, 3]),
    ("sparse_value", helper.make_sparse_tensor(numpy_helper.from_array(np.array([5.0, 6.0], np.float32)),
                                               numpy_helper.from_array(i64(1, 4)), [2, 3])),
])
def test_constant_forms(key, value):
    node = helper.make_node("Constant", [], ["c"], name="k", **{key: value})
    add = helper.make_node("Identity", ["c"], ["y"])
    dtype = I64 if key.startswith("value_int") else F
    model = make([node, add], {}, {"y": (dtype, None)}, opset=13)
    graph = check(model, {})
    assert graph.values["y"].is_const and graph.nodes == []


def test_constant_of_shape_and_shape_start_end():
    x = rand(2, 3, 4, 5)
    shape = helper.make_node("Shape", ["x"], ["s"], start=1, end=-1)
    cos = helper.make_node("ConstantOfShape", ["s"], ["c"],
                           value=numpy_helper.from_array(np.array([1.5], np.float32)))
    add = helper.make_node("Add", ["c", "c"], ["y"])
    model = make([shape, cos, add], {"x": (F, x.shape)}, {"y": (F, None)}, opset=15)
    graph = check(model, {"x": x})
    assert graph.values["y"].const.shape == (3, 4)


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceSum", "ReduceMax"])
@pytest.mark.parametrize("opset", [11, 13, 18])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce(op, opset, keepdims):
    x = rand(2, 3, 4)
    as_input = opset >= (13 if op == "ReduceSum" else 18)
    if as_input:
        model = one_node(op, {"x": x}, {"keepdims": keepdims}, {"axes": i64(0, -1)}, opset)
    else:
        model = one_node(op, {"x": x}, {"keepdims": keepdims, "axes": [0, -1]}, opset=opset)
    check(model, {"x": x})
    check(one_node(op, {"x": x}, {"keepdims": keepdims}, opset=opset), {"x": x})  # all axes


# ---- Resize / Upsample ---------------------------------------------------------------------------
RESIZE_COORDS = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"]


# (onnxruntime implements tf_half_pixel_for_nn for nearest only)
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


def test_resize_antialias_is_unsupported():
    x = rand(1, 2, 4, 6)
    model = one_node("Resize", {"x": x}, {"mode": "linear", "antialias": 1},
                     {"scales": np.array([1, 1, 0.5, 0.5], np.float32)}, 18, extra_inputs=[""])
    with pytest.raises(UnsupportedOpError, match=r"'my_resize' \(Resize, opset 18\).*antialias"):
        import_onnx(model)


# ---- shape subgraphs, symbolic dims, parameters ------------------------------------------------------
def _flatten_by_shape_model(batch="N"):
    """y = x.view(x.size(0), -1) as PyTorch exports it."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"], name="view"),
    ]
    inits = {"zero": np.array(0, np.int64), "ax0": i64(0), "minus1": i64(-1)}
    return make(nodes, {"x": (F, [batch, 3, 4, 5])}, {"y": (F, None)}, inits, opset=13)


def test_shape_subgraph_folds_to_one_reshape():
    x = rand(2, 3, 4, 5)
    graph = check(_flatten_by_shape_model(2), {"x": x})
    assert ops_of(graph) == ["Reshape"] and graph.nodes[0].attrs["shape"] == [2, -1]


def test_shape_subgraph_with_symbolic_batch():
    graph = import_onnx(_flatten_by_shape_model("N"))
    assert ops_of(graph) == ["Reshape"] and graph.values["y"].shape == ("N", 60)
    x = rand(3, 3, 4, 5)
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(3, -1))


def test_symbolic_shape_slice_cast_concat_into_reshape():
    # y = x.reshape(x.shape[:2] + (2, 2)) with a symbolic batch, through Slice and Cast
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Slice", ["s", "zero", "two"], ["head"]),
        helper.make_node("Cast", ["head"], ["head64"], to=I64),
        helper.make_node("Concat", ["head64", "tail"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    inits = {"zero": i64(0), "two": i64(2), "tail": i64(2, 2)}
    model = make(nodes, {"x": (F, ["N", 3, 4])}, {"y": (F, None)}, inits, opset=13)
    graph = import_onnx(model)
    assert ops_of(graph) == ["Reshape"] and graph.values["y"].shape == ("N", 3, 2, 2)
    x = rand(5, 3, 4)
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(5, 3, 2, 2))


def test_input_shapes_fix_symbolic_dims():
    graph = import_onnx(_flatten_by_shape_model("N"), input_shapes={"x": (4, 3, 4, 5)})
    assert graph.values["x"].shape == (4, 3, 4, 5) and graph.values["y"].shape == (4, 60)
    with pytest.raises(ConversionError, match=r"conflicts with the model's static shape"):
        import_onnx(_flatten_by_shape_model("N"), input_shapes={"x": (4, 2, 4, 5)})
    with pytest.raises(ConversionError, match=r"not graph inputs"):
        import_onnx(_flatten_by_shape_model("N"), input_shapes={"nope": (1,)})


def test_symbolic_batch_conv_net():
    w = rand(4, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]),
             helper.make_node("Flatten", ["p"], ["y"])]
    model = make(nodes, {"x": (F, ["batch", 3, 8, 8])}, {"y": (F, ["batch", 4])}, {"w": w})
    graph = import_onnx(model)
    assert graph.values["y"].shape == ("batch", 4)
    x = rand(3, 3, 8, 8)
    expect = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_graph(graph, {"x": x})["y"], expect, rtol=1e-4, atol=1e-5)


def test_runtime_parameter_input_becomes_an_ir_input():
    x = rand(2, 6)
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape7")
    model = make([node], {"x": (F, x.shape), "shape": (I64, [2])}, {"y": (F, None)}, opset=13)
    # computed at run time: the IR Reshape takes it as an input (the runtime needs it while planning)
    graph = import_onnx(model)
    (reshape,) = graph.nodes
    assert reshape.op == "Reshape" and reshape.inputs == ["x", "shape"]
    assert graph.values["y"].shape == ("reshape7:d0", "reshape7:d1")
    np.testing.assert_array_equal(run_graph(graph, {"x": x, "shape": i64(3, 4)})["y"], x.reshape(3, 4))
    # const_inputs binds it, as the ONNX backend does for shape-like parameters
    graph = import_onnx(model, const_inputs={"shape": i64(3, 4)})
    assert graph.inputs == ["x"]
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(3, 4))


def test_symbolic_shape_into_arithmetic_is_computed_at_run_time():
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Mul", ["s", "two"], ["s2"], name="double"),
             helper.make_node("Div", ["s2", "four"], ["half"]),
             helper.make_node("Reshape", ["x", "half"], ["y"])]
    model = make(nodes, {"x": (F, ["N", 4])}, {"y": (F, None)}, {"two": i64(2, 1), "four": i64(1, 2)}, opset=13)
    graph = import_onnx(model)
    assert "Shape" in [n.op for n in graph.nodes]  # the shape arithmetic stays in the graph
    x = rand(6, 4)
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(12, 2))


def test_initializers_listed_as_inputs_become_constants():
    x, w = rand(1, 3), rand(3, 2)
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    graph_proto = helper.make_graph([node], "old", [helper.make_tensor_value_info("x", F, x.shape),
                                                    helper.make_tensor_value_info("w", F, w.shape)],
                                    [helper.make_tensor_value_info("y", F, None)], [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph_proto, opset_imports=[helper.make_opsetid("", 9)], ir_version=3)
    graph = check(model, {"x": x})
    assert graph.inputs == ["x"] and graph.values["w"].is_const


# ---- errors -----------------------------------------------------------------------------------------
def test_unsupported_op_names_node_op_domain_opset_and_lists_supported():
    x = rand(2, 3)
    model = one_node("Acosh", {"x": x}, opset=13)
    with pytest.raises(UnsupportedOpError) as e:
        import_onnx(model)
    msg = str(e.value)
    assert "'my_acosh'" in msg and "Acosh" in msg and "opset 13" in msg and "ai.onnx" in msg
    assert "Conv" in msg and "Resize" in msg  # the supported list


def test_custom_domain_is_unsupported():
    node = helper.make_node("Foo", ["x"], ["y"], domain="com.example", name="foo1")
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", F, [1])],
                              [helper.make_tensor_value_info("y", F, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.example", 1)], ir_version=8)
    with pytest.raises(UnsupportedOpError, match=r"'foo1' \(Foo, opset 13\): domain 'com.example'"):
        import_onnx(model)


def test_too_old_opset_is_unsupported():
    # Add changed at opset 7 (broadcasting): an opset-6 Add cannot be read as opset 7
    with pytest.raises(UnsupportedOpError, match=r"opset 6; supported opsets: 7\.\."):
        import_onnx(one_node("Add", {"a": rand(2), "b": rand(2)}, opset=6))


def test_older_opset_with_ops_unchanged_since_imports():
    # Relu is unchanged since opset 6, so an opset-6 model means the same at opset 7
    g = import_onnx(one_node("Relu", {"x": rand(2)}, opset=6))
    assert [n.op for n in g.nodes] == ["Relu"]


def test_bad_auto_pad_and_file_errors(tmp_path):
    x, w = rand(1, 1, 4, 4), rand(1, 1, 3, 3)
    with pytest.raises(UnsupportedOpError, match=r"auto_pad='DIAGONAL'"):
        import_onnx(one_node("Conv", {"x": x}, {"auto_pad": "DIAGONAL"}, {"w": w}))
    with pytest.raises(FileNotFoundError):
        import_onnx(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    with pytest.raises(ConversionError):
        import_onnx(bad)


def test_float64_input_is_unsupported():
    x = np.zeros((2,), np.float64)
    with pytest.raises(UnsupportedOpError, match=r"graph input 'x' has type DOUBLE"):
        import_onnx(one_node("Relu", {"x": x}, out_type=TensorProto.DOUBLE))


def test_every_handler_maps_to_registry_ops():
    assert len(supported_ops()) >= 58
    assert {"Conv", "ConvTranspose", "Resize", "Upsample", "Sum", "Dropout", "Constant"} <= set(supported_ops())


def test_import_from_path(tmp_path):
    x = rand(1, 3)
    path = tmp_path / "m.onnx"
    onnx.save(one_node("Relu", {"x": x}), path)
    graph = import_onnx(str(path))
    assert isinstance(graph, ir.Graph) and ops_of(graph) == ["Relu"]
