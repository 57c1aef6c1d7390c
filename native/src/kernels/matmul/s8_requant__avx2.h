/*
 * kernels/matmul/s8_requant__avx2.h — the int8 kernels' requantizing store in AVX2 (the
 * GEMM tiles and the depthwise conv include it): eight int32 accumulators of eight columns
 * to their outputs, bit for bit what pml_requantize computes in scalar code.
 *
 * Fixed point (TFLite double rounding): x << left (wrapping, vpsllvd); then
 * SaturatingRoundingDoublingHighMul as floor((x * m + 2^30) / 2^31) on 64-bit lanes
 * (vpmuldq on even and odd lanes): gemmlowp's nudge-and-truncate equals this floor for
 * every pair but INT32_MIN * INT32_MIN, which cannot occur (multipliers are < 2^31); the
 * quotient's low 32 bits are bits 31..62 of the sum, so a logical shift serves. Then
 * RoundingDivideByPOT with per-lane shifts (vpsravd), the zero point and the clamp.
 * Float (ONNX): (float)acc * scale, clamped to [qmin - zp, qmax - zp], converted with
 * vcvtps2dq in the default rounding mode (half to even, as nearbyintf), + zp.
 */
#ifndef PML_KERNELS_S8_REQUANT_AVX2_H
#define PML_KERNELS_S8_REQUANT_AVX2_H

#include <immintrin.h>

#include "kernels/matmul/s8_gemm.h"

/* One 8-column group's parameters, loaded once per tile. */
typedef struct pml_qs8_rq8 {
    __m256i mult, mult_odd, lsh, rsh, mask, thr;
    __m256i nudge; /* 2^(rsh - 1): the small-accumulator rounding (pml_qs8_epilogue.small_acc) */
    __m256 scale;
    /* the one floor under a ReLU (PML_QS8_RQ_FLOOR): offsets + 2^63, shifts 31 + r (odd lanes'
     * - 32), and 2^(32 - r), what the + 2^63 leaves in the result's low dword */
    __m256i off_even, off_odd, sh_even, sh_odd, excess;
} pml_qs8_rq8;

/* The tile's scalars as vectors. */
typedef struct pml_qs8_rqc {
    int float_mode;
    int small_acc; /* no accumulator reaches 2^30, no left shift, right shifts >= 1 (s8_gemm.h) */
    __m256i zp, qmin, qmax;
    __m256 lo, hi;
} pml_qs8_rqc;

static inline pml_qs8_rqc pml_qs8_rqc_load(const pml_qs8_epilogue *ep) {
    pml_qs8_rqc c;
    c.float_mode = ep->mode == PML_REQUANT_FLOAT;
    c.small_acc = ep->small_acc;
    c.zp = _mm256_set1_epi32(ep->zero_point);
    c.qmin = _mm256_set1_epi32(ep->qmin);
    c.qmax = _mm256_set1_epi32(ep->qmax);
    c.lo = _mm256_set1_ps((float)(ep->qmin - ep->zero_point));
    c.hi = _mm256_set1_ps((float)(ep->qmax - ep->zero_point));
    return c;
}

/* Columns j0..j0+7 of the epilogue (32-byte aligned arrays). */
static inline pml_qs8_rq8 pml_qs8_rq8_load(const pml_qs8_epilogue *ep, size_t j0) {
    pml_qs8_rq8 p;
    p.mult = _mm256_load_si256((const __m256i *)(ep->multiplier + j0));
    p.mult_odd = _mm256_srli_epi64(p.mult, 32);
    p.lsh = _mm256_load_si256((const __m256i *)(ep->lshift + j0));
    p.rsh = _mm256_load_si256((const __m256i *)(ep->rshift + j0));
    p.mask = _mm256_load_si256((const __m256i *)(ep->rmask + j0));
    p.thr = _mm256_load_si256((const __m256i *)(ep->rhalf + j0));
    p.nudge = _mm256_add_epi32(p.thr, _mm256_set1_epi32(1));
    p.scale = _mm256_load_ps(ep->scale + j0);
    return p;
}

/* The requantization modes of a kernel that picks one per tile (pml_qs8_requant8_mode). */
enum { PML_QS8_RQ_FLOAT, PML_QS8_RQ_SMALL, PML_QS8_RQ_GENERAL, PML_QS8_RQ_FLOOR };

/* Columns j0..j0+7's parameters for mode (a constant): the one floor's only where it runs (a
 * hand-built epilogue has no rq64). */
static inline __attribute__((always_inline)) pml_qs8_rq8 pml_qs8_rq8_load_mode(const pml_qs8_epilogue *ep,
                                                                              size_t j0, int mode) {
    pml_qs8_rq8 p = pml_qs8_rq8_load(ep, j0);
    if (mode == PML_QS8_RQ_FLOOR) {
        const __m256i top = _mm256_set1_epi64x(INT64_MIN); /* 2^63: the sums become nonnegative */
        p.off_even = _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(ep->rq64 + j0 / 2)), top);
        p.off_odd = _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)(ep->rq64 + 8 + j0 / 2)), top);
        p.sh_even = _mm256_loadu_si256((const __m256i *)(ep->rq64 + 16 + j0 / 2));
        p.sh_odd = _mm256_loadu_si256((const __m256i *)(ep->rq64 + 24 + j0 / 2));
        p.excess = _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_sub_epi32(_mm256_set1_epi32(32), p.rsh));
    }
    return p;
}

/*
 * The one floor (s8_requant__avx512.h derives it; pml_qs8_set_floor64 checks it exact) without
 * vpsravq: the int64 sum t = acc M + offset lies in (-2^62, 2^62), so t + 2^63 is a nonnegative
 * 64-bit value whose logical shift by s = 31 + r is floor(t / 2^s) + 2^(32 - r); the low dword
 * less 2^(32 - r) (r >= 1: at most 2^31, wrapping) is the value + zp. Only under a ReLU (qmin >=
 * zp, no sign correction): the correction would cost more than the small-accumulator rounding
 * it replaces.
 */
static inline __m256i pml_qs8_requant8_floor(__m256i acc, const pml_qs8_rq8 *p) {
    const __m256i te = _mm256_add_epi64(_mm256_mul_epi32(acc, p->mult), p->off_even);
    const __m256i to = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), p->mult_odd), p->off_odd);
    const __m256i v = _mm256_blend_epi32(_mm256_srlv_epi64(te, p->sh_even), _mm256_srlv_epi64(to, p->sh_odd), 0xAA);
    return _mm256_sub_epi32(v, p->excess);
}

static inline __m256i pml_qs8_requant8(__m256i acc, const pml_qs8_rq8 *p, const pml_qs8_rqc *c) {
    __m256i v;
    if (c->float_mode) {
        __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), p->scale);
        f = _mm256_min_ps(_mm256_max_ps(f, c->lo), c->hi);
        return _mm256_add_epi32(_mm256_cvtps_epi32(f), c->zp); /* clamped before: in range */
    } else if (c->small_acc) {
        /* no left shift; RoundingDivideByPOT as (h + 2^(e-1) - (h < 0)) >> e, which cannot
         * overflow as |h| <= |acc| < 2^30 (s8_requant__avx512.h proves it equal) */
        const __m256i round = _mm256_set1_epi64x((int64_t)1 << 30);
        __m256i even = _mm256_add_epi64(_mm256_mul_epi32(acc, p->mult), round);
        __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), p->mult_odd), round);
        even = _mm256_srli_epi64(even, 31);
        odd = _mm256_slli_epi64(odd, 1);
        const __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
        v = _mm256_srav_epi32(_mm256_add_epi32(_mm256_add_epi32(h, p->nudge), _mm256_srai_epi32(h, 31)), p->rsh);
    } else {
        const __m256i x = _mm256_sllv_epi32(acc, p->lsh);
        const __m256i round = _mm256_set1_epi64x((int64_t)1 << 30);
        __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, p->mult), round);
        __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), p->mult_odd), round);
        even = _mm256_srli_epi64(even, 31); /* quotient in the low dword */
        odd = _mm256_slli_epi64(odd, 1);    /* quotient in the high dword */
        const __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
        /* rounding divide by 2^rsh: ties away from zero */
        const __m256i rem = _mm256_and_si256(h, p->mask);
        const __m256i thr = _mm256_sub_epi32(p->thr, _mm256_cmpgt_epi32(_mm256_setzero_si256(), h)); /* +1 if h < 0 */
        v = _mm256_sub_epi32(_mm256_srav_epi32(h, p->rsh), _mm256_cmpgt_epi32(rem, thr));
    }
    v = _mm256_add_epi32(v, c->zp);
    return _mm256_min_epi32(_mm256_max_epi32(v, c->qmin), c->qmax);
}

/* The requantization in a mode fixed at the call site (PML_QS8_RQ_*, a constant): a kernel
 * that branches on the mode once, outside its loops, and calls this in each branch keeps only
 * that mode's parameters live (the GEMM tiles spilled every mode's to the stack). */
static inline __attribute__((always_inline)) __m256i pml_qs8_requant8_mode(__m256i acc, const pml_qs8_rq8 *p,
                                                                           const pml_qs8_rqc *c, int mode) {
    if (mode == PML_QS8_RQ_FLOOR)
        return _mm256_min_epi32(_mm256_max_epi32(pml_qs8_requant8_floor(acc, p), c->qmin), c->qmax);
    pml_qs8_rqc m = *c;
    m.float_mode = mode == PML_QS8_RQ_FLOAT, m.small_acc = mode == PML_QS8_RQ_SMALL;
    return pml_qs8_requant8(acc, p, &m);
}

/* The mode of c, for pml_qs8_requant8_mode. */
static inline int pml_qs8_rq_mode(const pml_qs8_rqc *c) {
    return c->float_mode ? PML_QS8_RQ_FLOAT : c->small_acc ? PML_QS8_RQ_SMALL : PML_QS8_RQ_GENERAL;
}

/* Stores the first nr of 16 requantized columns (lo: 0-7, hi: 8-15; already clamped to the
 * output's range) as bytes. */
static inline void pml_qs8_store16(__m256i lo, __m256i hi, int out_u8, uint8_t *dst, size_t nr) {
    const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8); /* 16 int16 in order */
    const __m128i a = _mm256_castsi256_si128(w16), b = _mm256_extracti128_si256(w16, 1);
    const __m128i bytes = out_u8 ? _mm_packus_epi16(a, b) : _mm_packs_epi16(a, b);
    if (nr == 16) {
        _mm_storeu_si128((__m128i *)dst, bytes);
    } else if (nr == 8) { /* the tail of 24, 40, 56... channels */
        _mm_storel_epi64((__m128i *)dst, bytes);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(dst, tmp, nr);
    }
}

/* Stores the first nr (at most 8) of 8 requantized columns (already clamped) as bytes. */
static inline void pml_qs8_store8(__m256i v, int out_u8, uint8_t *dst, size_t nr) {
    const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i bytes = out_u8 ? _mm_packus_epi16(w16, w16) : _mm_packs_epi16(w16, w16);
    if (nr >= 8) {
        _mm_storel_epi64((__m128i *)dst, bytes);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(dst, tmp, nr);
    }
}

#endif /* PML_KERNELS_S8_REQUANT_AVX2_H */
