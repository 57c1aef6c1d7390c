/*
 * kernels/activation.h — the fused activation a kernel applies in its epilogue
 * (Conv, ConvTranspose, Gemm, MatMul, ScaleShift and the binary elementwise ops carry
 * attributes act (pml_act_kind), act_alpha, act_beta; ops read them with
 * pml_activation_from_node) and its scalar reference.
 */
#ifndef PML_KERNELS_ACTIVATION_H
#define PML_KERNELS_ACTIVATION_H

#include "act_kinds.h" /* generated from the Python op registry: pml_act_kind (a leaf enum) */
#include "kernels/common.h"

typedef struct pml_activation {
    int kind;
    float alpha, beta;
    const float *slope;   /* PML_ACT_PRELU: slope of the first column the kernel sees; NULL otherwise */
    /* Conv's residual: kernels add the element sum_offset floats away from
     * each output element before the activation (sum and y share a layout) */
    int has_sum;
    ptrdiff_t sum_offset;
} pml_activation;

/* Applies an activation in place over n floats (scalar reference; kernels may fuse their own). */
void pml_activation_apply_ref(const pml_activation *act, float *x, size_t n);
float pml_activation_scalar(const pml_activation *act, float x);
/* The two Gelus in float, accurate in both tails (the scalar reference of
 * the Gelu op and of the fused activations). */
float pml_gelu_erf_ref(float x);
float pml_gelu_tanh_ref(float x);

#endif /* PML_KERNELS_ACTIVATION_H */
