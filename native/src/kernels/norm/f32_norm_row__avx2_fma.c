/*
 * kernels/norm/f32_norm_row__avx2_fma.c — AVX2/FMA LayerNormalization /
 * RMSNormalization row (scalar version: f32_norm_row__scalar.c; contract:
 * pml_f32_norm_row_fn in kernels/norm/norm.h). Two accumulators per pass;
 * the variance is the second pass over (x - mean)^2 (not E[x^2] - mean^2,
 * which cancels badly for rows with a large mean), then one fused pass writes
 * (x - mean) * (inv * scale) + bias.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/f32_act__avx2.h"
#include "kernels/norm/norm.h"

void pml_f32_norm_row__avx2_fma(size_t n, const float *x, const float *scale, const float *bias, float eps, int rms,
                                float *y, float *mean_out, float *inv_out) {
    const size_t nv = n & ~(size_t)7, rem = n - nv;
    const __m256i k = pml_mask8((int64_t)rem);
    float mean = 0.0f;
    if (!rms) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        size_t i = 0;
        for (; i + 16 <= nv; i += 16) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
        }
        if (i < nv) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
        if (rem) a1 = _mm256_add_ps(a1, _mm256_maskload_ps(x + nv, k));
        mean = pml_hsum8(_mm256_add_ps(a0, a1)) / (float)n;
    }
    const __m256 vm = _mm256_set1_ps(mean);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    size_t i = 0;
    for (; i + 16 <= nv; i += 16) {
        const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm);
        a0 = _mm256_fmadd_ps(d0, d0, a0);
        a1 = _mm256_fmadd_ps(d1, d1, a1);
    }
    if (i < nv) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
        a0 = _mm256_fmadd_ps(d, d, a0);
    }
    if (rem) { /* masked-off lanes load 0: 0 - mean must not count */
        const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm), _mm256_castsi256_ps(k));
        a1 = _mm256_fmadd_ps(d, d, a1);
    }
    const float inv = 1.0f / sqrtf(pml_hsum8(_mm256_add_ps(a0, a1)) / (float)n + eps);
    const __m256 vi = _mm256_set1_ps(inv);
    for (i = 0; i < nv; i += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
        const __m256 b = bias ? _mm256_loadu_ps(bias + i) : _mm256_setzero_ps();
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(d, _mm256_mul_ps(vi, _mm256_loadu_ps(scale + i)), b));
    }
    if (rem) {
        const __m256 d = _mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm);
        const __m256 b = bias ? _mm256_maskload_ps(bias + nv, k) : _mm256_setzero_ps();
        _mm256_maskstore_ps(y + nv, k, _mm256_fmadd_ps(d, _mm256_mul_ps(vi, _mm256_maskload_ps(scale + nv, k)), b));
    }
    if (mean_out) *mean_out = mean;
    if (inv_out) *inv_out = inv;
}
