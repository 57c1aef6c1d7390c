"""Reductions over a set of axes (empty axes = all axes unless noop_with_empty_axes)."""
from __future__ import annotations

import numpy as np

from . import Attr, define
from ._common import FLOAT, NUMERIC, attrs_of, check_dtype, fail, known, normalize_axis

_REDUCE = {"axes": Attr("ints", []), "keepdims": Attr("int", 1), "noop_with_empty_axes": Attr("int", 0)}


def _axes(rank, attrs):
    """Normalised axes to reduce, or None for the no-op case."""
    if not attrs["axes"]:
        return None if attrs["noop_with_empty_axes"] else tuple(range(rank))
    return tuple(sorted(a % rank for a in attrs["axes"]))


def _reduce_infer(allowed):
    def infer(node, ins):
        t, s = known(node, ins[0], "x")
        check_dtype(node, t, allowed, "x")
        at = attrs_of(node)
        axes = [normalize_axis(node, a, len(s), "reduce axis") for a in at["axes"]]
        if len(set(axes)) != len(axes):
            raise fail(node, f"axes {at['axes']} repeat")
        red = _axes(len(s), at)
        if red is None:
            return [(t, s)]
        keep = at["keepdims"]
        return [(t, tuple(1 if i in red else d for i, d in enumerate(s) if keep or i not in red))]
    return infer


def _lowest(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _reduce_reference(fn, **identity):
    def reference(inputs, attrs):
        x = inputs[0]
        axes = _axes(x.ndim, attrs)
        if axes is None:
            return [x.copy()]
        # float sums accumulate in float64 and round once
        wide = x.astype(np.float64) if x.dtype.kind == "f" else x
        # an empty reduction gives the op's identity (ONNX: -inf for max, 0 for sum)
        extra = {k: f(x.dtype) for k, f in identity.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            y = fn(wide, axis=axes, keepdims=bool(attrs["keepdims"]), **extra)
        return [np.asarray(y).astype(x.dtype)]
    return reference


define("ReduceMean", 120, "reduce", ("x",), ("y",), dict(_REDUCE), infer=_reduce_infer(FLOAT),
       reference=_reduce_reference(np.mean))
define("ReduceSum", 121, "reduce", ("x",), ("y",), dict(_REDUCE), infer=_reduce_infer(NUMERIC),
       reference=_reduce_reference(np.sum))
define("ReduceMax", 122, "reduce", ("x",), ("y",), dict(_REDUCE), infer=_reduce_infer(NUMERIC),
       reference=_reduce_reference(np.max, initial=_lowest))
