"""A node's inputs and attribute types are checked against its ONNX schema
before its handler reads them (converters/onnx/dispatch.py check_signature):
the error names the node, op, input or attribute and what is allowed."""
from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

import pocketml
from pocketml.errors import ConversionError


def _convert(tmp_path, node, inputs):
    g = h.make_graph([node], "g", inputs, [h.make_tensor_value_info("y", T.FLOAT, None)])
    path = tmp_path / "m.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), path)
    return pocketml.convert(str(path))


X = h.make_tensor_value_info("x", T.FLOAT, [2, 3])


@pytest.mark.parametrize("node,expected", [
    (h.make_node("LogSoftmax", [], ["y"], name="ls"), r"'ls' \(LogSoftmax, opset 13\): input 0 \(input\) is required"),
    (h.make_node("Gather", ["x"], ["y"], name="g"), r"'g' \(Gather, opset 13\): input 1 \(indices\) is required"),
    (h.make_node("Gather", ["x", ""], ["y"], name="g"), r"input 1 \(indices\) is required but missing"),
    (h.make_node("Relu", ["x", "x"], ["y"], name="r"), r"'r' \(Relu, opset 13\): 2 inputs, the op takes at most 1"),
])
def test_missing_or_extra_inputs_are_named(tmp_path, node, expected):
    with pytest.raises(ConversionError, match=expected):
        _convert(tmp_path, node, [X])


def test_attribute_of_the_wrong_type_is_named(tmp_path):
    n = h.make_node("ReduceMin", ["x"], ["y"], name="r")
    n.attribute.append(h.make_attribute("keepdims", [1, 2]))
    with pytest.raises(ConversionError, match=r"'r' \(ReduceMin, opset 13\): attribute 'keepdims' holds INTS, "
                                              r"the op takes INT"):
        _convert(tmp_path, n, [X])


def test_optional_inputs_may_be_absent(tmp_path):
    # Clip's min and max are optional, given as "" or left out
    model = _convert(tmp_path, h.make_node("Clip", ["x", "", ""], ["y"]), [X])
    assert [t.name for t in model.inputs] == ["x"]


def test_a_passed_signature_does_not_pass_a_faulty_node_of_the_same_op(tmp_path):
    """Verdicts are remembered per (op, opset, attribute names and types, given inputs): a node
    of the op that passed, then one with an input left out or an attribute of another type, is
    still refused (and the good one passes again)."""
    good = h.make_node("Gather", ["x", "i"], ["y"], name="g")
    ind = h.make_tensor_value_info("i", T.INT64, [2])
    _convert(tmp_path, good, [X, ind])
    with pytest.raises(ConversionError, match=r"input 1 \(indices\) is required but missing"):
        _convert(tmp_path, h.make_node("Gather", ["x", ""], ["y"], name="g"), [X])
    typed = h.make_node("Gather", ["x", "i"], ["y"], name="g")
    typed.attribute.append(h.make_attribute("axis", 1.5))
    with pytest.raises(ConversionError, match=r"attribute 'axis' holds FLOAT, the op takes INT"):
        _convert(tmp_path, typed, [X, ind])
    _convert(tmp_path, good, [X, ind])
