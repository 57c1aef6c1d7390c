"""TFLite GATHER (axis; batch_dims is refused) and GATHER_ND -> IR Gather
and GatherND."""
from __future__ import annotations

import tflite

from .context import Context, handler


@handler("GATHER")
def gather(ctx: Context, op) -> None:
    o = ctx.options(tflite.GatherOptions, required=False)
    axis = int(o.Axis()) if o is not None else 0
    if o is not None and int(o.BatchDims()):
        raise ctx.unsupported(f"GATHER with batch_dims {int(o.BatchDims())}")
    ctx.emit("Gather", [ctx.input(0), ctx.input(1)], ctx.out(0), {"axis": axis})


@handler("GATHER_ND")
def gather_nd(ctx: Context, op) -> None:
    ctx.emit("GatherND", [ctx.input(0), ctx.input(1)], ctx.out(0), {"batch_dims": 0})
