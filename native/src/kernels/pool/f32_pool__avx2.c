/*
 * kernels/f32_pool_avx2.c — AVX2 pooling kernels (NHWC), vectorised over
 * channels: window max/average over a range of output rows (global pools are
 * windows of H x W). Channel blocks of 32, then 8, then a masked tail (masked loads
 * never read past C). Max propagates NaN like the reference: max_ps keeps its
 * second operand when either is NaN, and a NaN input is OR-ed in explicitly.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/f32_act__avx2.h" /* pml_mask8 */
#include "kernels/pool/pool.h"

static inline __m256 max_nan(__m256 acc, __m256 v) {
    return _mm256_or_ps(_mm256_max_ps(v, acc), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* One output pixel: reduce the taps [kh0,kh1) x [kw0,kw1) of channels [0, C). */
static inline void pool_pixel(const pml_pool_geom *g, const float *x, float *yp, int64_t n, int64_t ih0,
                              int64_t iw0, int64_t kh0, int64_t kh1, int64_t kw0, int64_t kw1, int is_max,
                              float scale) {
    const int64_t C = g->c;
    const __m256 init = _mm256_set1_ps(is_max ? -INFINITY : 0.0f), vs = _mm256_set1_ps(scale);
#define XP(kh, kw) (x + (((n * g->h) + ih0 + (kh) * g->dh) * g->w + iw0 + (kw) * g->dw) * C)
    int64_t c = 0;
    for (; c + 32 <= C; c += 32) {
        __m256 a0 = init, a1 = init, a2 = init, a3 = init;
        for (int64_t kh = kh0; kh < kh1; kh++)
            for (int64_t kw = kw0; kw < kw1; kw++) {
                const float *xp = XP(kh, kw) + c;
                if (is_max) {
                    a0 = max_nan(a0, _mm256_loadu_ps(xp));
                    a1 = max_nan(a1, _mm256_loadu_ps(xp + 8));
                    a2 = max_nan(a2, _mm256_loadu_ps(xp + 16));
                    a3 = max_nan(a3, _mm256_loadu_ps(xp + 24));
                } else {
                    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(xp));
                    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(xp + 8));
                    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(xp + 16));
                    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(xp + 24));
                }
            }
        if (!is_max) a0 = _mm256_mul_ps(a0, vs), a1 = _mm256_mul_ps(a1, vs), a2 = _mm256_mul_ps(a2, vs),
                     a3 = _mm256_mul_ps(a3, vs);
        _mm256_storeu_ps(yp + c, a0);
        _mm256_storeu_ps(yp + c + 8, a1);
        _mm256_storeu_ps(yp + c + 16, a2);
        _mm256_storeu_ps(yp + c + 24, a3);
    }
    for (; c < C; c += 8) {
        const __m256i m = pml_mask8(C - c);
        __m256 a = init;
        for (int64_t kh = kh0; kh < kh1; kh++)
            for (int64_t kw = kw0; kw < kw1; kw++) {
                const __m256 v = _mm256_maskload_ps(XP(kh, kw) + c, m);
                a = is_max ? max_nan(a, v) : _mm256_add_ps(a, v);
            }
        if (!is_max) a = _mm256_mul_ps(a, vs);
        _mm256_maskstore_ps(yp + c, m, a);
    }
#undef XP
}

static void pool_rows(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1, int is_max) {
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;
        int64_t kh0, kh1;
        pml_window_taps(ih0, g->dh, g->kh, g->h, &kh0, &kh1);
        for (int64_t ow = 0; ow < g->ow; ow++) {
            const int64_t iw0 = ow * g->sw - g->pl;
            int64_t kw0, kw1;
            pml_window_taps(iw0, g->dw, g->kw, g->w, &kw0, &kw1);
            float scale = 1.0f;
            if (!is_max) scale = 1.0f / (float)pml_pool_avg_count(g, oh, ow, kh0, kh1, kw0, kw1);
            pool_pixel(g, x, y + (row * g->ow + ow) * g->c, n, ih0, iw0, kh0, kh1, kw0, kw1, is_max, scale);
        }
    }
}

void pml_f32_maxpool__avx2(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1) {
    pool_rows(g, x, y, row0, row1, 1);
}

void pml_f32_avgpool__avx2(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1) {
    pool_rows(g, x, y, row0, row1, 0);
}
