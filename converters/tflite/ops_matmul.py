"""TFLite FULLY_CONNECTED -> IR Gemm (input flattened to rows, weights
[out, in] used transposed, keep_num_dims restores the leading dims) and
BATCH_MATMUL -> IR MatMul (adj_x / adj_y become Transposes of the last two axes)."""
from __future__ import annotations

import tflite

from .context import Context, handler


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
    if any(isinstance(d, str) for d in xs):
        raise ctx.unsupported(f"FULLY_CONNECTED needs a static input shape, got {list(xs)}")
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
        ctx.reshape(y, out_shape, out=final)


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
