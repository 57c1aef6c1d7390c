/*
 * kernels/tensor/transpose.h — data-movement kernels for Transpose (and any op that needs
 * a layout change): a batched, cache-blocked 2-D transpose for 1/2/4/8-byte
 * elements (the shape every NCHW<->NHWC permutation collapses to), with an
 * AVX2 8x8 register-transpose version for 4-byte elements.
 */
#ifndef PML_TRANSPOSE_H
#define PML_TRANSPOSE_H

#include <stddef.h>

#include "kernels/common.h"

/* y[c * rows + r] = x[r * cols + c] for r in [r0, r1), all c (rows of the
 * source band [r0, r1); callers split bands across threads). */
typedef void (*pml_transpose2d_fn)(size_t rows, size_t cols, size_t r0, size_t r1, const void *x, void *y);

#define PML_TRANSPOSE(dtype, isa, tile) \
    void pml_##dtype##_transpose2d__##isa(size_t rows, size_t cols, size_t r0, size_t r1, const void *x, void *y);
#include "kernels/tensor/tensor_variants.h"

#endif /* PML_TRANSPOSE_H */
