/*
 * kernels/conv/u8s8_conv_stem__avx512vnni.c — the direct few-channel int8 conv (the
 * 3-channel stems) in AVX-512 VNNI, exact: 8 output pixels x 32 output channels per step,
 * output channels across the lanes, vpdpbusd over window-row quads read straight from the
 * padded uint8 image (layout and padding: kernels/conv/s8_conv.h, pml_qs8_stem_*).
 *
 * Per quad (four bytes of one window row): one 64-byte weight load per 16 channels, one
 * 32-bit broadcast per pixel, one vpdpbusd per pixel and 16 channels; u8 x s8 products fit
 * int16 and the four are summed into the int32 lane wrapping, as the references' sums
 * (vpdpbusds, the saturating form, is never used). No im2col: the pixels' windows are at
 * a fixed byte step (stride * Cin) along the padded row, so the broadcasts are one base
 * plus constant offsets where the step is 3 or 6 (the 3-channel stems at stride 1 or 2).
 * A row's last pixels run as a whole step of 8: the extra pixels read the padded image's
 * slack and are not stored. The requantization is the GEMM tiles' (s8_requant__avx512.h);
 * two pixels' 32 (or 24) channels are then narrowed and clamped together, masked past Cout.
 * Measured (bench_int8_gemm, stem rows): 8 pixels a step beat 4 and 12; at 32 channels the
 * fixed-point requantization takes about as long as the vpdpbusd (3x3: 18 a pixel).
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/matmul/s8_requant__avx512.h"

#define PIXELS PML_QS8_STEM_PIXELS /* output pixels per step (the padded image's slack covers them) */

/* vpbroadcastd from memory (set1 of a memcpy'd int went through general registers, which
 * GCC spilled in the unrolled loop) */
static inline __m512i bcast_quad(const uint8_t *p) { return _mm512_broadcastd_epi32(_mm_loadu_si32(p)); }

/* The channel widths of one pass: 16 (one zmm a pixel), 32 (two), or 24 = 16 + 8, the
 * second part in a ymm a pixel (BlazeFace's 24-channel stem: a masked zmm would waste half
 * of its vpdpbusd and of its requantization; two pixels' ymm sums are requantized as one
 * zmm, with the 8 channels' parameters in both halves). */
enum { W16 = 1, W32 = 2, W24 = 3 };

/* Two pixels' requantized channels (v_i0, v_i1 for pixel i; v_j0, v_j1 for pixel i+1) to
 * their bytes: saturating packs (int32 -> int16 -> int8 or uint8) interleave 4-channel
 * groups per 128-bit lane, one vpermd (order) puts each pixel's bytes in order in its 256-bit
 * half, and the clamp runs on bytes (pml_qs8_requant16_unclamped: every saturation is
 * monotone, so the bytes equal the clamped int32s'). */
static inline __attribute__((always_inline)) void store_pair(__m512i v_i0, __m512i v_i1, __m512i v_j0, __m512i v_j1,
                                                             __m512i order, const pml_qs8_epilogue *ep,
                                                             __mmask32 keep, uint8_t *yi, uint8_t *yj, int both) {
    const __m512i p0 = _mm512_packs_epi32(v_i0, v_i1), p1 = _mm512_packs_epi32(v_j0, v_j1);
    const __m512i bmin = _mm512_set1_epi8((char)ep->qmin), bmax = _mm512_set1_epi8((char)ep->qmax);
    __m512i b;
    if (ep->out_u8) b = _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(p0, p1), bmin), bmax);
    else b = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p0, p1), bmin), bmax);
    b = _mm512_permutexvar_epi32(order, b);
    _mm256_mask_storeu_epi8(yi, keep, _mm512_castsi512_si256(b));
    if (both) _mm256_mask_storeu_epi8(yj, keep, _mm512_extracti64x4_epi64(b, 1));
}

/* The requantization parameters of 8 columns (ep's first 8) in both 256-bit halves. */
static inline pml_qs8_rq16 rq8_twice(const pml_qs8_epilogue *ep) {
    pml_qs8_rq16 p = pml_qs8_rq16_load(ep);
#define TWICE(v) v = _mm512_shuffle_i64x2(v, v, 0x44)
    TWICE(p.mult), TWICE(p.mult_odd), TWICE(p.lsh), TWICE(p.rsh), TWICE(p.mask), TWICE(p.thr);
#undef TWICE
    p.scale = _mm512_shuffle_f32x4(p.scale, p.scale, 0x44);
    return p;
}

/* One step: PIXELS pixels from win (pixel i at win + i*step) x the channels of the panels at
 * w0 (and w0 + panel_bytes) of the width; stores the first np pixels. */
static inline __attribute__((always_inline)) void stem_step(const uint8_t *win, const int64_t step, int64_t rstride,
                                                            int64_t kh, int64_t qrow, const int8_t *w0,
                                                            size_t panel_bytes, const int width,
                                                            const pml_qs8_epilogue *ep0, const pml_qs8_epilogue *ep1,
                                                            size_t nr0, size_t nr1, uint8_t *y, int64_t ldy,
                                                            int64_t np) {
    const __m512i b0 = _mm512_loadu_si512((const void *)ep0->bias);
    const __m512i b1 = width == W32 ? _mm512_loadu_si512((const void *)ep1->bias) : b0;
    const __m256i bh = width == W24 ? _mm256_loadu_si256((const void *)ep1->bias) : _mm256_setzero_si256();
    __m512i a0[PIXELS], a1[PIXELS];
    __m256i ah[PIXELS];
    for (int i = 0; i < PIXELS; i++) a0[i] = b0, a1[i] = b1, ah[i] = bh;
    const int8_t *w = w0;
    for (int64_t r = 0; r < kh; r++) {
        const uint8_t *src = win + r * rstride;
        for (int64_t j = 0; j < qrow; j++, src += 4, w += 64) {
            const __m512i wv0 = _mm512_load_si512((const void *)w);
            const __m512i wv1 = width == W32 ? _mm512_load_si512((const void *)(w + panel_bytes)) : wv0;
            const __m256i wvh = width == W24 ? _mm256_load_si256((const void *)(w + panel_bytes)) : _mm256_setzero_si256();
#pragma GCC unroll 8
            for (int i = 0; i < PIXELS; i++) {
                const __m512i u = bcast_quad(src + i * step);
                a0[i] = _mm512_dpbusd_epi32(a0[i], u, wv0);
                if (width == W32) a1[i] = _mm512_dpbusd_epi32(a1[i], u, wv1);
                if (width == W24) ah[i] = _mm256_dpbusd_epi32(ah[i], _mm512_castsi512_si256(u), wvh);
            }
        }
    }
    const pml_qs8_rq16 rq0 = pml_qs8_rq16_load(ep0);
    if (width == W16) {
#pragma GCC unroll 8
        for (int i = 0; i < PIXELS; i++)
            if (i < np) pml_qs8_store16_512(pml_qs8_requant16(a0[i], &rq0), y + i * ldy, nr0);
        return;
    }
    const pml_qs8_rq16 rq1 = width == W32 ? pml_qs8_rq16_load(ep1) : rq8_twice(ep1);
    const __mmask32 keep = (__mmask32)(nr0 + nr1 == 32 ? ~0u : (1u << (nr0 + nr1)) - 1);
    /* W32: groups (L, s) of the packs at dword 4L + s: s = 0, 1 pixel i's channels 0-15,
     * 16-31; s = 2, 3 pixel i+1's. W24: s = 1 and 3 both hold the merged 8-channel part, lanes
     * 0-7 pixel i's (L = 0, 1), 8-15 pixel i+1's (L = 2, 3). */
    const __m512i order = width == W32 ? _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0)
                                       : _mm512_set_epi32(0, 0, 13, 9, 14, 10, 6, 2, 0, 0, 5, 1, 12, 8, 4, 0);
#pragma GCC unroll 4
    for (int i = 0; i < PIXELS; i += 2) {
        if (i >= np) break;
        const __m512i v_i0 = pml_qs8_requant16_unclamped(a0[i], &rq0);
        const __m512i v_j0 = pml_qs8_requant16_unclamped(a0[i + 1], &rq0);
        __m512i v_i1, v_j1;
        if (width == W32) {
            v_i1 = pml_qs8_requant16_unclamped(a1[i], &rq1);
            v_j1 = pml_qs8_requant16_unclamped(a1[i + 1], &rq1);
        } else {
            v_i1 = v_j1 = pml_qs8_requant16_unclamped(
                _mm512_inserti64x4(_mm512_castsi256_si512(ah[i]), ah[i + 1], 1), &rq1);
        }
        store_pair(v_i0, v_i1, v_j0, v_j1, order, ep0, keep, y + i * ldy, y + (i + 1) * ldy, i + 1 < np);
    }
}

/* Every pixel of one output row for the channels [c0, c0 + width), step known to the
 * compiler where it is a constant argument. */
static inline __attribute__((always_inline)) void stem_row(const pml_conv_geom *g, const uint8_t *top,
                                                           const int64_t step, int64_t rstride, int64_t qrow,
                                                           const int8_t *w0, size_t panel_bytes, const int width,
                                                           const pml_qs8_epilogue *ep0, const pml_qs8_epilogue *ep1,
                                                           size_t nr0, size_t nr1, uint8_t *y) {
    for (int64_t ow = 0; ow < g->ow; ow += PIXELS) {
        const int64_t np = g->ow - ow < PIXELS ? g->ow - ow : PIXELS;
        stem_step(top + ow * step, step, rstride, g->kh, qrow, w0, panel_bytes, width, ep0, ep1, nr0, nr1,
                  y + ow * g->cout, g->cout, np);
    }
}

void pml_u8s8_conv_stem__avx512vnni(const pml_conv_geom *g, const uint8_t *xp, const void *packed, uint8_t *y,
                                    int64_t row0, int64_t row1) {
    const int64_t cin = g->cin, wp = g->w + g->pl + g->pr, hp = g->h + g->pt + g->pb;
    const int64_t qrow = pml_qs8_stem_qrow(g), C = g->cout, step = g->sw * cin, rstride = wp * cin;
    const size_t data = pml_qs8_stem_data_bytes(g), panel_bytes = (size_t)(g->kh * qrow * 64);
    const int8_t *panels = (const int8_t *)packed + sizeof(pml_qs8_packed_header);
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        const uint8_t *top = xp + (n * hp + oh * g->sh) * rstride;
        uint8_t *yrow = y + row * g->ow * C;
        for (int64_t c0 = 0; c0 < C; c0 += 32) {
            const int width = C - c0 > 24 ? W32 : C - c0 > 16 ? W24 : W16;
            const size_t nr0 = (size_t)(C - c0 < 16 ? C - c0 : 16);
            const size_t nr1 = width != W16 ? (size_t)(C - c0 - 16 < 16 ? C - c0 - 16 : 16) : 0;
            const pml_qs8_epilogue ep0 = pml_qs8_panel_epilogue(packed, data, c0 / 16);
            const pml_qs8_epilogue ep1 = width != W16 ? pml_qs8_panel_epilogue(packed, data, c0 / 16 + 1) : ep0;
            const int8_t *w0 = panels + (c0 / 16) * (int64_t)panel_bytes;
            uint8_t *yc = yrow + c0;
            /* the 3-channel stems' pixel steps (stride 2 and 1) as constants: one base register
             * and immediate offsets for the broadcasts */
#define STEM_ROW(st, wd) stem_row(g, top, st, rstride, qrow, w0, panel_bytes, wd, &ep0, &ep1, nr0, nr1, yc)
            if (width == W32) {
                if (step == 6) STEM_ROW(6, W32);
                else if (step == 3) STEM_ROW(3, W32);
                else STEM_ROW(step, W32);
            } else if (width == W24) {
                if (step == 6) STEM_ROW(6, W24);
                else if (step == 3) STEM_ROW(3, W24);
                else STEM_ROW(step, W24);
            } else {
                STEM_ROW(step, W16);
            }
#undef STEM_ROW
        }
    }
}
