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
DepthToSpace / SpaceToDepth run channels-last: wrapped NCHW -> NHWC and back. EyeLike
takes its dtype attribute, or else x's.
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import numpy_helper

from pocketml import ir
from pocketml.errors import ConversionError
from pocketml.ops import limits
from pocketml.ops.tensor import SPACE_DEPTH_MODES, clamp_slice, fill_attrs, fill_scalar, shape_range

from .attr_domains import (AXES, AXIS, AXIS_INCLUSIVE, BOOL, NONNEG_INTS, PERM, POSITIVE, axes, domain, enum,
                           per_axis)
from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name, tensor_to_array
from .layout import from_nhwc, to_nhwc
from .params import const_or_name, ints, materialize, norm_axes, runtime_param
from .weight_fillers import filled, fill_fits, remember_fill

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
        value = _fill_value(ctx, node)
        dtype = ir.dtype_name(value.dtype)
    else:
        dtype, value = "float32", np.zeros(1, np.float32)
    if runtime is not None and ctx.dtype(runtime) != "int64":
        runtime = ctx.emit1("Cast", [runtime], attrs={"to": ir.dtype_code("int64")}, hint="shape")
    if runtime is None:  # a static shape: the constant itself (light_* models build every weight so)
        if min(shape, default=0) < 0:
            raise ctx.error(f"shape {shape} has a negative dim")
        if not fill_fits(value, shape) and limits.fill_verdict(dtype, tuple(shape)) is not None:
            # too big to hold: made at run time
            return constant_of_shape_node(ctx, node, ctx.add_const(np.asarray(shape, np.int64), "shape"), value, dtype)
        # value already has the dtype: the element fill_attrs/fill_scalar would round-trip it to
        ctx.graph.add_value(node.output(0), const=filled(value[:1], tuple(shape)))
        remember_fill(ctx, node, value)
        return
    constant_of_shape_node(ctx, node, runtime, value, dtype)


def _fill_value(ctx: Context, node: OnnxNode) -> np.ndarray:
    """ConstantOfShape's one-element value as a 1-D array, decoded once per distinct value: a light
    model's hundreds of fillers repeat a few (the array is only read: fills broadcast it)."""
    t = node.attrs["value"]
    cache = ctx.__dict__.setdefault("_fill_values", {})
    key = t.SerializeToString() if t.ByteSize() <= 64 else None  # (a big one is an error below)
    value = cache.get(key) if key is not None else None
    if value is None:
        value = tensor_to_array(t, node.where()).reshape(-1)
        if value.size != 1:
            raise ctx.error(f"value must hold one element, got {value.size}")
        value.flags.writeable = False  # shared by every fill made of it: never written
        if key is not None:
            cache[key] = value
    return value


def constant_of_shape_node(ctx: Context, node: OnnxNode, shape: str, value, dtype: str) -> None:
    fill = fill_attrs(value, dtype)
    ctx.emit1("ConstantOfShape", [shape], node.output(0), {**fill, "value": [fill["value"]],
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
@domain(allowzero=BOOL)
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
@domain(axis=AXIS_INCLUSIVE)
def flatten(ctx: Context, node: OnnxNode) -> None:
    ctx.flatten_2d(node.input(0), int(node.attrs.get("axis", 1)), node.output(0))


def _squeeze_axes(ctx: Context, node: OnnxNode) -> list:
    """The axes as ints, None when absent, or the name of an axes tensor computed at run time."""
    if node.opset >= 13:
        axes, runtime = runtime_param(ctx, 1, "axes")
        return runtime if runtime is not None else axes
    return node.attrs.get("axes")


def _axes_mask(ctx: Context, axes: str, rank: int) -> str:
    """int64 [rank]: 1 at the (possibly negative) axes given at run time, else 0 (computed while planning)."""
    r = ctx.add_const(np.array(rank, np.int64), "rank")
    wrapped = ctx.emit1("Mod", [ctx.emit1("Add", [axes, r], hint="axes"), r], hint="axes")
    hot = ctx.emit1("OneHot", [wrapped, ctx.add_const(np.array([0, 1], np.int64), "off_on")],
                    attrs={"depth": rank, "axis": -1}, hint="axes")
    return ctx.emit1("ReduceMax", [hot], attrs={"axes": [0], "keepdims": 0}, hint="axes_mask")


def _squeeze_runtime(ctx: Context, node: OnnxNode, x: str, axes: str) -> None:
    """Squeeze by axes computed at run time: the kept dims, in order, are the k = rank - len(axes)
    smallest of mask * rank + position (TopK), gathered from Shape(x)."""
    rank, n = len(ctx.shape(x)), _static_len(ctx, axes)
    keys = ctx.emit1("Add", [ctx.emit1("Mul", [_axes_mask(ctx, axes, rank), ctx.add_const(np.array(rank, np.int64))]),
                             ctx.add_const(np.arange(rank, dtype=np.int64), "positions")], hint="keys")
    kept = ctx.emit("TopK", [keys], 2, {"k": rank - n, "axis": 0, "largest": 0, "sorted": 1}, hint="kept")[0]
    dims = ctx.emit1("Gather", [ctx.emit1("Shape", [x], hint="dims"), kept], attrs={"axis": 0}, hint="dims")
    ctx.emit1("Reshape", [x, dims], node.output(0), {"shape": [], "allowzero": 0})


def _unsqueeze_runtime(ctx: Context, node: OnnxNode, x: str, axes: str) -> None:
    """Unsqueeze by axes computed at run time: 1 where the mask says, else the next dim of x."""
    out_rank = len(ctx.shape(x)) + _static_len(ctx, axes)
    mask = _axes_mask(ctx, axes, out_rank)
    one = ctx.add_const(np.array(1, np.int64), "one")
    keep = ctx.emit1("Sub", [one, mask], hint="keep")
    # exclusive running count of kept dims: the x dim each position takes
    source = ctx.emit1("CumSum", [keep], attrs={"axis": 0, "exclusive": 1}, hint="pos")
    padded = ctx.emit1("Concat", [ctx.emit1("Shape", [x], hint="dims"), ctx.add_const(np.ones(1, np.int64))],
                       attrs={"axis": 0}, hint="dims")  # a spare 1, so every gather index is in range
    dims = ctx.emit1("Where", [ctx.emit1("Cast", [mask], attrs={"to": ir.dtype_code("bool")}, hint="is_new"), one,
                               ctx.emit1("Gather", [padded, source], attrs={"axis": 0}, hint="dims")], hint="dims")
    ctx.emit1("Reshape", [x, dims], node.output(0), {"shape": [], "allowzero": 0})


def _static_len(ctx: Context, axes: str) -> int:
    shape = ctx.shape(axes)
    if len(shape) != 1 or isinstance(shape[0], str):
        raise ctx.error(f"axes computed at run time must be 1-D with a static length, got shape {list(shape)}")
    return int(shape[0])


@handler("Squeeze", shape_aware=True)
@domain(axes=AXES)
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
    if isinstance(axes, str):
        _squeeze_runtime(ctx, node, x, axes)
        return
    if axes is None:
        if any(isinstance(d, str) for d in shape):
            raise ctx.error(f"Squeeze without axes needs a static shape to find the size-1 dims, got "
                            f"{list(shape)}; give axes or fix dims with input_shapes")
        axes = [i for i, d in enumerate(shape) if d == 1]
    axes = norm_axes(ctx, axes, len(shape))
    for a in axes:  # (a symbolic dim must be 1 at run time: the Reshape checks the sizes)
        if not isinstance(shape[a], str) and shape[a] != 1:
            raise ctx.error(f"cannot squeeze axis {a} of shape {list(shape)}: its size is not 1")
    kept = [d for i, d in enumerate(shape) if i not in axes]
    if any(isinstance(shape[a], str) for a in axes):  # a symbolic dim must be 1 at run time: the runtime checks
        kept_axes = ctx.add_const(np.array([i for i in range(len(shape)) if i not in axes], np.int64), "kept")
        dims = ctx.emit1("Gather", [ctx.emit1("Shape", [x], hint="dims"), kept_axes], attrs={"axis": 0}, hint="dims")
        ctx.emit1("Reshape", [x, dims], node.output(0), {"shape": [], "allowzero": 0})
        return
    ctx.reshape(x, kept, node.output(0))


@handler("Unsqueeze", shape_aware=True)
@domain(axes=axes(out_rank=True))
def unsqueeze(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    axes = _squeeze_axes(ctx, node)
    if axes is None:
        raise ctx.error("axes are required")
    if isinstance(axes, str):
        _unsqueeze_runtime(ctx, node, const_or_name(ctx, 0), axes)
        return
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
@domain(perm=PERM)
def transpose(ctx: Context, node: OnnxNode) -> None:
    rank = ctx.rank(node.input(0))
    perm = [int(p) for p in node.attrs.get("perm", list(range(rank))[::-1])]
    ctx.emit1("Transpose", [node.input(0)], node.output(0), {"perm": perm})


# ---- slicing and joining ---------------------------------------------------------------------
@handler("Concat", shape_aware=True)
@domain(axis=AXIS)
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
@domain(axis=AXIS, split=NONNEG_INTS, num_outputs=POSITIVE)
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
            if n != len(node.outputs):  # before building n sizes
                raise ctx.error(f"num_outputs is {n}, the node has {len(node.outputs)} outputs")
            chunk = -(-dim // n)
            sizes = [chunk] * (n - 1) + [dim - chunk * (n - 1)]
        else:
            if dim % n:
                raise ctx.error(f"dim {dim} of axis {axis} does not split into {n} equal parts")
            sizes = [dim // n] * n
    ctx.emit("Split", [x], list(node.outputs), {"axis": axis, "split": [int(s) for s in sizes]})


_PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2, "wrap": 3}


@handler("Pad")
@domain(mode=enum("constant", "reflect", "edge", "wrap"), pads=per_axis(2))  # pads: an attribute before opset 11
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
        axes, runtime_axes = runtime_param(ctx, 3, "axes")
        value_name = node.input(2)
        value_t = ctx.const(value_name) if value_name else None
        runtime_value = value_name if value_name and value_t is None else None
        if value_t is not None and np.asarray(value_t).size == 0:
            value_t = None
        value = 0.0 if value_t is None else np.asarray(value_t).reshape(-1)[0]
        if runtime is not None or runtime_axes is not None or runtime_value is not None:
            # computed at run time: pads and axes are read while planning, the value at run time
            attrs = {"mode": _PAD_MODES[mode], **fill_attrs(value, ctx.dtype(x))}
            if runtime is None:
                attrs["pads"] = pads
            if runtime_axes is None and axes is not None:
                attrs["axes"] = norm_axes(ctx, axes, rank)
            ins = [x, runtime or "", runtime_value or "", runtime_axes or ""]
            ctx.emit1("Pad", ins, node.output(0), attrs)
            return
        if axes is not None:  # opset 18: pads only for the listed axes
            axes = norm_axes(ctx, axes, rank)
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


# ---- DepthToSpace / SpaceToDepth ---------------------------------------------------------
@handler("DepthToSpace", "SpaceToDepth")
@domain(blocksize=POSITIVE, mode=enum("DCR", "CRD"))
def space_depth(ctx: Context, node: OnnxNode) -> None:
    """Every opset: mode is DCR unless given (DepthToSpace 11+, SpaceToDepth 28+ take it)."""
    x = node.input(0)
    if ctx.rank(x) != 4:
        raise ctx.unsupported(f"input shape {list(ctx.shape(x))}; supported: rank 4 (NCHW)")
    mode = node.attrs.get("mode", "DCR")
    if mode not in SPACE_DEPTH_MODES:
        raise ctx.unsupported(f"mode {mode!r}; supported: {', '.join(SPACE_DEPTH_MODES)}")
    if "blocksize" not in node.attrs:
        raise ctx.error("attribute 'blocksize' is required")
    attrs = {"blocksize": int(node.attrs["blocksize"]), "mode": SPACE_DEPTH_MODES[mode]}
    y = ctx.emit1(node.op_type, [to_nhwc(ctx, x)], attrs=attrs)
    from_nhwc(ctx, y, node.output(0), 4)


# ---- EyeLike ------------------------------------------------------------------------------
@handler("EyeLike")
def eye_like(ctx: Context, node: OnnxNode) -> None:
    """Opsets 9 and 22: the output dtype is the attribute's, else x's."""
    x = node.input(0)
    if ctx.rank(x) != 2:
        raise ctx.error(f"input shape {list(ctx.shape(x))} is not 2-D")
    to = node.attrs.get("dtype")
    if to is not None and int(to) not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"dtype {onnx_dtype_name(int(to))}; supported: {', '.join(ONNX_TO_DTYPE.values())}")
    dtype = ONNX_TO_DTYPE[int(to)] if to is not None else ctx.dtype(x)
    ctx.emit1("EyeLike", [x], node.output(0), {"k": int(node.attrs.get("k", 0)), "dtype": ir.dtype_code(dtype)})
def full_rank_pads(ctx: Context, pads: str, axes: list, rank: int) -> str:
    """Pads computed at run time for the listed axes ([begins..., ends...], 2 * len(axes)) as the
    [2 * rank] pads the IR Pad takes (0 on the other axes): a Gather per listed entry and a Concat,
    which the runtime evaluates while planning."""
    zero = ctx.add_const(np.zeros(1, np.int64), "zero")
    pieces = [ctx.emit1("Gather", [pads, ctx.add_const(np.array([side * len(axes) + axes.index(a)], np.int64), "at")],
                        attrs={"axis": 0}, hint="pad_at") if a in axes else zero
              for side in (0, 1) for a in range(rank)]
    return ctx.emit1("Concat", pieces, attrs={"axis": 0}, hint="pads")


# ---- CenterCropPad --------------------------------------------------------------------------------
@handler("CenterCropPad")
@domain(axes=AXES)
def center_crop_pad(ctx: Context, node: OnnxNode) -> None:
    """Crop each listed axis centred (start (d - s) // 2) then pad it centred with zeros (begin
    (s - d) // 2, the odd element at the end), as ONNX's function body: a Slice and a Pad, with
    attributes when the target shape and the axes' sizes are known, else fed by the shape
    arithmetic (Shape, Gather, Sub, Max, Div...) the runtime evaluates while planning."""
    x = node.input(0)
    rank, dims = ctx.rank(x), ctx.shape(x)
    axes = norm_axes(ctx, [int(a) for a in node.attrs.get("axes", range(rank))], rank)
    target, runtime = runtime_param(ctx, 1, "shape", required=True)
    if target is not None and len(target) != len(axes):
        raise ctx.error(f"shape {target} needs one value per axis in {axes}")
    if target is not None and min(target, default=0) < 0:
        raise ctx.error(f"shape {target} must be non-negative")
    fill = fill_attrs(0, ctx.dtype(x))
    if target is not None and all(isinstance(dims[a], int) for a in axes):
        starts = [max(dims[a] - s, 0) // 2 for a, s in zip(axes, target)]
        ends = [b + min(dims[a], s) for b, a, s in zip(starts, axes, target)]
        pads = [0] * (2 * rank)
        for a, s in zip(axes, target):
            extra = max(s - dims[a], 0)
            pads[a], pads[a + rank] = extra // 2, extra - extra // 2
        crop = any(e - b != dims[a] for a, b, e in zip(axes, starts, ends))
        y = ctx.emit1("Slice", [x], attrs={"starts": starts, "ends": ends, "axes": axes}, hint="crop") if crop else x
        if any(pads):
            ctx.emit1("Pad", [y], node.output(0), {"pads": pads, **fill}, hint="pad")
        else:
            ctx.emit1("Identity", [y], node.output(0))
        return
    shape = runtime if runtime is not None else ctx.add_const(np.array(target, np.int64), "target")

    def const(values, hint):
        return ctx.add_const(np.array(values, np.int64), hint)

    def op(name, *inputs, **attrs):
        return ctx.emit1(name, list(inputs), attrs=attrs, hint=name.lower())

    have = op("Gather", op("Shape", x), const(axes, "axes"), axis=0)
    zero, two = const([0], "zero"), const([2], "two")
    start = op("Div", op("Max", op("Sub", have, shape), zero), two)
    y = ctx.emit1("Slice", [x, start, op("Add", start, op("Min", have, shape))], attrs={"axes": axes}, hint="crop")
    extra = op("Max", op("Sub", shape, have), zero)
    begin = op("Div", extra, two)
    pads = full_rank_pads(ctx, op("Concat", begin, op("Sub", extra, begin), axis=0), axes, rank)
    ctx.emit1("Pad", [y, pads], node.output(0), fill, hint="pad")
