"""Element types: the one table every layer derives its dtype knowledge from.

Each dtype has a code (part of the .pml format and of the C enum ``pml_dtype``;
never reuse one), a numpy dtype, a byte size, the C enumerator name, the ONNX
``TensorProto`` data type number and a kind (float, signed, unsigned, bool).
The FlatBuffers schema (native/schema/pml.fbs), the C enum block in
native/include/pocketml.h and the C name/size table (native/src/dtype_table.c)
are generated or checked from this table (``python -m pocketml.ops.codegen``).

A leaf module: it imports only numpy, so ir.py, the registry, the format and
the runtime binding can all import it without circles.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

KINDS = ("float", "signed", "unsigned", "bool")


@dataclasses.dataclass(frozen=True)
class DType:
    name: str       # the IR's name, also numpy's
    code: int       # .pml format / C enum value
    c_enum: str     # C enumerator in pocketml.h
    onnx: int       # onnx.TensorProto data type number
    kind: str       # one of KINDS

    @property
    def np(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def size(self) -> int:
        return self.np.itemsize


# Code order; UNDEFINED (0) is not a dtype a value can have.
ALL = (
    DType("float32", 1, "PML_FLOAT32", 1, "float"),
    DType("float16", 2, "PML_FLOAT16", 10, "float"),
    DType("int8", 3, "PML_INT8", 3, "signed"),
    DType("uint8", 4, "PML_UINT8", 2, "unsigned"),
    DType("int32", 5, "PML_INT32", 6, "signed"),
    DType("int64", 6, "PML_INT64", 7, "signed"),
    DType("bool", 7, "PML_BOOL", 9, "bool"),
    DType("int16", 8, "PML_INT16", 5, "signed"),
    DType("uint16", 9, "PML_UINT16", 4, "unsigned"),
    DType("uint32", 10, "PML_UINT32", 12, "unsigned"),
    DType("uint64", 11, "PML_UINT64", 13, "unsigned"),
)
BY_NAME = {d.name: d for d in ALL}
BY_CODE = {d.code: d for d in ALL}
BY_ONNX = {d.onnx: d for d in ALL}

# name -> (code, numpy dtype): the shape ir.DTYPES has always had
DTYPES = {d.name: (d.code, d.np) for d in ALL}
DTYPE_BY_CODE = {d.code: d.name for d in ALL}

# Groups for type constraints (registry) and tests.
FLOATS = tuple(d.name for d in ALL if d.kind == "float")
SIGNED = tuple(d.name for d in ALL if d.kind == "signed")
UNSIGNED = tuple(d.name for d in ALL if d.kind == "unsigned")
INTEGERS = SIGNED + UNSIGNED
NUMERIC = FLOATS + INTEGERS
ANY = tuple(d.name for d in ALL)


_NAMES: dict = {}  # numpy dtype / type / name -> name: np.dtype(x).name costs ~10 us, conversion asks often


def dtype_name(dtype: Any) -> str:
    """Normalise a numpy dtype / type / name to one of DTYPES' names."""
    try:
        return _NAMES[dtype]
    except (KeyError, TypeError):  # TypeError: unhashable
        pass
    name = np.dtype(dtype).name
    if name not in BY_NAME:
        raise TypeError(f"dtype {name} is not supported (supported: {', '.join(BY_NAME)})")
    if isinstance(dtype, (np.dtype, type, str)) and len(_NAMES) < 256:
        _NAMES[dtype] = name
    return name


def dtype_code(dtype: Any) -> int:
    return BY_NAME[dtype_name(dtype)].code


def np_dtype(name: str) -> np.dtype:
    return BY_NAME[name].np
