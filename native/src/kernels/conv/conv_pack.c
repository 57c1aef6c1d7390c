/*
 * kernels/conv/conv_pack.c — data movement of the conv family, ISA-independent:
 * im2col (one M block x K block of the patch matrix at a time, into per-thread
 * scratch, for the GEMM driver's pack_a), col2im (ConvTranspose's overlap-add)
 * and the depthwise weight packing.
 */
#include <string.h>

#include "kernels/conv/conv.h"

static void zero_floats(float *d, int64_t n) {
    if (n > 0) memset(d, 0, (size_t)n * sizeof(float));
}

static void copy_floats(float *d, const float *s, int64_t n) {
    if (n > 0) memcpy(d, s, (size_t)n * sizeof(float));
}

void pml_f32_im2col(const pml_conv_geom *g, const float *x, int64_t grp, int64_t m0, int64_t mb, int64_t k0,
                    int64_t kcb, float *dst, int64_t ld) {
    const int64_t kend = k0 + kcb;
    const int64_t row_k = g->kw * g->cg; /* patch columns per kernel row kh */
    /* with one group and no horizontal dilation, the taps of one kernel row
     * are adjacent pixels, i.e. one contiguous run of x */
    const int contiguous = g->dw == 1 && g->cg == g->cin;
    int64_t ow = m0 % g->ow, oh = m0 / g->ow % g->oh, n = m0 / g->ow / g->oh;
    for (int64_t r = 0; r < mb; r++) {
        float *d = dst + r * ld;
        const int64_t ih0 = oh * g->sh - g->pt, iw0 = ow * g->sw - g->pl;
        const float *ximg = x + n * g->h * g->w * g->cin + grp * g->cg;
        for (int64_t kh = k0 / row_k; kh * row_k < kend; kh++) {
            const int64_t base = kh * row_k;
            const int64_t s = (k0 > base ? k0 : base) - base;             /* local columns [s, e) */
            const int64_t e = (kend < base + row_k ? kend : base + row_k) - base;
            float *dd = d + base + s - k0;
            const int64_t ih = ih0 + kh * g->dh;
            if (ih < 0 || ih >= g->h) {
                zero_floats(dd, e - s);
                continue;
            }
            const float *xrow = ximg + ih * g->w * g->cin;
            if (contiguous) {
                int64_t kw0, kw1;
                pml_window_taps(iw0, 1, g->kw, g->w, &kw0, &kw1);
                int64_t q0 = kw0 * g->cg > s ? kw0 * g->cg : s;
                int64_t q1 = kw1 * g->cg < e ? kw1 * g->cg : e;
                if (q1 < q0) q1 = q0;
                zero_floats(dd, q0 - s);
                if (q1 > q0) copy_floats(dd + (q0 - s), xrow + (iw0 * g->cin + q0), q1 - q0);
                zero_floats(dd + (q1 - s), e - q1);
            } else {
                for (int64_t q = s; q < e;) {
                    const int64_t kw = q / g->cg, ci = q % g->cg;
                    const int64_t len = g->cg - ci < e - q ? g->cg - ci : e - q;
                    const int64_t iw = iw0 + kw * g->dw;
                    if (iw >= 0 && iw < g->w) copy_floats(dd + (q - s), xrow + iw * g->cin + ci, len);
                    else zero_floats(dd + (q - s), len);
                    q += len;
                }
            }
        }
        if (++ow == g->ow) {
            ow = 0;
            if (++oh == g->oh) oh = 0, n++;
        }
    }
}

void pml_f32_col2im_add(const pml_conv_geom *g, const float *cols, int64_t n, int64_t ih0, int64_t ih1,
                        int64_t grp, float *y) {
    const int64_t ld = g->kh * g->kw * g->coutg;
    for (int64_t ih = ih0; ih < ih1; ih++)
        for (int64_t iw = 0; iw < g->w; iw++) {
            const float *col = cols + ((ih - ih0) * g->w + iw) * ld;
            for (int64_t kh = 0; kh < g->kh; kh++) {
                const int64_t oy = ih * g->sh - g->pt + kh * g->dh;
                if (oy < 0 || oy >= g->oh) continue;
                for (int64_t kw = 0; kw < g->kw; kw++) {
                    const int64_t ox = iw * g->sw - g->pl + kw * g->dw;
                    if (ox < 0 || ox >= g->ow) continue;
                    float *yp = y + ((n * g->oh + oy) * g->ow + ox) * g->cout + grp * g->coutg;
                    const float *cp = col + (kh * g->kw + kw) * g->coutg;
                    for (int64_t j = 0; j < g->coutg; j++) yp[j] += cp[j];
                }
            }
        }
}

int64_t pml_dwconv_c_pad(int64_t c) { return (c + 7) / 8 * 8; }

void pml_dwconv_pack(const pml_conv_geom *g, const float *w, const float *b, float *out) {
    const int64_t taps = g->kh * g->kw, c_pad = pml_dwconv_c_pad(g->cout);
    for (int64_t t = 0; t < taps; t++)
        for (int64_t c = 0; c < c_pad; c++) out[t * c_pad + c] = c < g->cout ? w[c * taps + t] : 0.0f;
    for (int64_t c = 0; c < c_pad; c++) out[taps * c_pad + c] = b && c < g->cout ? b[c] : 0.0f;
}
