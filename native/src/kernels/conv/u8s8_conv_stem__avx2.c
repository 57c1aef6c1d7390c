/*
 * kernels/conv/u8s8_conv_stem__avx2.c — the direct few-channel int8 conv (the 3-channel
 * stems) in AVX2 without VNNI, exact: P output pixels x NB blocks of 8 output channels per
 * step, output channels across the lanes, vpmaddwd over pairs of window-row bytes.
 *
 * It runs on the stem packing and the padded uint8 image of the AVX-512 kernel
 * (kernels/conv/s8_conv.h, pml_qs8_stem_*): a window row of qrow*4 bytes is qrow*2 byte pairs
 * (the bytes past KW*Cin meet zero weights). vpmaddwd wants int16: each call expands a pass's
 * weights once into (w[c][2j], w[c][2j+1]) int16 pairs of 8 channels a vector, and each
 * output row's kh window rows are zero-extended to uint16 once (in column segments that keep
 * the copy within WIDEN_BYTES of stack), so a pixel's pair is one 32-bit broadcast from
 * memory. u8 x s8 products fit int16 and vpmaddwd sums two into int32 exactly (no
 * vpmaddubsw: its 16-bit pair sums saturate at 255 * -128 * 2). A row's last pixels run as a
 * whole step (past the row's end the widened rows hold zeros; nothing there is stored). The
 * requantization and the store are the GEMM tiles' (s8_requant__avx2.h), in one mode per
 * call (its own copy of the passes), with the short rounding where the kernel finds every
 * channel's accumulators small (the general one cost a third of the stem). Strides so large
 * that two steps' windows overflow the buffer (none a stem has) run the scalar kernel.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/matmul/s8_requant__avx2.h"

#define MAX_NB 3                  /* 8-channel blocks per pass */
#define MAX_P 8                   /* pixels per step */
#define WIDEN_BYTES (32 * 1024)   /* the widened window rows of one column segment */
#define WEIGHT_BYTES (24 * 1024)  /* a pass's expanded weights: MAX_NB * 11 rows * 22 pairs * 32 */

/* One step: P pixels (pixel i's window row r at win + r*ld + i*step, uint16) x NB channel
 * blocks (pair j of row r, block b: w[(r*npair + j)*NB + b]); stores the first np pixels'
 * channels [c0, c0 + nc) at y (pixel i at y + i*ldy). */
static inline __attribute__((always_inline)) void stem_step(const uint16_t *win, int64_t ld, const int64_t step,
                                                            int64_t kh, int64_t npair, const __m256i *w, const int NB,
                                                            const int P, const pml_qs8_epilogue *ep,
                                                            const pml_qs8_rqc *rc, const int mode, uint8_t *y,
                                                            int64_t ldy, int64_t np, int64_t nc) {
    __m256i acc[MAX_P][MAX_NB];
    for (int b = 0; b < NB; b++) {
        const __m256i bias = _mm256_load_si256((const __m256i *)(ep->bias + 8 * b));
        for (int i = 0; i < P; i++) acc[i][b] = bias;
    }
    for (int64_t r = 0; r < kh; r++) {
        const uint16_t *src = win + r * ld;
        for (int64_t j = 0; j < npair; j++, src += 2, w += NB) {
#pragma GCC unroll 8
            for (int i = 0; i < P; i++) {
                int32_t pair;
                memcpy(&pair, src + i * step, 4);
                const __m256i u = _mm256_set1_epi32(pair);
                for (int b = 0; b < NB; b++) acc[i][b] = _mm256_add_epi32(acc[i][b], _mm256_madd_epi16(u, w[b]));
            }
        }
    }
    const int out_u8 = ep->out_u8;
    for (int b = 0; b < NB; b++) {
        const pml_qs8_rq8 rq = pml_qs8_rq8_load(ep, (size_t)(8 * b));
        const int64_t left = nc - 8 * b;
        if (left <= 0) break;
        for (int i = 0; i < P; i++)
            if (i < np) pml_qs8_store8(pml_qs8_requant8_mode(acc[i][b], &rq, rc, mode), out_u8, y + i * ldy + 8 * b,
                                       (size_t)(left < 8 ? left : 8));
    }
}

/* The window rows of output row (n, oh) for the output columns [o0, o0 + seg + P) widened to
 * uint16 at buf (row r at buf + r*ld), zeros past the padded row's end. */
static void widen_rows(const pml_conv_geom *g, const uint8_t *top, int64_t rstride, int64_t o0, int64_t step,
                       int64_t ld, uint16_t *buf) {
    const int64_t start = o0 * step;
    const int64_t inside = rstride - start < ld ? rstride - start : ld; /* bytes of the row left to read */
    for (int64_t r = 0; r < g->kh; r++) {
        const uint8_t *s = top + r * rstride + start;
        uint16_t *d = buf + r * ld;
        int64_t i = 0;
        for (; i + 16 <= inside; i += 16)
            _mm256_storeu_si256((__m256i *)(d + i), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(s + i))));
        for (; i < inside; i++) d[i] = s[i];
        for (; i < ld; i++) d[i] = 0;
    }
}

/* Expands channel blocks [blk0, blk0 + NB) of the packing into w (see stem_step). */
static void expand_weights(const pml_conv_geom *g, const int8_t *panels, int64_t blk0, int NB, __m256i *w) {
    const int64_t qrow = pml_qs8_stem_qrow(g), npair = 2 * qrow, panel_bytes = g->kh * qrow * 64;
    int16_t *d = (int16_t *)w;
    for (int64_t r = 0; r < g->kh; r++)
        for (int64_t j = 0; j < npair; j++)
            for (int b = 0; b < NB; b++, d += 16)
                for (int l = 0; l < 8; l++) {
                    const int64_t c = 8 * (blk0 + b) + l;
                    const int8_t *q = panels + (c / 16) * panel_bytes + (r * qrow + j / 2) * 64 + 4 * (c % 16) + (j % 2) * 2;
                    d[2 * l] = q[0], d[2 * l + 1] = q[1];
                }
}

/* Every output row of [row0, row1) for one pass of NB channel blocks from blk0, P pixels a step. */
static inline __attribute__((always_inline)) void stem_pass(const pml_conv_geom *g, const uint8_t *xp,
                                                            const int8_t *panels, const pml_qs8_epilogue *ep0,
                                                            const pml_qs8_rqc *rc, const int mode, int64_t blk0,
                                                            const int NB, const int P, uint8_t *y, int64_t row0,
                                                            int64_t row1) {
    const int64_t cin = g->cin, wp = g->w + g->pl + g->pr, hp = g->h + g->pt + g->pb;
    const int64_t qrow = pml_qs8_stem_qrow(g), npair = 2 * qrow, C = g->cout, step = g->sw * cin, rstride = wp * cin;
    _Alignas(32) __m256i w[WEIGHT_BYTES / 32];
    _Alignas(32) uint16_t buf[WIDEN_BYTES / 2];
    expand_weights(g, panels, blk0, NB, w);
    /* the widest segment (a multiple of P pixels) whose widened rows fit buf */
    int64_t seg = ((WIDEN_BYTES / 2 / g->kh - qrow * 4 - 16) / step - P) / P * P;
    if (seg < P) seg = P;
    if (seg > g->ow) seg = (g->ow + P - 1) / P * P;
    const int64_t ld = (seg + P) * step + qrow * 4;
    const pml_qs8_epilogue ep = pml_qs8_epilogue_at(ep0, 8 * blk0);
    const int64_t nc = C - 8 * blk0;
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        const uint8_t *top = xp + (n * hp + oh * g->sh) * rstride;
        uint8_t *yrow = y + row * g->ow * C + 8 * blk0;
        for (int64_t o0 = 0; o0 < g->ow; o0 += seg) {
            widen_rows(g, top, rstride, o0, step, ld, buf);
            const int64_t o1 = o0 + seg < g->ow ? o0 + seg : g->ow;
            for (int64_t ow = o0; ow < o1; ow += P)
                stem_step(buf + (ow - o0) * step, ld, step, g->kh, npair, w, NB, P, &ep, rc, mode, yrow + ow * C, C,
                          o1 - ow < P ? o1 - ow : P, nc);
        }
    }
}

/* Every pass over the channel blocks, in one requantization mode (a constant: each mode's
 * copy keeps only its parameters live and branches on nothing per store). */
static inline __attribute__((always_inline)) void stem_passes(const pml_conv_geom *g, const uint8_t *xp,
                                                              const int8_t *panels, const pml_qs8_epilogue *ep0,
                                                              const pml_qs8_rqc *rc, const int mode, uint8_t *y,
                                                              int64_t row0, int64_t row1) {
    const int64_t blocks = (g->cout + 7) / 8;
    for (int64_t b = 0; b < blocks;) {
        const int64_t left = blocks - b;
        if (left == 3) stem_pass(g, xp, panels, ep0, rc, mode, b, 3, 4, y, row0, row1), b += 3;
        else if (left >= 2) stem_pass(g, xp, panels, ep0, rc, mode, b, 2, 6, y, row0, row1), b += 2;
        else stem_pass(g, xp, panels, ep0, rc, mode, b, 1, 8, y, row0, row1), b += 1;
    }
}
#define STEM_MODE(name, mode)                                                                                    \
    __attribute__((noinline)) static void name(const pml_conv_geom *g, const uint8_t *xp, const int8_t *panels,  \
                                               const pml_qs8_epilogue *ep0, const pml_qs8_rqc *rc, uint8_t *y,   \
                                               int64_t row0, int64_t row1) {                                     \
        stem_passes(g, xp, panels, ep0, rc, mode, y, row0, row1);                                               \
    }
STEM_MODE(stem_float, PML_QS8_RQ_FLOAT)
STEM_MODE(stem_small, PML_QS8_RQ_SMALL)
STEM_MODE(stem_general, PML_QS8_RQ_GENERAL)

/* 1 when the fixed point's short rounding is exact for every channel (s8_requant__avx2.h): no
 * left shift, a right shift of at least 1 and |bias'| + K * 255 * 128 < 2^30 (uint8 pixels
 * times int8 weights; the packing's zero-weight padding adds nothing). The stem packing
 * leaves its header's small_acc 0, so the kernel checks its C channels here. */
static int stem_small_acc(const pml_conv_geom *g, const pml_qs8_epilogue *ep) {
    const int64_t limit = (int64_t)1 << 30, prods = g->kh * g->kw * g->cin * 255 * 128;
    if (ep->mode != PML_REQUANT_FIXED_POINT) return 0;
    for (int64_t c = 0; c < g->cout; c++) {
        const int64_t b = ep->bias[c] < 0 ? -(int64_t)ep->bias[c] : (int64_t)ep->bias[c];
        if (ep->lshift[c] != 0 || ep->rshift[c] < 1 || b + prods >= limit) return 0;
    }
    return 1;
}

void pml_u8s8_conv_stem__avx2(const pml_conv_geom *g, const uint8_t *xp, const void *packed, uint8_t *y, int64_t row0,
                              int64_t row1) {
    const int8_t *panels = (const int8_t *)packed + sizeof(pml_qs8_packed_header);
    pml_qs8_epilogue ep0 = pml_qs8_panel_epilogue(packed, pml_qs8_stem_data_bytes(g), 0);
    const int64_t qrow = pml_qs8_stem_qrow(g), step = g->sw * g->cin;
    if (g->kh * ((2 * MAX_P) * step + qrow * 4 + 16) > WIDEN_BYTES / 2) { /* strides far past any stem's */
        pml_u8s8_conv_stem__scalar(g, xp, packed, y, row0, row1);
        return;
    }
    ep0.small_acc = stem_small_acc(g, &ep0);
    const pml_qs8_rqc rc = pml_qs8_rqc_load(&ep0);
    const int mode = pml_qs8_rq_mode(&rc);
    if (mode == PML_QS8_RQ_SMALL) stem_small(g, xp, panels, &ep0, &rc, y, row0, row1);
    else if (mode == PML_QS8_RQ_FLOAT) stem_float(g, xp, panels, &ep0, &rc, y, row0, row1);
    else stem_general(g, xp, panels, &ep0, &rc, y, row0, row1);
}
