/*
 * kernels/pool/f32_pool__scalar.c — scalar reference kernels of the pool family (NHWC):
 * window max/average (global pools are windows of H x W), plus the average divisor rule
 * shared with the SIMD kernels. Oracles for the SIMD kernels, kernels of
 * scalar_only sessions, and the portable fallback.
 */
#include <math.h>

#include "kernels/pool/pool.h"

int64_t pml_pool_avg_count(const pml_pool_geom *g, int64_t oh, int64_t ow, int64_t kh0, int64_t kh1, int64_t kw0,
                           int64_t kw1) {
    if (!g->count_include_pad) return (kh1 - kh0) * (kw1 - kw0);
    /* taps inside the padded extent: shift coordinates by the leading pad */
    int64_t a0, a1, b0, b1;
    pml_window_taps(oh * g->sh, g->dh, g->kh, g->h + g->pt + g->pb, &a0, &a1);
    pml_window_taps(ow * g->sw, g->dw, g->kw, g->w + g->pl + g->pr, &b0, &b1);
    return (a1 - a0) * (b1 - b0);
}

/* Shared walk over output pixels: for each, the valid tap rectangle. */
static void pool_ref(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1, int is_max) {
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        for (int64_t ow = 0; ow < g->ow; ow++)
            for (int64_t c = 0; c < g->c; c++) {
                float acc = is_max ? -INFINITY : 0.0f;
                int64_t count = 0;
                for (int64_t kh = 0; kh < g->kh; kh++) {
                    const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
                    if (ih < 0 || ih >= g->h) continue;
                    for (int64_t kw = 0; kw < g->kw; kw++) {
                        const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
                        if (iw < 0 || iw >= g->w) continue;
                        const float v = x[((n * g->h + ih) * g->w + iw) * g->c + c];
                        acc = is_max ? (v > acc || isnan(v) ? v : acc) : acc + v;
                        count++;
                    }
                }
                if (!is_max) {
                    int64_t kh0, kh1, kw0, kw1;
                    pml_window_taps(oh * g->sh - g->pt, g->dh, g->kh, g->h, &kh0, &kh1);
                    pml_window_taps(ow * g->sw - g->pl, g->dw, g->kw, g->w, &kw0, &kw1);
                    if (g->count_include_pad) count = pml_pool_avg_count(g, oh, ow, kh0, kh1, kw0, kw1);
                    acc = acc / (float)count;
                }
                y[(row * g->ow + ow) * g->c + c] = acc;
            }
    }
}

void pml_f32_maxpool_ref(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1) {
    pool_ref(g, x, y, row0, row1, 1);
}

void pml_f32_avgpool_ref(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1) {
    pool_ref(g, x, y, row0, row1, 0);
}
