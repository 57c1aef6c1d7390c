"""Models shaped like the OCR detectors/recognisers and YOLO-style detectors users bring, with their
image sizes left symbolic as exporters write them (Resize by a scale on symbolic axes, a CRNN's
Shape -> Gather -> Concat -> Reshape and Squeeze over a symbolic width, a detection head reshaped
to [batch, anchors, outputs, -1], and that head decoded and filtered by NonMaxSuppression, whose
kept-box count changes from image to image). Each converts once, with no input_shapes, and matches
onnxruntime at several sizes, including a size first seen after others; a size seen before
re-uses its plan."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml

F, I64 = TensorProto.FLOAT, TensorProto.INT64
RNG = np.random.default_rng(11)


def _w(name, *shape, scale=0.3):
    return numpy_helper.from_array((RNG.standard_normal(shape) * scale).astype(np.float32), name)


def _i64(name, *values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _model(nodes, inputs, outputs, inits, opset=17):
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(n, F, None) for n in outputs], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def ocr_detector():
    """DBNet-like: two stride-2 convs, upsampled twice by Resize scales (nearest, then linear) with a skip."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Resize", ["r2", "", "up"], ["u1"], mode="nearest"),
        helper.make_node("Add", ["u1", "r1"], ["s1"]),
        helper.make_node("Resize", ["s1", "", "up"], ["u2"], mode="linear"),
        helper.make_node("Conv", ["u2", "w3", "b3"], ["c3"]),
        helper.make_node("Sigmoid", ["c3"], ["prob"]),
    ]
    inits = [_w("w1", 8, 3, 3, 3), _w("b1", 8), _w("w2", 8, 8, 3, 3), _w("b2", 8), _w("w3", 1, 8, 1, 1), _w("b3", 1),
             numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "up")]
    return _model(nodes, [("x", F, ["batch", 3, "height", "width"])], ["prob"], inits)


def ocr_recognizer():
    """CRNN-like: convs and pools down to height 1, Shape/Gather/Concat -> Reshape to [N, C*H, W],
    Transpose to [W, N, C*H], a bidirectional LSTM, Squeeze/Reshape of the directions, per-step logits."""
    hid, classes = 6, 7
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[4, 1], strides=[4, 1]),  # height 8 -> 2
        helper.make_node("Shape", ["p2"], ["sh"]),
        helper.make_node("Gather", ["sh", "i0"], ["n"], axis=0),
        helper.make_node("Gather", ["sh", "i3"], ["wd"], axis=0),
        helper.make_node("Concat", ["n", "ch", "wd"], ["shape"], axis=0),
        helper.make_node("Reshape", ["p2", "shape"], ["seq"]),                       # [N, C*H, W]
        helper.make_node("Transpose", ["seq"], ["tnc"], perm=[2, 0, 1]),              # [W, N, C*H]
        helper.make_node("LSTM", ["tnc", "lw", "lr", "lb"], ["hs"], hidden_size=hid, direction="bidirectional"),
        helper.make_node("Transpose", ["hs"], ["hst"], perm=[0, 2, 1, 3]),            # [W, N, 2, hid]
        helper.make_node("Reshape", ["hst", "flat"], ["feat"]),                       # [W, N, 2*hid]
        helper.make_node("MatMul", ["feat", "wo"], ["lo"]),
        helper.make_node("Add", ["lo", "bo"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("Squeeze", ["probs", "ax1"], ["per_step"]),                  # batch 1 -> [W, classes]
    ]
    inits = [_w("w1", 4, 1, 3, 3), _w("b1", 4), _w("w2", 4, 4, 3, 3), _w("b2", 4),
             _i64("i0", 0), _i64("i3", 3), _i64("ch", 8), _i64("flat", 0, 0, 2 * hid), _i64("ax1", 1),
             _w("lw", 2, 4 * hid, 8), _w("lr", 2, 4 * hid, hid), _w("lb", 2, 8 * hid),
             _w("wo", 2 * hid, classes), _w("bo", classes)]
    return _model(nodes, [("x", F, [1, 1, 16, "width"])], ["per_step"], inits, opset=17)


def yolo_head():
    """YOLO-style neck and head: stride-2 convs, Resize x2 by scale, Concat, a 1x1 conv reshaped to
    [batch, anchors, 5 + classes, cells] (-1), transposed, Sigmoid."""
    anchors, outs = 3, 6
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c1"], ["g1"]),
        helper.make_node("Mul", ["c1", "g1"], ["s1"]),                                 # SiLU as exported
        helper.make_node("Conv", ["s1", "w2", "b2"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Resize", ["r2", "", "up"], ["u"], mode="nearest", coordinate_transformation_mode="asymmetric",
                         nearest_mode="floor"),
        helper.make_node("Concat", ["u", "s1"], ["cat"], axis=1),
        helper.make_node("Conv", ["cat", "w3", "b3"], ["head"]),
        helper.make_node("Reshape", ["head", "hs"], ["grid"]),
        helper.make_node("Transpose", ["grid"], ["t"], perm=[0, 1, 3, 2]),
        helper.make_node("Sigmoid", ["t"], ["det"]),
    ]
    inits = [_w("w1", 8, 3, 3, 3), _w("b1", 8), _w("w2", 8, 8, 3, 3), _w("b2", 8), _w("w3", anchors * outs, 16, 1, 1),
             _w("b3", anchors * outs), numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "up"),
             _i64("hs", 0, anchors, outs, -1)]
    return _model(nodes, [("x", F, ["batch", 3, "height", "width"])], ["det"], inits)


CASES = {
    "ocr_detector": (ocr_detector, [(1, 3, 32, 64), (2, 3, 64, 96), (1, 3, 48, 32), (1, 3, 32, 64)]),
    "ocr_recognizer": (ocr_recognizer, [(1, 1, 16, 40), (1, 1, 16, 100), (1, 1, 16, 8), (1, 1, 16, 40)]),
    "yolo_head": (yolo_head, [(1, 3, 32, 32), (2, 3, 64, 48), (1, 3, 96, 64), (1, 3, 32, 32)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_symbolic_model_matches_onnxruntime_at_every_size(name):
    make, shapes = CASES[name]
    model = make()
    session = pocketml.Session(pocketml.convert(model))
    assert any(isinstance(d, str) for d in session.inputs[0].shape)  # kept symbolic: no input_shapes needed
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = model.graph.output[0].name
    for shape in shapes:
        x = RNG.standard_normal(shape).astype(np.float32)
        got, want = session.run({"x": x})[out], oracle.run(None, {"x": x})[0]
        assert got.shape == want.shape, (shape, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert session.plan_count == len(set(shapes))


def yolo_detector():
    """yolo_head decoded and filtered as exported detectors end: boxes (centre form) and
    objectness x class scores, NonMaxSuppression, then the kept boxes gathered per (batch, box):
    the output row count depends on the image, so the nodes after NMS are planned per count."""
    model = yolo_head()
    classes = 2
    nodes = [
        helper.make_node("Reshape", ["det", "flat"], ["rows"]),                          # [b, cells*anchors, 6]
        helper.make_node("Slice", ["rows", "s0", "s4", "s2"], ["boxes"]),                 # [b, n, 4] cx cy w h
        helper.make_node("Slice", ["rows", "s4", "s5", "s2"], ["obj"]),
        helper.make_node("Slice", ["rows", "s5", "s7", "s2"], ["cls"]),
        helper.make_node("Mul", ["obj", "cls"], ["conf"]),
        helper.make_node("Transpose", ["conf"], ["scores"], perm=[0, 2, 1]),              # [b, classes, n]
        helper.make_node("NonMaxSuppression", ["boxes", "scores", "k", "iou", "thr"], ["sel"], center_point_box=1),
        helper.make_node("Gather", ["sel", "bb"], ["sel_bb"], axis=1),                    # [kept, 2]
        helper.make_node("GatherND", ["boxes", "sel_bb"], ["kept"]),                      # [kept, 4]
        helper.make_node("Cast", ["sel"], ["self"], to=F),
    ]
    model.graph.node.extend(nodes)
    model.graph.initializer.extend([
        _i64("flat", 0, -1, 5 + classes), _i64("s0", 0), _i64("s4", 4), _i64("s5", 5), _i64("s7", 7), _i64("s2", 2),
        _i64("k", 8), _i64("bb", 0, 2), numpy_helper.from_array(np.array([0.4], np.float32), "iou"),
        numpy_helper.from_array(np.array([0.2], np.float32), "thr")])
    # the head's last conv grows to 5 + classes outputs per anchor
    inits = {t.name: t for t in model.graph.initializer}
    anchors = 3
    inits["w3"].CopyFrom(_w("w3", anchors * (5 + classes), 16, 1, 1))
    inits["b3"].CopyFrom(_w("b3", anchors * (5 + classes)))
    inits["hs"].CopyFrom(_i64("hs", 0, anchors, 5 + classes, -1))
    del model.graph.output[:]
    model.graph.output.extend([helper.make_tensor_value_info("self", F, None),
                               helper.make_tensor_value_info("kept", F, None)])
    return model


def test_yolo_detector_with_nms_matches_onnxruntime_as_counts_change():
    model = yolo_detector()
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    counts = []
    for shape in [(1, 3, 32, 32), (2, 3, 64, 48), (1, 3, 96, 64), (1, 3, 32, 32), (2, 3, 64, 48)]:
        x = RNG.standard_normal(shape).astype(np.float32)
        got, want = session.run({"x": x}), oracle.run(None, {"x": x})
        for name, w in zip(["self", "kept"], want):
            assert got[name].shape == w.shape, (shape, name, got[name].shape, w.shape)
            np.testing.assert_allclose(got[name], w, rtol=1e-4, atol=1e-4)
        counts.append(want[0].shape[0])
    assert len(set(counts)) > 1, counts  # the kept-box count really varies between images
