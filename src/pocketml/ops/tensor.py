"""Shape and data-movement ops (they move elements by size: any dtype).

Concat(axis); Reshape(shape: ONNX semantics, 0 copies the input dim, one -1 is inferred);
Transpose(perm); Slice(starts, ends, axes, steps: ONNX clamping, negative steps);
Split(axis, split sizes) -> n outputs; Pad(pads [begin..., end...], mode 0 constant /
1 reflect / 2 edge, value; negative pads crop); Shape(start, end), Size and
ConstantOfShape(value, dtype); EyeLike(k, dtype): ones on diagonal k of a 2-D x's shape;
Expand, Tile.
DepthToSpace / SpaceToDepth(blocksize, mode 0 DCR / 1 CRD) on NHWC [N, H, W, C] (the importer
wraps ONNX's NCHW in transposes): DCR orders the moved channels (row, column, depth),
CRD (depth, row, column).

Parameters that ONNX passes as inputs (Reshape's shape, Slice's bounds, Split's
sizes, ConstantOfShape's shape) are attributes when they are constants at
conversion; when they are computed at run time the node takes them as an
extra input instead, which takes precedence over the attribute. The runtime
must then know the value while planning (a shape subgraph it evaluates
then); the Python infer gives the sizes that depend on it fresh symbolic dims.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import DTYPE_BY_CODE, np_dtype
from .registry import Attr, define
from ._common import (
    input_ints,
    param_len,
    ANY,
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
from .resize import COORD_MODES, NEAREST_MODES, RESIZE_MODES  # noqa: F401  (re-exported for the importers)


# ---- parameters given as attributes or as (run-time) inputs ---------------------------
def param_ints(node, ins, index: int, name: str, role: str = ""):
    """A parameter given as input ``index`` (which wins) or attribute ``name``:
    a list of ints, or None when the input's value is known only at run time."""
    v = ins[index] if index < len(ins) else None
    if v is None:
        value = attrs_of(node)[name]
        return None if value is None else [int(a) for a in np.asarray(value).reshape(-1).tolist()]
    t, s = known(node, v, role or name)
    check_dtype(node, t, INDEX, role or name)
    if len(s) > 1:
        raise fail(node, f"input {role or name!r} must be a scalar or 1-D, got shape {shape_str(s)}")
    if v.const is None:
        return None
    return [int(a) for a in np.asarray(v.const).reshape(-1).tolist()]  # (Python numbers convert faster)


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

    def problem() -> str:  # (worded only for an error: every Reshape infers)
        return f"cannot reshape {shape_str(s)} to {target}"

    if out_sym:
        raise fail(node, f"{problem()}: symbolic dims {out_sym} are not in the input")
    if infer_at is None:
        if in_sym or in_static != out_static:
            raise fail(node, f"{problem()}: element counts differ")
    elif in_sym:
        if out_static == 0:
            raise fail(node, f"{problem()}: the -1 dim is not a whole multiple of {in_sym}")
        if in_static % out_static:  # e.g. [n, m] to [-1, 128]: whether it divides is known only at run time
            out[infer_at] = fresh_dim(node, infer_at)
            return [(t, tuple(out))]
        ratio = in_static // out_static
        out[infer_at] = "*".join(in_sym + ([str(ratio)] if ratio != 1 else []))
    else:
        if out_static == 0 or in_static % out_static:
            raise fail(node, f"{problem()}: {in_static} elements do not divide into {out_static}")
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
PAD_MODES = {0: "constant", 1: "reflect", 2: "edge", 3: "wrap"}


def _full_pads(pads, axes, rank) -> list:
    """Begin/end pads of every axis from pads given for ``axes`` (all when empty)."""
    axes = [a % rank for a in axes] if axes else list(range(rank))
    if len(pads) != 2 * len(axes):
        return list(pads)  # the caller reports the count
    full = [0] * (2 * rank)
    for k, a in enumerate(axes):
        full[a], full[a + rank] = pads[k], pads[k + len(axes)]
    return full


def _pad_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    if len(ins) > 2 and ins[2] is not None and (ins[2].dtype != t or prod(ins[2].shape or ()) != 1):
        raise fail(node, f"constant_value must be one {t} element")
    runtime = [i for i in (1, 3) if len(ins) > i and ins[i] is not None and not ins[i].is_const]
    if runtime:  # pads or axes computed at run time: the runtime plans the sizes
        return [(t, tuple(fresh_dim(node, i) for i in range(len(s))))]
    given = [len(ins) > i and ins[i] is not None for i in (1, 3)]
    axes = [int(v) for v in ins[3].const.reshape(-1)] if given[1] else list(at["axes"])
    pads = [int(v) for v in ins[1].const.reshape(-1)] if given[0] else list(at["pads"])
    pads, rank = _full_pads(pads, axes, len(s)), len(s)
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
                (at["mode"] in (2, 3) and d == 0 and extra > 0) or (at["mode"] == 3 and min(pads[i], pads[i + rank]) < 0):
            raise fail(node, f"pads {pads} are invalid for dim {i} of size {d} in {PAD_MODES[at['mode']]} mode")
        out.append(d + extra)
    return [(t, tuple(out))]


def _pad_reference(inputs, attrs):
    x = inputs[0]
    pads = _full_pads(input_ints(inputs, 1, attrs, "pads"), input_ints(inputs, 3, attrs, "axes"), x.ndim)
    if len(inputs) > 2 and inputs[2] is not None:  # a run-time constant_value
        attrs = {**attrs, "value_int": [], **fill_attrs(inputs[2], x.dtype)}
    r = x.ndim
    # negative pads crop first; the rest is an ordinary numpy pad
    x = x[tuple(slice(max(0, -pads[i]), x.shape[i] - max(0, -pads[i + r])) for i in range(r))]
    width = [(max(0, pads[i]), max(0, pads[i + r])) for i in range(r)]
    mode = PAD_MODES[attrs["mode"]]
    kw = {"constant_values": fill_scalar(attrs["value"], attrs["value_int"], x.dtype)} if mode == "constant" else {}
    return [np.pad(x, width, mode=mode, **kw)]


def fill_attrs(value, dtype) -> dict:
    """Pad's / ConstantOfShape's fill value as attributes: ``value`` (a float,
    exact for the float dtypes) and, for integer and bool dtypes, ``value_int``
    (the exact value as one int64; uint64 values above 2**63 wrap, so the
    element's bits survive). float32 holds integers exactly only up to 2**24."""
    number = np.asarray(value).reshape(-1)[0]
    attrs = {"value": float(number)}
    if np.dtype(dtype).kind in "iub":
        attrs["value_int"] = [int(np.asarray(number).astype(np.uint64).view(np.int64)) if np.dtype(dtype).kind == "u"
                              else int(number)]
    return attrs


def fill_scalar(value, value_int, dtype) -> np.ndarray:
    """The fill element of dtype: value_int when given for an integer/bool dtype, else value."""
    dtype = np.dtype(dtype)
    if value_int and dtype.kind in "iub":
        return np.array(value_int[0], np.int64).astype(dtype)  # wraps to the dtype's width
    return np.asarray(value).astype(dtype)


# ---- Shape, Size, ConstantOfShape ----------------------------------------------------
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
    if DTYPE_BY_CODE.get(at["dtype"]) not in ANY or len(at["value"]) != 1:
        raise fail(node, f"dtype code {at['dtype']} unknown or value {at['value']} is not one number")
    if not ins[0].is_const:  # computed at run time (the runtime knows it while planning)
        n = param_len(node, ins, 0, "shape")
        return [(DTYPE_BY_CODE[at["dtype"]], tuple(fresh_dim(node, i) for i in range(n)))]
    dims = [int(d) for d in ins[0].const]
    if min(dims, default=0) < 0:
        raise fail(node, f"shape {dims} has a negative dim")
    return [(DTYPE_BY_CODE[at["dtype"]], tuple(dims))]


def _constant_of_shape_reference(inputs, attrs):
    dtype = np_dtype(DTYPE_BY_CODE[attrs["dtype"]])
    # a read-only broadcast view: a 400 MB filler weight costs nothing until its bytes are written
    value = fill_scalar(attrs["value"][0], attrs["value_int"], dtype)
    return [np.broadcast_to(value, tuple(int(d) for d in inputs[0]))]


def _eye_like_infer(node, ins):
    _, s = known(node, ins[0], "x")
    code = attrs_of(node)["dtype"]
    if len(s) != 2 or DTYPE_BY_CODE.get(code) not in ANY:
        raise fail(node, f"needs a 2-D x (got {shape_str(s)}) and a known dtype code (got {code})")
    return [(DTYPE_BY_CODE[code], tuple(s))]


def _eye_like_reference(inputs, attrs):
    rows, cols = inputs[0].shape
    return [np.eye(rows, cols, attrs["k"], dtype=np_dtype(DTYPE_BY_CODE[attrs["dtype"]]))]


# ---- Expand, Tile ------------------------------------------------------------------------
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


# Data movement: T is any dtype; I: int32/int64 parameter inputs (shape, starts, sizes...)
_MOVE = {"T": ANY, "I": INDEX}
define("Concat", 100, "tensor", ("inputs*: T",), ("y: T",), {"axis": Attr("int")}, types=_MOVE, traits=("quant_transparent",),
       infer=_concat_infer, reference=lambda ins, attrs: [np.concatenate(ins, axis=attrs["axis"])])
define("Reshape", 101, "tensor", ("x: T", "shape?: I"), ("y: T",),
       {"shape": Attr("ints", []), "allowzero": Attr("int", 0)}, types=_MOVE, traits=("quant_transparent",),
       plan_inputs=("shape",), infer=_reshape_infer, reference=_reshape_reference)
define("Transpose", 102, "tensor", ("x: T",), ("y: T",), {"perm": Attr("ints")}, types=_MOVE, traits=("quant_transparent",),
       infer=_transpose_infer,
       reference=lambda ins, attrs: [np.transpose(ins[0], attrs["perm"])])  # a view: folded weights copy once, when written
define("Slice", 103, "tensor", ("x: T", "starts?: I", "ends?: I", "axes?: I", "steps?: I"), ("y: T",), {
    "starts": Attr("ints", []), "ends": Attr("ints", []), "axes": Attr("ints", []), "steps": Attr("ints", []),
}, types=_MOVE, traits=("quant_transparent",), plan_inputs=("starts", "ends", "axes", "steps"), infer=_slice_infer, reference=_slice_reference)
define("Split", 104, "tensor", ("x: T", "split?: I"), ("outputs*: T",),
       {"axis": Attr("int", 0), "split": Attr("ints", [])}, types=_MOVE, traits=("quant_transparent",),
       plan_inputs=("split",), infer=_split_infer, reference=_split_reference)
define("Pad", 105, "tensor", ("x: T", "pads?: I64", "value?: T", "axes?: I64"), ("y: T",), {
    "pads": Attr("ints", []), "mode": Attr("int", 0), "value": Attr("float", 0.0), "value_int": Attr("ints", []),
    "axes": Attr("ints", []),
}, types={**_MOVE, "I64": ("int64",)}, traits=("quant_transparent",), plan_inputs=("pads", "axes"), infer=_pad_infer, reference=_pad_reference)
define("Shape", 108, "tensor", ("x: T",), ("y: I64",), {"start": Attr("int", 0), "end": Attr("int", 2**62)},
       types={"T": ANY, "I64": ("int64",)}, traits=("shape_only",), infer=_shape_infer, reference=_shape_reference)
# ConstantOfShape's output dtype is its dtype attribute (any dtype, as the runtime checks)
define("ConstantOfShape", 109, "tensor", ("shape: I64",), ("y: T",), {"value": Attr("floats", [0.0]),
                                                                      "value_int": Attr("ints", []),
                                                                      "dtype": Attr("int", 1)},
       types={"I64": ("int64",), "T": ANY}, plan_inputs=("shape",), infer=_constant_of_shape_infer,
       reference=_constant_of_shape_reference)
define("Size", 110, "tensor", ("x: T",), ("y: I64",), types={"T": ANY, "I64": ("int64",)}, traits=("shape_only",),
       infer=_size_infer, reference=lambda ins, attrs: [np.array(ins[0].size, np.int64)])
define("EyeLike", 205, "tensor", ("x: T1",), ("y: T2",), {"k": Attr("int", 0), "dtype": Attr("int")},
       types={"T1": ANY, "T2": ANY}, traits=("shape_only",), infer=_eye_like_infer, reference=_eye_like_reference)
define("Expand", 112, "tensor", ("x: T", "shape?: I"), ("y: T",), {"shape": Attr("ints", [])}, types=_MOVE, traits=("quant_transparent",),
       plan_inputs=("shape",), infer=_expand_infer, reference=_expand_reference)
define("Tile", 113, "tensor", ("x: T", "repeats?: I"), ("y: T",), {"repeats": Attr("ints", [])}, types=_MOVE, traits=("quant_transparent",),
       plan_inputs=("repeats",), infer=_tile_infer,
       reference=lambda ins, attrs: [np.tile(ins[0], input_ints(ins, 1, attrs, "repeats"))])


# ---- DepthToSpace / SpaceToDepth (NHWC) -----------------------------------------------
SPACE_DEPTH_MODES = {"DCR": 0, "CRD": 1}


def _space_depth_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    bs, mode = int(at["blocksize"]), int(at["mode"])
    if len(s) != 4 or bs < 1 or mode not in (0, 1):
        raise fail(node, f"needs a rank-4 NHWC x (got {shape_str(s)}), blocksize >= 1 (got {bs}) and mode 0 (DCR) "
                         f"or 1 (CRD) (got {mode})")
    n, h, w, c = s
    if node.op == "DepthToSpace":
        if not is_sym(c) and int(c) % (bs * bs):
            raise fail(node, f"channels {c} are not a multiple of blocksize^2 = {bs * bs}")
        grow = [d if bs == 1 else (f"{d}*{bs}" if is_sym(d) else int(d) * bs) for d in (h, w)]
        depth = c if bs == 1 else (fresh_dim(node, 3) if is_sym(c) else int(c) // (bs * bs))
        return [(t, (n, grow[0], grow[1], depth))]
    shrink = []
    for a, d in ((1, h), (2, w)):
        if not is_sym(d) and int(d) % bs:
            raise fail(node, f"spatial dim {d} (axis {a}) is not a multiple of blocksize {bs}")
        shrink.append(d if bs == 1 else (fresh_dim(node, a) if is_sym(d) else int(d) // bs))
    depth = c if bs == 1 else (f"{c}*{bs * bs}" if is_sym(c) else int(c) * bs * bs)
    return [(t, (n, shrink[0], shrink[1], depth))]


def _depth_to_space_reference(inputs, attrs):
    x, bs = inputs[0], attrs["blocksize"]
    n, h, w, c = x.shape
    if attrs["mode"] == 0:  # DCR: channel = (row * bs + col) * C' + depth
        t = x.reshape(n, h, w, bs, bs, c // bs**2).transpose(0, 1, 3, 2, 4, 5)
    else:  # CRD: channel = (depth * bs + row) * bs + col
        t = x.reshape(n, h, w, c // bs**2, bs, bs).transpose(0, 1, 4, 2, 5, 3)
    return [np.ascontiguousarray(t).reshape(n, h * bs, w * bs, c // bs**2)]


def _space_to_depth_reference(inputs, attrs):
    x, bs = inputs[0], attrs["blocksize"]
    n, h, w, c = x.shape
    t = x.reshape(n, h // bs, bs, w // bs, bs, c)
    t = t.transpose(0, 1, 3, 2, 4, 5) if attrs["mode"] == 0 else t.transpose(0, 1, 3, 5, 2, 4)
    return [np.ascontiguousarray(t).reshape(n, h // bs, w // bs, c * bs * bs)]


_SPACE_DEPTH_ATTRS = {"blocksize": Attr("int"), "mode": Attr("int", 0)}
define("DepthToSpace", 200, "tensor", ("x: T",), ("y: T",), _SPACE_DEPTH_ATTRS, types={"T": ANY},
       traits=("quant_transparent",),
       infer=_space_depth_infer, reference=_depth_to_space_reference)
define("SpaceToDepth", 201, "tensor", ("x: T",), ("y: T",), _SPACE_DEPTH_ATTRS, types={"T": ANY},
       traits=("quant_transparent",),
       infer=_space_depth_infer, reference=_space_to_depth_reference)
