"""Transposes the ONNX importer moves as it emits (converters/onnx/eager_layout.py): a channel shuffle
of NHWC data imports in NHWC form, and the reshapes around it that are not a shuffle import as
before. Every graph is compared with onnxruntime (helpers.check: the IR's numpy references;
pocketml.Session: the C runtime)."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import pocketml

from .helpers import F, check, i64, make, rand


def _conv_reshapes(channels: int, mid_shape: list, perm: list, out_shape: list, batch=1):
    """Conv(channels) -> Reshape(mid_shape) -> Transpose(perm) -> Reshape(out_shape) -> Conv."""
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c"], pads=[1] * 4),
             helper.make_node("Reshape", ["c", "s1"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t"], perm=perm),
             helper.make_node("Reshape", ["t", "s2"], ["u"]),
             helper.make_node("Conv", ["u", "w2"], ["y"], pads=[1] * 4)]
    inits = {"w1": rand(channels, 3, 3, 3), "w2": rand(4, out_shape[1], 3, 3), "s1": i64(*mid_shape),
             "s2": i64(*out_shape)}
    return make(nodes, {"x": (F, [batch, 3, 5, 6])}, {"y": (F, None)}, inits)


def _ops(graph) -> list:
    return [(n.op, tuple(n.attrs["perm"])) if n.op == "Transpose" else n.op for n in graph.nodes]


@pytest.mark.parametrize("batch,mid,out", [(1, [1, 2, 3, 5, 6], [1, 6, 5, 6]),
                                           ("N", [0, 3, 2, 5, 6], [0, 6, 5, 6])])
def test_channel_shuffle_imports_in_nhwc(batch, mid, out):
    model = _conv_reshapes(6, mid, [0, 2, 1, 3, 4], out, batch)
    x = rand(2 if batch == "N" else 1, 3, 5, 6)
    graph = check(model, {"x": x})
    # the shuffle is one transpose of the two channel factors on NHWC data; the only NCHW <-> NHWC
    # transposes left are the graph input's and output's
    assert _ops(graph) == [("Transpose", (0, 2, 3, 1)), "Conv", "Reshape", ("Transpose", (0, 1, 2, 4, 3)),
                           "Reshape", "Conv", ("Transpose", (0, 3, 1, 2))]
    expect = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["y"]
    np.testing.assert_allclose(got, expect[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mid,perm,out", [
    ([1, 2, 3, 5, 6], [0, 3, 1, 2, 4], [1, 5, 6, 6]),  # merges the channel factors into a spatial dim
    ([1, 6, 5, 3, 2], [0, 1, 2, 4, 3], [1, 6, 5, 6]),  # splits and swaps a spatial dim
    ([1, 2, 3, 5, 6], [0, 2, 1, 3, 4], [1, 6, 30, 1]),  # a shuffle whose result is not NCHW data of the split
])
def test_other_reshapes_around_transposes_import_correctly(mid, perm, out):
    check(_conv_reshapes(6, mid, perm, out), {"x": rand(1, 3, 5, 6)})


def test_flatten_of_nhwc_data_is_left_to_the_layout_pass():
    """A Reshape flattening C,H,W cannot move below the NCHW transpose: imported as it was."""
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Reshape", ["c", "s"], ["y"])]
    model = make(nodes, {"x": (F, [2, 3, 4, 5])}, {"y": (F, None)}, {"w": rand(4, 3, 1, 1), "s": i64(2, -1)})
    graph = check(model, {"x": rand(2, 3, 4, 5)})
    assert _ops(graph) == [("Transpose", (0, 2, 3, 1)), "Conv", ("Transpose", (0, 3, 1, 2)), "Reshape"]


def test_bad_reshape_of_nhwc_data_is_a_clear_error():
    """A target whose element count differs is refused by name, moved or not."""
    with pytest.raises(pocketml.PocketMLError, match=r"Reshape"):
        pocketml.convert(_conv_reshapes(6, [1, 2, 3, 5, 7], [0, 2, 1, 3, 4], [1, 6, 5, 7]))
