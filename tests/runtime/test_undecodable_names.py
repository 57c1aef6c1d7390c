"""A tensor name that is not UTF-8 (the C loader takes a name's bytes as they are): the session still
opens, shows the name escaped and runs with it (found by `python -m fuzz pml`: Session raised
UnicodeDecodeError)."""
from __future__ import annotations

import struct

import numpy as np

import pocketml
from pocketml.format import write_pml
from pocketml.format.header import CHECKSUM_OFFSET, checksum

from ..format import make_c_fixtures as fx


def test_non_utf8_name_is_escaped_not_fatal():
    g = fx.add_relu_graph()
    data = bytearray(write_pml(g))
    at = data.index(b"\x01\x00\x00\x00x\x00")  # the FlatBuffer string "x": length 1, 'x', NUL
    data[at + 4] = 0xFF
    struct.pack_into("<I", data, CHECKSUM_OFFSET, checksum(bytes(data)))
    s = pocketml.Session(bytes(data))
    assert s.inputs[0].name == "\\xff"
    out = s.run({"\\xff": np.ones((2, 3), np.float32)})
    np.testing.assert_array_equal(out["z"], np.maximum(np.ones((2, 3)) + [1.0, -2.0, 0.5], 0).astype(np.float32))
