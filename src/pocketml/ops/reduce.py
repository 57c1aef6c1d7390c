"""Reductions over a set of axes (empty axes = all axes unless noop_with_empty_axes).

ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/LogSumExp take axes as an
attribute (the importer folds ONNX's constant axes input into it) or, when
computed at run time, as input 1 (a plan input: the runtime reads it while
planning; the output's sizes are then symbolic, its rank static). An empty
reduction gives the op's identity: 0 for sums, 1 for Prod, -inf/+inf (floats)
or the dtype's min/max (integers, False/True for bool) for Max/Min, -inf for
LogSumExp. Integer sums and products wrap like the dtype; integer means
truncate toward zero; float16 accumulates in float32 in the runtime (here in
float64: the same after the one rounding, up to ties).
ArgMax/ArgMin reduce one axis to int64 indices (first occurrence, or the last
with select_last_index).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._common import attrs_of, fail, fresh_dim, known, normalize_axis, param_len
from .registry import QUANT_CHECKS, REQUANT_ATTRS, Attr, define

# ONNX's type constraints restricted to pocketml's dtypes (the latest opsets)
_SUMS = ("float32", "float16", "int32", "int64", "uint32", "uint64")        # Sum Mean Prod L1 L2 SumSquare
_MINMAX = _SUMS + ("int8", "uint8", "bool")                                 # ReduceMax/Min (bool from opset 20)
_FLOATS = ("float32", "float16")                                            # LogSumExp
_ARGS = dtypes.NUMERIC                                                      # ArgMax/ArgMin: every number

_IN, _AXES_T = ("x: T", "axes?: I64"), ("int64",)  # axes: an attribute, or an input read while planning
_REDUCE = {"axes": Attr("ints", []), "keepdims": Attr("int", 1), "noop_with_empty_axes": Attr("int", 0)}


def _axes(rank, attrs):
    """Normalised axes to reduce, or None for the no-op case."""
    if not attrs["axes"]:
        return None if attrs["noop_with_empty_axes"] else tuple(range(rank))
    return tuple(sorted(a % rank for a in attrs["axes"]))


def _runtime_axes(node, ins, t, s, at):
    """Output of a reduction whose axes input is computed at run time: the rank is known
    from the number of axes (static), the sizes are planned by the runtime."""
    at_, n_axes = dict(at), param_len(node, ins, 1, "axes")
    if n_axes == 0:
        at_["axes"] = []
        return _reduce_infer_static(node, t, s, at_)
    if n_axes > len(s):
        raise fail(node, f"{n_axes} axes for an input of rank {len(s)}")
    rank = len(s) if at["keepdims"] else len(s) - n_axes
    return [(t, tuple(fresh_dim(node, i) for i in range(rank)))]


def _reduce_infer_static(node, t, s, at):
    axes = [normalize_axis(node, a, len(s), "reduce axis") for a in at["axes"]]
    if len(set(axes)) != len(axes):
        raise fail(node, f"axes {at['axes']} repeat")
    red = _axes(len(s), at)
    if red is None:
        return [(t, s)]
    keep = at["keepdims"]
    return [(t, tuple(1 if i in red else d for i, d in enumerate(s) if keep or i not in red))]


def _with_input_axes(ins, attrs):
    """attrs with the axes input's values (when given) in place of the attribute."""
    if len(ins) > 1 and ins[1] is not None:
        return {**attrs, "axes": [int(a) for a in np.asarray(ins[1]).reshape(-1)]}
    return attrs


def _reduce_infer():
    def infer(node, ins):
        t, s = known(node, ins[0], "x")
        at = attrs_of(node)
        if len(ins) > 1 and ins[1] is not None:
            if not ins[1].is_const:
                return _runtime_axes(node, ins, t, s, at)
            at = _with_input_axes([None, ins[1].const], at)
        return _reduce_infer_static(node, t, s, at)
    return infer


def _lowest(dtype):
    kind = np.dtype(dtype).kind
    return -np.inf if kind == "f" else (False if kind == "b" else np.iinfo(dtype).min)


def _highest(dtype):
    kind = np.dtype(dtype).kind
    return np.inf if kind == "f" else (True if kind == "b" else np.iinfo(dtype).max)


def _log_sum_exp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or empty): log(0) = -inf, no inf - inf
    y = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return y if keepdims else np.squeeze(y, axis=axis)


def _arg_infer(node, ins):
    t, s = known(node, ins[0], "x")
    at = attrs_of(node)
    if not s:
        raise fail(node, "x must have rank >= 1")
    axis = normalize_axis(node, at["axis"], len(s))
    if not isinstance(s[axis], str) and int(s[axis]) == 0:
        raise fail(node, f"axis {axis} of x has size 0: no index to return")
    return [("int64", tuple(1 if i == axis else d for i, d in enumerate(s) if at["keepdims"] or i != axis))]


def _arg_reference(fn):
    def reference(inputs, attrs):
        x = inputs[0]
        axis = attrs["axis"] % x.ndim
        if attrs["select_last_index"]:  # search the flipped axis, map back
            y = x.shape[axis] - 1 - fn(np.flip(x, axis), axis=axis)
        else:
            y = fn(x, axis=axis)
        y = y.astype(np.int64)
        return [np.expand_dims(y, axis) if attrs["keepdims"] else y]
    return reference


def _reduce_reference(fn, single=None, **identity):
    """single: the op on one element, what noop_with_empty_axes gives (|x| for L1...)."""
    def reference(inputs, attrs):
        x = inputs[0]
        attrs = _with_input_axes(inputs, attrs)
        axes = _axes(x.ndim, attrs)
        if axes is None:
            return [x.copy() if single is None else np.asarray(single(x)).astype(x.dtype)]
        # float sums accumulate in float64 and round once
        wide = x.astype(np.float64) if x.dtype.kind == "f" else x
        # an empty reduction gives the op's identity (ONNX: -inf for max, 0 for sum)
        extra = {k: f(x.dtype) for k, f in identity.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            y = fn(wide, axis=axes, keepdims=bool(attrs["keepdims"]), **extra)
        return [np.asarray(y).astype(x.dtype)]
    return reference


def _mean_quant_check(node, ins, outs):
    """What native/src/ops/reduce_q8.c runs: int8/uint8/int16 with per-tensor parameters on x and y."""
    (xt, xq), (_, yq) = ins[0], outs[0]
    if xt not in ("int8", "uint8", "int16") or xq is None or yq is None:
        return "ReduceMean runs on quantized int8/uint8/int16 input and output"
    if not (xq.per_tensor and yq.per_tensor):
        return "ReduceMean needs per-tensor parameters"
    return None


QUANT_CHECKS["ReduceMean"] = _mean_quant_check
define("ReduceMean", 120, "reduce", _IN, ("y: T",), {**_REDUCE, **REQUANT_ATTRS},
       types={"T": _SUMS + ("int8", "uint8", "int16"), "I64": _AXES_T}, traits=("quant_aware",),
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(np.mean))
define("ReduceSum", 121, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _SUMS, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(np.sum))
define("ReduceMax", 122, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _MINMAX, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(np.max, initial=_lowest))
define("ReduceMin", 123, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _MINMAX, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(np.min, initial=_highest))
define("ReduceProd", 124, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _SUMS, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(np.prod))
define("ReduceL1", 125, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _SUMS, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(lambda x, axis, keepdims: np.sum(np.abs(x), axis=axis, keepdims=keepdims),
                                   single=np.abs))
define("ReduceL2", 126, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _SUMS, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(lambda x, axis, keepdims: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
                                   single=np.abs))
define("ReduceSumSquare", 127, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _SUMS, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(lambda x, axis, keepdims: np.sum(x * x, axis=axis, keepdims=keepdims),
                                   single=lambda x: x * x))
define("ReduceLogSumExp", 128, "reduce", _IN, ("y: T",), dict(_REDUCE), types={"T": _FLOATS, "I64": _AXES_T},
       plan_inputs=("axes",),
       infer=_reduce_infer(),
       reference=_reduce_reference(_log_sum_exp))
_ARG_TYPES = {"T": _ARGS, "I64": ("int64",)}
_ARG = {"axis": Attr("int", 0), "keepdims": Attr("int", 1), "select_last_index": Attr("int", 0)}
define("ArgMax", 152, "reduce", ("x: T",), ("y: I64",), dict(_ARG), types=_ARG_TYPES, infer=_arg_infer,
       reference=_arg_reference(np.argmax))
define("ArgMin", 153, "reduce", ("x: T",), ("y: I64",), dict(_ARG), types=_ARG_TYPES, infer=_arg_infer,
       reference=_arg_reference(np.argmin))
