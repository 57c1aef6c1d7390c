/*
 * kernels/reduce/reduce.h — float32 reductions over n contiguous floats (sum carries a
 * double total, so long rows keep ~1e-7 relative accuracy; max propagates NaN) and the
 * accumulation of a row into acc (for reductions over an outer axis).
 */
#ifndef PML_KERNELS_REDUCE_H
#define PML_KERNELS_REDUCE_H

#include "kernels/common.h"

typedef double (*pml_f32_sum_fn)(size_t n, const float *x);
typedef float (*pml_f32_max_fn)(size_t n, const float *x);
typedef void (*pml_f32_acc_add_fn)(size_t n, const float *x, double *acc);
typedef void (*pml_f32_acc_max_fn)(size_t n, const float *x, float *acc);

#define PML_F32_REDUCE(isa, tile)                                         \
    double pml_f32_sum__##isa(size_t n, const float *x);                  \
    float pml_f32_max__##isa(size_t n, const float *x);                   \
    void pml_f32_acc_add__##isa(size_t n, const float *x, double *acc); \
    void pml_f32_acc_max__##isa(size_t n, const float *x, float *acc);
#include "kernels/reduce/reduce_variants.h"

#endif /* PML_KERNELS_REDUCE_H */
