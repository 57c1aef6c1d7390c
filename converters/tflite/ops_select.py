"""TFLite ops whose output size depends on the data -> IR select ops: WHERE with one input
(the coordinates of the true/non-zero elements, [count, rank]: NonZero transposed), UNIQUE
(values in order of first occurrence and each element's index into them: Unique with
sorted=0) and NON_MAX_SUPPRESSION_V4/V5 (one class: NonMaxSuppression on [1, boxes, 4]
and [1, 1, boxes], its box column padded with zeros to max_output_size as LiteRT returns
it, plus the valid count; V5's selected scores gathered, soft-NMS (sigma > 0) refused).
The thresholds are read at run time; max_output_size must be a constant (it is the
outputs' declared length).
"""
from __future__ import annotations

import numpy as np
import tflite

from pocketml.dtypes import dtype_code

from .context import Context, handler
from .option_domains import one_of


@handler("WHERE")
def where(ctx: Context, op) -> None:
    if len(op.inputs) > 1 and op.inputs[1] >= 0:
        raise ctx.unsupported("WHERE with x and y inputs (use SELECT_V2); supported: the one-input form")
    nz = ctx.emit("NonZero", [ctx.input(0)], hint="nonzero")
    ctx.transpose(nz, [1, 0], out=ctx.out(0))


@handler("UNIQUE")
def unique(ctx: Context, op) -> None:
    if len(ctx.shape(ctx.input(0))) != 1:
        raise ctx.error(f"input must be 1-D, got {list(ctx.shape(ctx.input(0)))}")
    o = ctx.options(tflite.UniqueOptions, required=False)
    code = one_of(ctx, "idx_out_type", int(o.IdxOutType()) if o is not None else tflite.TensorType.INT32,
                  {tflite.TensorType.INT32: "INT32", tflite.TensorType.INT64: "INT64"})
    idx_type = "int64" if code == tflite.TensorType.INT64 else "int32"
    _, _, inverse = ctx.emit_outputs("Unique", [ctx.input(0)], [ctx.out(0), ctx.new_name("first"),
                                                                 ctx.new_name("inverse")], {"sorted": 0})
    ctx.emit("Cast", [inverse], ctx.out(1), {"to": dtype_code(idx_type)})


def _scalar_f32(ctx: Context, i: int) -> str:
    return ctx.reshape(ctx.input(i), [1], hint=f"scalar{i}")


@handler("NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5")
def non_max_suppression(ctx: Context, op) -> None:
    v5 = op.name == "NON_MAX_SUPPRESSION_V5"
    boxes, scores = ctx.input(0), ctx.input(1)
    if v5:
        sigma = ctx.graph.values[ctx.input(5)].const
        if sigma is None or float(np.asarray(sigma).reshape(-1)[0]) != 0.0:
            raise ctx.unsupported("NON_MAX_SUPPRESSION_V5 with soft_nms_sigma other than a constant 0 (soft-NMS "
                                  "rescoring) is not supported; supported: sigma 0 (hard suppression)")
    limit, _ = ctx.param_or_input(2, "max_output_size")
    if limit is None:  # LiteRT's output is max_output_size long: the .tflite declares that size statically
        raise ctx.unsupported("max_output_size computed at run time: its value fixes the output size of "
                              f"{op.name} (give it as a constant)")
    max_out = max(int(limit[0]), 0)
    k = ctx.add_const(np.array([max_out], np.int64), "max_output_size")
    b3 = ctx.reshape(boxes, [1, -1, 4], hint="boxes3")
    s3 = ctx.reshape(scores, [1, 1, -1], hint="scores3")
    sel = ctx.emit("NonMaxSuppression", [b3, s3, k, _scalar_f32(ctx, 3), _scalar_f32(ctx, 4)], hint="nms")
    col = ctx.emit("Gather", [sel, ctx.add_const(np.array(2, np.int64), "box_column")], attrs={"axis": 1},
                   hint="box_index")
    idx32 = ctx.emit("Cast", [col], attrs={"to": dtype_code("int32")}, hint="int32")
    count = ctx.emit("Shape", [idx32], hint="count")                                       # [1] int64
    pad_end = ctx.emit("Sub", [ctx.add_const(np.array([max_out], np.int64), "max_out"), count], hint="pad_end")
    pads = ctx.emit("Concat", [ctx.add_const(np.array([0], np.int64), "pad_begin"), pad_end], attrs={"axis": 0},
                    hint="pads")
    ctx.emit("Pad", [idx32, pads], ctx.out(0), {"mode": 0}, hint="padded")
    valid_out = ctx.out(2 if v5 else 1)
    ctx.emit("Cast", [ctx.reshape(count, [], hint="count_scalar")], valid_out, {"to": dtype_code("int32")},
             hint="valid")
    if v5:
        picked = ctx.emit("Gather", [scores, col], attrs={"axis": 0}, hint="scores_kept")
        ctx.emit("Pad", [picked, pads], ctx.out(1), {"mode": 0}, hint="scores_padded")
