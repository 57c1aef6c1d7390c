/*
 * kernels/elementwise/f32_vbinary__avx2.c — AVX2 kernels of the float32 binary ops
 * (vector-vector, vector-scalar, scalar-vector); Pow has none (the AVX2 table points at
 * the scalar one). Loop tails use masked loads/stores, so there is no scalar tail loop
 * to drift from the vector semantics; the operand order of max/min keeps NaN.
 * Compiled with -mavx2 -mfma -mf16c; only called when the CPU has them.
 */
#include <immintrin.h>

#include "kernels/elementwise/elementwise.h"
#include "kernels/f32_common__avx2.h"

static inline __m256 op_add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
static inline __m256 op_sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
static inline __m256 op_mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
static inline __m256 op_div(__m256 a, __m256 b) { return _mm256_div_ps(a, b); }
static inline __m256 op_max(__m256 a, __m256 b) { return pml_max_nan8(a, b); }
static inline __m256 op_min(__m256 a, __m256 b) { return pml_min_nan8(a, b); }
static inline __m256 op_prelu(__m256 a, __m256 b) {
    __m256 neg = _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(a, _mm256_mul_ps(a, b), neg);
}

#define PML_BINARY_AVX2(name)                                                                           \
    void pml_f32_v##name##__avx2(size_t n, const float *a, const float *b, float *y) {                  \
        size_t i = 0;                                                                                   \
        for (; i + 16 <= n; i += 16) {                                                                  \
            __m256 r0 = op_##name(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));                      \
            __m256 r1 = op_##name(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));              \
            _mm256_storeu_ps(y + i, r0);                                                                \
            _mm256_storeu_ps(y + i + 8, r1);                                                            \
        }                                                                                               \
        for (; i + 8 <= n; i += 8)                                                                      \
            _mm256_storeu_ps(y + i, op_##name(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));         \
        if (i < n) {                                                                                    \
            __m256i m = pml_tail_mask8(n - i);                                                          \
            _mm256_maskstore_ps(y + i, m,                                                               \
                                op_##name(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m))); \
        }                                                                                               \
    }                                                                                                   \
    void pml_f32_v##name##s__avx2(size_t n, const float *a, float b, float *y) {                        \
        __m256 vb = _mm256_set1_ps(b);                                                                  \
        size_t i = 0;                                                                                   \
        for (; i + 16 <= n; i += 16) {                                                                  \
            __m256 r0 = op_##name(_mm256_loadu_ps(a + i), vb);                                          \
            __m256 r1 = op_##name(_mm256_loadu_ps(a + i + 8), vb);                                      \
            _mm256_storeu_ps(y + i, r0);                                                                \
            _mm256_storeu_ps(y + i + 8, r1);                                                            \
        }                                                                                               \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, op_##name(_mm256_loadu_ps(a + i), vb));      \
        if (i < n) {                                                                                    \
            __m256i m = pml_tail_mask8(n - i);                                                          \
            _mm256_maskstore_ps(y + i, m, op_##name(_mm256_maskload_ps(a + i, m), vb));                 \
        }                                                                                               \
    }                                                                                                   \
    void pml_f32_s##name##v__avx2(size_t n, float a, const float *b, float *y) {                        \
        __m256 va = _mm256_set1_ps(a);                                                                  \
        size_t i = 0;                                                                                   \
        for (; i + 16 <= n; i += 16) {                                                                  \
            __m256 r0 = op_##name(va, _mm256_loadu_ps(b + i));                                          \
            __m256 r1 = op_##name(va, _mm256_loadu_ps(b + i + 8));                                      \
            _mm256_storeu_ps(y + i, r0);                                                                \
            _mm256_storeu_ps(y + i + 8, r1);                                                            \
        }                                                                                               \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, op_##name(va, _mm256_loadu_ps(b + i)));      \
        if (i < n) {                                                                                    \
            __m256i m = pml_tail_mask8(n - i);                                                          \
            _mm256_maskstore_ps(y + i, m, op_##name(va, _mm256_maskload_ps(b + i, m)));                 \
        }                                                                                               \
    }

PML_BINARY_AVX2(add)
PML_BINARY_AVX2(sub)
PML_BINARY_AVX2(mul)
PML_BINARY_AVX2(div)
PML_BINARY_AVX2(max)
PML_BINARY_AVX2(min)
PML_BINARY_AVX2(prelu)
