/*
 * kernels/unary/f16_vcvt__avx2.c — IEEE half <-> float32 over arrays with F16C
 * (vcvtps2ph rounds to nearest even, as the scalar helpers do); the tail uses the
 * scalar helpers of kernels/common.h. Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>

#include "kernels/unary/unary.h"

void pml_f32_to_f16__avx2(size_t n, const float *x, uint16_t *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = pml_f32_to_f16_scalar(x[i]);
}

void pml_f16_to_f32__avx2(size_t n, const uint16_t *x, float *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = pml_f16_to_f32_scalar(x[i]);
}
