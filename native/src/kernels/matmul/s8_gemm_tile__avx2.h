/*
 * kernels/matmul/s8_gemm_tile__avx2.h — the pieces of the AVX2 int8 GEMM micro-kernels
 * (s8_gemm_<MR>x16__avx2.c spell out their MR rows with them): MR rows x 16 columns of int32
 * accumulators in 2*MR ymm registers, started from the packed bias'.
 *
 * Per k-pair: two aligned loads of the panel (16 columns x 2 k as int16), one 32-bit
 * broadcast per row of the row's (a[2q], a[2q+1]) int16 pair, and per row and 8 columns
 * one vpmaddwd (16 exact multiply-adds into 8 int32) plus one vpaddd. Zen 3 issues two
 * vpmaddwd per cycle: 32 MACs/cycle is the ceiling of this exact scheme, twice fp32 FMA.
 * Measured on the Zen 4 of docs/benchmarks.md (CPU time, register-only loops): 12 vpmaddwd
 * alone take 6 cycles like 12 FMAs, 12 vpaddd 3, but 12 vpmaddwd + vpaddd pairs 7.4: the
 * pairs' ceiling there is 1.62x fp32 FMA, and a 6x16 tile at K = 256 reaches 0.9 of it.
 * The store adds the residual where the epilogue fuses one (s8_gemm.h): its 16 bytes widened
 * to two vectors of int32, each half through the vector Add (s8_qadd__avx2.h), out of line.
 * Rows past mr read row mr-1 (valid memory) and are not stored. The rows are named
 * variables, not an array: GCC keeps an array of accumulators partly on the stack.
 */
#ifndef PML_KERNELS_S8_GEMM_TILE_AVX2_H
#define PML_KERNELS_S8_GEMM_TILE_AVX2_H

#include <string.h>

#include "kernels/matmul/s8_requant__avx2.h"
#include "kernels/matmul/s8_qadd__avx2.h"

PML_INLINE __m256i pml_qs8_bcast_pair(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* bias0/bias1 are the tile's starting accumulators */
#define PML_QS8_TILE_BEGIN                                                        \
    const __m256i bias0 = _mm256_load_si256((const __m256i *)ep->bias);           \
    const __m256i bias1 = _mm256_load_si256((const __m256i *)(ep->bias + 8))

#define PML_QS8_ROW_INIT(r)                                                       \
    const int16_t *a##r = a + ((r) < mr ? (r) : mr - 1) * lda;                    \
    __m256i c##r##0 = bias0, c##r##1 = bias1

/* w0, w1: the k-pair's two panel vectors; q: its first k */
#define PML_QS8_ROW_STEP(r)                                                       \
    {                                                                             \
        const __m256i av = pml_qs8_bcast_pair(a##r + q);                          \
        c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(av, w0));           \
        c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(av, w1));           \
    }

#define PML_QS8_LOAD_W                                                            \
    const __m256i w0 = _mm256_load_si256((const __m256i *)w);                     \
    const __m256i w1 = _mm256_load_si256((const __m256i *)(w + 16));              \
    w += 32

/* The first nr of the 16 residual bytes paired with the tile row stored at dst, as int32
 * (uint8 or int8 as the output); the rest zero. */
PML_INLINE void pml_qs8_residual16(const pml_qs8_epilogue *ep, const uint8_t *dst, size_t nr, __m256i *lo, __m256i *hi) {
    const uint8_t *res = (const uint8_t *)((uintptr_t)dst + (uintptr_t)ep->res_delta);
    __m128i b;
    if (nr == 16) {
        b = _mm_loadu_si128((const __m128i *)res);
    } else if (nr == 8) {
        b = _mm_loadl_epi64((const __m128i *)res);
    } else {
        uint8_t tmp[16] = {0};
        memcpy(tmp, res, nr);
        b = _mm_loadu_si128((const __m128i *)tmp);
    }
    const __m128i b8 = _mm_srli_si128(b, 8);
    *lo = ep->out_u8 ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b);
    *hi = ep->out_u8 ? _mm256_cvtepu8_epi32(b8) : _mm256_cvtepi8_epi32(b8);
}

/* The tile's rows (lo[r]: columns 0-7, hi[r]: 8-15, requantized and clamped; r < mr) stored
 * after the fused residual Add: out of the tile's body (one copy of the Add's code per tile
 * file), its vectors set up once per task in the thread's add_cache. */
_Static_assert(sizeof(pml_qadd8) <= sizeof(((pml_qs8_add_cache *)0)->slot[0]), "the Add's vectors fit the cache");
/* Rows (lo, hi) + their residual rows, one Add case (kind, a constant at each call: 0 float,
 * 1-3 fixed point with input a, b or neither of ratio 1/2, 4-7 nudged fixed point, 4 + a half
 * + 2 * b half). */
PML_INLINE void pml_qs8_add_rows(const __m256i *lo, const __m256i *hi, size_t mr, const pml_qs8_epilogue *ep,
                                 const pml_qadd8 *av, uint8_t *c, size_t ldc, size_t nr, int kind) {
    const int two = nr > 8; /* a tail panel of at most 8 columns adds one half */
    for (size_t r = 0; r < mr; r++) {
        uint8_t *dst = c + r * ldc;
        __m256i r0, r1, y0, y1 = _mm256_setzero_si256();
        pml_qs8_residual16(ep, dst, nr, &r0, &r1);
        if (kind == 0) {
            y0 = pml_qaddsub8_float(lo[r], r0, av, 0);
            if (two) y1 = pml_qaddsub8_float(hi[r], r1, av, 0);
        } else if (kind >= 4) { /* nudged: 4 + (a half) + 2 (b half) */
            const int ah = kind & 1, bh = (kind >> 1) & 1;
            y0 = pml_qaddsub8_nudged(lo[r], r0, av, ah, bh);
            if (two) y1 = pml_qaddsub8_nudged(hi[r], r1, av, ah, bh);
        } else {
            const int ah = kind == 1, bh = kind == 2;
            y0 = pml_qaddsub8_fixed(lo[r], r0, av, 0, ah, bh);
            if (two) y1 = pml_qaddsub8_fixed(hi[r], r1, av, 0, ah, bh);
        }
        pml_qs8_store16(y0, y1, ep->out_u8, dst, nr);
    }
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void pml_qs8_store_rows_add(const __m256i *lo, const __m256i *hi, size_t mr, const pml_qs8_epilogue *ep,
                                   uint8_t *c, size_t ldc, size_t nr) {
    pml_qs8_add_cache *cache = (pml_qs8_add_cache *)ep->add_cache;
    pml_qadd8 *av = (pml_qadd8 *)(void *)cache->slot[PML_QS8_ADD_SLOT_256]; /* set up by the task's first tile */
    if (!(cache->ready & (1 << PML_QS8_ADD_SLOT_256)))
        *av = pml_qadd8_setup(ep->add), cache->ready |= 1 << PML_QS8_ADD_SLOT_256;
    const int kind = av->float_mode ? 0
                   : av->nudge      ? 4 + av->a_half + 2 * av->b_half
                   : av->a_half     ? 1
                   : av->b_half     ? 2
                                    : 3;
    switch (kind) {
    case 0: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 0); break;
    case 1: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 1); break;
    case 2: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 2); break;
    case 4: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 4); break;
    case 5: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 5); break;
    case 6: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 6); break;
    case 7: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 7); break;
    default: pml_qs8_add_rows(lo, hi, mr, ep, av, c, ldc, nr, 3); break;
    }
}

/* The raw accumulators (pml_qs8_epilogue.raw) of one row, the first nr columns. */
PML_INLINE void pml_qs8_store_raw16(__m256i lo, __m256i hi, uint8_t *dst, size_t nr) {
    int32_t *d = (int32_t *)(void *)dst;
    if (nr == 16) {
        _mm256_storeu_si256((__m256i *)(void *)d, lo);
        _mm256_storeu_si256((__m256i *)(void *)(d + 8), hi);
        return;
    }
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), n = _mm256_set1_epi32((int32_t)nr);
    _mm256_maskstore_epi32(d, _mm256_cmpgt_epi32(n, lane), lo);
    if (nr > 8) _mm256_maskstore_epi32(d + 8, _mm256_cmpgt_epi32(n, _mm256_add_epi32(lane, _mm256_set1_epi32(8))), hi);
}
/* ... of rows 0..MR-1 (rows past mr are not stored); ends the tile's function. */
#define PML_QS8_RAW_ROW(r) \
    if ((r) < mr) pml_qs8_store_raw16(c##r##0, c##r##1, c + (r) * ldc, nr)
#define PML_QS8_STORE_RAW6                                                                                         \
    if (ep->raw) {                                                                                                 \
        PML_QS8_RAW_ROW(0);                                                                                        \
        PML_QS8_RAW_ROW(1);                                                                                        \
        PML_QS8_RAW_ROW(2);                                                                                        \
        PML_QS8_RAW_ROW(3);                                                                                        \
        PML_QS8_RAW_ROW(4);                                                                                        \
        PML_QS8_RAW_ROW(5);                                                                                        \
        return;                                                                                                    \
    }
#define PML_QS8_STORE_RAW4                                                                                         \
    if (ep->raw) {                                                                                                 \
        PML_QS8_RAW_ROW(0);                                                                                        \
        PML_QS8_RAW_ROW(1);                                                                                        \
        PML_QS8_RAW_ROW(2);                                                                                        \
        PML_QS8_RAW_ROW(3);                                                                                        \
        return;                                                                                                    \
    }
#define PML_QS8_STORE_RAW1                                                                                         \
    if (ep->raw) {                                                                                                 \
        PML_QS8_RAW_ROW(0);                                                                                        \
        return;                                                                                                    \
    }

#define PML_QS8_EPILOGUE_BEGIN                                                    \
    const pml_qs8_rqc rc = pml_qs8_rqc_load(ep);                                  \
    const pml_qs8_rq8 p0 = pml_qs8_rq8_load(ep, 0), p1 = pml_qs8_rq8_load(ep, 8)

/* The residual Add's epilogue of a tile of rows 0..MR-1 (rows past mr are not stored); ends
 * the tile's function. */
#define PML_QS8_RQ_LO(r) pml_qs8_requant8(c##r##0, &p0, &rc)
#define PML_QS8_RQ_HI(r) pml_qs8_requant8(c##r##1, &p1, &rc)
#define PML_QS8_STORE_ADD6                                                                                         \
    if (ep->add) {                                                                                                 \
        PML_QS8_EPILOGUE_BEGIN;                                                                                    \
        const __m256i lo_[6] = {PML_QS8_RQ_LO(0), PML_QS8_RQ_LO(1), PML_QS8_RQ_LO(2),                            \
                                PML_QS8_RQ_LO(3), PML_QS8_RQ_LO(4), PML_QS8_RQ_LO(5)};                           \
        const __m256i hi_[6] = {PML_QS8_RQ_HI(0), PML_QS8_RQ_HI(1), PML_QS8_RQ_HI(2),                            \
                                PML_QS8_RQ_HI(3), PML_QS8_RQ_HI(4), PML_QS8_RQ_HI(5)};                           \
        pml_qs8_store_rows_add(lo_, hi_, mr, ep, c, ldc, nr);                                                      \
        return;                                                                                                    \
    }
#define PML_QS8_STORE_ADD4                                                                                         \
    if (ep->add) {                                                                                                 \
        PML_QS8_EPILOGUE_BEGIN;                                                                                    \
        const __m256i lo_[4] = {PML_QS8_RQ_LO(0), PML_QS8_RQ_LO(1), PML_QS8_RQ_LO(2), PML_QS8_RQ_LO(3)};         \
        const __m256i hi_[4] = {PML_QS8_RQ_HI(0), PML_QS8_RQ_HI(1), PML_QS8_RQ_HI(2), PML_QS8_RQ_HI(3)};         \
        pml_qs8_store_rows_add(lo_, hi_, mr, ep, c, ldc, nr);                                                      \
        return;                                                                                                    \
    }
#define PML_QS8_STORE_ADD1                                                                                         \
    if (ep->add) {                                                                                                 \
        PML_QS8_EPILOGUE_BEGIN;                                                                                    \
        const __m256i lo_[1] = {PML_QS8_RQ_LO(0)}, hi_[1] = {PML_QS8_RQ_HI(0)};                                   \
        pml_qs8_store_rows_add(lo_, hi_, 1, ep, c, ldc, nr);                                                       \
        return;                                                                                                    \
    }

/* The requantizing store of the tile's rows 0..MR-1 (rows past mr are not stored), once per
 * requantization mode: the branch is taken once per tile, and each mode loads only its own
 * column parameters (one generic epilogue kept every mode's 16 vectors live and spilled them,
 * a quarter of a 6x16 tile's time at K = 32). rows(mode) spells out the rows. */
#define PML_QS8_ROW_STORE(r, mode)                                                                               \
    if ((r) < mr)                                                                                                \
        pml_qs8_store16(pml_qs8_requant8_mode(c##r##0, &p0, &rc, mode),                                         \
                        pml_qs8_requant8_mode(c##r##1, &p1, &rc, mode), out_u8, c + (r) * ldc, nr)
#define PML_QS8_ROWS6(mode)                                                                                      \
    {                                                                                                            \
        const pml_qs8_rq8 p0 = pml_qs8_rq8_load_mode(ep, 0, mode), p1 = pml_qs8_rq8_load_mode(ep, 8, mode);      \
        PML_QS8_ROW_STORE(0, mode);                                                                              \
        PML_QS8_ROW_STORE(1, mode);                                                                              \
        PML_QS8_ROW_STORE(2, mode);                                                                              \
        PML_QS8_ROW_STORE(3, mode);                                                                              \
        PML_QS8_ROW_STORE(4, mode);                                                                              \
        PML_QS8_ROW_STORE(5, mode);                                                                              \
    }
#define PML_QS8_ROWS4(mode)                                                                                      \
    {                                                                                                            \
        const pml_qs8_rq8 p0 = pml_qs8_rq8_load_mode(ep, 0, mode), p1 = pml_qs8_rq8_load_mode(ep, 8, mode);      \
        PML_QS8_ROW_STORE(0, mode);                                                                              \
        PML_QS8_ROW_STORE(1, mode);                                                                              \
        PML_QS8_ROW_STORE(2, mode);                                                                              \
        PML_QS8_ROW_STORE(3, mode);                                                                              \
    }
#define PML_QS8_ROWS1(mode)                                                                                      \
    {                                                                                                            \
        const pml_qs8_rq8 p0 = pml_qs8_rq8_load_mode(ep, 0, mode), p1 = pml_qs8_rq8_load_mode(ep, 8, mode);      \
        PML_QS8_ROW_STORE(0, mode);                                                                              \
    }
#define PML_QS8_STORE_ROWS(rows)                                                                                 \
    {                                                                                                            \
        const pml_qs8_rqc rc = pml_qs8_rqc_load(ep);                                                             \
        const int out_u8 = ep->out_u8; /* read once: the byte stores may alias *ep */                            \
        const int mode_ = ep->floor64 == PML_QS8_FLOOR64_RELU ? PML_QS8_RQ_FLOOR : pml_qs8_rq_mode(&rc);          \
        if (mode_ == PML_QS8_RQ_FLOOR) rows(PML_QS8_RQ_FLOOR)                                                    \
        else if (mode_ == PML_QS8_RQ_SMALL) rows(PML_QS8_RQ_SMALL)                                               \
        else if (mode_ == PML_QS8_RQ_FLOAT) rows(PML_QS8_RQ_FLOAT)                                               \
        else rows(PML_QS8_RQ_GENERAL)                                                                            \
    }

#endif /* PML_KERNELS_S8_GEMM_TILE_AVX2_H */
