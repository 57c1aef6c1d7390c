/*
 * ops/norm_q8.h — Softmax on quantized int8/uint8 tensors (ops/norm_q8.c), called by
 * ops/norm.c's Softmax (infer, prepare, run) when its input carries quantization parameters.
 */
#ifndef PML_OPS_NORM_Q8_H
#define PML_OPS_NORM_Q8_H

#include "../internal.h"

pml_status pml_q8_softmax_infer(pml_kernel_ctx *ctx);
pml_status pml_q8_softmax_prepare(pml_kernel_ctx *ctx);
pml_status pml_q8_softmax_run(pml_kernel_ctx *ctx);

#endif /* PML_OPS_NORM_Q8_H */
