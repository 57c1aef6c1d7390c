/*
 * kernels/conv_scalar.c — portable conv kernels of the scalar configuration:
 * the 4x16 implicit-GEMM conv tile (the scalar twin of the 6x16 AVX2/FMA
 * tile, same contract: see pml_f32_conv_ukernel in gemm.h) and the depthwise
 * conv over weights packed by pml_dwconv_pack. Plain C; the oracles they are
 * tested against are pml_f32_conv_ref and the GEMM reference.
 */
#include "conv.h"
#include "gemm.h"

void pml_f32_conv_4x16__scalar(size_t mr, size_t nr, size_t nseg, size_t seglen, const float *const *rows,
                               const int64_t *row_stride, const float *w, const float *init, float *c, size_t ldc,
                               const pml_activation *act) {
    float acc[4][PML_GEMM_NR];
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < PML_GEMM_NR; j++) acc[r][j] = init[j];
    for (size_t s = 0; s < nseg; s++)
        for (size_t kk = 0; kk < seglen; kk++) {
            const float *wk = w + (s * seglen + kk) * PML_GEMM_NR;
            for (size_t r = 0; r < mr; r++) {
                const float ar = rows[r][(int64_t)s * row_stride[r] + (int64_t)kk];
                for (size_t j = 0; j < PML_GEMM_NR; j++) acc[r][j] += ar * wk[j];
            }
        }
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nr; j++)
            c[r * ldc + j] = act ? pml_epilogue_scalar(act, acc[r][j], &c[r * ldc + j], j) : acc[r][j];
}

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
