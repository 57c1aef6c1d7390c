"""QDQ graphs: the ONNX importer copies constant QuantizeLinear/DequantizeLinear parameters onto the
integer tensors between them (Value.quant) only where every reader takes its parameters as inputs, so
an annotation never changes a node's meaning; the numbers still match onnxruntime bit for bit, and the
quantized tensors reach the .pml file and the session."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx import import_onnx
from pocketml.quant_params import QuantParams

RNG = np.random.default_rng(5)


def _qdq_model(between: str = "", per_axis_weight: bool = False) -> onnx.ModelProto:
    """x float [2,3] -> QuantizeLinear(0.05, 3) -> q int8 [-> between] -> DequantizeLinear -> y; and a
    per-axis int8 input w DequantizeLinear'd into a MatMul with y (a constant one folds at import)."""
    inits = [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
             numpy_helper.from_array(np.array(3, np.int8), "z")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"])]
    src = "q"
    if between:
        nodes.append(helper.make_node(between, ["q"], ["q2"], **({"to": TensorProto.INT8} if between == "Cast" else {})))
        src = "q2"
    nodes.append(helper.make_node("DequantizeLinear", [src, "s", "z"], ["y"]))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])]
    if per_axis_weight:
        inits += [numpy_helper.from_array(np.array([0.1, 0.2, 0.3, 0.4], np.float32), "ws"),
                  numpy_helper.from_array(np.array([0, 1, -1, 2], np.int8), "wz")]
        nodes += [helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=1),
                  helper.make_node("MatMul", ["y", "wf"], ["out"])]
        outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 4])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])]
    if per_axis_weight:
        inputs.append(helper.make_tensor_value_info("w", TensorProto.INT8, [3, 4]))
    graph = helper.make_graph(nodes, "qdq", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=9)


def test_qdq_pair_and_per_axis_weight_are_annotated():
    g = import_onnx(_qdq_model(per_axis_weight=True))
    assert g.values["q"].quant == QuantParams(0.05, 3)
    assert g.values["w"].quant == QuantParams([0.1, 0.2, 0.3, 0.4], [0, 1, -1, 2], axis=1)


def test_a_reader_computing_on_stored_integers_keeps_the_value_plain():
    g = import_onnx(_qdq_model(between="Neg"))  # Neg negates the stored integers: ONNX means exactly that
    assert g.values["q"].quant is None and g.values["q2"].quant is None


def test_numbers_match_onnxruntime(tmp_path):
    model = _qdq_model(per_axis_weight=True)
    feeds = {"x": RNG.uniform(-6, 6, (2, 3)).astype(np.float32), "w": RNG.integers(-128, 128, (3, 4)).astype(np.int8)}
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    path = tmp_path / "qdq.onnx"
    onnx.save(model, path)
    session = pocketml.Session(pocketml.convert(path))
    assert session.inputs[1].quant == QuantParams([0.1, 0.2, 0.3, 0.4], [0, 1, -1, 2], axis=1)
    got = session.run(feeds)["out"]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_quantized_output_reaches_the_session():
    """A graph whose output is the quantized tensor: the session tells the caller how to read it."""
    inits = [numpy_helper.from_array(np.array(0.05, np.float32), "s"), numpy_helper.from_array(np.array(3, np.int8), "z")]
    graph = helper.make_graph([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"])], "q",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("q", TensorProto.INT8, [4])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=9)
    s = pocketml.Session(pocketml.Model(import_onnx(model)))
    info = s.outputs[0]
    assert info.quant == QuantParams(0.05, 3)
    x = np.float32([-1.0, 0.0, 0.125, 6.0])
    q = s.run({"x": x})["q"]
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_array_equal(q, want)
    np.testing.assert_allclose(info.quant.dequantize(q), x, atol=0.05 / 2 + 1e-7)
