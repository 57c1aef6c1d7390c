/*
 * kernels/conv/f32_dwconv__scalar.c — the scalar configuration's depthwise
 * conv (group == Cin == Cout, NHWC) over weights packed by pml_dwconv_pack
 * ([KH*KW][c_pad] taps, then c_pad bias). Plain C, one output channel at a
 * time; pml_f32_conv_ref is its oracle.
 */
#include "kernels/conv/conv.h"

void pml_f32_dwconv__scalar(const pml_conv_geom *g, const float *x, const float *w, float *y, int64_t row0,
                            int64_t row1, const pml_activation *act) {
    const int64_t C = g->cout, c_pad = pml_dwconv_c_pad(C);
    const float *bias = w + g->kh * g->kw * c_pad;
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;
        int64_t kh0, kh1;
        pml_window_taps(ih0, g->dh, g->kh, g->h, &kh0, &kh1);
        for (int64_t ow = 0; ow < g->ow; ow++) {
            const int64_t iw0 = ow * g->sw - g->pl;
            int64_t kw0, kw1;
            pml_window_taps(iw0, g->dw, g->kw, g->w, &kw0, &kw1);
            float *yp = y + (row * g->ow + ow) * C;
            for (int64_t ch = 0; ch < C; ch++) {
                float acc = bias[ch];
                for (int64_t kh = kh0; kh < kh1; kh++)
                    for (int64_t kw = kw0; kw < kw1; kw++) {
                        const int64_t ih = ih0 + kh * g->dh, iw = iw0 + kw * g->dw;
                        acc += x[((n * g->h + ih) * g->w + iw) * C + ch] * w[(kh * g->kw + kw) * c_pad + ch];
                    }
                yp[ch] = act ? pml_activation_scalar(act, acc) : acc;
            }
        }
    }
}
