/*
 * kernels/conv/conv_typed.h — the conv family's type-generic scalar kernels, one table
 * per dtype, reached through ctx->config->typed.conv[dtype] (see kernels/config.h):
 * CausalConvWithState over float32 and float16 (float16 loads to float32; see the kernel
 * for where it rounds).
 */
#ifndef PML_KERNELS_CONV_TYPED_H
#define PML_KERNELS_CONV_TYPED_H

#include "kernels/common.h"

/* Rows [r0, r1) of a causal depthwise convolution over x [B*C rows, len] with w [C, k]
 * (row r is channel r % c): the row p = past [k-1] (NULL: zeros) followed by x's row,
 * y[t] = bias[c] (NULL: 0) + sum_i w[c, i] p[t + i], then y * sigmoid(y) when silu;
 * present's row [k-1] = the last k-1 elements of p. */
typedef void (*pml_causal_conv_fn)(size_t r0, size_t r1, size_t c, size_t len, size_t k, const void *x,
                                   const void *w, const void *bias, const void *past, int silu, void *y,
                                   void *present);

typedef struct pml_conv_typed {
    pml_causal_conv_fn causal_conv;
} pml_conv_typed;

extern const pml_conv_typed pml_f32_conv_typed__scalar, pml_f16_conv_typed__scalar;

/* The initialiser of pml_typed_config.conv (every configuration uses the scalar tables). */
#define PML_CONV_TYPED__SCALAR {[PML_FLOAT32] = &pml_f32_conv_typed__scalar, [PML_FLOAT16] = &pml_f16_conv_typed__scalar}

#endif /* PML_KERNELS_CONV_TYPED_H */
