/*
 * kernels/matmul/matmul_typed.h — the matmul family's type-generic scalar kernels,
 * reached through ctx->config->typed.matmul[dtype] (see kernels/config.h): Det over
 * float32 and float16 (loaded as float32, factored in float32, stored rounding once).
 * MatMul and Gemm run on the float32 GEMM engine of kernels/matmul/gemm.h instead.
 */
#ifndef PML_KERNELS_MATMUL_TYPED_H
#define PML_KERNELS_MATMUL_TYPED_H

#include "kernels/common.h"

/* y[b] = det(x[b]) for the count square m x m matrices of x (row-major, contiguous), by
 * LU factorisation with partial pivoting; work holds m * m floats (the factored copy). */
typedef void (*pml_det_fn)(size_t m, size_t count, const void *x, void *y, float *work);

typedef struct pml_matmul_typed {
    pml_det_fn det;
} pml_matmul_typed;

extern const pml_matmul_typed pml_f32_matmul_typed__scalar, pml_f16_matmul_typed__scalar;

/* The initialiser of pml_typed_config.matmul (every configuration uses the scalar tables). */
#define PML_MATMUL_TYPED__SCALAR \
    {[PML_FLOAT32] = &pml_f32_matmul_typed__scalar, [PML_FLOAT16] = &pml_f16_matmul_typed__scalar}

#endif /* PML_KERNELS_MATMUL_TYPED_H */
