/*
 * kernels/norm/f32_softmax__avx2.c — AVX2/FMA softmax / log-softmax over a row and over
 * a strided axis (8 inner columns at a time), exp from kernels/f32_act__avx2.h.
 * Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/f32_common__avx2.h"
#include "kernels/f32_act__avx2.h" /* pml_exp8, pml_hsum8 */
#include "kernels/norm/norm.h"
#include "kernels/reduce/reduce.h" /* pml_f32_max__avx2 */

void pml_f32_softmax_row__avx2(size_t n, const float *x, float *y, int is_log) {
    if (n == 0) return;
    const __m256 vm = _mm256_set1_ps(pml_f32_max__avx2(n, x));
    size_t nv = n & ~(size_t)7, rem = n - nv;
    __m256i k = rem ? pml_tail_mask8(rem) : _mm256_setzero_si256();
    __m256 s = _mm256_setzero_ps();
    if (is_log) {
        for (size_t i = 0; i < nv; i += 8) s = _mm256_add_ps(s, pml_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
        if (rem) {
            __m256 e = pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm));
            s = _mm256_add_ps(s, _mm256_and_ps(e, _mm256_castsi256_ps(k)));
        }
        /* (x - m) - log(s): x - m is exact near the max, where the result is small */
        const __m256 ls = _mm256_set1_ps(logf(pml_hsum8(s)));
        for (size_t i = 0; i < nv; i += 8)
            _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), ls));
        if (rem) _mm256_maskstore_ps(y + nv, k, _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm), ls));
        return;
    }
    for (size_t i = 0; i < nv; i += 8) {
        __m256 e = pml_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(y + i, e);
        s = _mm256_add_ps(s, e);
    }
    if (rem) {
        __m256 e = _mm256_and_ps(pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm)), _mm256_castsi256_ps(k));
        _mm256_maskstore_ps(y + nv, k, e);
        s = _mm256_add_ps(s, e);
    }
    const __m256 r = _mm256_set1_ps(1.0f / pml_hsum8(s));
    for (size_t i = 0; i < nv; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), r));
    if (rem) _mm256_maskstore_ps(y + nv, k, _mm256_mul_ps(_mm256_maskload_ps(y + nv, k), r));
}

/* 8 (or a masked tail of) inner columns at a time, walking the softmax axis with stride inner */
void pml_f32_softmax_strided__avx2(size_t len, size_t inner, const float *x, float *y, int is_log) {
    for (size_t j = 0; j < inner; j += 8) {
        __m256i k = inner - j >= 8 ? _mm256_set1_epi32(-1) : pml_tail_mask8(inner - j);
        __m256 m = _mm256_set1_ps(-INFINITY), s = _mm256_setzero_ps();
        for (size_t a = 0; a < len; a++) m = pml_max_nan8(_mm256_maskload_ps(x + a * inner + j, k), m);
        if (is_log) {
            for (size_t a = 0; a < len; a++)
                s = _mm256_add_ps(s, pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + a * inner + j, k), m)));
            float ts[8];
            _mm256_storeu_ps(ts, s);
            for (int t = 0; t < 8; t++) ts[t] = logf(ts[t]);
            __m256 ls = _mm256_loadu_ps(ts);
            for (size_t a = 0; a < len; a++)
                _mm256_maskstore_ps(y + a * inner + j, k,
                                    _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + a * inner + j, k), m), ls));
        } else {
            for (size_t a = 0; a < len; a++) {
                __m256 e = pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + a * inner + j, k), m));
                _mm256_maskstore_ps(y + a * inner + j, k, e);
                s = _mm256_add_ps(s, e);
            }
            __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), s);
            for (size_t a = 0; a < len; a++)
                _mm256_maskstore_ps(y + a * inner + j, k, _mm256_mul_ps(_mm256_maskload_ps(y + a * inner + j, k), r));
        }
    }
}
