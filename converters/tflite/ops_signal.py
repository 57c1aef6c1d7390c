"""TFLite RFFT2D -> two IR DFTs, and the ops that read its complex64 result.

pocketml has no complex dtype: RFFT2D's output is kept as the IR's complex layout, a
real tensor [..., fft_h, fft_w/2+1, 2] (re, im), produced by a one-sided DFT along the
last input axis then a full DFT along the one before (each zero-padded or cropped to
fft_length, as TFLite does). It is imported only when every reader turns it back into a
real tensor: COMPLEX_ABS (ReduceL2 over the re/im axis), REAL and IMAG (Gather of one
of them). A complex64 graph output or any other reader is refused.
"""
from __future__ import annotations

import numpy as np

from .context import Context, handler

_REAL_READERS = ("COMPLEX_ABS", "REAL", "IMAG")


@handler("RFFT2D")
def rfft2d(ctx: Context, op) -> None:
    out = op.outputs[0]
    if out in ctx.model.outputs:
        raise ctx.unsupported("its complex64 output is a graph output; pocketml has no complex dtype (supported: "
                              "RFFT2D read only by " + ", ".join(_REAL_READERS) + ")")
    for other in ctx.model.ops:
        if out in other.inputs and other.name not in _REAL_READERS:
            raise ctx.unsupported(f"its complex64 output is read by operator {other.index} ({other.name}); pocketml "
                                  "has no complex dtype (supported readers: " + ", ".join(_REAL_READERS) + ")")
    x = ctx.input(0)
    rank = len(ctx.shape(x))
    if rank < 2:
        raise ctx.error(f"input must have rank >= 2 ([..., height, width]), got {list(ctx.shape(x))}")
    lengths = [int(v) for v in np.asarray(ctx.param(1, "fft_length")).reshape(-1)]
    if len(lengths) != 2 or min(lengths) < 1:
        raise ctx.error(f"fft_length must hold two positive lengths, got {lengths}")
    signal = ctx.emit("Reshape", [x], attrs={"shape": [0] * rank + [1], "allowzero": 0}, hint="real_signal")
    rows = ctx.emit("DFT", [signal, ctx.add_const(np.array(lengths[1], np.int64), "fft_w")],
                    attrs={"axis": rank - 1, "onesided": 1}, hint="dft_w")
    name = ctx.emit("DFT", [rows, ctx.add_const(np.array(lengths[0], np.int64), "fft_h")], ctx.out(0),
                    {"axis": rank - 2, "onesided": 0}, hint="dft_h")
    ctx.complex_values.add(name)


def _complex_input(ctx: Context) -> str:
    x = ctx.input(0)
    if x not in ctx.complex_values:
        raise ctx.unsupported("its input is not the result of RFFT2D; pocketml has no complex dtype (supported: "
                              "the complex64 output of RFFT2D)")
    return x


@handler("COMPLEX_ABS")
def complex_abs(ctx: Context, op) -> None:
    x = _complex_input(ctx)
    ctx.emit("ReduceL2", [x], ctx.out(0), {"axes": [len(ctx.shape(x)) - 1], "keepdims": 0})


@handler("REAL", "IMAG")
def real_imag(ctx: Context, op) -> None:
    x = _complex_input(ctx)
    part = ctx.add_const(np.array(0 if op.name == "REAL" else 1, np.int64), op.name.lower())
    ctx.emit("Gather", [x, part], ctx.out(0), {"axis": len(ctx.shape(x)) - 1})
