"""Pad's C paths (channel-only constant pads, general constant, reflect,
edge) against numpy's np.pad, at 1 and 2 threads."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir
from pocketml.format import write_pml
from pocketml.runtime import Session
from pocketml.shape_inference import infer_shapes

CASES = [
    # name, shape, pads (begin..., end...), mode, value, dtype
    ("channel_end_zero", (1, 64, 64, 24), [0, 0, 0, 0, 0, 0, 0, 4], 0, 0.0, "float32"),
    ("channel_both_value", (2, 5, 7, 3), [0, 0, 0, 2, 0, 0, 0, 5], 0, -1.5, "float32"),
    ("channel_int32", (3, 4, 6), [0, 0, 1, 0, 0, 2], 0, 7.0, "int32"),
    ("spatial_and_channel", (1, 6, 5, 4), [0, 1, 2, 1, 0, 2, 0, 3], 0, 0.25, "float32"),
    ("crop_channels", (1, 4, 4, 8), [0, 0, 0, -2, 0, 0, 0, 1], 0, 0.0, "float32"),
    ("reflect", (1, 6, 5, 4), [0, 2, 1, 0, 0, 3, 2, 0], 1, 0.0, "float32"),
    ("edge", (2, 3, 9), [0, 2, 4, 1, 0, 3], 2, 0.0, "float32"),
    ("int64_channel", (4, 5), [0, 1, 0, 2], 0, 3.0, "int64"),
    # short rows in 16-byte chunks (int8 NHWC channel pads before residual Adds), and their edges
    ("channel_int8_end", (1, 9, 7, 24), [0, 0, 0, 0, 0, 0, 0, 4], 0, -3.0, "int8"),
    ("channel_int8_both", (2, 5, 3, 17), [0, 0, 0, 2, 0, 0, 0, 5], 0, 5.0, "int8"),
    ("channel_int8_16", (3, 16), [0, 0, 0, 1], 0, -128.0, "int8"),
    ("channel_uint8", (1, 6, 6, 33), [0, 0, 0, 0, 0, 0, 0, 31], 0, 200.0, "uint8"),
    ("channel_int16", (1, 4, 5, 9), [0, 0, 0, 3, 0, 0, 0, 8], 0, -7.0, "int16"),
    ("channel_int8_narrow", (1, 4, 4, 8), [0, 0, 0, 0, 0, 0, 0, 4], 0, 1.0, "int8"),
    ("channel_int8_row_256", (1, 3, 5, 250), [0, 0, 0, 0, 0, 0, 0, 6], 0, 9.0, "int8"),
    ("channel_int8_row_257", (1, 3, 5, 250), [0, 0, 0, 1, 0, 0, 0, 6], 0, 9.0, "int8"),
    ("channel_float_short", (2, 7, 5, 6), [0, 0, 0, 1, 0, 0, 0, 2], 0, 0.5, "float32"),
]


def np_pad(x, pads, mode, value):
    r = x.ndim
    begin, end = pads[:r], pads[r:]
    sl = tuple(slice(max(0, -b), x.shape[a] - max(0, -e)) for a, (b, e) in enumerate(zip(begin, end)))
    x = x[sl]
    width = [(max(0, b), max(0, e)) for b, e in zip(begin, end)]
    if mode == 0:
        return np.pad(x, width, mode="constant", constant_values=np.array(value).astype(x.dtype))
    return np.pad(x, width, mode="reflect" if mode == 1 else "edge")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name,shape,pads,mode,value,dtype", CASES, ids=[c[0] for c in CASES])
def test_pad_matches_numpy(name, shape, pads, mode, value, dtype, threads):
    g = ir.Graph("pad")
    g.add_value("x", dtype, shape)
    g.inputs = ["x"]
    g.add_node("Pad", ["x"], ["y"], {"pads": pads, "mode": mode, "value": value}, name="pad")
    g.outputs = ["y"]
    infer_shapes(g)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    got = Session(write_pml(g), threads=threads).run({"x": x})["y"]
    np.testing.assert_array_equal(got, np_pad(x, pads, mode, value))
