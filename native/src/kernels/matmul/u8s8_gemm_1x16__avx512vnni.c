/*
 * kernels/matmul/u8s8_gemm_1x16__avx512vnni.c — the u8 x s8 micro-kernel for single-row
 * tiles (a fully connected layer at batch 1, a block's last row). One row on one
 * accumulator would wait on vpdpbusd's latency every k-quad, so alternate k-quads go to
 * four accumulators, summed (wrapping, as one accumulator would) before the store.
 */
#include "kernels/matmul/u8s8_gemm_tile__avx512vnni.h"

void pml_u8s8_gemm_1x16__avx512vnni(size_t mr, size_t nr, size_t kq, const uint8_t *a, size_t lda, const int8_t *w,
                                    const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    (void)mr, (void)lda;
    PML_QS8_VNNI_TILE_BEGIN;
    __m512i c0 = bias16, c1 = _mm512_setzero_si512(), c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
    size_t q = 0;
    for (; q + 16 <= kq; q += 16, w += 256) {
        c0 = _mm512_dpbusd_epi32(c0, pml_qu8_bcast_quad512(a + q), _mm512_load_si512((const void *)w));
        c1 = _mm512_dpbusd_epi32(c1, pml_qu8_bcast_quad512(a + q + 4), _mm512_load_si512((const void *)(w + 64)));
        c2 = _mm512_dpbusd_epi32(c2, pml_qu8_bcast_quad512(a + q + 8), _mm512_load_si512((const void *)(w + 128)));
        c3 = _mm512_dpbusd_epi32(c3, pml_qu8_bcast_quad512(a + q + 12), _mm512_load_si512((const void *)(w + 192)));
    }
    for (; q < kq; q += 4, w += 64)
        c0 = _mm512_dpbusd_epi32(c0, pml_qu8_bcast_quad512(a + q), _mm512_load_si512((const void *)w));
    c0 = _mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3));
    PML_QS8_VNNI_STORE_RAW1
    PML_QS8_VNNI_STORE1;
}
