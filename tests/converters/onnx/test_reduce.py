"""ONNX reductions import across the axes-attribute / axes-input opsets.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
"""
from __future__ import annotations

import pytest


from .helpers import check, i64, one_node, rand


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
