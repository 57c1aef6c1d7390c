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
 * masked loads and stores (lanes past C read 0 and meet zero weights); a last block of at
 * most 16 channels (36, 48, 72, 80 channels) runs at ymm width, its even and odd sums
 * requantized together as one zmm. Padded taps read a vector of the input zero point (the
 * bias' holds -za * sum w'). More than MAX_TAPS taps: the AVX2 kernel.
 * Measured (docs/benchmarks.md): a second output pixel per step (eight chains) gained
 * nothing, so the kernel is throughput-bound, not latency-bound.
 */
#include <immintrin.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/matmul/s8_requant__avx512.h"

#define MAX_TAPS 64
#define BLOCK 32
#define ROWS_AT_ONCE_C 96

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

/* A border pixel's taps: the input pixel of each, NULL where it lies in the padding. */
static void border_taps(const pml_conv_geom *g, const int8_t *x_n, int64_t ih0, int64_t iw0, const int8_t **tap) {
    const int64_t C = g->cout;
    for (int64_t ki = 0, t = 0; ki < g->kh; ki++) {
        const int64_t ih = ih0 + ki * g->dh;
        const int row_ok = ih >= 0 && ih < g->h;
        for (int64_t kj = 0, iw = iw0; kj < g->kw; kj++, t++, iw += g->dw)
            tap[t] = row_ok && iw >= 0 && iw < g->w ? x_n + (ih * g->w + iw) * C : NULL;
    }
}

/* Stores the even (qe) and odd (qo) channels' requantized values (clamped to the output's
 * range: the low byte is the int8 or uint8 value) in channel order. */
static inline void store_block32(__m512i qe, __m512i qo, uint8_t *yp, int full, __mmask32 m) {
    const __m512i v = _mm512_or_si512(_mm512_and_si512(qe, _mm512_set1_epi32(0xFF)), _mm512_slli_epi32(qo, 8));
    const __m256i bytes = _mm512_cvtepi32_epi16(v);
    if (full) _mm256_storeu_si256((__m256i *)yp, bytes);
    else _mm256_mask_storeu_epi8(yp, m, bytes);
}

/* Rows [row0, row1) of the 32-channel block at c (nc = C - c > 16 channels of it). */
static void block32(const pml_conv_geom *g, const int8_t *x, const pml_qs8_epilogue *ep, int has_hi,
                    const __m512i *we, const __m512i *wo, const int64_t *toff, int64_t nc, uint8_t *y, int64_t c,
                    int64_t row0, int64_t row1, __m512i vza) {
    const int64_t C = g->cout, taps = g->kh * g->kw;
    const int full = nc == BLOCK;
    const __mmask32 m = full ? 0xFFFFFFFFu : (__mmask32)((1u << nc) - 1);
    const __m512i ie = even_index(), io = odd_index();
    const pml_qs8_rq16 re = rq_perm(ep, has_hi, ie), ro = rq_perm(ep, has_hi, io);
    const __m512i be = load_perm(ep->bias, has_hi, ie), bo = load_perm(ep->bias, has_hi, io);
    const int8_t *tap[MAX_TAPS];
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;
        const int rows_inside = ih0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->h;
        const int8_t *x_n = x + n * g->h * g->w * C + c;
        for (int64_t ow = 0; ow < g->ow; ow++) {
            const int64_t iw0 = ow * g->sw - g->pl;
            __m512i ae0 = be, ao0 = bo, ae1 = _mm512_setzero_si512(), ao1 = _mm512_setzero_si512();
            if (rows_inside && iw0 >= 0 && iw0 + (g->kw - 1) * g->dw < g->w) {
                const int8_t *base = x_n + (ih0 * g->w + iw0) * C;
                int64_t t = 0;
                for (; t + 1 < taps; t += 2) { /* even and odd taps: four independent chains */
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
            } else {
                border_taps(g, x_n, ih0, iw0, tap);
                for (int64_t t = 0; t < taps; t++) {
                    const __m512i xv = tap[t] ? load_x(tap[t], full, m) : vza;
                    ae0 = _mm512_dpwssd_epi32(ae0, xv, we[t]);
                    ao0 = _mm512_dpwssd_epi32(ao0, xv, wo[t]);
                }
            }
            store_block32(pml_qs8_requant16(_mm512_add_epi32(ae0, ae1), &re),
                          pml_qs8_requant16(_mm512_add_epi32(ao0, ao1), &ro), y + (row * g->ow + ow) * C + c, full, m);
        }
    }
}

/* The last nc <= 16 channels (at c): the 32-channel scheme at ymm width, the even and odd
 * channels' 8 sums requantized together as one zmm (parameters permuted alike). */
static void block16(const pml_conv_geom *g, const int8_t *x, const pml_qs8_epilogue *ep, const __m512i *we,
                    const __m512i *wo, const int64_t *toff, int64_t nc, uint8_t *y, int64_t c, int64_t row0,
                    int64_t row1, __m512i vza512) {
    const int64_t C = g->cout, taps = g->kh * g->kw;
    const __mmask16 m = (__mmask16)((1u << nc) - 1);
    const __m512i idx = _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0); /* even | odd */
    const pml_qs8_rq16 r = rq_perm(ep, 0, idx);
    const __m512i b = load_perm(ep->bias, 0, idx);
    const __m256i be = _mm512_castsi512_si256(b), bo = _mm512_extracti64x4_epi64(b, 1);
    const __m256i vza = _mm512_castsi512_si256(vza512);
    __m256i w16e[MAX_TAPS], w16o[MAX_TAPS];
    for (int64_t t = 0; t < taps; t++) w16e[t] = _mm512_castsi512_si256(we[t]), w16o[t] = _mm512_castsi512_si256(wo[t]);
    const int8_t *tap[MAX_TAPS];
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;
        const int rows_inside = ih0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->h;
        const int8_t *x_n = x + n * g->h * g->w * C + c;
        for (int64_t ow = 0; ow < g->ow; ow++) {
            const int64_t iw0 = ow * g->sw - g->pl;
            __m256i ae0 = be, ao0 = bo, ae1 = _mm256_setzero_si256(), ao1 = _mm256_setzero_si256();
            if (rows_inside && iw0 >= 0 && iw0 + (g->kw - 1) * g->dw < g->w) {
                const int8_t *base = x_n + (ih0 * g->w + iw0) * C;
                int64_t t = 0;
                for (; t + 1 < taps; t += 2) {
                    const __m256i x0 = _mm256_cvtepi8_epi16(_mm_maskz_loadu_epi8(m, base + toff[t]));
                    const __m256i x1 = _mm256_cvtepi8_epi16(_mm_maskz_loadu_epi8(m, base + toff[t + 1]));
                    ae0 = _mm256_dpwssd_epi32(ae0, x0, w16e[t]);
                    ao0 = _mm256_dpwssd_epi32(ao0, x0, w16o[t]);
                    ae1 = _mm256_dpwssd_epi32(ae1, x1, w16e[t + 1]);
                    ao1 = _mm256_dpwssd_epi32(ao1, x1, w16o[t + 1]);
                }
                if (t < taps) {
                    const __m256i x0 = _mm256_cvtepi8_epi16(_mm_maskz_loadu_epi8(m, base + toff[t]));
                    ae0 = _mm256_dpwssd_epi32(ae0, x0, w16e[t]);
                    ao0 = _mm256_dpwssd_epi32(ao0, x0, w16o[t]);
                }
            } else {
                border_taps(g, x_n, ih0, iw0, tap);
                for (int64_t t = 0; t < taps; t++) {
                    const __m256i xv = tap[t] ? _mm256_cvtepi8_epi16(_mm_maskz_loadu_epi8(m, tap[t])) : vza;
                    ae0 = _mm256_dpwssd_epi32(ae0, xv, w16e[t]);
                    ao0 = _mm256_dpwssd_epi32(ao0, xv, w16o[t]);
                }
            }
            const __m512i acc = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_add_epi32(ae0, ae1)),
                                                   _mm256_add_epi32(ao0, ao1), 1);
            const __m512i q = pml_qs8_requant16(acc, &r);
            const __m256i qe = _mm512_castsi512_si256(q), qo = _mm512_extracti64x4_epi64(q, 1);
            const __m256i v = _mm256_or_si256(_mm256_and_si256(qe, _mm256_set1_epi32(0xFF)), _mm256_slli_epi32(qo, 8));
            _mm_mask_storeu_epi8(y + (row * g->ow + ow) * C + c, m, _mm256_cvtepi32_epi16(v));
        }
    }
}

void pml_s8_dwconv__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                               int64_t row1, void *scratch) {
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = g->cout, taps = g->kh * g->kw, pairs = h->kp / 2, n_pad = h->n_pad;
    /* along the rows, 4 taps per vpdpbusd, wherever its layout was packed (docs/benchmarks.md) */
    if (pml_s8_dwconv_rows__avx512vnni(g, x, packed, y, row0, row1, scratch)) return;
    if (taps > MAX_TAPS) {
        pml_s8_dwconv__avx2(g, x, packed, y, row0, row1, scratch);
        return;
    }
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep0 = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    const __m512i vza = _mm512_set1_epi16((int16_t)h->a_zero_point);
    __m512i we[MAX_TAPS], wo[MAX_TAPS];
    int64_t toff[MAX_TAPS]; /* an interior pixel's taps: offsets from its window's corner */
    for (int64_t t = 0; t < taps; t++) toff[t] = ((t / g->kw) * g->dh * g->w + (t % g->kw) * g->dw) * C;
    /* Block by block over the rows, a block's expanded weights and parameters staying put. Up
     * to ROWS_AT_ONCE_C channels over all the rows at once; wider layers one output row at a
     * time (re-expanding), so that the row's input window stays in L1 across the blocks:
     * sweeping the whole input once per 32 of 128+ channels measured up to 1.6x slower. */
    for (int64_t r0 = row0; r0 < row1;) {
        const int64_t r1 = C <= ROWS_AT_ONCE_C ? row1 : r0 + 1;
        for (int64_t c = 0; c < C; c += BLOCK) {
            const int64_t nc = C - c < BLOCK ? C - c : BLOCK;
            const int has_hi = c + 16 < n_pad;
            expand_weights(w, pairs, c, has_hi, taps, we, wo);
            const pml_qs8_epilogue ep = pml_qs8_epilogue_at(&ep0, c);
            if (nc > 16) block32(g, x, &ep, has_hi, we, wo, toff, nc, y, c, r0, r1, vza);
            else block16(g, x, &ep, we, wo, toff, nc, y, c, r0, r1, vza);
        }
        r0 = r1;
    }
}
