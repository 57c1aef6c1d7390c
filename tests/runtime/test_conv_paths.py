"""Every Conv kernel path against the registry's numpy reference, with and
without the fused epilogue (residual ``sum`` and per-channel PRelu).

ops/conv.c picks a path per node: 1x1 GEMM reading x in place, implicit-GEMM
tiles for one-group convs whose patch fits one K block (stems, strided 1x1;
border pixels through zero-padded patch copies), im2col + GEMM for the rest
(large K, horizontal dilation, groups), the depthwise kernel, and the scalar
reference for scalar_only sessions. Geometries below put tile tails (OW not a
multiple of 6, Cout not a multiple of 16, channel counts not a multiple of
8 for depthwise), asymmetric pads and vertical dilation on each path.
"""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir, ops, reference
from pocketml.format import write_pml
from pocketml.runtime import Session
from pocketml.shape_inference import infer_shapes

RNG = np.random.default_rng(7)

# name: (N, H, W, Cin, Cout, KH, KW, strides, pads [t,l,b,r], dilations, group)
GEOMETRIES = {
    "stem3x3s2_rgb": (1, 19, 23, 3, 16, 3, 3, [2, 2], [0, 0, 1, 1], [1, 1], 1),
    "stem5x5_pad2": (2, 12, 13, 3, 20, 5, 5, [1, 1], [2, 2, 2, 2], [1, 1], 1),
    "k252_cout40": (1, 9, 11, 28, 40, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 1),
    "dilated_h": (1, 14, 10, 5, 8, 3, 3, [1, 2], [2, 1, 2, 1], [2, 1], 1),
    "strided_1x1": (1, 13, 13, 24, 33, 1, 1, [2, 2], [0, 0, 0, 0], [1, 1], 1),
    "1x7_row": (1, 5, 17, 6, 7, 1, 7, [1, 1], [0, 3, 0, 3], [1, 1], 1),
    "im2col_k288": (1, 8, 9, 32, 24, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 1),
    "im2col_dilated_w": (1, 10, 12, 4, 16, 3, 3, [1, 1], [2, 2, 2, 2], [1, 2], 1),
    "grouped": (1, 9, 9, 8, 12, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 4),
    "pointwise": (2, 6, 7, 16, 24, 1, 1, [1, 1], [0, 0, 0, 0], [1, 1], 1),
    "depthwise": (1, 11, 10, 24, 24, 3, 3, [2, 2], [0, 0, 1, 1], [1, 1], 24),
    # 3x3 stride 1: weights-in-registers row kernel on interior pixels, masked channel tails
    "depthwise_3x3s1_c20": (2, 9, 13, 20, 20, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 20),
    "depthwise_3x3s1_nopad_c8": (1, 7, 11, 8, 8, 3, 3, [1, 1], [0, 0, 0, 0], [1, 1], 8),
    "depthwise_3x3s1_asym_c37": (1, 6, 6, 37, 37, 3, 3, [1, 1], [0, 1, 2, 0], [1, 1], 37),
    "depthwise_3x3s1_narrow": (1, 5, 3, 16, 16, 3, 3, [1, 1], [1, 1, 1, 1], [1, 1], 16),
}
EPILOGUES = ["none", "sum", "prelu", "sum_prelu", "sum_relu"]


def conv_graph(geom, epilogue):
    n, h, w, cin, cout, kh, kw, strides, pads, dil, group = geom
    g = ir.Graph("conv")
    g.add_value("x", "float32", (n, h, w, cin))
    g.inputs = ["x"]
    wt = g.add_const(RNG.standard_normal((cout, kh, kw, cin // group)).astype(np.float32), "w")
    b = g.add_const(RNG.standard_normal(cout).astype(np.float32), "b")
    inputs = ["x", wt, b]
    attrs = {"strides": strides, "pads": pads, "dilations": dil, "group": group}
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    if "sum" in epilogue:
        g.add_value("r", "float32", (n, oh, ow, cout))
        g.inputs.append("r")
        inputs.append("r")
    if "prelu" in epilogue:
        while len(inputs) < 4:
            inputs.append("")
        inputs.append(g.add_const(RNG.uniform(-0.5, 0.5, cout).astype(np.float32), "slope"))
        attrs["act"] = ops.ACT_PRELU
    if epilogue == "sum_relu":
        attrs["act"] = ops.ACT_RELU
    g.add_node("Conv", inputs, ["y"], attrs, name="conv")
    g.outputs = ["y"]
    infer_shapes(g)
    return g


@pytest.mark.parametrize("epilogue", EPILOGUES)
@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_conv_path_matches_reference(name, epilogue):
    g = conv_graph(GEOMETRIES[name], epilogue)
    feeds = {k: RNG.standard_normal(g.values[k].shape).astype(np.float32) for k in g.inputs}
    expected = reference.run_graph(g, feeds)["y"]
    data = write_pml(g)
    for threads, scalar_only in [(1, False), (2, False), (1, True)]:
        got = Session(data, threads=threads, scalar_only=scalar_only).run(feeds)["y"]
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4,
                                   err_msg=f"{name} {epilogue} threads={threads} scalar_only={scalar_only}")


@pytest.mark.parametrize("name", ["stem3x3s2_rgb", "pointwise", "im2col_k288", "depthwise"])
def test_prelu_epilogue_keeps_nan(name):
    g = conv_graph(GEOMETRIES[name], "sum_prelu")
    feeds = {k: RNG.standard_normal(g.values[k].shape).astype(np.float32) for k in g.inputs}
    feeds["r"][0, 0, 0, :5] = np.nan
    got = Session(write_pml(g)).run(feeds)["y"]
    assert np.isnan(got[0, 0, 0, :5]).all() and not np.isnan(got[0, 1:]).any()


def test_conv_rejects_bad_residual_and_slope():
    g = conv_graph(GEOMETRIES["pointwise"], "sum_prelu")
    g.values["r"].shape = (2, 6, 7, 23)
    with pytest.raises(ValueError, match="sum shape"):
        infer_shapes(g)
    g = conv_graph(GEOMETRIES["pointwise"], "prelu")
    g.nodes[0].attrs["act"] = ops.ACT_NONE
    with pytest.raises(ValueError, match="slope"):
        infer_shapes(g)
