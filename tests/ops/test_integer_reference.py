"""The registry entries of MatMulInteger and ConvInteger: numpy references and shape inference
against onnx's reference evaluator (NHWC/OHWI for ConvInteger, transposed on the way), sums that
wrap modulo 2^32, and the zero point shapes infer refuses."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir, ops

from .test_registry_reference import nchw, nhwc, onnx_ref, ours

RNG = np.random.default_rng(3)


def ints(shape, dtype):
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("shapes", [((3, 7), (7, 5), (), (5,)), ((2, 3, 7), (7, 4), (2, 3, 1), (1, 4)),
                                    ((7,), (2, 7, 3), (1,), ()), ((4, 1, 3, 7), (2, 7, 1), (), None)], ids=str)
@pytest.mark.parametrize("ta,tb", [(np.uint8, np.int8), (np.int8, np.uint8)])
def test_matmul_integer_reference(shapes, ta, tb):
    sa, sb, za, zb = shapes
    ins = [ints(sa, ta), ints(sb, tb), ints(za, ta), None if zb is None else ints(zb, tb)]
    got = ours("MatMulInteger", ins)[0]
    want = onnx_ref("MatMulInteger", ins, opset=10)[0]
    assert got.dtype == want.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_matmul_integer_per_row_vector_means_one_value_per_row():
    a, b, za = ints((4, 6), np.uint8), ints((6, 3), np.uint8), ints((4,), np.uint8)
    np.testing.assert_array_equal(ours("MatMulInteger", [a, b, za, None])[0],
                                  onnx_ref("MatMulInteger", [a, b, za.reshape(4, 1)], opset=10)[0])


def test_matmul_integer_wraps_like_an_int32_accumulator():
    k = 70000  # 127 * 127 * 70000 > 2^31
    a, b = np.full((1, k), -128, np.int8), np.full((k, 1), -128, np.int8)
    assert ours("MatMulInteger", [a, b])[0][0, 0] == np.int32(np.int64(128 * 128 * k) - 2 ** 32)


@pytest.mark.parametrize("attrs", [{"pads": [1, 1, 1, 1]}, {"pads": [0, 2, 1, 0], "strides": [2, 1], "group": 2},
                                   {"dilations": [2, 1], "group": 4}, {"auto_pad": "SAME_LOWER", "strides": [2, 2]}],
                         ids=str)
@pytest.mark.parametrize("per_channel", [False, True])
def test_conv_integer_reference(attrs, per_channel):
    g = attrs.get("group", 1)
    x, w = ints((2, 4, 6, 5), np.uint8), ints((4, 4 // g, 3, 2), np.int8)
    zx, zw = ints((), np.uint8), ints((4,) if per_channel else (), np.int8)
    ours_attrs = {k: v for k, v in attrs.items() if k != "auto_pad"}
    if "auto_pad" in attrs:
        ours_attrs["auto_pad"] = 2
    got = ours("ConvInteger", [nhwc(x), nhwc(w), zx, zw], ours_attrs)[0]
    np.testing.assert_array_equal(nchw(got), onnx_ref("ConvInteger", [x, w, zx, zw], attrs, opset=10)[0])


def _infer(op, shapes, attrs=None):
    dtypes = ["uint8", "int8", "uint8", "int8"]
    vals = [ir.Value(f"i{k}", dtypes[k], s) if s is not None else None for k, s in enumerate(shapes)]
    node = ir.Node(op, [v.name if v else "" for v in vals], ["y"], dict(attrs or {}), name="n")
    return ops.get(op).infer(node, vals)


@pytest.mark.parametrize("shapes,match", [
    (((3, 4), (4, 5), (2,), None), r"a zero point of shape \[2\]"),
    (((3, 4), (4, 5), None, (4,)), r"b zero point of shape \[4\]"),
    (((2, 3, 4), (4, 5), (2, 1, 4), None), r"a zero point of shape \[2,1,4\]"),
])
def test_matmul_integer_infer_refuses_zero_point_shapes(shapes, match):
    with pytest.raises(ValueError, match=match):
        _infer("MatMulInteger", shapes)


def test_conv_integer_infer():
    assert _infer("ConvInteger", [(1, 5, 5, 4), (6, 3, 3, 2), (), (6,)], {"group": 2, "pads": [1, 1, 1, 1]}) == \
        [("int32", (1, 5, 5, 6))]
    with pytest.raises(ValueError, match=r"w_zero_point of shape \[3\] must be one value or \[6\]"):
        _infer("ConvInteger", [(1, 5, 5, 4), (6, 3, 3, 2), None, (3,)], {"group": 2})
