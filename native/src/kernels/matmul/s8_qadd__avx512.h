/*
 * kernels/matmul/s8_qadd__avx512.h — the quantized Add of s8_qadd__avx2.h on sixteen int32 lanes
 * (AVX-512 F/BW/VL), bit for bit qadd_scalar.h: the same fixed-point arithmetic (the inputs'
 * 32-bit shortcut, the output's 64-bit SaturatingRoundingDoublingHighMul as
 * s8_requant__avx512.h) and the same float arithmetic; the derivations are in
 * s8_qadd__avx2.h. The AVX-512 GEMM tiles' fused residual Add (s8_gemm_tile__avx512vnni.h)
 * runs it, once per tile row. Files compiling this need -ffp-contract=off (qadd_scalar.h).
 */
#ifndef PML_KERNELS_S8_QADD_AVX512_H
#define PML_KERNELS_S8_QADD_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels/qbinary_params.h"

/* One Add's parameters as vectors, set up once per tile. */
typedef struct pml_qadd16 {
    int float_mode;
    int short_inputs, a_half, b_half; /* as pml_qadd8 */
    int nudge; /* short inputs, the output without left shift, every right shift >= 1: the
                * rounding divides nudge (pml_qadd16_rdp) */
    __m512i a_nudge, b_nudge, y_nudge;
    __m512i a_zp, b_zp, y_zp, qmin, qmax;
    __m512i a_hi, a_lo, a_rsh, a_mask, a_thr; /* inputs on the 32-bit shortcut */
    __m512i b_hi, b_lo, b_rsh, b_mask, b_thr;
    __m512i left, a_mult, a_lsh, b_mult, b_lsh;  /* inputs in general (64-bit products) */
    __m512i y_mult, y_lsh, y_rsh, y_mask, y_thr; /* the output's multiplier */
    __m512 a_scale, b_scale, y_scale, lo, hi;    /* float mode */
} pml_qadd16;

static inline pml_qadd16 pml_qadd16_setup(const pml_qbinary_params *p) {
    pml_qadd16 v; /* only the fields of v's mode are set */
    v.nudge = 0;
    v.float_mode = p->mode == PML_REQUANT_FLOAT;
    v.short_inputs = v.a_half = v.b_half = 0;
    v.a_zp = _mm512_set1_epi32(p->a_zp);
    v.b_zp = _mm512_set1_epi32(p->b_zp);
    v.y_zp = _mm512_set1_epi32(p->y_zp);
    v.qmin = _mm512_set1_epi32(p->qmin);
    v.qmax = _mm512_set1_epi32(p->qmax);
    if (v.float_mode) {
        v.a_scale = _mm512_set1_ps(p->a_scale);
        v.b_scale = _mm512_set1_ps(p->b_scale);
        v.y_scale = _mm512_set1_ps(p->y_scale);
        v.lo = _mm512_set1_ps((float)(p->qmin - p->y_zp));
        v.hi = _mm512_set1_ps((float)(p->qmax - p->y_zp));
        return v;
    }
    v.short_inputs = p->left_shift == 20 && p->a_multiplier >= 0 && p->b_multiplier >= 0 && p->a_shift <= 0 &&
                     p->b_shift <= 0 && p->a_shift >= -31 && p->b_shift >= -31;
    v.a_half = v.short_inputs && p->a_multiplier == 1 << 30 && p->a_shift == 0;
    v.b_half = v.short_inputs && p->b_multiplier == 1 << 30 && p->b_shift == 0;
    const int32_t ars = p->a_shift > 0 ? 0 : -p->a_shift, brs = p->b_shift > 0 ? 0 : -p->b_shift;
    const int32_t yrs = p->y_shift > 0 ? 0 : -p->y_shift;
    v.a_hi = _mm512_set1_epi32(p->a_multiplier >> 11), v.a_lo = _mm512_set1_epi32(p->a_multiplier & 0x7FF);
    v.b_hi = _mm512_set1_epi32(p->b_multiplier >> 11), v.b_lo = _mm512_set1_epi32(p->b_multiplier & 0x7FF);
    v.a_rsh = _mm512_set1_epi32(ars), v.a_mask = _mm512_set1_epi32((int32_t)(((int64_t)1 << ars) - 1));
    v.b_rsh = _mm512_set1_epi32(brs), v.b_mask = _mm512_set1_epi32((int32_t)(((int64_t)1 << brs) - 1));
    v.a_thr = _mm512_srli_epi32(v.a_mask, 1), v.b_thr = _mm512_srli_epi32(v.b_mask, 1);
    v.left = _mm512_set1_epi32(p->left_shift);
    v.a_mult = _mm512_set1_epi32(p->a_multiplier), v.a_lsh = _mm512_set1_epi32(p->a_shift > 0 ? p->a_shift : 0);
    v.b_mult = _mm512_set1_epi32(p->b_multiplier), v.b_lsh = _mm512_set1_epi32(p->b_shift > 0 ? p->b_shift : 0);
    v.y_mult = _mm512_set1_epi32(p->y_multiplier), v.y_lsh = _mm512_set1_epi32(p->y_shift > 0 ? p->y_shift : 0);
    v.y_rsh = _mm512_set1_epi32(yrs), v.y_mask = _mm512_set1_epi32((int32_t)(((int64_t)1 << yrs) - 1));
    v.y_thr = _mm512_srli_epi32(v.y_mask, 1);
    v.nudge = v.short_inputs && p->y_shift < 0 && (v.a_half || p->a_shift < 0) && (v.b_half || p->b_shift < 0);
    v.a_nudge = _mm512_add_epi32(v.a_thr, _mm512_set1_epi32(1));
    v.b_nudge = _mm512_add_epi32(v.b_thr, _mm512_set1_epi32(1));
    v.y_nudge = _mm512_add_epi32(v.y_thr, _mm512_set1_epi32(1));
    return v;
}

/* RoundingDivideByPOT(h, rsh) per lane: ties away from zero. */
PML_INLINE __m512i pml_qadd16_rdivpot(__m512i h, __m512i rsh, __m512i mask, __m512i thr) {
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i rem = _mm512_and_si512(h, mask);
    const __m512i t = _mm512_mask_add_epi32(thr, _mm512_cmplt_epi32_mask(h, _mm512_setzero_si512()), thr, one);
    const __m512i q = _mm512_srav_epi32(h, rsh);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, t), q, one);
}

/* RoundingDivideByPOT(h, e) for e >= 1 and |h| + 2^(e-1) < 2^31: (h + 2^(e-1) - (h < 0)) >> e
 * (s8_requant__avx512.h shows it equal). */
PML_INLINE __m512i pml_qadd16_rdp(__m512i h, __m512i e, __m512i nudge) {
    return _mm512_srav_epi32(_mm512_add_epi32(_mm512_add_epi32(h, nudge), _mm512_srai_epi32(h, 31)), e);
}

/* The fixed-point Add when v->nudge holds (a_half, b_half: v's flags, constants where a
 * caller compiles one loop per case): the inputs' values are below 2^28 in magnitude
 * (|d| <= 255 shifted by 20, times a multiplier <= 1/2), so is their sum and its
 * SaturatingRoundingDoublingHighMul: every nudged rounding stays inside int32. */
PML_INLINE __m512i pml_qadd16_fixed_nudged(__m512i a, __m512i b, const pml_qadd16 *v, int a_half, int b_half) {
    const __m512i da = _mm512_sub_epi32(a, v->a_zp), db = _mm512_sub_epi32(b, v->b_zp);
    const __m512i r10 = _mm512_set1_epi32(1 << 10);
    __m512i va, vb;
    if (a_half) {
        va = _mm512_slli_epi32(da, 19);
    } else {
        const __m512i l = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(da, v->a_lo), r10), 11);
        va = pml_qadd16_rdp(_mm512_add_epi32(_mm512_mullo_epi32(da, v->a_hi), l), v->a_rsh, v->a_nudge);
    }
    if (b_half) {
        vb = _mm512_slli_epi32(db, 19);
    } else {
        const __m512i l = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(db, v->b_lo), r10), 11);
        vb = pml_qadd16_rdp(_mm512_add_epi32(_mm512_mullo_epi32(db, v->b_hi), l), v->b_rsh, v->b_nudge);
    }
    const __m512i x = _mm512_add_epi32(va, vb);
    const __m512i round = _mm512_set1_epi64((int64_t)1 << 30);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, v->y_mult), round);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), v->y_mult), round);
    even = _mm512_srli_epi64(even, 31);
    odd = _mm512_slli_epi64(odd, 1);
    __m512i y = pml_qadd16_rdp(_mm512_mask_blend_epi32(0xAAAA, even, odd), v->y_rsh, v->y_nudge);
    y = _mm512_add_epi32(y, v->y_zp);
    return _mm512_min_epi32(_mm512_max_epi32(y, v->qmin), v->qmax);
}

/* MultiplyByQuantizedMultiplier(x, m, shift) with one multiplier in every lane (m >= 0):
 * the left shift, SaturatingRoundingDoublingHighMul on even and odd 64-bit lanes, the rounding
 * divide (s8_requant__avx512.h's arithmetic). */
PML_INLINE __m512i pml_qadd16_mbqm(__m512i x, __m512i mult, __m512i lsh, __m512i rsh, __m512i mask, __m512i thr) {
    x = _mm512_sllv_epi32(x, lsh);
    const __m512i round = _mm512_set1_epi64((int64_t)1 << 30);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, mult), round);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), mult), round);
    even = _mm512_srli_epi64(even, 31); /* quotient in the low dword */
    odd = _mm512_slli_epi64(odd, 1);    /* quotient in the high dword */
    return pml_qadd16_rdivpot(_mm512_mask_blend_epi32(0xAAAA, even, odd), rsh, mask, thr);
}

/* MultiplyByQuantizedMultiplier(d << 20, M, shift) on the 32-bit shortcut (|d| <= 255). */
PML_INLINE __m512i pml_qadd16_short(__m512i d, __m512i hi, __m512i lo, __m512i rsh, __m512i mask, __m512i thr) {
    const __m512i l = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(d, lo), _mm512_set1_epi32(1 << 10)), 11);
    return pml_qadd16_rdivpot(_mm512_add_epi32(_mm512_mullo_epi32(d, hi), l), rsh, mask, thr);
}

/* Fixed point: sixteen outputs (int32 lanes, clamped). */
PML_INLINE __m512i pml_qadd16_fixed(__m512i a, __m512i b, const pml_qadd16 *v) {
    const __m512i da = _mm512_sub_epi32(a, v->a_zp), db = _mm512_sub_epi32(b, v->b_zp);
    __m512i va, vb;
    if (v->short_inputs) {
        va = v->a_half ? _mm512_slli_epi32(da, 19) : pml_qadd16_short(da, v->a_hi, v->a_lo, v->a_rsh, v->a_mask, v->a_thr);
        vb = v->b_half ? _mm512_slli_epi32(db, 19) : pml_qadd16_short(db, v->b_hi, v->b_lo, v->b_rsh, v->b_mask, v->b_thr);
    } else {
        va = pml_qadd16_mbqm(_mm512_sllv_epi32(da, v->left), v->a_mult, v->a_lsh, v->a_rsh, v->a_mask, v->a_thr);
        vb = pml_qadd16_mbqm(_mm512_sllv_epi32(db, v->left), v->b_mult, v->b_lsh, v->b_rsh, v->b_mask, v->b_thr);
    }
    __m512i y = pml_qadd16_mbqm(_mm512_add_epi32(va, vb), v->y_mult, v->y_lsh, v->y_rsh, v->y_mask, v->y_thr);
    y = _mm512_add_epi32(y, v->y_zp);
    return _mm512_min_epi32(_mm512_max_epi32(y, v->qmin), v->qmax);
}

/* Float (ONNX): sixteen outputs as pml_qaddsub_float. */
PML_INLINE __m512i pml_qadd16_float(__m512i a, __m512i b, const pml_qadd16 *v) {
    const __m512 va = _mm512_mul_ps(v->a_scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(a, v->a_zp)));
    const __m512 vb = _mm512_mul_ps(v->b_scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(b, v->b_zp)));
    __m512 f = _mm512_div_ps(_mm512_add_ps(va, vb), v->y_scale);
    f = _mm512_min_ps(_mm512_max_ps(f, v->lo), v->hi);
    return _mm512_add_epi32(_mm512_cvtps_epi32(f), v->y_zp); /* MXCSR rounding: half to even */
}

/* The case of an Add for code compiled once per case: 0 float, 1-3 nudged with input a, b or
 * neither of ratio 1/2, 5 nudged with both (each half input must take its shift: the nudged
 * rounding divide needs a right shift >= 1, and a half input's is 0), 4 fixed point in
 * general. */
static inline int pml_qs8_add16_kind(const pml_qadd16 *av) {
    if (av->float_mode) return 0;
    if (!av->nudge) return 4;
    return av->a_half && av->b_half ? 5 : av->a_half ? 1 : av->b_half ? 2 : 3;
}

PML_INLINE __m512i pml_qadd16_run(__m512i a, __m512i b, const pml_qadd16 *v) {
    if (v->float_mode) return pml_qadd16_float(a, b, v);
    return v->nudge ? pml_qadd16_fixed_nudged(a, b, v, v->a_half, v->b_half) : pml_qadd16_fixed(a, b, v);
}

#endif /* PML_KERNELS_S8_QADD_AVX512_H */
