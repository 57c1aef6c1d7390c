"""Shape and data-movement ops (layout-agnostic: they work on any axes).

Concat(axis); Reshape(shape: ONNX semantics, 0 copies the input dim, one -1 is inferred);
Transpose(perm); Slice(starts, ends, axes, steps: ONNX clamping, negative steps);
Split(axis, split sizes) -> n outputs; Pad(pads [begin..., end...], mode 0 constant /
1 reflect / 2 edge, value); Resize (see below); Gather(axis) with int32/int64
indices (negative wrap; out of range is a runtime error);
Shape(start, end) and ConstantOfShape(value) exist for constant folding only.

Resize: out[i] along each axis from input coordinate
  x = transform(i, scale, in_size, out_size) with
  coordinate_transformation_mode 0 half_pixel, 1 asymmetric, 2 align_corners,
  3 pytorch_half_pixel, 4 half_pixel_symmetric, 5 tf_half_pixel_for_nn;
  mode 0 nearest (nearest_mode 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil),
  mode 1 linear (separable over every axis whose size changes), 2 cubic (cubic_coeff_a,
  exclude_outside). scales has one float per axis (as ONNX: out/in if sizes were given),
  sizes the output shape.
"""
from __future__ import annotations

from . import Attr, define

define("Concat", 100, "tensor", ("inputs*",), ("y",), {"axis": Attr("int")})
define("Reshape", 101, "tensor", ("x",), ("y",), {"shape": Attr("ints"), "allowzero": Attr("int", 0)})
define("Transpose", 102, "tensor", ("x",), ("y",), {"perm": Attr("ints")})
define("Slice", 103, "tensor", ("x",), ("y",), {
    "starts": Attr("ints"), "ends": Attr("ints"), "axes": Attr("ints", []), "steps": Attr("ints", []),
})
define("Split", 104, "tensor", ("x",), ("outputs*",), {"axis": Attr("int", 0), "split": Attr("ints")})
define("Pad", 105, "tensor", ("x",), ("y",), {
    "pads": Attr("ints"), "mode": Attr("int", 0), "value": Attr("float", 0.0),
})
define("Resize", 106, "tensor", ("x",), ("y",), {
    "mode": Attr("int", 0), "coordinate_transformation_mode": Attr("int", 0), "nearest_mode": Attr("int", 0),
    "cubic_coeff_a": Attr("float", -0.75), "exclude_outside": Attr("int", 0),
    "extrapolation_value": Attr("float", 0.0), "scales": Attr("floats"), "sizes": Attr("ints"),
})
define("Gather", 107, "tensor", ("data", "indices"), ("y",), {"axis": Attr("int", 0)})
define("Shape", 108, "tensor", ("x",), ("y",), {"start": Attr("int", 0), "end": Attr("int", 2**62)},
       runtime=False)
define("ConstantOfShape", 109, "tensor", ("shape",), ("y",), {"value": Attr("floats", [0.0]),
                                                              "dtype": Attr("int", 1)}, runtime=False)
