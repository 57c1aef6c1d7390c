"""Resize: out[i] along each axis from input coordinate
  x = transform(i, scale, in_size, out_size) with
  coordinate_transformation_mode 0 half_pixel, 1 asymmetric, 2 align_corners,
  3 pytorch_half_pixel, 4 half_pixel_symmetric, 5 tf_half_pixel_for_nn;
  mode 0 nearest (nearest_mode 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil),
  mode 1 linear (separable over every axis whose size changes), 2 cubic (cubic_coeff_a,
  exclude_outside). scales has one float per axis (as ONNX: out/in if sizes were given),
  sizes the output shape. A symbolic input dim must have scale 1 and stays symbolic
  (its sizes entry is then ignored; converters write -1 there).
Dtypes: nearest moves elements of any dtype; linear and cubic take float32 (checked by the runtime).
"""
from __future__ import annotations

import math

import numpy as np

from .registry import Attr, define
from ._common import ANY, attrs_of, fail, is_sym, known, shape_str


# ---- Resize ------------------------------------------------------------------------
COORD_MODES = ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric",
               "tf_half_pixel_for_nn")
RESIZE_MODES = ("nearest", "linear", "cubic")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _resize_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    scales, sizes = list(at["scales"]), list(at["sizes"])
    if at["mode"] not in range(3) or at["coordinate_transformation_mode"] not in range(6) or \
            at["nearest_mode"] not in range(4):
        raise fail(node, f"mode {at['mode']}, coordinate_transformation_mode "
                         f"{at['coordinate_transformation_mode']} or nearest_mode {at['nearest_mode']} unknown")
    if len(scales) != len(s) or len(sizes) != len(s) or min(scales, default=1) <= 0:
        raise fail(node, f"scales {scales} and sizes {sizes} need one positive value per axis of x {shape_str(s)}")
    out = []
    for axis, (d, scale, size) in enumerate(zip(s, scales, sizes)):
        if is_sym(d):
            if scale != 1.0:
                raise fail(node, f"axis {axis} is symbolic ({d!r}); only scale 1 is supported there")
            out.append(d)
        elif size < 1:
            raise fail(node, f"output size {size} on axis {axis} must be >= 1")
        else:
            out.append(int(size))
    return [(t, tuple(out))]


def _source_coords(mode, i, scale, n_in, n_out):
    """Input coordinate of each output index i (float64) for one axis."""
    if mode == "half_pixel":
        return (i + 0.5) / scale - 0.5
    if mode == "asymmetric":
        return i / scale
    if mode == "align_corners":
        return np.zeros_like(i) if n_out == 1 else i * (n_in - 1) / (n_out - 1)
    if mode == "pytorch_half_pixel":
        return (i + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(i)
    if mode == "half_pixel_symmetric":
        # centres the (possibly rounded) output on the input
        offset = n_in / 2 * (1 - n_out / (scale * n_in))
        return offset + (i + 0.5) / scale - 0.5
    return (i + 0.5) / scale  # tf_half_pixel_for_nn


def _cubic_coeffs(t, a):
    """Keys cubic weights of the 4 taps at offsets -1, 0, 1, 2 from floor(x)."""
    d = np.stack([t + 1, t, 1 - t, 2 - t], axis=-1)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, far)


def _resize_matrix(n_in, n_out, scale, at):
    """[n_out, n_in] interpolation matrix of one axis (edge taps clamp to the border)."""
    x = _source_coords(COORD_MODES[at["coordinate_transformation_mode"]], np.arange(n_out, dtype=np.float64),
                       scale, n_in, n_out)
    mode = RESIZE_MODES[at["mode"]]
    if mode == "nearest":
        rnd = NEAREST_MODES[at["nearest_mode"]]
        idx = {"round_prefer_floor": np.ceil(x - 0.5), "round_prefer_ceil": np.floor(x + 0.5),
               "floor": np.floor(x), "ceil": np.ceil(x)}[rnd]
        taps, coeffs = idx[:, None], np.ones((n_out, 1))
    elif mode == "linear":
        x = np.clip(x, 0, n_in - 1)
        base = np.floor(x)
        taps, coeffs = base[:, None] + [0, 1], np.stack([1 - (x - base), x - base], axis=-1)
    else:
        base = np.floor(x)
        taps, coeffs = base[:, None] + [-1, 0, 1, 2], _cubic_coeffs(x - base, at["cubic_coeff_a"])
        if at["exclude_outside"]:
            coeffs = np.where((taps < 0) | (taps >= n_in), 0.0, coeffs)
            coeffs = coeffs / coeffs.sum(axis=1, keepdims=True)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), taps.shape[1]), np.clip(taps, 0, n_in - 1).astype(int).ravel()),
              coeffs.ravel())
    return m


def _resize_reference(inputs, attrs):
    x = inputs[0]
    y = x.astype(np.float64)
    for axis, (n_in, scale, n_out) in enumerate(zip(x.shape, attrs["scales"], attrs["sizes"])):
        n_out = n_in if n_out < 0 else n_out
        if n_out == n_in and math.isclose(scale, 1.0):
            continue  # identity along this axis for every mode
        y = np.moveaxis(np.tensordot(_resize_matrix(n_in, n_out, scale, attrs), y, axes=([1], [axis])), 0, axis)
    return [y.astype(x.dtype)]


define("Resize", 106, "resize", ("x: T",), ("y: T",), {
    "mode": Attr("int", 0), "coordinate_transformation_mode": Attr("int", 0), "nearest_mode": Attr("int", 0),
    "cubic_coeff_a": Attr("float", -0.75), "exclude_outside": Attr("int", 0),
    "extrapolation_value": Attr("float", 0.0), "scales": Attr("floats"), "sizes": Attr("ints"),
}, types={"T": ANY}, infer=_resize_infer, reference=_resize_reference)
