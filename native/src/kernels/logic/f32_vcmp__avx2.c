/*
 * kernels/logic/f32_vcmp__avx2.c — AVX2 float32 comparisons to 0/1 bytes: 32 elements
 * per step, the tail with the scalar expression (the result is exact either way).
 * Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>

#include "kernels/logic/logic.h"

/* 32 compare masks (4 vectors of -1/0 lanes) -> 32 bytes 0/1 in order */
static inline void store_mask32(uint8_t *y, __m256 m0, __m256 m1, __m256 m2, __m256 m3) {
    __m256i ab = _mm256_packs_epi32(_mm256_castps_si256(m0), _mm256_castps_si256(m1));
    __m256i cd = _mm256_packs_epi32(_mm256_castps_si256(m2), _mm256_castps_si256(m3));
    __m256i abcd = _mm256_packs_epi16(ab, cd); /* packs work per 128-bit half: fix the dword order */
    abcd = _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)y, _mm256_and_si256(abcd, _mm256_set1_epi8(1)));
}

/* One loop per predicate (the vcmpps predicate is an immediate). Inputs with
 * stride 0 are broadcast once; the tail (< 32 elements) is the scalar
 * expression, which gives the same exact result. */
#define PML_COMPARE_AVX2(name, PRED, OP)                                                               \
    static void compare_##name##__avx2(size_t n, const float *a, size_t sa, const float *b, size_t sb, \
                                       uint8_t *y) {                                                   \
        const __m256 ca = _mm256_set1_ps(a[0]), cb = _mm256_set1_ps(b[0]);                             \
        size_t i = 0;                                                                                  \
        for (; i + 32 <= n; i += 32) {                                                                 \
            __m256 m[4];                                                                               \
            for (int k = 0; k < 4; k++) {                                                              \
                __m256 va = sa ? _mm256_loadu_ps(a + i + 8 * k) : ca;                                  \
                __m256 vb = sb ? _mm256_loadu_ps(b + i + 8 * k) : cb;                                  \
                m[k] = _mm256_cmp_ps(va, vb, PRED);                                                    \
            }                                                                                          \
            store_mask32(y + i, m[0], m[1], m[2], m[3]);                                               \
        }                                                                                              \
        for (; i < n; i++) y[i] = a[i * sa] OP b[i * sb];                                              \
    }
PML_COMPARE_AVX2(eq, _CMP_EQ_OQ, ==)
PML_COMPARE_AVX2(lt, _CMP_LT_OQ, <)
PML_COMPARE_AVX2(le, _CMP_LE_OQ, <=)
PML_COMPARE_AVX2(gt, _CMP_GT_OQ, >)
PML_COMPARE_AVX2(ge, _CMP_GE_OQ, >=)

void pml_f32_compare__avx2(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb,
                                  uint8_t *y) {
    switch (cmp) {
    case PML_CMP_EQ: compare_eq__avx2(n, a, sa, b, sb, y); break;
    case PML_CMP_LT: compare_lt__avx2(n, a, sa, b, sb, y); break;
    case PML_CMP_LE: compare_le__avx2(n, a, sa, b, sb, y); break;
    case PML_CMP_GT: compare_gt__avx2(n, a, sa, b, sb, y); break;
    default: compare_ge__avx2(n, a, sa, b, sb, y); break;
    }
}
