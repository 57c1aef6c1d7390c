/*
 * kernels/unary/unary.h — the float32 unary kernels (also the fused activations, see
 * pml_ew_act_to_unary) and the half <-> float32 array conversions of Cast.
 *
 * Aliasing: y may equal x exactly for the unary kernels; partial overlap is not allowed.
 */
#ifndef PML_KERNELS_UNARY_H
#define PML_KERNELS_UNARY_H

#include "kernels/common.h"

/* unary float ops, in the order of the tables' unary array */
enum {
    PML_UN_RELU, PML_UN_LEAKY_RELU, PML_UN_CLIP, PML_UN_SIGMOID, PML_UN_TANH, PML_UN_HARDSIGMOID,
    PML_UN_HARDSWISH, PML_UN_ELU, PML_UN_SELU, PML_UN_SOFTPLUS, PML_UN_SQRT, PML_UN_EXP, PML_UN_LOG,
    PML_UN_ABS, PML_UN_NEG, PML_UN_RECIPROCAL, PML_UN_FLOOR, PML_UN_CEIL, PML_UN_ROUND, PML_UN_SIGN,
    PML_UN_SIN, PML_UN_COS, PML_UN_ERF, PML_UN_GELU_ERF, PML_UN_GELU_TANH, PML_UN_COUNT
};

/* alpha/beta/gamma as the op defines them (Clip: alpha = min, beta = max) */
typedef struct pml_unary_params {
    float alpha, beta, gamma;
} pml_unary_params;

typedef void (*pml_f32_unary_fn)(size_t n, const float *x, float *y, const pml_unary_params *p);

#define PML_F32_VUNARY_DECLARE(op, isa) \
    void pml_f32_##op##__##isa(size_t n, const float *x, float *y, const pml_unary_params *p);
#define PML_F32_VUNARY_SCALAR(op) PML_F32_VUNARY_DECLARE(op, scalar)
#define PML_F32_VUNARY_AVX2(op) PML_F32_VUNARY_DECLARE(op, avx2)
PML_F32_VUNARY_SCALAR(relu) PML_F32_VUNARY_SCALAR(leaky_relu) PML_F32_VUNARY_SCALAR(clip)
PML_F32_VUNARY_SCALAR(sigmoid) PML_F32_VUNARY_SCALAR(tanh) PML_F32_VUNARY_SCALAR(hardsigmoid)
PML_F32_VUNARY_SCALAR(hardswish) PML_F32_VUNARY_SCALAR(elu) PML_F32_VUNARY_SCALAR(selu)
PML_F32_VUNARY_SCALAR(softplus) PML_F32_VUNARY_SCALAR(sqrt) PML_F32_VUNARY_SCALAR(exp) PML_F32_VUNARY_SCALAR(log)
PML_F32_VUNARY_SCALAR(abs) PML_F32_VUNARY_SCALAR(neg) PML_F32_VUNARY_SCALAR(reciprocal)
PML_F32_VUNARY_SCALAR(floor) PML_F32_VUNARY_SCALAR(ceil) PML_F32_VUNARY_SCALAR(round) PML_F32_VUNARY_SCALAR(sign)
PML_F32_VUNARY_SCALAR(sin) PML_F32_VUNARY_SCALAR(cos) PML_F32_VUNARY_SCALAR(erf)
PML_F32_VUNARY_SCALAR(gelu_erf) PML_F32_VUNARY_SCALAR(gelu_tanh)
PML_F32_VUNARY_AVX2(relu) PML_F32_VUNARY_AVX2(leaky_relu) PML_F32_VUNARY_AVX2(clip) PML_F32_VUNARY_AVX2(sigmoid)
PML_F32_VUNARY_AVX2(tanh) PML_F32_VUNARY_AVX2(hardsigmoid) PML_F32_VUNARY_AVX2(hardswish)
PML_F32_VUNARY_AVX2(sqrt) PML_F32_VUNARY_AVX2(exp) PML_F32_VUNARY_AVX2(abs) PML_F32_VUNARY_AVX2(neg)
PML_F32_VUNARY_AVX2(reciprocal) PML_F32_VUNARY_AVX2(floor) PML_F32_VUNARY_AVX2(ceil) PML_F32_VUNARY_AVX2(round)
PML_F32_VUNARY_AVX2(sign) PML_F32_VUNARY_AVX2(erf) PML_F32_VUNARY_AVX2(gelu_erf) PML_F32_VUNARY_AVX2(gelu_tanh)
#undef PML_F32_VUNARY_SCALAR
#undef PML_F32_VUNARY_AVX2

/* IEEE half <-> float over arrays, round to nearest even (kernels/unary/f16_vcvt__*.c) */
typedef void (*pml_f32_to_f16_fn)(size_t n, const float *x, uint16_t *y);
typedef void (*pml_f16_to_f32_fn)(size_t n, const uint16_t *x, float *y);
void pml_f32_to_f16__scalar(size_t n, const float *x, uint16_t *y);
void pml_f16_to_f32__scalar(size_t n, const uint16_t *x, float *y);
void pml_f32_to_f16__avx2(size_t n, const float *x, uint16_t *y);
void pml_f16_to_f32__avx2(size_t n, const uint16_t *x, float *y);

#endif /* PML_KERNELS_UNARY_H */
