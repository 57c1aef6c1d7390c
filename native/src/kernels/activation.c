/*
 * kernels/activation.c — the scalar reference of the fused activations (what every
 * SIMD epilogue must match to a few ulp) and the two Gelus in float, accurate in both
 * tails (also the reference of the Gelu op).
 */
#include <math.h>

#include "kernels/activation.h"

float pml_gelu_erf_ref(float x) {
    /* for x < 0, 1 + erf(x/sqrt2) = erfc(-x/sqrt2): no cancellation in the negative tail */
    const float z = x * 0.70710678118654752f;
    return 0.5f * x * (z < 0.0f ? erfcf(-z) : 1.0f + erff(z));
}

float pml_gelu_tanh_ref(float x) {
    /* x/2 * (1 + tanh(u)) = x / (1 + e^(-2u)), exact in both tails */
    const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
    return x / (1.0f + expf(-2.0f * u));
}

float pml_activation_scalar(const pml_activation *act, float x) {
    switch (act->kind) {
    case PML_ACT_RELU: return x < 0.0f ? 0.0f : x; /* NaN propagates, as in the SIMD kernels */
    case PML_ACT_CLIP: return x < act->alpha ? act->alpha : (x > act->beta ? act->beta : x);
    case PML_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case PML_ACT_HARDSWISH: {
        float t = x + 3.0f;
        t = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
        return x * t * (1.0f / 6.0f);
    }
    case PML_ACT_LEAKY_RELU: return x >= 0.0f ? x : act->alpha * x;
    case PML_ACT_TANH: return tanhf(x);
    case PML_ACT_HARDSIGMOID: {
        float t = act->alpha * x + act->beta;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    case PML_ACT_GELU_ERF: return pml_gelu_erf_ref(x);
    case PML_ACT_GELU_TANH: return pml_gelu_tanh_ref(x);
    default: return x;
    }
}

void pml_activation_apply_ref(const pml_activation *act, float *x, size_t n) {
    if (act->kind == PML_ACT_NONE) return;
    for (size_t i = 0; i < n; i++) x[i] = pml_activation_scalar(act, x[i]);
}
