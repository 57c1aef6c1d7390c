/*
 * kernels/matmul/s8_requant__avx512.h — the requantizing store of the AVX-512 int8 GEMM tiles:
 * 16 int32 accumulators (one zmm, 16 columns) to their output bytes, the same arithmetic as
 * s8_requant__avx2.h (whose comment gives the derivation) on 16 lanes at once, with mask
 * registers for the compares and a masked byte store for the column tail. Halving the
 * epilogue's instructions matters where K is small (a 1x1 conv with 32 or 64 input
 * channels spends as long requantizing a tile as accumulating it).
 */
#ifndef PML_KERNELS_S8_REQUANT_AVX512_H
#define PML_KERNELS_S8_REQUANT_AVX512_H

#include <immintrin.h>

#include "kernels/matmul/s8_gemm.h"

/* The tile's 16 columns' parameters and the output's scalars, loaded once per tile. */
typedef struct pml_qs8_rq16 {
    int float_mode;
    int small_acc; /* the epilogue's: the rounding below may nudge (no lshift, rshift >= 1) */
    __m512i mult, mult_odd, lsh, rsh, mask, thr, zp, qmin, qmax;
    __m512i nudge; /* 2^(rshift - 1) */
    __m512 scale, lo, hi;
} pml_qs8_rq16;

static inline pml_qs8_rq16 pml_qs8_rq16_load(const pml_qs8_epilogue *ep) {
    pml_qs8_rq16 p;
    p.float_mode = ep->mode == PML_REQUANT_FLOAT;
    p.mult = _mm512_loadu_si512((const void *)ep->multiplier);
    p.mult_odd = _mm512_srli_epi64(p.mult, 32);
    p.lsh = _mm512_loadu_si512((const void *)ep->lshift);
    p.rsh = _mm512_loadu_si512((const void *)ep->rshift);
    p.mask = _mm512_loadu_si512((const void *)ep->rmask);
    p.thr = _mm512_loadu_si512((const void *)ep->rhalf);
    p.small_acc = ep->small_acc;
    p.nudge = _mm512_add_epi32(p.thr, _mm512_set1_epi32(1));
    p.scale = _mm512_loadu_ps(ep->scale);
    p.zp = _mm512_set1_epi32(ep->zero_point);
    p.qmin = _mm512_set1_epi32(ep->qmin);
    p.qmax = _mm512_set1_epi32(ep->qmax);
    p.lo = _mm512_set1_ps((float)(ep->qmin - ep->zero_point));
    p.hi = _mm512_set1_ps((float)(ep->qmax - ep->zero_point));
    return p;
}

/* The requantized values + the zero point (wrapping, as pml_add_zero_point), not yet clamped
 * to [qmin, qmax] in fixed point (float mode: already within it). A caller that narrows with
 * saturating packs can clamp the bytes instead: every saturation is monotone, so clamping
 * after it gives the same bytes. */
static inline __m512i pml_qs8_requant16_unclamped(__m512i acc, const pml_qs8_rq16 *p) {
    __m512i v;
    if (p->float_mode) {
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), p->scale);
        f = _mm512_min_ps(_mm512_max_ps(f, p->lo), p->hi);
        return _mm512_add_epi32(_mm512_cvtps_epi32(f), p->zp); /* MXCSR rounding: half to even */
    }
    if (p->small_acc) { /* |acc| < 2^30, no left shift, right shift >= 1 */
        const __m512i round = _mm512_set1_epi64((int64_t)1 << 30);
        __m512i even = _mm512_add_epi64(_mm512_mul_epi32(acc, p->mult), round);
        __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), p->mult_odd), round);
        even = _mm512_srli_epi64(even, 31);
        odd = _mm512_slli_epi64(odd, 1);
        const __m512i h = _mm512_mask_blend_epi32(0xAAAA, even, odd);
        /* RoundingDivideByPOT as (h + 2^(e-1) - (h < 0)) >> e: for h = q 2^e + r (0 <= r < 2^e) that
         * is q + (r >= 2^(e-1) + (h < 0)), gemmlowp's q + (r > threshold); |h| <= |acc| < 2^30 and
         * 2^(e-1) <= 2^30, so the sum cannot overflow */
        v = _mm512_srav_epi32(_mm512_add_epi32(_mm512_add_epi32(h, p->nudge), _mm512_srai_epi32(h, 31)), p->rsh);
        return _mm512_add_epi32(v, p->zp); /* clamped by the caller, once */
    }
    const __m512i x = _mm512_sllv_epi32(acc, p->lsh);
    const __m512i round = _mm512_set1_epi64((int64_t)1 << 30), one = _mm512_set1_epi32(1);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, p->mult), round);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), p->mult_odd), round);
    even = _mm512_srli_epi64(even, 31); /* quotient in the low dword */
    odd = _mm512_slli_epi64(odd, 1);    /* quotient in the high dword */
    const __m512i h = _mm512_mask_blend_epi32(0xAAAA, even, odd);
    /* rounding divide by 2^rsh: ties away from zero (threshold + 1 where h < 0) */
    const __m512i rem = _mm512_and_si512(h, p->mask);
    const __m512i thr = _mm512_mask_add_epi32(p->thr, _mm512_cmplt_epi32_mask(h, _mm512_setzero_si512()), p->thr, one);
    v = _mm512_srav_epi32(h, p->rsh);
    v = _mm512_mask_add_epi32(v, _mm512_cmpgt_epi32_mask(rem, thr), v, one);
    return _mm512_add_epi32(v, p->zp);
}

static inline __m512i pml_qs8_requant16(__m512i acc, const pml_qs8_rq16 *p) {
    const __m512i v = pml_qs8_requant16_unclamped(acc, p);
    return p->float_mode ? v : _mm512_min_epi32(_mm512_max_epi32(v, p->qmin), p->qmax);
}

/*
 * The one-floor requantization (pml_qs8_epilogue.floor64; the constants and the exactness
 * check are pml_qs8_set_floor64's, qgemm_driver.c). TFLite's double rounding,
 * SaturatingRoundingDoublingHighMul(acc, M) = floor((acc M + 2^30) / 2^31) = h for |acc| < 2^30
 * and M >= 0 (gemmlowp's truncation of a negative acc M + 1 - 2^30 is that floor), then
 * RoundingDivideByPOT(h, r) = floor((h + 2^(r-1) - [h < 0]) / 2^r), composes (nested floor
 * divisions by powers of two) into one floor of an int64 sum:
 *   v + zp = floor((acc M + 2^30 + 2^(30+r) + zp 2^(31+r) - [acc M < 0] 2^31) / 2^(31+r)),
 * [acc M < 0] standing for [h < 0] (acc M < 0 with h = 0 gives 0 either way). With qmin >= zp
 * (a fused ReLU or ReLU6) the correction goes: acc M <= 0 gives at most zp with or without it,
 * clamped to qmin both ways. Per 16 outputs: two vpmuldq, two vpaddq, two vpsravq and a
 * blend (the odd columns' shifts are 32 less, their results land in the high dwords), against
 * the small-accumulator path's twelve. The depthwise row kernel uses it too
 * (kernels/conv/s8_dwconv_rows__avx512vnni.c), with constants cycling over its channels.
 */
typedef struct pml_qs8_rq64 {
    __m512i mul, mul_odd, off_even, off_odd, sh_even, sh_odd; /* the odd lanes' shifts 32 less */
    __m512i qmin, qmax;                                        /* pml_qs8_requant16_floor's clamp */
} pml_qs8_rq64;

static inline pml_qs8_rq64 pml_qs8_rq64_load(const pml_qs8_epilogue *ep) {
    pml_qs8_rq64 p;
    p.mul = _mm512_loadu_si512((const void *)ep->multiplier);
    p.mul_odd = _mm512_srli_epi64(p.mul, 32);
    p.off_even = _mm512_loadu_si512((const void *)ep->rq64);
    p.off_odd = _mm512_loadu_si512((const void *)(ep->rq64 + 8));
    p.sh_even = _mm512_loadu_si512((const void *)(ep->rq64 + 16));
    p.sh_odd = _mm512_loadu_si512((const void *)(ep->rq64 + 24));
    p.qmin = _mm512_set1_epi32(ep->qmin);
    p.qmax = _mm512_set1_epi32(ep->qmax);
    return p;
}

/* The one floor's vectors for 16 columns from col on, where the constants cycle
 * (pml_qs8_floor64_cycling's four arrays of len, in rq; multiplier indexed by column): the
 * dense store and the depthwise rows. f's clamp is left as it is. */
static inline void pml_qs8_rq64_load_cycling(pml_qs8_rq64 *f, const int32_t *multiplier, const int64_t *rq, int64_t len,
                                             int64_t col) {
    const int64_t e = col & 1, o = (col + 1) & 1;
    f->mul = _mm512_loadu_si512((const void *)(multiplier + col));
    f->mul_odd = _mm512_srli_epi64(f->mul, 32);
    f->off_even = _mm512_loadu_si512((const void *)(rq + e * len + col / 2));
    f->off_odd = _mm512_loadu_si512((const void *)(rq + o * len + (col + 1) / 2));
    f->sh_even = _mm512_loadu_si512((const void *)(rq + (2 + e) * len + col / 2));
    f->sh_odd = _mm512_sub_epi64(_mm512_loadu_si512((const void *)(rq + (2 + o) * len + (col + 1) / 2)),
                                 _mm512_set1_epi64(32)); /* the odd lanes' results land in the high dwords */
}

/* The 16 requantized values + zp, not clamped (the depthwise kernel clamps their bytes);
 * sign_fix: PML_QS8_FLOOR64_SIGNED's correction (a constant at each call). */
static inline __m512i pml_qs8_requant16_floor_unclamped(__m512i acc, const pml_qs8_rq64 *p, int sign_fix) {
    const __m512i pe = _mm512_mul_epi32(acc, p->mul);
    const __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), p->mul_odd);
    __m512i te = _mm512_add_epi64(pe, p->off_even), to = _mm512_add_epi64(po, p->off_odd);
    if (sign_fix) {
        const __m512i zero = _mm512_setzero_si512(), two31 = _mm512_set1_epi64((int64_t)1 << 31);
        te = _mm512_mask_sub_epi64(te, _mm512_cmplt_epi64_mask(pe, zero), te, two31);
        to = _mm512_mask_sub_epi64(to, _mm512_cmplt_epi64_mask(po, zero), to, two31);
    }
    return _mm512_mask_blend_epi32(0xAAAA, _mm512_srav_epi64(te, p->sh_even), _mm512_srav_epi64(to, p->sh_odd));
}

/* ... clamped to [qmin, qmax]. */
static inline __m512i pml_qs8_requant16_floor(__m512i acc, const pml_qs8_rq64 *p, int sign_fix) {
    return _mm512_min_epi32(_mm512_max_epi32(pml_qs8_requant16_floor_unclamped(acc, p, sign_fix), p->qmin), p->qmax);
}

/* Stores the first nr of 16 requantized columns (already clamped to the output's range, so
 * the low byte is the int8 or uint8 value). */
static inline void pml_qs8_store16_512(__m512i v, uint8_t *dst, size_t nr) {
    const __m128i bytes = _mm512_cvtepi32_epi8(v);
    if (nr == 16) _mm_storeu_si128((__m128i *)dst, bytes);
    else _mm_mask_storeu_epi8(dst, (__mmask16)((1u << nr) - 1), bytes);
}

#endif /* PML_KERNELS_S8_REQUANT_AVX512_H */
