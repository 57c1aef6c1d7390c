"""Type constraints in the registry: the one generic input-dtype check (its
error names node, op, input, dtype and the allowed list), type variables that
link ports, and declarations that stay inside the dtype table."""
from __future__ import annotations

import pytest

from pocketml import dtypes, ir, ops


def _values(*specs):
    return [None if s is None else ir.Value(f"v{i}", s, (2, 3)) for i, s in enumerate(specs)]


def test_wrong_dtype_names_node_op_input_and_allowed():
    node = ir.Node("Add", ["a", "b"], ["y"], {}, "x")
    with pytest.raises(ValueError) as e:
        ops.get("Add").infer(node, _values("float32", "bool"))
    assert str(e.value) == ("node 'x' (Add): input 'b' has dtype bool; supported: float32, float16, int8, uint8, int32, "
                            "int64, int16, uint16, uint32, uint64")


def test_ports_of_one_type_variable_must_agree():
    node = ir.Node("Where", ["c", "a", "b"], ["y"], {}, "w")
    with pytest.raises(ValueError, match="inputs 'x' and 'y' have different dtypes int64 and uint8"):
        ops.get("Where").infer(node, _values("bool", "int64", "uint8"))
    node = ir.Node("Concat", ["a", "b", "c"], ["y"], {"axis": 0}, "c")
    with pytest.raises(ValueError, match=r"inputs\[0\]' and 'inputs\[2\]' have different dtypes"):
        ops.get("Concat").infer(node, _values("int16", "int16", "float32"))
    # absent optional inputs are skipped; any dtype moves through data-movement ops
    assert ops.get("Concat").infer(node, _values("uint64", "uint64", "uint64"))[0][0] == "uint64"


def test_declarations_are_consistent():
    for op in ops.REGISTRY.values():
        for port in op.inputs + op.outputs:
            assert set(op.types[port.type]) <= set(dtypes.BY_NAME), (op.name, port)
        assert all(not p.variadic for p in op.inputs[:-1]) and all(not p.variadic for p in op.outputs[:-1]), op.name
        assert op.family in ("elementwise", "unary", "logic", "conv", "matmul", "pool", "norm", "tensor", "index",
                             "resize", "reduce", "recurrent", "attention", "signal", "select", "state", "quant",
                             "control"), op.name
