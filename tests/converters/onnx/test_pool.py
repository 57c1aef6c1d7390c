"""ONNX pool import: MaxPool / AveragePool across opsets and auto_pad, 1-D pools, global pools.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from pocketml.converters.onnx import import_onnx

from pocketml.errors import UnsupportedOpError

from .helpers import F, I64, check, make, one_node, ops_of, rand
from .typed_check import check_typed, small


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


# ---- MaxPool on every dtype ONNX allows (max is exact: compared bit for bit) ----------------------------------
@pytest.mark.parametrize("dtype", ["float16", "int8", "uint8"])
@pytest.mark.parametrize("attrs", [{"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
                                   {"kernel_shape": [2, 3], "dilations": [2, 1], "ceil_mode": 1}])
def test_maxpool_dtypes(dtype, attrs):
    check_typed("MaxPool", {"x": small((2, 13, 7, 9), dtype)}, attrs, opset=22)


@pytest.mark.parametrize("op", ["GlobalMaxPool", "GlobalAveragePool"])
def test_global_pools_float16(op):
    check_typed(op, {"x": small((2, 9, 5, 4), np.float16)}, opset=22)


@pytest.mark.parametrize("attrs", [{"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
                                   {"kernel_shape": [2, 3], "pads": [1, 0, 1, 1], "count_include_pad": 1,
                                    "ceil_mode": 1}])
def test_average_pool_float16(attrs):
    check_typed("AveragePool", {"x": small((2, 13, 7, 9), np.float16)}, attrs, opset=22)
