"""ONNX Resize and Upsample -> one IR Resize with explicit per-axis scales
and sizes; GridSample and RoiAlign -> their channels-last IR ops; AffineGrid as is.

Upsample (scales an attribute before opset 9, an input from 9) and Resize-10
are asymmetric with onnxruntime's nearest rounding; Resize 11+ reads
coordinate_transformation_mode, nearest_mode, cubic_coeff_a,
exclude_outside, extrapolation_value, axes and keep_aspect_ratio_policy, and Resize 18+
antialias (linear and cubic). tf_crop_and_resize reads the roi input (absent: the whole
axis, as onnxruntime): a constant becomes the full-rank 'roi' attribute, one computed at
run time stays input 3 of the IR Resize (over the axes of its 'axes' attribute; float16
cast to float32), which the runtime reads at every run.
Constant scales and sizes become per-axis attributes (a scale on an axis that is
symbolic at conversion is applied by the runtime to the concrete size); scales or
sizes computed at run time stay inputs of the IR Resize (with its axes and
keep_aspect_ratio_policy), which the runtime reads while planning.
"""
from __future__ import annotations

import numpy as np

from pocketml import ir
from pocketml.ops.grid import GRID_MODES, GRID_PADDING, ROI_MODES
from pocketml.ops.tensor import COORD_MODES, NEAREST_MODES, RESIZE_MODES

from .attr_domains import AXES, BOOL, NONNEG, POSITIVE, at_least, domain, each, enum, per_op, per_opset
from .context import Context, OnnxNode, handler
from .layout import channels_first_perm, channels_last_perm
from .params import const_or_name, ints, norm_axes

_POLICIES = ("stretch", "not_larger", "not_smaller")


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
@domain(mode=per_op(Resize=enum("nearest", "linear", "cubic"), Upsample=enum("nearest", "linear", "bilinear")),
        coordinate_transformation_mode=enum(
            "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
            "tf_half_pixel_for_nn", "tf_crop_and_resize"), nearest_mode=enum(*NEAREST_MODES),
        exclude_outside=BOOL, antialias=BOOL, keep_aspect_ratio_policy=enum("stretch", "not_larger", "not_smaller"),
        axes=AXES, scales=per_op(Upsample=each(at_least(1.0))))  # Upsample-7's scales attribute
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
        coord, axes = "asymmetric", list(range(rank))
        if node.op_type == "Upsample" and node.opset < 9:
            scales = [float(s) for s in node.attrs["scales"]]
        elif ctx.const(node.input(1)) is None:  # computed at run time
            _runtime_resize(ctx, node, mode, coord, axes, policy, scales=const_or_name(ctx, 1))
            return
        else:
            scales = [float(s) for s in ctx.param(1, "scales", required=True).reshape(-1)]
    else:
        coord = node.attrs.get("coordinate_transformation_mode", "half_pixel")
        if coord not in COORD_MODES:
            raise ctx.unsupported(f"coordinate_transformation_mode={coord!r} is not supported; supported: "
                                  f"{', '.join(COORD_MODES)}")
        if int(node.attrs.get("antialias", 0)) and mode == "nearest":
            raise ctx.unsupported("antialias=1 with mode='nearest' is not supported; antialias takes linear, cubic")
        policy = node.attrs.get("keep_aspect_ratio_policy", "stretch")
        if policy not in ("stretch", "not_larger", "not_smaller"):
            raise ctx.unsupported(f"keep_aspect_ratio_policy={policy!r}")
        axes = norm_axes(ctx, [int(a) for a in node.attrs.get("axes", range(rank))], rank)
        runtime = [i for i in (2, 3) if node.input(i) and ctx.const(node.input(i)) is None]
        roi = _roi(ctx, node, coord, axes, rank)
        if runtime:
            _runtime_resize(ctx, node, mode, coord, axes, policy, roi=roi,
                            **{("scales" if runtime[0] == 2 else "sizes"): const_or_name(ctx, runtime[0])})
            return
        scales_t, sizes_t = ctx.param(2, "scales"), ctx.param(3, "sizes")
        scales = [float(s) for s in scales_t.reshape(-1)] if scales_t is not None and scales_t.size else None
        sizes = ints(sizes_t) if sizes_t is not None and sizes_t.size else None
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
            if shape[a] == 0 and size != 0:  # before dividing by it
                raise ctx.error(f"axis {a} of the input is empty (shape {list(shape)}); it cannot be resized to {size}")
            full_scales[a] = size / shape[a] if shape[a] else 1.0
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
            if not isinstance(shape[a], str):  # float32 product, floored, as the runtimes compute it
                # (a symbolic axis keeps -1: the runtime applies the scale to the concrete size)
                full_sizes[a] = int(np.floor(np.float32(scale) * np.float32(shape[a])))
    attrs = {**_mode_attrs(ctx, node, mode, coord, legacy, [full_scales[a] for a in axes]),
             "scales": full_scales, "sizes": full_sizes}
    roi_input = ""
    if not legacy and isinstance(roi, str):  # computed at run time: over the axes attribute
        roi_input, attrs["axes"] = roi, axes
    elif not legacy and roi:
        attrs["roi"] = roi
    ctx.emit1("Resize", [x, "", "", roi_input] if roi_input else [x], node.output(0), attrs)


def _roi(ctx: Context, node: OnnxNode, coord: str, axes: list, rank: int):
    """tf_crop_and_resize's roi: the full-rank [starts..., ends...] of a constant (None when
    absent: the whole axis), or the name of a float32 value computed at run time."""
    if coord != "tf_crop_and_resize" or not node.input(1):
        return None
    if ctx.const(node.input(1)) is None:
        name = const_or_name(ctx, 1)
        if ctx.dtype(name) == "float32":
            return name
        return ctx.emit1("Cast", [name], attrs={"to": ir.dtype_code("float32")}, hint="roi_float32")
    values = [float(v) for v in ctx.param(1, "roi").reshape(-1)]
    if len(values) != 2 * len(axes):
        raise ctx.error(f"roi {values} needs 2 values per axis in {axes}")
    full = [0.0] * rank + [1.0] * rank
    for k, a in enumerate(axes):
        full[a], full[rank + a] = values[k], values[len(axes) + k]
    return full


def _runtime_resize(ctx: Context, node: OnnxNode, mode: str, coord: str, axes: list, policy: str, scales: str = "",
                    sizes: str = "", roi=None) -> None:
    """Resize whose scales or sizes are computed at run time: they stay inputs of the IR node."""
    legacy = node.op_type == "Upsample" or node.opset < 11
    if legacy and mode == "nearest":
        raise ctx.unsupported("nearest Upsample / Resize-10 with scales computed at run time (the rounding "
                              "depends on whether they enlarge or shrink)")
    if scales and ctx.dtype(scales) != "float32":
        raise ctx.error(f"scales must be float32, got {ctx.dtype(scales)}")
    attrs = {**_mode_attrs(ctx, node, mode, coord, legacy, []), "axes": axes,
             "keep_aspect_ratio_policy": _POLICIES.index(policy)}
    if isinstance(roi, list):
        attrs["roi"] = roi
    ctx.emit1("Resize", [node.input(0), scales, sizes] + ([roi] if isinstance(roi, str) else []), node.output(0),
              attrs)


def _mode_attrs(ctx: Context, node: OnnxNode, mode: str, coord: str, legacy: bool, scales: list) -> dict:
    nearest = node.attrs.get("nearest_mode", "round_prefer_floor")
    if legacy:
        nearest_code = _legacy_nearest_mode(ctx, scales) if mode == "nearest" else 0
    elif nearest not in NEAREST_MODES:
        raise ctx.unsupported(f"nearest_mode={nearest!r} is not supported; supported: {', '.join(NEAREST_MODES)}")
    else:
        nearest_code = NEAREST_MODES.index(nearest)
    return {"mode": RESIZE_MODES.index(mode), "coordinate_transformation_mode": COORD_MODES.index(coord),
            "nearest_mode": nearest_code, "cubic_coeff_a": float(node.attrs.get("cubic_coeff_a", -0.75)),
            "exclude_outside": int(node.attrs.get("exclude_outside", 0)),
            "extrapolation_value": float(node.attrs.get("extrapolation_value", 0.0)),
            "antialias": 0 if legacy else int(bool(node.attrs.get("antialias", 0)))}


# ---- GridSample --------------------------------------------------------------------
# opset 16 spells the modes bilinear/bicubic and takes 4-D inputs only; 20 and 22 take N-D
_GRID_MODE_NAMES = {"bilinear": "linear", "bicubic": "cubic", "linear": "linear", "nearest": "nearest",
                    "cubic": "cubic"}


@handler("GridSample")
@domain(mode=per_opset(20, enum("bilinear", "nearest", "bicubic"), enum("linear", "nearest", "cubic")),
        padding_mode=enum("zeros", "border", "reflection"), align_corners=BOOL)
def grid_sample(ctx: Context, node: OnnxNode) -> None:
    """NCHW x and [N, out..., k] grid -> the channels-last IR GridSample between transposes
    (the layout pass cancels them against the neighbouring NHWC ops')."""
    x, grid = node.input(0), node.input(1)
    rank = ctx.rank(x)
    legacy = node.opset < 20
    names = ("bilinear", "nearest", "bicubic") if legacy else ("linear", "nearest", "cubic")
    mode = node.attrs.get("mode", names[0])
    if mode not in names:
        raise ctx.unsupported(f"mode={mode!r} is not supported; supported: {', '.join(names)}")
    padding = node.attrs.get("padding_mode", "zeros")
    if padding not in GRID_PADDING:
        raise ctx.unsupported(f"padding_mode={padding!r} is not supported; supported: {', '.join(GRID_PADDING)}")
    if not (rank == 4 if legacy else 3 <= rank <= 5):
        raise ctx.unsupported(f"x of rank {rank} is not supported; supported: " +
                              ("4 before opset 20" if legacy else "3 to 5 (1 to 3 spatial axes)"))
    attrs = {"mode": GRID_MODES.index(_GRID_MODE_NAMES[mode]), "padding_mode": GRID_PADDING.index(padding),
             "align_corners": int(node.attrs.get("align_corners", 0))}
    y = ctx.emit1("GridSample", [ctx.transpose(x, channels_last_perm(rank), hint="to_channels_last"), grid],
                  attrs=attrs)
    ctx.transpose(y, channels_first_perm(rank), node.output(0), hint="to_channels_first")


@handler("AffineGrid")
@domain(align_corners=BOOL)
def affine_grid(ctx: Context, node: OnnxNode) -> None:
    """theta and size (a constant, or computed at run time: the runtime reads it while planning)."""
    ctx.emit1("AffineGrid", [node.input(0), node.input(1)], node.output(0),
              {"align_corners": int(node.attrs.get("align_corners", 0))})


# ---- RoiAlign ----------------------------------------------------------------------
_ROI_COORDS = ("output_half_pixel", "half_pixel")


@handler("RoiAlign")
@domain(mode=enum("avg", "max"), coordinate_transformation_mode=enum("half_pixel", "output_half_pixel"),
        output_height=POSITIVE, output_width=POSITIVE, sampling_ratio=NONNEG)
def roi_align(ctx: Context, node: OnnxNode) -> None:
    """NCHW x, [R, 4] rois, [R] batch indices -> the channels-last IR RoiAlign between transposes.
    Opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel; 16 defaults to
    half_pixel."""
    x, rois, batch = node.input(0), node.input(1), node.input(2)
    if ctx.rank(x) != 4:
        raise ctx.unsupported(f"x of rank {ctx.rank(x)} is not supported; supported: 4 ([N, C, H, W])")
    mode = node.attrs.get("mode", "avg")
    if mode not in ROI_MODES:
        raise ctx.unsupported(f"mode={mode!r} is not supported; supported: {', '.join(ROI_MODES)}")
    coords = node.attrs.get("coordinate_transformation_mode", "half_pixel" if node.opset >= 16 else "output_half_pixel")
    if coords not in _ROI_COORDS:
        raise ctx.unsupported(f"coordinate_transformation_mode={coords!r} is not supported; "
                              f"supported: {', '.join(_ROI_COORDS)}")
    attrs = {"mode": ROI_MODES.index(mode), "half_pixel": _ROI_COORDS.index(coords),
             "output_height": int(node.attrs.get("output_height", 1)),
             "output_width": int(node.attrs.get("output_width", 1)),
             "sampling_ratio": int(node.attrs.get("sampling_ratio", 0)),
             "spatial_scale": float(node.attrs.get("spatial_scale", 1.0))}
    y = ctx.emit1("RoiAlign", [ctx.transpose(x, channels_last_perm(4), hint="to_channels_last"), rois, batch],
                  attrs=attrs)
    ctx.transpose(y, channels_first_perm(4), node.output(0), hint="to_channels_first")
