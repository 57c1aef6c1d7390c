/*
 * ops/unary_q8.h — the quantized paths of the activation ops (ops/unary_q8.c), called by
 * ops/unary.c (prepare and run) when the input carries quantization parameters.
 */
#ifndef PML_OPS_UNARY_Q8_H
#define PML_OPS_UNARY_Q8_H

#include "../internal.h"

pml_status pml_q8_unary_prepare(pml_kernel_ctx *ctx);
pml_status pml_q8_unary_run(pml_kernel_ctx *ctx);

#endif /* PML_OPS_UNARY_Q8_H */
