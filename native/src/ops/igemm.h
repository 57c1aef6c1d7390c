/*
 * ops/igemm.h — packed B operands of the integer GEMM (kernels/matmul/matmul_typed.h), shared
 * by MatMulInteger (ops/matmul_integer.c) and ConvInteger (ops/conv_integer.c): the int16
 * columns [N][K] with B's zero point subtracted, then the int32 column sums [N], each part
 * 64-byte aligned. Constant weights are packed once per session into ctx->packed (a header
 * saying which K x N it holds, then the operand); others into scratch at run. Constant int8
 * weights with a zero point of 0 pack in the configuration's quad form instead, where it has
 * one (matmul_typed.h), for MatMulInteger.
 */
#ifndef PML_OPS_IGEMM_H
#define PML_OPS_IGEMM_H

#include "../internal.h"
#include "kernels/matmul/matmul_typed.h"

typedef struct pml_igemm_b {
    int16_t *cols;   /* [N][K] */
    int32_t *colsum; /* [N] */
    int8_t *quads;   /* non-NULL: the quad form instead of cols (constant int8 B, zero point 0) */
} pml_igemm_b;

/* Bytes of one packed K x N operand (a multiple of PML_ALIGN). */
size_t pml_igemm_b_bytes(int64_t k, int64_t n);
/* The operand stored at mem (PML_ALIGN-aligned, pml_igemm_b_bytes(k, n) bytes). */
pml_igemm_b pml_igemm_b_at(void *mem, int64_t k, int64_t n);

/* prepare: the kernels for input 0 (A's dtype: the GEMM) and input 1 (B's: its packing), or an
 * error naming both dtypes. */
pml_status pml_igemm_kernels(const pml_kernel_ctx *ctx, pml_igemm_fn *gemm, pml_igemm_pack_fn *pack);

/* pack: packs constant B (elements b[kk * sk + j * sn]) minus zb[j * zb_stride] (zb: NULL or
 * constant) into ctx->packed with pack_fn (the kernel of B's dtype). */
pml_status pml_igemm_pack_const(pml_kernel_ctx *ctx, pml_igemm_pack_fn pack_fn, const void *b, int64_t k, int64_t n,
                                size_t sk, size_t sn, const void *zb, size_t zb_stride);
/* pack: packs constant int8 B (zero point 0) in the quad form with quad_pack into ctx->packed. */
pml_status pml_igemm_pack_const_quads(pml_kernel_ctx *ctx, pml_igemm_quad_pack_fn quad_pack, const void *b, int64_t k,
                                      int64_t n, size_t sk, size_t sn);
/* pack: whether constant B may take the quad form: int8, no zero point or a constant one of
 * zeros, and the configuration has the quad kernels for B and for A's dtype. */
int pml_igemm_quads_apply(const pml_kernel_ctx *ctx, const pml_tensor *a, const pml_tensor *b, const pml_tensor *zb);
/* prepare: ctx->packed if it holds a K x N operand, else NULL. */
const pml_igemm_b *pml_igemm_packed(const pml_kernel_ctx *ctx, int64_t k, int64_t n);
/* unpack: frees ctx->packed. */
void pml_igemm_unpack(pml_kernel_ctx *ctx);

#endif /* PML_OPS_IGEMM_H */
