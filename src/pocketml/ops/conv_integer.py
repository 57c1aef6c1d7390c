"""ConvInteger (the conv family): Conv on int8/uint8 data with zero points, exact int32 output.

x [N,H,W,Cin] (NHWC inside the engine, as Conv), w [Cout,KH,KW,Cin/group] (OHWI),
x_zero_point (one value), w_zero_point (one value or [Cout]) -> y [N,OH,OW,Cout] int32:
  y = conv(x - x_zero_point, w - w_zero_point)
with Conv's strides, dilations, pads ([top,left,bottom,right]), group and auto_pad. The padding
holds x_zero_point (ONNX and onnxruntime pad x with it), so a padded tap contributes 0. The sum
wraps modulo 2^32 as an int32 accumulator does. 1-D convolutions are 2-D with H = 1.
"""
from __future__ import annotations

import numpy as np

from .conv import _AUTO_PAD, _conv_infer
from .registry import Attr, define
from ._common import fail, known, shape_str, window_view, with_auto_pads

_ATTRS = {"strides": Attr("ints", [1, 1]), "pads": Attr("ints", [0, 0, 0, 0]), "dilations": Attr("ints", [1, 1]),
          "group": Attr("int", 1), **_AUTO_PAD}


def _conv_integer_infer(node, ins):
    (_, y), = _conv_infer(node, ins[:2])
    cout = known(node, ins[1], "w")[1][0]
    for i, what, per_channel in ((2, "x", False), (3, "w", True)):
        if len(ins) > i and ins[i] is not None:
            zs = known(node, ins[i], f"{what}_zero_point")[1]
            one = len(zs) <= 1 and all(d == 1 for d in zs)
            if not one and not (per_channel and tuple(zs) == (cout,)):
                raise fail(node, f"{what}_zero_point of shape {shape_str(zs)} must be one value" +
                           (f" or [{cout}] (per output channel)" if per_channel else ""))
    return [("int32", y)]


def _conv_integer_reference(inputs, attrs):
    attrs = with_auto_pads(attrs, inputs[0].shape[1:3], inputs[1].shape[1:3])
    x, w = inputs[0].astype(np.int64), inputs[1].astype(np.int64)
    if len(inputs) > 2 and inputs[2] is not None:
        x = x - inputs[2].astype(np.int64).reshape(())
    if len(inputs) > 3 and inputs[3] is not None:
        w = w - inputs[3].astype(np.int64).reshape(-1, 1, 1, 1)
    (sh, sw), (dh, dw), (pt, pl, pb, pr), g = attrs["strides"], attrs["dilations"], attrs["pads"], attrs["group"]
    cout, kh, kw, cg = w.shape
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))  # x - x_zero_point: the zero point pads to 0
    oh, ow = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1, (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    win = window_view(xp, (kh, kw), (sh, sw), (dh, dw), (oh, ow))  # [N,OH,OW,KH,KW,Cin]
    m = cout // g
    y = np.concatenate([np.tensordot(win[..., k * cg:(k + 1) * cg], w[k * m:(k + 1) * m], axes=([3, 4, 5], [1, 2, 3]))
                        for k in range(g)], axis=-1)
    return [y.astype(np.int32)]  # exact in int64, wraps modulo 2^32


define("ConvInteger", 461, "conv", ("x: T1", "w: T2", "x_zero_point?: T1", "w_zero_point?: T2"), ("y: T3",),
       _ATTRS, types={"T1": ("int8", "uint8"), "T2": ("int8", "uint8"), "T3": ("int32",)}, traits=("quant_explicit",),
       infer=_conv_integer_infer, reference=_conv_integer_reference)
