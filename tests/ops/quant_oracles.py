"""numpy oracles of the quantized (int8 engine) kernels, written from the TFLite reference
kernels (tensorflow/lite/kernels/internal/reference/{integer_ops/*.h, *.h}, the Prepare
functions of tensorflow/lite/kernels/*.cc, LiteRT's optimized kernels where the builtin
resolver runs them) and from onnxruntime (com.microsoft QLinear* ops, MLAS), not from
pocketml's C. The op tests compare the engine with them; tests/ops/test_quant_oracles.py
compares the C kernels with them directly.

Every function returns ``(y, ambiguous)``: the int64 result and a mask of the elements whose
value before the last rounding lies so close to a tie that float evaluation order or a libm
ulp can move it (numpy's exp/tanh are not glibc's). TFLite's fixed-point arithmetic is
integer and never ambiguous; its mask is all False, so those kernels must match bit for bit.
"""
from __future__ import annotations

import math

import numpy as np

F32 = np.float32
TIE_EPS = 1e-4  # distance to x.5 below which a float-computed result is ambiguous


# ---- gemmlowp / TFLite fixed point (common.h, gemmlowp/fixedpoint.h) -------------------

def round_away(v):
    """std::round / TfLiteRound: half away from zero, exact for any float64."""
    v = np.asarray(v, np.float64)
    t = np.trunc(v)
    return t + np.where(np.abs(v - t) >= 0.5, np.sign(v), 0.0)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """tflite::QuantizeMultiplier (magnitude; the sign is kept on the multiplier)."""
    if real == 0.0:
        return 0, 0
    q, e = math.frexp(abs(real))
    q_fixed = int(round_away(q * 2.0**31))
    if q_fixed == 2**31:
        q_fixed //= 2
        e += 1
    if e < -31:
        return 0, 0
    if e > 30:
        e, q_fixed = 30, 2**31 - 1
    return (q_fixed if real > 0 else -q_fixed), e


def _wrap32(x):
    return ((np.asarray(x, np.int64) + 2**31) % 2**32) - 2**31


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on int32."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 2**30, 1 - 2**30)
    s = ab + nudge
    q = np.sign(s) * (np.abs(s) // 2**31)  # C division truncates
    return np.where((a == -(2**31)) & (b == -(2**31)), 2**31 - 1, q)


def rounding_divide_by_pot(x, e: int):
    x = np.asarray(x, np.int64)
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def mbqm(x, m: int, shift: int):
    """MultiplyByQuantizedMultiplier, double rounding (TFLITE_SINGLE_ROUNDING=0)."""
    left, right = max(shift, 0), max(-shift, 0)
    return rounding_divide_by_pot(srdhm(_wrap32(np.asarray(x, np.int64) << left), m), right)


def mbqm_rows(x, m: int, shift: int):
    """MultiplyByQuantizedMultiplier4Rows (LiteRT's vectorized form, also on x86 via
    NEON_2_SSE): vqrdmulh, then vrshl, a right shift rounding half up."""
    left, right = max(shift, 0), max(-shift, 0)
    v = srdhm(_wrap32(np.asarray(x, np.int64) << left), m)
    return v if right == 0 else (v + (1 << (right - 1))) >> right


def _blocks16(x, m, shift):
    """optimized kernels: whole blocks of 16 from the start vectorized, the rest scalar."""
    x = np.asarray(x, np.int64).reshape(-1)
    k = len(x) // 16 * 16
    return np.concatenate([mbqm_rows(x[:k], m, shift), mbqm(x[k:], m, shift)])


def _clamp(v, lo, hi):
    v = np.asarray(v)
    if v.dtype.kind == "f":  # clip before converting: a float past int64 has no defined value
        v = np.clip(v, lo, hi)
    return np.clip(v.astype(np.int64), lo, hi)


def _never(y):
    return np.asarray(y, np.int64), np.zeros(np.shape(y), bool)


def _near_tie(v):
    v = np.asarray(v, np.float64)
    return np.abs(np.abs(v - np.floor(v)) - 0.5) < TIE_EPS


def _half_even_f32(v):
    """nearbyintf in the default rounding mode."""
    return np.rint(np.asarray(v, F32)).astype(np.float64)


# ---- Add / Sub / Mul ---------------------------------------------------------------------

def tflite_add(a, b, sa, za, sb, zb, sy, zy, qmin=-128, qmax=127, sub=False, left_shift=20):
    """add.cc/sub.cc Prepare + reference_integer_ops::AddFunc / reference_ops::SubFunc."""
    twice_max = 2.0 * float(max(F32(sa), F32(sb)))
    m1, s1 = quantize_multiplier(float(F32(sa)) / twice_max)
    m2, s2 = quantize_multiplier(float(F32(sb)) / twice_max)
    my, shy = quantize_multiplier(twice_max / float(F32(1 << left_shift) * F32(sy)))
    va = mbqm((np.asarray(a, np.int64) - za) << left_shift, m1, s1)
    vb = mbqm((np.asarray(b, np.int64) - zb) << left_shift, m2, s2)
    return _never(_clamp(mbqm(va - vb if sub else va + vb, my, shy) + zy, qmin, qmax))


def tflite_mul(a, b, sa, za, sb, zb, sy, zy, qmin=-128, qmax=127):
    """mul.cc Prepare (a float expression) + reference_integer_ops::MulElementwise."""
    m, s = quantize_multiplier(float(F32(sa) * F32(sb) / F32(sy)))
    prod = (np.asarray(a, np.int64) - za) * (np.asarray(b, np.int64) - zb)
    return _never(_clamp(mbqm(prod, m, s) + zy, qmin, qmax))


def onnx_add(a, b, sa, za, sb, zb, sy, zy, qmin=-128, qmax=127):
    """MLAS MlasQLinearAddKernelRawHelper (y_zp added in float before nearbyintf)."""
    va = F32(sa) * (np.asarray(a, np.int64) - za).astype(F32)
    vb = F32(sb) * (np.asarray(b, np.int64) - zb).astype(F32)
    v = np.clip((va + vb) / F32(sy), F32(qmin - zy), F32(qmax - zy))
    return _clamp(_half_even_f32(v + F32(zy)), qmin, qmax), _near_tie(v)


def onnx_sub(a, b, sa, za, sb, zb, sy, zy, qmin=-128, qmax=127):
    """DequantizeLinear -> Sub -> QuantizeLinear in float32 (onnxruntime has no QLinearSub)."""
    va = (np.asarray(a, np.int64) - za).astype(F32) * F32(sa)
    vb = (np.asarray(b, np.int64) - zb).astype(F32) * F32(sb)
    v = (va - vb) / F32(sy)
    return _clamp(_half_even_f32(v) + zy, qmin, qmax), _near_tie(v)


def onnx_mul(a, b, sa, za, sb, zb, sy, zy, qmin=-128, qmax=127):
    """MLAS QLinearMul: the integer product times F32(sa * sb / sy), rounded half to even."""
    ratio = F32(sa) * F32(sb) / F32(sy)
    prod = (np.asarray(a, np.int64) - za) * (np.asarray(b, np.int64) - zb)
    v = prod.astype(F32) * ratio
    return _clamp(_half_even_f32(v) + zy, qmin, qmax), _near_tie(v)


# ---- requantize / quantize -----------------------------------------------------------------

def tflite_requantize(x, sx, zx, sy, zy, qmin=-128, qmax=127):
    """quantize.cc Prepare (double ratio) + optimized_ops::Requantize between 8-bit types
    (blocks of 16 through MultiplyByQuantizedMultiplier4Rows, the tail scalar)."""
    m, s = quantize_multiplier(float(sx) / float(sy))
    return _never(_clamp(_blocks16(np.asarray(x, np.int64) - zx, m, s) + zy, qmin, qmax))


def onnx_requantize(x, sx, zx, sy, zy, qmin=-128, qmax=127):
    """DequantizeLinear then QuantizeLinear (float32, half to even)."""
    v = (np.asarray(x, np.int64) - zx).astype(F32) * F32(sx) / F32(sy)
    return _clamp(_half_even_f32(v) + zy, qmin, qmax), _near_tie(v)


def _cvt_x86(v):
    """float -> int32 as x86 converts: NaN and out-of-range give INT32_MIN."""
    v = np.asarray(v, np.float64)
    ok = (v >= -(2.0**31)) & (v < 2.0**31)
    return np.where(ok, np.nan_to_num(v), -(2.0**31)).astype(np.int64)


def tflite_quantize(x, scale, zp, qmin=-128, qmax=127):
    """optimized_ops::AffineQuantize as LiteRT's x86 build runs it (USE_NEON via NEON_2_SSE):
    blocks of 8 are x * (float)(1.0f / scale) with RoundToNearest = vcvtnq (half to even), the
    n % 8 tail the scalar loop, TfLiteRound(val / (double)scale) (half away)."""
    x = np.asarray(x, F32)
    n = len(x)
    blocked = n // 8 * 8
    with np.errstate(over="ignore", invalid="ignore"):
        head = np.rint((x[:blocked] * F32(1.0 / float(F32(scale)))).astype(F32)).astype(np.float64)
        tail = round_away(x[blocked:].astype(np.float64) / float(F32(scale)))
    q = _wrap32(_cvt_x86(np.concatenate([head, tail])) + zp)
    return _never(np.clip(q, qmin, qmax))


def tflite_dequantize(x, scale, zp):
    """optimized_ops::Dequantize on x86 (NEON path via NEON_2_SSE, no FMA): blocks of 8 are
    (float)x * scale + (float)(-zp * (double)scale), the tail (float)(scale * (x - zp)) in
    double. Returns float32 (exact: no ambiguity)."""
    x = np.asarray(x, np.int64)
    k = len(x) // 8 * 8
    head = x[:k].astype(F32) * F32(scale) + F32(-zp * float(F32(scale)))
    tail = (float(F32(scale)) * (x[k:] - zp).astype(np.float64)).astype(F32)
    return np.concatenate([head.astype(F32), tail])


# ---- activation tables ---------------------------------------------------------------------

def _tflite_fn(name, alpha):
    s2 = F32(math.sqrt(0.5))
    k = F32(2.0 / math.sqrt(math.pi) * math.sqrt(0.5))
    fns = {
        "logistic": lambda v: F32(1) / (F32(1) + np.exp(-v)),
        "tanh": np.tanh,
        "elu": lambda v: np.where(v < 0, np.expm1(v), v),
        "gelu": lambda v: F32(0.5) * v * np.array([math.erfc(float(t)) for t in v * -s2], F32),
        "gelu_tanh": lambda v: F32(0.5) * v * (F32(1) + np.tanh(k * (v + F32(0.044715) * v * v * v))),
        "leakyrelu": lambda v: np.where(v >= 0, v, F32(alpha) * v),
        "hardswish": lambda v: v * np.minimum(F32(6), np.maximum(F32(0), v + F32(3))) / F32(6),
    }
    return fns[name]


def _onnx_fn(name, alpha):
    s2 = F32(math.sqrt(0.5))
    fns = {
        "logistic": lambda v: F32(1) / (F32(1) + np.exp(-v)),
        "tanh": np.tanh,
        "elu": lambda v: np.where(v < 0, F32(alpha) * (np.exp(v) - F32(1)), v),
        "gelu": lambda v: F32(0.5) * v * (F32(1) + np.array([math.erf(float(t)) for t in v * s2], F32)),
        "leakyrelu": lambda v: np.where(v >= 0, v, v * F32(alpha)),
        "hardswish": lambda v: v * np.maximum(F32(0), np.minimum(F32(1), v * F32(1.0 / 6.0) + F32(0.5))),
    }
    return fns[name]


def _inputs(is_signed):
    return np.arange(-128, 128) if is_signed else np.arange(0, 256)


def tflite_lut(fn, alpha, si, zi, so, zo, is_signed):
    """tflite::LUTPopulate<int8/uint8> (detail::LUTPopulateInt8): the output of every input."""
    lo, hi = (-128, 127) if is_signed else (0, 255)
    x = _inputs(is_signed)
    with np.errstate(over="ignore", invalid="ignore"):
        f = _tflite_fn(fn, alpha)(F32(si) * (x - zi).astype(F32)).astype(F32)
        v = f * (F32(1) / F32(so))
    return _clamp(round_away(v) + zo, lo, hi), _near_tie(v)


def onnx_lut(fn, alpha, si, zi, so, zo, is_signed):
    """QlinearBuildLookupTable + MlasQuantizeLinear."""
    lo, hi = (-128, 127) if is_signed else (0, 255)
    x = _inputs(is_signed)
    with np.errstate(over="ignore", invalid="ignore"):
        f = _onnx_fn(fn, alpha)(F32(si) * (x - zi).astype(F32)).astype(F32)
        v = f / F32(so)
    return _clamp(_half_even_f32(v) + zo, lo, hi), _near_tie(v)


def tflite_lut16(fn, alpha, si, zi, so, zo):
    """detail::LUTPopulateInt16<float> (513 entries) and LUTLookup(int16), every int16 input."""
    f = _tflite_fn(fn, alpha)
    ev = lambda v: F32(f(np.array([v], F32))[0])
    in_min, in_max = F32(si) * F32(-32768 - zi), F32(si) * F32(32767 - zi)
    out_min, out_max = F32(so) * F32(-32768 - zo), F32(so) * F32(32767 - zo)
    step = F32((in_max - in_min) / F32(512))
    half = F32(step / F32(2))
    inv = F32(F32(65536) / F32(out_max - out_min))
    rnd = lambda v: F32(round_away(float(v)))
    lut = np.zeros(513, np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(512):
            base = F32(in_min + F32(F32(i) * step))
            val, mid, nxt = ev(base), ev(F32(base + half)), ev(F32(in_min + F32(F32(i + 1) * step)))
            sample = rnd(val * inv)
            interp = rnd(F32(F32(nxt * inv) + rnd(val * inv)) / F32(2))
            bias = rnd(F32(interp - rnd(mid * inv)) / F32(2))
            lut[i] = int(min(max(float(sample - bias), -32768.0), 32767.0))
        lut[512] = int(min(max(float(rnd(ev(in_max) * inv)), -32768.0), 32767.0))
    x = np.arange(-32768, 32768)
    index = 256 + (x >> 7)
    slope = ((lut[index + 1] - lut[index] + 32768) % 65536) - 32768  # int16 arithmetic
    y = lut[index] + ((slope * (x & 0x7F) + 64) >> 7)
    return _never(((y + 32768) % 65536) - 32768)


def tflite_hardswish(si, zi, so, zo, is_signed):
    """activations.cc HardSwishPrepare + reference_ops::HardSwish<T>, every input."""
    lo, hi = (-128, 127) if is_signed else (0, 255)
    hires = F32(1.0 / 128.0) * F32(si)
    mo, eo = quantize_multiplier(float(hires / F32(so)))
    mr, er = quantize_multiplier(float(hires / F32(3.0 / 32768.0)))
    down = lambda m: 32767 if m >= 2**31 - 1 - 2**15 else (m + 2**15) >> 16  # DownScaleInt32ToInt16Multiplier

    def srdhm16(a, b):
        if a == b == -32768:
            return 32767
        ab = a * b
        n = ab + (2**14 if ab >= 0 else 1 - 2**14)
        return int(math.copysign(abs(n) // 2**15, n)) if n else 0

    def rdbp16(x, e):
        mask = (1 << e) - 1
        return (x >> e) + ((x & mask) > ((mask >> 1) + (x < 0)))

    def sat_shift16(x, k):
        return max(-32768, min(32767, x * (1 << k)))

    def wrap16(x):
        return ((x + 32768) % 65536) - 32768

    out = []
    for x in _inputs(is_signed):
        value = wrap16(int(x) - zi)
        hi_res = wrap16(value * 128)
        pre_out = srdhm16(hi_res, down(mo))
        r = hi_res
        if er > 0:
            r = sat_shift16(r, er - 1)
        r = srdhm16(r, down(mr))
        if er > 0:
            r = sat_shift16(r, 1)
        if er < 0:
            r = rdbp16(r, -er)
        r = (r + 2**15) >> 1
        ab = r * pre_out
        pre = 32767 if r == pre_out == -32768 else int(math.copysign(abs(ab) // 2**15, ab)) if ab else 0
        o = wrap16(rdbp16(pre, -eo) + zo)
        out.append(min(hi, max(lo, o)))
    return _never(np.array(out))


def tflite_leaky_relu(x, alpha, si, zi, so, zo, qmin=-128, qmax=127):
    """LeakyReluPrepare (float expressions) + reference_ops::QuantizeLeakyRelu."""
    ma, sa = quantize_multiplier(float(F32(si) * F32(alpha) / F32(so)))
    mi, shi = quantize_multiplier(float(F32(si) / F32(so)))
    v = np.asarray(x, np.int64) - zi
    neg = mbqm(v, abs(ma), sa)
    y = np.where(v >= 0, mbqm(v, mi, shi), -neg if ma < 0 else neg) + zo
    return _never(_clamp(y, qmin, qmax))


def tflite_prelu(x, alpha_q, si, zi, sa, za, so, zo, qmin=-128, qmax=127):
    """PreluPrepare + reference_ops::Prelu."""
    m1, s1 = quantize_multiplier(float(F32(si) / F32(so)))
    m2, s2 = quantize_multiplier(float(F32(si) * F32(sa) / F32(so)))
    v = np.asarray(x, np.int64) - zi
    y = np.where(v >= 0, mbqm(v, m1, s1), mbqm(v * (np.asarray(alpha_q, np.int64) - za), m2, s2)) + zo
    return _never(_clamp(y, qmin, qmax))


# ---- Softmax -------------------------------------------------------------------------------

def tflite_softmax(x, si, beta, so, zo, out_lo, out_hi, out_uint8=False):
    """optimized_ops::PopulateSoftmaxLookupTable + optimized_ops::Softmax (one row)."""
    scale = -F32(si) * F32(beta)
    table = np.zeros(256, F32)
    for k in range(256):
        table[255 - k] = np.exp(scale * F32(k))
    x = [int(v) for v in x]
    mx = max(x)
    total = F32(0)
    for v in x:
        total = F32(total + table[255 - mx + v])
    inv = F32(1) / F32(total * F32(so))
    probs32 = np.array([F32(table[255 - mx + v] * inv) for v in x], F32)
    probs = probs32.astype(np.float64)
    # uint8 off aarch64: (int)(p + 0.5f), the addition in float32
    q = np.floor((probs32 + F32(0.5)).astype(np.float64)) if out_uint8 else round_away(probs)
    return _clamp(q + zo, out_lo, out_hi), _near_tie(probs)


def onnx_softmax(x, si, so, zo, is_signed):
    """QlinearBuildLookupTableUint32 + QlinearSoftmaxCPU (one row; saturating, see qsoftmax.h)."""
    n = len(x)
    shift = math.log(float(F32(np.finfo(np.float32).max) / F32(n)))
    shift = max(0.0, shift - 5.0) / float(F32(si))
    table = np.array([F32(math.exp((i - 255 + shift) * float(F32(si)))) for i in range(256)], F32)
    x = [int(v) for v in x]
    mx = max(x)
    idx = [255 - mx + v for v in x]  # the row's max at entry 255 (both layouts agree on this)
    total = F32(0)
    for i in idx:
        total = F32(total + table[i])
    yscale = F32(math.floor(float(F32(1) / F32(so))))
    with np.errstate(over="ignore"):
        v = np.array([F32(table[i] * yscale) / total for i in idx], F32)
    # a one-element row overflows entry * y_scale to inf (the table reserves only e^5 of
    # headroom): onnxruntime's uint8 cast then lands above 255 and saturates; saturate it
    v = np.nan_to_num(v, posinf=np.finfo(np.float32).max)
    lo, hi = (-128, 127) if is_signed else (0, 255)
    return _clamp(_half_even_f32(v) + zo, lo, hi), _near_tie(v)


# ---- AveragePool / Mean / Resize -------------------------------------------------------------

def _windows(h, w, k, s, pad):
    oh, ow = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
    for oy in range(oh):
        for ox in range(ow):
            ys = [oy * s - pad + i for i in range(k) if 0 <= oy * s - pad + i < h]
            xs = [ox * s - pad + i for i in range(k) if 0 <= ox * s - pad + i < w]
            yield oy, ox, ys, xs
    return oh, ow


def tflite_avgpool(x, k, s, pad, is_unsigned, qmin, qmax):
    """reference_integer_ops::AveragePool (int8) / reference_ops::AveragePool (uint8), HWC."""
    h, w, c = x.shape
    out = []
    for _, _, ys, xs in _windows(h, w, k, s, pad):
        for ch in range(c):
            acc = int(sum(int(x[yy, xx, ch]) for yy in ys for xx in xs))
            cnt = len(ys) * len(xs)
            if is_unsigned or acc > 0:
                q = (acc + cnt // 2) // cnt
            else:  # (acc - cnt / 2) / cnt, C's division truncating toward zero
                q = -((-acc + cnt // 2) // cnt)
            out.append(min(qmax, max(qmin, q)))
    return _never(np.array(out))


def onnx_avgpool(x, k, s, pad, include_pad, xs_, xz, ys_, yz, lo, hi):
    """QLinearAveragePool: float sum of dequantized taps, / count, nearbyintf(v / y_scale + y_zp)."""
    h, w, c = x.shape
    out, amb = [], []
    for _, _, ys, xs in _windows(h, w, k, s, pad):
        for ch in range(c):
            acc = F32(0)
            for yy in ys:
                for xx in xs:
                    acc = F32(acc + F32(xs_) * F32(int(x[yy, xx, ch]) - xz))
            cnt = k * k if include_pad else len(ys) * len(xs)
            v = F32(F32(acc / F32(cnt)) / F32(ys_) + F32(yz))
            out.append(min(hi, max(lo, int(np.rint(v)))))
            amb.append(bool(_near_tie(v)))
    return np.array(out), np.array(amb)


def tflite_mean_hw(x, si, zi, so, zo):
    """optimized_integer_ops::Mean (keep_dims H x W): x is [count, channels]."""
    count = x.shape[0]
    temp = F32(zi) * F32(si) / F32(so)
    temp = temp + F32(0.5) if temp > 0 else temp - F32(0.5)
    bias = zo - int(temp)
    m, s = quantize_multiplier(float(F32(si) / (F32(count) * F32(so))))
    return _never(_clamp(_blocks16(x.astype(np.int64).sum(0), m, s) + bias, -128, 127))


def tflite_mean(x, si, zi, so, zo):
    """reduce.cc PrepareMeanOrSum + reference_ops::QuantizedMeanOrSum: x is [count, inner]."""
    count = x.shape[0]
    m, s = quantize_multiplier(float(si) / float(so))
    shift = min(count.bit_length() - 1, 32, 31 + s)
    m = (m << shift) // count
    s -= shift
    return _never(_clamp(mbqm(x.astype(np.int64).sum(0) - zi * count, m, s) + zo, -128, 127))


def onnx_global_avgpool(x, si, zi, so, zo, lo=-128, hi=127):
    """MLAS MlasQLinearGlobalAveragePool: x is [count, channels]."""
    count = x.shape[0]
    scale = F32(si) / (F32(so) * F32(count))
    v = (x.astype(np.int64).sum(0) - zi * count).astype(F32) * scale
    return _clamp(_half_even_f32(v) + zo, lo, hi), _near_tie(v)


def tflite_resize_bilinear(x, oh, ow, align_corners, half_pixel):
    """reference_ops::ResizeBilinearInteger on one HWC image."""
    ih, iw, _ = x.shape

    def scale10(i, o):
        if align_corners and o > 1:
            return ((1 << 10) * (i - 1) + (o - 1) // 2) // (o - 1)
        return ((1 << 10) * i + o // 2) // o

    def coord(v, sc, size):
        scaled = v * sc + sc // 2 - (1 << 9) if half_pixel else v * sc
        lower = max(int(scaled / 1024), 0)  # C division truncates
        upper = min(int((scaled + 1023) / 1024), size - 1)
        return scaled, lower, upper

    hs, ws = scale10(ih, oh), scale10(iw, ow)
    out = np.zeros((oh, ow, x.shape[2]), np.int64)
    xi = x.astype(np.int64)
    for oy in range(oh):
        sy, y0, y1 = coord(oy, hs, ih)
        for ox in range(ow):
            sx, x0, x1 = coord(ox, ws, iw)
            fy, fx = sy - 1024 * y0, sx - 1024 * x0
            tot = (xi[y0, x0] * (1024 - fy) * (1024 - fx) + xi[y1, x0] * fy * (1024 - fx)
                   + xi[y0, x1] * (1024 - fy) * fx + xi[y1, x1] * fy * fx)
            r = np.where(tot > 0, 1 << 19, -(1 << 19))
            out[oy, ox] = np.sign(tot + r) * (np.abs(tot + r) // (1 << 20))
    return _never(out.reshape(-1))
