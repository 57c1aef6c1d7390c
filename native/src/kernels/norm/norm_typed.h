/*
 * kernels/norm/norm_typed.h — the norm family's type-generic scalar kernels, one table
 * per dtype, reached through ctx->config->typed.norm[dtype] (see kernels/config.h):
 * Hardmax over float32 and float16 (compared as float32, written as 0 and 1).
 */
#ifndef PML_KERNELS_NORM_TYPED_H
#define PML_KERNELS_NORM_TYPED_H

#include "kernels/common.h"

/* y[o, :, i] = 1 at the first maximum of x[o, :, i] along the middle axis of an
 * [outer, len, inner] block, 0 elsewhere (a NaN counts as a maximum, as numpy's argmax). */
typedef void (*pml_hardmax_fn)(size_t outer, size_t len, size_t inner, const void *x, void *y);

typedef struct pml_norm_typed {
    pml_hardmax_fn hardmax;
} pml_norm_typed;

extern const pml_norm_typed pml_f32_norm_typed__scalar, pml_f16_norm_typed__scalar;

/* The initialiser of pml_typed_config.norm (every configuration uses the scalar tables). */
#define PML_NORM_TYPED__SCALAR \
    {[PML_FLOAT32] = &pml_f32_norm_typed__scalar, [PML_FLOAT16] = &pml_f16_norm_typed__scalar}

#endif /* PML_KERNELS_NORM_TYPED_H */
