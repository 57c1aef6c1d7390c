/*
 * kernels/conv/conv_ref.c — scalar reference kernels of the conv family: direct
 * Conv and ConvTranspose, written as the definitions read (one output element
 * at a time, a sum over its taps). They are the test oracles of the SIMD
 * paths and the kernels of scalar_only sessions; speed is not their job.
 */
#include "kernels/conv/conv.h"

void pml_f32_conv_ref(const pml_conv_geom *g, const float *x, const float *w, const float *b,
                      const pml_activation *act, float *y) {
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++)
                for (int64_t co = 0; co < g->cout; co++) {
                    const int64_t grp = co / g->coutg;
                    float acc = b ? b[co] : 0.0f;
                    for (int64_t kh = 0; kh < g->kh; kh++) {
                        const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
                        if (ih < 0 || ih >= g->h) continue;
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
                            if (iw < 0 || iw >= g->w) continue;
                            const float *xp = x + ((n * g->h + ih) * g->w + iw) * g->cin + grp * g->cg;
                            const float *wp = w + ((co * g->kh + kh) * g->kw + kw) * g->cg;
                            for (int64_t ci = 0; ci < g->cg; ci++) acc += xp[ci] * wp[ci];
                        }
                    }
                    y[((n * g->oh + oh) * g->ow + ow) * g->cout + co] = pml_activation_scalar(act, acc);
                }
}

/* Output (oy, ox) receives input (ih, iw) through tap (kh, kw) when
 * oy = ih*sh - pt + kh*dh, i.e. ih = (oy + pt - kh*dh) / sh exactly. */
void pml_f32_conv_transpose_ref(const pml_conv_geom *g, const float *x, const float *w, const float *b,
                                const pml_activation *act, float *y) {
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++)
                for (int64_t co = 0; co < g->cout; co++) {
                    const int64_t grp = co / g->coutg, j = co % g->coutg;
                    float acc = b ? b[co] : 0.0f;
                    for (int64_t kh = 0; kh < g->kh; kh++) {
                        const int64_t th = oy + g->pt - kh * g->dh;
                        if (th < 0 || th % g->sh) continue;
                        const int64_t ih = th / g->sh;
                        if (ih >= g->h) continue;
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            const int64_t tw = ox + g->pl - kw * g->dw;
                            if (tw < 0 || tw % g->sw) continue;
                            const int64_t iw = tw / g->sw;
                            if (iw >= g->w) continue;
                            for (int64_t ci = 0; ci < g->cg; ci++) {
                                const int64_t c = grp * g->cg + ci;
                                acc += x[((n * g->h + ih) * g->w + iw) * g->cin + c] *
                                       w[((c * g->kh + kh) * g->kw + kw) * g->coutg + j];
                            }
                        }
                    }
                    y[((n * g->oh + oy) * g->ow + ox) * g->cout + co] = pml_activation_scalar(act, acc);
                }
}
