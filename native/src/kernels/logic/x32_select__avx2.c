/*
 * kernels/logic/x32_select__avx2.c — AVX2 Where on 4-byte elements (condition bytes
 * widened to lane masks, then a blend). Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>

#include "kernels/logic/logic.h"

/* condition bytes -> lane masks (any nonzero byte is true), then a blend */
void pml_x32_select__avx2(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx,
                                 const uint32_t *z, size_t sz, uint32_t *y) {
    const __m256i zero = _mm256_setzero_si256();
    const __m256i cc = _mm256_set1_epi32(c[0] ? -1 : 0);
    const __m256i cx = _mm256_set1_epi32((int32_t)x[0]), cz = _mm256_set1_epi32((int32_t)z[0]);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i m = cc;
        if (sc) {
            __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(c + i)));
            m = _mm256_xor_si256(_mm256_cmpeq_epi32(b, zero), _mm256_set1_epi32(-1));
        }
        __m256i vx = sx ? _mm256_loadu_si256((const __m256i *)(x + i)) : cx;
        __m256i vz = sz ? _mm256_loadu_si256((const __m256i *)(z + i)) : cz;
        _mm256_storeu_si256((__m256i *)(y + i),
                            _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(vz), _mm256_castsi256_ps(vx),
                                                                 _mm256_castsi256_ps(m))));
    }
    for (; i < n; i++) y[i] = c[i * sc] ? x[i * sx] : z[i * sz];
}
