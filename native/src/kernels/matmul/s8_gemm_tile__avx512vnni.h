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
 * (s8_requant__avx512.h, the AVX2 store's arithmetic on 16 lanes).
 * A fused residual Add (s8_gemm.h) reads the row's residual bytes with a masked load and
 * runs the AVX2 vector Add (s8_qadd__avx2.h) on each 8-column half.
 * Rows past mr read row mr-1 (valid memory) and are not stored; the rows are named
 * variables (GCC keeps an array of accumulators partly on the stack).
 */
#ifndef PML_KERNELS_S8_GEMM_TILE_AVX512VNNI_H
#define PML_KERNELS_S8_GEMM_TILE_AVX512VNNI_H

#include <string.h>

#include "kernels/matmul/s8_requant__avx512.h"
#include "kernels/quant/s8_qadd__avx2.h"

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

/* Stores a row's 16 requantized columns, after the residual Add when the epilogue has one
 * (av: its vectors). */
PML_INLINE void pml_qs8_store16_ep512(__m512i v, const pml_qs8_epilogue *ep, const pml_qadd8 *av, uint8_t *dst,
                                      size_t nr) {
    if (ep->add) {
        const uint8_t *res = (const uint8_t *)((uintptr_t)dst + (uintptr_t)ep->res_delta);
        const __m128i b = _mm_maskz_loadu_epi8((__mmask16)((1u << nr) - 1), res);
        const __m512i r = ep->out_u8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
        const __m256i lo = pml_qadd8_run(_mm512_castsi512_si256(v), _mm512_castsi512_si256(r), av);
        const __m256i hi = pml_qadd8_run(_mm512_extracti64x4_epi64(v, 1), _mm512_extracti64x4_epi64(r, 1), av);
        v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    pml_qs8_store16_512(v, dst, nr);
}

/* The residual Add's vectors (unused without one). */
PML_INLINE pml_qadd8 pml_qs8_tile_add512(const pml_qs8_epilogue *ep) {
    pml_qadd8 av;
    if (ep->add) av = pml_qadd8_setup(ep->add);
    else memset(&av, 0, sizeof av);
    return av;
}

#define PML_QS8_VNNI_EPILOGUE_BEGIN                         \
    const pml_qs8_rq16 rq16 = pml_qs8_rq16_load(ep);        \
    const pml_qadd8 av = pml_qs8_tile_add512(ep)

#define PML_QS8_VNNI_ROW_STORE(r) \
    if ((r) < mr) pml_qs8_store16_ep512(pml_qs8_requant16(c##r, &rq16), ep, &av, c + (r) * ldc, nr)

#endif /* PML_KERNELS_S8_GEMM_TILE_AVX512VNNI_H */
