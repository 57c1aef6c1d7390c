/*
 * ops/reduce_q8.h — ReduceMean on quantized int8/uint8/int16 tensors (ops/reduce_q8.c), called by
 * ops/reduce.c when its input carries quantization parameters; and the axes parser both share
 * (ops/reduce_axes.c).
 */
#ifndef PML_OPS_REDUCE_Q8_H
#define PML_OPS_REDUCE_Q8_H

#include "../internal.h"

/* Which axes of x are reduced (the axes input, else every axis unless noop_with_empty_axes):
 * mask[a] = 1; *noop = 1 when nothing is. */
pml_status pml_reduce_axes(pml_kernel_ctx *ctx, const pml_tensor *x, int *mask, int *noop);

pml_status pml_q8_mean_prepare(pml_kernel_ctx *ctx);
pml_status pml_q8_mean_run(pml_kernel_ctx *ctx);

#endif /* PML_OPS_REDUCE_Q8_H */
