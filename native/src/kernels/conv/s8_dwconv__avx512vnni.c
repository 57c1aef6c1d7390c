/*
 * kernels/conv/s8_dwconv__avx512vnni.c — the int8 depthwise conv in AVX-512 VNNI, exact: 32
 * channels per step, one tap at a time, no byte interleaving.
 *
 * A tap's 32 input bytes are sign-extended to 32 int16 (vpmovsxbw zmm) in channel order; the
 * int16 pairs vpdpwssd sums are then (channel 2i, channel 2i+1), so two accumulators take
 * them apart: the "even" one multiplies by (w'[2i], 0) and collects channels 0, 2, ..., 30,
 * the "odd" one by (0, w'[2i+1]). One sign extension and two vpdpwssd per 32 MACs, where the
 * AVX2 kernel interleaves tap pairs (two unpacks and a widening per 32 MACs) before its
 * vpmaddwd/vpaddd. |x * w'| <= 128 * 255 and one product of each pair is 0: nothing saturates.
 * Even taps and odd taps go to separate accumulator pairs (four independent vpdpwssd chains).
 * The requantization runs on the even and odd lanes as they are, with the per-channel
 * parameters permuted the same way once per block, and the two byte sets are merged into
 * channel order by (even & 0xff) | odd << 8 and one vpmovdw.
 *
 * Weights come packed by pml_qs8_dwconv_pack (the AVX2 kernel's tap-pair layout); each call
 * expands a 32-channel block's taps into the (w', 0) / (0, w') vectors on the stack before
 * running its rows, so the packing stays shared by every configuration. Channel tails are
 * masked loads and stores (lanes past C read 0 and meet zero weights); padded taps read a
 * vector of the input zero point (the bias' holds -za * sum w'). More than MAX_TAPS taps: the
 * AVX2 kernel.
 */
#include <immintrin.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/matmul/s8_requant__avx512.h"

#define MAX_TAPS 64
#define BLOCK 32

/* Lanes 0..15 of a permutation over (lo, hi): the even and odd dwords of 32. */
static inline __m512i even_index(void) {
    return _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
}
static inline __m512i odd_index(void) {
    return _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
}

/* 32 per-channel int32 parameters from p (the second 16 only when the padded array has them:
 * n_pad is a multiple of 16), permuted by idx. */
static inline __m512i load_perm(const int32_t *p, int has_hi, __m512i idx) {
    const __m512i lo = _mm512_loadu_si512((const void *)p);
    const __m512i hi = has_hi ? _mm512_loadu_si512((const void *)(p + 16)) : _mm512_setzero_si512();
    return _mm512_permutex2var_epi32(lo, idx, hi);
}

/* The requantization parameters of the even (idx even) or odd channels of a block. */
static inline pml_qs8_rq16 rq_perm(const pml_qs8_epilogue *ep, int has_hi, __m512i idx) {
    pml_qs8_rq16 r = pml_qs8_rq16_load(ep); /* the scalars; the per-channel vectors are replaced */
    r.mult = load_perm(ep->multiplier, has_hi, idx);
    r.mult_odd = _mm512_srli_epi64(r.mult, 32);
    r.lsh = load_perm(ep->lshift, has_hi, idx);
    r.rsh = load_perm(ep->rshift, has_hi, idx);
    r.mask = load_perm(ep->rmask, has_hi, idx);
    r.thr = load_perm(ep->rhalf, has_hi, idx);
    r.scale = _mm512_castsi512_ps(load_perm((const int32_t *)ep->scale, has_hi, idx));
    return r;
}

/* Tap t of the block at channel c: we[t] = (w'[2i], 0), wo[t] = (0, w'[2i+1]) per dword i. */
static void expand_weights(const int16_t *w, int64_t pairs, int64_t c, int has_hi, int64_t taps, __m512i *we,
                           __m512i *wo) {
    const __m512i ie = even_index(), io = odd_index(), low16 = _mm512_set1_epi32(0xFFFF);
    for (int64_t t = 0; t < taps; t++) {
        const int16_t *p = w + ((c / 16) * pairs + t / 2) * 32; /* dword j: (w'[j][2q], w'[j][2q+1]) */
        const __m512i p0 = _mm512_loadu_si512((const void *)p);
        const __m512i p1 = has_hi ? _mm512_loadu_si512((const void *)(p + pairs * 32)) : _mm512_setzero_si512();
        const __m512i e = _mm512_permutex2var_epi32(p0, ie, p1), o = _mm512_permutex2var_epi32(p0, io, p1);
        if (t % 2 == 0) {
            we[t] = _mm512_and_si512(e, low16);
            wo[t] = _mm512_slli_epi32(o, 16);
        } else {
            we[t] = _mm512_srli_epi32(e, 16);
            wo[t] = _mm512_andnot_si512(low16, o);
        }
    }
}

/* 32 (or the masked first few) channels of one tap, sign-extended to int16. */
static inline __m512i load_x(const int8_t *p, int full, __mmask32 m) {
    return _mm512_cvtepi8_epi16(full ? _mm256_loadu_si256((const __m256i *)p) : _mm256_maskz_loadu_epi8(m, p));
}

void pml_s8_dwconv__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                               int64_t row1) {
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = g->cout, taps = g->kh * g->kw, pairs = h->kp / 2, n_pad = h->n_pad;
    if (taps > MAX_TAPS) {
        pml_s8_dwconv__avx2(g, x, packed, y, row0, row1);
        return;
    }
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep0 = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    const __m512i vza = _mm512_set1_epi16((int16_t)h->a_zero_point), ie = even_index(), io = odd_index();
    const __m512i low8 = _mm512_set1_epi32(0xFF);
    __m512i we[MAX_TAPS], wo[MAX_TAPS];
    const int8_t *tap[MAX_TAPS];
    int64_t toff[MAX_TAPS]; /* an interior pixel's taps: offsets from its window's corner */
    for (int64_t t = 0; t < taps; t++) toff[t] = ((t / g->kw) * g->dh * g->w + (t % g->kw) * g->dw) * C;
    for (int64_t c = 0; c < C; c += BLOCK) {
        const int64_t nc = C - c < BLOCK ? C - c : BLOCK;
        const int full = nc == BLOCK, has_hi = c + 16 < n_pad;
        const __mmask32 m = full ? 0xFFFFFFFFu : (__mmask32)((1u << nc) - 1);
        expand_weights(w, pairs, c, has_hi, taps, we, wo);
        const pml_qs8_epilogue ep = pml_qs8_epilogue_at(&ep0, c);
        const pml_qs8_rq16 re = rq_perm(&ep, has_hi, ie), ro = rq_perm(&ep, has_hi, io);
        const __m512i be = load_perm(ep.bias, has_hi, ie), bo = load_perm(ep.bias, has_hi, io);
        for (int64_t row = row0; row < row1; row++) {
            const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;
            const int rows_inside = ih0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->h;
            for (int64_t ow = 0; ow < g->ow; ow++) {
                const int64_t iw0 = ow * g->sw - g->pl;
                const int interior = rows_inside && iw0 >= 0 && iw0 + (g->kw - 1) * g->dw < g->w;
                __m512i ae0 = be, ao0 = bo, ae1 = _mm512_setzero_si512(), ao1 = _mm512_setzero_si512();
                if (interior) {
                    const int8_t *base = x + ((n * g->h + ih0) * g->w + iw0) * C + c;
                    int64_t t = 0;
                    for (; t + 1 < taps; t += 2) {
                        const __m512i x0 = load_x(base + toff[t], full, m), x1 = load_x(base + toff[t + 1], full, m);
                        ae0 = _mm512_dpwssd_epi32(ae0, x0, we[t]);
                        ao0 = _mm512_dpwssd_epi32(ao0, x0, wo[t]);
                        ae1 = _mm512_dpwssd_epi32(ae1, x1, we[t + 1]);
                        ao1 = _mm512_dpwssd_epi32(ao1, x1, wo[t + 1]);
                    }
                    if (t < taps) {
                        const __m512i x0 = load_x(base + toff[t], full, m);
                        ae0 = _mm512_dpwssd_epi32(ae0, x0, we[t]);
                        ao0 = _mm512_dpwssd_epi32(ao0, x0, wo[t]);
                    }
                } else { /* the border: taps outside the image read the zero point */
                    for (int64_t t = 0; t < taps; t++) {
                        const int64_t ih = ih0 + t / g->kw * g->dh, iw = iw0 + t % g->kw * g->dw;
                        tap[t] = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w ? x + ((n * g->h + ih) * g->w + iw) * C + c
                                                                               : NULL;
                    }
                    for (int64_t t = 0; t < taps; t++) {
                        const __m512i xv = tap[t] ? load_x(tap[t], full, m) : vza;
                        ae0 = _mm512_dpwssd_epi32(ae0, xv, we[t]);
                        ao0 = _mm512_dpwssd_epi32(ao0, xv, wo[t]);
                    }
                }
                const __m512i qe = pml_qs8_requant16(_mm512_add_epi32(ae0, ae1), &re);
                const __m512i qo = pml_qs8_requant16(_mm512_add_epi32(ao0, ao1), &ro);
                /* clamped to the output's range: the low byte is the int8 or uint8 value */
                const __m256i bytes =
                    _mm512_cvtepi32_epi16(_mm512_or_si512(_mm512_and_si512(qe, low8), _mm512_slli_epi32(qo, 8)));
                uint8_t *yp = y + (row * g->ow + ow) * C + c;
                if (full) _mm256_storeu_si256((__m256i *)yp, bytes);
                else _mm256_mask_storeu_epi8(yp, m, bytes);
            }
        }
    }
}
