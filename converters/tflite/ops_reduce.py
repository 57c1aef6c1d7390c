"""TFLite reductions -> IR reductions: MEAN/SUM/REDUCE_MAX/REDUCE_MIN/
REDUCE_PROD, REDUCE_ANY/REDUCE_ALL (ReduceMax/ReduceMin on bool) (constant
axis, keep_dims; no axis at all is an Identity) and
ARG_MAX/ARG_MIN (an int32 output is a Cast of the IR's int64 one)."""
from __future__ import annotations

import numpy as np
import tflite

from .context import Context, handler


_REDUCE = {"MEAN": "ReduceMean", "SUM": "ReduceSum", "REDUCE_MAX": "ReduceMax", "REDUCE_MIN": "ReduceMin",
           "REDUCE_PROD": "ReduceProd", "REDUCE_ANY": "ReduceMax", "REDUCE_ALL": "ReduceMin"}
_BOOL_ONLY = ("REDUCE_ANY", "REDUCE_ALL")  # any = max and all = min over bool (false < true)


@handler(*_REDUCE)
def reduce(ctx: Context, op) -> None:
    o = ctx.options(tflite.ReducerOptions, required=False)
    keep = bool(o.KeepDims()) if o is not None else False
    x = ctx.input(0)
    if op.name in _BOOL_ONLY and ctx.np_type(op.inputs[0]).name != "bool":
        raise ctx.unsupported(f"{op.name} on a {ctx.np_type(op.inputs[0]).name} input (supported: bool)")
    rank = len(ctx.shape(x))
    axes = [int(a) for a in np.asarray(ctx.param(1, "axis")).reshape(-1)]
    if any(not -rank <= a < rank for a in axes):
        raise ctx.error(f"axis {axes} out of range for rank {rank}")
    axes = sorted({a % rank for a in axes})
    if not axes:  # TFLite reduces nothing
        ctx.emit("Identity", [x], ctx.out(0))
        return
    ctx.emit(_REDUCE[op.name], [x], ctx.out(0), {"axes": axes, "keepdims": int(keep)})


@handler("ARG_MAX", "ARG_MIN")
def arg_max_min(ctx: Context, op) -> None:
    x = ctx.input(0)
    rank = len(ctx.shape(x))
    axis = np.asarray(ctx.param(1, "axis")).reshape(-1)
    if axis.size != 1 or not -rank <= int(axis[0]) < rank:
        raise ctx.error(f"axis {axis.tolist()} is not one axis of a rank-{rank} input")
    out_t = ctx.np_type(op.outputs[0])
    if out_t.name not in ("int32", "int64"):
        raise ctx.unsupported(f"output type {out_t.name} (supported: int32, int64)")
    y = ctx.emit("ArgMax" if op.name == "ARG_MAX" else "ArgMin", [x], None if out_t.name == "int32" else ctx.out(0),
                 {"axis": int(axis[0]) % rank, "keepdims": 0})
    if out_t.name == "int32":
        ctx.emit("Cast", [y], ctx.out(0), {"to": 5})
