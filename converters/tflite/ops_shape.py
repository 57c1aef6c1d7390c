"""TFLite shape queries and fillers -> IR tensor ops: SHAPE (a constant when
the input's shape is static, else the IR's Shape; an int32 out_type is a
Cast of its int64), FILL (the scalar value Expanded to the dims, which may be
computed at run time: Expand takes them as its input) and ZEROS_LIKE (a 0
of the input's dtype Expanded to the input's shape; TFLite has no ONES_LIKE
builtin, ones_like converts to FILL).
Everything whose inputs are constants folds into a constant at conversion.
"""
from __future__ import annotations

import numpy as np

from .context import Context, handler


def _shape_of(ctx: Context, x: str, dtype) -> str:
    """x's shape as a 1-D ``dtype`` tensor: a constant when static, else Shape (+ Cast)."""
    xs = ctx.shape(x)
    if all(isinstance(d, int) for d in xs):
        return ctx.add_const(np.array(xs, dtype), "shape")
    s = ctx.emit("Shape", [x], hint="shape")
    return s if dtype == np.int64 else ctx.emit("Cast", [s], attrs={"to": 5}, hint="shape_i32")


MAX_FOLDED_FILL = 1 << 28  # elements: a hostile file's FILL of [2**20, 2**20] must not allocate terabytes


def expand_to(ctx: Context, value: str, dims: str, out=None, hint: str = "") -> str:
    """Expand the scalar ``value`` to the 1-D shape tensor ``dims`` (constant dims become the attribute;
    with a constant value too, the fill folds into a constant of at most MAX_FOLDED_FILL elements)."""
    v = ctx.graph.values[dims]
    if v.const is None:
        return ctx.emit("Expand", [value, dims], out, hint=hint)
    shape = [int(d) for d in np.asarray(v.const).reshape(-1)]
    if min(shape, default=0) < 0:
        raise ctx.error(f"dims {shape} have a negative entry")
    if ctx.graph.values[value].is_const and np.prod(shape, dtype=np.float64) > MAX_FOLDED_FILL:
        raise ctx.unsupported(f"a constant fill of shape {shape} is too large to fold (at most {MAX_FOLDED_FILL} "
                              "elements)")
    return ctx.emit("Expand", [value], out, {"shape": shape}, hint=hint)


@handler("SHAPE")
def shape(ctx: Context, op) -> None:
    t = ctx.np_type(op.outputs[0])
    if t.name not in ("int32", "int64"):
        raise ctx.unsupported(f"SHAPE with out_type {t.name} (supported: int32, int64)")
    s = _shape_of(ctx, ctx.input(0), np.dtype(t.name).type)
    ctx.emit("Identity", [s], ctx.out(0))


@handler("FILL")
def fill(ctx: Context, op) -> None:
    dims, value = ctx.input(0), ctx.input(1)
    if ctx.shape(value) not in ((), (1,)):
        raise ctx.error(f"value must be a scalar, got shape {list(ctx.shape(value))}")
    if ctx.np_type(op.inputs[0]).name not in ("int32", "int64") or len(ctx.shape(dims)) != 1:
        raise ctx.error(f"dims must be a 1-D int32 or int64 tensor, got {ctx.np_type(op.inputs[0]).name}"
                        f"{list(ctx.shape(dims))}")
    expand_to(ctx, ctx.reshape(value, [], hint="scalar"), dims, ctx.out(0))


@handler("ZEROS_LIKE")
def zeros_like(ctx: Context, op) -> None:
    x = ctx.input(0)
    value = ctx.add_const(np.zeros((), np.dtype(ctx.np_type(op.inputs[0]).name)), "zero")
    expand_to(ctx, value, _shape_of(ctx, x, np.int64), ctx.out(0))
