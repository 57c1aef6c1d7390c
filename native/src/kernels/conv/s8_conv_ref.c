/*
 * kernels/conv/s8_conv_ref.c — naive references of the int8 convolutions, written as the
 * definitions read: one output at a time, a sum over its taps of (x - zx) * (w - zw) with
 * padded taps reading the input zero point, then pml_requantize. int32 sums wrap modulo 2^32
 * (uint32_t) like an int32 accumulator; the int16x8 one mirrors TFLite's int64 reference.
 */
#include "kernels/conv/s8_conv.h"

void pml_qs8_conv_ref(const pml_conv_geom *g, const int8_t *x, const int8_t *w, const pml_qs8_quant *q, void *y) {
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++)
                for (int64_t co = 0; co < g->cout; co++) {
                    const int64_t grp = co / g->coutg;
                    const int32_t zw = q->w_zero_point ? q->w_zero_point[q->w_zp_per_channel ? co : 0] : 0;
                    uint32_t acc = q->bias ? (uint32_t)q->bias[co] : 0u;
                    for (int64_t kh = 0; kh < g->kh; kh++)
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            const int64_t ih = oh * g->sh - g->pt + kh * g->dh, iw = ow * g->sw - g->pl + kw * g->dw;
                            const int inside = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w;
                            for (int64_t ci = 0; ci < g->cg; ci++) {
                                const int32_t xv =
                                    inside ? x[((n * g->h + ih) * g->w + iw) * g->cin + grp * g->cg + ci] : q->a_zero_point;
                                const int32_t wv = w[((co * g->kh + kh) * g->kw + kw) * g->cg + ci];
                                acc += (uint32_t)((xv - q->a_zero_point) * (wv - zw));
                            }
                        }
                    const int64_t yi = ((n * g->oh + oh) * g->ow + ow) * g->cout + co;
                    pml_qs8_store(q->out_dtype, y, yi, pml_requantize(&q->rq, (size_t)co, (int32_t)acc));
                }
}

void pml_qs16_conv_ref(const pml_conv_geom *g, const int16_t *x, const int8_t *w, const int64_t *bias,
                       const pml_requant *rq, int16_t *y) {
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++)
                for (int64_t co = 0; co < g->cout; co++) {
                    const int64_t grp = co / g->coutg;
                    int64_t acc = 0;
                    for (int64_t kh = 0; kh < g->kh; kh++)
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            const int64_t ih = oh * g->sh - g->pt + kh * g->dh, iw = ow * g->sw - g->pl + kw * g->dw;
                            if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue; /* zero point 0 */
                            for (int64_t ci = 0; ci < g->cg; ci++)
                                acc += (int64_t)x[((n * g->h + ih) * g->w + iw) * g->cin + grp * g->cg + ci] *
                                       (int64_t)w[((co * g->kh + kh) * g->kw + kw) * g->cg + ci];
                        }
                    if (bias) acc += bias[co];
                    y[((n * g->oh + oh) * g->ow + ow) * g->cout + co] = (int16_t)pml_requantize_s64(rq, (size_t)co, acc);
                }
}
