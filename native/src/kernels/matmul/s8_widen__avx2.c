/*
 * kernels/matmul/s8_widen__avx2.c — int8 -> int16 sign extension (vpmovsxbw), the A-side
 * packing of the int8 GEMM (A blocks are widened once and reused by every panel).
 */
#include <immintrin.h>

#include "kernels/matmul/s8_gemm.h"

void pml_s8_widen__avx2(size_t n, const int8_t *x, int16_t *y) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(y + i), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = x[i];
}
