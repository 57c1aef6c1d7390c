/*
 * kernels/conv/s8_dwconv__avx2.c — the int8 depthwise conv in AVX2, exact without VNNI: 16
 * channels at a time, taps in pairs. The two taps' 16 input bytes are interleaved
 * (vpunpck{l,h}bw: c0t0 c0t1 c1t0 ...), sign-extended to int16 and multiplied with the
 * packed (w'[c][t0], w'[c][t1]) pairs by vpmaddwd into 8 int32 channel sums; |x * w'| <=
 * 128 * 255, so nothing saturates. Padded taps read a vector of the input zero point (the
 * bias' holds -za * sum w'), the odd last tap's weights are zero. Any kernel size, stride and
 * dilation up to MAX_TAPS taps (more: the scalar kernel).
 * The channel tail (C not a multiple of 16: 24, 28, 36... in MediaPipe's detectors) loads 16
 * bytes as well wherever they lie inside x: the lanes past C read the next pixel, meet zero
 * weights and are never stored. Only loads that would cross x's end go through a copy. A
 * tail of at most 8 channels (24, 56, 72, 88) computes only the low 8 lanes at interior
 * pixels: a third of a 24-channel layer's work was lanes never stored.
 * One copy of the loops per requantization mode; the short fixed-point rounding where the row
 * layout's bound (s8_dwconv_pairs.h small_acc) holds.
 */
#include <string.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/conv/s8_dwconv_pairs.h"
#include "kernels/matmul/s8_requant__avx2.h"

#define MAX_TAPS 64

/* acc + 8 channels' (x[t0], x[t1]) byte pairs (sign-extended) . (w'[t0], w'[t1]) */
static inline __m256i dw_pair(__m256i acc, __m128i xpairs, const int16_t *w) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(xpairs), _mm256_load_si256((const __m256i *)w)));
}

/* The rows [row0, row1) in one requantization mode (a constant per copy, below). */
static inline __attribute__((always_inline)) void dw_rows(const pml_conv_geom *g, const int8_t *x, const void *packed,
                                                          uint8_t *y, int64_t row0, int64_t row1,
                                                          const pml_qs8_epilogue *ep_in, const int mode) {
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = g->cout, taps = g->kh * g->kw, pairs = h->kp / 2;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep0 = *ep_in;
    const pml_qs8_rqc rc = pml_qs8_rqc_load(&ep0);
    const __m128i vza = _mm_set1_epi8((char)h->a_zero_point);
    const int8_t *x_end = x + g->n * g->h * g->w * C; /* a 16-byte load at p is safe iff p + 16 <= x_end */
    const int8_t *tap[MAX_TAPS + 1];
    int64_t toff[MAX_TAPS + 1]; /* an interior pixel's taps: offsets from its window's corner */
    for (int64_t t = 0; t < taps; t++) toff[t] = ((t / g->kw) * g->dh * g->w + (t % g->kw) * g->dw) * C;
    toff[taps] = 0; /* the odd tap of the last pair: any valid pixel, its weights are zero */
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;
        const int rows_inside = ih0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->h;
        for (int64_t ow = 0; ow < g->ow; ow++) {
            const int64_t iw0 = ow * g->sw - g->pl;
            const int interior = rows_inside && iw0 >= 0 && iw0 + (g->kw - 1) * g->dw < g->w;
            const int8_t *corner = interior ? x + ((n * g->h + ih0) * g->w + iw0) * C : NULL;
            if (!interior) {
                for (int64_t t = 0; t < taps; t++) {
                    const int64_t ih = ih0 + t / g->kw * g->dh, iw = iw0 + t % g->kw * g->dw;
                    tap[t] = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w ? x + ((n * g->h + ih) * g->w + iw) * C : NULL;
                }
                tap[taps] = NULL;
            }
            uint8_t *yp = y + (row * g->ow + ow) * C;
            for (int64_t c = 0; c < C; c += 16) {
                const int64_t nc = C - c < 16 ? C - c : 16;
                const int16_t *wb = w + (c / 16) * pairs * 32;
                __m256i acc0 = _mm256_load_si256((const __m256i *)(ep0.bias + c));
                __m256i acc1 = _mm256_load_si256((const __m256i *)(ep0.bias + c + 8));
                if (interior && nc <= 8 && corner + c + toff[taps - 1] + 16 <= x_end) { /* the low 8 lanes */
                    const int8_t *base = corner + c;
                    for (int64_t q = 0; q < pairs; q++) {
                        const __m128i x0 = _mm_loadl_epi64((const __m128i *)(base + toff[2 * q]));
                        const __m128i x1 = _mm_loadl_epi64((const __m128i *)(base + toff[2 * q + 1]));
                        acc0 = dw_pair(acc0, _mm_unpacklo_epi8(x0, x1), wb + q * 32);
                    }
                } else if (interior && (nc == 16 || corner + c + toff[taps - 1] + 16 <= x_end)) { /* no branch */
                    const int8_t *base = corner + c;
                    for (int64_t q = 0; q < pairs; q++) {
                        const __m128i x0 = _mm_loadu_si128((const __m128i *)(base + toff[2 * q]));
                        const __m128i x1 = _mm_loadu_si128((const __m128i *)(base + toff[2 * q + 1]));
                        acc0 = dw_pair(acc0, _mm_unpacklo_epi8(x0, x1), wb + q * 32);
                        acc1 = dw_pair(acc1, _mm_unpackhi_epi8(x0, x1), wb + q * 32 + 16);
                    }
                } else {
                    for (int64_t q = 0; q < pairs; q++) {
                        __m128i x0 = vza, x1 = vza;
                        const int8_t *p0 = interior ? corner + toff[2 * q] : tap[2 * q];
                        const int8_t *p1 = interior ? corner + toff[2 * q + 1] : tap[2 * q + 1];
                        if (nc == 16 || ((!p0 || p0 + c + 16 <= x_end) && (!p1 || p1 + c + 16 <= x_end))) {
                            if (p0) x0 = _mm_loadu_si128((const __m128i *)(p0 + c));
                            if (p1) x1 = _mm_loadu_si128((const __m128i *)(p1 + c));
                        } else { /* the channel tail at x's end: never read past it */
                            uint8_t b0[16], b1[16];
                            _mm_storeu_si128((__m128i *)b0, vza);
                            _mm_storeu_si128((__m128i *)b1, vza);
                            if (p0) memcpy(b0, p0 + c, (size_t)nc);
                            if (p1) memcpy(b1, p1 + c, (size_t)nc);
                            x0 = _mm_loadu_si128((const __m128i *)b0);
                            x1 = _mm_loadu_si128((const __m128i *)b1);
                        }
                        acc0 = dw_pair(acc0, _mm_unpacklo_epi8(x0, x1), wb + q * 32);
                        acc1 = dw_pair(acc1, _mm_unpackhi_epi8(x0, x1), wb + q * 32 + 16);
                    }
                }
                const pml_qs8_epilogue ep = pml_qs8_epilogue_at(&ep0, c);
                const pml_qs8_rq8 r0 = pml_qs8_rq8_load(&ep, 0), r1 = pml_qs8_rq8_load(&ep, 8);
                pml_qs8_store16(pml_qs8_requant8_mode(acc0, &r0, &rc, mode), pml_qs8_requant8_mode(acc1, &r1, &rc, mode),
                                ep0.out_u8, yp + c, (size_t)nc);
            }
        }
    }
}

#define DW_MODE(name, mode)                                                                                        \
    __attribute__((noinline)) static void name(const pml_conv_geom *g, const int8_t *x, const void *packed,        \
                                               uint8_t *y, int64_t row0, int64_t row1, const pml_qs8_epilogue *ep) { \
        dw_rows(g, x, packed, y, row0, row1, ep, mode);                                                           \
    }
DW_MODE(dw_float, PML_QS8_RQ_FLOAT)
DW_MODE(dw_small, PML_QS8_RQ_SMALL)
DW_MODE(dw_general, PML_QS8_RQ_GENERAL)

void pml_s8_dwconv__avx2(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                         int64_t row1, void *scratch) {
    if (g->kh * g->kw > MAX_TAPS) {
        pml_s8_dwconv__scalar(g, x, packed, y, row0, row1, scratch);
        return;
    }
    pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    /* the short rounding where the row layout (laid out whenever the geometry fits it) bounds
     * the accumulators: the depthwise header's own small_acc is never set */
    ep.small_acc = 0;
    if (pml_dwpairs_packed_bytes(g)) {
        const pml_dwpairs_packed *lay = (const pml_dwpairs_packed *)((const uint8_t *)packed + pml_dwpairs_offset(g));
        ep.small_acc = lay->ok && lay->small_acc;
    }
    const pml_qs8_rqc rc = pml_qs8_rqc_load(&ep);
    const int mode = pml_qs8_rq_mode(&rc);
    if (mode == PML_QS8_RQ_SMALL) dw_small(g, x, packed, y, row0, row1, &ep);
    else if (mode == PML_QS8_RQ_FLOAT) dw_float(g, x, packed, y, row0, row1, &ep);
    else dw_general(g, x, packed, y, row0, row1, &ep);
}
