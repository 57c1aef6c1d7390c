"""QuantizeLinear(DequantizeLinear(x)) between different per-tensor parameters becomes one
Requantize of the integers with ONNX's float arithmetic (passes/fold_qdq.py, rewrite 2): the
inputs of a quantized Concat whose scales differ, as onnxruntime's quantizer writes them (QDQ) and
as its QLinearConcat imports. The oracle is onnxruntime on the same file, over every integer of
the input types, exactly; the graph must hold Requantize nodes and no float pair."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml

ONNX_TYPE = {"int8": TensorProto.INT8, "uint8": TensorProto.UINT8}


def _concat_model(dtype: str, float_reader: bool) -> onnx.ModelProto:
    """a, b [1, 256] integers of ``dtype`` -> DQ (own scales) -> Concat -> Q (another scale) -> y;
    with float_reader, a's dequantized value is also returned (its DequantizeLinear must stay)."""
    zp = {"int8": (3, -7, 1), "uint8": (120, 131, 128)}[dtype]
    scales = (0.0123, 0.0371, 0.0207)
    inits = []
    for name, s, z in zip(("a", "b", "y"), scales, zp):
        inits += [numpy_helper.from_array(np.array(s, np.float32), f"{name}_s"),
                  numpy_helper.from_array(np.array(z, np.dtype(dtype)), f"{name}_z")]
    nodes = [helper.make_node("DequantizeLinear", ["a", "a_s", "a_z"], ["af"]),
             helper.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["bf"]),
             helper.make_node("Concat", ["af", "bf"], ["cat"], axis=1),
             helper.make_node("QuantizeLinear", ["cat", "y_s", "y_z"], ["y"])]
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPE[dtype], [1, 256]) for n in ("a", "b")]
    outputs = [helper.make_tensor_value_info("y", ONNX_TYPE[dtype], [1, 512])]
    if float_reader:
        outputs.append(helper.make_tensor_value_info("af", TensorProto.FLOAT, [1, 256]))
    graph = helper.make_graph(nodes, "concat_scales", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


@pytest.mark.parametrize("float_reader", [False, True], ids=["alone", "dq_also_read_as_float"])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_concat_inputs_of_other_scales_requantize_exactly_like_onnxruntime(dtype, float_reader):
    model = _concat_model(dtype, float_reader)
    converted = pocketml.convert(model)
    ops = [n.op for n in converted.graph.nodes]
    requantize = [n for n in converted.graph.nodes if n.op == "Requantize"]
    assert len(requantize) == 2 and all(n.attrs["requant"] == 1 for n in requantize), ops
    assert "QuantizeLinear" not in ops and ops.count("DequantizeLinear") == int(float_reader), ops
    info = np.iinfo(dtype)
    every = np.arange(info.min, info.max + 1).astype(dtype).reshape(1, 256)  # every integer, both inputs
    feeds = {"a": every, "b": every[:, ::-1].copy()}
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    for isa in pocketml.available_isas():
        got = pocketml.Session(converted, isa=isa).run(feeds)
        np.testing.assert_array_equal(got["y"], want[0])
        if float_reader:
            np.testing.assert_array_equal(got["af"], want[1])
