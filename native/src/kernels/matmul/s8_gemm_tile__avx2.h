/*
 * kernels/matmul/s8_gemm_tile__avx2.h — the body of the AVX2 int8 GEMM micro-kernels
 * (s8_gemm_<MR>x16__avx2.c instantiate it with their MR): MR rows x 16 columns of int32
 * accumulators in 2*MR ymm registers, started from the packed bias'.
 *
 * Per k-pair: two aligned loads of the panel (16 columns x 2 k as int16), one 32-bit
 * broadcast per row of the row's (a[2q], a[2q+1]) int16 pair, and per row and 8 columns
 * one vpmaddwd (16 exact multiply-adds into 8 int32) plus one vpaddd. Zen 3 issues two
 * vpmaddwd per cycle: 32 MACs/cycle is the ceiling of this exact scheme, twice fp32 FMA.
 * Rows past mr read row mr-1 (valid memory) and are not stored.
 */
#ifndef PML_KERNELS_S8_GEMM_TILE_AVX2_H
#define PML_KERNELS_S8_GEMM_TILE_AVX2_H

#include <string.h>

#include "kernels/matmul/s8_requant__avx2.h"

PML_INLINE __m256i pml_qs8_bcast_pair(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

PML_INLINE void pml_qs8_gemm_tile__avx2(const size_t MR, size_t mr, size_t nr, size_t kp, const int16_t *a, size_t lda,
                                        const int16_t *w, const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    const int16_t *ar[8];
    __m256i acc0[8], acc1[8];
    const __m256i bias0 = _mm256_load_si256((const __m256i *)ep->bias);
    const __m256i bias1 = _mm256_load_si256((const __m256i *)(ep->bias + 8));
    for (size_t r = 0; r < MR; r++) {
        ar[r] = a + (r < mr ? r : mr - 1) * lda;
        acc0[r] = bias0;
        acc1[r] = bias1;
    }
    for (size_t q = 0; q < kp; q += 2) {
        const __m256i w0 = _mm256_load_si256((const __m256i *)w);
        const __m256i w1 = _mm256_load_si256((const __m256i *)(w + 16));
        w += 32;
        for (size_t r = 0; r < MR; r++) {
            const __m256i av = pml_qs8_bcast_pair(ar[r] + q);
            acc0[r] = _mm256_add_epi32(acc0[r], _mm256_madd_epi16(av, w0));
            acc1[r] = _mm256_add_epi32(acc1[r], _mm256_madd_epi16(av, w1));
        }
    }
    const pml_qs8_rqc rc = pml_qs8_rqc_load(ep);
    const pml_qs8_rq8 p0 = pml_qs8_rq8_load(ep, 0), p1 = pml_qs8_rq8_load(ep, 8);
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        pml_qs8_store16(pml_qs8_requant8(acc0[r], &p0, &rc), pml_qs8_requant8(acc1[r], &p1, &rc), ep->out_u8,
                        c + r * ldc, nr);
    }
}

#endif /* PML_KERNELS_S8_GEMM_TILE_AVX2_H */
