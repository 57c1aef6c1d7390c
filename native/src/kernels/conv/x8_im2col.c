/*
 * kernels/conv/x8_im2col.c — im2col of one-byte data (ConvInteger's int8 and uint8 x),
 * ISA-independent: whole patch rows (K = KH*KW*cg bytes each) of one group, taps in the
 * padding set to a given byte (ConvInteger pads x with its zero point, so that a padded tap
 * contributes (zp - zp) * w = 0 like the float Conv's zero padding).
 */
#include <string.h>

#include "kernels/conv/conv.h"

void pml_x8_im2col(const pml_conv_geom *g, const uint8_t *x, int64_t grp, int64_t m0, int64_t mb, uint8_t pad,
                   uint8_t *dst) {
    const size_t cg = (size_t)g->cg;
    int64_t ow = m0 % g->ow, oh = m0 / g->ow % g->oh, n = m0 / g->ow / g->oh;
    for (int64_t r = 0; r < mb; r++) {
        const uint8_t *ximg = x + (size_t)(n * g->h * g->w * g->cin + grp * g->cg);
        for (int64_t kh = 0; kh < g->kh; kh++) {
            const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
            for (int64_t kw = 0; kw < g->kw; kw++, dst += cg) {
                const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) memset(dst, pad, cg);
                else memcpy(dst, ximg + (size_t)((ih * g->w + iw) * g->cin), cg);
            }
        }
        if (++ow == g->ow) {
            ow = 0;
            if (++oh == g->oh) oh = 0, n++;
        }
    }
}
