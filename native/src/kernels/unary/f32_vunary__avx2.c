/*
 * kernels/unary/f32_vunary__avx2.c — AVX2/FMA kernels of the hot float32 unary ops
 * (erf and Gelu come from kernels/f32_act__avx2.h); the others (Elu, Selu,
 * Softplus, Log, Sin, Cos) have none and the AVX2 table points at the scalar ones.
 *
 * exp uses the Cephes polynomial (relative error ~1e-7 on the reduced range)
 * with 2^n applied as two factors so results stay exact down to the float
 * subnormals; sigmoid and tanh are built on it. NaN propagates as in the reference.
 * Loop tails use masked loads/stores. Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/f32_common__avx2.h"
#include "kernels/f32_act__avx2.h" /* erf/Gelu, shared with the fused activations of GEMM and conv */
#include "kernels/unary/unary.h"

/* FN(v) computes one vector; P is the params pointer, visible to FN. */
#define PML_UNARY_AVX2(name, FN)                                                                    \
    void pml_f32_##name##__avx2(size_t n, const float *x, float *y, const pml_unary_params *P) {    \
        size_t i = 0;                                                                               \
        (void)P;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                \
            __m256 v = _mm256_loadu_ps(x + i);                                                      \
            _mm256_storeu_ps(y + i, FN);                                                            \
        }                                                                                           \
        if (i < n) {                                                                                \
            __m256i m = pml_tail_mask8(n - i);                                                      \
            __m256 v = _mm256_maskload_ps(x + i, m);                                                \
            _mm256_maskstore_ps(y + i, m, FN);                                                      \
        }                                                                                           \
    }

/* -1, 1, or x itself for 0, -0 and NaN */
static inline __m256 sign_v(__m256 x) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 r = _mm256_blendv_ps(x, _mm256_set1_ps(1.0f), _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
    return _mm256_blendv_ps(r, _mm256_set1_ps(-1.0f), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
}

static inline __m256 clamp01_v(__m256 t) {
    return _mm256_min_ps(_mm256_set1_ps(1.0f), _mm256_max_ps(_mm256_setzero_ps(), t));
}

PML_UNARY_AVX2(relu, _mm256_max_ps(_mm256_setzero_ps(), v))
PML_UNARY_AVX2(leaky_relu, _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(P->alpha)),
                                             _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ)))
PML_UNARY_AVX2(clip, _mm256_min_ps(_mm256_set1_ps(P->beta), _mm256_max_ps(_mm256_set1_ps(P->alpha), v)))
PML_UNARY_AVX2(sigmoid, pml_sigmoid8(v))
PML_UNARY_AVX2(tanh, pml_tanh8(v))
PML_UNARY_AVX2(hardsigmoid, clamp01_v(_mm256_fmadd_ps(v, _mm256_set1_ps(P->alpha), _mm256_set1_ps(P->beta))))
PML_UNARY_AVX2(hardswish,
               _mm256_mul_ps(v, clamp01_v(_mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f)))))
PML_UNARY_AVX2(sqrt, _mm256_sqrt_ps(v))
PML_UNARY_AVX2(exp, pml_exp8_inf(v))
PML_UNARY_AVX2(abs, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v))
PML_UNARY_AVX2(neg, _mm256_xor_ps(_mm256_set1_ps(-0.0f), v))
PML_UNARY_AVX2(reciprocal, _mm256_div_ps(_mm256_set1_ps(1.0f), v))
PML_UNARY_AVX2(floor, _mm256_floor_ps(v))
PML_UNARY_AVX2(ceil, _mm256_ceil_ps(v))
PML_UNARY_AVX2(round, _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)) /* ties to even */
PML_UNARY_AVX2(sign, sign_v(v))
PML_UNARY_AVX2(erf, pml_erf8(v))
PML_UNARY_AVX2(gelu_erf, pml_gelu_erf8(v))
PML_UNARY_AVX2(gelu_tanh, pml_gelu_tanh8(v))
