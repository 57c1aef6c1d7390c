/*
 * kernels/conv/deform_conv_ref.c — DeformConv's scalar reference (kernels/conv/deform.h): one
 * output element at a time, a sum over its taps and channels of mask-scaled bilinear samples,
 * as the definition reads. The test oracle of the sampling-im2col + GEMM path.
 */
#include "kernels/conv/deform.h"
#include "kernels/conv/deform_sample.h"

void pml_f32_deform_conv_ref(const pml_deform_geom *d, const float *x, const float *w, const float *offset,
                             const float *b, const float *mask, float *y) {
    const pml_conv_geom *g = &d->g;
    const int64_t taps = g->kh * g->kw;
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                const int64_t m = (n * g->oh + oh) * g->ow + ow;
                for (int64_t co = 0; co < g->cout; co++) {
                    const int64_t grp = co / g->coutg;
                    float acc = b ? b[co] : 0.0f;
                    for (int64_t t = 0; t < taps; t++)
                        for (int64_t ci = 0; ci < g->cg; ci++) {
                            const int64_t c = grp * g->cg + ci, q = (c / d->cpog) * taps + t;
                            const float *off = offset + (m * d->offset_group * taps + q) * 2;
                            const float py = (float)(oh * g->sh - g->pt + t / g->kw * g->dh) + off[0];
                            const float px = (float)(ow * g->sw - g->pl + t % g->kw * g->dw) + off[1];
                            pml_deform_tap tp;
                            if (!pml_deform_tap_at(py, px, g->h, g->w, 1.0f, &tp)) continue;
                            float v = 0.0f;
                            for (int k = 0; k < 4; k++) v += tp.wt[k] * x[(n * g->h * g->w + tp.at[k]) * g->cin + c];
                            if (mask) v *= mask[m * d->offset_group * taps + q];
                            acc += v * w[(co * taps + t) * g->cg + ci];
                        }
                    y[m * g->cout + co] = acc;
                }
            }
}
