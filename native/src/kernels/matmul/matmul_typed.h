/*
 * kernels/matmul/matmul_typed.h — the matmul family's type-generic scalar kernels,
 * reached through ctx->config->typed.matmul[dtype] (see kernels/config.h): Det over
 * float32 and float16 (loaded as float32, factored in float32, stored rounding once), and
 * the exact integer GEMM of MatMulInteger and ConvInteger over int8 and uint8.
 * MatMul and Gemm run on the float32 GEMM engine of kernels/matmul/gemm.h instead.
 *
 * Integer GEMM: y[i][j] = sum_k (a[i][k] - za_i) * (b[k][j] - zb_j), accumulated in int32
 * (never float32: 255 * 255 * K passes 2^24 from K = 259). B is packed once, its zero point
 * subtracted, as int16 columns [N][K] (|b - zb| <= 255); its column
 * sums go to a separate int32 [N], so the kernel computes sum_k a * b' - za_i * colsum_j
 * and never subtracts inside the loop. Sums wrap modulo 2^32 (unsigned arithmetic: no
 * undefined overflow), as onnxruntime's int32 accumulators.
 */
#ifndef PML_KERNELS_MATMUL_TYPED_H
#define PML_KERNELS_MATMUL_TYPED_H

#include "kernels/common.h"

/* y[b] = det(x[b]) for the count square m x m matrices of x (row-major, contiguous), by
 * LU factorisation with partial pivoting; work holds m * m floats (the factored copy). */
typedef void (*pml_det_fn)(size_t m, size_t count, const void *x, void *y, float *work);

/* Packs B [K, N] (element (k, j) at b[k * sk + j * sn]) of this entry's dtype into packed
 * [N][K] int16 = b - zb_j and colsum [N] int32 = sum_k packed[j][k]; zb_j = zb[j * zb_stride]
 * (zb: NULL for 0). */
typedef void (*pml_igemm_pack_fn)(size_t k, size_t n, const void *b, size_t sk, size_t sn, const void *zb,
                                  size_t zb_stride, int16_t *packed, int32_t *colsum);
/* y[i * ldy + j] = sum_k (a[i * lda + k] - za_i) * packed[j][k] for i < m, j < n, with a of
 * this entry's dtype and za_i = za[i * za_stride] (za: NULL for 0). */
typedef void (*pml_igemm_fn)(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *za,
                             size_t za_stride, const int16_t *packed, const int32_t *colsum, int32_t *y, size_t ldy);

/* The quad form (configurations with a u8 x s8 dot product): int8 B whose zero point is 0,
 * packed as panels of 16 columns, each kq/4 k-quads of 64 bytes (kq = K rounded up to 4;
 * quad q of a panel holds b[4q..4q+3][j] for its 16 columns j), kq * n_pad bytes (n_pad = N
 * rounded up to 16), 64-byte aligned, zero past N and in the K padding; colsum [N] as above. */
typedef void (*pml_igemm_quad_pack_fn)(size_t k, size_t n, const void *b, size_t sk, size_t sn, int8_t *packed,
                                       int32_t *colsum);
/* y[i * ldy + j] = sum_k (a[i * lda + k] - za_i) * b[k][j] over the quad-packed B. */
typedef void (*pml_igemm_quad_fn)(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *za,
                                  size_t za_stride, const int8_t *packed, const int32_t *colsum, int32_t *y,
                                  size_t ldy);

typedef struct pml_matmul_typed {
    pml_det_fn det;               /* float32, float16 */
    pml_igemm_pack_fn igemm_pack; /* int8, uint8: B's dtype */
    pml_igemm_fn igemm;           /* int8, uint8: A's dtype */
    pml_igemm_quad_pack_fn igemm_quad_pack; /* int8 (B's dtype) where the quad form exists, else NULL */
    pml_igemm_quad_fn igemm_quad;           /* int8, uint8 (A's dtype) likewise */
} pml_matmul_typed;

extern const pml_matmul_typed pml_f32_matmul_typed__scalar, pml_f16_matmul_typed__scalar,
    pml_s8_matmul_typed__scalar, pml_u8_matmul_typed__scalar;
/* AVX2 integer GEMM (kernels/matmul/igemm_typed__avx2.c; the packing is the scalar one) */
extern const pml_matmul_typed pml_s8_matmul_typed__avx2, pml_u8_matmul_typed__avx2;
void pml_s8_igemm__avx2(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *za, size_t za_stride,
                        const int16_t *packed, const int32_t *colsum, int32_t *y, size_t ldy);
void pml_u8_igemm__avx2(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *za, size_t za_stride,
                        const int16_t *packed, const int32_t *colsum, int32_t *y, size_t ldy);
/* avx2's plus the u8 x s8 quad form on vpdpbusd (kernels/matmul/x8_igemm_4x32__avx512vnni.c) */
extern const pml_matmul_typed pml_s8_matmul_typed__avx512vnni, pml_u8_matmul_typed__avx512vnni;
void pml_s8_igemm_pack__scalar(size_t k, size_t n, const void *b, size_t sk, size_t sn, const void *zb,
                               size_t zb_stride, int16_t *packed, int32_t *colsum);
void pml_u8_igemm_pack__scalar(size_t k, size_t n, const void *b, size_t sk, size_t sn, const void *zb,
                               size_t zb_stride, int16_t *packed, int32_t *colsum);

/* The initialisers of pml_typed_config.matmul: the scalar tables, and the AVX2 configuration's
 * (its integer GEMM; Det stays scalar). */
#define PML_MATMUL_TYPED__SCALAR                                                                        \
    {[PML_FLOAT32] = &pml_f32_matmul_typed__scalar, [PML_FLOAT16] = &pml_f16_matmul_typed__scalar,      \
     [PML_INT8] = &pml_s8_matmul_typed__scalar, [PML_UINT8] = &pml_u8_matmul_typed__scalar}
#define PML_MATMUL_TYPED__AVX2                                                                          \
    {[PML_FLOAT32] = &pml_f32_matmul_typed__scalar, [PML_FLOAT16] = &pml_f16_matmul_typed__scalar,      \
     [PML_INT8] = &pml_s8_matmul_typed__avx2, [PML_UINT8] = &pml_u8_matmul_typed__avx2}
#define PML_MATMUL_TYPED__AVX512VNNI                                                                    \
    {[PML_FLOAT32] = &pml_f32_matmul_typed__scalar, [PML_FLOAT16] = &pml_f16_matmul_typed__scalar,      \
     [PML_INT8] = &pml_s8_matmul_typed__avx512vnni, [PML_UINT8] = &pml_u8_matmul_typed__avx512vnni}

#endif /* PML_KERNELS_MATMUL_TYPED_H */
