"""Index ops: Gather(axis) with int32/int64 indices (negative wrap; out of
range is a runtime error), GatherElements, GatherND(batch_dims), ScatterElements
and ScatterND (reduction 0 none, 1 add, 2 mul, 3 max, 4 min), OneHot(depth,
axis), Range, TopK(k, axis, largest, sorted; ties keep the lower index first),
Trilu(upper, k), CumSum and CumProd(axis, exclusive, reverse), ReverseSequence(batch_axis,
time_axis; int64 sequence_lens in [0, time steps]), TensorScatter(axis, circular: a KV
cache update, update's slab written at write_indices[batch] along axis, modulo the axis
size when circular). Every index is checked: out of range (after negative indices wrap)
is an error naming the op, the index and the bound.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .registry import Attr, define
from ._common import (
    ANY,
    INDEX,
    attrs_of,
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


# ---- Gather, Shape, ConstantOfShape ----------------------------------------------------
def _gather_infer(node, ins):
    (t, s), (ti, si) = known(node, ins[0], "data"), known(node, ins[1], "indices")
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


# ---- Range ------------------------------------------------------------------------
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
    t = typed[0][0]  # one dtype of N for all three (type constraints)
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
    return known(node, ins[k], role)[1]


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
    if not s:
        raise fail(node, "x must have rank >= 1")
    if len(ins) > 1 and ins[1] is not None:
        _, axis = _scalar_param(node, ins[1], "axis")
    else:
        axis = attrs_of(node)["axis"]
    if axis is not None:
        normalize_axis(node, int(axis), len(s))
    return [(t, tuple(s))]


def _cumulative_reference(fn):
    """CumSum (np.cumsum) / CumProd (np.cumprod): inclusive or exclusive, forward or reversed."""
    def reference(inputs, attrs):
        x = inputs[0]
        axis = int(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 and inputs[1] is not None \
            else attrs["axis"]
        axis %= x.ndim
        y = np.flip(x, axis) if attrs["reverse"] else x
        wide = y.astype(np.float64) if y.dtype.kind == "f" else y
        c = fn(wide, axis=axis)
        if attrs["exclusive"] and c.shape[axis]:  # shifted by one along the axis, the identity first
            identity = (np.zeros_like if fn is np.cumsum else np.ones_like)(np.take(c, [0], axis=axis))
            c = np.concatenate([identity, np.take(c, np.arange(c.shape[axis] - 1), axis=axis)], axis=axis)
        c = c.astype(x.dtype)
        return [np.ascontiguousarray(np.flip(c, axis) if attrs["reverse"] else c)]
    return reference


def _tensor_scatter_infer(node, ins):
    (t, sc), (_, su) = known(node, ins[0], "past_cache"), known(node, ins[1], "update")
    if len(sc) < 2 or len(su) != len(sc):
        raise fail(node, f"past_cache {shape_str(sc)} and update {shape_str(su)} must have one rank >= 2")
    axis = normalize_axis(node, attrs_of(node)["axis"], len(sc))
    if axis == 0:
        raise fail(node, "axis must not be 0 (the batch axis)")
    for a, (c, u) in enumerate(zip(sc, su)):
        if is_sym(c) or is_sym(u):
            continue
        if (a != axis and int(c) != int(u)) or (a == axis and int(u) > int(c)):
            raise fail(node, f"update {shape_str(su)} must match past_cache {shape_str(sc)} except along axis "
                             f"{axis}, where it may be shorter")
    if len(ins) > 2 and ins[2] is not None:
        _, sw = known(node, ins[2], "write_indices")
        if len(sw) != 1 or not dims_equal(sw[0], sc[0]):
            raise fail(node, f"write_indices {shape_str(sw)} must be [batch] = [{sc[0]}]")
    if attrs_of(node)["circular"] not in (0, 1):
        raise fail(node, "circular must be 0 or 1")
    return [(t, sc)]


def _tensor_scatter_reference(inputs, attrs):
    cache, update = inputs[:2]
    axis = attrs["axis"] % cache.ndim
    n, seq = cache.shape[axis], update.shape[axis]
    wi = inputs[2] if len(inputs) > 2 and inputs[2] is not None else np.zeros(cache.shape[0], np.int64)
    y = cache.copy()
    for prefix in np.ndindex(cache.shape[:axis]):
        for s in range(seq):
            pos = int(wi[prefix[0]]) + s
            if attrs["circular"]:
                pos %= n
            elif not 0 <= pos < n:
                raise ValueError(f"write index {int(wi[prefix[0]])} + {seq} updates leave [0, {n}) (linear mode)")
            y[prefix + (pos,)] = update[prefix + (s,)]
    return [y]


# T: data of any dtype (moved by size); I: int32/int64 indices. The arithmetic ops take
# ONNX's type constraints restricted to pocketml's dtypes:
_RANGE = ("float32", "float16", "int16", "int32", "int64")
_CUMSUM = ("float32", "float16", "int32", "int64", "uint32", "uint64")
_TOPK = dtypes.NUMERIC
define("Gather", 107, "index", ("data: T", "indices: I"), ("y: T",), {"axis": Attr("int", 0)},
       types={"T": ANY, "I": INDEX}, traits=("quant_transparent",), infer=_gather_infer, reference=_gather_reference)
define("Range", 111, "index", ("start: N", "limit: N", "delta: N"), ("y: N",), types={"N": _RANGE},
       plan_inputs=("start", "limit", "delta"), infer=_range_infer, reference=_range_reference)
define("GatherElements", 114, "index", ("data: T", "indices: I"), ("y: T",), {"axis": Attr("int", 0)},
       types={"T": ANY, "I": INDEX}, infer=_gather_elements_infer, reference=_gather_elements_reference)
define("GatherND", 115, "index", ("data: T", "indices: I"), ("y: T",), {"batch_dims": Attr("int", 0)},
       types={"T": ANY, "I": INDEX}, infer=_gather_nd_infer, reference=_gather_nd_reference)
define("ScatterElements", 116, "index", ("data: T", "indices: I", "updates: T"), ("y: T",), {
    "axis": Attr("int", 0), "reduction": Attr("int", 0)}, types={"T": ANY, "I": INDEX},
       infer=_scatter_elements_infer, reference=_scatter_elements_reference)
define("ScatterND", 117, "index", ("data: T", "indices: I", "updates: T"), ("y: T",), {"reduction": Attr("int", 0)},
       types={"T": ANY, "I": INDEX}, infer=_scatter_nd_infer, reference=_scatter_nd_reference)
define("Trilu", 118, "index", ("x: T", "k?: I"), ("y: T",), {"upper": Attr("int", 1), "k": Attr("int", 0)},
       types={"T": ANY, "I": INDEX}, infer=_trilu_infer, reference=_trilu_reference)
define("CumSum", 119, "index", ("x: N", "axis?: I"), ("y: N",), {
    "axis": Attr("int", 0), "exclusive": Attr("int", 0), "reverse": Attr("int", 0)},
       types={"N": _CUMSUM, "I": INDEX}, infer=_cumsum_infer, reference=_cumulative_reference(np.cumsum))
# OneHot: indices and depth of any number type (floats truncated), as ONNX allows
define("OneHot", 150, "index", ("indices: I", "values: T", "depth?: D"), ("y: T",),
       {"depth": Attr("int", 0), "axis": Attr("int", -1)},
       types={"I": dtypes.NUMERIC, "T": ANY, "D": dtypes.NUMERIC},
       plan_inputs=("depth",), infer=_onehot_infer, reference=_onehot_reference)
# k may be an attribute (older ONNX, TFLite constant k); indices may be dropped when unused
define("TopK", 151, "index", ("x: N", "k?: I"), ("values: N", "indices?: I64"), {
    "k": Attr("int", 0), "axis": Attr("int", -1), "largest": Attr("int", 1), "sorted": Attr("int", 1)},
       types={"N": _TOPK, "I": INDEX, "I64": ("int64",)}, plan_inputs=("k",), infer=_topk_infer,
       reference=_topk_reference)
define("CumProd", 204, "index", ("x: N", "axis?: I"), ("y: N",), {
    "axis": Attr("int", 0), "exclusive": Attr("int", 0), "reverse": Attr("int", 0)},
       types={"N": _CUMSUM, "I": INDEX}, infer=_cumsum_infer, reference=_cumulative_reference(np.cumprod))


# ---- ReverseSequence ---------------------------------------------------------------------------
def _reverse_sequence_infer(node, ins):
    t, s = known(node, ins[0], "x")
    _, sl = known(node, ins[1], "sequence_lens")
    at = attrs_of(node)
    b, tm = at["batch_axis"], at["time_axis"]
    if len(s) < 2 or {b, tm} != {0, 1}:
        raise fail(node, f"needs x of rank >= 2 (got {shape_str(s)}) and batch_axis, time_axis one 0 and one 1 "
                         f"(got {b}, {tm})")
    if len(sl) != 1 or not (is_sym(sl[0]) or is_sym(s[b]) or dims_equal(sl[0], s[b])):
        raise fail(node, f"sequence_lens shape {shape_str(sl)} must be [batch] = [{s[b]}]")
    return [(t, tuple(s))]


def _reverse_sequence_reference(inputs, attrs):
    x, lens = inputs
    b_axis, t_axis = attrs["batch_axis"], attrs["time_axis"]
    steps = x.shape[t_axis]
    if np.any((lens < 0) | (lens > steps)):
        raise IndexError(f"ReverseSequence: sequence_lens out of range [0, {steps}]: {lens.ravel()[:8]}")
    y = x.copy()
    for b, n in enumerate(lens.astype(np.int64)):
        at = [slice(None)] * x.ndim
        at[b_axis], at[t_axis] = b, slice(0, n)
        y[tuple(at)] = np.flip(x[tuple(at)], axis=0)  # with the batch axis taken, time is the first left
    return [y]


define("ReverseSequence", 206, "index", ("x: T", "sequence_lens: I64"), ("y: T",),
       {"batch_axis": Attr("int", 1), "time_axis": Attr("int", 0)}, types={"T": ANY, "I64": ("int64",)},
       infer=_reverse_sequence_infer, reference=_reverse_sequence_reference)
# a KV-cache update; write_indices are int64 as ONNX defines them
define("TensorScatter", 323, "index", ("past_cache: T", "update: T", "write_indices?: I64"), ("present_cache: T",),
       {"axis": Attr("int", -2), "circular": Attr("int", 0)}, types={"T": ANY, "I64": ("int64",)},
       infer=_tensor_scatter_infer, reference=_tensor_scatter_reference)
