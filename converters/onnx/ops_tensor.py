"""ONNX shape and data-movement ops -> IR tensor ops.

Parameters that ONNX moved from attributes to inputs over the opsets
(Reshape's shape at 5, Slice's bounds at 10, Pad's pads at 11, Split's and
Squeeze/Unsqueeze's at 13) become IR attributes when they are constants at
conversion time. Reshape, Slice, Split, Expand, Tile and ConstantOfShape
also accept them computed at run time: the IR node then takes the value as
an input (params.py; the runtime evaluates such shape subgraphs while
planning). Shape, Reshape, Slice, Concat, (Un)Squeeze pass symbolic shape
tensors along. Pad parameters must still be constants (ctx.param). Flatten,
Squeeze and Unsqueeze become Reshape; Constant becomes a constant value.
BitCast (opset 26) maps one to one, its ONNX dtype to a pocketml dtype code.
"""
from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from pocketml import ir
from pocketml.errors import ConversionError
from pocketml.ops.tensor import clamp_slice, fill_attrs, fill_scalar, shape_range

from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name, tensor_to_array
from .params import const_or_name, ints, materialize, norm_axes, runtime_param

INT32_MAX = 2**31 - 1  # Slice bounds are clamped into int32 (no dim is larger)


# ---- constants -------------------------------------------------------------------------
@handler("Constant")
def constant(ctx: Context, node: OnnxNode) -> None:
    if len(node.attrs) != 1:
        raise ctx.error(f"needs exactly one value attribute, got {sorted(node.attrs)}")
    (key, v), = node.attrs.items()
    if key == "value":
        arr = tensor_to_array(v, node.where())
    elif key == "sparse_value":
        values = tensor_to_array(v.values, node.where())
        idx = numpy_helper.to_array(v.indices).astype(np.int64)
        arr = np.zeros(tuple(v.dims), values.dtype)
        # indices are either linear [NNZ] or coordinates [NNZ, rank]
        flat = idx if idx.ndim == 1 else np.ravel_multi_index(tuple(idx.T), arr.shape)
        arr.reshape(-1)[flat] = values
    elif key in ("value_float", "value_floats"):
        arr = np.asarray(v, np.float32)
    elif key in ("value_int", "value_ints"):
        arr = np.asarray(v, np.int64)
    else:
        raise ctx.unsupported(f"attribute {key} is not supported; supported: value, sparse_value, value_float(s), "
                              f"value_int(s)")
    ctx.graph.add_value(node.output(0), const=arr)


@handler("ConstantOfShape", shape_aware=True)
def constant_of_shape(ctx: Context, node: OnnxNode) -> None:
    shape, runtime = runtime_param(ctx, 0, "shape", required=True)
    if "value" in node.attrs:
        value = tensor_to_array(node.attrs["value"], node.where()).reshape(-1)
        if value.size != 1:
            raise ctx.error(f"value must hold one element, got {value.size}")
        dtype = ir.dtype_name(value.dtype)
    else:
        dtype, value = "float32", np.zeros(1, np.float32)
    if runtime is not None and ctx.dtype(runtime) != "int64":
        runtime = ctx.emit1("Cast", [runtime], attrs={"to": ir.dtype_code("int64")}, hint="shape")
    fill = fill_attrs(value, dtype)
    if runtime is None:  # a static shape: the constant itself (light_* models build every weight so)
        if min(shape, default=0) < 0:
            raise ctx.error(f"shape {shape} has a negative dim")
        element = fill_scalar(fill["value"], fill.get("value_int"), ir.np_dtype(dtype))
        ctx.graph.add_value(node.output(0), const=np.broadcast_to(element, tuple(shape)))  # read-only, no copy
        return
    ctx.emit1("ConstantOfShape", [runtime], node.output(0), {**fill, "value": [fill["value"]],
                                                             "dtype": ir.dtype_code(dtype)})


@handler("Size")
def size(ctx: Context, node: OnnxNode) -> None:
    shape = ctx.shape(node.input(0))
    if ir.is_static(shape):
        ctx.graph.add_value(node.output(0), const=np.array(int(np.prod(shape, dtype=np.int64)), np.int64))
    else:
        ctx.emit1("Size", [node.input(0)], node.output(0))


@handler("Shape", shape_aware=True)
def shape_(ctx: Context, node: OnnxNode) -> None:
    attrs = {"start": int(node.attrs.get("start", 0)), "end": int(node.attrs.get("end", 2**62))}
    if node.input(0) in ctx.shape_values:  # the shape of a shape tensor is static: [n] or []
        dims, scalar = ctx.shape_values[node.input(0)]
        shape = () if scalar else (len(dims),)
        ctx.set_shape_value(node.output(0), list(shape[slice(*shape_range(len(shape), attrs))]))
        return
    shape = ctx.shape(node.input(0))
    if ir.is_static(shape):
        ctx.emit1("Shape", [node.input(0)], node.output(0), attrs)  # folds to a constant
    else:
        ctx.set_shape_value(node.output(0), list(shape[slice(*shape_range(len(shape), attrs))]))


# ---- reshaping ---------------------------------------------------------------------------
@handler("Reshape", shape_aware=True)
def reshape(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    allowzero = int(node.attrs.get("allowzero", 0))
    if x in ctx.shape_values:  # a symbolic shape tensor reshaped: [d] <-> scalar, or 1-D to 1-D
        dims, scalar = ctx.shape_values[x]
        target = ctx.const(node.input(1))
        if target is not None and target.size <= 1 and (target.size == 1 or len(dims) == 1):
            if target.size == 0 or int(target.reshape(-1)[0]) in (-1, len(dims)):
                ctx.set_shape_value(node.output(0), dims, scalar=target.size == 0)
                return
        x = materialize(ctx, x)
    if node.input(1) in ctx.shape_values:
        try:  # expressible with 0 (copy) and one -1: no run-time shape computation needed
            _reshape_symbolic(ctx, node, x, ctx.shape_values[node.input(1)][0])
            return
        except ConversionError:
            pass
    if node.opset < 5:
        shape, runtime = node.attrs["shape"], None
    else:
        shape, runtime = runtime_param(ctx, 1, "shape", required=True)
    if runtime is not None:
        ctx.emit1("Reshape", [x, runtime], node.output(0), {"allowzero": allowzero})
        return
    ctx.emit1("Reshape", [x], node.output(0), {"shape": [int(d) for d in shape], "allowzero": allowzero})


def _reshape_symbolic(ctx: Context, node: OnnxNode, x: str, target: list) -> None:
    """Reshape to a shape tensor holding symbolic dims (e.g. [N, -1] built from Shape(x)[0])."""
    if int(node.attrs.get("allowzero", 0)):
        raise ctx.error("allowzero=1 with a symbolic target shape is not supported")
    ctx.emit1("Reshape", [x], node.output(0), ctx.reshape_attrs(ctx.shape(x), target, onnx_zero=True))


@handler("Flatten")
def flatten(ctx: Context, node: OnnxNode) -> None:
    ctx.flatten_2d(node.input(0), int(node.attrs.get("axis", 1)), node.output(0))


def _squeeze_axes(ctx: Context, node: OnnxNode) -> list:
    if node.opset >= 13:
        axes = ctx.param(1, "axes")
        return None if axes is None else ints(axes)
    return node.attrs.get("axes")


@handler("Squeeze", shape_aware=True)
def squeeze(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    if x in ctx.shape_values:  # [d] -> scalar d
        dims, scalar = ctx.shape_values[x]
        if scalar or len(dims) != 1:
            raise ctx.error(f"cannot squeeze the symbolic shape tensor {dims}")
        ctx.set_shape_value(node.output(0), dims, scalar=True)
        return
    shape = ctx.shape(x)
    axes = _squeeze_axes(ctx, node)
    if axes is None:
        if any(isinstance(d, str) for d in shape):
            raise ctx.error(f"Squeeze without axes needs a static shape to find the size-1 dims, got "
                            f"{list(shape)}; give axes or fix dims with input_shapes")
        axes = [i for i, d in enumerate(shape) if d == 1]
    axes = norm_axes(ctx, axes, len(shape))
    for a in axes:
        if shape[a] != 1:
            raise ctx.error(f"cannot squeeze axis {a} of shape {list(shape)}: its size is not 1")
    ctx.reshape(x, [d for i, d in enumerate(shape) if i not in axes], node.output(0))


@handler("Unsqueeze", shape_aware=True)
def unsqueeze(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    axes = _squeeze_axes(ctx, node)
    if axes is None:
        raise ctx.error("axes are required")
    if x in ctx.shape_values:  # scalar d -> [d]
        dims, scalar = ctx.shape_values[x]
        if not scalar or list(axes) not in ([0], [-1]):
            raise ctx.error(f"cannot unsqueeze the symbolic shape tensor {dims} at axes {list(axes)}")
        ctx.set_shape_value(node.output(0), dims)
        return
    shape = list(ctx.shape(x))
    out_rank = len(shape) + len(axes)
    axes = norm_axes(ctx, axes, out_rank)
    dims, rest = [], iter(shape)
    for i in range(out_rank):
        dims.append(1 if i in axes else next(rest))
    ctx.reshape(x, dims, node.output(0))


@handler("Transpose")
def transpose(ctx: Context, node: OnnxNode) -> None:
    rank = ctx.rank(node.input(0))
    perm = [int(p) for p in node.attrs.get("perm", list(range(rank))[::-1])]
    ctx.emit1("Transpose", [node.input(0)], node.output(0), {"perm": perm})


# ---- slicing and joining ---------------------------------------------------------------------
@handler("Concat", shape_aware=True)
def concat(ctx: Context, node: OnnxNode) -> None:
    if "axis" not in node.attrs:
        raise ctx.error("attribute axis is required")
    if any(i in ctx.shape_values for i in node.inputs):
        parts = [ctx.shape_value(i) for i in node.inputs if i]
        if any(p is None or p[1] for p in parts):
            raise ctx.error("can only concatenate 1-D shape tensors with a symbolic shape")
        ctx.set_shape_value(node.output(0), [d for dims, _ in parts for d in dims])
        return
    ctx.emit1("Concat", [i for i in node.inputs if i], node.output(0), {"axis": int(node.attrs["axis"])})


@handler("Slice", shape_aware=True)
def slice_(ctx: Context, node: OnnxNode) -> None:
    tracked = ctx.shape_values.get(node.input(0))
    rank = 1 if tracked else ctx.rank(node.input(0))
    if node.opset < 10:
        starts, ends = list(node.attrs["starts"]), list(node.attrs["ends"])
        axes, steps = list(node.attrs.get("axes", range(len(starts)))), [1] * len(starts)
    else:
        if not tracked and any(node.input(i) in ctx.shape_values or (node.input(i) and ctx.const(node.input(i)) is None)
                               for i in range(1, 5)):
            # bounds computed at run time: every parameter goes in as an input
            ctx.emit1("Slice", [node.input(0)] + [const_or_name(ctx, i) for i in range(1, 5)], node.output(0))
            return
        starts = ints(ctx.param(1, "starts", required=True))
        ends = ints(ctx.param(2, "ends", required=True))
        axes_t, steps_t = ctx.param(3, "axes"), ctx.param(4, "steps")
        axes = ints(axes_t) if axes_t is not None else list(range(len(starts)))
        steps = ints(steps_t) if steps_t is not None else [1] * len(starts)
    clamp = lambda v: max(-INT32_MAX - 1, min(INT32_MAX, int(v)))  # noqa: E731
    if tracked:
        if tracked[1] or len(starts) != 1:
            raise ctx.error(f"cannot slice the symbolic shape tensor {tracked[0]}")
        dims = tracked[0]
        ctx.set_shape_value(node.output(0), dims[slice(*clamp_slice(len(dims), starts[0], ends[0], steps[0])[:3])])
        return
    ctx.emit1("Slice", [node.input(0)], node.output(0), {
        "starts": [clamp(v) for v in starts], "ends": [clamp(v) for v in ends],
        "axes": norm_axes(ctx, [int(a) for a in axes], rank), "steps": [int(s) for s in steps]})


@handler("Split", shape_aware=True)
def split(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    shape = ctx.shape(x)
    axis = norm_axes(ctx, [int(node.attrs.get("axis", 0))], len(shape), "axis")[0]
    n = len(node.outputs)
    if node.opset >= 13:
        sizes, runtime = runtime_param(ctx, 1, "split")
        if runtime is not None:
            ctx.emit("Split", [x, runtime], list(node.outputs), {"axis": axis})
            return
    else:
        sizes = node.attrs.get("split")
    if not sizes:
        dim = shape[axis]
        if isinstance(dim, str):
            raise ctx.error(f"splitting symbolic dim {dim!r} needs explicit sizes or a static shape")
        if "num_outputs" in node.attrs:  # opset 18: ceil-sized chunks, the last one smaller
            n = int(node.attrs["num_outputs"])
            chunk = -(-dim // n)
            sizes = [chunk] * (n - 1) + [dim - chunk * (n - 1)]
        else:
            if dim % n:
                raise ctx.error(f"dim {dim} of axis {axis} does not split into {n} equal parts")
            sizes = [dim // n] * n
    ctx.emit("Split", [x], list(node.outputs), {"axis": axis, "split": [int(s) for s in sizes]})


_PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2}


@handler("Pad")
def pad(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    rank = ctx.rank(x)
    mode = node.attrs.get("mode", "constant")
    if mode not in _PAD_MODES:
        raise ctx.unsupported(f"mode={mode!r} is not supported; supported: {', '.join(_PAD_MODES)}")
    if node.opset < 11:
        pads, value = [int(p) for p in node.attrs["pads"]], node.attrs.get("value", 0.0)
    else:
        pads, runtime = runtime_param(ctx, 1, "pads", required=True)
        value_t = ctx.param(2, "constant_value")
        value = 0.0 if value_t is None or np.asarray(value_t).size == 0 else np.asarray(value_t).reshape(-1)[0]
        axes_t = ctx.param(3, "axes")
        if runtime is not None:  # computed at run time: the runtime reads them while planning
            if axes_t is not None:
                raise ctx.unsupported("pads computed at run time together with an axes input are not supported; "
                                      "give pads for every axis or make them constant")
            ctx.emit1("Pad", [x, runtime], node.output(0), {"mode": _PAD_MODES[mode],
                                                             **fill_attrs(value, ctx.dtype(x))})
            return
        if axes_t is not None:  # opset 18: pads only for the listed axes
            axes = norm_axes(ctx, ints(axes_t), rank)
            if len(pads) != 2 * len(axes):
                raise ctx.error(f"pads {pads} need 2 values per axis in {axes}")
            full = [0] * (2 * rank)
            for k, a in enumerate(axes):
                full[a], full[a + rank] = pads[k], pads[k + len(axes)]
            pads = full
    ctx.emit1("Pad", [x], node.output(0), {"pads": pads, "mode": _PAD_MODES[mode], **fill_attrs(value, ctx.dtype(x))})


# ---- Expand, Tile ------------------------------------------------------------------------------
def _param_op(ctx: Context, node: OnnxNode, op: str, param: str) -> None:
    """op(x, param): the parameter as an attribute when constant, else as a run-time input."""
    values, runtime = runtime_param(ctx, 1, param, required=True)
    x = const_or_name(ctx, 0)
    if runtime is not None:
        ctx.emit1(op, [x, runtime], node.output(0))
    else:
        ctx.emit1(op, [x], node.output(0), {param: values})


@handler("Expand", shape_aware=True)
def expand(ctx: Context, node: OnnxNode) -> None:
    _param_op(ctx, node, "Expand", "shape")


@handler("Tile", shape_aware=True)
def tile(ctx: Context, node: OnnxNode) -> None:
    _param_op(ctx, node, "Tile", "repeats")


@handler("BitCast")
def bitcast(ctx: Context, node: OnnxNode) -> None:
    to = int(node.attrs["to"])
    if to not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"bitcast to {onnx_dtype_name(to)} is not supported; supported: "
                              f"{', '.join(ONNX_TO_DTYPE.values())}")
    ctx.emit1("BitCast", [node.input(0)], node.output(0), {"to": ir.dtype_code(ONNX_TO_DTYPE[to])})
