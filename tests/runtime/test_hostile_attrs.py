"""A .pml written by someone else can carry any attribute value: the importers' domain checks never
see it, so the C ops' infer functions check attribute domains themselves. Each case writes a
one-node .pml whose attribute is outside its domain (bypassing the importer) and asserts that
creating the session fails with a PocketMLError naming the attribute; the same node with an
in-domain value runs and matches numpy (so the check cannot refuse everything)."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir
from pocketml.errors import PocketMLError
from pocketml.format import write_pml
from pocketml.runtime import Session
from pocketml.shape_inference import infer_shapes

X = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4) - 11.5


def _pml(op: str, attrs: dict, hostile: dict) -> bytes:
    """A graph of one ``op`` node inferred with ``attrs``, then written with ``hostile`` merged in."""
    g = ir.Graph("hostile")
    g.add_value("x", "float32", X.shape)
    g.inputs = ["x"]
    node = g.add_node(op, ["x"], ["y"], dict(attrs), name="n")
    g.outputs = ["y"]
    infer_shapes(g)
    node.attrs.update(hostile)
    return write_pml(g)


@pytest.mark.parametrize("op,attrs,hostile,fragment", [
    ("ReduceMax", {"axes": [1]}, {"keepdims": 7}, "attribute 'keepdims' = 7 is outside its domain; allowed: 0, 1"),
    ("ArgMax", {"axis": 1}, {"select_last_index": 3}, "'select_last_index' = 3"),
    ("ArgMax", {"axis": 1}, {"keepdims": -1}, "'keepdims' = -1"),
    ("Trilu", {}, {"upper": 2}, "'upper' = 2"),
    ("Reshape", {"shape": [4, 6]}, {"allowzero": 5}, "'allowzero' = 5"),
    ("MaxPool", {"kernel": [2, 2]}, {"strides": [1, -1]}, "attribute 'strides'[1] = -1 is out of range"),
    ("MaxPool", {"kernel": [2, 2]}, {"ceil_mode": 4}, "attribute 'ceil_mode' = 4 is out of range [0, 1]"),
    ("Pad", {"pads": [0, 0, 0, 0, 0, 0, 0, 0]}, {"mode": 9}, "mode 9 (supported: 0 constant"),
    ("DepthToSpace", {"blocksize": 1}, {"mode": 5}, "mode 5 is not supported; supported: 0 (DCR), 1 (CRD)"),
    ("Softmax", {"axis": 1}, {"axis": 9}, "axis 9 is out of range for rank 4 (valid: -4..3)"),
    ("Transpose", {"perm": [0, 1, 2, 3]}, {"perm": [0, 0, 1, 2]}, "perm is not a permutation of 0..3"),
    ("ReduceSum", {"axes": [1]}, {"axes": [1, 1]}, "axis 1 appears twice in 'axes'"),
    ("LRN", {"size": 3}, {"size": -1}, "attribute 'size' must be an int in 1..65535"),
], ids=lambda v: v if isinstance(v, str) and v[:1].isupper() else None)
def test_out_of_domain_attribute_in_a_pml_is_refused(op, attrs, hostile, fragment):
    data = _pml(op, attrs, hostile)
    with pytest.raises(PocketMLError) as e:
        Session(data).run({"x": X})
    assert fragment in str(e.value) and "'n'" in str(e.value)


@pytest.mark.parametrize("keepdims", [0, 1])
def test_in_domain_flags_still_run(keepdims):
    y = Session(_pml("ReduceMax", {"axes": [1], "keepdims": keepdims}, {})).run({"x": X})["y"]
    np.testing.assert_array_equal(y, X.max(axis=1, keepdims=bool(keepdims)))
