/*
 * kernels/norm/norm_typed.h — the norm family's type-generic scalar kernels, one table
 * per dtype, reached through ctx->config->typed.norm[dtype] (see kernels/config.h):
 * Hardmax over float32 and float16 (compared as float32, written as 0 and 1), and the
 * three steps of GroupNormalization on channels-last [rows, c] blocks and LpNormalization
 * (float16 loads as float32 and rounds once on the store).
 */
#ifndef PML_KERNELS_NORM_TYPED_H
#define PML_KERNELS_NORM_TYPED_H

#include "kernels/common.h"

/* y[o, :, i] = 1 at the first maximum of x[o, :, i] along the middle axis of an
 * [outer, len, inner] block, 0 elsewhere (a NaN counts as a maximum, as numpy's argmax). */
typedef void (*pml_hardmax_fn)(size_t outer, size_t len, size_t inner, const void *x, void *y);

/* GroupNormalization, step 1: sum[k] += x[r, k] and sumsq[k] += x[r, k]^2 over the rows of an
 * [rows, c] block (double: one pass, and E[x^2] - E[x]^2 keeps float32's precision).
 * Steps 1 and 3 are float32 only (NULL for float16, whose rows the op widens to float32);
 * the kernels index channels only, so a block may also be a piece [k0, k0 + c) of wider
 * rows with the vectors offset by k0. */
typedef void (*pml_channel_sums_fn)(size_t rows, size_t c, const void *x, double *sum, double *sumsq);
/* Step 2: channel sums of one instance over count values per channel -> per-channel
 * coefficients of step 3 for groups of c / groups channels: mean[k] = the group's mean,
 * mul[k] = scale[k] / sqrt(var + eps), add[k] = bias[k] (scale, bias of the dtype). */
typedef void (*pml_group_coeffs_fn)(size_t c, size_t groups, double count, const double *sum, const double *sumsq,
                                    const void *scale, const void *bias, float eps, float *mean, float *mul,
                                    float *add);
/* Step 3: y[r, k] = (x[r, k] - mean[k]) * mul[k] + add[k] over an [rows, c] block (y may be x). */
typedef void (*pml_group_apply_fn)(size_t rows, size_t c, const void *x, const float *mean, const float *mul,
                                   const float *add, void *y);

/* LpNormalization: y = x / ||x||_p (p 1 or 2) along the middle axis of a [len, inner] block,
 * for the inner positions [i0, i1), i1 - i0 <= PML_LP_TILE (the norms of a tile sit on the
 * stack, so every pass over the block is unit-stride); a zero norm gives 0. */
#define PML_LP_TILE 64
typedef void (*pml_lp_norm_fn)(size_t len, size_t inner, size_t i0, size_t i1, int p, const void *x, void *y);

typedef struct pml_norm_typed {
    pml_hardmax_fn hardmax;
    pml_channel_sums_fn channel_sums;
    pml_group_coeffs_fn group_coeffs;
    pml_group_apply_fn group_apply;
    pml_lp_norm_fn lp_norm;
} pml_norm_typed;

extern const pml_norm_typed pml_f32_norm_typed__scalar, pml_f16_norm_typed__scalar;

/* The scalar kernels of dtype D (f32, f16) that those tables (norm_typed__scalar.c) collect. */
#define PML_NORM_TYPED_DECLARE(D)                                                                              \
    void pml_##D##_hardmax__scalar(size_t outer, size_t len, size_t inner, const void *x, void *y);           \
    void pml_##D##_group_coeffs__scalar(size_t c, size_t groups, double count, const double *sum,              \
                                        const double *sumsq, const void *scale, const void *bias, float eps,   \
                                        float *mean, float *mul, float *add);                                  \
    void pml_##D##_lp_norm__scalar(size_t len, size_t inner, size_t i0, size_t i1, int p, const void *x, void *y);
PML_NORM_TYPED_DECLARE(f32)
PML_NORM_TYPED_DECLARE(f16)
void pml_f32_channel_sums__scalar(size_t rows, size_t c, const void *x, double *sum, double *sumsq);
void pml_f32_group_apply__scalar(size_t rows, size_t c, const void *x, const float *mean, const float *mul,
                                 const float *add, void *y);

/* The initialiser of pml_typed_config.norm (every configuration uses the scalar tables). */
#define PML_NORM_TYPED__SCALAR \
    {[PML_FLOAT32] = &pml_f32_norm_typed__scalar, [PML_FLOAT16] = &pml_f16_norm_typed__scalar}

#endif /* PML_KERNELS_NORM_TYPED_H */
