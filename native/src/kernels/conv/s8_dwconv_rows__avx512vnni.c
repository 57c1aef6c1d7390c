/*
 * kernels/conv/s8_dwconv_rows__avx512vnni.c — the int8 depthwise conv for small and odd
 * channel counts in AVX-512 VNNI: vectorised along an output row's (pixel, channel) bytes
 * rather than along channels, four taps per vpdpbusd, exact.
 *
 * With stride 1 the bytes an output row reads at one tap are one contiguous run of its
 * input row (shifted by the tap's column), and the output row itself is contiguous: any 16
 * consecutive output bytes q..q+15 (channel (q + i) mod C) take 16 consecutive input bytes
 * per tap, so every lane does useful work whatever C is (24 channels filled 24 of 32 lanes in
 * the channel-vectorised kernel). The weight vector of a chunk depends only on q mod C: the
 * per-channel weights and requantization parameters are laid out once per call for
 * channels 0..C-1 followed by 0..15 again, and a chunk loads them at q mod C.
 *
 * vpdpbusd wants the 4 bytes it sums adjacent: each padded input row is rewritten once
 * (when it enters a ring of the kernel-height rows in use) as quads (P[p], P[p+S], P[p+2S],
 * P[p+3S]) of four consecutive taps of a kernel row (S = C, or dilation * C), flipped to
 * uint8 (x ^ 0x80, the bias holding -128 * sum w). The interleave then costs one pass per
 * input row instead of one per tap use, and the inner loop is a load and a vpdpbusd per tap
 * quad. Padding is written into the padded rows as the input zero point, so there are no
 * border cases. Stride s > 1 (dilation 1) splits each padded row into s phase lines (pixels
 * j = s*k + phase), which makes a tap's reads contiguous again; the quads are built per line.
 *
 * Taken when the weights w' = w - zw all fit int8 (TFLite/ONNX int8 weights have zw = 0) and
 * the geometry fits the fixed buffers; otherwise pml_s8_dwconv_rows__avx512vnni returns 0
 * and the caller runs the channel-vectorised kernel.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/matmul/s8_requant__avx512.h"

#define MAX_C 128      /* wider rows: the channel-vectorised kernel fills its lanes */
#define MAX_KH 7
#define MAX_GROUPS 4   /* tap quads per kernel row, over all phases */
#define MAX_SLOTS 32   /* padded rows a kernel column spans: (KH - 1) * dilation + 1 */
#define EXT 16         /* per-channel arrays repeat their first 16 entries after C */
#define RING_BYTES (80 * 1024)
#define LINE_BYTES (16 * 1024) /* one padded phase line before the interleave */

/* One quad of taps of a kernel row: phase line and offset (bytes of that line). */
typedef struct tap_quad {
    int64_t phase, offset;
} tap_quad;

typedef struct rows_plan {
    int64_t C, s, quad_stride, quads, slots;
    tap_quad quad[MAX_GROUPS];
    int64_t nq;      /* quads per phase line (positions 0..nq-1) */
    int64_t line_px; /* pixels per padded phase line */
    int64_t owc;     /* bytes of an output row */
    int64_t period;  /* lcm(C, 16): output bytes after which the channel phase repeats */
} rows_plan;

static int64_t gcd16(int64_t c) {
    int64_t g = 16;
    while (c % g) g /= 2;
    return g;
}

/* The tap quads of a kernel row and the buffer sizes; 0 when the geometry does not fit. */
static int make_plan(const pml_conv_geom *g, int64_t max_stride, rows_plan *p, int64_t kw_quad[MAX_GROUPS][4]) {
    const int64_t C = g->cout, s = g->sw, d = g->dw;
    if (C > MAX_C || g->kh > MAX_KH || s > max_stride || s > 4 || (s > 1 && d > 1) || (g->kh - 1) * g->dh + 1 > MAX_SLOTS) return 0;
    const int64_t unit = s == 1 ? d : 1; /* a phase line's tap spacing, in pixels */
    memset(p, 0, sizeof *p);
    p->C = C, p->s = s, p->quad_stride = unit * C, p->owc = g->ow * C;
    p->slots = (g->kh - 1) * g->dh + 1;
    p->period = C * (16 / gcd16(C));
    int64_t max_offset = 0;
    for (int64_t ph = 0; ph < s; ph++) {
        int64_t kmax = -1;
        for (int64_t kw = 0; kw < g->kw; kw++)
            if (kw * d % s == ph && kw * d / s / unit > kmax) kmax = kw * d / s / unit;
        for (int64_t k0 = 0; k0 <= kmax; k0 += 4) {
            if (p->quads == MAX_GROUPS) return 0;
            tap_quad *t = &p->quad[p->quads];
            t->phase = ph, t->offset = k0 * unit * C;
            for (int i = 0; i < 4; i++) kw_quad[p->quads][i] = -1;
            for (int64_t kw = 0; kw < g->kw; kw++) {
                const int64_t k = kw * d / s / unit;
                if (kw * d % s == ph && k >= k0 && k < k0 + 4) kw_quad[p->quads][k - k0] = kw;
            }
            if (t->offset > max_offset) max_offset = t->offset;
            p->quads++;
        }
    }
    p->nq = (p->owc + max_offset + 31) / 16 * 16; /* the chunks' reads, in whole 16-quad builds */
    p->line_px = (p->nq + 3 * p->quad_stride + 16 + C - 1) / C;
    const int64_t ring = p->slots * s * p->nq * 4;
    return ring <= RING_BYTES && p->line_px * C + 64 <= LINE_BYTES;
}

/* n bytes from src to dst flipped to uint8. */
static inline void copy_flip(uint8_t *dst, const int8_t *src, int64_t n) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512((void *)(dst + i), _mm512_xor_si512(_mm512_loadu_si512((const void *)(src + i)), flip));
    if (i < n) {
        const __mmask64 m = _cvtu64_mask64(~0ull >> (64 - (n - i)));
        _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
    }
}

/* Phase line ph of input row ih (image n) as tap quads at iq (nq positions of 4 bytes). */
__attribute__((noinline)) static void build_line(const pml_conv_geom *g, const rows_plan *p, const int8_t *x, int64_t n, int64_t ih, int64_t ph,
                       uint8_t pad, uint8_t *line, uint8_t *iq) {
    const int64_t C = p->C, s = p->s, S = p->quad_stride;
    if (ih < 0 || ih >= g->h) { /* a padding row: every quad is the zero point */
        memset(iq, pad, (size_t)(p->nq * 4));
        return;
    }
    const int8_t *xr = x + (n * g->h + ih) * g->w * C;
    /* pixels k of the line: padded column j = s*k + ph, input column j - pl */
    int64_t k_first = (g->pl - ph + s - 1) / s, k_end = (g->pl + g->w - ph + s - 1) / s;
    if (k_first < 0) k_first = 0;
    if (k_first > p->line_px) k_first = p->line_px;
    if (k_end > p->line_px) k_end = p->line_px;
    if (k_end < k_first) k_end = k_first;
    memset(line, pad, (size_t)(k_first * C));
    if (s == 1) copy_flip(line + k_first * C, xr + (k_first - g->pl) * C, (k_end - k_first) * C);
    else
        for (int64_t k = k_first; k < k_end; k++) copy_flip(line + k * C, xr + (k * s + ph - g->pl) * C, C);
    memset(line + k_end * C, pad, (size_t)((p->line_px - k_end) * C + 64));
    int64_t q = 0;
    for (; q + 64 <= p->nq; q += 64) { /* the 4 x 4 transpose below, then a 4 x 4 of 128-bit lanes */
        const __m512i a = _mm512_loadu_si512((const void *)(line + q));
        const __m512i b = _mm512_loadu_si512((const void *)(line + q + S));
        const __m512i c = _mm512_loadu_si512((const void *)(line + q + 2 * S));
        const __m512i d = _mm512_loadu_si512((const void *)(line + q + 3 * S));
        const __m512i ab0 = _mm512_unpacklo_epi8(a, b), ab1 = _mm512_unpackhi_epi8(a, b);
        const __m512i cd0 = _mm512_unpacklo_epi8(c, d), cd1 = _mm512_unpackhi_epi8(c, d);
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
    for (; q < p->nq; q += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(line + q)), b = _mm_loadu_si128((const __m128i *)(line + q + S));
        const __m128i c = _mm_loadu_si128((const __m128i *)(line + q + 2 * S));
        const __m128i d = _mm_loadu_si128((const __m128i *)(line + q + 3 * S));
        const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
        const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
        __m128i *o = (__m128i *)(iq + q * 4);
        _mm_storeu_si128(o, _mm_unpacklo_epi16(ab0, cd0));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab0, cd0));
        _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab1, cd1));
        _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab1, cd1));
    }
}

/* Per-channel data laid out for chunk loads at any channel phase c0 < C: entry i holds
 * channel i mod C, i < C + EXT. */
typedef struct rows_params {
    int32_t bias[MAX_C + EXT], mult[MAX_C + EXT], lsh[MAX_C + EXT], rsh[MAX_C + EXT], mask[MAX_C + EXT];
    int32_t thr[MAX_C + EXT];
    float scale[MAX_C + EXT];
    int32_t w[MAX_KH][MAX_GROUPS][MAX_C + EXT]; /* the int8 weights of a tap quad, 4 to a dword */
} rows_params;

/* Lays out the weights (0 when some w' does not fit int8) and the parameters. */
static int lay_out(const pml_conv_geom *g, const rows_plan *p, const int64_t kw_quad[MAX_GROUPS][4],
                   const void *packed, rows_params *rp, pml_qs8_epilogue *ep) {
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = p->C, pairs = h->kp / 2;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep0 = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    for (int64_t i = 0; i < C + EXT; i++) {
        const int64_t c = i % C;
        const int16_t *wc = w + (c / 16) * pairs * 32 + (c % 16 / 8) * 16 + (c % 8) * 2;
        uint32_t sum = 0;
        for (int64_t kh = 0; kh < g->kh; kh++)
            for (int64_t q = 0; q < p->quads; q++) {
                uint32_t quad = 0;
                for (int l = 0; l < 4; l++) {
                    if (kw_quad[q][l] < 0) continue;
                    const int64_t t = kh * g->kw + kw_quad[q][l];
                    const int16_t v = wc[(t / 2) * 32 + t % 2];
                    if (v < -128 || v > 127) return 0;
                    quad |= (uint32_t)(uint8_t)(int8_t)v << (8 * l);
                    sum += (uint32_t)(int32_t)v;
                }
                rp->w[kh][q][i] = (int32_t)quad;
            }
        rp->bias[i] = (int32_t)((uint32_t)ep0.bias[c] - 128u * sum); /* the flip: x = u - 128 */
        rp->mult[i] = ep0.multiplier[c], rp->lsh[i] = ep0.lshift[c], rp->rsh[i] = ep0.rshift[c];
        rp->mask[i] = ep0.rmask[c], rp->thr[i] = ep0.rhalf[c], rp->scale[i] = ep0.scale[c];
    }
    *ep = ep0;
    ep->bias = rp->bias, ep->multiplier = rp->mult, ep->lshift = rp->lsh, ep->rshift = rp->rsh;
    ep->rmask = rp->mask, ep->rhalf = rp->thr, ep->scale = rp->scale;
    return 1;
}

/* Requantizes and stores the 16 outputs of the chunk at q (channel phase c0). */
static inline void store_chunk(__m512i acc, const pml_qs8_epilogue *ep, int64_t c0, int64_t owc, int64_t q,
                               uint8_t *yr) {
    const pml_qs8_epilogue e = pml_qs8_epilogue_at(ep, c0);
    const pml_qs8_rq16 r = pml_qs8_rq16_load(&e);
    pml_qs8_store16_512(pml_qs8_requant16(acc, &r), yr + q, (size_t)(owc - q < 16 ? owc - q : 16));
}

/* u (<= 4) chunks of one channel phase c0, at q, q + period, ...: the weights and the
 * requantization parameters loaded once for all of them, one vpdpbusd chain each. */
static inline void same_phase(const rows_plan *p, int64_t kh_n, const uint8_t *const lines[MAX_KH][4],
                              const rows_params *rp, const pml_qs8_epilogue *ep, uint8_t *yr, int64_t q,
                              int64_t period, int64_t c0, int u) {
    __m512i acc[4];
    const __m512i b = _mm512_loadu_si512((const void *)(rp->bias + c0));
    for (int i = 0; i < u; i++) acc[i] = b;
    for (int64_t kh = 0; kh < kh_n; kh++)
        for (int64_t t = 0; t < p->quads; t++) {
            const uint8_t *xl = lines[kh][p->quad[t].phase] + (q + p->quad[t].offset) * 4;
            const __m512i w = _mm512_loadu_si512((const void *)(rp->w[kh][t] + c0));
            for (int i = 0; i < u; i++)
                acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_loadu_si512((const void *)(xl + i * period * 4)), w);
        }
    const pml_qs8_epilogue e = pml_qs8_epilogue_at(ep, c0);
    const pml_qs8_rq16 r = pml_qs8_rq16_load(&e);
    for (int i = 0; i < u; i++) {
        const int64_t qi = q + i * period;
        pml_qs8_store16_512(pml_qs8_requant16(acc[i], &r), yr + qi, (size_t)(p->owc - qi < 16 ? p->owc - qi : 16));
    }
}

/* One output row from its kernel rows' quad lines (lines[kh][phase]), in blocks of 4 periods
 * of the channel phases (period = lcm(C, 16) bytes): each phase's 4 chunks together. */
static void run_row(const rows_plan *p, int64_t kh_n, const uint8_t *const lines[MAX_KH][4], const rows_params *rp,
                    const pml_qs8_epilogue *ep, uint8_t *yr) {
    const int64_t C = p->C, owc = p->owc, period = p->period;
    for (int64_t q0 = 0; q0 < owc; q0 += 4 * period) {
        int64_t c0 = 0;
        for (int64_t q = q0; q < q0 + period && q < owc; q += 16) {
            const int64_t u = (owc - q + period - 1) / period; /* chunks of this phase left in the row */
            if (u >= 4) same_phase(p, kh_n, lines, rp, ep, yr, q, period, c0, 4);
            else if (u == 3) same_phase(p, kh_n, lines, rp, ep, yr, q, period, c0, 3);
            else if (u == 2) same_phase(p, kh_n, lines, rp, ep, yr, q, period, c0, 2);
            else same_phase(p, kh_n, lines, rp, ep, yr, q, period, c0, 1);
            c0 += 16;
            while (c0 >= C) c0 -= C;
        }
    }
}

int pml_s8_dwconv_rows__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                   int64_t row0, int64_t row1, int64_t max_stride) {
    rows_plan p;
    int64_t kw_quad[MAX_GROUPS][4];
    if (!make_plan(g, max_stride, &p, kw_quad)) return 0;
    rows_params rp;
    pml_qs8_epilogue ep;
    if (!lay_out(g, &p, kw_quad, packed, &rp, &ep)) return 0;
    const uint8_t pad = (uint8_t)(pml_qs8_header(packed)->a_zero_point ^ 0x80);
    _Alignas(64) uint8_t ring[RING_BYTES];
    _Alignas(64) uint8_t line[LINE_BYTES];
    int64_t tag[MAX_SLOTS]; /* the padded row (image * rows + row) each ring slot holds, -1: none */
    const int64_t hp = g->h + g->pt + g->pb + g->kh * g->dh; /* any bound on padded rows */
    for (int64_t i = 0; i < p.slots; i++) tag[i] = -1;
    const uint8_t *lines[MAX_KH][4];
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        for (int64_t kh = 0; kh < g->kh; kh++) {
            const int64_t r = oh * g->sh + kh * g->dh, slot = r % p.slots; /* padded row r: input row r - pt */
            uint8_t *base = ring + slot * p.s * p.nq * 4;
            if (tag[slot] != n * hp + r) {
                for (int64_t ph = 0; ph < p.s; ph++)
                    build_line(g, &p, x, n, r - g->pt, ph, pad, line, base + ph * p.nq * 4);
                tag[slot] = n * hp + r;
            }
            for (int64_t ph = 0; ph < p.s; ph++) lines[kh][ph] = base + ph * p.nq * 4;
        }
        run_row(&p, g->kh, lines, &rp, &ep, y + row * p.owc);
    }
    return 1;
}
