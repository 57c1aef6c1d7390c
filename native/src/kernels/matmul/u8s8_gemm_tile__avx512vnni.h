/*
 * kernels/matmul/u8s8_gemm_tile__avx512vnni.h — the pieces of the u8 x s8 int8 GEMM
 * micro-kernels (u8s8_gemm_<MR>x16__avx512vnni.c spell out their rows with them): each row's
 * 16 int32 accumulators in one zmm, vpdpbusd doing four u8 x s8 multiply-adds per lane.
 *
 * A k-quad of the packed panel is 64 bytes, (w[4q..4q+3][j]) int8 for j = 0..15, so one zmm
 * load holds all 16 columns and lane j is column j. Per k-quad and row: one 32-bit broadcast
 * of the row's four flipped activations (a ^ 0x80, uint8) and one vpdpbusd. Each product
 * fits int16 (255 * 128), the four are summed in 32 bits and added to the lane wrapping:
 * exact, as the references' modulo-2^32 sums. vpdpbusds (the saturating form) is never
 * used, and neither is vpmaddubsw (its int16 pair sums saturate). The +128 of the flip is
 * paid back by the packed bias' (s8_gemm.h). The store is the vpdpwssd tiles' (the AVX2
 * requantization on each 8-column half).
 * Rows past mr read row mr-1 (valid memory) and are not stored.
 */
#ifndef PML_KERNELS_U8S8_GEMM_TILE_AVX512VNNI_H
#define PML_KERNELS_U8S8_GEMM_TILE_AVX512VNNI_H

#include "kernels/matmul/s8_gemm_tile__avx512vnni.h"

PML_INLINE __m512i pml_qu8_bcast_quad512(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

#define PML_QU8_VNNI_ROW_INIT(r)                                                  \
    const uint8_t *a##r = a + ((r) < mr ? (r) : mr - 1) * lda;                    \
    __m512i c##r = bias16

/* wv: the k-quad's panel vector; q: its first k */
#define PML_QU8_VNNI_ROW_STEP(r) c##r = _mm512_dpbusd_epi32(c##r, pml_qu8_bcast_quad512(a##r + q), wv);

#define PML_QU8_VNNI_LOAD_W                                                       \
    const __m512i wv = _mm512_load_si512((const void *)w);                        \
    w += 64

#endif /* PML_KERNELS_U8S8_GEMM_TILE_AVX512VNNI_H */
