/*
 * kernels/elementwise/f32_ew__scalar.c — scalar reference kernels of the float32 kernel
 * table (see ew_kernels.h) and the fused-activation mapping.
 * These kernels define the semantics the SIMD ones must match:
 *   - Max/Min/Clip/Relu/HardSigmoid propagate NaN (as numpy does);
 *   - Sigmoid/Softplus are evaluated so exp never overflows to a wrong value;
 *   - softmax subtracts the row max before exponentiating.
 */
#include <math.h>
#include <string.h>

#include "kernels/elementwise/ew_kernels.h"

/* ---- binary --------------------------------------------------------------------- */

static inline float max_nan(float a, float b) { return a > b ? a : (a != a ? a : b); }
static inline float min_nan(float a, float b) { return a < b ? a : (a != a ? a : b); }

#define PML_BINARY_SCALAR(name, expr)                                                             \
    static void pml_f32_v##name##__scalar(size_t n, const float *a, const float *b, float *y) {   \
        for (size_t i = 0; i < n; i++) {                                                          \
            float A = a[i], B = b[i];                                                             \
            y[i] = (expr);                                                                        \
        }                                                                                         \
    }                                                                                             \
    static void pml_f32_v##name##s__scalar(size_t n, const float *a, float B, float *y) {         \
        for (size_t i = 0; i < n; i++) {                                                          \
            float A = a[i];                                                                       \
            y[i] = (expr);                                                                        \
        }                                                                                         \
    }                                                                                             \
    static void pml_f32_s##name##v__scalar(size_t n, float A, const float *b, float *y) {         \
        for (size_t i = 0; i < n; i++) {                                                          \
            float B = b[i];                                                                       \
            y[i] = (expr);                                                                        \
        }                                                                                         \
    }

PML_BINARY_SCALAR(add, A + B)
PML_BINARY_SCALAR(sub, A - B)
PML_BINARY_SCALAR(mul, A * B)
PML_BINARY_SCALAR(div, A / B)
PML_BINARY_SCALAR(max, max_nan(A, B))
PML_BINARY_SCALAR(min, min_nan(A, B))
PML_BINARY_SCALAR(prelu, A < 0.0f ? A * B : A)

/* Pow and the scalar-slope PRelu are exported: the AVX2 table reuses them. */
void pml_f32_vpow__scalar(size_t n, const float *a, const float *b, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = powf(a[i], b[i]);
}
void pml_f32_vpows__scalar(size_t n, const float *a, float b, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = powf(a[i], b);
}
void pml_f32_spowv__scalar(size_t n, float a, const float *b, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = powf(a, b[i]);
}


/* ---- unary ------------------------------------------------------------------------ */

#define PML_UNARY_SCALAR(name, expr)                                                                   \
    static void pml_f32_##name##__scalar_impl(size_t n, const float *x, float *y,                      \
                                              const pml_unary_params *p) {                             \
        for (size_t i = 0; i < n; i++) {                                                               \
            float X = x[i];                                                                            \
            y[i] = (expr);                                                                             \
        }                                                                                              \
        (void)p;                                                                                       \
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

void pml_f32_softplus__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {
    pml_f32_softplus__scalar_impl(n, x, y, p);
}
void pml_f32_log__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {
    pml_f32_log__scalar_impl(n, x, y, p);
}
void pml_f32_elu__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {
    pml_f32_elu__scalar_impl(n, x, y, p);
}
void pml_f32_selu__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {
    pml_f32_selu__scalar_impl(n, x, y, p);
}
void pml_f32_sin__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {
    pml_f32_sin__scalar_impl(n, x, y, p);
}
void pml_f32_cos__scalar(size_t n, const float *x, float *y, const pml_unary_params *p) {
    pml_f32_cos__scalar_impl(n, x, y, p);
}

/* ---- compare / select -------------------------------------------------------------------- */

static void pml_f32_compare__scalar(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb,
                                    uint8_t *y) {
    switch (cmp) {
    case PML_CMP_EQ: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] == b[i * sb]; break;
    case PML_CMP_LT: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] < b[i * sb]; break;
    case PML_CMP_LE: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] <= b[i * sb]; break;
    case PML_CMP_GT: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] > b[i * sb]; break;
    default: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] >= b[i * sb]; break;
    }
}

static void pml_x32_select__scalar(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx,
                                   const uint32_t *z, size_t sz, uint32_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = c[i * sc] ? x[i * sx] : z[i * sz];
}

/* ---- norm / softmax / reductions ------------------------------------------------------ */

static void pml_f32_scale_shift__scalar(size_t rows, size_t c, const float *x, const float *scale,
                                        const float *shift, float *y) {
    for (size_t r = 0; r < rows; r++, x += c, y += c)
        for (size_t j = 0; j < c; j++) y[j] = x[j] * scale[j] + shift[j];
}

static float pml_f32_max__scalar(size_t n, const float *x) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = max_nan(m, x[i]);
    return m;
}

static double pml_f32_sum__scalar(size_t n, const float *x) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s;
}

static void pml_f32_acc_add__scalar(size_t n, const float *x, double *acc) {
    for (size_t i = 0; i < n; i++) acc[i] += x[i];
}

static void pml_f32_acc_max__scalar(size_t n, const float *x, float *acc) {
    for (size_t i = 0; i < n; i++) acc[i] = max_nan(acc[i], x[i]);
}

static void pml_f32_softmax_row__scalar(size_t n, const float *x, float *y, int is_log) {
    float m = pml_f32_max__scalar(n, x);
    float s = 0.0f;
    if (is_log) {
        for (size_t i = 0; i < n; i++) s += expf(x[i] - m);
        float ls = logf(s);
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - m) - ls; /* x - m is exact near the max */
    } else {
        for (size_t i = 0; i < n; i++) s += (y[i] = expf(x[i] - m));
        float r = 1.0f / s;
        for (size_t i = 0; i < n; i++) y[i] *= r;
    }
}

static void pml_f32_softmax_strided__scalar(size_t len, size_t inner, const float *x, float *y, int is_log) {
    for (size_t j = 0; j < inner; j++) {
        float m = -INFINITY, s = 0.0f;
        for (size_t k = 0; k < len; k++) m = max_nan(m, x[k * inner + j]);
        if (is_log) {
            for (size_t k = 0; k < len; k++) s += expf(x[k * inner + j] - m);
            float ls = logf(s);
            for (size_t k = 0; k < len; k++) y[k * inner + j] = (x[k * inner + j] - m) - ls;
        } else {
            for (size_t k = 0; k < len; k++) s += (y[k * inner + j] = expf(x[k * inner + j] - m));
            float r = 1.0f / s;
            for (size_t k = 0; k < len; k++) y[k * inner + j] *= r;
        }
    }
}

/* ---- half precision --------------------------------------------------------------------- */

static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to nearest even, overflow to inf, NaN stays a quiet NaN with the top
 * payload bits (what F16C's vcvtps2ph does), subnormals exact. */
uint16_t pml_f32_to_f16_scalar(float f) {
    uint32_t u = f32_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    u &= 0x7fffffffu;
    uint16_t o;
    if (u >= 0x47800000u) { /* >= 2^16 (already past the largest half), inf or NaN */
        o = u > 0x7f800000u ? (uint16_t)(0x7e00u | ((u >> 13) & 0x3ffu)) : 0x7c00u;
    } else if (u < 0x38800000u) { /* below 2^-14: half subnormal or zero */
        /* adding 0.5f aligns the 10 subnormal mantissa bits at the bottom of
         * the float's mantissa; the FPU's own round-to-nearest-even does the rest */
        float t = bits_f32(u) + 0.5f;
        o = (uint16_t)(f32_bits(t) - 0x3f000000u);
    } else {
        uint32_t odd = (u >> 13) & 1u;
        u += ((uint32_t)(15 - 127) << 23) + 0xfffu + odd; /* rebias + round half to even */
        o = (uint16_t)(u >> 13);                          /* a carry into 0x7c00 is overflow to inf */
    }
    return (uint16_t)(o | sign);
}

float pml_f16_to_f32_scalar(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        float v = (float)m * 5.9604644775390625e-8f; /* m * 2^-24, exact */
        return bits_f32(f32_bits(v) | sign);
    }
    if (e == 31) return bits_f32(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u)); /* NaN comes out quiet, as F16C */
    return bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

static void pml_f32_to_f16__scalar(size_t n, const float *x, uint16_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = pml_f32_to_f16_scalar(x[i]);
}
static void pml_f16_to_f32__scalar(size_t n, const uint16_t *x, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = pml_f16_to_f32_scalar(x[i]);
}

/* ---- tables and dispatch ------------------------------------------------------------------ */

const pml_ew_kernels pml_f32_ew__scalar = {
    .isa = "scalar",
    .vv = {pml_f32_vadd__scalar, pml_f32_vsub__scalar, pml_f32_vmul__scalar, pml_f32_vdiv__scalar,
           pml_f32_vpow__scalar, pml_f32_vmax__scalar, pml_f32_vmin__scalar, pml_f32_vprelu__scalar},
    .vs = {pml_f32_vadds__scalar, pml_f32_vsubs__scalar, pml_f32_vmuls__scalar, pml_f32_vdivs__scalar,
           pml_f32_vpows__scalar, pml_f32_vmaxs__scalar, pml_f32_vmins__scalar, pml_f32_vprelus__scalar},
    .sv = {pml_f32_saddv__scalar, pml_f32_ssubv__scalar, pml_f32_smulv__scalar, pml_f32_sdivv__scalar,
           pml_f32_spowv__scalar, pml_f32_smaxv__scalar, pml_f32_sminv__scalar, pml_f32_spreluv__scalar},
    .unary = {pml_f32_relu__scalar_impl, pml_f32_leaky_relu__scalar_impl, pml_f32_clip__scalar_impl,
              pml_f32_sigmoid__scalar_impl, pml_f32_tanh__scalar_impl, pml_f32_hardsigmoid__scalar_impl,
              pml_f32_hardswish__scalar_impl, pml_f32_elu__scalar_impl, pml_f32_selu__scalar_impl,
              pml_f32_softplus__scalar_impl, pml_f32_sqrt__scalar_impl, pml_f32_exp__scalar_impl,
              pml_f32_log__scalar_impl, pml_f32_abs__scalar_impl, pml_f32_neg__scalar_impl,
              pml_f32_reciprocal__scalar_impl, pml_f32_floor__scalar_impl, pml_f32_ceil__scalar_impl,
              pml_f32_round__scalar_impl, pml_f32_sign__scalar_impl, pml_f32_sin__scalar_impl,
              pml_f32_cos__scalar_impl, pml_f32_erf__scalar_impl, pml_f32_gelu_erf__scalar_impl,
              pml_f32_gelu_tanh__scalar_impl},
    .compare = pml_f32_compare__scalar,
    .select32 = pml_x32_select__scalar,
    .scale_shift = pml_f32_scale_shift__scalar,
    .softmax_row = pml_f32_softmax_row__scalar,
    .softmax_strided = pml_f32_softmax_strided__scalar,
    .sum = pml_f32_sum__scalar,
    .max = pml_f32_max__scalar,
    .acc_add = pml_f32_acc_add__scalar,
    .acc_max = pml_f32_acc_max__scalar,
    .f32_to_f16 = pml_f32_to_f16__scalar,
    .f16_to_f32 = pml_f16_to_f32__scalar,
};


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
