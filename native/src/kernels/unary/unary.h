/*
 * kernels/unary/unary.h — the float32 unary kernels (also the fused activations, see
 * pml_ew_act_to_unary) and the half <-> float32 array conversions of Cast.
 *
 * Aliasing: y may equal x exactly for the unary kernels; partial overlap is not allowed.
 */
#ifndef PML_KERNELS_UNARY_H
#define PML_KERNELS_UNARY_H

#include "kernels/activation.h"
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

/* Fused activation -> unary kernel index and params; returns -1 for none
 * (kernels/unary/act_to_unary.c). */
int pml_ew_act_to_unary(const pml_activation *act, pml_unary_params *p);

typedef void (*pml_f32_unary_fn)(size_t n, const float *x, float *y, const pml_unary_params *p);

#define PML_F32_VUNARY_DECLARE(op, isa) \
    void pml_f32_##op##__##isa(size_t n, const float *x, float *y, const pml_unary_params *p);
#define PML_F32_VUNARY(op, isa, tile) PML_F32_VUNARY_DECLARE(op, isa)

/* IEEE half <-> float over arrays, round to nearest even (kernels/unary/f16_vcvt__*.c) */
typedef void (*pml_f32_to_f16_fn)(size_t n, const float *x, uint16_t *y);
typedef void (*pml_f16_to_f32_fn)(size_t n, const uint16_t *x, float *y);
#define PML_F16_VCVT(isa, tile)                                           \
    void pml_f32_to_f16__##isa(size_t n, const float *x, uint16_t *y); \
    void pml_f16_to_f32__##isa(size_t n, const uint16_t *x, float *y);
#include "kernels/unary/unary_variants.h"

#endif /* PML_KERNELS_UNARY_H */
