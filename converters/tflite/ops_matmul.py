"""TFLite FULLY_CONNECTED -> IR Gemm (input flattened to rows, weights
[out, in] used transposed, keep_num_dims restores the leading dims) and
BATCH_MATMUL -> IR MatMul (adj_x / adj_y become Transposes of the last two axes)."""
from __future__ import annotations

import numpy as np
import tflite

from . import quant as tflite_quant
from .context import Context, handler
from .weights import float_weights


@handler("FULLY_CONNECTED")
def fully_connected(ctx: Context, op) -> None:
    o = ctx.options(tflite.FullyConnectedOptions, required=False)
    x, w, b = ctx.input(0), ctx.input(1), ctx.input(2, required=False)
    xs, ws = ctx.shape(x), ctx.shape(w)
    if len(ws) != 2:
        raise ctx.error(f"weights must be [out, in], got {list(ws)}")
    if o is not None and o.WeightsFormat() != 0:
        raise ctx.unsupported("shuffled weights formats are not supported (supported: DEFAULT)")
    n_in, n_out = ws[1], ws[0]
    w = float_weights(ctx, x, w)  # dynamic-range weights: dequantized once
    if any(isinstance(d, str) for d in xs):
        _fully_connected_symbolic(ctx, o, x, w, b, xs, n_in, n_out)
        return
    total = 1
    for d in xs:
        total *= d
    if total % n_in:
        raise ctx.error(f"input of shape {list(xs)} cannot be flattened to rows of {n_in}")
    keep = bool(o.KeepNumDims()) if o is not None else False
    act = ctx.fused_act(o.FusedActivationFunction()) if o is not None else {}
    x2 = ctx.reshape(x, [total // n_in, n_in], hint="flatten")
    out_shape = list(xs[:-1]) + [n_out] if keep else [total // n_in, n_out]
    final = ctx.out(0)
    y = ctx.emit("Gemm", [x2, w, b], final if out_shape == [total // n_in, n_out] else None,
                 {"transB": 1, **act})
    if y != final:
        _same_quant(ctx, y)
        ctx.reshape(y, out_shape, out=final)


def _same_quant(ctx: Context, rows: str) -> None:
    """The rows a keep_num_dims reshape restores carry the output's quantization (a quantized Gemm
    requantizes to it; the reshape then only moves data)."""
    v = ctx.graph.values[rows]
    v.quant = tflite_quant.quant_of(ctx.model, ctx.tensor(ctx.op.outputs[0]), v.dtype)


def _fully_connected_symbolic(ctx: Context, o, x: str, w: str, b: str, xs: tuple, n_in: int, n_out: int) -> None:
    """FULLY_CONNECTED on a shape with symbolic dims (a dynamic batch): rows of n_in (the runtime
    infers their count for each concrete shape), and with keep_num_dims the leading dims restored
    from the input's shape while planning."""
    keep = bool(o.KeepNumDims()) if o is not None else False
    act = ctx.fused_act(o.FusedActivationFunction()) if o is not None else {}
    final = ctx.out(0)
    if len(xs) == 2 and xs[1] == n_in:  # already rows: no reshape either way
        ctx.emit("Gemm", [x, w, b], final, {"transB": 1, **act})
        return
    rows = ctx.emit("Reshape", [x], None, {"shape": [-1, n_in], "allowzero": 0}, hint="flatten")
    if not keep:
        ctx.emit("Gemm", [rows, w, b], final, {"transB": 1, **act})
        return
    y = ctx.emit("Gemm", [rows, w, b], None, {"transB": 1, **act})
    _same_quant(ctx, y)
    lead = ctx.emit("Shape", [x], None, {"start": 0, "end": len(xs) - 1}, hint="lead")
    shape = ctx.emit("Concat", [lead, ctx.add_const(np.array([n_out], np.int64), "n_out")], None, {"axis": 0},
                     hint="out_shape")
    ctx.emit("Reshape", [y, shape], final, {"shape": [], "allowzero": 1})


@handler("BATCH_MATMUL")
def batch_matmul(ctx: Context, op) -> None:
    o = ctx.options(tflite.BatchMatMulOptions, required=False)
    a, b = ctx.input(0), ctx.input(1)
    for name, adj in ((0, o.AdjX() if o is not None else False), (1, o.AdjY() if o is not None else False)):
        if adj:
            v = a if name == 0 else b
            r = len(ctx.shape(v))
            if r < 2:
                raise ctx.error(f"adj on a rank-{r} operand")
            v = ctx.transpose(v, list(range(r - 2)) + [r - 1, r - 2], hint=f"adj{'xy'[name]}")
            a, b = (v, b) if name == 0 else (a, v)
    ctx.emit("MatMul", [a, b], ctx.out(0))
