/*
 * kernels/conv/s8_dwconv_rows__avx2.c — the int8 depthwise conv in AVX2 (no VNNI) vectorised
 * along an output row's (pixel, channel) bytes rather than along channels, two taps per
 * vpmaddwd, exact; for any channel count up to 1024 whose rows fit its buffers.
 *
 * The AVX-512 row kernel's scheme (s8_dwconv_rows__avx512vnni.c): with stride 1 the bytes an
 * output row reads at one tap are one contiguous run of its input row, so any 8 consecutive
 * output bytes q..q+7 (channel (q + i) mod C) take 8 consecutive input bytes per tap and
 * every lane does useful work whatever C is (the channel-vectorised s8_dwconv__avx2.c left a
 * third of a 24-channel layer's lanes idle). The weights and the requantization parameters
 * are laid out at pack time for channels 0..C-1 followed by 0..7 again
 * (kernels/conv/s8_dwconv_pairs.h), and a chunk loads them at q mod C.
 *
 * vpmaddwd sums adjacent int16 pairs: each padded input row is rewritten once (when it enters
 * the ring of kernel-height rows in use) as sign-extended pairs (P[p], P[p+S]) of two
 * consecutive taps of a kernel row (S = C, or dilation * C), so the inner loop is a
 * vpmaddwd with a memory operand and a vpaddd per tap pair and 8 outputs; the weight vector
 * is loaded once for four chunks of the same channel phase. |x * w'| <= 128 * 255: the pair
 * sums cannot saturate. Padding is written into the padded rows as the input zero point (the
 * bias' holds -za * sum w'). Stride s > 1 (dilation 1) splits each padded row into s phase
 * lines (pixels j = s*k + phase), which makes a tap's reads contiguous again.
 * The row loop is spelled out per requantization mode (float, fixed point with small
 * accumulators, general: the layout's small_acc bound, s8_dwconv_pairs.h) and, for the 3-wide
 * kernels' 6 tap pairs, with the tap loop unrolled: the generic loop branched on the mode per
 * chunk and took the general rounding (its accumulators were not bounded); 3x3 s1 32 channels
 * 64x64 0.081 -> 0.070 ms.
 * Measured and not kept: eight chunks per weight load instead of four (no gain: the loop is
 * bound by vpmaddwd/vpaddd and the requantization, ~18 uops per 8 outputs, not by its
 * loads), a 16 or 24 KB ring (more column segments, slower).
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/conv/s8_dwconv_pairs.h"
#include "kernels/matmul/s8_requant__avx2.h"

#define MAX_TAPS (PML_DWPAIRS_MAX_KH * PML_DWPAIRS_MAX_PAIRS)
#define EXT PML_DWPAIRS_EXT

typedef pml_dwpairs_plan pairs_plan;

/* Phase line ph of input row ih (image n) for the output columns from ow0 on, as int16 tap
 * pairs at ip (np positions of 4 bytes). */
__attribute__((noinline)) static void build_line(const pml_conv_geom *g, const pairs_plan *p, const int8_t *x,
                                                 int64_t n, int64_t ih, int64_t ph, int64_t ow0, int8_t pad,
                                                 int8_t *line, uint8_t *ip) {
    const int64_t C = p->C, s = p->s, S = p->pair_stride;
    if (ih < 0 || ih >= g->h) { /* a padding row: every pair is the zero point's */
        const __m256i v = _mm256_set1_epi16((short)pad);
        for (int64_t q = 0; q < p->np; q += 8) _mm256_storeu_si256((__m256i *)(ip + q * 4), v);
        return;
    }
    const int8_t *xr = x + (n * g->h + ih) * g->w * C;
    int64_t k_first = (g->pl - ph + s - 1) / s - ow0, k_end = (g->pl + g->w - ph + s - 1) / s - ow0;
    if (k_first < 0) k_first = 0;
    if (k_first > p->line_px) k_first = p->line_px;
    if (k_end > p->line_px) k_end = p->line_px;
    if (k_end < k_first) k_end = k_first;
    memset(line, pad, (size_t)(k_first * C));
    if (s == 1) memcpy(line + k_first * C, xr + (ow0 + k_first - g->pl) * C, (size_t)((k_end - k_first) * C));
    else if (C >= 16) /* 16-byte moves, a pixel's last one overlapping (a memcpy call a pixel measured slower) */
        for (int64_t k = k_first; k < k_end; k++) {
            const int8_t *src = xr + ((ow0 + k) * s + ph - g->pl) * C;
            int8_t *dst = line + k * C;
            for (int64_t i = 0; i < C - 16; i += 16)
                _mm_storeu_si128((__m128i *)(dst + i), _mm_loadu_si128((const __m128i *)(src + i)));
            _mm_storeu_si128((__m128i *)(dst + C - 16), _mm_loadu_si128((const __m128i *)(src + C - 16)));
        }
    else
        for (int64_t k = k_first; k < k_end; k++) memcpy(line + k * C, xr + ((ow0 + k) * s + ph - g->pl) * C, (size_t)C);
    memset(line + k_end * C, pad, (size_t)((p->line_px - k_end) * C + 64));
    for (int64_t q = 0; q < p->np; q += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(line + q));
        const __m128i b = _mm_loadu_si128((const __m128i *)(line + q + S));
        _mm256_storeu_si256((__m256i *)(ip + q * 4), _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, b)));
        _mm256_storeu_si256((__m256i *)(ip + q * 4 + 32), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(a, b)));
    }
}

/* An output row's tap pairs, kernel row by kernel row: where each reads its pair line (at
 * output byte 0) and its weights (at channel 0). */
typedef struct row_taps {
    int64_t n;
    const uint8_t *x[MAX_TAPS];
    const int32_t *w[MAX_TAPS];
} row_taps;

/* The requantization parameters of channels c0..c0+7 from the layout's arrays (unaligned). */
static inline pml_qs8_rq8 rq8_at(const pml_qs8_epilogue *ep, int64_t c0) {
    pml_qs8_rq8 r;
    r.mult = _mm256_loadu_si256((const __m256i *)(ep->multiplier + c0));
    r.mult_odd = _mm256_srli_epi64(r.mult, 32);
    r.lsh = _mm256_loadu_si256((const __m256i *)(ep->lshift + c0));
    r.rsh = _mm256_loadu_si256((const __m256i *)(ep->rshift + c0));
    r.mask = _mm256_loadu_si256((const __m256i *)(ep->rmask + c0));
    r.thr = _mm256_loadu_si256((const __m256i *)(ep->rhalf + c0));
    r.nudge = _mm256_add_epi32(r.thr, _mm256_set1_epi32(1));
    r.scale = _mm256_loadu_ps(ep->scale + c0);
    return r;
}

/* A chunk's 8 bytes at yr + q, those before the row's end owc. */
static inline void store_chunk(__m256i v, int out_u8, uint8_t *yr, int64_t q, int64_t owc) {
    pml_qs8_store8(v, out_u8, yr + q, (size_t)(owc - q < 8 ? owc - q : 8));
}

/* Four chunks of one channel phase c0, at q, q + period, q + 2 period, q + 3 period; nt: the
 * tap pairs when known at compile time (0: rt->n). */
static inline __attribute__((always_inline)) void same_phase4(const row_taps *rt, const pml_qs8_epilogue *ep,
                                                              const pml_qs8_rqc *rc, uint8_t *yr, int64_t q,
                                                              int64_t period, int64_t c0, int64_t owc, int mode,
                                                              int nt) {
    __m256i a0 = _mm256_loadu_si256((const __m256i *)(ep->bias + c0)), a1 = a0, a2 = a0, a3 = a0;
    const int64_t p4 = period * 4, n = nt ? nt : rt->n;
    for (int64_t j = 0; j < n; j++) {
        const uint8_t *xp = rt->x[j] + q * 4;
        const __m256i w = _mm256_loadu_si256((const __m256i *)(rt->w[j] + c0));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)xp), w));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(xp + p4)), w));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(xp + 2 * p4)), w));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(xp + 3 * p4)), w));
    }
    const pml_qs8_rq8 r = rq8_at(ep, c0);
    store_chunk(pml_qs8_requant8_mode(a0, &r, rc, mode), ep->out_u8, yr, q, owc);
    store_chunk(pml_qs8_requant8_mode(a1, &r, rc, mode), ep->out_u8, yr, q + period, owc);
    store_chunk(pml_qs8_requant8_mode(a2, &r, rc, mode), ep->out_u8, yr, q + 2 * period, owc);
    store_chunk(pml_qs8_requant8_mode(a3, &r, rc, mode), ep->out_u8, yr, q + 3 * period, owc);
}

/* One chunk (the row's last phases, fewer than four periods left): two chains. */
static inline __attribute__((always_inline)) void one_chunk(const row_taps *rt, const pml_qs8_epilogue *ep,
                                                            const pml_qs8_rqc *rc, uint8_t *yr, int64_t q, int64_t c0,
                                                            int64_t owc, int mode) {
    __m256i a0 = _mm256_loadu_si256((const __m256i *)(ep->bias + c0)), a1 = _mm256_setzero_si256();
    int64_t j = 0;
    for (; j + 1 < rt->n; j += 2) {
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(rt->x[j] + q * 4)),
                                                    _mm256_loadu_si256((const __m256i *)(rt->w[j] + c0))));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(rt->x[j + 1] + q * 4)),
                                                    _mm256_loadu_si256((const __m256i *)(rt->w[j + 1] + c0))));
    }
    if (j < rt->n)
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(rt->x[j] + q * 4)),
                                                    _mm256_loadu_si256((const __m256i *)(rt->w[j] + c0))));
    const pml_qs8_rq8 r = rq8_at(ep, c0);
    store_chunk(pml_qs8_requant8_mode(_mm256_add_epi32(a0, a1), &r, rc, mode), ep->out_u8, yr, q, owc);
}

/* One output row: blocks of 4 periods of the channel phases (period = lcm(C, 8) bytes), each
 * phase's 4 chunks together; what is left of the row chunk by chunk. */
static inline __attribute__((always_inline)) void run_row(const pairs_plan *p, const row_taps *rt,
                                                          const pml_qs8_epilogue *ep, const pml_qs8_rqc *rc,
                                                          uint8_t *yr, int64_t owc, int mode, int nt) {
    const int64_t C = p->C, period = p->period;
    int64_t q0 = 0;
    for (; q0 + 4 * period <= owc; q0 += 4 * period)
        for (int64_t q = q0, c0 = 0; q < q0 + period; q += 8) {
            same_phase4(rt, ep, rc, yr, q, period, c0, owc, mode, nt);
            c0 += 8;
            while (c0 >= C) c0 -= C;
        }
    for (int64_t q = q0, c0 = 0; q < owc; q += 8) {
        one_chunk(rt, ep, rc, yr, q, c0, owc, mode);
        c0 += 8;
        while (c0 >= C) c0 -= C;
    }
}

/* run_row spelled out per requantization mode, and for the 3-wide kernels' 6 tap pairs (3x3 at
 * stride 1 or 2) with the tap loop unrolled. */
#define ROW_VARIANT(name, mode, nt)                                                                              \
    __attribute__((noinline)) static void name(const pairs_plan *p, const row_taps *rt, const pml_qs8_epilogue *ep, \
                                               const pml_qs8_rqc *rc, uint8_t *yr, int64_t owc) {                \
        run_row(p, rt, ep, rc, yr, owc, mode, nt);                                                              \
    }
ROW_VARIANT(row_float, PML_QS8_RQ_FLOAT, 0)
ROW_VARIANT(row_small, PML_QS8_RQ_SMALL, 0)
ROW_VARIANT(row_general, PML_QS8_RQ_GENERAL, 0)
ROW_VARIANT(row_float6, PML_QS8_RQ_FLOAT, 6)
ROW_VARIANT(row_small6, PML_QS8_RQ_SMALL, 6)
ROW_VARIANT(row_general6, PML_QS8_RQ_GENERAL, 6)
typedef void (*row_fn)(const pairs_plan *, const row_taps *, const pml_qs8_epilogue *, const pml_qs8_rqc *, uint8_t *,
                       int64_t);

int pml_s8_dwconv_rows__avx2(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                             int64_t row1, void *scratch) {
    if (!pml_dwpairs_packed_bytes(g)) return 0;
    const pml_dwpairs_packed *lay = (const pml_dwpairs_packed *)((const uint8_t *)packed + pml_dwpairs_offset(g));
    if (!lay->ok) return 0;
    const pairs_plan p = lay->plan;
    const int64_t ext = p.C + EXT;
    const int32_t *a = (const int32_t *)((const uint8_t *)lay + pml_dwpairs_arrays_offset());
    pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    ep.bias = a, ep.multiplier = a + ext, ep.lshift = a + 2 * ext, ep.rshift = a + 3 * ext;
    ep.rmask = a + 4 * ext, ep.rhalf = a + 5 * ext, ep.scale = (const float *)(a + 6 * ext);
    ep.small_acc = (int32_t)lay->small_acc; /* the layout's own bound (its bias' and int8 x int16 products) */
    const pml_qs8_rqc rc = pml_qs8_rqc_load(&ep);
    const int8_t pad = (int8_t)pml_qs8_header(packed)->a_zero_point;
    if (!scratch) return 0;
    /* the caller's scratch (pml_dwpairs_scratch_bytes, aligned here to 64 bytes), not the stack: an
     * embedding program's threads may have small stacks */
    const size_t ring_bytes = (size_t)(p.slots * p.s * p.np * 4), line_bytes = (size_t)(p.line_px * p.C + 64);
    uint8_t *ring = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    int8_t *line = (int8_t *)(ring + (ring_bytes + 63) / 64 * 64);
    int64_t *tag = (int64_t *)((uint8_t *)line + (line_bytes + 63) / 64 * 64); /* the padded row (image * rows + row)
                                                                                 * each ring slot holds, -1: none */
    const int64_t hp = g->h + g->pt + g->pb + g->kh * g->dh;
    row_taps rt;
    rt.n = g->kh * p.pairs;
    const int mode = pml_qs8_rq_mode(&rc);
    const row_fn run = rt.n == 6 ? (mode == PML_QS8_RQ_FLOAT ? row_float6 : mode == PML_QS8_RQ_SMALL ? row_small6 : row_general6)
                                 : (mode == PML_QS8_RQ_FLOAT ? row_float : mode == PML_QS8_RQ_SMALL ? row_small : row_general);
    for (int64_t j = 0; j < rt.n; j++) rt.w[j] = a + (7 + j) * ext;
    for (int64_t ow0 = 0; ow0 < g->ow; ow0 += p.seg_ow) {
        const int64_t owc = (g->ow - ow0 < p.seg_ow ? g->ow - ow0 : p.seg_ow) * p.C;
        for (int64_t i = 0; i < p.slots; i++) tag[i] = -1;
        for (int64_t row = row0; row < row1; row++) {
            const int64_t n = row / g->oh, oh = row % g->oh;
            for (int64_t kh = 0; kh < g->kh; kh++) {
                const int64_t r = oh * g->sh + kh * g->dh, slot = r % p.slots; /* padded row r: input row r - pt */
                uint8_t *base = ring + slot * p.s * p.np * 4;
                if (tag[slot] != n * hp + r) {
                    for (int64_t ph = 0; ph < p.s; ph++)
                        build_line(g, &p, x, n, r - g->pt, ph, ow0, pad, line, base + ph * p.np * 4);
                    tag[slot] = n * hp + r;
                }
                for (int64_t t = 0; t < p.pairs; t++)
                    rt.x[kh * p.pairs + t] = base + (p.pair[t].phase * p.np + p.pair[t].offset) * 4;
            }
            run(&p, &rt, &ep, &rc, y + (row * g->ow + ow0) * p.C, owc);
        }
    }
    return 1;
}

void pml_s8_dwconv_rows_or_channels__avx2(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                          int64_t row0, int64_t row1, void *scratch) {
    /* Measured against the channel kernel (one thread, BlazeFace/MobileNet shapes, scratch
     * harness calling both): rows win at stride 1 up to 512 channels (3x3 1.1-1.7x, 5x5
     * 1.1-2.3x; 1024 channels 0.8x: column segments), and at stride 2 only on few channels
     * (24-40: 1.05-1.35x); from 48 channels on the channel kernel is as fast or faster at
     * stride 2 (96: 0.76x, 240: 0.73x), as the rows kernel then rebuilds two phase lines
     * for each output row and a 3- or 5-wide row wastes half a pair per phase. */
    const int rows_win = g->sw == 1 ? g->cout <= 512 : g->sw == 2 && g->cout <= 40;
    if (!rows_win || !pml_s8_dwconv_rows__avx2(g, x, packed, y, row0, row1, scratch))
        pml_s8_dwconv__avx2(g, x, packed, y, row0, row1, scratch);
}
