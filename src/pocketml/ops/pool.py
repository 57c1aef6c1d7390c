"""Pooling, NHWC inside the engine: x [N,H,W,C] -> [N,OH,OW,C].

kernel/strides/dilations are [kh,kw]; pads are [top,left,bottom,right];
ceil_mode rounds the output size up (a window must start inside the input or
its left padding, as in ONNX). AveragePool divides by the window size including
padding when count_include_pad=1, else by the number of real elements.
Global pools reduce H and W to 1.
"""
from __future__ import annotations

from . import Attr, define

_WINDOW = {
    "kernel": Attr("ints"),
    "strides": Attr("ints", [1, 1]),
    "pads": Attr("ints", [0, 0, 0, 0]),
    "dilations": Attr("ints", [1, 1]),
    "ceil_mode": Attr("int", 0),
}
define("MaxPool", 70, "pool", ("x",), ("y",), dict(_WINDOW))
define("AveragePool", 71, "pool", ("x",), ("y",), {**_WINDOW, "count_include_pad": Attr("int", 0)})
define("GlobalAveragePool", 72, "pool", ("x",), ("y",))
define("GlobalMaxPool", 73, "pool", ("x",), ("y",))
