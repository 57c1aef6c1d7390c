"""Integer references of the quantized GEMM-family ops (Conv, Gemm/MatMul on int8/uint8 tensors),
written from the TFLite and ONNX specifications, independently of the C kernels; tests use
them as oracles on shapes no fixture covers.

    y = requant(bias + sum (x - zx) * (w - zw)),  accumulated exactly (int64 here, which equals
    the engine's wrapping int32 whenever the int32 sum does not overflow)

requant=0 (TFLite): real multiplier sx*sw/sy (double; per-tensor fully connected and uint8
conv take the float product sx*sw first) -> Q31 multiplier and shift (QuantizeMultiplier),
then SaturatingRoundingDoublingHighMul and RoundingDivideByPOT. requant=1 (ONNX/MLAS): the
float32 multiplier sx*sw/sy, acc * multiplier in float32, rounded half to even. Then + zy and
the clamp [qmin, qmax] (the fused activation's range on the output grid).
"""
from __future__ import annotations

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def quantize_multiplier(real: float) -> tuple:
    """tflite::QuantizeMultiplier: (Q31 multiplier, shift) with real = m * 2^(shift - 31)."""
    if real <= 0:
        return 0, 0
    q, e = np.frexp(real)
    m = int(np.floor(q * (1 << 31) + 0.5))  # std::round: half away from zero (q > 0); exact in double
    if m == 1 << 31:
        m //= 2
        e += 1
    if e < -31:
        return 0, 0
    if e > 30:
        return (1 << 31) - 1, 30
    return m, int(e)


def _wrap32(v):
    return ((np.asarray(v, np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def multiply_by_quantized_multiplier(acc, multiplier, shift):
    """TFLite's reference: SRDHM(acc * 2^left, m) then a rounding right shift (arrays broadcast)."""
    acc = np.asarray(acc, np.int64)
    multiplier = np.asarray(multiplier, np.int64)
    shift = np.asarray(shift, np.int64)
    left, right = np.maximum(shift, 0), np.maximum(-shift, 0)
    a = _wrap32(acc * (np.int64(1) << left))
    ab = a * multiplier  # |ab| < 2^62
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    num = ab + nudge
    hi = np.where(num >= 0, num >> 31, -((-num) >> 31))  # C division truncates toward zero
    hi = np.where((a == INT32_MIN) & (multiplier == INT32_MIN), INT32_MAX, hi)
    mask = (np.int64(1) << right) - 1
    remainder = hi & mask
    threshold = (mask >> 1) + (hi < 0)
    return (hi >> right) + (remainder > threshold)


def requantize(acc, real, zy: int, qmin: int, qmax: int, mode: int):
    """acc [..., C] int64 with per-channel real multipliers [C] (float64 for mode 0, float32 for mode 1)."""
    if mode == 0:
        ms = [quantize_multiplier(float(r)) for r in np.atleast_1d(real)]
        v = multiply_by_quantized_multiplier(acc, [m for m, _ in ms], [s for _, s in ms])
    else:
        scaled = acc.astype(np.float32) * np.asarray(real, np.float32)
        v = np.rint(scaled).astype(np.int64)  # round half to even
    return np.clip(v + zy, qmin, qmax)


def real_multipliers(sx, sw, sy, cout: int, float_product: bool, mode: int):
    sw = np.broadcast_to(np.asarray(sw, np.float32).reshape(-1), (cout,))
    if mode == 1:
        return (np.float32(sx) * sw / np.float32(sy)).astype(np.float32)
    if float_product:
        return (np.float32(sx) * sw).astype(np.float64) / np.float64(np.float32(sy))
    return np.float64(np.float32(sx)) * sw.astype(np.float64) / np.float64(np.float32(sy))


def conv_q8(x, w, b, zx: int, zw, attrs: dict):
    """Integer accumulator of an NHWC/OHWI conv: [N,OH,OW,Cout] int64 (padding reads zx, adds 0)."""
    (sh, sw_), (dh, dw), (pt, pl, pb, pr), g = attrs["strides"], attrs["dilations"], attrs["pads"], attrs["group"]
    cout, kh, kw, cg = w.shape
    xi = x.astype(np.int64) - zx
    wi = w.astype(np.int64) - np.broadcast_to(np.asarray(zw, np.int64).reshape(-1), (cout,))[:, None, None, None]
    xp = np.pad(xi, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    n, hp, wp, _ = xp.shape
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw_ + 1
    m = cout // g
    acc = np.zeros((n, oh, ow, cout), np.int64)
    for i in range(kh):
        for j in range(kw):
            tap = xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw_ + 1:sw_]
            for k in range(g):
                acc[..., k * m:(k + 1) * m] += tap[..., k * cg:(k + 1) * cg] @ wi[k * m:(k + 1) * m, i, j].T
    return acc + (0 if b is None else np.asarray(b, np.int64))


def gemm_q8(a, w_nk, b, za: int, zw):
    """Integer accumulator of rows a [M,K] times weights [N,K] (TFLite FULLY_CONNECTED layout)."""
    n = w_nk.shape[0]
    wi = w_nk.astype(np.int64) - np.broadcast_to(np.asarray(zw, np.int64).reshape(-1), (n,))[:, None]
    return (a.astype(np.int64) - za) @ wi.T + (0 if b is None else np.asarray(b, np.int64))


# ---- non-GEMM TFLite references: PRelu, integer bilinear Resize, uint8 Concat rescaling ----------


def _trunc_div(a, b: int):
    """C integer division (toward zero) of int64 arrays by a positive b."""
    a = np.asarray(a, np.int64)
    return np.where(a >= 0, a // b, -((-a) // b))


def prelu_q8(x, alpha, q_x, q_alpha, q_y, lo: int, hi: int):
    """TFLite PRELU on stored integers (alpha broadcast to x): x - zx >= 0 scales by sx/sy, else
    (x - zx) * (alpha - za) (wrapping int32 product) by sx*sa/sy; both multipliers float32
    expressions as PreluPrepare computes them. q_*: (scale, zero point)."""
    (sx, zx), (sa, za), (sy, zy) = q_x, q_alpha, q_y
    sx, sa, sy = np.float32(sx), np.float32(sa), np.float32(sy)
    pos = quantize_multiplier(float(np.float32(sx / sy)))
    neg = quantize_multiplier(float(np.float32(sx * sa / sy)))
    v = x.astype(np.int64) - zx
    a = np.broadcast_to(alpha, x.shape).astype(np.int64) - za
    y = np.where(v >= 0, multiply_by_quantized_multiplier(v, *pos),
                 multiply_by_quantized_multiplier(_wrap32(v * a), *neg))
    return np.clip(y + zy, lo, hi).astype(x.dtype)


def _bilinear_axis(n_in: int, n_out: int, align_corners: bool, half_pixel: bool):
    """Per output index: (lower, upper, weight of upper in 1/1024), TFLite's 10-bit coordinates."""
    if align_corners and n_out > 1:
        scale = (1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    else:
        scale = (1024 * n_in + n_out // 2) // n_out
    o = np.arange(n_out, dtype=np.int64)
    src = o * scale + scale // 2 - 512 if half_pixel else o * scale
    lower = np.maximum(_trunc_div(src, 1024), 0)
    upper = np.minimum(_trunc_div(src + 1023, 1024), n_in - 1)
    return lower, upper, src - 1024 * lower


def resize_bilinear_q8(x, out_hw, align_corners: bool, half_pixel: bool):
    """TFLite's ResizeBilinearInteger on NHWC stored integers: weights in 1/2^20, the sum rounded
    half away from zero; input and output share their parameters, so no zero point enters."""
    _, ih, iw, _ = x.shape
    y0, y1, wy = _bilinear_axis(ih, out_hw[0], align_corners, half_pixel)
    x0, x1, wx = _bilinear_axis(iw, out_hw[1], align_corners, half_pixel)
    v = x.astype(np.int64)
    wy, wx = wy[None, :, None, None], wx[None, None, :, None]
    top0, top1 = v[:, y0][:, :, x0], v[:, y0][:, :, x1]
    bot0, bot1 = v[:, y1][:, :, x0], v[:, y1][:, :, x1]
    s = (top0 * (1024 - wy) * (1024 - wx) + bot0 * wy * (1024 - wx) + top1 * (1024 - wy) * wx + bot1 * wy * wx)
    return _trunc_div(s + np.where(s > 0, 1 << 19, -(1 << 19)), 1 << 20).astype(x.dtype)


def concat_rescale_u8(x, q_x, q_y):
    """TFLite's ConcatenationWithScaling for one uint8 input: copied when its parameters are the
    output's, else round(x * scale + bias) half away from zero in float32 (scale = sx * (1/sy),
    bias = -zx * scale) + zy, clamped to [0, 255]."""
    (sx, zx), (sy, zy) = q_x, q_y
    if np.float32(sx) == np.float32(sy) and zx == zy:
        return x.copy()
    scale = np.float32(np.float32(sx) * (np.float32(1) / np.float32(sy)))
    bias = np.float32(np.float32(-zx) * scale)
    v = (x.astype(np.float32) * scale).astype(np.float32) + bias
    t = np.trunc(v)
    r = t + np.sign(v) * (np.abs(v - t) >= 0.5)  # std::round, exact (floor(|v| + 0.5) rounds 0.49999997 up)
    return np.clip(r.astype(np.int64) + zy, 0, 255).astype(np.uint8)
