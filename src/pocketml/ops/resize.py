"""Resize: out[i] along each axis from input coordinate
  x = transform(i, scale, in_size, out_size) with
  coordinate_transformation_mode 0 half_pixel, 1 asymmetric, 2 align_corners,
  3 pytorch_half_pixel, 4 half_pixel_symmetric, 5 tf_half_pixel_for_nn, 6 tf_crop_and_resize
  (each axis cropped to its roi [start, end] in fractions of in - 1: the roi attribute over
  every axis as [starts..., ends...], or input 3, float32, over the axes of the axes
  attribute, which may be computed at run time as it moves no output size; outputs whose
  coordinate falls outside the input take extrapolation_value);
  mode 0 nearest (nearest_mode 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil),
  mode 1 linear (separable over every axis whose size changes), 2 cubic (cubic_coeff_a,
  exclude_outside); antialias=1 widens the linear/cubic filter by 1/scale on the axes it
  shrinks (the taps around x are the 2 - 2 * start with start = floor(-support / scale) + 1,
  weighted filter(scale * distance) and normalised to sum 1).
  The attributes scales has one float per axis (as ONNX: out/in if
  sizes were given), sizes the output shape; a sizes entry of -1 marks an axis that was
  symbolic at conversion: its size is floor(in * scale) for the concrete input (float32
  product, as onnxruntime), the input itself for scale 1.
  Scales or sizes computed at run time come as input 1 (float32 scales) or input 2
  (int64 sizes) instead, one value per axis of the axes attribute (all axes when empty),
  with keep_aspect_ratio_policy (0 stretch, 1 not_larger, 2 not_smaller) applied to
  sizes; the runtime reads them while planning.
Dtypes: nearest moves elements of any dtype; linear and cubic take float32 (checked by the runtime).
"""
from __future__ import annotations

import math

import numpy as np

from .registry import QUANT_CHECKS, REQUANT_ATTRS, Attr, define
from ._common import ANY, attrs_of, fail, fresh_dim, is_sym, known, normalize_axis, param_len, shape_str


# ---- Resize ------------------------------------------------------------------------
COORD_MODES = ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric",
               "tf_half_pixel_for_nn", "tf_crop_and_resize")
RESIZE_MODES = ("nearest", "linear", "cubic")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _given_inputs(ins) -> list:
    return [i for i in (1, 2) if len(ins) > i and ins[i] is not None]


def _resize_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    if at["mode"] not in range(3) or at["coordinate_transformation_mode"] not in range(7) or \
            at["nearest_mode"] not in range(4) or at["keep_aspect_ratio_policy"] not in range(3) or \
            at["antialias"] not in (0, 1) or (at["antialias"] and at["mode"] == 0):
        raise fail(node, f"mode {at['mode']}, coordinate_transformation_mode "
                         f"{at['coordinate_transformation_mode']}, nearest_mode {at['nearest_mode']}, "
                         f"keep_aspect_ratio_policy {at['keep_aspect_ratio_policy']} or antialias {at['antialias']} "
                         f"unknown (antialias=1 takes linear or cubic)")
    if at["roi"] and len(at["roi"]) != 2 * len(s):
        raise fail(node, f"roi {list(at['roi'])} needs 2 values per axis of x {shape_str(s)}")
    if len(ins) > 3 and ins[3] is not None and param_len(node, ins, 3, "roi") != 2 * len(_input_axes(node, at, len(s))):
        raise fail(node, "roi needs 2 values per axis in axes")
    given = _given_inputs(ins)
    if given:
        return [(t, _infer_from_inputs(node, ins, given, s, at))]
    scales, sizes = list(at["scales"]), list(at["sizes"])
    if len(scales) != len(s) or len(sizes) != len(s) or min(scales, default=1) <= 0:
        raise fail(node, f"scales {scales} and sizes {sizes} need one positive value per axis of x {shape_str(s)}")
    out = []
    for axis, (d, scale, size) in enumerate(zip(s, scales, sizes)):
        if is_sym(d):  # planned for the concrete input: floor(in * scale)
            out.append(d if scale == 1.0 else fresh_dim(node, axis))
        elif size == -1:
            out.append(int(np.floor(np.float32(scale) * np.float32(d))))
        elif size < 1:
            raise fail(node, f"output size {size} on axis {axis} must be >= 1")
        else:
            out.append(int(size))
    return [(t, tuple(out))]


def _input_axes(node, at, rank) -> list:
    axes = [normalize_axis(node, a, rank, "resize axis") for a in at["axes"]] or list(range(rank))
    if len(set(axes)) != len(axes):
        raise fail(node, f"axes {at['axes']} repeat")
    return axes


def _infer_from_inputs(node, ins, given, s, at) -> tuple:
    """Output shape when scales or sizes come as an input (one value per listed axis)."""
    if len(given) != 1:
        raise fail(node, "exactly one of the scales and sizes inputs must be given")
    axes, k = _input_axes(node, at, len(s)), given[0]
    what = "scales" if k == 1 else "sizes"
    if param_len(node, ins, k, what) != len(axes):
        raise fail(node, f"{what} needs one value per axis in {axes}")
    if ins[k].is_const and not any(is_sym(s[a]) for a in axes):
        values = [float(v) if k == 1 else int(v) for v in np.asarray(ins[k].const).reshape(-1)]
        _, sizes = geometry(s, at, values if k == 1 else None, values if k == 2 else None)
        return tuple(sizes)
    return tuple(fresh_dim(node, a) if a in axes else d for a, d in enumerate(s))


def geometry(shape, at, scales=None, sizes=None) -> tuple:
    """Per-axis (scales, sizes) of a static input shape from scales or sizes given for
    at["axes"] (all axes when empty), keep_aspect_ratio_policy applied to sizes. As
    onnxruntime: sizes give scale out/in; scales give floor(in * scale) in float32."""
    r = len(shape)
    axes = [a % r for a in at["axes"]] or list(range(r))
    full_scales, full_sizes = [1.0] * r, [int(d) for d in shape]
    if sizes is not None:
        ratios = [sizes[k] / shape[a] if shape[a] else 1.0 for k, a in enumerate(axes)]
        policy = at["keep_aspect_ratio_policy"]
        if policy:
            scale = (min if policy == 1 else max)(ratios)
            ratios = [scale] * len(axes)
            sizes = [int(scale * shape[a] + 0.5) for a in axes]  # round half up, as the spec says
        for k, a in enumerate(axes):
            full_scales[a], full_sizes[a] = ratios[k], int(sizes[k])
    else:
        for k, a in enumerate(axes):
            if not scales[k] > 0:
                raise ValueError(f"scales {list(scales)} must be positive")
            full_scales[a] = float(scales[k])
            full_sizes[a] = int(np.floor(np.float32(scales[k]) * np.float32(shape[a])))
    return full_scales, full_sizes


def _source_coords(mode, i, scale, n_in, n_out, roi=(0.0, 1.0)):
    """Input coordinate of each output index i (float64) for one axis."""
    if mode == "tf_crop_and_resize":  # the roi's difference and start offset in float32, as the ONNX reference
        span = float(np.float32(roi[1]) - np.float32(roi[0])) * (n_in - 1)
        first = float(np.float32(roi[0]) * np.float32(n_in - 1))
        return first + (np.full_like(i, span / 2) if scale * n_in == 1 else i * span / (scale * n_in - 1))
    if mode == "half_pixel":
        return (i + 0.5) / scale - 0.5
    if mode == "asymmetric":
        return i / scale
    if mode == "align_corners":
        return np.zeros_like(i) if n_out == 1 else i * (n_in - 1) / (n_out - 1)
    if mode == "pytorch_half_pixel":
        # a single output (scale * in == 1) reads -0.5, as the ONNX reference: the edge, or the
        # centre of an antialias window there
        return (i + 0.5) / scale - 0.5 if scale * n_in != 1 else np.full_like(i, -0.5)
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


def _filter(mode, d, a):
    """The linear (triangle) or Keys cubic filter at distances d, in taps."""
    d = np.abs(d)
    if mode == "linear":
        return np.clip(1 - d, 0, 1)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


def _resize_matrix(n_in, n_out, scale, at, roi=(0.0, 1.0)):
    """[n_out, n_in] interpolation matrix of one axis (edge taps clamp to the border) and the
    outputs a crop puts outside the input."""
    x = _source_coords(COORD_MODES[at["coordinate_transformation_mode"]], np.arange(n_out, dtype=np.float64),
                       scale, n_in, n_out, roi)
    mode = RESIZE_MODES[at["mode"]]
    if mode == "nearest":
        rnd = NEAREST_MODES[at["nearest_mode"]]
        idx = {"round_prefer_floor": np.ceil(x - 0.5), "round_prefer_ceil": np.floor(x + 0.5),
               "floor": np.floor(x), "ceil": np.ceil(x)}[rnd]
        taps, coeffs = idx[:, None], np.ones((n_out, 1))
    else:
        # ratio in (0, 1] from the left neighbour base, as the ONNX reference
        integral = x == np.floor(x)
        base = np.where(integral, x - 1, np.floor(x))
        ratio = x - base
        wide = at.get("antialias", 0) and scale < 1  # antialias: the filter widens by 1/scale
        s = scale if wide else 1.0
        start = int(np.floor(-(1 if mode == "linear" else 2) / s)) + 1
        k = np.arange(start, 2 - start)
        taps, coeffs = base[:, None] + k, _filter(mode, s * (k - ratio[:, None]), at["cubic_coeff_a"])
        if wide:
            coeffs = coeffs / coeffs.sum(axis=1, keepdims=True)
        if at["exclude_outside"]:
            coeffs = np.where((taps < 0) | (taps >= n_in), 0.0, coeffs)
            total = coeffs.sum(axis=1, keepdims=True)
            coeffs = coeffs / np.where(total == 0, 1.0, total)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), taps.shape[1]), np.clip(taps, 0, n_in - 1).astype(int).ravel()),
              coeffs.ravel())
    cropping = COORD_MODES[at["coordinate_transformation_mode"]] == "tf_crop_and_resize"
    return m, (x < 0) | (x > n_in - 1) if cropping else np.zeros(n_out, bool)


def _roi(shape, inputs, attrs) -> list:
    """[(start, end)] of every axis: the roi input over the listed axes, else the attribute."""
    r = len(shape)
    full = list(attrs["roi"]) or [0.0] * r + [1.0] * r
    roi = [(full[a], full[r + a]) for a in range(r)]
    if len(inputs) > 3 and inputs[3] is not None:
        values = [float(v) for v in np.asarray(inputs[3]).reshape(-1)]
        axes = [a % r for a in attrs["axes"]] or list(range(r))
        for k, a in enumerate(axes):
            roi[a] = (values[k], values[len(axes) + k])
    return roi


def _resize_reference(inputs, attrs):
    x = inputs[0]
    y = x.astype(np.float64)
    given = _given_inputs(inputs)
    if given:
        values = np.asarray(inputs[given[0]]).reshape(-1)
        scales, sizes = geometry(x.shape, attrs, [float(v) for v in values] if given[0] == 1 else None,
                                 [int(v) for v in values] if given[0] == 2 else None)
    else:
        scales = list(attrs["scales"])
        sizes = [size if size != -1 else n if scale == 1.0 else int(np.floor(np.float32(scale) * np.float32(n)))
                 for n, scale, size in zip(x.shape, scales, attrs["sizes"])]
    roi = _roi(x.shape, inputs, attrs)
    cropping = COORD_MODES[attrs["coordinate_transformation_mode"]] == "tf_crop_and_resize"
    for axis, (n_in, scale, n_out) in enumerate(zip(x.shape, scales, sizes)):
        n_out = n_in if n_out < 0 else n_out
        whole = math.isclose(roi[axis][0], 0.0, abs_tol=1e-9) and math.isclose(roi[axis][1], 1.0)
        if n_out == n_in and math.isclose(scale, 1.0) and (not cropping or whole):
            continue  # identity along this axis for every mode
        m, outside = _resize_matrix(n_in, n_out, scale, attrs, roi[axis])
        y = np.moveaxis(np.tensordot(m, y, axes=([1], [axis])), 0, axis)
        y[(slice(None),) * axis + (outside,)] = attrs["extrapolation_value"]
    return [y.astype(x.dtype)]


QUANT_LINEAR_COORDS = ("half_pixel", "asymmetric", "align_corners")  # TFLite's three bilinear forms


def _resize_quant_check(node, ins, outs):
    """What native/src/ops/resize_q8.c runs on quantized tensors: x and y with the same per-tensor
    parameters; nearest copies stored values (any coordinate mode); linear is TFLite's integer
    bilinear (requant 0; half_pixel, asymmetric or align_corners over H and W of NHWC); cubic,
    antialias and ONNX's float linear (requant 1) are refused rather than run on raw integers."""
    (dx, qx), (dy, qy) = ins[0], outs[0]
    if qx is None or qy is None:
        return f"{'input' if qx is None else 'output'} is not quantized but the other is"
    if dx != dy:
        return f"input is {dx} and output {dy}"
    if not (qx.per_tensor and qy.per_tensor):
        return "quantized per channel: only per-tensor parameters are supported"
    if not (np.array_equal(np.float32(qx.scale), np.float32(qy.scale))
            and np.array_equal(qx.zero_point, qy.zero_point)):
        return "input and output have different quantization parameters (Resize does not rescale)"
    at = attrs_of(node)
    mode = RESIZE_MODES[at["mode"]] if 0 <= at["mode"] < len(RESIZE_MODES) else at["mode"]
    if mode == "nearest":
        return None
    coord = COORD_MODES[at["coordinate_transformation_mode"]] \
        if 0 <= at["coordinate_transformation_mode"] < len(COORD_MODES) else at["coordinate_transformation_mode"]
    if mode != "linear" or int(at.get("requant", 0)) != 0 or at["antialias"] or coord not in QUANT_LINEAR_COORDS \
            or dx not in ("int8", "uint8", "int16"):
        return (f"mode {mode} with coordinate_transformation_mode {coord}, antialias {at['antialias']}, "
                f"requant {at.get('requant', 0)} on {dx} (quantized tensors run nearest, or TFLite's integer "
                f"bilinear: linear, requant 0, {'/'.join(QUANT_LINEAR_COORDS)}, no antialias)")
    return None


QUANT_CHECKS["Resize"] = _resize_quant_check
define("Resize", 106, "resize", ("x: T", "scales?: F32", "sizes?: I64", "roi?: F32"), ("y: T",), {
    "mode": Attr("int", 0), "coordinate_transformation_mode": Attr("int", 0), "nearest_mode": Attr("int", 0),
    "cubic_coeff_a": Attr("float", -0.75), "exclude_outside": Attr("int", 0),
    "extrapolation_value": Attr("float", 0.0), "scales": Attr("floats", []), "sizes": Attr("ints", []),
    "axes": Attr("ints", []), "keep_aspect_ratio_policy": Attr("int", 0), "antialias": Attr("int", 0),
    "roi": Attr("floats", []), **REQUANT_ATTRS,
}, types={"T": ANY, "F32": ("float32",), "I64": ("int64",)}, plan_inputs=("scales", "sizes"), traits=("quant_aware",),
       infer=_resize_infer, reference=_resize_reference)
