"""ONNX shape and data-movement ops -> IR tensor ops.

Parameters that ONNX moved from attributes to inputs over the opsets
(Reshape's shape at 5, Slice's bounds at 10, Pad's pads at 11, Split's and
Squeeze/Unsqueeze's at 13, Resize's scales/sizes) become IR attributes, so an
input form must be constant at conversion time (ctx.param). Flatten, Squeeze
and Unsqueeze become Reshape; Constant becomes a constant value; Upsample and
every Resize version become one IR Resize with explicit per-axis scales and
sizes.
"""
from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from pocketml import ir
from pocketml.ops.tensor import COORD_MODES, NEAREST_MODES, RESIZE_MODES, clamp_slice, shape_range

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


@handler("ConstantOfShape")
def constant_of_shape(ctx: Context, node: OnnxNode) -> None:
    shape = ctx.param(0, "shape", required=True)
    if "value" in node.attrs:
        value = tensor_to_array(node.attrs["value"], node.where()).reshape(-1)
        if value.size != 1:
            raise ctx.error(f"value must hold one element, got {value.size}")
        dtype, number = ir.dtype_name(value.dtype), float(value[0])
    else:
        dtype, number = "float32", 0.0
    ctx.emit1("ConstantOfShape", [ctx.add_const(np.asarray(shape, np.int64), "shape")], node.output(0),
              {"value": [number], "dtype": ir.dtype_code(dtype)})


@handler("Shape")
def shape_(ctx: Context, node: OnnxNode) -> None:
    attrs = {"start": int(node.attrs.get("start", 0)), "end": int(node.attrs.get("end", 2**62))}
    shape = ctx.shape(node.input(0))
    if ir.is_static(shape):
        ctx.emit1("Shape", [node.input(0)], node.output(0), attrs)  # folds to a constant
    else:
        ctx.set_shape_value(node.output(0), list(shape[slice(*shape_range(len(shape), attrs))]))


# ---- reshaping ---------------------------------------------------------------------------
@handler("Reshape", shape_aware=True)
def reshape(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    if node.input(1) in ctx.shape_values:
        _reshape_symbolic(ctx, node, x, ctx.shape_values[node.input(1)][0])
        return
    shape = _ints(ctx.param(1, "shape", required=True))  # an input since opset 5
    ctx.emit1("Reshape", [node.input(0)], node.output(0),
              {"shape": [int(d) for d in shape], "allowzero": int(node.attrs.get("allowzero", 0))})


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


@handler("Split")
def split(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    shape = ctx.shape(x)
    axis = _norm_axes(ctx, [int(node.attrs.get("axis", 0))], len(shape), "axis")[0]
    n = len(node.outputs)
    if node.opset >= 13:
        sizes = ctx.param(1, "split")
        sizes = _ints(sizes) if sizes is not None else None
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
