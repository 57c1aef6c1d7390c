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
    return [int(v) for v in np.asarray(a).reshape(-1)]


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
    runs = []  # ("const", [ints]) or (source value, start axis, end axis)
    for d in dims:
        if not isinstance(d, str):
            if runs and runs[-1][0] == "const":
                runs[-1][1].append(int(d))
            else:
                runs.append(("const", [int(d)]))
            continue
        src, axis = _dim_source(ctx, d)
        if runs and runs[-1][0] == src and runs[-1][2] == axis:  # next dim of the same value: one Shape
            runs[-1] = (src, runs[-1][1], axis + 1)
        else:
            runs.append((src, axis, axis + 1))
    parts = [ctx.add_const(np.asarray(r[1], np.int64), "dims") if r[0] == "const" else
             ctx.emit1("Shape", [r[0]], attrs={"start": r[1], "end": r[2]}, hint="dims") for r in runs]
    out = parts[0] if len(parts) == 1 else ctx.emit1("Concat", parts, attrs={"axis": 0}, hint="shape")
    if scalar:
        out = ctx.emit1("Reshape", [out], attrs={"shape": [], "allowzero": 0}, hint="scalar")
    if in_place:
        out = ctx.emit1("Identity", [out], name)
        del ctx.shape_values[name]
    cache[name] = out
    return out


def _dim_source(ctx: Context, dim: str) -> tuple:
    """(value, axis) of a non-constant IR value whose shape has the symbolic dim (graph inputs first)."""
    names = list(ctx.graph.inputs) + [n for n in ctx.graph.values if n not in ctx.graph.inputs]
    for n in names:
        v = ctx.graph.values[n]
        if v.const is None and v.shape is not None and dim in v.shape:
            return n, list(v.shape).index(dim)
    raise ctx.error(f"no tensor carries the symbolic dim {dim!r} to compute it from at run time; fix it with "
                    f"input_shapes")


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
