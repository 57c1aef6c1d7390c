/*
 * kernels/f32_common__avx2.h — small AVX2 helpers shared by the float32 streaming
 * kernels (masks for loop tails, NaN-propagating max/min). Included only by *__avx2*.c
 * files.
 */
#ifndef PML_KERNELS_F32_COMMON_AVX2_H
#define PML_KERNELS_F32_COMMON_AVX2_H

#include <immintrin.h>

#include "kernels/common.h"

static const int32_t pml_g_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* lanes [0, r) set, r in 1..7 */
static inline __m256i pml_tail_mask8(size_t r) { return _mm256_loadu_si256((const __m256i *)(pml_g_mask_table + 8 - r)); }

/* max/min that return NaN if either operand is NaN (vmaxps returns its
 * second operand when either is NaN, so patch lanes where a is NaN) */
static inline __m256 pml_max_nan8(__m256 a, __m256 b) {
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}
static inline __m256 pml_min_nan8(__m256 a, __m256 b) {
    return _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

#endif /* PML_KERNELS_F32_COMMON_AVX2_H */
