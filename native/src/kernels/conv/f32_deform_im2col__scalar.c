/*
 * kernels/conv/f32_deform_im2col__scalar.c — DeformConv's sampling im2col (kernels/conv/deform.h):
 * per output pixel, tap and offset group the four neighbours and their weights (mask folded in)
 * are computed once, then each channel's sample is a weighted sum over four contiguous NHWC
 * channel runs, so the inner loop is a plain stride-1 loop the compiler vectorises.
 */
#include <string.h>

#include "kernels/conv/deform.h"
#include "kernels/conv/deform_sample.h"

void pml_f32_deform_im2col(const pml_deform_geom *d, const float *x, const float *offset, const float *mask,
                           int64_t grp, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst, int64_t ld) {
    const pml_conv_geom *g = &d->g;
    const int64_t taps = g->kh * g->kw, kend = k0 + kcb, c0 = grp * g->cg;
    for (int64_t r = 0; r < mb; r++) {
        const int64_t m = m0 + r, ow = m % g->ow, oh = m / g->ow % g->oh, n = m / g->ow / g->oh;
        const float *off = offset + m * d->offset_group * taps * 2;
        const float *msk = mask ? mask + m * d->offset_group * taps : NULL;
        const float *ximg = x + n * g->h * g->w * g->cin;
        float *row = dst + r * ld - k0; /* row[k] for k in [k0, kend) */
        for (int64_t t = k0 / g->cg; t * g->cg < kend; t++) {
            const int64_t base = t * g->cg, i = t / g->kw, j = t % g->kw;
            const int64_t s = (k0 > base ? k0 : base) - base, e = (kend < base + g->cg ? kend : base + g->cg) - base;
            const float y0 = (float)(oh * g->sh - g->pt + i * g->dh), x0 = (float)(ow * g->sw - g->pl + j * g->dw);
            for (int64_t ci = s; ci < e;) { /* one run of channels sharing an offset group */
                const int64_t og = (c0 + ci) / d->cpog, og_end = (og + 1) * d->cpog - c0;
                const int64_t stop = og_end < e ? og_end : e;
                const int64_t q = og * taps + t;
                float *out = row + base;
                pml_deform_tap tp;
                if (!pml_deform_tap_at(y0 + off[2 * q], x0 + off[2 * q + 1], g->h, g->w, msk ? msk[q] : 1.0f, &tp)) {
                    memset(out + ci, 0, (size_t)(stop - ci) * sizeof(float));
                } else {
                    const float *p0 = ximg + tp.at[0] * g->cin + c0, *p1 = ximg + tp.at[1] * g->cin + c0;
                    const float *p2 = ximg + tp.at[2] * g->cin + c0, *p3 = ximg + tp.at[3] * g->cin + c0;
                    for (int64_t c = ci; c < stop; c++)
                        out[c] = tp.wt[0] * p0[c] + tp.wt[1] * p1[c] + tp.wt[2] * p2[c] + tp.wt[3] * p3[c];
                }
                ci = stop;
            }
        }
    }
}
