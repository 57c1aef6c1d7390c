/*
 * ops/elementwise_q8.h — the quantized paths of the binary elementwise ops (Add, Sub, Mul on
 * int8 / uint8 / int16 tensors carrying quantization parameters), called by ops/elementwise.c
 * when its inputs are quantized, and the quantized range of a fused activation.
 */
#ifndef PML_OPS_ELEMENTWISE_Q8_H
#define PML_OPS_ELEMENTWISE_Q8_H

#include "../internal.h"

/* 1 when the node's inputs carry quantization parameters (the quantized path runs). */
int pml_q8_binary_wanted(const pml_kernel_ctx *ctx);

/* infer/prepare/run of the quantized path; the state it allocates starts with an int 1
 * (binary_state starts with an int 0), so the op's run can tell them apart. */
pml_status pml_q8_binary_infer(pml_kernel_ctx *ctx);
pml_status pml_q8_binary_prepare(pml_kernel_ctx *ctx);
pml_status pml_q8_binary_run(pml_kernel_ctx *ctx);

/* PRelu's quantized path (ops/prelu_q8.c): prepare when x is quantized (its infer is the float
 * one: y has x's shape and dtype); its state starts with an int 1 like the binary ops'. */
pml_status pml_q8_prelu_prepare(pml_kernel_ctx *ctx);
pml_status pml_q8_prelu_run(pml_kernel_ctx *ctx);

/* The output clamp [*qmin, *qmax] of a quantized op: the output dtype's range narrowed by
 * the node's fused activation (Relu, Clip with act_alpha..act_beta) as TFLite's
 * CalculateActivationRangeQuantized does (zp + round(v / scale), half away from zero).
 * Other activation kinds are refused (PML_ERR_UNSUPPORTED). */
pml_status pml_q8_act_range(const pml_kernel_ctx *ctx, const pml_tensor *y, int32_t *qmin, int32_t *qmax);

/* [*qmin, *qmax]: the reals [lo_real, hi_real] (infinite for no bound) quantized with y's
 * parameters as above, inside y's dtype range (a Relu or Clip on quantized values). */
void pml_q8_real_range(const pml_tensor *y, float lo_real, float hi_real, int32_t *qmin, int32_t *qmax);

#endif /* PML_OPS_ELEMENTWISE_Q8_H */
