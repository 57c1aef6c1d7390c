"""ONNX reductions import across the axes-attribute / axes-input opsets.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check). Every (reduction, dtype) ONNX allows runs through pocketml.convert + Session
against onnxruntime (typed_check.check_typed).
"""
from __future__ import annotations

import numpy as np
import pytest

from .helpers import check, i64, one_node, rand
from .typed_check import check_typed, small


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


# ---- every dtype ONNX allows, through pocketml.convert + Session, against onnxruntime -------------------------
_SUMS = ["float32", "float16", "int32", "int64", "uint32", "uint64"]
_TYPED = [(op, dt) for op in ("ReduceSum", "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare")
          for dt in _SUMS] + [(op, dt) for op in ("ReduceMax", "ReduceMin")
                              for dt in _SUMS + ["int8", "uint8", "bool"]] + [
    ("ReduceLogSumExp", "float16")] + [(op, dt) for op in ("ArgMax", "ArgMin")
                                        for dt in ("float16", "int8", "uint8", "int16", "uint16", "uint32", "uint64")]


@pytest.mark.parametrize("op,dtype", _TYPED)
def test_reduce_dtypes(op, dtype):
    x = small((3, 13, 5), dtype)
    if op.startswith("Arg"):
        check_typed(op, {"x": x}, {"axis": 1, "keepdims": 0})
    else:
        check_typed(op, {"x": x}, {"keepdims": 1}, consts={"axes": np.array([0, 2], np.int64)})


def test_reduce_float16_sums_in_float32_like_onnxruntime():
    # 4096 ones and a tail: float16 accumulation would stall at 2048; onnxruntime sums in float32
    x = np.ones((1, 4099), np.float16)
    assert check_typed("ReduceSum", {"x": x}, consts={"axes": np.array([1], np.int64)}) == "onnxruntime"


def test_reduce_log_sum_is_log_of_sum():
    check_typed("ReduceLogSum", {"x": np.abs(small((3, 13, 5), np.float32)) + 0.25}, {"keepdims": 0},
                consts={"axes": np.array([1], np.int64)}, rtol=1e-5)
