/*
 * kernels/matmul/igemm_typed__avx2.c — the exact integer GEMM of MatMulInteger and ConvInteger
 * (contract in matmul_typed.h) on AVX2, for int8 and uint8 A, and the matmul family's AVX2
 * int8/uint8 typed tables (B's packing is the scalar one: once per session for weights).
 *
 * B is packed as int16 columns [N][K] (b - zb, in [-255, 255]); A is widened to int16 (sign- or
 * zero-extended, in [-128, 255]) 16 values at a time, so each vpmaddwd multiplies 16 pairs and
 * sums adjacent products into 8 int32: |a * b'| <= 255 * 255 and a pair sum fits int32, nothing
 * saturates (vpmaddubsw, whose 16-bit pair sums saturate, is never used). A tile of 4 rows x 4
 * columns keeps 16 accumulators of 8 int32 in registers over the whole K; they are reduced
 * horizontally once at the end (vphaddd wraps, it does not saturate). The K tail (K mod 16) is
 * summed in scalar code. Every sum wraps modulo 2^32 like the scalar kernel's uint32 sums, so
 * the results equal it bit for bit (vpmulld keeps the low 32 bits of za_i * colsum_j, as the
 * scalar uint32 product). A's zero point leaves the loop: - za_i * colsum_j.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/matmul/matmul_typed.h"

#define IG_MR 4
#define IG_NR 4

/* The 4 columns' sums of 8 int32 each, reduced to one int32 per column. */
static inline __m128i ig_reduce4(__m256i c0, __m256i c1, __m256i c2, __m256i c3) {
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(c0, c1), _mm256_hadd_epi32(c2, c3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

#define IG_LOAD_S8(p) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p)))
#define IG_LOAD_U8(p) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p)))

/* One mr x nr tile (mr <= 4, nr <= 4): rows past mr and columns past nr repeat the last valid
 * one (valid memory) and are not stored. */
#define PML_IGEMM_AVX2(D, T, LOAD)                                                                              \
    static void ig_tile_##D(size_t mr, size_t nr, size_t k, const T *a, size_t lda, const T *za, size_t za_stride, \
                            const int16_t *packed, const int32_t *colsum, int32_t *y, size_t ldy) {             \
        const T *ar[IG_MR];                                                                                     \
        const int16_t *bc[IG_NR];                                                                               \
        for (size_t r = 0; r < IG_MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * lda;                             \
        for (size_t j = 0; j < IG_NR; j++) bc[j] = packed + (j < nr ? j : nr - 1) * k;                          \
        __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00,  \
                c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00; \
        const size_t k16 = k / 16 * 16;                                                                         \
        for (size_t q = 0; q < k16; q += 16) {                                                                  \
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)(bc[0] + q));                                \
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bc[1] + q));                                \
            const __m256i b2 = _mm256_loadu_si256((const __m256i *)(bc[2] + q));                                \
            const __m256i b3 = _mm256_loadu_si256((const __m256i *)(bc[3] + q));                                \
            __m256i av = LOAD(ar[0] + q);                                                                       \
            c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(av, b0));                                             \
            c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(av, b1));                                             \
            c02 = _mm256_add_epi32(c02, _mm256_madd_epi16(av, b2));                                             \
            c03 = _mm256_add_epi32(c03, _mm256_madd_epi16(av, b3));                                             \
            av = LOAD(ar[1] + q);                                                                               \
            c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(av, b0));                                             \
            c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(av, b1));                                             \
            c12 = _mm256_add_epi32(c12, _mm256_madd_epi16(av, b2));                                             \
            c13 = _mm256_add_epi32(c13, _mm256_madd_epi16(av, b3));                                             \
            av = LOAD(ar[2] + q);                                                                               \
            c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(av, b0));                                             \
            c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(av, b1));                                             \
            c22 = _mm256_add_epi32(c22, _mm256_madd_epi16(av, b2));                                             \
            c23 = _mm256_add_epi32(c23, _mm256_madd_epi16(av, b3));                                             \
            av = LOAD(ar[3] + q);                                                                               \
            c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(av, b0));                                             \
            c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(av, b1));                                             \
            c32 = _mm256_add_epi32(c32, _mm256_madd_epi16(av, b2));                                             \
            c33 = _mm256_add_epi32(c33, _mm256_madd_epi16(av, b3));                                             \
        }                                                                                                       \
        __m128i rows[IG_MR] = {ig_reduce4(c00, c01, c02, c03), ig_reduce4(c10, c11, c12, c13),                  \
                               ig_reduce4(c20, c21, c22, c23), ig_reduce4(c30, c31, c32, c33)};                 \
        if (nr == IG_NR && k16 == k) { /* a full tile: y = sums - za_i * colsum, 4 columns at once */            \
            const __m128i cs = _mm_loadu_si128((const __m128i *)colsum);                                        \
            for (size_t r = 0; r < mr; r++) {                                                                   \
                const int32_t z = za ? (int32_t)za[r * za_stride] : 0;                                          \
                _mm_storeu_si128((__m128i *)(y + r * ldy),                                                      \
                                 _mm_sub_epi32(rows[r], _mm_mullo_epi32(_mm_set1_epi32(z), cs)));               \
            }                                                                                                   \
            return;                                                                                             \
        }                                                                                                       \
        for (size_t r = 0; r < mr; r++) {                                                                       \
            uint32_t acc[IG_NR];                                                                                \
            _mm_storeu_si128((__m128i *)acc, rows[r]);                                                          \
            const uint32_t z = za ? (uint32_t)(int32_t)za[r * za_stride] : 0;                                   \
            for (size_t j = 0; j < nr; j++) {                                                                   \
                uint32_t s = acc[j];                                                                            \
                for (size_t q = k16; q < k; q++) s += (uint32_t)((int32_t)ar[r][q] * (int32_t)bc[j][q]);        \
                y[r * ldy + j] = (int32_t)(s - z * (uint32_t)colsum[j]);                                        \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
    void pml_##D##_igemm__avx2(size_t m, size_t n, size_t k, const void *av, size_t lda, const void *zav,       \
                               size_t za_stride, const int16_t *packed, const int32_t *colsum, int32_t *y,    \
                               size_t ldy) {                                                                  \
        const T *a = (const T *)av, *za = (const T *)zav;                                                       \
        for (size_t i = 0; i < m; i += IG_MR) {                                                                 \
            const size_t mr = m - i < IG_MR ? m - i : IG_MR;                                                    \
            for (size_t j = 0; j < n; j += IG_NR)                                                               \
                ig_tile_##D(mr, n - j < IG_NR ? n - j : IG_NR, k, a + i * lda, lda, za ? za + i * za_stride : NULL, \
                            za_stride, packed + j * k, colsum + j, y + i * ldy + j, ldy);                       \
        }                                                                                                       \
    }                                                                                                           \
    const pml_matmul_typed pml_##D##_matmul_typed__avx2 = {.igemm_pack = pml_##D##_igemm_pack__scalar, \
                                                           .igemm = pml_##D##_igemm__avx2};

PML_IGEMM_AVX2(s8, int8_t, IG_LOAD_S8)
PML_IGEMM_AVX2(u8, uint8_t, IG_LOAD_U8)
