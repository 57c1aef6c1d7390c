"""Shape and data-movement ops (layout-agnostic: they work on any axes).

Concat(axis); Reshape(shape: ONNX semantics, 0 copies the input dim, one -1 is inferred);
Transpose(perm); Slice(starts, ends, axes, steps: ONNX clamping, negative steps);
Split(axis, split sizes) -> n outputs; Pad(pads [begin..., end...], mode 0 constant /
1 reflect / 2 edge, value; negative pads crop); Resize (see below); Gather(axis) with
int32/int64 indices (negative wrap; out of range is a runtime error);
Shape(start, end), Size and ConstantOfShape(value, dtype); Range, Expand, Tile;
index ops GatherElements, GatherND(batch_dims), ScatterElements and ScatterND
(reduction 0 none, 1 add, 2 mul, 3 max, 4 min), OneHot(depth, axis), TopK(k,
axis, largest, sorted; ties keep the lower index first), Trilu(upper, k),
CumSum(axis, exclusive, reverse). Every index is checked: out of range (after
negative indices wrap) is an error naming the op, the index and the bound.

Parameters that ONNX passes as inputs (Reshape's shape, Slice's bounds, Split's
sizes, ConstantOfShape's shape) are attributes when they are constants at
conversion; when they are computed at run time the node takes them as an
extra input instead, which takes precedence over the attribute. The runtime
must then know the value while planning (a shape subgraph it evaluates
then); the Python infer gives the sizes that depend on it fresh symbolic dims.

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
    broadcast_shapes,
    check_dtype,
    dims_equal,
    fail,
    fresh_dim,
    is_sym,
    known,
    normalize_axis,
    prod,
    shape_str,
    static_dim,
)


# ---- parameters given as attributes or as (run-time) inputs ---------------------------
def param_ints(node, ins, index: int, name: str, role: str = ""):
    """A parameter given as input ``index`` (which wins) or attribute ``name``:
    a list of ints, or None when the input's value is known only at run time."""
    v = ins[index] if index < len(ins) else None
    if v is None:
        value = attrs_of(node)[name]
        return None if value is None else [int(a) for a in np.asarray(value).reshape(-1)]
    t, s = known(node, v, role or name)
    check_dtype(node, t, INDEX, role or name)
    if len(s) > 1:
        raise fail(node, f"input {role or name!r} must be a scalar or 1-D, got shape {shape_str(s)}")
    if v.const is None:
        return None
    return [int(a) for a in np.asarray(v.const).reshape(-1)]


def param_len(node, ins, index: int, role: str) -> int:
    """Static element count of a 1-D parameter input whose value is not known yet."""
    _, s = known(node, ins[index], role)
    return 1 if not s else static_dim(node, s[0], f"length of input {role!r}")


def input_ints(inputs, index: int, attrs, name: str) -> list:
    """Reference side of param_ints: the input's values if given, else the attribute."""
    if index < len(inputs) and inputs[index] is not None:
        return [int(a) for a in np.asarray(inputs[index]).reshape(-1)]
    return [int(a) for a in np.asarray(attrs[name]).reshape(-1)]


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
    if len(ins) < 2 or ins[1] is None:
        if "shape" not in node.attrs:
            raise fail(node, "needs the target shape as attribute 'shape' or as input 'shape'")
    target = param_ints(node, ins, 1, "shape")
    if target is None:  # computed at run time: only the rank is known now
        return [(t, tuple(fresh_dim(node, i) for i in range(param_len(node, ins, 1, "shape"))))]
    allowzero = at["allowzero"]
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
    target = input_ints(inputs, 1, attrs, "shape")
    shape = [x.shape[i] if d == 0 and not attrs["allowzero"] else d for i, d in enumerate(target)]
    return [x.reshape(shape)]


# ---- Transpose ---------------------------------------------------------------------
def _transpose_infer(node, ins):
    t, s = known(node, ins[0], "x")
    perm = list(attrs_of(node)["perm"])
    if sorted(perm) != list(range(len(s))):
        raise fail(node, f"perm {perm} is not a permutation of the {len(s)} axes of x {shape_str(s)}")
    return [(t, tuple(s[p] for p in perm))]


# ---- Slice -------------------------------------------------------------------------
def _slice_params(node, rank, attrs, given=None):
    """Per sliced axis: (axis, start, end, step), validated (ends are unclamped).
    given: (starts, ends, axes, steps) read from inputs or attributes."""
    starts, ends, axes, steps = given if given is not None else (attrs["starts"], attrs["ends"], attrs["axes"],
                                                                  attrs["steps"])
    starts, ends = list(starts), list(ends)
    axes = list(axes) or list(range(len(starts)))
    steps = list(steps) or [1] * len(starts)
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


_SLICE_PARAMS = ("starts", "ends", "axes", "steps")


def _slice_infer(node, ins):
    t, s = known(node, ins[0], "x")
    out = list(s)
    given = [param_ints(node, ins, i + 1, p) for i, p in enumerate(_SLICE_PARAMS)]
    for i, p in enumerate(_SLICE_PARAMS[:2]):
        if i + 1 >= len(ins) or ins[i + 1] is None:
            if p not in node.attrs:
                raise fail(node, f"needs {p!r} as an attribute or an input")
    if any(g is None for g in given):  # some bound is computed at run time
        if given[2] is None:
            return [(t, tuple(fresh_dim(node, a) for a in range(len(s))))]
        axes = given[2] or list(range(param_len(node, ins, 1, "starts") if given[0] is None else len(given[0])))
        for a in axes:
            a = normalize_axis(node, a, len(s), "slice axis")
            out[a] = fresh_dim(node, a)
        return [(t, tuple(out))]
    for axis, start, end, step in _slice_params(node, len(s), attrs_of(node), given):
        if is_sym(s[axis]):
            if not (start == 0 and step == 1 and end >= 2**31 - 1):  # else the whole axis: the dim passes through
                out[axis] = fresh_dim(node, axis)  # known once the runtime plans the input shapes
            continue
        out[axis] = clamp_slice(int(s[axis]), start, end, step)[3]
    return [(t, tuple(out))]


def _slice_reference(inputs, attrs):
    x = inputs[0]
    index = [slice(None)] * x.ndim
    starts, ends, axes, steps = (input_ints(inputs, i + 1, attrs, p) for i, p in enumerate(_SLICE_PARAMS))
    for axis, start, end, step in zip(axes or range(len(starts)), starts, ends, steps or [1] * len(starts)):
        axis %= x.ndim
        index[axis] = slice(*clamp_slice(x.shape[axis], start, end, step)[:3])
    return [x[tuple(index)]]


# ---- Split -------------------------------------------------------------------------
def _split_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    axis = normalize_axis(node, at["axis"], len(s))
    split = param_ints(node, ins, 1, "split")
    if split is None:  # sizes computed at run time
        return [(t, s[:axis] + (fresh_dim(node, i, "split"),) + s[axis + 1:]) for i in range(len(node.outputs))]
    dim = static_dim(node, s[axis], f"split axis {axis}")
    if len(split) != len(node.outputs) or sum(split) != dim or min(split) < 0:
        raise fail(node, f"split {split} must have one size per output ({len(node.outputs)}) summing to "
                         f"dim {dim} of axis {axis}")
    return [(t, s[:axis] + (n,) + s[axis + 1:]) for n in split]


def _split_reference(inputs, attrs):
    return np.split(inputs[0], np.cumsum(input_ints(inputs, 1, attrs, "split"))[:-1], axis=attrs["axis"])


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


def _size_infer(node, ins):
    known(node, ins[0], "x")
    return [("int64", ())]


def _constant_of_shape_infer(node, ins):
    t, s = known(node, ins[0], "shape")
    at = attrs_of(node)
    if t != "int64" or len(s) != 1:
        raise fail(node, f"input 'shape' must be a 1-D int64 tensor (got {t}{shape_str(s)})")
    if at["dtype"] not in DTYPE_BY_CODE or len(at["value"]) != 1:
        raise fail(node, f"dtype code {at['dtype']} unknown or value {at['value']} is not one number")
    if not ins[0].is_const:  # computed at run time (the runtime knows it while planning)
        n = static_dim(node, s[0], "length of input 'shape'")
        return [(DTYPE_BY_CODE[at["dtype"]], tuple(fresh_dim(node, i) for i in range(n)))]
    dims = [int(d) for d in ins[0].const]
    if min(dims, default=0) < 0:
        raise fail(node, f"shape {dims} has a negative dim")
    return [(DTYPE_BY_CODE[at["dtype"]], tuple(dims))]


def _constant_of_shape_reference(inputs, attrs):
    dtype = np_dtype(DTYPE_BY_CODE[attrs["dtype"]])
    return [np.full(tuple(int(d) for d in inputs[0]), attrs["value"][0]).astype(dtype)]


define("Concat", 100, "tensor", ("inputs*",), ("y",), {"axis": Attr("int")}, infer=_concat_infer,
       reference=lambda ins, attrs: [np.concatenate(ins, axis=attrs["axis"])])
define("Reshape", 101, "tensor", ("x", "shape?"), ("y",), {"shape": Attr("ints", []), "allowzero": Attr("int", 0)},
       infer=_reshape_infer, reference=_reshape_reference)
define("Transpose", 102, "tensor", ("x",), ("y",), {"perm": Attr("ints")}, infer=_transpose_infer,
       reference=lambda ins, attrs: [np.asarray(np.transpose(ins[0], attrs["perm"]), order="C")])
define("Slice", 103, "tensor", ("x", "starts?", "ends?", "axes?", "steps?"), ("y",), {
    "starts": Attr("ints", []), "ends": Attr("ints", []), "axes": Attr("ints", []), "steps": Attr("ints", []),
}, infer=_slice_infer, reference=_slice_reference)
define("Split", 104, "tensor", ("x", "split?"), ("outputs*",), {"axis": Attr("int", 0), "split": Attr("ints", [])},
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
       infer=_shape_infer, reference=_shape_reference)
define("ConstantOfShape", 109, "tensor", ("shape",), ("y",), {"value": Attr("floats", [0.0]),
                                                              "dtype": Attr("int", 1)},
       infer=_constant_of_shape_infer, reference=_constant_of_shape_reference)
define("Size", 110, "tensor", ("x",), ("y",), infer=_size_infer,
       reference=lambda ins, attrs: [np.array(ins[0].size, np.int64)])


# ---- Range, Expand, Tile ------------------------------------------------------------------------
def _scalar_param(node, v, role):
    t, s = known(node, v, role)
    if len(s) > 1 or (len(s) == 1 and s[0] != 1):
        raise fail(node, f"input {role!r} must be a scalar, got shape {shape_str(s)}")
    return t, (None if v.const is None else np.asarray(v.const).reshape(-1)[0])


def range_length(start, limit, delta) -> int:
    """ONNX Range: max(ceil((limit - start) / delta), 0) elements."""
    if delta == 0:
        raise ValueError("Range delta is 0")
    return max(int(math.ceil((float(limit) - float(start)) / float(delta))), 0) if isinstance(
        start, (float, np.floating)) else max(-(-(int(limit) - int(start)) // int(delta)), 0)


def _range_infer(node, ins):
    typed = [_scalar_param(node, v, r) for v, r in zip(ins, ("start", "limit", "delta"))]
    t = typed[0][0]
    if t not in ("float32", "int32", "int64") or any(tt != t for tt, _ in typed):
        raise fail(node, f"start/limit/delta must share one dtype of float32, int32, int64; got "
                         f"{[tt for tt, _ in typed]}")
    values = [v for _, v in typed]
    if any(v is None for v in values):
        return [(t, (fresh_dim(node, 0, "n"),))]
    if values[2] == 0:
        raise fail(node, "delta is 0")
    return [(t, (range_length(*values),))]


def _range_reference(inputs, attrs):
    start, limit, delta = (np.asarray(a).reshape(-1)[0] for a in inputs)
    n = range_length(start, limit, delta)
    return [(start + np.arange(n, dtype=np.float64 if start.dtype.kind == "f" else np.int64) * delta)
            .astype(inputs[0].dtype)]


def _expand_infer(node, ins):
    t, s = known(node, ins[0], "x")
    if (len(ins) < 2 or ins[1] is None) and "shape" not in node.attrs:
        raise fail(node, "needs the target shape as attribute 'shape' or as input 'shape'")
    target = param_ints(node, ins, 1, "shape")
    if target is None:
        n = max(param_len(node, ins, 1, "shape"), len(s))
        return [(t, tuple(fresh_dim(node, i) for i in range(n)))]
    if min(target, default=0) < 0:
        raise fail(node, f"shape {target} has a negative dim")
    return [(t, broadcast_shapes(node, s, tuple(target)))]


def _expand_reference(inputs, attrs):
    x = inputs[0]
    shape = np.broadcast_shapes(x.shape, tuple(input_ints(inputs, 1, attrs, "shape")))
    return [np.ascontiguousarray(np.broadcast_to(x, shape))]


def _tile_infer(node, ins):
    t, s = known(node, ins[0], "x")
    reps = param_ints(node, ins, 1, "repeats")
    if reps is None:
        return [(t, tuple(fresh_dim(node, i) for i in range(len(s))))]
    if len(reps) != len(s) or min(reps, default=0) < 0:
        raise fail(node, f"repeats {reps} must have one value >= 0 per axis of x {shape_str(s)}")
    return [(t, tuple(d if r == 1 else (f"{d}*{r}" if is_sym(d) else int(d) * r) for d, r in zip(s, reps)))]


# ---- GatherElements, GatherND, ScatterElements, ScatterND ---------------------------------------
REDUCTIONS = ("none", "add", "mul", "max", "min")


def _wrap_indices(op, idx, bound):
    """Negative indices wrap once; anything else outside [0, bound) is an IndexError."""
    idx = np.asarray(idx).astype(np.int64)
    bad = (idx < -bound) | (idx >= bound)
    if np.any(bad):
        raise IndexError(f"{op}: index {int(idx[bad].ravel()[0])} is out of range [-{bound}, {bound})")
    return np.where(idx < 0, idx + bound, idx)


def _index_input(node, ins, k, role):
    t, s = known(node, ins[k], role)
    check_dtype(node, t, INDEX, role)
    return s


def _gather_elements_infer(node, ins):
    t, s = known(node, ins[0], "data")
    si = _index_input(node, ins, 1, "indices")
    if len(si) != len(s) or not s:
        raise fail(node, f"indices {shape_str(si)} must have the rank of data {shape_str(s)} (>= 1)")
    normalize_axis(node, attrs_of(node)["axis"], len(s))
    return [(t, tuple(si))]


def _gather_elements_reference(inputs, attrs):
    data, idx = inputs
    axis = attrs["axis"] % data.ndim
    return [np.take_along_axis(data, _wrap_indices("GatherElements", idx, data.shape[axis]), axis=axis)]


def _gather_nd_infer(node, ins):
    t, s = known(node, ins[0], "data")
    si = _index_input(node, ins, 1, "indices")
    b = attrs_of(node)["batch_dims"]
    if not si or b < 0 or b >= min(len(s), len(si)):
        raise fail(node, f"batch_dims {b} must be < rank of data {shape_str(s)} and of indices {shape_str(si)}")
    k = static_dim(node, si[-1], "last dim of indices")
    if not 1 <= k <= len(s) - b:
        raise fail(node, f"last dim of indices {shape_str(si)} must be in 1..{len(s) - b}")
    return [(t, tuple(si[:-1]) + tuple(s[b + k:]))]


def _gather_nd_reference(inputs, attrs):
    data, idx = inputs
    b = attrs["batch_dims"]
    k = idx.shape[-1]
    batch = data.shape[:b]
    nb = prod(batch)
    d = data.reshape((nb,) + data.shape[b:])
    ix = idx.reshape((nb, -1, k)).astype(np.int64)
    out = np.empty((nb, ix.shape[1]) + data.shape[b + k:], data.dtype)
    for a in range(k):
        ix[..., a] = _wrap_indices("GatherND", ix[..., a], data.shape[b + a])
    for n in range(nb):
        for j in range(ix.shape[1]):
            out[n, j] = d[n][tuple(ix[n, j])]
    return [out.reshape(idx.shape[:-1] + data.shape[b + k:])]


def _scatter_check(node):
    red = attrs_of(node)["reduction"]
    if red not in range(len(REDUCTIONS)):
        raise fail(node, f"reduction {red} unknown (0 none, 1 add, 2 mul, 3 max, 4 min)")


def _scatter_elements_infer(node, ins):
    t, s = known(node, ins[0], "data")
    si = _index_input(node, ins, 1, "indices")
    tu, su = known(node, ins[2], "updates")
    _scatter_check(node)
    if tu != t or len(si) != len(s) or not s or not all(dims_equal(a, b) for a, b in zip(si, su)) or \
            len(su) != len(si):
        raise fail(node, f"data {t}{shape_str(s)}, indices {shape_str(si)} and updates {tu}{shape_str(su)} must "
                         f"share rank (indices and updates also shape, data and updates dtype)")
    normalize_axis(node, attrs_of(node)["axis"], len(s))
    return [(t, tuple(s))]


def _combine(red, old, new):
    return {"none": lambda: new, "add": lambda: old + new, "mul": lambda: old * new,
            "max": lambda: np.maximum(old, new), "min": lambda: np.minimum(old, new)}[red]()


def _scatter_elements_reference(inputs, attrs):
    data, idx, upd = inputs
    axis, red = attrs["axis"] % data.ndim, REDUCTIONS[attrs["reduction"]]
    idx = _wrap_indices("ScatterElements", idx, data.shape[axis])
    out = data.copy()
    for pos in np.ndindex(*idx.shape):  # in order: later duplicates win / accumulate
        at = list(pos)
        at[axis] = idx[pos]
        out[tuple(at)] = _combine(red, out[tuple(at)], upd[pos])
    return [out]


def _scatter_nd_infer(node, ins):
    t, s = known(node, ins[0], "data")
    si = _index_input(node, ins, 1, "indices")
    tu, su = known(node, ins[2], "updates")
    _scatter_check(node)
    k = static_dim(node, si[-1], "last dim of indices") if si else 0
    want = tuple(si[:-1]) + tuple(s[k:])
    if tu != t or not si or not 1 <= k <= len(s) or len(su) != len(want) or \
            not all(dims_equal(a, b) or is_sym(a) or is_sym(b) for a, b in zip(su, want)):
        raise fail(node, f"updates {tu}{shape_str(su)} must be {t}{shape_str(want)} for data {shape_str(s)} and "
                         f"indices {shape_str(si)}")
    return [(t, tuple(s))]


def _scatter_nd_reference(inputs, attrs):
    data, idx, upd = inputs
    red = REDUCTIONS[attrs["reduction"]]
    k = idx.shape[-1]
    ix = idx.reshape(-1, k).astype(np.int64)
    for a in range(k):
        ix[:, a] = _wrap_indices("ScatterND", ix[:, a], data.shape[a])
    u = upd.reshape((ix.shape[0],) + data.shape[k:])
    out = data.copy()
    for j in range(ix.shape[0]):
        out[tuple(ix[j])] = _combine(red, out[tuple(ix[j])], u[j])
    return [out]


# ---- OneHot, TopK, Trilu, CumSum ----------------------------------------------------------------
def _onehot_infer(node, ins):
    ti, si = known(node, ins[0], "indices")
    check_dtype(node, ti, ("int32", "int64", "float32"), "indices")  # ONNX allows float indices (truncated)
    tv, sv = known(node, ins[1], "values")
    if len(sv) != 1 or sv[0] != 2:
        raise fail(node, f"values must be [off, on] (shape [2]), got {shape_str(sv)}")
    axis = normalize_axis(node, attrs_of(node)["axis"], len(si) + 1)
    if len(ins) > 2 and ins[2] is not None:
        td, _ = _scalar_param(node, ins[2], "depth")
        depth = ins[2].const
        depth = fresh_dim(node, 0, "depth") if depth is None else int(np.asarray(depth).reshape(-1)[0])
    else:
        depth = attrs_of(node)["depth"]
    if not is_sym(depth) and depth < 1:
        raise fail(node, f"depth {depth} must be >= 1")
    return [(tv, tuple(si[:axis]) + (depth,) + tuple(si[axis:]))]


def _onehot_reference(inputs, attrs):
    idx, values = inputs[0], inputs[1]
    depth = int(np.asarray(inputs[2]).reshape(-1)[0]) if len(inputs) > 2 and inputs[2] is not None \
        else attrs["depth"]
    axis = attrs["axis"] % (idx.ndim + 1)
    idx = idx.astype(np.int64)
    idx = np.where(idx < 0, idx + depth, idx)  # still out of range: an all-off row, as ONNX says
    hot = np.expand_dims(idx, axis) == np.arange(depth).reshape((-1,) + (1,) * (idx.ndim - axis))
    return [np.where(hot, values[1], values[0]).astype(values.dtype)]


def _topk_infer(node, ins):
    t, s = known(node, ins[0], "x")
    check_dtype(node, t, ("float32", "int32", "int64"), "x")
    if not s:
        raise fail(node, "x must have rank >= 1")
    axis = normalize_axis(node, attrs_of(node)["axis"], len(s))
    if len(ins) > 1 and ins[1] is not None:
        _, k = _scalar_param(node, ins[1], "k")
    else:
        k = attrs_of(node)["k"]
    if k is None:
        k = fresh_dim(node, 0, "k")
    else:
        k = int(k)
        if k < 0 or (not is_sym(s[axis]) and k > int(s[axis])):
            raise fail(node, f"k {k} must be in 0..{s[axis]} (axis {axis} of x {shape_str(s)})")
    out = tuple(s[:axis]) + (k,) + tuple(s[axis + 1:])
    return [(t, out), ("int64", out)]


def _topk_reference(inputs, attrs):
    x = inputs[0]
    k = int(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 and inputs[1] is not None else attrs["k"]
    axis = attrs["axis"] % x.ndim
    # a stable sort of -x (largest) keeps equal values in index order, as onnxruntime does
    key = -x.astype(np.float64) if attrs["largest"] else x.astype(np.float64)
    order = np.argsort(key, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return [np.take_along_axis(x, idx, axis=axis), idx.astype(np.int64)]


def _trilu_infer(node, ins):
    t, s = known(node, ins[0], "x")
    if len(s) < 2:
        raise fail(node, f"x must have rank >= 2, got {shape_str(s)}")
    if len(ins) > 1 and ins[1] is not None:
        _scalar_param(node, ins[1], "k")
    return [(t, tuple(s))]


def _trilu_reference(inputs, attrs):
    x = inputs[0]
    k = int(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 and inputs[1] is not None else attrs["k"]
    return [np.triu(x, k) if attrs["upper"] else np.tril(x, k)]


def _cumsum_infer(node, ins):
    t, s = known(node, ins[0], "x")
    check_dtype(node, t, ("float32", "int32", "int64"), "x")
    if not s:
        raise fail(node, "x must have rank >= 1")
    if len(ins) > 1 and ins[1] is not None:
        _, axis = _scalar_param(node, ins[1], "axis")
        check_dtype(node, ins[1].dtype, INDEX, "axis")
    else:
        axis = attrs_of(node)["axis"]
    if axis is not None:
        normalize_axis(node, int(axis), len(s))
    return [(t, tuple(s))]


def _cumsum_reference(inputs, attrs):
    x = inputs[0]
    axis = int(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 and inputs[1] is not None \
        else attrs["axis"]
    axis %= x.ndim
    y = np.flip(x, axis) if attrs["reverse"] else x
    wide = y.astype(np.float64) if y.dtype.kind == "f" else y
    c = np.cumsum(wide, axis=axis)
    if attrs["exclusive"]:
        c = c - wide
    c = c.astype(x.dtype)
    return [np.ascontiguousarray(np.flip(c, axis) if attrs["reverse"] else c)]


define("Range", 111, "tensor", ("start", "limit", "delta"), ("y",), infer=_range_infer, reference=_range_reference)
define("Expand", 112, "tensor", ("x", "shape?"), ("y",), {"shape": Attr("ints", [])}, infer=_expand_infer,
       reference=_expand_reference)
define("Tile", 113, "tensor", ("x", "repeats?"), ("y",), {"repeats": Attr("ints", [])}, infer=_tile_infer,
       reference=lambda ins, attrs: [np.tile(ins[0], input_ints(ins, 1, attrs, "repeats"))])
define("GatherElements", 114, "tensor", ("data", "indices"), ("y",), {"axis": Attr("int", 0)},
       infer=_gather_elements_infer, reference=_gather_elements_reference)
define("GatherND", 115, "tensor", ("data", "indices"), ("y",), {"batch_dims": Attr("int", 0)},
       infer=_gather_nd_infer, reference=_gather_nd_reference)
define("ScatterElements", 116, "tensor", ("data", "indices", "updates"), ("y",), {
    "axis": Attr("int", 0), "reduction": Attr("int", 0)}, infer=_scatter_elements_infer,
       reference=_scatter_elements_reference)
define("ScatterND", 117, "tensor", ("data", "indices", "updates"), ("y",), {"reduction": Attr("int", 0)},
       infer=_scatter_nd_infer, reference=_scatter_nd_reference)
define("Trilu", 118, "tensor", ("x", "k?"), ("y",), {"upper": Attr("int", 1), "k": Attr("int", 0)},
       infer=_trilu_infer, reference=_trilu_reference)
define("CumSum", 119, "tensor", ("x", "axis?"), ("y",), {
    "axis": Attr("int", 0), "exclusive": Attr("int", 0), "reverse": Attr("int", 0)}, infer=_cumsum_infer,
       reference=_cumsum_reference)
define("OneHot", 150, "tensor", ("indices", "values", "depth?"), ("y",), {"depth": Attr("int", 0),
                                                                          "axis": Attr("int", -1)},
       infer=_onehot_infer, reference=_onehot_reference)
define("TopK", 151, "tensor", ("x", "k?"), ("values", "indices"), {
    "k": Attr("int", 0), "axis": Attr("int", -1), "largest": Attr("int", 1), "sorted": Attr("int", 1)},
       infer=_topk_infer, reference=_topk_reference)
