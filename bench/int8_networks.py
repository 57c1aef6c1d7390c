"""The networks bench/bench_int8.py times, each written in every form it compares.

* `convnet_tflite(size, quantized)`: a conv-only MobileNet-v1-like network (3x3 stride-2 stem, 13
  depthwise 3x3 + pointwise 1x1 pairs, ReLU6 fused) as float32 or full-integer int8 TFLite
  (per-channel weights, int32 bias, per-tensor activations), same random weights;
* `convnet_onnx(size)`: the same float network as ONNX (NCHW, Conv + Clip(0, 6)), and
  `quantize_onnx` its onnxruntime QDQ int8 forms (quantize_static, seeded calibration inputs);
* `blazeface_tflite(quantized)`: a MediaPipe-class face detector (BlazeFace-like: 128x128 input,
  5x5 stem, blaze blocks of depthwise 5x5 + pointwise 1x1 + residual ADD, stride-2 blocks with a
  MAX_POOL + channel PAD shortcut, 1x1 heads), float32 or int8 from tests/fixtures/quant's
  TFLite post-training quantizer (LiteRT-calibrated ranges).
"""
from __future__ import annotations

import os

import numpy as np

from tests.converters.tflite.tflite_builder import build_model

# (kind, stride, cout): the stem, then MobileNet v1's depthwise/pointwise pairs (width 1.0)
BLOCKS = [("conv", 2, 32)] + [pair for s, c in [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] +
                              [(1, 512)] * 5 + [(2, 1024), (1, 1024)]
                              for pair in (("dw", s, None), ("conv", 1, c))]
INPUT_SCALE = 0.02  # the int8 input: x_float / 0.02, zero point 0


def convnet_layers(seed: int = 0) -> list:
    """[(kind, stride, float weights in TFLite layout, float bias)] of the conv net."""
    rng = np.random.default_rng(seed)
    layers, c = [], 3
    for i, (kind, stride, cout) in enumerate(BLOCKS):
        cout = c if kind == "dw" else cout
        wshape = (1, 3, 3, c) if kind == "dw" else ((cout, 3, 3, c) if i == 0 else (cout, 1, 1, c))
        fan_in = 9 if kind == "dw" else int(np.prod(wshape[1:]))
        wf = rng.normal(0, (2.0 / fan_in) ** 0.5, wshape).astype(np.float32)
        bf = rng.normal(0, 0.1, cout).astype(np.float32)
        layers.append((kind, stride, wf, bf))
        c = cout
    return layers


def convnet_tflite(size: int, quantized: bool, seed: int = 0) -> bytes:
    ops, tensors = [], {}
    act_q = {"scale": [0.05], "zero_point": [-128]}  # ReLU6 outputs: [0, 6] on [-128, 127] (scale ~ 6/255)
    h, x = size, "x"
    tensors["x"] = ("int8" if quantized else "float32", (1, size, size, 3), None, None,
                    {"scale": [INPUT_SCALE], "zero_point": [0]} if quantized else None)
    for i, (kind, stride, wf, bf) in enumerate(convnet_layers(seed)):
        cout = bf.shape[0]
        h = -(-h // stride)
        w, b, y = f"w{i}", f"b{i}", f"y{i}"
        axis = 3 if kind == "dw" else 0
        if quantized:
            in_scale = tensors[x][4]["scale"][0]
            ws = np.abs(wf).max(axis=tuple(d for d in range(4) if d != axis)) / 127 + 1e-8
            wq = np.clip(np.round(wf / ws.reshape([-1 if d == axis else 1 for d in range(4)])), -127, 127)
            tensors[w] = ("int8", wf.shape, wq.astype(np.int8), None,
                          {"scale": list(ws), "zero_point": [0] * cout, "quantized_dimension": axis})
            bs = np.float32(in_scale) * ws.astype(np.float32)
            tensors[b] = ("int32", (cout,), np.round(bf / bs).astype(np.int32), None,
                          {"scale": list(bs), "zero_point": [0] * cout, "quantized_dimension": 0})
            tensors[y] = ("int8", (1, h, h, cout), None, None, act_q)
        else:
            tensors[w] = ("float32", wf.shape, wf)
            tensors[b] = ("float32", (cout,), bf)
            tensors[y] = ("float32", (1, h, h, cout), None)
        opts = {"padding": "SAME", "stride_h": stride, "stride_w": stride, "fused_activation_function": "RELU6"}
        if kind == "dw":
            opts["depth_multiplier"] = 1
        ops.append(("DEPTHWISE_CONV_2D" if kind == "dw" else "CONV_2D", [x, w, b], [y], opts))
        x = y
    return build_model(ops, tensors, ["x"], [x])


def _same_pads(size: int, stride: int, k: int) -> tuple:
    """TFLite's SAME padding (the extra pixel at the end) as (begin, end)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def convnet_onnx(size: int, seed: int = 0):
    """The float conv net as an ONNX model (NCHW input "x", Conv + Clip(0, 6) per layer)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, x, h = [], [numpy_helper.from_array(np.float32(0), "zero"),
                             numpy_helper.from_array(np.float32(6), "six")], "x", size
    for i, (kind, stride, wf, bf) in enumerate(convnet_layers(seed)):
        w = wf.transpose(3, 0, 1, 2) if kind == "dw" else wf.transpose(0, 3, 1, 2)  # -> OIHW
        inits += [numpy_helper.from_array(np.ascontiguousarray(w), f"w{i}"), numpy_helper.from_array(bf, f"b{i}")]
        b0, b1 = _same_pads(h, stride, w.shape[2])
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], strides=[stride, stride],
                                      pads=[b0, b0, b1, b1], group=w.shape[0] if kind == "dw" else 1))
        nodes.append(helper.make_node("Clip", [f"c{i}", "zero", "six"], [f"y{i}"]))
        x, h = f"y{i}", -(-h // stride)
    cout = inits[-1].dims[0]
    graph = helper.make_graph(nodes, "convnet", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, cout, h, h])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def quantize_onnx(float_path: str, out_dir: str, size: int, samples: int = 4) -> dict:
    """{"s8s8": path, "u8s8": path}: the float ONNX model quantized by onnxruntime (QDQ, per-channel
    int8 weights; int8 or uint8 activations) with ranges from `samples` seeded inputs."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(7)
            self._it = iter([{"x": rng.uniform(-1, 1, (1, 3, size, size)).astype(np.float32)} for _ in range(samples)])

        def get_next(self):
            return next(self._it, None)

    paths = {}
    for name, act in (("s8s8", QuantType.QInt8), ("u8s8", QuantType.QUInt8)):
        paths[name] = os.path.join(out_dir, f"convnet_qdq_{name}.onnx")
        quantize_static(float_path, paths[name], Reader(), quant_format=QuantFormat.QDQ, activation_type=act,
                        weight_type=QuantType.QInt8, per_channel=True)
    return paths


# ---- a MediaPipe-class face detector ----------------------------------------------------------

def blazeface_graph(seed: int = 0):
    """The BlazeFace-like float graph (tests/fixtures/quant/tflite_quantizer.FloatGraph)."""
    from tests.fixtures.quant.tflite_quantizer import FloatGraph

    rng = np.random.default_rng(seed)
    consts, ops = {}, []

    def conv(x, y, cin, cout, k=1, stride=1, act="NONE"):
        consts[y + "_w"] = (rng.standard_normal((cout, k, k, cin)) * np.sqrt(2.0 / (k * k * cin))).astype(np.float32)
        consts[y + "_b"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
        ops.append(("CONV_2D", [x, y + "_w", y + "_b"], [y], {"padding": "SAME", "stride_h": stride,
                                                              "stride_w": stride, "fused_activation_function": act}))

    def dw(x, y, c, stride=1):
        consts[y + "_w"] = (rng.standard_normal((1, 5, 5, c)) * np.sqrt(2.0 / 25)).astype(np.float32)
        consts[y + "_b"] = (rng.standard_normal(c) * 0.1).astype(np.float32)
        ops.append(("DEPTHWISE_CONV_2D", [x, y + "_w", y + "_b"], [y],
                    {"padding": "SAME", "stride_h": stride, "stride_w": stride, "depth_multiplier": 1,
                     "fused_activation_function": "NONE"}))

    def blaze(x, y, cin, cout, stride=1):
        dw(x, y + "_dw", cin, stride)
        conv(y + "_dw", y + "_pw", cin, cout)
        skip = x
        if stride == 2:
            ops.append(("MAX_POOL_2D", [x], [y + "_pool"], {"padding": "VALID", "stride_h": 2, "stride_w": 2,
                                                            "filter_height": 2, "filter_width": 2}))
            skip = y + "_pool"
        if cout > cin:
            consts[y + "_pads"] = np.array([[0, 0], [0, 0], [0, 0], [0, cout - cin]], np.int32)
            ops.append(("PAD", [skip, y + "_pads"], [y + "_padded"], {}))
            skip = y + "_padded"
        ops.append(("ADD", [y + "_pw", skip], [y], {"fused_activation_function": "RELU"}))
        return y

    conv("image", "stem", 3, 24, k=5, stride=2, act="RELU")  # 64x64x24
    x, c = "stem", 24
    for i, (cout, stride) in enumerate([(24, 1), (28, 1), (32, 2), (36, 1), (42, 1), (48, 2), (56, 1), (64, 1),
                                        (72, 1), (80, 1), (88, 1), (96, 2), (96, 1), (96, 1), (96, 1), (96, 1)]):
        x, c = blaze(x, f"b{i}", c, cout, stride), cout
    conv(x, "classifiers", 96, 6)
    conv(x, "regressors", 96, 96)
    return FloatGraph(ops, {"image": ((1, 128, 128, 3), -1.0, 1.0)}, ["classifiers", "regressors"], consts)


def blazeface_tflite(quantized: bool, calibration_samples: int = 4):
    """(model bytes, feeds): the float model with float feeds, or the int8 model with int8 feeds."""
    from tests.fixtures.quant import qparams
    from tests.fixtures.quant.tflite_quantizer import calibrate, float_model, quantize, sample_inputs

    graph = blazeface_graph()
    samples = sample_inputs(graph, np.random.default_rng(3), calibration_samples + 1)
    cal = calibrate(graph, samples[1:])
    image = samples[0]["image"]
    if not quantized:
        return float_model(graph, cal.shapes), {"image": image}
    s, zp = qparams.asymmetric(*cal.ranges["image"])
    return quantize(graph, cal, "int8"), {"image": qparams.quantize(image, s, zp, "int8")}
