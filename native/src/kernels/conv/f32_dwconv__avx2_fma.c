/*
 * kernels/conv/f32_dwconv__avx2_fma.c — depthwise conv (group == Cin == Cout), NHWC,
 * AVX2/FMA, vectorised over channels.
 *
 * Weights are packed by pml_dwconv_pack as [KH*KW][c_pad] followed by c_pad
 * bias floats (c_pad = Cout rounded up to 8, zero padded), so every weight
 * vector load is aligned and a tail load of 8 never leaves the buffer.
 *
 * Each output row is split into border pixels, whose window is clipped by the
 * padding (handled one pixel at a time over its valid tap rectangle), and
 * interior pixels, whose every horizontal tap is inside x. Interior pixels go
 * 4 at a time x 16 channels: 8 accumulators, and each weight vector loaded
 * once per tap feeds 4 FMAs (a pixel-at-a-time loop needs a weight load per
 * FMA and is load-bound); 3x3 stride-1 convolutions instead keep the nine
 * weight vectors in registers and slide over the row (dw3x3s1_interior).
 * Other pixels go one at a time, 32 channels per
 * step so 4 FMA chains hide the FMA latency. Channel tails use masked x
 * loads and stores (only there: masked stores are slow on AMD), so nothing
 * past C is read or written.
 */
#include <immintrin.h>

#include "kernels/conv/conv.h"
#include "kernels/f32_act__avx2.h"

typedef struct dw_row {
    const pml_conv_geom *g;
    const float *x;
    int64_t xoff0;       /* element offset of (n, ih0, iw = 0, c = 0); negative when ih0 is in the padding */
    const float *w, *bias;
    int64_t ih0, kh0, kh1, c_pad;
    const pml_act_avx2 *act;
} dw_row;

/* x at tap row kh, input column iw, channel c. Offsets are summed as
 * integers first, so only pointers of valid taps are ever formed. */
static inline const float *dw_x(const dw_row *r, int64_t kh, int64_t iw, int64_t c) {
    return r->x + (r->xoff0 + ((kh * r->g->dh) * r->g->w + iw) * r->g->cout + c);
}

/* One pixel over its valid taps [kh0,kh1) x [kw0,kw1), all channels: 32
 * channels at a time (4 independent FMA chains), then 8, then a masked tail. */
static void dw_pixel(const dw_row *r, int64_t iw0, int64_t kw0, int64_t kw1, float *yp) {
    const pml_conv_geom *g = r->g;
    const int64_t C = g->cout;
    int64_t c = 0;
    for (; c + 32 <= C; c += 32) {
        __m256 a0 = _mm256_load_ps(r->bias + c), a1 = _mm256_load_ps(r->bias + c + 8);
        __m256 a2 = _mm256_load_ps(r->bias + c + 16), a3 = _mm256_load_ps(r->bias + c + 24);
        for (int64_t kh = r->kh0; kh < r->kh1; kh++)
            for (int64_t kw = kw0; kw < kw1; kw++) {
                const float *xp = dw_x(r, kh, iw0 + kw * g->dw, c);
                const float *wp = r->w + (kh * g->kw + kw) * r->c_pad + c;
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xp), _mm256_load_ps(wp), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 8), _mm256_load_ps(wp + 8), a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 16), _mm256_load_ps(wp + 16), a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 24), _mm256_load_ps(wp + 24), a3);
            }
        _mm256_storeu_ps(yp + c, pml_act8(r->act, a0));
        _mm256_storeu_ps(yp + c + 8, pml_act8(r->act, a1));
        _mm256_storeu_ps(yp + c + 16, pml_act8(r->act, a2));
        _mm256_storeu_ps(yp + c + 24, pml_act8(r->act, a3));
    }
    for (; c < C; c += 8) {
        const int full = C - c >= 8;
        const __m256i m = pml_mask8(C - c);
        __m256 a = _mm256_load_ps(r->bias + c);
        for (int64_t kh = r->kh0; kh < r->kh1; kh++)
            for (int64_t kw = kw0; kw < kw1; kw++) {
                const float *xp = dw_x(r, kh, iw0 + kw * g->dw, c);
                const __m256 xv = full ? _mm256_loadu_ps(xp) : _mm256_maskload_ps(xp, m);
                a = _mm256_fmadd_ps(xv, _mm256_load_ps(r->w + (kh * g->kw + kw) * r->c_pad + c), a);
            }
        if (full) _mm256_storeu_ps(yp + c, pml_act8(r->act, a));
        else pml_store_partial8(yp + c, pml_act8(r->act, a), (size_t)(C - c));
    }
}

/* Four interior pixels ow..ow+3 of a row (all KW taps inside x): 16
 * channels x 4 pixels = 8 accumulators; each weight load feeds 4 FMAs. */
static void dw_interior4(const dw_row *r, int64_t ow, float *yrow) {
    const pml_conv_geom *g = r->g;
    const int64_t C = g->cout, xs = g->sw * C; /* x distance between neighbouring output pixels */
    const int64_t iw0 = ow * g->sw - g->pl;
    float *yp = yrow + ow * C;
    int64_t c = 0;
    for (; c + 16 <= C; c += 16) {
        const __m256 b0 = _mm256_load_ps(r->bias + c), b1 = _mm256_load_ps(r->bias + c + 8);
        __m256 a0 = b0, a1 = b1, a2 = b0, a3 = b1, a4 = b0, a5 = b1, a6 = b0, a7 = b1;
        for (int64_t kh = r->kh0; kh < r->kh1; kh++)
            for (int64_t kw = 0; kw < g->kw; kw++) {
                const float *wp = r->w + (kh * g->kw + kw) * r->c_pad + c;
                const __m256 w0 = _mm256_load_ps(wp), w1 = _mm256_load_ps(wp + 8);
                const float *xp = dw_x(r, kh, iw0 + kw * g->dw, c);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xp), w0, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 8), w1, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + xs), w0, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + xs + 8), w1, a3);
                a4 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 2 * xs), w0, a4);
                a5 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 2 * xs + 8), w1, a5);
                a6 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 3 * xs), w0, a6);
                a7 = _mm256_fmadd_ps(_mm256_loadu_ps(xp + 3 * xs + 8), w1, a7);
            }
        _mm256_storeu_ps(yp + c, pml_act8(r->act, a0));
        _mm256_storeu_ps(yp + c + 8, pml_act8(r->act, a1));
        _mm256_storeu_ps(yp + C + c, pml_act8(r->act, a2));
        _mm256_storeu_ps(yp + C + c + 8, pml_act8(r->act, a3));
        _mm256_storeu_ps(yp + 2 * C + c, pml_act8(r->act, a4));
        _mm256_storeu_ps(yp + 2 * C + c + 8, pml_act8(r->act, a5));
        _mm256_storeu_ps(yp + 3 * C + c, pml_act8(r->act, a6));
        _mm256_storeu_ps(yp + 3 * C + c + 8, pml_act8(r->act, a7));
    }
    for (; c < C; c += 8) {
        const int full = C - c >= 8;
        const __m256i m = pml_mask8(C - c);
        const __m256 b = _mm256_load_ps(r->bias + c);
        __m256 a[4] = {b, b, b, b};
        for (int64_t kh = r->kh0; kh < r->kh1; kh++)
            for (int64_t kw = 0; kw < g->kw; kw++) {
                const __m256 wv = _mm256_load_ps(r->w + (kh * g->kw + kw) * r->c_pad + c);
                const float *xp = dw_x(r, kh, iw0 + kw * g->dw, c);
                for (int p = 0; p < 4; p++)
                    a[p] = _mm256_fmadd_ps(full ? _mm256_loadu_ps(xp + p * xs) : _mm256_maskload_ps(xp + p * xs, m),
                                           wv, a[p]);
            }
        for (int p = 0; p < 4; p++) {
            if (full) _mm256_storeu_ps(yp + p * C + c, pml_act8(r->act, a[p]));
            else pml_store_partial8(yp + p * C + c, pml_act8(r->act, a[p]), (size_t)(C - c));
        }
    }
}

/* 3x3, stride 1, dilation 1, all three kernel rows inside x: interior pixels
 * [ow_lo, ow_hi) of the row, 8 channels at a time with the 9 weight vectors
 * held in registers. Four neighbouring outputs read six input columns per
 * kernel row, so each x load feeds 2 FMAs on average (the 4x16 path above
 * needs 1.25 loads per FMA); that makes it FMA-bound instead of load-bound.
 * The channel tail (C not a multiple of 8) uses masked loads and partial
 * stores, so nothing past a pixel's C channels is touched. */
static void dw3x3s1_interior(const dw_row *r, int64_t ow_lo, int64_t ow_hi, float *yrow) {
    const pml_conv_geom *g = r->g;
    const int64_t C = g->cout, W = g->w;
    for (int64_t c = 0; c < C; c += 8) {
        const int full = C - c >= 8;
        const __m256i m = pml_mask8(C - c);
        __m256 w[9];
        for (int t = 0; t < 9; t++) w[t] = _mm256_load_ps(r->w + t * r->c_pad + c);
        const __m256 b = _mm256_load_ps(r->bias + c);
        /* x rows kh = 0, 1, 2 at input column 0, channel c */
        const float *x0 = dw_x(r, 0, 0, c), *x1 = x0 + W * C, *x2 = x1 + W * C;
#define DW_LD(p) (full ? _mm256_loadu_ps(p) : _mm256_maskload_ps((p), m))
#define DW_ST(p, v) (full ? _mm256_storeu_ps((p), (v)) : pml_store_partial8((p), (v), (size_t)(C - c)))
        int64_t ow = ow_lo;
        for (; ow + 4 <= ow_hi; ow += 4) {
            const int64_t iw = ow - g->pl;
            __m256 a0 = b, a1 = b, a2 = b, a3 = b;
            const float *rows[3] = {x0 + iw * C, x1 + iw * C, x2 + iw * C};
            for (int kh = 0; kh < 3; kh++) {
                const float *xp = rows[kh];
                const __m256 wa = w[3 * kh], wb = w[3 * kh + 1], wc = w[3 * kh + 2];
                __m256 v = DW_LD(xp);          /* column iw:   output ow (kw 0) */
                a0 = _mm256_fmadd_ps(v, wa, a0);
                v = DW_LD(xp + C);             /* column iw+1: ow (kw 1), ow+1 (kw 0) */
                a0 = _mm256_fmadd_ps(v, wb, a0);
                a1 = _mm256_fmadd_ps(v, wa, a1);
                v = DW_LD(xp + 2 * C);         /* iw+2: ow, ow+1, ow+2 */
                a0 = _mm256_fmadd_ps(v, wc, a0);
                a1 = _mm256_fmadd_ps(v, wb, a1);
                a2 = _mm256_fmadd_ps(v, wa, a2);
                v = DW_LD(xp + 3 * C);         /* iw+3: ow+1, ow+2, ow+3 */
                a1 = _mm256_fmadd_ps(v, wc, a1);
                a2 = _mm256_fmadd_ps(v, wb, a2);
                a3 = _mm256_fmadd_ps(v, wa, a3);
                v = DW_LD(xp + 4 * C);         /* iw+4: ow+2, ow+3 */
                a2 = _mm256_fmadd_ps(v, wc, a2);
                a3 = _mm256_fmadd_ps(v, wb, a3);
                v = DW_LD(xp + 5 * C);         /* iw+5: ow+3 */
                a3 = _mm256_fmadd_ps(v, wc, a3);
            }
            float *yp = yrow + ow * C + c;
            DW_ST(yp, pml_act8(r->act, a0));
            DW_ST(yp + C, pml_act8(r->act, a1));
            DW_ST(yp + 2 * C, pml_act8(r->act, a2));
            DW_ST(yp + 3 * C, pml_act8(r->act, a3));
        }
        for (; ow < ow_hi; ow++) {
            const int64_t iw = ow - g->pl;
            __m256 a = b;
            const float *rows[3] = {x0 + iw * C, x1 + iw * C, x2 + iw * C};
            for (int kh = 0; kh < 3; kh++)
                for (int kw = 0; kw < 3; kw++) a = _mm256_fmadd_ps(DW_LD(rows[kh] + kw * C), w[3 * kh + kw], a);
            DW_ST(yrow + ow * C + c, pml_act8(r->act, a));
        }
#undef DW_LD
#undef DW_ST
    }
}

/* Output pixel ow of a row over its valid taps (any position). */
static void dw_border_pixel(const dw_row *r, int64_t ow, float *yrow) {
    const pml_conv_geom *g = r->g;
    const int64_t iw0 = ow * g->sw - g->pl;
    int64_t kw0, kw1;
    pml_window_taps(iw0, g->dw, g->kw, g->w, &kw0, &kw1);
    dw_pixel(r, iw0, kw0, kw1, yrow + ow * g->cout);
}

void pml_f32_dwconv__avx2_fma(const pml_conv_geom *g, const float *x, const float *w, float *y, int64_t row0,
                              int64_t row1, const pml_activation *act) {
    pml_act_avx2 s;
    pml_act_avx2_init(&s, act);
    dw_row r = {.g = g, .x = x, .w = w, .c_pad = pml_dwconv_c_pad(g->cout), .act = &s};
    r.bias = w + g->kh * g->kw * r.c_pad;
    /* interior columns: ow*sw - pl >= 0 and ow*sw - pl + (KW-1)*dw <= W-1 */
    int64_t ow_lo = (g->pl + g->sw - 1) / g->sw;
    const int64_t last = g->w - 1 - (g->kw - 1) * g->dw + g->pl;
    int64_t ow_hi = last < 0 ? 0 : last / g->sw + 1;
    if (ow_hi > g->ow) ow_hi = g->ow;
    if (ow_lo > ow_hi) ow_lo = ow_hi;
    const int s3x3 = g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1;
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        r.ih0 = oh * g->sh - g->pt;
        pml_window_taps(r.ih0, g->dh, g->kh, g->h, &r.kh0, &r.kh1);
        r.xoff0 = (n * g->h + r.ih0) * g->w * g->cout;
        float *yrow = y + row * g->ow * g->cout;
        if (s3x3 && r.kh0 == 0 && r.kh1 == 3 && ow_hi > ow_lo) {
            for (int64_t ow = 0; ow < ow_lo; ow++) dw_border_pixel(&r, ow, yrow);
            dw3x3s1_interior(&r, ow_lo, ow_hi, yrow);
            for (int64_t ow = ow_hi; ow < g->ow; ow++) dw_border_pixel(&r, ow, yrow);
            continue;
        }
        for (int64_t ow = 0; ow < g->ow; ow++) {
            if (ow >= ow_lo && ow + 4 <= ow_hi) {
                dw_interior4(&r, ow, yrow);
                ow += 3;
                continue;
            }
            dw_border_pixel(&r, ow, yrow);
        }
    }
}
