"""ONNX shape and data-movement ops -> IR tensor ops.

Parameters that ONNX moved from attributes to inputs over the opsets
(Reshape's shape at 5, Slice's bounds at 10, Pad's pads at 11, Split's and
Squeeze/Unsqueeze's at 13, Resize's scales/sizes) become IR attributes when
they are constants at conversion time. Reshape, Slice, Split, Expand, Tile,
Range, ConstantOfShape, TopK, OneHot, CumSum and Trilu also accept them
computed at run time: the IR node then takes the value as an input (the
runtime evaluates such shape subgraphs while planning). A shape tensor built
from symbolic dims (Context.shape_values) is materialised for them as
Shape/Concat nodes on the values that carry those dims (materialize).
Pad and Resize parameters must still be constants (ctx.param). Flatten,
Squeeze and Unsqueeze become Reshape; Constant becomes a constant value;
Upsample and every Resize version become one IR Resize with explicit
per-axis scales and sizes.
"""
from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from pocketml import ir
from pocketml.ops.tensor import COORD_MODES, NEAREST_MODES, RESIZE_MODES, clamp_slice, shape_range

from pocketml.errors import ConversionError

from .context import Context, OnnxNode, handler, tensor_to_array

INT32_MAX = 2**31 - 1  # Slice bounds are clamped into int32 (no dim is larger)


def _ints(a) -> list:
    return [int(v) for v in np.asarray(a).reshape(-1)]


def _norm_axes(ctx: Context, axes, rank: int, what: str = "axes") -> list:
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ctx.error(f"{what} {list(axes)} out of range for rank {rank}")
        out.append(a % rank)
    if len(set(out)) != len(out):
        raise ctx.error(f"{what} {list(axes)} repeat an axis")
    return out


# ---- parameters that may be computed at run time ------------------------------------------
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
    return _ints(data), None


def _const_or_name(ctx: Context, index: int) -> str:
    """Input ``index`` as an IR value name (materialising a symbolic shape tensor)."""
    name = ctx.node.input(index)
    return materialize(ctx, name) if name in ctx.shape_values else name


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
        dtype, number = ir.dtype_name(value.dtype), float(value[0])
    else:
        dtype, number = "float32", 0.0
    if runtime is not None and ctx.dtype(runtime) != "int64":
        runtime = ctx.emit1("Cast", [runtime], attrs={"to": ir.dtype_code("int64")}, hint="shape")
    ctx.emit1("ConstantOfShape", [runtime or ctx.add_const(np.asarray(shape, np.int64), "shape")], node.output(0),
              {"value": [number], "dtype": ir.dtype_code(dtype)})


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
        return None if axes is None else _ints(axes)
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
    axes = _norm_axes(ctx, axes, len(shape))
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
    axes = _norm_axes(ctx, axes, out_rank)
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
            ctx.emit1("Slice", [node.input(0)] + [_const_or_name(ctx, i) for i in range(1, 5)], node.output(0))
            return
        starts = _ints(ctx.param(1, "starts", required=True))
        ends = _ints(ctx.param(2, "ends", required=True))
        axes_t, steps_t = ctx.param(3, "axes"), ctx.param(4, "steps")
        axes = _ints(axes_t) if axes_t is not None else list(range(len(starts)))
        steps = _ints(steps_t) if steps_t is not None else [1] * len(starts)
    clamp = lambda v: max(-INT32_MAX - 1, min(INT32_MAX, int(v)))  # noqa: E731
    if tracked:
        if tracked[1] or len(starts) != 1:
            raise ctx.error(f"cannot slice the symbolic shape tensor {tracked[0]}")
        dims = tracked[0]
        ctx.set_shape_value(node.output(0), dims[slice(*clamp_slice(len(dims), starts[0], ends[0], steps[0])[:3])])
        return
    ctx.emit1("Slice", [node.input(0)], node.output(0), {
        "starts": [clamp(v) for v in starts], "ends": [clamp(v) for v in ends],
        "axes": _norm_axes(ctx, [int(a) for a in axes], rank), "steps": [int(s) for s in steps]})


@handler("Split", shape_aware=True)
def split(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    shape = ctx.shape(x)
    axis = _norm_axes(ctx, [int(node.attrs.get("axis", 0))], len(shape), "axis")[0]
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
        pads, value = [int(p) for p in node.attrs["pads"]], float(node.attrs.get("value", 0.0))
    else:
        pads = _ints(ctx.param(1, "pads", required=True))
        value_t = ctx.param(2, "constant_value")
        value = 0.0 if value_t is None or np.asarray(value_t).size == 0 else float(np.asarray(value_t).reshape(-1)[0])
        axes_t = ctx.param(3, "axes")
        if axes_t is not None:  # opset 18: pads only for the listed axes
            axes = _norm_axes(ctx, _ints(axes_t), rank)
            if len(pads) != 2 * len(axes):
                raise ctx.error(f"pads {pads} need 2 values per axis in {axes}")
            full = [0] * (2 * rank)
            for k, a in enumerate(axes):
                full[a], full[a + rank] = pads[k], pads[k + len(axes)]
            pads = full
    ctx.emit1("Pad", [x], node.output(0), {"pads": pads, "mode": _PAD_MODES[mode], "value": value})


# ---- Gather ---------------------------------------------------------------------------------
@handler("Gather", shape_aware=True)
def gather(ctx: Context, node: OnnxNode) -> None:
    if node.input(0) in ctx.shape_values:
        dims = ctx.shape_values[node.input(0)][0]
        idx = ctx.param(1, "indices", required=True)
        if idx.ndim > 1 or np.any((idx < -len(dims)) | (idx >= len(dims))):
            raise ctx.error(f"indices {idx.tolist()} do not select from the shape tensor {dims}")
        ctx.set_shape_value(node.output(0), [dims[int(i)] for i in idx.reshape(-1)], scalar=idx.ndim == 0)
        return
    ctx.emit1("Gather", [node.input(0), node.input(1)], node.output(0), {"axis": int(node.attrs.get("axis", 0))})


# ---- Resize / Upsample ---------------------------------------------------------------------------
def _legacy_nearest_mode(ctx: Context, scales) -> int:
    """Upsample and Resize-10 pick the source pixel as onnxruntime does (the
    oracle): floor when enlarging, ceil when shrinking, per axis."""
    up = any(s > 1 for s in scales)
    down = any(s < 1 for s in scales)
    if up and down:
        raise ctx.unsupported(f"nearest resize that enlarges some axes and shrinks others (scales {scales}) "
                              f"before opset 11")
    return NEAREST_MODES.index("ceil" if down else "floor")


@handler("Resize", "Upsample")
def resize(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    shape = ctx.shape(x)
    rank = len(shape)
    mode = node.attrs.get("mode", "nearest")
    mode = "linear" if mode == "bilinear" else mode  # Upsample-7 spelling
    legacy = node.op_type == "Upsample" or node.opset < 11
    if mode not in RESIZE_MODES or (legacy and mode == "cubic"):
        raise ctx.unsupported(f"mode={mode!r} is not supported; supported: nearest, linear" +
                              ("" if legacy else ", cubic"))
    sizes = None
    policy = "stretch"
    if legacy:
        if node.op_type == "Upsample" and node.opset < 9:
            scales = [float(s) for s in node.attrs["scales"]]
        else:
            scales = [float(s) for s in ctx.param(1, "scales", required=True).reshape(-1)]
        coord, axes = "asymmetric", list(range(rank))
    else:
        coord = node.attrs.get("coordinate_transformation_mode", "half_pixel")
        if coord not in COORD_MODES:
            raise ctx.unsupported(f"coordinate_transformation_mode={coord!r} is not supported; supported: "
                                  f"{', '.join(COORD_MODES)}")
        if int(node.attrs.get("antialias", 0)):
            raise ctx.unsupported("antialias=1 is not supported")
        policy = node.attrs.get("keep_aspect_ratio_policy", "stretch")
        if policy not in ("stretch", "not_larger", "not_smaller"):
            raise ctx.unsupported(f"keep_aspect_ratio_policy={policy!r}")
        axes = _norm_axes(ctx, [int(a) for a in node.attrs.get("axes", range(rank))], rank)
        scales_t, sizes_t = ctx.param(2, "scales"), ctx.param(3, "sizes")
        scales = [float(s) for s in scales_t.reshape(-1)] if scales_t is not None and scales_t.size else None
        sizes = _ints(sizes_t) if sizes_t is not None and sizes_t.size else None
        if (scales is None) == (sizes is None):
            raise ctx.error("exactly one of scales and sizes must be given")
    given = scales if sizes is None else sizes
    if len(given) != len(axes):
        raise ctx.error(f"{'scales' if sizes is None else 'sizes'} {given} need one value per axis in {axes}")
    full_scales, full_sizes = [1.0] * rank, [-1 if isinstance(d, str) else int(d) for d in shape]
    if sizes is not None:
        for a, size in zip(axes, sizes):
            if isinstance(shape[a], str):
                raise ctx.error(f"sizes on symbolic axis {a} ({shape[a]!r}) need a static input dim")
            full_scales[a] = size / shape[a]
        if policy != "stretch":
            pick = min if policy == "not_larger" else max
            scale = pick(full_scales[a] for a in axes)
            for a in axes:
                full_scales[a] = scale
                sizes[axes.index(a)] = int(scale * shape[a] + 0.5)  # round half up, as the spec says
        for a, size in zip(axes, sizes):
            full_sizes[a] = size
    else:
        for a, scale in zip(axes, scales):
            if scale <= 0:
                raise ctx.error(f"scales {scales} must be positive")
            full_scales[a] = scale
            if isinstance(shape[a], str):
                if scale != 1.0:
                    raise ctx.error(f"scale {scale} on symbolic axis {a} ({shape[a]!r}); fix it with input_shapes")
            else:  # float32 product, floored, as the runtimes compute it
                full_sizes[a] = int(np.floor(np.float32(scale) * np.float32(shape[a])))
    nearest = node.attrs.get("nearest_mode", "round_prefer_floor")
    if legacy:
        nearest_code = _legacy_nearest_mode(ctx, [full_scales[a] for a in axes]) if mode == "nearest" else 0
    elif nearest not in NEAREST_MODES:
        raise ctx.unsupported(f"nearest_mode={nearest!r} is not supported; supported: {', '.join(NEAREST_MODES)}")
    else:
        nearest_code = NEAREST_MODES.index(nearest)
    attrs = {"mode": RESIZE_MODES.index(mode), "coordinate_transformation_mode": COORD_MODES.index(coord),
             "nearest_mode": nearest_code, "cubic_coeff_a": float(node.attrs.get("cubic_coeff_a", -0.75)),
             "exclude_outside": int(node.attrs.get("exclude_outside", 0)),
             "extrapolation_value": float(node.attrs.get("extrapolation_value", 0.0)),
             "scales": full_scales, "sizes": full_sizes}
    ctx.emit1("Resize", [x], node.output(0), attrs)


# ---- Expand, Tile, Range -------------------------------------------------------------------------
def _param_op(ctx: Context, node: OnnxNode, op: str, param: str) -> None:
    """op(x, param): the parameter as an attribute when constant, else as a run-time input."""
    values, runtime = runtime_param(ctx, 1, param, required=True)
    x = _const_or_name(ctx, 0)
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


@handler("Range", shape_aware=True)
def range_(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("Range", [_const_or_name(ctx, i) for i in range(3)], node.output(0))


# ---- index ops ------------------------------------------------------------------------------------
_REDUCTIONS = ("none", "add", "mul", "max", "min")


def _reduction(ctx: Context, node: OnnxNode) -> int:
    red = node.attrs.get("reduction", "none")
    if red not in _REDUCTIONS:
        raise ctx.unsupported(f"reduction={red!r} is not supported; supported: {', '.join(_REDUCTIONS)}")
    return _REDUCTIONS.index(red)


@handler("GatherElements")
def gather_elements(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("GatherElements", [node.input(0), node.input(1)], node.output(0),
              {"axis": int(node.attrs.get("axis", 0))})


@handler("GatherND")
def gather_nd(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("GatherND", [node.input(0), node.input(1)], node.output(0),
              {"batch_dims": int(node.attrs.get("batch_dims", 0))})


@handler("ScatterElements", "Scatter")
def scatter_elements(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("ScatterElements", [node.input(0), node.input(1), node.input(2)], node.output(0),
              {"axis": int(node.attrs.get("axis", 0)), "reduction": _reduction(ctx, node)})


@handler("ScatterND")
def scatter_nd(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("ScatterND", [node.input(0), node.input(1), node.input(2)], node.output(0),
              {"reduction": _reduction(ctx, node)})


@handler("OneHot", shape_aware=True)
def onehot(ctx: Context, node: OnnxNode) -> None:
    depth = ctx.const(node.input(1)) if node.input(1) not in ctx.shape_values else None
    attrs = {"axis": int(node.attrs.get("axis", -1))}
    if depth is not None:  # ONNX allows any numeric type: the value is truncated to an integer
        attrs["depth"] = int(np.asarray(depth).reshape(-1)[0])
        ctx.emit1("OneHot", [node.input(0), node.input(2)], node.output(0), attrs)
    else:
        ctx.emit1("OneHot", [node.input(0), node.input(2), _const_or_name(ctx, 1)], node.output(0), attrs)


@handler("TopK", shape_aware=True)
def topk(ctx: Context, node: OnnxNode) -> None:
    attrs = {"axis": int(node.attrs.get("axis", -1)), "largest": int(node.attrs.get("largest", 1)),
             "sorted": int(node.attrs.get("sorted", 1))}
    outs = list(node.outputs) + [""] * (2 - len(node.outputs))
    if node.opset < 10:
        attrs["k"] = int(node.attrs["k"])
        ctx.emit("TopK", [node.input(0)], outs, attrs)
        return
    k, runtime = runtime_param(ctx, 1, "k", required=True)
    if runtime is not None:
        ctx.emit("TopK", [node.input(0), runtime], outs, attrs)
    else:
        if len(k) != 1:
            raise ctx.error(f"k must hold one value, got {k}")
        ctx.emit("TopK", [node.input(0)], outs, {**attrs, "k": k[0]})


@handler("Trilu", shape_aware=True)
def trilu(ctx: Context, node: OnnxNode) -> None:
    k, runtime = runtime_param(ctx, 1, "k")
    attrs = {"upper": int(node.attrs.get("upper", 1))}
    if runtime is not None:
        ctx.emit1("Trilu", [node.input(0), runtime], node.output(0), attrs)
    else:
        ctx.emit1("Trilu", [node.input(0)], node.output(0), {**attrs, "k": k[0] if k else 0})


@handler("CumSum", shape_aware=True)
def cumsum(ctx: Context, node: OnnxNode) -> None:
    axis, runtime = runtime_param(ctx, 1, "axis", required=True)
    attrs = {"exclusive": int(node.attrs.get("exclusive", 0)), "reverse": int(node.attrs.get("reverse", 0))}
    if runtime is not None:
        ctx.emit1("CumSum", [node.input(0), runtime], node.output(0), attrs)
    else:
        ctx.emit1("CumSum", [node.input(0)], node.output(0), {**attrs, "axis": axis[0]})
