/*
 * kernels/conv/conv_direct.c — implicit-GEMM convolution: the conv GEMM without
 * im2col, for convs whose patch (K = KH*KW*Cin) fits one K block.
 *
 * A patch row of the GEMM is KH runs of KW*Cin contiguous floats in the NHWC
 * input (one run per kernel row, dilation_w == 1), so the conv micro-kernel
 * (kern->conv, e.g. 6x16) reads them in place: for a stem conv over RGB this
 * replaces ~3 tiny copies per output pixel with nothing. Pixels whose window
 * touches the padding get their patch copied, zero-filled, into per-thread
 * scratch (6*K floats) and are read from there instead.
 *
 * Work is split by output rows (n, oh); a tile is up to MR pixels of one
 * output row times every 16-channel panel, so its patches stay in L1 while
 * the (small: K*Cout floats) packed weights stream from L1/L2.
 */
#include <string.h>

#include "kernels/conv/conv_direct.h"

#define DIRECT_MR_MAX 8

int pml_conv_direct_eligible(const pml_f32_kernels *kern, const pml_conv_geom *g) {
    const int64_t k = g->kh * g->kw * g->cg;
    return kern && kern->conv && kern->gemm_mr <= DIRECT_MR_MAX && g->group == 1 && g->dw == 1 &&
           k <= PML_GEMM_KC_MAX && pml_gemm_kc(k) == k;
}

size_t pml_conv_direct_scratch_floats(const pml_f32_kernels *kern, const pml_conv_geom *g) {
    return (kern->gemm_mr * (size_t)(g->kh * g->kw * g->cin) + 15) / 16 * 16;
}

/* Zero-padded patch of output pixel (oh, ow) of image n: KH runs of KW*Cin,
 * each the in-bounds taps [kw0, kw1) copied in one piece between zeros. */
static void copy_patch(const pml_conv_geom *g, const float *ximg, int64_t ih0, int64_t iw0, float *dst) {
    const int64_t run = g->kw * g->cin;
    int64_t kw0, kw1;
    pml_window_taps(iw0, 1, g->kw, g->w, &kw0, &kw1);
    for (int64_t kh = 0; kh < g->kh; kh++) {
        float *d = dst + kh * run;
        const int64_t ih = ih0 + kh * g->dh;
        if (ih < 0 || ih >= g->h || kw1 <= kw0) {
            memset(d, 0, (size_t)run * sizeof(float));
            continue;
        }
        memset(d, 0, (size_t)(kw0 * g->cin) * sizeof(float));
        memcpy(d + kw0 * g->cin, ximg + (ih * g->w + iw0 + kw0) * g->cin, (size_t)((kw1 - kw0) * g->cin) * sizeof(float));
        memset(d + kw1 * g->cin, 0, (size_t)((g->kw - kw1) * g->cin) * sizeof(float));
    }
}

void pml_f32_conv_direct_rows(const pml_f32_kernels *kern, const pml_conv_geom *g, const float *x,
                              const float *packed, float *y, int64_t row0, int64_t row1, float *patches,
                              const pml_activation *act) {
    const int64_t k = g->kh * g->kw * g->cin, run = g->kw * g->cin, n_pad = pml_gemm_n_pad(g->cout);
    const int64_t mr_max = (int64_t)kern->gemm_mr;
    const float *bias = packed + k * n_pad;
    const float *rows[DIRECT_MR_MAX];
    int64_t stride[DIRECT_MR_MAX];
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        const int64_t ih0 = oh * g->sh - g->pt;
        const int rows_inside = ih0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->h;
        const float *ximg = x + n * g->h * g->w * g->cin;
        float *yrow = y + row * g->ow * g->cout;
        for (int64_t ow0 = 0; ow0 < g->ow; ow0 += mr_max) {
            const int64_t mr = g->ow - ow0 < mr_max ? g->ow - ow0 : mr_max;
            for (int64_t r = 0; r < mr; r++) {
                const int64_t iw0 = (ow0 + r) * g->sw - g->pl;
                if (rows_inside && iw0 >= 0 && iw0 + g->kw <= g->w) {
                    rows[r] = ximg + (ih0 * g->w + iw0) * g->cin;
                    stride[r] = g->dh * g->w * g->cin;
                } else {
                    copy_patch(g, ximg, ih0, iw0, patches + r * k);
                    rows[r] = patches + r * k;
                    stride[r] = run;
                }
            }
            for (int64_t p = 0; p * PML_GEMM_NR < g->cout; p++) {
                const int64_t nr = g->cout - p * PML_GEMM_NR < PML_GEMM_NR ? g->cout - p * PML_GEMM_NR : PML_GEMM_NR;
                pml_activation panel_act = *act; /* PRelu slopes of this panel's columns */
                if (panel_act.slope) panel_act.slope += p * PML_GEMM_NR;
                kern->conv((size_t)mr, (size_t)nr, (size_t)g->kh, (size_t)run, rows, stride, packed + p * k * PML_GEMM_NR,
                           bias + p * PML_GEMM_NR, yrow + ow0 * g->cout + p * PML_GEMM_NR, (size_t)g->cout,
                           act->kind != PML_ACT_NONE || act->has_sum ? &panel_act : NULL);
            }
        }
    }
}
