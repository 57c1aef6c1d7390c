/*
 * kernels/matmul/s8_gemm_tile__avx512vnni.h — the pieces of the AVX-512 VNNI int8 GEMM
 * micro-kernels (s8_gemm_<MR>x16__avx512vnni.c spell out their MR rows with them): the AVX2
 * tiles' packing and epilogue (s8_gemm.h, s8_requant__avx2.h), with each row's 16 int32
 * accumulators in one zmm register and vpdpwssd doing the multiply-add.
 *
 * A k-pair of the packed panel is 64 bytes, (w'[2q][j], w'[2q+1][j]) int16 for j = 0..15 in
 * column order, so one zmm load holds all 16 columns and lane j of the accumulator is column
 * j. Per k-pair and row: one 32-bit broadcast of the row's (a[2q], a[2q+1]) int16 pair and
 * one vpdpwssd (two int16 products summed into each int32 lane, wrapping; |a * w'| <=
 * 128 * 255, so no sum of two products can leave int16*int16 range) replacing AVX2's
 * vpmaddwd + vpaddd. vpdpwssds (the saturating form) is never used: the accumulator must
 * wrap modulo 2^32 like the references'. The store requantizes each row's zmm at once
 * (s8_requant__avx512.h): as one int64 floor per output where the packing found that exact
 * (pml_qs8_epilogue.floor64), else the AVX2 store's arithmetic on 16 lanes.
 * A fused residual Add (s8_gemm.h) runs out of line (pml_qs8_store_rows_add512) on the
 * tile's requantized rows: 16-lane vector Add (s8_qadd__avx512.h), masked residual loads.
 * Rows past mr read row mr-1 (valid memory) and are not stored; the rows are named
 * variables (GCC keeps an array of accumulators partly on the stack).
 */
#ifndef PML_KERNELS_S8_GEMM_TILE_AVX512VNNI_H
#define PML_KERNELS_S8_GEMM_TILE_AVX512VNNI_H

#include <string.h>

#include "kernels/matmul/s8_requant__avx512.h"
#include "kernels/matmul/s8_qadd__avx512.h"

PML_INLINE __m512i pml_qs8_bcast_pair512(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* bias16 is the tile's starting accumulator (16 columns) */
#define PML_QS8_VNNI_TILE_BEGIN const __m512i bias16 = _mm512_loadu_si512((const void *)ep->bias)

#define PML_QS8_VNNI_ROW_INIT(r)                                                  \
    const int16_t *a##r = a + ((r) < mr ? (r) : mr - 1) * lda;                    \
    __m512i c##r = bias16

/* wv: the k-pair's panel vector; q: its first k */
#define PML_QS8_VNNI_ROW_STEP(r) c##r = _mm512_dpwssd_epi32(c##r, pml_qs8_bcast_pair512(a##r + q), wv);

#define PML_QS8_VNNI_LOAD_W                                                       \
    const __m512i wv = _mm512_load_si512((const void *)w);                        \
    w += 32

/* The tile's rows v[0..mr) (requantized, clamped) stored after the fused residual Add: out of
 * the tile's body (one copy of the Add's code per tile file, not one per row), its vectors
 * set up once per task in the thread's add_cache, the residual bytes read with a masked load. */
_Static_assert(sizeof(pml_qadd16) <= sizeof(((pml_qs8_add_cache *)0)->slot[1]), "the Add's vectors fit the cache");
/* Rows v[0..mr) + their residual rows, one Add case (kind, a constant at each call: 0 float,
 * 1-3 fixed point nudged with input a, b or neither of ratio 1/2, 5 both, 4 fixed point in
 * general; pml_qs8_add16_kind):
 * every row's loads and arithmetic before the stores, so the rows' chains overlap. */
PML_INLINE void pml_qs8_add_rows512(const __m512i *v, size_t mr, const pml_qs8_epilogue *ep, const pml_qadd16 *av,
                                    uint8_t *c, size_t ldc, size_t nr, int kind) {
    const __mmask16 m = (__mmask16)((1u << nr) - 1);
    __m512i y[6];
    const int u8 = ep->out_u8;
    for (size_t r = 0; r < mr; r++) {
        const void *rp = (const void *)((uintptr_t)(c + r * ldc) + (uintptr_t)ep->res_delta);
        const __m128i b = nr == 16 ? _mm_loadu_si128((const __m128i *)rp) : _mm_maskz_loadu_epi8(m, rp);
        const __m512i res = u8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
        y[r] = kind == 0 ? pml_qadd16_float(v[r], res, av)
             : kind == 1 ? pml_qadd16_fixed_nudged(v[r], res, av, 1, 0)
             : kind == 2 ? pml_qadd16_fixed_nudged(v[r], res, av, 0, 1)
             : kind == 3 ? pml_qadd16_fixed_nudged(v[r], res, av, 0, 0)
             : kind == 5 ? pml_qadd16_fixed_nudged(v[r], res, av, 1, 1)
                         : pml_qadd16_fixed(v[r], res, av);
    }
    for (size_t r = 0; r < mr; r++) pml_qs8_store16_512(y[r], c + r * ldc, nr);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void pml_qs8_store_rows_add512(const __m512i *v, size_t mr, const pml_qs8_epilogue *ep, uint8_t *c,
                                      size_t ldc, size_t nr) {
    pml_qs8_add_cache *cache = (pml_qs8_add_cache *)ep->add_cache;
    pml_qadd16 *av = (pml_qadd16 *)(void *)cache->slot[PML_QS8_ADD_SLOT_512]; /* set up by the task's first tile */
    if (!(cache->ready & (1 << PML_QS8_ADD_SLOT_512)))
        *av = pml_qadd16_setup(ep->add), cache->ready |= 1 << PML_QS8_ADD_SLOT_512;
    const int kind = pml_qs8_add16_kind(av);
    switch (kind) {
    case 0: pml_qs8_add_rows512(v, mr, ep, av, c, ldc, nr, 0); break;
    case 1: pml_qs8_add_rows512(v, mr, ep, av, c, ldc, nr, 1); break;
    case 2: pml_qs8_add_rows512(v, mr, ep, av, c, ldc, nr, 2); break;
    case 3: pml_qs8_add_rows512(v, mr, ep, av, c, ldc, nr, 3); break;
    case 5: pml_qs8_add_rows512(v, mr, ep, av, c, ldc, nr, 5); break;
    default: pml_qs8_add_rows512(v, mr, ep, av, c, ldc, nr, 4); break;
    }
}

/* The first nr of 16 int32 at dst: masked only for a tail (Zen 4's masked stores are slow). */
PML_INLINE void pml_qs8_store_raw16_512(__m512i v, uint8_t *dst, size_t nr) {
    if (nr == 16) _mm512_storeu_si512((void *)dst, v);
    else _mm512_mask_storeu_epi32((void *)dst, (__mmask16)((1u << nr) - 1), v);
}
/* The raw accumulators (pml_qs8_epilogue.raw) of rows 0..5 / row 0, the first nr columns; ends
 * the tile's function. */
#define PML_QS8_VNNI_RAW_ROW(r) \
    if ((r) < mr) pml_qs8_store_raw16_512(c##r, c + (r) * ldc, nr)
#define PML_QS8_VNNI_STORE_RAW6                                                   \
    if (ep->raw) {                                                                \
        PML_QS8_VNNI_RAW_ROW(0);                                                  \
        PML_QS8_VNNI_RAW_ROW(1);                                                  \
        PML_QS8_VNNI_RAW_ROW(2);                                                  \
        PML_QS8_VNNI_RAW_ROW(3);                                                  \
        PML_QS8_VNNI_RAW_ROW(4);                                                  \
        PML_QS8_VNNI_RAW_ROW(5);                                                  \
        return;                                                                   \
    }
#define PML_QS8_VNNI_STORE_RAW1                                                   \
    if (ep->raw) {                                                                \
        PML_QS8_VNNI_RAW_ROW(0);                                                  \
        return;                                                                   \
    }

/* The requantizing store of a tile of rows 0..5 / row 0, with the fused residual Add where the
 * epilogue has one; ends the tile's function. One body per requantization (the one floor with or
 * without its sign correction, else s8_requant__avx512.h's general one), chosen once per tile:
 * REQ(x) is the row's requantized, clamped values. Rows past mr are not stored. */
#define PML_QS8_VNNI_REQ_RELU(x) pml_qs8_requant16_floor(x, &rq64_, 0)
#define PML_QS8_VNNI_REQ_SIGNED(x) pml_qs8_requant16_floor(x, &rq64_, 1)
#define PML_QS8_VNNI_REQ_GENERAL(x) pml_qs8_requant16(x, &rq16_)
#define PML_QS8_VNNI_ROW_STORE(REQ, r) \
    if ((r) < mr) pml_qs8_store16_512(REQ(c##r), c + (r) * ldc, nr)
#define PML_QS8_VNNI_ROWS6(REQ)                                                                           \
    if (ep->add) {                                                                                        \
        const __m512i v_[6] = {REQ(c0), REQ(c1), REQ(c2), REQ(c3), REQ(c4), REQ(c5)};                     \
        pml_qs8_store_rows_add512(v_, mr, ep, c, ldc, nr);                                                \
        return;                                                                                           \
    }                                                                                                     \
    PML_QS8_VNNI_ROW_STORE(REQ, 0);                                                                       \
    PML_QS8_VNNI_ROW_STORE(REQ, 1);                                                                       \
    PML_QS8_VNNI_ROW_STORE(REQ, 2);                                                                       \
    PML_QS8_VNNI_ROW_STORE(REQ, 3);                                                                       \
    PML_QS8_VNNI_ROW_STORE(REQ, 4);                                                                       \
    PML_QS8_VNNI_ROW_STORE(REQ, 5);                                                                       \
    return
#define PML_QS8_VNNI_ROWS1(REQ)                                                                           \
    if (ep->add) {                                                                                        \
        const __m512i v_[1] = {REQ(c0)};                                                                  \
        pml_qs8_store_rows_add512(v_, 1, ep, c, ldc, nr);                                                 \
        return;                                                                                           \
    }                                                                                                     \
    PML_QS8_VNNI_ROW_STORE(REQ, 0);                                                                       \
    return
#define PML_QS8_VNNI_STORE(ROWS)                                                                          \
    if (ep->floor64 == PML_QS8_FLOOR64_RELU) {                                                            \
        const pml_qs8_rq64 rq64_ = pml_qs8_rq64_load(ep);                                                 \
        ROWS(PML_QS8_VNNI_REQ_RELU);                                                                      \
    }                                                                                                     \
    if (ep->floor64 == PML_QS8_FLOOR64_SIGNED) {                                                          \
        const pml_qs8_rq64 rq64_ = pml_qs8_rq64_load(ep);                                                 \
        ROWS(PML_QS8_VNNI_REQ_SIGNED);                                                                    \
    }                                                                                                     \
    const pml_qs8_rq16 rq16_ = pml_qs8_rq16_load(ep);                                                     \
    ROWS(PML_QS8_VNNI_REQ_GENERAL)
#define PML_QS8_VNNI_STORE6 PML_QS8_VNNI_STORE(PML_QS8_VNNI_ROWS6)
#define PML_QS8_VNNI_STORE1 PML_QS8_VNNI_STORE(PML_QS8_VNNI_ROWS1)

#endif /* PML_KERNELS_S8_GEMM_TILE_AVX512VNNI_H */
