/*
 * kernels/matmul/igemm_typed__scalar.c — the exact integer GEMM of MatMulInteger and
 * ConvInteger (contract in matmul_typed.h), one macro template instantiated for int8
 * and uint8, and the matmul family's int8 and uint8 typed tables.
 *
 * Packing subtracts B's zero point once and lays each column out contiguously, so the
 * inner loop is a dot product of two contiguous rows. A's zero point comes out of the
 * loop: sum_k (a - za) * b' = sum_k a * b' - za * colsum(b'). Products of |a| <= 255 and
 * |b'| <= 255 fit int32; the sums are kept in uint32_t so that they wrap modulo 2^32
 * (defined behaviour) as an int32 accumulator would.
 */
#include "kernels/matmul/matmul_typed.h"

#define PML_IGEMM(D, T)                                                                                  \
    void pml_##D##_igemm_pack__scalar(size_t k, size_t n, const void *bv, size_t sk, size_t sn, const void *zbv, \
                                      size_t zb_stride, int16_t *packed, int32_t *colsum) {              \
        const T *b = (const T *)bv, *zb = (const T *)zbv;                                                \
        for (size_t j = 0; j < n; j++) {                                                                 \
            const int32_t z = zb ? (int32_t)zb[j * zb_stride] : 0;                                       \
            int16_t *col = packed + j * k;                                                               \
            uint32_t sum = 0;                                                                            \
            for (size_t kk = 0; kk < k; kk++) {                                                          \
                col[kk] = (int16_t)((int32_t)b[kk * sk + j * sn] - z);                                   \
                sum += (uint32_t)(int32_t)col[kk];                                                       \
            }                                                                                            \
            colsum[j] = (int32_t)sum;                                                                    \
        }                                                                                                \
    }                                                                                                    \
    static void igemm_##D(size_t m, size_t n, size_t k, const void *av, size_t lda, const void *zav,     \
                          size_t za_stride, const int16_t *packed, const int32_t *colsum, int32_t *y,    \
                          size_t ldy) {                                                                  \
        const T *a = (const T *)av, *za = (const T *)zav;                                                \
        for (size_t i = 0; i < m; i++) {                                                                 \
            const T *row = a + i * lda;                                                                  \
            const uint32_t z = za ? (uint32_t)(int32_t)za[i * za_stride] : 0;                            \
            for (size_t j = 0; j < n; j++) {                                                             \
                const int16_t *col = packed + j * k;                                                     \
                uint32_t acc = 0;                                                                        \
                for (size_t kk = 0; kk < k; kk++) acc += (uint32_t)((int32_t)row[kk] * (int32_t)col[kk]); \
                y[i * ldy + j] = (int32_t)(acc - z * (uint32_t)colsum[j]);                               \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
    const pml_matmul_typed pml_##D##_matmul_typed__scalar = {.igemm_pack = pml_##D##_igemm_pack__scalar, .igemm = igemm_##D};

PML_IGEMM(s8, int8_t)
PML_IGEMM(u8, uint8_t)
