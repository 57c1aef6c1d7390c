/*
 * kernels/unary/f32_vunary__scalar.c — scalar reference kernels of the float32 unary ops
 * (also the fused activations, see pml_ew_act_to_unary). They define the semantics the
 * SIMD kernels must match: Clip/Relu/HardSigmoid propagate NaN (as numpy does);
 * Sigmoid/Softplus are evaluated so exp never overflows to a wrong value.
 */
#include <math.h>

#include "kernels/activation.h" /* pml_gelu_erf_ref, pml_gelu_tanh_ref */
#include "kernels/unary/unary.h"

#define PML_UNARY_SCALAR(name, expr)                                                                \
    void pml_f32_##name##__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {  \
        for (size_t i = 0; i < n; i++) {                                                            \
            float X = x[i];                                                                         \
            y[i] = (expr);                                                                          \
        }                                                                                           \
        (void)p;                                                                                    \
    }

static inline float sigmoid_ref(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}
/* ONNX Round: ties to even, whatever the FPU rounding mode is */
static inline float round_half_even(float x) {
    float r = roundf(x); /* ties away from zero */
    if (fabsf(r - x) == 0.5f) r = 2.0f * roundf(0.5f * x);
    return r;
}
static inline float clamp01(float t) { return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t); }
static inline float clip_ref(float x, float lo, float hi) {
    float t = x < lo ? lo : x;
    return t > hi ? hi : t;
}

PML_UNARY_SCALAR(relu, X < 0.0f ? 0.0f : X)
PML_UNARY_SCALAR(leaky_relu, X < 0.0f ? p->alpha * X : X)
PML_UNARY_SCALAR(clip, clip_ref(X, p->alpha, p->beta))
PML_UNARY_SCALAR(sigmoid, sigmoid_ref(X))
PML_UNARY_SCALAR(tanh, tanhf(X))
PML_UNARY_SCALAR(hardsigmoid, clamp01(p->alpha * X + p->beta))
PML_UNARY_SCALAR(hardswish, X * clamp01(X * (1.0f / 6.0f) + 0.5f))
PML_UNARY_SCALAR(elu, X < 0.0f ? p->alpha * expm1f(X) : X)
PML_UNARY_SCALAR(selu, X <= 0.0f ? p->gamma * (p->alpha * expm1f(X)) : p->gamma * X)
/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x| */
PML_UNARY_SCALAR(softplus, (X > 0.0f ? X : 0.0f) + log1pf(expf(-fabsf(X))))
PML_UNARY_SCALAR(sqrt, sqrtf(X))
PML_UNARY_SCALAR(exp, expf(X))
PML_UNARY_SCALAR(log, logf(X))
PML_UNARY_SCALAR(abs, fabsf(X))
PML_UNARY_SCALAR(neg, -X)
PML_UNARY_SCALAR(reciprocal, 1.0f / X)
PML_UNARY_SCALAR(floor, floorf(X))
PML_UNARY_SCALAR(ceil, ceilf(X))
PML_UNARY_SCALAR(round, round_half_even(X))
PML_UNARY_SCALAR(sign, X > 0.0f ? 1.0f : (X < 0.0f ? -1.0f : X)) /* 0, -0 and NaN map to themselves */
PML_UNARY_SCALAR(sin, sinf(X))
PML_UNARY_SCALAR(cos, cosf(X))
PML_UNARY_SCALAR(erf, erff(X))
PML_UNARY_SCALAR(gelu_erf, pml_gelu_erf_ref(X))
PML_UNARY_SCALAR(gelu_tanh, pml_gelu_tanh_ref(X))
/* max(0, x) + min(0, alpha (e^(x/alpha) - 1)): one branch is zero for any alpha != 0 */
PML_UNARY_SCALAR(celu, X > 0.0f ? X : p->alpha * expm1f(X / p->alpha))
/* x tanh(softplus(x)) */
PML_UNARY_SCALAR(mish, X * tanhf((X > 0.0f ? X : 0.0f) + log1pf(expf(-fabsf(X)))))
PML_UNARY_SCALAR(thresholded_relu, X > p->alpha ? X : 0.0f)
PML_UNARY_SCALAR(softsign, X / (1.0f + fabsf(X)))
/* alpha = bias, beta = lambd */
PML_UNARY_SCALAR(shrink, X < -p->beta ? X + p->alpha : (X > p->beta ? X - p->alpha : 0.0f))
PML_UNARY_SCALAR(tan, tanf(X))
PML_UNARY_SCALAR(asin, asinf(X))
PML_UNARY_SCALAR(acos, acosf(X))
PML_UNARY_SCALAR(atan, atanf(X))
PML_UNARY_SCALAR(sinh, sinhf(X))
PML_UNARY_SCALAR(cosh, coshf(X))
PML_UNARY_SCALAR(asinh, asinhf(X))
PML_UNARY_SCALAR(acosh, acoshf(X))
PML_UNARY_SCALAR(atanh, atanhf(X))
/* x sigmoid(alpha x), alpha = alpha */
PML_UNARY_SCALAR(swish, X * sigmoid_ref(p->alpha * X))
