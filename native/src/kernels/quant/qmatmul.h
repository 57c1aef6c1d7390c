/*
 * kernels/quant/qmatmul.h — one quantized matrix product with both operands computed at run
 * time (TFLite BATCH_MATMUL on two activations): y[M,N] = requant(sum_k (a - za) (b - zb)),
 * exact int32 accumulation (int16: int64), per-tensor parameters; the op (ops/matmul_q8_batched.c) walks the
 * batch. Constant weights take the packed int8 GEMM (kernels/matmul/s8_gemm.h) instead.
 */
#ifndef PML_KERNELS_QUANT_QMATMUL_H
#define PML_KERNELS_QUANT_QMATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/requant.h"

/* a [m, k] row-major, b [k, n] row-major, y [m, n]; rq per tensor (fixed point or float). */
typedef void (*pml_qmatmul_fn)(int64_t m, int64_t n, int64_t k, const void *a, int32_t za, const void *b,
                               int32_t zb, const pml_requant *rq, void *y);
void pml_s8_qmatmul__scalar(int64_t m, int64_t n, int64_t k, const void *a, int32_t za, const void *b, int32_t zb,
                            const pml_requant *rq, void *y);
void pml_u8_qmatmul__scalar(int64_t m, int64_t n, int64_t k, const void *a, int32_t za, const void *b, int32_t zb,
                            const pml_requant *rq, void *y);
/* TFLite int16x8 (reference_ops::BatchMatMul<int16_t, int64_t>): int16 a, b and y, int64
 * accumulator, pml_requantize_s64 (fixed point only). */
void pml_s16_qmatmul__scalar(int64_t m, int64_t n, int64_t k, const void *a, int32_t za, const void *b, int32_t zb,
                             const pml_requant *rq, void *y);

/* MatMulIntegerToFloat's epilogue (ops/matmul_integer.c), in place over count int32 values y,
 * rows of n columns: y = (float)y * (a_scale * b_scale[j * b_scale_col]) + bias[j] (bias NULL:
 * none), the multiplier rounded to float32 first, then the product and the sum once each (this
 * directory compiles without fused multiply-adds): the values of the Cast -> Mul -> Add that
 * onnxruntime's quantize_dynamic writes after a MatMulInteger. */
void pml_i32_dequant_cols(size_t count, size_t n, void *y, float a_scale, const float *b_scale, size_t b_scale_col,
                          const float *bias);

#endif /* PML_KERNELS_QUANT_QMATMUL_H */
