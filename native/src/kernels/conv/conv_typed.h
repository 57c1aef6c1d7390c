/*
 * kernels/conv/conv_typed.h — the conv family's type-generic scalar kernels, one table per
 * dtype, reached through ctx->config->typed.conv[dtype] (see kernels/config.h): Col2Im over
 * every numeric dtype (float16 sums in float32 and rounds once; integers sum in 64 bits and
 * wrap to the dtype) and CausalConvWithState over float32 and float16 (float16 loads to
 * float32; see its kernel for where it rounds). The tables are defined with the Col2Im kernels
 * (col2im_typed__scalar.c); the causal conv kernels live in causal_conv_typed__scalar.c.
 */
#ifndef PML_KERNELS_CONV_TYPED_H
#define PML_KERNELS_CONV_TYPED_H

#include "kernels/common.h"

#define PML_COL2IM_MAX_AXES 6

/* Col2Im, channels first: x [N, C * K, L] -> y [N, C, d1..dk], K = prod(block), L = prod(blocks). */
typedef struct pml_col2im_params {
    int axes;                                  /* k */
    int64_t image[PML_COL2IM_MAX_AXES];        /* d1..dk */
    int64_t block[PML_COL2IM_MAX_AXES];        /* block_shape */
    int64_t blocks[PML_COL2IM_MAX_AXES];       /* n_i: blocks along each axis */
    int64_t stride[PML_COL2IM_MAX_AXES], dilation[PML_COL2IM_MAX_AXES], pad_begin[PML_COL2IM_MAX_AXES];
    int64_t kernel, columns, plane;            /* K, L, d1 * ... * dk */
} pml_col2im_params;

/* Planes [p0, p1) of the N * C output planes: each output element gathers the column
 * entries that land on it (so it is written once, no accumulation across threads). */
typedef void (*pml_col2im_fn)(const pml_col2im_params *p, const void *x, void *y, int64_t p0, int64_t p1);

/* Rows [r0, r1) of a causal depthwise convolution over x [B*C rows, len] with w [C, k]
 * (row r is channel r % c): the row p = past [k-1] (NULL: zeros) followed by x's row,
 * y[t] = bias[c] (NULL: 0) + sum_i w[c, i] p[t + i], then y * sigmoid(y) when silu;
 * present's row [k-1] = the last k-1 elements of p. */
typedef void (*pml_causal_conv_fn)(size_t r0, size_t r1, size_t c, size_t len, size_t k, const void *x,
                                   const void *w, const void *bias, const void *past, int silu, void *y,
                                   void *present);

typedef struct pml_conv_typed {
    pml_col2im_fn col2im;
    pml_causal_conv_fn causal_conv; /* NULL for the integer dtypes */
} pml_conv_typed;

void pml_f32_causal_conv__scalar(size_t r0, size_t r1, size_t c, size_t len, size_t k, const void *x, const void *w,
                                 const void *bias, const void *past, int silu, void *y, void *present);
void pml_f16_causal_conv__scalar(size_t r0, size_t r1, size_t c, size_t len, size_t k, const void *x, const void *w,
                                 const void *bias, const void *past, int silu, void *y, void *present);

extern const pml_conv_typed pml_f32_conv_typed__scalar, pml_f16_conv_typed__scalar, pml_s8_conv_typed__scalar,
    pml_u8_conv_typed__scalar, pml_s16_conv_typed__scalar, pml_u16_conv_typed__scalar, pml_s32_conv_typed__scalar,
    pml_u32_conv_typed__scalar, pml_s64_conv_typed__scalar, pml_u64_conv_typed__scalar;

/* The initialiser of pml_typed_config.conv (every configuration uses the scalar tables). */
#define PML_CONV_TYPED__SCALAR                                                                                   \
    {[PML_FLOAT32] = &pml_f32_conv_typed__scalar, [PML_FLOAT16] = &pml_f16_conv_typed__scalar,                    \
     [PML_INT8] = &pml_s8_conv_typed__scalar,     [PML_UINT8] = &pml_u8_conv_typed__scalar,                       \
     [PML_INT16] = &pml_s16_conv_typed__scalar,   [PML_UINT16] = &pml_u16_conv_typed__scalar,                     \
     [PML_INT32] = &pml_s32_conv_typed__scalar,   [PML_UINT32] = &pml_u32_conv_typed__scalar,                     \
     [PML_INT64] = &pml_s64_conv_typed__scalar,   [PML_UINT64] = &pml_u64_conv_typed__scalar}

#endif /* PML_KERNELS_CONV_TYPED_H */
