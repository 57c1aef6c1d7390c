/*
 * kernels/conv/s8_dwconv_rows__avx512vnni.c — the int8 depthwise conv in AVX-512 VNNI
 * vectorised along an output row's (pixel, channel) bytes rather than along channels, four
 * taps per vpdpbusd, exact; for any channel count up to 1024 whose rows fit its buffers.
 *
 * With stride 1 the bytes an output row reads at one tap are one contiguous run of its
 * input row (shifted by the tap's column), and the output row itself is contiguous: any 16
 * consecutive output bytes q..q+15 (channel (q + i) mod C) take 16 consecutive input bytes
 * per tap, so every lane does useful work whatever C is (24 channels filled 24 of 32 lanes in
 * the channel-vectorised kernel). The weight vector of a chunk depends only on q mod C: the
 * per-channel weights and requantization parameters are laid out at pack time for channels
 * 0..C-1 followed by 0..15 again (kernels/conv/s8_dwconv_rows.h), and a chunk loads them at
 * q mod C.
 *
 * vpdpbusd wants the 4 bytes it sums adjacent: each padded input row is rewritten once
 * (when it enters a ring of the kernel-height rows in use) as quads (P[p], P[p+S], P[p+2S],
 * P[p+3S]) of four consecutive taps of a kernel row (S = C, or dilation * C), flipped to
 * uint8 (x ^ 0x80, the bias holding -128 * sum w). The interleave then costs one pass per
 * input row instead of one per tap use, and the inner loop is a load and a vpdpbusd per tap
 * quad. Padding is written into the padded rows as the input zero point, so there are no
 * border cases. Stride s > 1 (dilation 1) splits each padded row into s phase lines (pixels
 * j = s*k + phase), which makes a tap's reads contiguous again; with stride 2 a quad takes
 * 4 consecutive taps from the two phases (a 3x3 stride-2 kernel row is one vpdpbusd, not
 * two), other strides a quad per phase (kernels/conv/s8_dwconv_rows.h). The ring, the phase
 * lines and their tags live in the caller's scratch (pml_dwrows_scratch_bytes), not on the
 * stack: an embedding program's threads may have small stacks. A uint8 x (the layout's x_u8)
 * is read as it is, without the op's flip to int8 and this kernel's flip back.
 *
 * Taken when the packing laid the weights out (w' = w - zw all fit int8: TFLite/ONNX int8
 * weights have zw = 0; the geometry fits the fixed buffers); otherwise
 * pml_s8_dwconv_rows__avx512vnni returns 0 and the caller runs the channel-vectorised kernel.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/conv/s8_dwconv_rows.h"
#include "kernels/matmul/s8_requant__avx512.h"

#define MAX_KH PML_DWROWS_MAX_KH
#define EXT PML_DWROWS_EXT

typedef pml_dwrows_plan rows_plan;

/* n bytes from src to dst, flipped to uint8 (x ^ flip: 0x80 for an int8 x, 0 for a uint8 one). */
static inline void copy_flip(uint8_t *dst, const int8_t *src, int64_t n, __m512i flip) {
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512((void *)(dst + i), _mm512_xor_si512(_mm512_loadu_si512((const void *)(src + i)), flip));
    if (i < n) {
        const __mmask64 m = _cvtu64_mask64(~0ull >> (64 - (n - i)));
        _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
    }
}

/* Phase line ph of input row xr (NULL: a padding row) for the output columns from ow0 on:
 * pixel k is padded column j = s*(ow0 + k) + ph, input column j - pl. */
static void build_phase(const pml_conv_geom *g, const rows_plan *p, const int8_t *xr, int64_t ph, int64_t ow0,
                        int64_t c_lo, int64_t c_w, uint8_t pad, __m512i flip, uint8_t *line) {
    const int64_t C = p->C, s = p->s;
    int64_t k_first = (g->pl - ph + s - 1) / s - ow0, k_end = (g->pl + g->w - ph + s - 1) / s - ow0;
    if (k_first < 0) k_first = 0;
    if (k_first > p->line_px) k_first = p->line_px;
    if (k_end > p->line_px) k_end = p->line_px;
    if (k_end < k_first) k_end = k_first;
    memset(line, pad, (size_t)(k_first * C));
    if (c_w < C) /* a channel window: its bytes of each pixel */
        for (int64_t k = k_first; k < k_end; k++)
            copy_flip(line + k * C + c_lo, xr + ((ow0 + k) * s + ph - g->pl) * C + c_lo, c_w, flip);
    else if (s == 1) copy_flip(line + k_first * C, xr + (ow0 + k_first - g->pl) * C, (k_end - k_first) * C, flip);
    else
        for (int64_t k = k_first; k < k_end; k++)
            copy_flip(line + k * C, xr + ((ow0 + k) * s + ph - g->pl) * C, C, flip);
    memset(line + k_end * C, pad, (size_t)((p->line_px - k_end) * C + 64));
}

/* Quad line iq (nq positions of 4 bytes): position q holds (a[q], b[q], c[q], d[q]). */
static void interleave4(const uint8_t *a, const uint8_t *b, const uint8_t *c, const uint8_t *d, int64_t nq,
                        uint8_t *iq) {
    int64_t q = 0;
    for (; q + 64 <= nq; q += 64) { /* the 4 x 4 transpose below, then a 4 x 4 of 128-bit lanes */
        const __m512i va = _mm512_loadu_si512((const void *)(a + q));
        const __m512i vb = _mm512_loadu_si512((const void *)(b + q));
        const __m512i vc = _mm512_loadu_si512((const void *)(c + q));
        const __m512i vd = _mm512_loadu_si512((const void *)(d + q));
        const __m512i ab0 = _mm512_unpacklo_epi8(va, vb), ab1 = _mm512_unpackhi_epi8(va, vb);
        const __m512i cd0 = _mm512_unpacklo_epi8(vc, vd), cd1 = _mm512_unpackhi_epi8(vc, vd);
        /* lane L of qk: the quads of positions 16L + 4k .. 16L + 4k + 3 */
        const __m512i q0 = _mm512_unpacklo_epi16(ab0, cd0), q1 = _mm512_unpackhi_epi16(ab0, cd0);
        const __m512i q2 = _mm512_unpacklo_epi16(ab1, cd1), q3 = _mm512_unpackhi_epi16(ab1, cd1);
        const __m512i t0 = _mm512_shuffle_i32x4(q0, q1, 0x44), t1 = _mm512_shuffle_i32x4(q2, q3, 0x44);
        const __m512i t2 = _mm512_shuffle_i32x4(q0, q1, 0xEE), t3 = _mm512_shuffle_i32x4(q2, q3, 0xEE);
        __m512i *o = (__m512i *)(iq + q * 4);
        _mm512_storeu_si512((void *)o, _mm512_shuffle_i32x4(t0, t1, 0x88));
        _mm512_storeu_si512((void *)(o + 1), _mm512_shuffle_i32x4(t0, t1, 0xDD));
        _mm512_storeu_si512((void *)(o + 2), _mm512_shuffle_i32x4(t2, t3, 0x88));
        _mm512_storeu_si512((void *)(o + 3), _mm512_shuffle_i32x4(t2, t3, 0xDD));
    }
    for (; q < nq; q += 16) {
        const __m128i va = _mm_loadu_si128((const __m128i *)(a + q)), vb = _mm_loadu_si128((const __m128i *)(b + q));
        const __m128i vc = _mm_loadu_si128((const __m128i *)(c + q)), vd = _mm_loadu_si128((const __m128i *)(d + q));
        const __m128i ab0 = _mm_unpacklo_epi8(va, vb), ab1 = _mm_unpackhi_epi8(va, vb);
        const __m128i cd0 = _mm_unpacklo_epi8(vc, vd), cd1 = _mm_unpackhi_epi8(vc, vd);
        __m128i *o = (__m128i *)(iq + q * 4);
        _mm_storeu_si128(o, _mm_unpacklo_epi16(ab0, cd0));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab0, cd0));
        _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab1, cd1));
        _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab1, cd1));
    }
}

/* Padded row ih (image n) for the output columns from ow0 on as its quad lines at iq (each
 * nq positions of 4 bytes), via its phase lines at lines (each line_bytes apart). */
__attribute__((noinline)) static void build_row(const pml_conv_geom *g, const rows_plan *p, const int8_t *x, int64_t n,
                                                int64_t ih, int64_t ow0, int64_t c_lo, int64_t c_w, uint8_t pad,
                                                __m512i flip, uint8_t *lines, int64_t line_bytes, uint8_t *iq) {
    const int64_t qbytes = p->nq * 4;
    if (ih < 0 || ih >= g->h) { /* a padding row: every quad is the zero point */
        memset(iq, pad, (size_t)(p->lines * qbytes));
        return;
    }
    const int8_t *xr = x + (n * g->h + ih) * g->w * p->C;
    for (int64_t ph = 0; ph < p->s; ph++)
        build_phase(g, p, xr, ph, ow0, c_lo, c_w, pad, flip, lines + ph * line_bytes);
    for (int64_t i = 0; i < p->lines; i++) {
        const pml_dwrows_src *sr = &p->src[i];
        const uint8_t *src[4];
        for (int l = 0; l < 4; l++) src[l] = lines + sr->phase[l] * line_bytes + sr->offset[l];
        if (c_w == p->C) {
            interleave4(src[0], src[1], src[2], src[3], p->nq, iq + i * qbytes);
            continue;
        }
        /* a channel window (C, c_lo, c_w multiples of 16): only its positions, pixel by pixel
         * (a quad position keeps its channel: the lanes are whole pixels apart) */
        for (int64_t q = c_lo; q < p->nq; q += p->C) {
            const int64_t m = p->nq - q < c_w ? p->nq - q : c_w;
            interleave4(src[0] + q, src[1] + q, src[2] + q, src[3] + q, m, iq + i * qbytes + q * 4);
        }
    }
}

/* An output row's tap quads, kernel row by kernel row: where each reads its quad line (at
 * output byte 0) and its weights (at channel 0). */
typedef struct row_taps {
    int64_t n;
    const uint8_t *x[MAX_KH * PML_DWROWS_MAX_QUADS];
    const int32_t *w[MAX_KH * PML_DWROWS_MAX_QUADS];
} row_taps;

/* ---- requantization ----------------------------------------------------------------------
 * Where the layout's fast_rq is set (PML_QS8_FLOOR64_*, checked at pack time as the GEMM's),
 * TFLite's double rounding plus the zero point is one int64 floor per output,
 * pml_qs8_requant16_floor_unclamped (s8_requant__avx512.h derives it), its constants cycling
 * over the channels (pml_qs8_floor64_cycling). Four chunks then narrow together: two
 * vpackssdw and a saturating byte pack (every saturation is monotone, so clamping the bytes
 * after it gives the bytes the int32 clamp would), one byte clamp, a dword transpose and four
 * 16-byte stores. */

typedef struct chunk_rq {
    pml_qs8_rq16 g; /* the general path's (fast_rq 0) */
    pml_qs8_rq64 f; /* the one-step path's (its clamp unused: the bytes are clamped) */
    __m512i bmin, bmax;
} chunk_rq;

enum { RQ_GENERAL = PML_QS8_FLOOR64_NONE, RQ_RELU = PML_QS8_FLOOR64_RELU, RQ_SIGNED = PML_QS8_FLOOR64_SIGNED };

/* The requantization parameters of the 16 channels from c0 on (the layout's arrays). */
static inline __attribute__((always_inline)) chunk_rq rq_load(int kind, const pml_qs8_epilogue *ep,
                                                              const int64_t *rq, int64_t np, int64_t c0) {
    chunk_rq r;
    if (kind == RQ_GENERAL) {
        const pml_qs8_epilogue e = pml_qs8_epilogue_at(ep, c0);
        r.g = pml_qs8_rq16_load(&e);
    } else {
        pml_qs8_rq64_load_cycling(&r.f, ep->multiplier, rq, np, c0);
    }
    r.bmin = _mm512_set1_epi8((char)ep->qmin);
    r.bmax = _mm512_set1_epi8((char)ep->qmax);
    return r;
}

/* The 16 requantized values + zp, not yet clamped (the general path's may wrap, as
 * pml_add_zero_point does). */
static inline __attribute__((always_inline)) __m512i rq_apply(int kind, __m512i acc, const chunk_rq *r) {
    if (kind == RQ_GENERAL) return pml_qs8_requant16_unclamped(acc, &r->g);
    return pml_qs8_requant16_floor_unclamped(acc, &r->f, kind == RQ_SIGNED);
}

/* Four chunks' values (rq_apply) narrowed, clamped and stored, 16 bytes each at y0..y3. */
static inline void store4(__m512i v0, __m512i v1, __m512i v2, __m512i v3, const chunk_rq *r, int out_u8,
                          uint8_t *y0, uint8_t *y1, uint8_t *y2, uint8_t *y3) {
    const __m512i w01 = _mm512_packs_epi32(v0, v1), w23 = _mm512_packs_epi32(v2, v3);
    __m512i b; /* dword 4L + k: chunk k's values 4L .. 4L + 3 */
    if (out_u8) b = _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(w01, w23), r->bmin), r->bmax);
    else b = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), r->bmin), r->bmax);
    b = _mm512_permutexvar_epi32(_mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0), b);
    _mm_storeu_si128((__m128i *)y0, _mm512_castsi512_si128(b));
    _mm_storeu_si128((__m128i *)y1, _mm512_extracti32x4_epi32(b, 1));
    _mm_storeu_si128((__m128i *)y2, _mm512_extracti32x4_epi32(b, 2));
    _mm_storeu_si128((__m128i *)y3, _mm512_extracti32x4_epi32(b, 3));
}

/* One chunk's values clamped and stored (its first n <= 16 bytes). */
static inline void store1(__m512i v, const pml_qs8_epilogue *ep, uint8_t *y, int64_t n) {
    v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(ep->qmin)), _mm512_set1_epi32(ep->qmax));
    pml_qs8_store16_512(v, y, (size_t)(n < 16 ? n : 16));
}

/* The requantization's arrays, as the chunks read them. */
typedef struct row_rq {
    const pml_qs8_epilogue *ep;
    const int64_t *rq; /* the int64 arrays (fast_rq) */
    int64_t np;        /* their entries per parity */
} row_rq;

/* Four chunks of one channel phase c0, at q, q + period, q + 2 period, q + 3 period (all whole):
 * the weights and the requantization parameters loaded once for the four, a vpdpbusd chain each. */
static inline __attribute__((always_inline)) void same_phase4(int kind, const row_taps *rt, const int32_t *bias,
                                                              const row_rq *rr, uint8_t *yr, int64_t q,
                                                              int64_t period, int64_t c0) {
    __m512i a0 = _mm512_loadu_si512((const void *)(bias + c0)), a1 = a0, a2 = a0, a3 = a0;
    const int64_t p4 = period * 4;
    for (int64_t j = 0; j < rt->n; j++) {
        const uint8_t *xp = rt->x[j] + q * 4;
        const __m512i w = _mm512_loadu_si512((const void *)(rt->w[j] + c0));
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)xp), w);
        a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512((const void *)(xp + p4)), w);
        a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512((const void *)(xp + 2 * p4)), w);
        a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512((const void *)(xp + 3 * p4)), w);
    }
    const chunk_rq r = rq_load(kind, rr->ep, rr->rq, rr->np, c0);
    store4(rq_apply(kind, a0, &r), rq_apply(kind, a1, &r), rq_apply(kind, a2, &r), rq_apply(kind, a3, &r), &r,
           rr->ep->out_u8, yr + q, yr + q + period, yr + q + 2 * period, yr + q + 3 * period);
}

/* One chunk (the row's last phases, fewer than four periods left). */
static inline __attribute__((always_inline)) void one_chunk(int kind, const row_taps *rt, const int32_t *bias,
                                                            const row_rq *rr, uint8_t *yr, int64_t q, int64_t c0,
                                                            int64_t owc) {
    __m512i a0 = _mm512_loadu_si512((const void *)(bias + c0)), a1 = _mm512_setzero_si512();
    int64_t j = 0;
    for (; j + 1 < rt->n; j += 2) { /* two chains */
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)(rt->x[j] + q * 4)),
                                 _mm512_loadu_si512((const void *)(rt->w[j] + c0)));
        a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512((const void *)(rt->x[j + 1] + q * 4)),
                                 _mm512_loadu_si512((const void *)(rt->w[j + 1] + c0)));
    }
    if (j < rt->n)
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)(rt->x[j] + q * 4)),
                                 _mm512_loadu_si512((const void *)(rt->w[j] + c0)));
    const chunk_rq r = rq_load(kind, rr->ep, rr->rq, rr->np, c0);
    store1(rq_apply(kind, _mm512_add_epi32(a0, a1), &r), rr->ep, yr + q, owc - q);
}

/* One output row: blocks of 4 periods of the channel phases (period = lcm(C, 16) bytes), each
 * phase's 4 chunks together; what is left of the row chunk by chunk. */
static inline __attribute__((always_inline)) void run_row_kind(int kind, const rows_plan *p, const row_taps *rt,
                                                               const int32_t *bias, const row_rq *rr, uint8_t *yr,
                                                               int64_t owc) {
    const int64_t C = p->C, period = p->period;
    int64_t q0 = 0;
    for (; q0 + 4 * period <= owc; q0 += 4 * period) /* each phase's 4 chunks in the row */
        for (int64_t q = q0, c0 = 0; q < q0 + period; q += 16) {
            same_phase4(kind, rt, bias, rr, yr, q, period, c0);
            c0 += 16;
            while (c0 >= C) c0 -= C;
        }
    for (int64_t q = q0, c0 = 0; q < owc; q += 16) {
        one_chunk(kind, rt, bias, rr, yr, q, c0, owc);
        c0 += 16;
        while (c0 >= C) c0 -= C;
    }
}

/* One output row's channels [c_lo, c_lo + c_w) (C a multiple of 16, period = C: a chunk is 16
 * channels of one pixel): each channel block's chunks 4 pixels at a time. */
static inline __attribute__((always_inline)) void run_row_window_kind(int kind, const rows_plan *p, const row_taps *rt,
                                                                      const int32_t *bias, const row_rq *rr,
                                                                      uint8_t *yr, int64_t owc, int64_t c_lo,
                                                                      int64_t c_w) {
    const int64_t C = p->C;
    int64_t q0 = 0;
    for (; q0 + 4 * C <= owc; q0 += 4 * C)
        for (int64_t c0 = c_lo; c0 < c_lo + c_w; c0 += 16) same_phase4(kind, rt, bias, rr, yr, q0 + c0, C, c0);
    for (; q0 < owc; q0 += C)
        for (int64_t c0 = c_lo; c0 < c_lo + c_w; c0 += 16) one_chunk(kind, rt, bias, rr, yr, q0 + c0, c0, owc);
}

static void run_row(int kind, const rows_plan *p, const row_taps *rt, const int32_t *bias, const row_rq *rr,
                    uint8_t *yr, int64_t owc, int64_t c_lo, int64_t c_w) {
    if (c_w < p->C) {
        if (kind == RQ_RELU) run_row_window_kind(RQ_RELU, p, rt, bias, rr, yr, owc, c_lo, c_w);
        else if (kind == RQ_SIGNED) run_row_window_kind(RQ_SIGNED, p, rt, bias, rr, yr, owc, c_lo, c_w);
        else run_row_window_kind(RQ_GENERAL, p, rt, bias, rr, yr, owc, c_lo, c_w);
    } else if (kind == RQ_RELU) run_row_kind(RQ_RELU, p, rt, bias, rr, yr, owc);
    else if (kind == RQ_SIGNED) run_row_kind(RQ_SIGNED, p, rt, bias, rr, yr, owc);
    else run_row_kind(RQ_GENERAL, p, rt, bias, rr, yr, owc);
}

/* Rows [row0, row1), channels [c_lo, c_lo + c_w) (all of them, or a window of whole 16-channel
 * blocks when C is a multiple of 16). */
static int run_rows(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                    int64_t row1, int64_t c_lo, int64_t c_w, void *scratch) {
    if (!pml_dwrows_packed_bytes(g)) return 0;
    const pml_dwrows_packed *lay = (const pml_dwrows_packed *)((const uint8_t *)packed + pml_dwrows_offset(g));
    if (!lay->ok) return 0;
    const rows_plan p = lay->plan;
    const int64_t ext = p.C + EXT;
    const int32_t *a = (const int32_t *)((const uint8_t *)lay + pml_dwrows_arrays_offset());
    pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    ep.bias = a, ep.multiplier = a + ext, ep.lshift = a + 2 * ext, ep.rshift = a + 3 * ext;
    ep.rmask = a + 4 * ext, ep.rhalf = a + 5 * ext, ep.scale = (const float *)(a + 6 * ext);
    ep.small_acc = (int32_t)lay->small_acc; /* the layout's own bound (its bias'' and u8 x s8 products) */
    const row_rq rr = {&ep, (const int64_t *)((const uint8_t *)a + pml_dwrows_rq64_offset(&p, g->kh)),
                       pml_dwrows_rq64_entries(&p)};
    const int kind = (int)lay->fast_rq;
    const uint8_t pad = (uint8_t)(pml_qs8_header(packed)->a_zero_point ^ 0x80);
    const __m512i flip = _mm512_set1_epi8(lay->x_u8 ? 0 : (char)0x80);
    /* scratch (pml_dwrows_scratch_bytes): the ring of quad lines, the phase lines, the tags */
    const int64_t qbytes = p.nq * 4, slot_bytes = p.lines * qbytes, line_bytes = p.line_px * p.C + 64;
    uint8_t *ring = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    uint8_t *lines = ring + (p.slots * slot_bytes + 63) / 64 * 64;
    int64_t *tag = (int64_t *)(lines + (p.s * line_bytes + 63) / 64 * 64); /* the padded row (image * rows + row)
                                                                            each ring slot holds, -1: none */
    const int64_t hp = g->h + g->pt + g->pb + g->kh * g->dh; /* any bound on padded rows */
    row_taps rt;
    rt.n = g->kh * p.quads;
    for (int64_t j = 0; j < rt.n; j++) rt.w[j] = a + (7 + j) * ext;
    /* column segments of seg_ow output pixels (the whole row unless it overflows the ring),
     * each over all the rows */
    for (int64_t ow0 = 0; ow0 < g->ow; ow0 += p.seg_ow) {
        const int64_t owc = (g->ow - ow0 < p.seg_ow ? g->ow - ow0 : p.seg_ow) * p.C;
        for (int64_t i = 0; i < p.slots; i++) tag[i] = -1;
        for (int64_t row = row0; row < row1; row++) {
            const int64_t n = row / g->oh, oh = row % g->oh;
            for (int64_t kh = 0; kh < g->kh; kh++) {
                const int64_t r = oh * g->sh + kh * g->dh, slot = r % p.slots; /* padded row r: input row r - pt */
                uint8_t *base = ring + slot * slot_bytes;
                if (tag[slot] != n * hp + r) {
                    build_row(g, &p, x, n, r - g->pt, ow0, c_lo, c_w, pad, flip, lines, line_bytes, base);
                    tag[slot] = n * hp + r;
                }
                for (int64_t t = 0; t < p.quads; t++)
                    rt.x[kh * p.quads + t] = base + p.quad[t].line * qbytes + p.quad[t].offset * 4;
            }
            run_row(kind, &p, &rt, a, &rr, y + (row * g->ow + ow0) * p.C, owc, c_lo, c_w);
        }
    }
    return 1;
}

int pml_s8_dwconv_rows__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                   int64_t row0, int64_t row1, void *scratch) {
    return run_rows(g, x, packed, y, row0, row1, 0, g->cout, scratch);
}

int pml_s8_dwconv_rows_cols__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                        int64_t row0, int64_t row1, int64_t c0, int64_t c1, void *scratch) {
    if (g->cout % 16 || c0 % 16 || (c1 % 16 && c1 != g->cout) || c0 < 0 || c1 > g->cout || c0 >= c1) return 0;
    return run_rows(g, x, packed, y, row0, row1, c0, c1 - c0, scratch);
}
