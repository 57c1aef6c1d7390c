/*
 * kernels/f32_act__avx2.h — fused activations on 8 floats for the AVX2/FMA
 * kernels of the conv, matmul, pool and elementwise families (included only
 * by *__avx2*.c files). pml_act8 matches pml_activation_scalar to a few ulp:
 * exp is the Cephes range-reduced polynomial (NaN propagates, results down to
 * subnormals), tanh is Cephes tanhf (odd polynomial below 0.625, where
 * 1 - 2/(e^2x + 1) would lose relative precision); these are the one vector
 * exp/tanh/sigmoid of the engine, shared with the elementwise family;
 * erf (for Gelu) is a polynomial near 0 and e^(polynomial) in the tail.
 *
 * Kernels resolve an activation once into pml_act_avx2: relu/clip become a
 * clamp [lo, hi] (two instructions; the operand order lets NaN through, as
 * numpy's maximum/clip do), the rest go through pml_act8_other's switch.
 */
#ifndef PML_GEMM_ACT_AVX2_H
#define PML_GEMM_ACT_AVX2_H

#include <immintrin.h>
#include <math.h>

#include "kernels/activation.h"

/* exp without the overflow-to-inf fix-up: x above ~88.72 gives ~FLT_MAX.
 * Used where the argument is known to be <= 0 or where saturation is harmless. */
static inline __m256 pml_exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.72283935f), lo = _mm256_set1_ps(-103.972076f);
    const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ); /* below lo the true result rounds to 0 */
    x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));            /* operand order keeps NaN */
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* n in [-150, 128]: 2^n = 2^(n/2) * 2^(n - n/2), both factors normal floats */
    __m256i n = _mm256_cvttps_epi32(fx);
    __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
    __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_andnot_ps(under, _mm256_mul_ps(_mm256_mul_ps(p, s1), s2));
}

static inline __m256 pml_exp8_inf(__m256 x) {
    __m256 y = pml_exp8(x);
    __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283935f), _CMP_GT_OQ);
    return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
}

/* 1/(1+e^-x): e^-x saturates at ~FLT_MAX for very negative x, giving ~0 */
static inline __m256 pml_sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = pml_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* Cephes tanhf: odd polynomial below 0.625, 1 - 2/(e^2|x| + 1) above */
static inline __m256 pml_tanh8(__m256 x) {
    const __m256 sign_bit = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 sign = _mm256_and_ps(x, sign_bit);
    __m256 ax = _mm256_andnot_ps(sign_bit, x);
    __m256 e = pml_exp8(_mm256_add_ps(ax, ax));
    __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    __m256 s = _mm256_mul_ps(ax, ax);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, s), ax, ax);
    __m256 r = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_or_ps(r, sign);
}

/* sum of the 8 lanes */
static inline float pml_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* erf(|z|) and erfc(|z|) for |z| = az >= 0, both to a few 1e-7 relative:
 *   |z| < 1:      erf = z * P(z^2)                       (degree-5 fit of erf(z)/z)
 *   1 <= |z| < 4: erfc = e^(-z^2 + Q(t)), t = (|z|-2.5)/1.5 (degree-8 fit of log erfc(z) + z^2)
 *   |z| >= 4:     erfc = 0 (erfc(4) = 1.5e-8 is below float resolution next to 1)
 * z^2 is split exactly into hi + lo with an FMA so the exponent keeps its
 * precision. Returning erfc separately lets Gelu use it for x < 0, where
 * 1 + erf(z) = erfc(|z|) would otherwise cancel. NaN lanes are not handled here. */
static inline void pml_erf_parts8(__m256 az, __m256 *erf_abs, __m256 *erfc_abs) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 s = _mm256_mul_ps(az, az);
    __m256 p = _mm256_set1_ps(-5.696713342e-04f);
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(4.934519064e-03f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-2.672698908e-02f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.128078923e-01f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-3.761241436e-01f));
    p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.128379107e+00f));
    const __m256 e1 = _mm256_mul_ps(az, p);

    const __m256 zc = _mm256_min_ps(_mm256_set1_ps(4.0f), _mm256_max_ps(one, az));
    const __m256 t = _mm256_mul_ps(_mm256_sub_ps(zc, _mm256_set1_ps(2.5f)), _mm256_set1_ps(1.0f / 1.5f));
    __m256 q = _mm256_set1_ps(4.1366634832229465e-05f);
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-2.2740341955795884e-04f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(8.815708570182323e-04f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-3.190472722053528e-03f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(1.0961123742163181e-02f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-3.66474948823452e-02f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(1.2623931467533112e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-5.290210247039795e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-1.556815266609192f));
    const __m256 hi = _mm256_mul_ps(zc, zc), lo = _mm256_fmsub_ps(zc, zc, hi);
    __m256 e2 = pml_exp8(_mm256_sub_ps(_mm256_sub_ps(q, lo), hi));
    e2 = _mm256_andnot_ps(_mm256_cmp_ps(az, _mm256_set1_ps(4.0f), _CMP_GE_OQ), e2);

    const __m256 small = _mm256_cmp_ps(az, one, _CMP_LT_OQ);
    *erf_abs = _mm256_blendv_ps(_mm256_sub_ps(one, e2), e1, small);
    *erfc_abs = _mm256_blendv_ps(e2, _mm256_sub_ps(one, e1), small);
}

static inline __m256 pml_erf8(__m256 z) {
    const __m256 sign = _mm256_and_ps(z, _mm256_set1_ps(-0.0f));
    __m256 e, c;
    pml_erf_parts8(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), z), &e, &c);
    return _mm256_blendv_ps(_mm256_or_ps(e, sign), z, _mm256_cmp_ps(z, z, _CMP_UNORD_Q)); /* NaN stays NaN */
}

/* x/2 * (1 + erf(x/sqrt2)), with 1 + erf = erfc(|z|) for x < 0 (NaN propagates through the product) */
static inline __m256 pml_gelu_erf8(__m256 x) {
    const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
    __m256 e, c;
    pml_erf_parts8(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), z), &e, &c);
    const __m256 onep = _mm256_blendv_ps(c, _mm256_add_ps(_mm256_set1_ps(1.0f), e),
                                         _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
    return _mm256_mul_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.5f)), onep);
}

/* x/2 * (1 + tanh(u)) = x / (1 + e^(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3) */
static inline __m256 pml_gelu_tanh8(__m256 x) {
    const __m256 x2 = _mm256_mul_ps(x, x);
    const __m256 m2u = _mm256_mul_ps(x, _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.0f * 0.7978845608028654f * 0.044715f),
                                                       _mm256_set1_ps(-2.0f * 0.7978845608028654f)));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), pml_exp8(m2u)));
}

typedef struct pml_act_avx2 {
    int kind;           /* PML_ACT_NONE for none, relu and clip */
    int clamp;          /* relu/clip: apply [lo, hi] */
    float alpha, beta;
    __m256 lo, hi;      /* clamp bounds for none/relu/clip */
} pml_act_avx2;

static inline void pml_act_avx2_init(pml_act_avx2 *s, const pml_activation *act) {
    float lo = -INFINITY, hi = INFINITY;
    s->kind = act ? act->kind : PML_ACT_NONE;
    s->alpha = act ? act->alpha : 0.0f;
    s->beta = act ? act->beta : 0.0f;
    if (s->kind == PML_ACT_RELU) lo = 0.0f;
    if (s->kind == PML_ACT_CLIP) lo = s->alpha, hi = s->beta;
    s->clamp = s->kind == PML_ACT_RELU || s->kind == PML_ACT_CLIP;
    if (s->clamp) s->kind = PML_ACT_NONE;
    s->lo = _mm256_set1_ps(lo);
    s->hi = _mm256_set1_ps(hi);
}

/* The activations that are not a clamp. */
static inline __m256 pml_act8_other(const pml_act_avx2 *s, __m256 x) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    switch (s->kind) {
    case PML_ACT_SIGMOID:
        return pml_sigmoid8(x);
    case PML_ACT_HARDSWISH: {
        __m256 t = _mm256_add_ps(x, _mm256_set1_ps(3.0f));
        t = _mm256_min_ps(_mm256_max_ps(t, zero), _mm256_set1_ps(6.0f));
        return _mm256_mul_ps(_mm256_mul_ps(x, t), _mm256_set1_ps(1.0f / 6.0f));
    }
    case PML_ACT_LEAKY_RELU:
        return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(s->alpha)), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
    case PML_ACT_TANH: return pml_tanh8(x);
    case PML_ACT_GELU_ERF: return pml_gelu_erf8(x);
    case PML_ACT_GELU_TANH: return pml_gelu_tanh8(x);
    case PML_ACT_HARDSIGMOID: {
        const __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(s->alpha), _mm256_set1_ps(s->beta));
        return _mm256_min_ps(_mm256_max_ps(t, zero), one);
    }
    default: return x;
    }
}

static inline __m256 pml_act8(const pml_act_avx2 *s, __m256 x) {
    if (s->clamp) return _mm256_min_ps(s->hi, _mm256_max_ps(s->lo, x));
    if (s->kind == PML_ACT_NONE) return x;
    return pml_act8_other(s, x);
}

/* Lane mask for the first n (0..8) floats of a vector. */
static inline __m256i pml_mask8(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Stores the first n (0..8, more = 8) floats of v. Plain 16/8/4-byte stores: AMD cores
 * run vmaskmovps stores as slow microcode. */
static inline __attribute__((always_inline)) void pml_store_partial8(float *p, __m256 v, size_t n) {
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 q = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, q);
        q = _mm256_extractf128_ps(v, 1);
        p += 4, n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)p, q);
        q = _mm_movehl_ps(q, q);
        p += 2, n -= 2;
    }
    if (n) _mm_store_ss(p, q);
}

#endif /* PML_GEMM_ACT_AVX2_H */
