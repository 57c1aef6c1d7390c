/*
 * kernels/matmul/s8_qadd__avx2.h — quantized Add/Sub of eight int32 lanes in AVX2, bit for bit
 * the scalar element functions of kernels/qadd_scalar.h: the run kernels of
 * quant/s8_qbinary__avx2.c and the AVX2 int8 GEMM tiles' fused residual Add
 * (s8_gemm_tile__avx2.h) use it.
 *
 * TFLite fixed point: both inputs (x - zp) << left_shift, each through
 * MultiplyByQuantizedMultiplier, summed (wrapping), the output's MultiplyByQuantizedMultiplier,
 * + zero point, clamp. The output's multiplication is the GEMM epilogue's vector
 * requantization (s8_requant__avx2.h, proven equal to pml_requantize over the int32 range)
 * with one multiplier in every lane.
 *
 * The inputs' multiplications take a shortcut in 32-bit lanes (the products of the general
 * one need 64): with d = x - zp (|d| <= 255) and x = d << 20, SaturatingRoundingDoublingHighMul
 * is floor((x * M + 2^30) / 2^31) (s8_requant__avx2.h) = floor((d * M + 2^10) / 2^11), and
 * splitting M = Mh * 2^11 + Ml (0 <= Ml < 2^11) that is d * Mh + ((d * Ml + 2^10) >> 11)
 * exactly (d * Mh is a multiple of 2^11 before the division); |d * Mh| < 2^28 and
 * |d * Ml| < 2^19, so vpmulld serves. RoundingDivideByPOT follows as usual. It holds for the
 * 8-bit left shift 20 and a multiplier shift <= 0 (always: the ratio in_scale / (2 * max
 * in_scale) is at most 1/2); other parameters take the general path. The input of the larger
 * scale always has ratio exactly 1/2, i.e. M = 2^30 and shift 0, where the result is d << 19
 * exactly (Mh = 2^19, Ml = 0, no division): one shift.
 *
 * ONNX float (MLAS): va = a_scale * (float)(a - za), vb likewise, (va +- vb) / y_scale (a true
 * division, as the scalar code), clamped, converted half to even (vcvtps2dq, as nearbyintf),
 * + y_zp. Files compiling this need -ffp-contract=off (qadd_scalar.h).
 */
#ifndef PML_KERNELS_S8_QADD_AVX2_H
#define PML_KERNELS_S8_QADD_AVX2_H

#include <stdint.h>

#include "kernels/matmul/s8_requant__avx2.h"
#include "kernels/qbinary_params.h"

/* An input's multiplier on the 32-bit shortcut: M's high and low parts, then the rounding
 * divide by 2^rsh. */
typedef struct pml_qadd_input8 {
    __m256i m_hi, m_lo, rsh, mask, thr;
} pml_qadd_input8;

/* One Add/Sub's parameters as vectors, set up once per run (or per GEMM tile). */
typedef struct pml_qadd8 {
    int float_mode;
    pml_qs8_rq8 a, b, y;     /* fixed point: the three multipliers, broadcast */
    pml_qs8_rqc inner, out;  /* inner: no zero point, no clamp; out: the output's */
    __m256i a_zp, b_zp, left;
    int short_inputs;        /* the inputs take the 32-bit shortcut (a_in, b_in) */
    int nudge;               /* ... and every rounding divide may nudge (pml_qaddsub8_nudged) */
    int a_half, b_half;      /* ... and that input's multiplier is 1/2 (M = 2^30, shift 0): d << 19 */
    pml_qadd_input8 a_in, b_in;
    __m256 a_scale, b_scale, y_scale, lo, hi; /* float mode */
} pml_qadd8;

static inline pml_qadd_input8 pml_qadd_input8_setup(int32_t multiplier, int32_t shift) {
    const int32_t rsh = -shift, mask = (int32_t)(((int64_t)1 << rsh) - 1);
    pml_qadd_input8 s;
    s.m_hi = _mm256_set1_epi32(multiplier >> 11);
    s.m_lo = _mm256_set1_epi32(multiplier & 0x7FF);
    s.rsh = _mm256_set1_epi32(rsh);
    s.mask = _mm256_set1_epi32(mask);
    s.thr = _mm256_set1_epi32(mask >> 1);
    return s;
}

/* MultiplyByQuantizedMultiplier(d << 20, M, shift) for |d| <= 255, M >= 0, shift <= 0. */
PML_INLINE __m256i pml_qadd_scale_input8(__m256i d, const pml_qadd_input8 *s) {
    const __m256i lo = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(d, s->m_lo), _mm256_set1_epi32(1 << 10)), 11);
    const __m256i h = _mm256_add_epi32(_mm256_mullo_epi32(d, s->m_hi), lo);
    const __m256i rem = _mm256_and_si256(h, s->mask);
    const __m256i thr = _mm256_sub_epi32(s->thr, _mm256_cmpgt_epi32(_mm256_setzero_si256(), h)); /* +1 if h < 0 */
    return _mm256_sub_epi32(_mm256_srav_epi32(h, s->rsh), _mm256_cmpgt_epi32(rem, thr));
}

static inline pml_qs8_rq8 pml_qadd_multiplier8(int32_t multiplier, int32_t shift) {
    const int32_t lsh = shift > 0 ? shift : 0, rsh = shift > 0 ? 0 : -shift;
    const int32_t mask = (int32_t)(((int64_t)1 << rsh) - 1);
    pml_qs8_rq8 r;
    r.mult = _mm256_set1_epi32(multiplier);
    r.mult_odd = _mm256_srli_epi64(r.mult, 32);
    r.lsh = _mm256_set1_epi32(lsh);
    r.rsh = _mm256_set1_epi32(rsh);
    r.mask = _mm256_set1_epi32(mask);
    r.thr = _mm256_set1_epi32(mask >> 1);
    r.nudge = _mm256_set1_epi32((mask >> 1) + 1);
    r.scale = _mm256_setzero_ps();
    return r;
}

static inline pml_qs8_rqc pml_qadd_clamp8(int32_t zp, int32_t qmin, int32_t qmax) {
    pml_qs8_rqc c;
    c.float_mode = 0;
    c.small_acc = 0; /* the general rounding: an Add's sums are not bounded like a GEMM's */
    c.zp = _mm256_set1_epi32(zp);
    c.qmin = _mm256_set1_epi32(qmin);
    c.qmax = _mm256_set1_epi32(qmax);
    c.lo = c.hi = _mm256_setzero_ps();
    return c;
}

static inline pml_qadd8 pml_qadd8_setup(const pml_qbinary_params *p) {
    pml_qadd8 v;
    v.float_mode = p->mode == PML_REQUANT_FLOAT;
    v.a_zp = _mm256_set1_epi32(p->a_zp);
    v.b_zp = _mm256_set1_epi32(p->b_zp);
    v.out = pml_qadd_clamp8(p->y_zp, p->qmin, p->qmax);
    v.a_scale = _mm256_set1_ps(p->a_scale);
    v.b_scale = _mm256_set1_ps(p->b_scale);
    v.y_scale = _mm256_set1_ps(p->y_scale);
    v.lo = _mm256_set1_ps((float)(p->qmin - p->y_zp));
    v.hi = _mm256_set1_ps((float)(p->qmax - p->y_zp));
    v.a = pml_qadd_multiplier8(p->a_multiplier, p->a_shift);
    v.b = pml_qadd_multiplier8(p->b_multiplier, p->b_shift);
    v.y = pml_qadd_multiplier8(p->y_multiplier, p->y_shift);
    v.inner = pml_qadd_clamp8(0, INT32_MIN, INT32_MAX);
    v.left = _mm256_set1_epi32(p->left_shift);
    v.short_inputs = !v.float_mode && p->left_shift == 20 && p->a_multiplier >= 0 && p->b_multiplier >= 0 &&
                     p->a_shift <= 0 && p->b_shift <= 0 && p->a_shift >= -31 && p->b_shift >= -31;
    v.a_half = v.short_inputs && p->a_multiplier == 1 << 30 && p->a_shift == 0;
    v.b_half = v.short_inputs && p->b_multiplier == 1 << 30 && p->b_shift == 0;
    if (v.short_inputs) {
        v.a_in = pml_qadd_input8_setup(p->a_multiplier, p->a_shift);
        v.b_in = pml_qadd_input8_setup(p->b_multiplier, p->b_shift);
    }
    v.nudge = v.short_inputs && p->y_shift < 0 && (v.a_half || p->a_shift < 0) && (v.b_half || p->b_shift < 0);
    return v;
}

/* Fixed point: eight outputs (int32 lanes, clamped) from eight a and b values; vpsllvd wraps
 * like the scalar shift. a_half / b_half: pass constants where a loop should compile its own
 * path (s8_qbinary__avx2.c), or v's flags. */
PML_INLINE __m256i pml_qaddsub8_fixed(__m256i a, __m256i b, const pml_qadd8 *v, int sub, int a_half, int b_half) {
    __m256i va, vb;
    if (v->short_inputs) {
        va = a_half ? _mm256_slli_epi32(_mm256_sub_epi32(a, v->a_zp), 19)
                    : pml_qadd_scale_input8(_mm256_sub_epi32(a, v->a_zp), &v->a_in);
        vb = b_half ? _mm256_slli_epi32(_mm256_sub_epi32(b, v->b_zp), 19)
                    : pml_qadd_scale_input8(_mm256_sub_epi32(b, v->b_zp), &v->b_in);
    } else {
        const __m256i sa = _mm256_sllv_epi32(_mm256_sub_epi32(a, v->a_zp), v->left);
        const __m256i sb = _mm256_sllv_epi32(_mm256_sub_epi32(b, v->b_zp), v->left);
        va = pml_qs8_requant8(sa, &v->a, &v->inner);
        vb = pml_qs8_requant8(sb, &v->b, &v->inner);
    }
    return pml_qs8_requant8(sub ? _mm256_sub_epi32(va, vb) : _mm256_add_epi32(va, vb), &v->y, &v->out);
}

/* RoundingDivideByPOT(h, e) for e >= 1 and |h| + 2^(e-1) < 2^31: (h + 2^(e-1) - (h < 0)) >> e
 * (s8_requant__avx512.h shows it equal); nudge = 2^(e-1). */
PML_INLINE __m256i pml_qadd_rdp8(__m256i h, __m256i e, __m256i nudge) {
    return _mm256_srav_epi32(_mm256_add_epi32(_mm256_add_epi32(h, nudge), _mm256_srai_epi32(h, 31)), e);
}

/* Fixed point when v->nudge holds: the inputs' values stay below 2^28 in magnitude (|d| <= 255
 * shifted by 20, times a multiplier <= 1/2), so do their sum and its doubling high multiply,
 * and every nudged rounding stays inside int32 (s8_qadd__avx512.h does the same on 16 lanes). */
PML_INLINE __m256i pml_qaddsub8_nudged(__m256i a, __m256i b, const pml_qadd8 *v, int a_half, int b_half) {
    const __m256i da = _mm256_sub_epi32(a, v->a_zp), db = _mm256_sub_epi32(b, v->b_zp);
    const __m256i r10 = _mm256_set1_epi32(1 << 10);
    __m256i va, vb;
    if (a_half) {
        va = _mm256_slli_epi32(da, 19);
    } else {
        const __m256i l = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(da, v->a_in.m_lo), r10), 11);
        va = pml_qadd_rdp8(_mm256_add_epi32(_mm256_mullo_epi32(da, v->a_in.m_hi), l), v->a_in.rsh, v->a.nudge);
    }
    if (b_half) {
        vb = _mm256_slli_epi32(db, 19);
    } else {
        const __m256i l = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(db, v->b_in.m_lo), r10), 11);
        vb = pml_qadd_rdp8(_mm256_add_epi32(_mm256_mullo_epi32(db, v->b_in.m_hi), l), v->b_in.rsh, v->b.nudge);
    }
    const __m256i x = _mm256_add_epi32(va, vb);
    const __m256i round = _mm256_set1_epi64x((int64_t)1 << 30);
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, v->y.mult), round);
    __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), v->y.mult_odd), round);
    even = _mm256_srli_epi64(even, 31);
    odd = _mm256_slli_epi64(odd, 1);
    __m256i y = pml_qadd_rdp8(_mm256_blend_epi32(even, odd, 0xAA), v->y.rsh, v->y.nudge);
    y = _mm256_add_epi32(y, v->out.zp);
    return _mm256_min_epi32(_mm256_max_epi32(y, v->out.qmin), v->out.qmax);
}

/* Float (ONNX): eight outputs as pml_qaddsub_float. */
PML_INLINE __m256i pml_qaddsub8_float(__m256i a, __m256i b, const pml_qadd8 *v, int sub) {
    const __m256 va = _mm256_mul_ps(v->a_scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(a, v->a_zp)));
    const __m256 vb = _mm256_mul_ps(v->b_scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(b, v->b_zp)));
    __m256 f = _mm256_div_ps(sub ? _mm256_sub_ps(va, vb) : _mm256_add_ps(va, vb), v->y_scale);
    f = _mm256_min_ps(_mm256_max_ps(f, v->lo), v->hi);
    return _mm256_add_epi32(_mm256_cvtps_epi32(f), v->out.zp);
}

/* Add of eight lanes in either semantics (the flags tested at each call). */
PML_INLINE __m256i pml_qadd8_run(__m256i a, __m256i b, const pml_qadd8 *v) {
    if (v->float_mode) return pml_qaddsub8_float(a, b, v, 0);
    return pml_qaddsub8_fixed(a, b, v, 0, v->a_half, v->b_half);
}

#endif /* PML_KERNELS_S8_QADD_AVX2_H */
