/*
 * kernels/attention/f32_attn_row__avx2_fma.c — AVX2/FMA attention row kernel
 * (scalar version: f32_attn_row__scalar.c; contract: kernels/matmul/gemm.h).
 *
 * attn_row: pass 1 caps, adds the mask and finds the max; pass 2 writes
 * exp(x - max) and sums it; pass 3 scales by 1/sum. Masked (-inf) logits
 * give exactly 0 (zeroed explicitly, also when the whole row is masked).
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/attention/attention.h"
#include "kernels/f32_act__avx2.h"

static inline float hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

void pml_f32_attn_row__avx2_fma(size_t n, size_t n_live, float *s, float softcap, const float *mask) {
    const size_t nv = n_live & ~(size_t)7, rem = n_live - nv;
    const __m256i k = pml_mask8((int64_t)rem);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    const __m256 cap = _mm256_set1_ps(softcap), rcap = _mm256_set1_ps(softcap > 0.0f ? 1.0f / softcap : 0.0f);
    __m256 vmax = ninf;
    for (size_t j = 0; j < n_live; j += 8) {
        const int tail = j == nv;
        __m256 v = tail ? _mm256_maskload_ps(s + j, k) : _mm256_loadu_ps(s + j);
        if (softcap > 0.0f) v = _mm256_mul_ps(cap, pml_tanh8(_mm256_mul_ps(v, rcap)));
        if (mask) v = _mm256_add_ps(v, tail ? _mm256_maskload_ps(mask + j, k) : _mm256_loadu_ps(mask + j));
        if (tail) {
            v = _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(k));
            _mm256_maskstore_ps(s + j, k, v);
        } else {
            _mm256_storeu_ps(s + j, v);
        }
        vmax = _mm256_max_ps(vmax, v);
    }
    const float top = hmax8(vmax);
    if (top == -INFINITY || n_live == 0) {
        for (size_t j = 0; j < n; j++) s[j] = 0.0f;
        return;
    }
    const __m256 vt = _mm256_set1_ps(top);
    __m256 sum = _mm256_setzero_ps();
    for (size_t j = 0; j < n_live; j += 8) {
        const int tail = j == nv;
        const __m256 v = tail ? _mm256_maskload_ps(s + j, k) : _mm256_loadu_ps(s + j);
        __m256 e = pml_exp8(_mm256_sub_ps(v, vt));
        e = _mm256_andnot_ps(_mm256_cmp_ps(v, ninf, _CMP_EQ_OQ), e);
        if (tail) {
            e = _mm256_and_ps(e, _mm256_castsi256_ps(k));
            _mm256_maskstore_ps(s + j, k, e);
        } else {
            _mm256_storeu_ps(s + j, e);
        }
        sum = _mm256_add_ps(sum, e);
    }
    const __m256 r = _mm256_set1_ps(1.0f / pml_hsum8(sum));
    for (size_t j = 0; j < nv; j += 8) _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), r));
    if (rem) _mm256_maskstore_ps(s + nv, k, _mm256_mul_ps(_mm256_maskload_ps(s + nv, k), r));
    for (size_t j = n_live; j < n; j++) s[j] = 0.0f;
}
