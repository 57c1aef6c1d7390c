"""Parameters of ONNX ops: constant int lists, axis normalisation, and
parameters computed at run time.

ONNX moved many parameters from attributes to inputs over the opsets. When
such an input is a constant it becomes an IR attribute (ints); when it is
computed at run time the IR node takes it as an input (runtime_param). A
shape tensor built from symbolic dims (Context.shape_values) is
materialised for those ops as Shape/Concat nodes on the values that carry
the dims (materialize); the importer also materialises one that reaches an
op which is not shape-aware. Shared by the tensor, index and resize family
modules.
"""
from __future__ import annotations

import numpy as np

from .context import Context


def ints(a) -> list:
    return [int(v) for v in np.asarray(a).reshape(-1).tolist()]  # (Python numbers convert faster than numpy's)


def norm_axes(ctx: Context, axes, rank: int, what: str = "axes") -> list:
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ctx.error(f"{what} {list(axes)} out of range for rank {rank}")
        out.append(a % rank)
    if len(set(out)) != len(out):
        raise ctx.error(f"{what} {list(axes)} repeat an axis")
    return out


def materialize(ctx: Context, name: str, in_place: bool = False) -> str:
    """An IR int64 tensor holding the tracked symbolic shape tensor ``name``:
    each run of symbolic dims becomes a Shape(start, end) of a value that has
    them, static runs become constants, all concatenated. in_place: the IR
    value takes the name itself (it stops being a tracked shape tensor), for
    ops that are not shape-aware (arithmetic on shapes, Equal, Cast...)."""
    cache = ctx.__dict__.setdefault("_materialized", {})
    if name in cache and not in_place:
        return cache[name]
    dims, scalar = ctx.shape_values[name]
    out = ctx.shape_tensor(dims, scalar)
    if in_place:
        out = ctx.emit1("Identity", [out], name)
        del ctx.shape_values[name]
    cache[name] = out
    return out


def runtime_param(ctx: Context, index: int, what: str, required: bool = False):
    """Input ``index`` as (list of ints, None) when it is a constant, or (None, IR value name)
    when it is computed at run time (symbolic shape tensors are materialised)."""
    name = ctx.node.input(index)
    if not name:
        if required:
            raise ctx.error(f"input {index} ({what}) is required")
        return None, None
    if name in ctx.shape_values:
        return None, materialize(ctx, name)
    data = ctx.const(name)
    if data is None:
        return None, name
    return ints(data), None


def const_or_name(ctx: Context, index: int) -> str:
    """Input ``index`` as an IR value name (materialising a symbolic shape tensor)."""
    name = ctx.node.input(index)
    return materialize(ctx, name) if name in ctx.shape_values else name
