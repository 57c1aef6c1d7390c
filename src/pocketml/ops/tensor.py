"""Shape and data-movement ops (layout-agnostic: they work on any axes).

Concat(axis); Reshape(shape: ONNX semantics, 0 copies the input dim, one -1 is inferred);
Transpose(perm); Slice(starts, ends, axes, steps: ONNX clamping, negative steps);
Split(axis, split sizes) -> n outputs; Pad(pads [begin..., end...], mode 0 constant /
1 reflect / 2 edge, value; negative pads crop); Resize (see below); Gather(axis) with
int32/int64 indices (negative wrap; out of range is a runtime error);
Shape(start, end) and ConstantOfShape(value) exist for constant folding only.

Resize: out[i] along each axis from input coordinate
  x = transform(i, scale, in_size, out_size) with
  coordinate_transformation_mode 0 half_pixel, 1 asymmetric, 2 align_corners,
  3 pytorch_half_pixel, 4 half_pixel_symmetric, 5 tf_half_pixel_for_nn;
  mode 0 nearest (nearest_mode 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil),
  mode 1 linear (separable over every axis whose size changes), 2 cubic (cubic_coeff_a,
  exclude_outside). scales has one float per axis (as ONNX: out/in if sizes were given),
  sizes the output shape. A symbolic input dim must have scale 1 and stays symbolic
  (its sizes entry is then ignored; converters write -1 there).
"""
from __future__ import annotations

import math

import numpy as np

from ..ir import DTYPE_BY_CODE, np_dtype
from . import Attr, define
from ._common import (
    INDEX,
    attrs_of,
    check_dtype,
    dims_equal,
    fail,
    is_sym,
    known,
    normalize_axis,
    prod,
    shape_str,
    static_dim,
)


# ---- Concat ------------------------------------------------------------------------
def _concat_infer(node, ins):
    if not ins:
        raise fail(node, "needs at least one input")
    typed = [known(node, v, f"inputs[{i}]") for i, v in enumerate(ins)]
    t0, s0 = typed[0]
    axis = normalize_axis(node, attrs_of(node)["axis"], len(s0))
    total = 0
    sym = []
    for i, (t, s) in enumerate(typed):
        if t != t0 or len(s) != len(s0) or any(
                a != axis and not (is_sym(d) or is_sym(e) or dims_equal(d, e)) for a, (d, e) in enumerate(zip(s, s0))):
            raise fail(node, f"inputs[{i}] {t}{shape_str(s)} does not match inputs[0] {t0}{shape_str(s0)} "
                             f"outside axis {axis}")
        if is_sym(s[axis]):
            sym.append(s[axis])
        else:
            total += int(s[axis])
    d = "+".join(sym + ([str(total)] if total else [])) if sym else total
    return [(t0, s0[:axis] + (d,) + s0[axis + 1:])]


# ---- Reshape -----------------------------------------------------------------------
def _reshape_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    target, allowzero = list(at["shape"]), at["allowzero"]
    out, infer_at = [], None
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            if i >= len(s):
                raise fail(node, f"shape {target}: 0 at index {i} copies a dim x {shape_str(s)} does not have")
            out.append(s[i])
        elif d == -1:
            if infer_at is not None:
                raise fail(node, f"shape {target} has more than one -1")
            infer_at = i
            out.append(None)
        elif d < -1:
            raise fail(node, f"shape {target} has invalid dim {d}")
        else:
            out.append(int(d))
    # cancel symbolic dims present on both sides, then compare static products
    in_sym = [d for d in s if is_sym(d)]
    out_sym = [d for d in out if is_sym(d)]
    for d in list(out_sym):
        if d in in_sym:
            in_sym.remove(d)
            out_sym.remove(d)
    in_static = prod(d for d in s if not is_sym(d))
    out_static = prod(d for d in out if d is not None and not is_sym(d))
    problem = f"cannot reshape {shape_str(s)} to {target}"
    if out_sym:
        raise fail(node, f"{problem}: symbolic dims {out_sym} are not in the input")
    if infer_at is None:
        if in_sym or in_static != out_static:
            raise fail(node, f"{problem}: element counts differ")
    elif in_sym:
        if out_static == 0 or in_static % out_static:
            raise fail(node, f"{problem}: the -1 dim is not a whole multiple of {in_sym}")
        ratio = in_static // out_static
        out[infer_at] = "*".join(in_sym + ([str(ratio)] if ratio != 1 else []))
    else:
        if out_static == 0 or in_static % out_static:
            raise fail(node, f"{problem}: {in_static} elements do not divide into {out_static}")
        out[infer_at] = in_static // out_static
    return [(t, tuple(out))]


def _reshape_reference(inputs, attrs):
    x = inputs[0]
    shape = [x.shape[i] if d == 0 and not attrs["allowzero"] else d for i, d in enumerate(attrs["shape"])]
    return [x.reshape(shape)]


# ---- Transpose ---------------------------------------------------------------------
def _transpose_infer(node, ins):
    t, s = known(node, ins[0], "x")
    perm = list(attrs_of(node)["perm"])
    if sorted(perm) != list(range(len(s))):
        raise fail(node, f"perm {perm} is not a permutation of the {len(s)} axes of x {shape_str(s)}")
    return [(t, tuple(s[p] for p in perm))]


# ---- Slice -------------------------------------------------------------------------
def _slice_params(node, rank, attrs):
    """Per sliced axis: (axis, start, end, step), validated (ends are unclamped)."""
    starts, ends = list(attrs["starts"]), list(attrs["ends"])
    axes = list(attrs["axes"]) or list(range(len(starts)))
    steps = list(attrs["steps"]) or [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise fail(node, f"starts {starts}, ends {ends}, axes {axes}, steps {steps} differ in length")
    axes = [normalize_axis(node, a, rank, "slice axis") for a in axes]
    if len(set(axes)) != len(axes) or 0 in steps:
        raise fail(node, f"axes {axes} repeat or steps {steps} contain 0")
    return list(zip(axes, starts, ends, steps))


def clamp_slice(dim, start, end, step):
    """ONNX Slice clamping -> (start, stop-or-None, step, length) for Python slicing."""
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        length = max(0, -(-(end - start) // step))
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        length = max(0, -(-(start - end) // -step))
    return start, (None if end < 0 else end), step, length


def _slice_infer(node, ins):
    t, s = known(node, ins[0], "x")
    out = list(s)
    for axis, start, end, step in _slice_params(node, len(s), attrs_of(node)):
        if is_sym(s[axis]):
            if start == 0 and step == 1 and end >= 2**31 - 1:
                continue  # whole axis: the symbolic dim passes through
            raise fail(node, f"slicing symbolic dim {s[axis]!r} (axis {axis}) needs a static size")
        out[axis] = clamp_slice(int(s[axis]), start, end, step)[3]
    return [(t, tuple(out))]


def _slice_reference(inputs, attrs):
    x = inputs[0]
    index = [slice(None)] * x.ndim
    for axis, start, end, step in zip(attrs["axes"] or range(len(attrs["starts"])), attrs["starts"],
                                      attrs["ends"], attrs["steps"] or [1] * len(attrs["starts"])):
        axis %= x.ndim
        index[axis] = slice(*clamp_slice(x.shape[axis], start, end, step)[:3])
    return [x[tuple(index)]]


# ---- Split -------------------------------------------------------------------------
def _split_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    axis = normalize_axis(node, at["axis"], len(s))
    split = list(at["split"])
    dim = static_dim(node, s[axis], f"split axis {axis}")
    if len(split) != len(node.outputs) or sum(split) != dim or min(split) < 0:
        raise fail(node, f"split {split} must have one size per output ({len(node.outputs)}) summing to "
                         f"dim {dim} of axis {axis}")
    return [(t, s[:axis] + (n,) + s[axis + 1:]) for n in split]


def _split_reference(inputs, attrs):
    return np.split(inputs[0], np.cumsum(attrs["split"])[:-1], axis=attrs["axis"])


# ---- Pad ---------------------------------------------------------------------------
PAD_MODES = {0: "constant", 1: "reflect", 2: "edge"}


def _pad_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    pads, rank = list(at["pads"]), len(s)
    if len(pads) != 2 * rank or at["mode"] not in PAD_MODES:
        raise fail(node, f"pads {pads} must have 2*rank={2 * rank} values and mode {at['mode']} be one of "
                         f"{PAD_MODES}")
    out = []
    for i, d in enumerate(s):
        extra = pads[i] + pads[i + rank]
        if is_sym(d):
            out.append(d if extra == 0 else f"{d}{extra:+d}")
            continue
        if d + extra < 0 or (at["mode"] == 1 and max(pads[i], pads[i + rank]) >= d) or \
                (at["mode"] == 2 and d == 0 and extra > 0):
            raise fail(node, f"pads {pads} are invalid for dim {i} of size {d} in {PAD_MODES[at['mode']]} mode")
        out.append(d + extra)
    return [(t, tuple(out))]


def _pad_reference(inputs, attrs):
    x, pads = inputs[0], attrs["pads"]
    r = x.ndim
    # negative pads crop first; the rest is an ordinary numpy pad
    x = x[tuple(slice(max(0, -pads[i]), x.shape[i] - max(0, -pads[i + r])) for i in range(r))]
    width = [(max(0, pads[i]), max(0, pads[i + r])) for i in range(r)]
    mode = PAD_MODES[attrs["mode"]]
    kw = {"constant_values": np.asarray(attrs["value"]).astype(x.dtype)} if mode == "constant" else {}
    return [np.pad(x, width, mode=mode, **kw)]


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


# ---- Gather, Shape, ConstantOfShape ----------------------------------------------------
def _gather_infer(node, ins):
    (t, s), (ti, si) = known(node, ins[0], "data"), known(node, ins[1], "indices")
    check_dtype(node, ti, INDEX, "indices")
    if not s:
        raise fail(node, "data must have rank >= 1")
    axis = normalize_axis(node, attrs_of(node)["axis"], len(s))
    return [(t, s[:axis] + tuple(si) + s[axis + 1:])]


def _gather_reference(inputs, attrs):
    data, idx = inputs
    n = data.shape[attrs["axis"]]
    if np.any((idx < -n) | (idx >= n)):
        raise IndexError(f"Gather index out of range [-{n}, {n}): {idx.ravel()[:8]}")
    return [np.take(data, idx.astype(np.int64), axis=attrs["axis"])]


def shape_range(rank, attrs):
    start, end = attrs["start"], attrs["end"]
    start = min(max(start + rank if start < 0 else start, 0), rank)
    end = min(max(end + rank if end < 0 else end, 0), rank)
    return start, max(start, end)


def _shape_infer(node, ins):
    _, s = known(node, ins[0], "x")
    start, end = shape_range(len(s), attrs_of(node))
    return [("int64", (end - start,))]


def _shape_reference(inputs, attrs):
    start, end = shape_range(inputs[0].ndim, attrs)
    return [np.array(inputs[0].shape[start:end], dtype=np.int64)]


def _constant_of_shape_infer(node, ins):
    t, s = known(node, ins[0], "shape")
    at = attrs_of(node)
    if t != "int64" or len(s) != 1 or not ins[0].is_const:
        raise fail(node, f"input 'shape' must be a constant 1-D int64 tensor (got {t}{shape_str(s)}, "
                         f"{'constant' if ins[0].is_const else 'not constant'})")
    if at["dtype"] not in DTYPE_BY_CODE or len(at["value"]) != 1:
        raise fail(node, f"dtype code {at['dtype']} unknown or value {at['value']} is not one number")
    dims = [int(d) for d in ins[0].const]
    if min(dims, default=0) < 0:
        raise fail(node, f"shape {dims} has a negative dim")
    return [(DTYPE_BY_CODE[at["dtype"]], tuple(dims))]


def _constant_of_shape_reference(inputs, attrs):
    dtype = np_dtype(DTYPE_BY_CODE[attrs["dtype"]])
    return [np.full(tuple(int(d) for d in inputs[0]), attrs["value"][0]).astype(dtype)]


define("Concat", 100, "tensor", ("inputs*",), ("y",), {"axis": Attr("int")}, infer=_concat_infer,
       reference=lambda ins, attrs: [np.concatenate(ins, axis=attrs["axis"])])
define("Reshape", 101, "tensor", ("x",), ("y",), {"shape": Attr("ints"), "allowzero": Attr("int", 0)},
       infer=_reshape_infer, reference=_reshape_reference)
define("Transpose", 102, "tensor", ("x",), ("y",), {"perm": Attr("ints")}, infer=_transpose_infer,
       reference=lambda ins, attrs: [np.asarray(np.transpose(ins[0], attrs["perm"]), order="C")])
define("Slice", 103, "tensor", ("x",), ("y",), {
    "starts": Attr("ints"), "ends": Attr("ints"), "axes": Attr("ints", []), "steps": Attr("ints", []),
}, infer=_slice_infer, reference=_slice_reference)
define("Split", 104, "tensor", ("x",), ("outputs*",), {"axis": Attr("int", 0), "split": Attr("ints")},
       infer=_split_infer, reference=_split_reference)
define("Pad", 105, "tensor", ("x",), ("y",), {
    "pads": Attr("ints"), "mode": Attr("int", 0), "value": Attr("float", 0.0),
}, infer=_pad_infer, reference=_pad_reference)
define("Resize", 106, "tensor", ("x",), ("y",), {
    "mode": Attr("int", 0), "coordinate_transformation_mode": Attr("int", 0), "nearest_mode": Attr("int", 0),
    "cubic_coeff_a": Attr("float", -0.75), "exclude_outside": Attr("int", 0),
    "extrapolation_value": Attr("float", 0.0), "scales": Attr("floats"), "sizes": Attr("ints"),
}, infer=_resize_infer, reference=_resize_reference)
define("Gather", 107, "tensor", ("data", "indices"), ("y",), {"axis": Attr("int", 0)}, infer=_gather_infer,
       reference=_gather_reference)
define("Shape", 108, "tensor", ("x",), ("y",), {"start": Attr("int", 0), "end": Attr("int", 2**62)},
       runtime=False, infer=_shape_infer, reference=_shape_reference)
define("ConstantOfShape", 109, "tensor", ("shape",), ("y",), {"value": Attr("floats", [0.0]),
                                                              "dtype": Attr("int", 1)}, runtime=False,
       infer=_constant_of_shape_infer, reference=_constant_of_shape_reference)
