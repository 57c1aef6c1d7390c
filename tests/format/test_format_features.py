"""The .pml header's feature flags: a file whose tensors carry quantization parameters says so
(FEATURE_QUANTIZED_TENSORS), so a runtime that would ignore them refuses it (the runtimes from
before the flags refuse any non-zero flag); a file naming a feature this runtime does not know
is refused by the C loader and the Python reader with a clear error."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from pocketml import ir
from pocketml.errors import ModelLoadError, PocketMLError
from pocketml.format import read_pml, write_pml
from pocketml.format.header import FEATURE_QUANTIZED_TENSORS, KNOWN_FEATURE_MASK, fix_checksum, verify_header
from pocketml.model import Model
from pocketml.runtime import Session

from .test_format_quant import quant_graph


def _flags(data: bytes) -> int:
    return struct.unpack_from("<I", data, 56)[0]


def _with_flags(data: bytes, flags: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, 56, flags)
    return fix_checksum(out)


def _float_graph() -> ir.Graph:
    g = ir.Graph("f")
    g.add_value("x", "float32", (2,))
    g.add_value("y", "float32", (2,))
    g.inputs, g.outputs = ["x"], ["y"]
    g.add_node("Relu", ["x"], ["y"], name="r")
    return g


def test_quantized_file_requires_the_feature(tmp_path):
    data = write_pml(quant_graph(), tmp_path / "q.pml")
    assert _flags(data) == FEATURE_QUANTIZED_TENSORS
    assert verify_header(data).flags == FEATURE_QUANTIZED_TENSORS
    Model.load(data)  # this reader and the C runtime know the feature
    with Session(tmp_path / "q.pml") as s:
        x = np.array([[1, -2, 3, -4]], np.int8)
        assert np.array_equal(s.run({"x": x})["y"], x.reshape(2, 2))


def test_float_file_requires_nothing():
    data = write_pml(_float_graph())
    assert _flags(data) == 0
    Model.load(data)


@pytest.mark.parametrize("extra", [0x2, 0x80000000])
def test_unknown_feature_is_refused(tmp_path, extra):
    assert not extra & KNOWN_FEATURE_MASK
    data = _with_flags(write_pml(quant_graph()), FEATURE_QUANTIZED_TENSORS | extra)
    message = f"requires features 0x{extra:08x} this (runtime|reader) does not implement"
    with pytest.raises(ModelLoadError, match=message):
        read_pml(data)
    (tmp_path / "future.pml").write_bytes(data)
    with pytest.raises(PocketMLError, match=message):  # the C loader
        Session(tmp_path / "future.pml")
