/*
 * kernels/requant.h — requantization: an int32 accumulator (a sum of products of
 * zero-point-corrected 8/16-bit values, plus an int32 bias) back to an 8/16-bit output.
 *
 * Two semantics, chosen per op when it is imported (the op says which it implements):
 *
 *   PML_REQUANT_FIXED_POINT  TFLite's reference kernels: the real multiplier
 *       in_scale * w_scale / out_scale (computed in double) becomes an int32 Q31 multiplier
 *       and a power-of-two shift (pml_quantize_multiplier = tflite::QuantizeMultiplier), and
 *       the accumulator is scaled by SaturatingRoundingDoublingHighMul followed by
 *       RoundingDivideByPOT (gemmlowp's double rounding; tflite::MultiplyByQuantizedMultiplier
 *       without TFLITE_SINGLE_ROUNDING). TFLite models come out bit-exact with it.
 *   PML_REQUANT_FLOAT  ONNX (QLinearConv, QLinearMatMul, QDQ): acc * scale in float32, with
 *       scale = in_scale * w_scale / out_scale computed in float32, rounded half to even
 *       (as onnxruntime's MLAS requantization).
 *
 * After scaling: + out zero point, then clamp to [qmin, qmax] (the dtype's range intersected
 * with a fused activation's range). Everything here is header-only so that every kernel
 * (scalar reference and SIMD epilogues) uses the very same arithmetic.
 */
#ifndef PML_KERNELS_REQUANT_H
#define PML_KERNELS_REQUANT_H

#include <math.h>

#include "kernels/common.h"

typedef enum pml_requant_mode {
    PML_REQUANT_FIXED_POINT = 0,
    PML_REQUANT_FLOAT = 1
} pml_requant_mode;

/* Per output channel (per_channel != 0: index by channel) or per tensor (index 0). */
typedef struct pml_requant {
    int32_t mode;              /* pml_requant_mode */
    int32_t per_channel;
    const int32_t *multiplier; /* PML_REQUANT_FIXED_POINT: Q31 multipliers */
    const int32_t *shift;      /* PML_REQUANT_FIXED_POINT: > 0 left, < 0 right */
    const float *scale;        /* PML_REQUANT_FLOAT: real multipliers */
    int32_t zero_point;        /* the output's */
    int32_t qmin, qmax;        /* output clamp, zero point included */
} pml_requant;

/* tflite::QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)
 * (0 for real == 0); std::round (half away from zero) on the Q31 mantissa; a shift below
 * -31 flushes to zero and one above 30 saturates. real must be finite and >= 0. */
static inline void pml_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift) {
    if (!(real > 0.0)) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    double q = frexp(real, &e);
    int64_t q_fixed = (int64_t)round(q * (double)(1ll << 31));
    if (q_fixed == (1ll << 31)) {
        q_fixed /= 2;
        ++e;
    }
    if (e < -31) {
        e = 0;
        q_fixed = 0;
    }
    if (e > 30) {
        e = 30;
        q_fixed = (1ll << 31) - 1;
    }
    *multiplier = (int32_t)q_fixed;
    *shift = e;
}

/* gemmlowp::SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating the one
 * overflowing case (INT32_MIN * INT32_MIN). */
PML_INLINE int32_t pml_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    return (int32_t)((ab + nudge) / (1ll << 31)); /* C division truncates toward zero, as gemmlowp */
}

/* gemmlowp::RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; 0 <= e <= 31. */
PML_INLINE int32_t pml_rounding_divide_by_pot(int32_t x, int e) {
    int32_t mask = (int32_t)((1ll << e) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* tflite::MultiplyByQuantizedMultiplier (double rounding). */
PML_INLINE int32_t pml_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    /* x * 2^left wraps like TFLite's int32 multiply would; callers keep it in range */
    int32_t shifted = (int32_t)((uint32_t)x << left);
    return pml_rounding_divide_by_pot(pml_srdhm(shifted, multiplier), right);
}

/* The scaled value + the output zero point, wrapping modulo 2^32 as TFLite's int32 addition does
 * in practice and as the SIMD kernels' vpaddd does (a plain int + overflows, undefined in C,
 * when a degenerate scale drives the scaled value to the ends of the int32 range). */
PML_INLINE int32_t pml_add_zero_point(int32_t v, int32_t zero_point) {
    return (int32_t)((uint32_t)v + (uint32_t)zero_point);
}

/* Round half to even in the default FP environment (nearbyintf), as MLAS's magic-number
 * rounding does; the value is clamped first so the conversion cannot overflow. */
PML_INLINE int32_t pml_requant_float(int32_t acc, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
    float v = (float)acc * scale;
    float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
    v = v < lo ? lo : (v > hi ? hi : v);
    return (int32_t)nearbyintf(v) + zp;
}

/* One accumulator of output channel ch to its quantized output value (as int32). */
PML_INLINE int32_t pml_requantize(const pml_requant *rq, size_t ch, int32_t acc) {
    size_t i = rq->per_channel ? ch : 0;
    if (rq->mode == PML_REQUANT_FLOAT) return pml_requant_float(acc, rq->scale[i], rq->zero_point, rq->qmin, rq->qmax);
    int32_t v = pml_add_zero_point(pml_multiply_by_quantized_multiplier(acc, rq->multiplier[i], rq->shift[i]),
                                   rq->zero_point);
    return v < rq->qmin ? rq->qmin : (v > rq->qmax ? rq->qmax : v);
}

/* tflite::MultiplyByQuantizedMultiplier for int64 accumulators (the int16x8 conv and fully
 * connected reference kernels, whose accumulators and biases are int64): the Q31 multiplier is
 * reduced to Q15 (rounded; 0x7FFF at the top) and applied in one rounding step. TFLite asserts
 * |x| < 2^47 and shift in [-31, 7]; within that, x * reduced fits int64. The int32 result is
 * TFLite's truncating conversion of the shifted value. */
PML_INLINE int32_t pml_multiply_by_quantized_multiplier_s64(int64_t x, int32_t multiplier, int32_t shift) {
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - shift;
    const int64_t v = x * (int64_t)reduced + ((int64_t)1 << (total_shift - 1));
    return (int32_t)(v >> total_shift); /* arithmetic shift, as TFLite's int64_t >> */
}

/* The int64 accumulator of an int16x8 kernel to its output (PML_REQUANT_FIXED_POINT only:
 * TFLite is the one format with int16 activations). */
PML_INLINE int32_t pml_requantize_s64(const pml_requant *rq, size_t ch, int64_t acc) {
    size_t i = rq->per_channel ? ch : 0;
    int32_t v = pml_add_zero_point(pml_multiply_by_quantized_multiplier_s64(acc, rq->multiplier[i], rq->shift[i]),
                                   rq->zero_point);
    return v < rq->qmin ? rq->qmin : (v > rq->qmax ? rq->qmax : v);
}

/* ---- helpers of the non-GEMM quantized kernels ------------------------------------------ */

/* TfLiteRound: round half away from zero (std::round), float and double. */
PML_INLINE float pml_round_away_f(float v) { return roundf(v); }
PML_INLINE double pml_round_away(double v) { return round(v); }

/* Clamp an int32 to [lo, hi]. */
PML_INLINE int32_t pml_clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* tflite::QuantizeMultiplier for a real of either sign: the magnitude as above, the sign
 * carried by the multiplier (TFLite's frexp keeps it there too; LeakyRelu's negative alpha). */
static inline void pml_quantize_multiplier_signed(double real, int32_t *multiplier, int32_t *shift) {
    pml_quantize_multiplier(real < 0 ? -real : real, multiplier, shift);
    if (real < 0) *multiplier = -*multiplier;
}

/* tflite::MultiplyByQuantizedMultiplierSmallerThanOneExp and ...GreaterThanOne are, with
 * double rounding, this same function restricted to shift <= 0 and shift >= 0. */
#define pml_multiply_by_quantized_multiplier_smaller_than_one_exp pml_multiply_by_quantized_multiplier
#define pml_multiply_by_quantized_multiplier_greater_than_one pml_multiply_by_quantized_multiplier

/* tflite::MultiplyByQuantizedMultiplier4Rows (double rounding), the vectorized form LiteRT's
 * x86 build runs too (USE_NEON through NEON_2_SSE) on whole blocks of its Requantize and
 * H x W Mean: vqrdmulh is SaturatingRoundingDoublingHighMul, but the right shift is vrshl,
 * which rounds half UP where RoundingDivideByPOT rounds half away from zero (a negative
 * exact tie comes out one higher). */
PML_INLINE int32_t pml_multiply_by_quantized_multiplier_rows(int32_t x, int32_t multiplier, int32_t shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t v = pml_srdhm((int32_t)((uint32_t)x << left), multiplier);
    if (right == 0) return v;
    return (int32_t)(((int64_t)v + ((int64_t)1 << (right - 1))) >> right);
}

/* ---- int16 fixed point (gemmlowp's int16 overloads; TFLite's HardSwish) ------------------- */

/* gemmlowp::SaturatingRoundingDoublingHighMul on int16: round(a * b / 2^15), saturating
 * INT16_MIN * INT16_MIN. */
PML_INLINE int16_t pml_srdhm16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    int32_t ab = (int32_t)a * (int32_t)b;
    int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* tflite::reference_ops::SaturatingDoublingHighMul: a * b / 2^15 truncated toward zero
 * (ARM's SQDMULH), saturating INT16_MIN * INT16_MIN. */
PML_INLINE int16_t pml_sdhm16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* gemmlowp::RoundingDivideByPOT on int16 (0 <= e <= 15). */
PML_INLINE int16_t pml_rounding_divide_by_pot16(int16_t x, int e) {
    int16_t mask = (int16_t)((1 << e) - 1);
    int16_t remainder = (int16_t)(x & mask);
    int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> e) + (remainder > threshold ? 1 : 0));
}

/* tflite::reference_ops::SaturatingLeftShift on int16. */
PML_INLINE int16_t pml_saturating_left_shift16(int16_t x, int amount) {
    int64_t r = (int64_t)x * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

/* tflite::DownScaleInt32ToInt16Multiplier: a Q31 multiplier (>= 0) to Q15, rounded. */
PML_INLINE int16_t pml_downscale_multiplier16(int32_t m) {
    if (m >= INT32_MAX - (1 << 15)) return INT16_MAX;
    return (int16_t)((m + (1 << 15)) >> 16);
}

#endif
