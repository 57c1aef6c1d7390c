"""Normalisation and softmax.

ScaleShift:         y = act(x * scale[c] + shift[c]), c = last axis (NHWC channels).
                    Inference BatchNormalization folds to this when its statistics are constant.
BatchNormalization: inference form, c = last axis; inputs x, scale, bias, mean, var.
LRN:                across channels, c = last axis (NHWC); ONNX formula
                    y = x / (bias + alpha/size * sum(x^2 over window))^beta.
Softmax/LogSoftmax: over one axis.
"""
from __future__ import annotations

from . import FUSED_ACT_ATTRS, Attr, define

define("ScaleShift", 80, "norm", ("x", "scale", "shift"), ("y",), dict(FUSED_ACT_ATTRS))
define("LRN", 81, "norm", ("x",), ("y",), {
    "size": Attr("int"), "alpha": Attr("float", 0.0001), "beta": Attr("float", 0.75), "bias": Attr("float", 1.0),
})
define("Softmax", 82, "norm", ("x",), ("y",), {"axis": Attr("int", -1)})
define("LogSoftmax", 83, "norm", ("x",), ("y",), {"axis": Attr("int", -1)})
define("BatchNormalization", 84, "norm", ("x", "scale", "bias", "mean", "var"), ("y",),
       {"epsilon": Attr("float", 1e-5)})
