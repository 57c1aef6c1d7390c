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
