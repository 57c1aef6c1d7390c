"""The dtype table (pocketml.dtypes) against numpy, ONNX and the C runtime:
every dtype loads, and goes in and out of a Session unchanged (Identity)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from pocketml import dtypes, ir
from pocketml.format import write_pml
from pocketml.runtime import Session


def test_table_is_consistent():
    assert [d.code for d in dtypes.ALL] == list(range(1, len(dtypes.ALL) + 1))
    for d in dtypes.ALL:
        assert d.c_enum == "PML_" + d.name.upper()
        assert onnx.helper.tensor_dtype_to_np_dtype(d.onnx) == d.np
        assert d.size == d.np.itemsize
        assert d.kind == {"f": "float", "i": "signed", "u": "unsigned", "b": "bool"}[d.np.kind]
    assert ir.DTYPES["int16"] == (8, np.dtype(np.int16)) and ir.dtype_code(np.uint64) == 11
    with pytest.raises(TypeError, match="float64 is not supported"):
        ir.dtype_name(np.float64)


@pytest.mark.parametrize("dtype", [d.name for d in dtypes.ALL])
def test_every_dtype_runs_through_a_session(dtype):
    g = ir.Graph("id")
    g.add_value("x", dtype, (2, 3))
    g.inputs = ["x"]
    g.add_node("Identity", ["x"], ["y"], name="id")
    g.values["y"].dtype, g.values["y"].shape = dtype, (2, 3)
    g.outputs = ["y"]
    x = (np.arange(6).reshape(2, 3) * 7 - 9).astype(dtype)
    with Session(write_pml(g)) as s:
        assert s.inputs[0].dtype == np.dtype(dtype)
        y = s.run({"x": x})["y"]
    assert y.dtype == np.dtype(dtype) and np.array_equal(y, x)


def _graph(op, dtype, attrs=None, n_in=2):
    g = ir.Graph("g")
    names = [f"x{i}" for i in range(n_in)]
    for n in names:
        g.add_value(n, dtype, (2, 3))
    g.inputs = names
    g.add_node(op, names, ["y"], attrs or {}, name="node")
    g.values["y"].dtype, g.values["y"].shape = dtype, (2, 3)
    g.outputs = ["y"]
    return g


@pytest.mark.parametrize("op, dtype, attrs, n_in, message", [
    ("And", "int16", {}, 2, r"node 'node' \(And\): input 'a' has dtype int16; supported: bool"),
    ("Sigmoid", "uint32", {}, 1, r"node 'node' \(Sigmoid\): input 'x' has dtype uint32; supported: float32, float16"),
    ("Cast", "float32", {"to": 12}, 1, r"to=12 is not a supported dtype code \(1 float32, 2 float16, .* 11 uint64\)"),
])
def test_the_runtime_checks_dtypes_against_the_schema(op, dtype, attrs, n_in, message):
    with pytest.raises(Exception, match=message):
        Session(write_pml(_graph(op, dtype, attrs, n_in)))
