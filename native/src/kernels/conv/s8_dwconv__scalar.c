/*
 * kernels/conv/s8_dwconv__scalar.c — the scalar configuration's int8 depthwise conv (group ==
 * Cin == Cout, NHWC) over weights packed by pml_qs8_dwconv_pack: per output, bias' plus the
 * sum over every tap of x * w' with padded taps reading the input zero point (bias' already
 * holds -za * sum w'), then the requantization. pml_qs8_conv_ref is its oracle.
 */
#include "kernels/conv/s8_conv.h"

void pml_s8_dwconv__scalar(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                           int64_t row1, void *scratch) {
    (void)scratch;
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = g->cout, taps = g->kh * g->kw, tp = h->kp;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        for (int64_t ow = 0; ow < g->ow; ow++) {
            uint8_t *yp = y + (row * g->ow + ow) * C;
            for (int64_t c = 0; c < C; c++) {
                const int16_t *wc = w + (c / 16) * (tp / 2) * 32 + (c % 16 / 8) * 16 + (c % 8) * 2;
                uint32_t acc = (uint32_t)ep.bias[c];
                for (int64_t t = 0; t < taps; t++) {
                    const int64_t ih = oh * g->sh - g->pt + t / g->kw * g->dh;
                    const int64_t iw = ow * g->sw - g->pl + t % g->kw * g->dw;
                    const int32_t xv = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w
                                           ? x[((n * g->h + ih) * g->w + iw) * C + c]
                                           : h->a_zero_point;
                    acc += (uint32_t)(xv * wc[(t / 2) * 32 + t % 2]);
                }
                yp[c] = (uint8_t)pml_qs8_requant_scalar(&ep, (size_t)c, (int32_t)acc);
            }
        }
    }
}
