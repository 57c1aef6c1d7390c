"""Spatial sampling (the resize family): GridSample and AffineGrid.

GridSample runs channels-last inside the engine: x [N, d1..dk, C], grid
[N, o1..ok, k] (grid[..., 0] indexes the last spatial axis, as ONNX), y
[N, o1..ok, C], for k = 1, 2 or 3 spatial axes. Per output point the grid
value g of each axis maps to the input coordinate
  align_corners=1: (g + 1) / 2 * (d - 1)      align_corners=0: ((g + 1) * d - 1) / 2
(float32, as onnxruntime), and the taps of the mode sample it:
  mode 0 linear (2 taps per axis), 1 nearest (round half to even), 2 cubic (4 taps, Keys a = -0.75).
padding_mode 0 zeros (taps outside read 0), 1 border (taps clamp to the edge), 2 reflection
(taps reflect about the borders [-0.5, d - 0.5], or [0, d - 1] with align_corners). As
onnxruntime (and PyTorch), a coordinate outside the borders is first clamped (border:
linear and nearest only) or reflected (reflection), then every tap gets the padding.
Dtypes: grid float32 or float16; x float32 or float16 (computed in float32, rounded once), or any
dtype with mode nearest (data movement).

AffineGrid: theta [N, k, k+1] and size [N, C, d1..dk] (k = 2 or 3; a plan-time input)
give grid [N, d1..dk, k], grid[n, i.., j] = theta[n, j, :k] . (x, y[, z]) + theta[n, j, k]
for the base coordinates of each axis of length d: linspace(-1, 1, d) with align_corners,
else its points scaled by (d - 1) / d (pixel centres); an axis of length 1 has -1
with align_corners (as onnx's evaluator; onnxruntime gives +1), else 0. float32 or float16 (computed in float32, rounded once).
"""
from __future__ import annotations

import itertools

import numpy as np

from .registry import Attr, define
from ._common import ANY, attrs_of, fail, fresh_dim, known, param_len, shape_str
from ..dtypes import FLOATS

GRID_MODES = ("linear", "nearest", "cubic")
GRID_PADDING = ("zeros", "border", "reflection")


def _grid_sample_infer(node, ins):
    (tx, sx), (_, sg) = known(node, ins[0], "x"), known(node, ins[1], "grid")
    at = attrs_of(node)
    k = len(sx) - 2
    if not 1 <= k <= 3:
        raise fail(node, f"x {shape_str(sx)} must have 1 to 3 spatial axes (rank 3 to 5)")
    if len(sg) != k + 2 or sg[-1] != k:
        raise fail(node, f"grid {shape_str(sg)} must be [N, out spatial..., {k}] for x {shape_str(sx)}")
    if isinstance(sx[0], int) and isinstance(sg[0], int) and sx[0] != sg[0]:
        raise fail(node, f"grid batch {sg[0]} differs from x batch {sx[0]}")
    if at["mode"] not in range(3) or at["padding_mode"] not in range(3) or at["align_corners"] not in (0, 1):
        raise fail(node, f"mode {at['mode']}, padding_mode {at['padding_mode']} or align_corners "
                         f"{at['align_corners']} unknown")
    if GRID_MODES[at["mode"]] != "nearest" and tx not in FLOATS:
        raise fail(node, f"{GRID_MODES[at['mode']]} GridSample of {tx} (supported: {', '.join(FLOATS)}; "
                         f"nearest takes any dtype)")
    return [(tx, (sx[0], *sg[1:-1], sx[-1]))]


def _reflect(x, lo, hi):
    """Reflect by the near border until inside [lo, hi] (float32, as onnxruntime)."""
    rng = np.float32(hi - lo)
    if rng == 0:
        return np.full_like(x, lo)
    d = np.where(x < lo, lo - x, x - hi).astype(np.float32)
    n = np.floor(d / rng)
    r = (d - n * rng).astype(np.float32)
    even = n % 2 == 0
    below, above = np.where(even, lo + r, hi - r), np.where(even, hi - r, lo + r)
    return np.where(x < lo, below, np.where(x > hi, above, x)).astype(np.float32)


def _cubic_weights(t):
    a = np.float32(-0.75)
    d = np.stack([t + 1, t, 1 - t, 2 - t], axis=-1).astype(np.float32)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, far).astype(np.float32)


def _axis_taps(g, size, mode, padding, align):
    """(indices, weights, valid) [points, taps] of one spatial axis."""
    g = g.astype(np.float32)
    x = (g + 1) / np.float32(2) * np.float32(size - 1) if align else ((g + 1) * np.float32(size) - 1) / np.float32(2)
    lo, hi = (np.float32(0), np.float32(size - 1)) if align else (np.float32(-0.5), np.float32(size - 0.5))
    if mode == "nearest":
        x = np.rint(x)
    out = (x < lo) | (x > hi)
    if padding == "border" and mode != "cubic":
        x = np.where(out, np.clip(x, 0, size - 1), x).astype(np.float32)
    elif padding == "reflection":
        x = np.where(out, _reflect(x, lo, hi), x)
    base = np.floor(x)
    t = (x - base).astype(np.float32)[:, None]
    if mode == "nearest":
        offsets, w = [0], np.ones_like(t)
    elif mode == "linear":
        offsets, w = [0, 1], np.concatenate([1 - t, t], axis=1)
    else:
        offsets, w = [-1, 0, 1, 2], _cubic_weights(t[:, 0])
    idx = base.astype(np.int64)[:, None] + offsets
    valid = (idx >= 0) & (idx < size)
    if padding == "border":
        idx = np.clip(idx, 0, size - 1)
    elif padding == "reflection":
        idx = np.clip(_reflect(idx.astype(np.float32), lo, hi).astype(np.int64), 0, size - 1)
    if padding != "zeros":
        valid[:] = True
    return np.where(valid, idx, 0), w, valid


def _grid_sample_reference(inputs, attrs):
    x, grid = inputs
    mode, padding = GRID_MODES[attrs["mode"]], GRID_PADDING[attrs["padding_mode"]]
    n, spatial, c, k = x.shape[0], x.shape[1:-1], x.shape[-1], len(x.shape) - 2
    out = grid.shape[1:-1]
    if mode == "nearest":  # data movement: any dtype, a zero where the padding drops the tap
        y = np.zeros((n, int(np.prod(out, dtype=np.int64)), c), x.dtype)
        for b in range(n):
            g = grid[b].reshape(-1, k)
            taps = [_axis_taps(g[:, k - 1 - a], spatial[a], mode, padding, attrs["align_corners"]) for a in range(k)]
            valid = np.all([t[2][:, 0] for t in taps], axis=0)
            y[b][valid] = x[b][tuple(t[0][:, 0] for t in taps)][valid]
        return [y.reshape(n, *out, c)]
    xf = x.astype(np.float32)
    y = np.zeros((n, int(np.prod(out, dtype=np.int64)), c), np.float32)
    for b in range(n):
        g = grid[b].reshape(-1, k)
        taps = [_axis_taps(g[:, k - 1 - a], spatial[a], mode, padding, attrs["align_corners"]) for a in range(k)]
        for combo in itertools.product(*(range(t[0].shape[1]) for t in taps)):
            w = np.prod([t[1][:, j] for t, j in zip(taps, combo)], axis=0) * \
                np.all([t[2][:, j] for t, j in zip(taps, combo)], axis=0)
            y[b] += w[:, None] * xf[b][tuple(t[0][:, j] for t, j in zip(taps, combo))]
    return [y.reshape(n, *out, c).astype(x.dtype)]


define("GridSample", 280, "resize", ("x: T1", "grid: T2"), ("y: T1",),
       {"mode": Attr("int", 0), "padding_mode": Attr("int", 0), "align_corners": Attr("int", 0)},
       types={"T1": ANY, "T2": FLOATS}, infer=_grid_sample_infer, reference=_grid_sample_reference)


def _affine_grid_infer(node, ins):
    (tt, st), _ = known(node, ins[0], "theta"), known(node, ins[1], "size")
    n = param_len(node, ins, 1, "size")
    k = n - 2
    if n not in (4, 5):
        raise fail(node, f"size must hold 4 or 5 values ([N, C, H, W] or [N, C, D, H, W]), got {n}")
    if len(st) != 3 or any(isinstance(d, int) and d != want for d, want in zip(st[1:], (k, k + 1))):
        raise fail(node, f"theta {shape_str(st)} must be [N, {k}, {k + 1}] for a size of {n} values")
    if not ins[1].is_const:
        return [(tt, (st[0], *[fresh_dim(node, a) for a in range(k)], k))]
    size = [int(v) for v in np.asarray(ins[1].const).reshape(-1)]
    if min(size) < 0 or (isinstance(st[0], int) and size[0] != st[0]):
        raise fail(node, f"size {size} must be non-negative with N = theta's {st[0]}")
    return [(tt, (size[0], *size[2:], k))]


def affine_base(d: int, align: int) -> np.ndarray:
    """Base coordinates of one axis of length d (float32)."""
    if d <= 1:  # the start of the range, as onnx's evaluator (onnxruntime's Eigen linspace gives +1)
        return np.full(d, -1.0 if align else 0.0, np.float32)
    v = np.linspace(-1, 1, d)
    return (v if align else v * (d - 1) / d).astype(np.float32)


def _affine_grid_reference(inputs, attrs):
    theta, size = inputs[0], [int(v) for v in np.asarray(inputs[1]).reshape(-1)]
    mesh = np.meshgrid(*[affine_base(d, attrs["align_corners"]) for d in size[2:]], indexing="ij")
    base = np.stack([*mesh[::-1], np.ones_like(mesh[0])], axis=-1)  # (x, y[, z], 1): x on the last axis
    grid = np.einsum("...i,nji->n...j", base, theta.astype(np.float32))
    return [grid.astype(theta.dtype)]


define("AffineGrid", 281, "resize", ("theta: T", "size: I64"), ("grid: T",), {"align_corners": Attr("int", 0)},
       types={"T": FLOATS, "I64": ("int64",)}, plan_inputs=("size",), infer=_affine_grid_infer,
       reference=_affine_grid_reference)


# ---- RoiAlign --------------------------------------------------------------------------------------------
# Channels last inside the engine: x [N, H, W, C], rois [R, 4] (x1, y1, x2, y2 in x's pixels before
# spatial_scale), batch_indices [R] (int64) -> y [R, output_height, output_width, C]. mode 0 avg, 1 max;
# half_pixel 1 shifts the scaled roi by -0.5 (ONNX half_pixel), 0 is output_half_pixel (opset 10's
# behaviour: no shift, rois at least 1x1). Each bin takes sampling_ratio^2 bilinear samples (0: ceil of
# the bin's size per axis, clamped to ROI_MAX_GRID); a sample outside [-1, size] reads nothing (weight 0).
# avg is the mean of the samples; max is the largest weighted corner product over the samples, as
# onnxruntime. Coordinates and weights are float32 in onnxruntime's order.
ROI_MODES = ("avg", "max")
ROI_MAX_GRID = 1024  # samples per bin axis: bounds the work a hostile roi can ask for


def _roi_align_infer(node, ins):
    (tx, sx), (_, sr), (_, sb) = known(node, ins[0], "x"), known(node, ins[1], "rois"), known(node, ins[2], "batch_indices")
    at = attrs_of(node)
    if len(sx) != 4:
        raise fail(node, f"x {shape_str(sx)} must have rank 4 ([N, H, W, C] inside the engine)")
    if len(sr) != 2 or (isinstance(sr[1], int) and sr[1] != 4) or len(sb) != 1:
        raise fail(node, f"rois {shape_str(sr)} must be [R, 4] and batch_indices {shape_str(sb)} [R]")
    if isinstance(sr[0], int) and isinstance(sb[0], int) and sr[0] != sb[0]:
        raise fail(node, f"rois has {sr[0]} rows but batch_indices {sb[0]}")
    if at["mode"] not in (0, 1) or at["half_pixel"] not in (0, 1):
        raise fail(node, f"mode {at['mode']} or half_pixel {at['half_pixel']} unknown (mode 0 avg / 1 max)")
    if min(at["output_height"], at["output_width"]) < 1 or at["sampling_ratio"] < 0:
        raise fail(node, f"output_height {at['output_height']} and output_width {at['output_width']} must be >= 1, "
                         f"sampling_ratio {at['sampling_ratio']} >= 0")
    if not np.isfinite(at["spatial_scale"]):
        raise fail(node, f"spatial_scale {at['spatial_scale']} must be finite")
    r = sr[0] if isinstance(sr[0], int) else sb[0]
    return [(tx, (r, at["output_height"], at["output_width"], sx[3]))]


def _adaptive_grid(size, bins):
    """ceil(bin size) samples; none for a NaN, negative or empty roi, at most ROI_MAX_GRID."""
    g = np.ceil(np.float32(size) / np.float32(bins))
    return int(min(g, ROI_MAX_GRID)) if g >= 1 else 0


def _roi_axis(start, size, bins, grid, extent):
    """Samples of one axis: (low, high, weight of low, weight of high, valid) as [bins, grid] arrays."""
    f = np.float32
    bin_size = f(size) / f(bins)
    o, i = np.arange(bins, dtype=np.float32)[:, None], np.arange(grid, dtype=np.float32)[None, :]
    c = (f(start) + o * bin_size) + (i + f(0.5)) * bin_size / f(grid)
    valid = (c >= -1) & (c <= extent)
    c = np.maximum(c, f(0))
    low = np.minimum(np.floor(c).astype(np.int64), extent - 1)
    high = np.minimum(low + 1, extent - 1)
    c = np.where(low >= extent - 1, low.astype(np.float32), c)
    frac = (c - low).astype(np.float32)
    return low, high, np.float32(1) - frac, frac, valid


def _roi_align_reference(inputs, attrs):
    x, rois, batch = inputs
    f = np.float32
    _, h, w, c = x.shape
    oh, ow, ratio = attrs["output_height"], attrs["output_width"], attrs["sampling_ratio"]
    y = np.zeros((len(rois), oh, ow, c), np.float32)
    for r, (roi, b) in enumerate(zip(rois.astype(np.float32), batch)):
        shift = f(0.5) if attrs["half_pixel"] else f(0)
        x1, y1, x2, y2 = (roi * f(attrs["spatial_scale"]) - shift).astype(np.float32)
        rw, rh = f(x2 - x1), f(y2 - y1)
        if not attrs["half_pixel"]:
            rw, rh = max(rw, f(1)), max(rh, f(1))
        gh, gw = (ratio, ratio) if ratio > 0 else (_adaptive_grid(rh, oh), _adaptive_grid(rw, ow))
        if gh == 0 or gw == 0:
            continue
        ylo, yhi, wyl, wyh, vy = _roi_axis(y1, rh, oh, gh, h)
        xlo, xhi, wxl, wxh, vx = _roi_axis(x1, rw, ow, gw, w)
        img = x[b].astype(np.float32)
        # [oh, gh, ow, gw, C] corner products, zero where a sample is outside
        valid = (vy[:, :, None, None] & vx[None, None])[..., None]
        terms = [(wa[:, :, None, None] * wb[None, None])[..., None] * img[ya[:, :, None, None], xb[None, None]]
                 for ya, wa in ((ylo, wyl), (yhi, wyh)) for xb, wb in ((xlo, wxl), (xhi, wxh))]
        terms = [np.where(valid, t, f(0)) for t in terms]
        if attrs["mode"] == 0:
            y[r] = ((terms[0] + terms[1]) + terms[2] + terms[3]).sum(axis=(1, 3)) / f(gh * gw)
        else:
            y[r] = np.maximum(np.maximum(np.maximum(terms[0], terms[1]), terms[2]), terms[3]).max(axis=(1, 3))
    return [y.astype(x.dtype)]


define("RoiAlign", 330, "resize", ("x: T", "rois: T", "batch_indices: I64"), ("y: T",),
       {"mode": Attr("int", 0), "half_pixel": Attr("int", 1), "output_height": Attr("int", 1),
        "output_width": Attr("int", 1), "sampling_ratio": Attr("int", 0), "spatial_scale": Attr("float", 1.0)},
       types={"T": FLOATS, "I64": ("int64",)}, infer=_roi_align_infer, reference=_roi_align_reference)
