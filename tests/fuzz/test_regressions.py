"""Crashers the fuzzers found in the C runtime, checked against numpy at the
shapes that crashed (the corpus replays the fuzzer's own files)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

import pocketml


@pytest.mark.parametrize("a_shape,b_shape", [((2, 3, 4), (2, 4, 0)), ((2, 3, 0), (2, 0, 5)), ((3, 4), (4, 0))])
def test_matmul_with_an_empty_dim_runs(tmp_path, a_shape, b_shape):
    # a batched MatMul with N = 0 divided by its packed size (0) while planning: SIGFPE
    g = h.make_graph([h.make_node("MatMul", ["a", "b"], ["c"])], "g",
                     [h.make_tensor_value_info("a", T.FLOAT, a_shape), h.make_tensor_value_info("b", T.FLOAT, b_shape)],
                     [h.make_tensor_value_info("c", T.FLOAT, None)])
    path = tmp_path / "m.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), path)
    a = np.ones(a_shape, np.float32)
    b = np.ones(b_shape, np.float32)
    (c,) = pocketml.Session(pocketml.convert(str(path))).run({"a": a, "b": b}).values()
    np.testing.assert_array_equal(c, a @ b)
