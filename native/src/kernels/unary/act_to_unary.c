/*
 * kernels/unary/act_to_unary.c — maps a fused activation onto the unary kernel that
 * computes it (ops that run an activation as a separate pass over their output).
 */
#include "kernels/unary/unary.h"

int pml_ew_act_to_unary(const pml_activation *act, pml_unary_params *p) {
    p->alpha = act->alpha;
    p->beta = act->beta;
    p->gamma = 0.0f;
    switch (act->kind) {
    case PML_ACT_RELU: return PML_UN_RELU;
    case PML_ACT_CLIP: return PML_UN_CLIP;
    case PML_ACT_SIGMOID: return PML_UN_SIGMOID;
    case PML_ACT_HARDSWISH: return PML_UN_HARDSWISH;
    case PML_ACT_LEAKY_RELU: return PML_UN_LEAKY_RELU;
    case PML_ACT_TANH: return PML_UN_TANH;
    case PML_ACT_HARDSIGMOID: return PML_UN_HARDSIGMOID;
    case PML_ACT_GELU_ERF: return PML_UN_GELU_ERF;
    case PML_ACT_GELU_TANH: return PML_UN_GELU_TANH;
    default: return -1;
    }
}
