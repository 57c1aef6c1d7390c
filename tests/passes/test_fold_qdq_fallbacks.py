"""QDQ patterns the folding pass must leave in float (and say so in the conversion notes), built by
hand with onnx.helper: a run-time scale, weights quantized per channel on the reduction axis,
blocked weights, an op output that is also a graph output; and a DequantizeLinear shared by a
foldable op and a float one (the foldable one folds, the other keeps reading floats). Every model
still matches onnxruntime's output within one output quantization step."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml

RNG = np.random.default_rng(13)
X_SCALE, X_ZP, Y_SCALE, Y_ZP = 0.05, 3, 0.1, -2


def _model(weight_axis: int = 1, block_size: int = 0, runtime_scale: bool = False, y_is_output: bool = False,
           shared: bool = False, activation: str = "", two_q: bool = False) -> onnx.ModelProto:
    """x [4,8] -> Q -> DQ -> MatMul(DQ(int8 w [8,6])) -> Q -> DQ -> y (and the variations)."""
    w = RNG.integers(-127, 128, (8, 6)).astype(np.int8)
    if block_size:
        ws = RNG.uniform(0.01, 0.03, (8 // block_size, 6)).astype(np.float32)
    else:
        ws = RNG.uniform(0.01, 0.03, (w.shape[weight_axis],)).astype(np.float32)
    inits = [numpy_helper.from_array(np.array(X_SCALE, np.float32), "xs"),
             numpy_helper.from_array(np.array(X_ZP, np.int8), "xz"),
             numpy_helper.from_array(np.array(Y_SCALE, np.float32), "ys"),
             numpy_helper.from_array(np.array(Y_ZP, np.int8), "yz"),
             numpy_helper.from_array(w, "w"), numpy_helper.from_array(ws, "ws")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])]
    dq_scale = "xs"
    if runtime_scale:
        inputs.append(helper.make_tensor_value_info("xs_in", TensorProto.FLOAT, []))
        dq_scale = "xs_in"
    w_attrs = {"axis": 0, "block_size": block_size} if block_size else {"axis": weight_axis}
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", dq_scale, "xz"], ["xf"]),
             helper.make_node("DequantizeLinear", ["w", "ws"], ["wf"], **w_attrs),
             helper.make_node("MatMul", ["xf", "wf"], ["m"])]
    if activation:  # MatMul -> Relu/Clip -> QuantizeLinear: the clamp of the int8 MatMul
        inits += [numpy_helper.from_array(np.array(0.0, np.float32), "lo"),
                  numpy_helper.from_array(np.array(0.6, np.float32), "hi")]
        nodes.append(helper.make_node(activation, ["m"] + (["lo", "hi"] if activation == "Clip" else []), ["ma"]))
    nodes += [helper.make_node("QuantizeLinear", ["ma" if activation else "m", "ys", "yz"], ["mq"]),
             helper.make_node("DequantizeLinear", ["mq", "ys", "yz"], ["y"])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6])]
    if y_is_output:
        outputs.append(helper.make_tensor_value_info("m", TensorProto.FLOAT, [4, 6]))
    if two_q:  # the MatMul's output quantized twice alike, each dequantized to an output
        nodes += [helper.make_node("QuantizeLinear", ["m", "ys", "yz"], ["mq2"]),
                  helper.make_node("DequantizeLinear", ["mq2", "ys", "yz"], ["y2"])]
        outputs.append(helper.make_tensor_value_info("y2", TensorProto.FLOAT, [4, 6]))
    if shared:  # the input's DequantizeLinear also feeds a float op returned by the graph
        nodes.append(helper.make_node("Neg", ["xf"], ["neg"]))
        outputs.append(helper.make_tensor_value_info("neg", TensorProto.FLOAT, [4, 8]))
    graph = helper.make_graph(nodes, "qdq", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


def _feeds(runtime_scale: bool = False) -> dict:
    feeds = {"x": RNG.uniform(-6, 6, (4, 8)).astype(np.float32)}
    if runtime_scale:
        feeds["xs_in"] = np.array(X_SCALE, np.float32)
    return feeds


def _check_against_onnxruntime(model: onnx.ModelProto, feeds: dict) -> pocketml.Model:
    converted = pocketml.convert(model)
    got = pocketml.Session(converted).run(feeds)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for out, want in zip(sess.get_outputs(), sess.run(None, feeds)):
        assert np.max(np.abs(got[out.name] - want)) <= Y_SCALE * 1.0001, out.name
    return converted


def _matmul(model: pocketml.Model):
    (node,) = [n for n in model.graph.nodes if n.op == "MatMul"]
    return node


@pytest.mark.parametrize("activation, act", [("", 0), ("Relu", 1), ("Clip", 2)])
def test_the_plain_pattern_folds(activation, act):
    model = _check_against_onnxruntime(_model(activation=activation), _feeds())
    node = _matmul(model)
    assert [model.graph.values[i].dtype for i in node.inputs] == ["int8", "int8"]
    assert node.attrs.get("act", 0) == act and not any(n.op in ("Relu", "Clip") for n in model.graph.nodes)
    assert model.notes == []


@pytest.mark.parametrize("case, why", [
    ({"runtime_scale": True}, "computed at run time"),
    ({"weight_axis": 0}, "per channel on axis 0"),
    ({"block_size": 2}, "not a dequantized integer tensor"),
    ({"y_is_output": True}, "graph output"),
])
def test_unfoldable_patterns_stay_float_and_are_reported(case, why):
    model = _check_against_onnxruntime(_model(**case), _feeds(case.get("runtime_scale", False)))
    node = _matmul(model)
    assert all(model.graph.values[i].dtype == "float32" for i in node.inputs)
    (note,) = model.notes
    assert "MatMul" in note and "runs in float" in note and why in note
    assert why in model.summary(with_arena=False).format()


def test_a_shared_dequantize_keeps_feeding_the_float_reader():
    model = _check_against_onnxruntime(_model(shared=True), _feeds())
    g = model.graph
    assert g.values[_matmul(model).inputs[0]].dtype == "int8"
    (neg,) = [n for n in g.nodes if n.op == "Neg"]
    assert g.values[neg.inputs[0]].dtype == "float32"
    assert g.producer(neg.inputs[0]).op == "DequantizeLinear"
    assert model.notes == ["Neg node 'Neg_6' runs in float: its output is not quantized (no QuantizeLinear reads it)"]


def test_an_output_quantized_by_two_alike_quantize_nodes_folds_once():
    model = _check_against_onnxruntime(_model(two_q=True), _feeds())
    g = model.graph
    assert g.values[_matmul(model).outputs[0]].dtype == "int8"
    assert sum(n.op == "QuantizeLinear" for n in g.nodes) == 1  # the graph input's


def _integer_op_model(between: str) -> onnx.ModelProto:
    """x [1,2,4,4] -> Q -> ``between`` on the int8 tensor (ONNX: on the stored integers, as a
    QOperator model's MaxPool) -> DQ -> Sigmoid -> Q -> DQ -> y."""
    inits = [numpy_helper.from_array(np.array(X_SCALE, np.float32), "xs"),
             numpy_helper.from_array(np.array(X_ZP, np.int8), "xz"),
             numpy_helper.from_array(np.array(1 / 256, np.float32), "ys"),
             numpy_helper.from_array(np.array(-128, np.int8), "yz")]
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2]} if between == "MaxPool" else {}
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node(between, ["xq"], ["mq"], **attrs),
             helper.make_node("DequantizeLinear", ["mq", "xs", "xz"], ["mf"]),
             helper.make_node("Sigmoid", ["mf"], ["s"]),
             helper.make_node("QuantizeLinear", ["s", "ys", "yz"], ["sq"]),
             helper.make_node("DequantizeLinear", ["sq", "ys", "yz"], ["y"])]
    shape = [1, 2, 2, 2] if between == "MaxPool" else [1, 2, 4, 4]
    graph = helper.make_graph(nodes, "qop_like", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


@pytest.mark.parametrize("between, folds", [("MaxPool", True), ("Neg", False)])
def test_integers_moved_by_data_movement_take_parameters_but_not_integers_computed_on(between, folds):
    model = _integer_op_model(between)
    feeds = {"x": RNG.uniform(-6, 6, (1, 2, 4, 4)).astype(np.float32)}
    converted = pocketml.convert(model)
    got = pocketml.Session(converted).run(feeds)["y"]
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    assert np.max(np.abs(got - want)) <= 1.0001 / 256
    (sigmoid,) = [n for n in converted.graph.nodes if n.op == "Sigmoid"]
    assert (converted.graph.values[sigmoid.inputs[0]].dtype == "int8") == folds
    assert bool(converted.notes) != folds
