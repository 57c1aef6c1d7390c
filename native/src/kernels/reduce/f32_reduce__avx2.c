/*
 * kernels/reduce/f32_reduce__avx2.c — AVX2 float32 reductions: sum in float lanes over
 * blocks of 1024 with the block totals in double, NaN-propagating max, accumulation
 * into acc. Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/f32_common__avx2.h"
#include "kernels/f32_act__avx2.h" /* pml_hsum8 */
#include "kernels/reduce/reduce.h"

static inline float hmax(__m256 v) {
    float t[8];
    _mm256_storeu_ps(t, v);
    float m = t[0];
    for (int i = 1; i < 8; i++) m = t[i] > m ? t[i] : (t[i] != t[i] ? t[i] : m);
    return m;
}

/* float lanes over blocks of 1024 (error stays ~1e-7 relative within a
 * block), block totals added in double */
double pml_f32_sum__avx2(size_t n, const float *x) {
    double total = 0.0;
    for (size_t b = 0; b < n; b += 1024) {
        size_t e = n - b < 1024 ? n : b + 1024, i = b;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (; i + 16 <= e; i += 16) {
            s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
            s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        }
        for (; i + 8 <= e; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        if (i < e) s1 = _mm256_add_ps(s1, _mm256_maskload_ps(x + i, pml_tail_mask8(e - i)));
        total += pml_hsum8(_mm256_add_ps(s0, s1));
    }
    return total;
}

float pml_f32_max__avx2(size_t n, const float *x) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) m = pml_max_nan8(_mm256_loadu_ps(x + i), m);
    if (i < n) {
        __m256i k = pml_tail_mask8(n - i);
        __m256 v = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(x + i, k), _mm256_castsi256_ps(k));
        m = pml_max_nan8(v, m);
    }
    return hmax(m);
}

void pml_f32_acc_add__avx2(size_t n, const float *x, double *acc) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
        _mm256_storeu_pd(acc + i + 4,
                         _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    }
    for (; i < n; i++) acc[i] += x[i];
}

void pml_f32_acc_max__avx2(size_t n, const float *x, float *acc) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(acc + i, pml_max_nan8(_mm256_loadu_ps(acc + i), _mm256_loadu_ps(x + i)));
    if (i < n) {
        __m256i m = pml_tail_mask8(n - i);
        _mm256_maskstore_ps(acc + i, m, pml_max_nan8(_mm256_maskload_ps(acc + i, m), _mm256_maskload_ps(x + i, m)));
    }
}
