/*
 * ops/matmul_q8_batched.h — the quantized MatMul path for run-time or batched b
 * (ops/matmul_q8_batched.c), called by ops/gemm_q8.c's MatMul when its b is not a constant
 * 2-D weight matrix.
 */
#ifndef PML_OPS_MATMUL_Q8_BATCHED_H
#define PML_OPS_MATMUL_Q8_BATCHED_H

#include "../internal.h"

int pml_q8_matmul_batched_wanted(const pml_kernel_ctx *ctx);
pml_status pml_q8_matmul_batched_infer(pml_kernel_ctx *ctx);
pml_status pml_q8_matmul_batched_prepare(pml_kernel_ctx *ctx);
pml_status pml_q8_matmul_batched_run(pml_kernel_ctx *ctx);

#endif /* PML_OPS_MATMUL_Q8_BATCHED_H */
