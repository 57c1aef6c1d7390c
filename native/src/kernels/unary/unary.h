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

/* The float unary ops, one line each: (ENUM, name, isa of the avx2 table's kernel).
 * Everything per op derives from this list: the PML_UN_* indices (the order of
 * the tables' unary arrays), the kernel declarations, both float32 tables
 * (kernels/elementwise/f32_ew_table__*.c: the avx2 one takes pml_f32_<name>__avx2
 * or, where the column says scalar, the reference) and the float16 kernels of the
 * typed tables (kernels/unary/unary_typed__scalar.c). A new op: one line here and
 * its scalar kernel in f32_vunary__scalar.c. */
#define PML_UNARY_OPS(X)                                                                                  \
    X(RELU, relu, avx2) X(LEAKY_RELU, leaky_relu, avx2) X(CLIP, clip, avx2) X(SIGMOID, sigmoid, avx2)     \
    X(TANH, tanh, avx2) X(HARDSIGMOID, hardsigmoid, avx2) X(HARDSWISH, hardswish, avx2)                  \
    X(ELU, elu, scalar) X(SELU, selu, scalar) X(SOFTPLUS, softplus, scalar) X(SQRT, sqrt, avx2)          \
    X(EXP, exp, avx2) X(LOG, log, scalar) X(ABS, abs, avx2) X(NEG, neg, avx2)                            \
    X(RECIPROCAL, reciprocal, avx2) X(FLOOR, floor, avx2) X(CEIL, ceil, avx2) X(ROUND, round, avx2)      \
    X(SIGN, sign, avx2) X(SIN, sin, scalar) X(COS, cos, scalar) X(ERF, erf, avx2)                        \
    X(GELU_ERF, gelu_erf, avx2) X(GELU_TANH, gelu_tanh, avx2) \
    X(CELU, celu, scalar) \
    X(MISH, mish, scalar) \
    X(THRESHOLDED_RELU, thresholded_relu, scalar) \
    X(SOFTSIGN, softsign, scalar) \
    X(SHRINK, shrink, scalar) \
    X(TAN, tan, scalar) X(ASIN, asin, scalar) X(ACOS, acos, scalar) X(ATAN, atan, scalar) \
    X(SINH, sinh, scalar) X(COSH, cosh, scalar) X(ASINH, asinh, scalar) X(ACOSH, acosh, scalar) \
    X(ATANH, atanh, scalar) X(SWISH, swish, scalar)

#define PML_UN_ENUM_(E, name, isa) PML_UN_##E,
enum { PML_UNARY_OPS(PML_UN_ENUM_) PML_UN_COUNT };
#undef PML_UN_ENUM_

/* alpha/beta/gamma as the op defines them (Clip: alpha = min, beta = max) */
typedef struct pml_unary_params {
    float alpha, beta, gamma;
} pml_unary_params;

/* Fused activation -> unary kernel index and params; returns -1 for none
 * (kernels/unary/act_to_unary.c). */
int pml_ew_act_to_unary(const pml_activation *act, pml_unary_params *p);

typedef void (*pml_f32_unary_fn)(size_t n, const float *x, float *y, const pml_unary_params *p);

#define PML_F32_VUNARY_DECLARE(E, op, isa)                                                                 \
    void pml_f32_##op##__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);             \
    void pml_f32_##op##__##isa(size_t n, const float *x, float *y, const pml_unary_params *p);
PML_UNARY_OPS(PML_F32_VUNARY_DECLARE)
#undef PML_F32_VUNARY_DECLARE

/* initialisers of the float32 tables' unary arrays */
#define PML_UN_SCALAR_ENTRY_(E, op, isa) [PML_UN_##E] = pml_f32_##op##__scalar,
#define PML_UN_AVX2_ENTRY_(E, op, isa) [PML_UN_##E] = pml_f32_##op##__##isa,
#define PML_F32_UNARY_TABLE_SCALAR {PML_UNARY_OPS(PML_UN_SCALAR_ENTRY_)}
#define PML_F32_UNARY_TABLE_AVX2 {PML_UNARY_OPS(PML_UN_AVX2_ENTRY_)}

/* IEEE half <-> float over arrays, round to nearest even (kernels/unary/f16_vcvt__*.c) */
typedef void (*pml_f32_to_f16_fn)(size_t n, const float *x, uint16_t *y);
typedef void (*pml_f16_to_f32_fn)(size_t n, const uint16_t *x, float *y);
#define PML_F16_VCVT(isa, tile)                                           \
    void pml_f32_to_f16__##isa(size_t n, const float *x, uint16_t *y); \
    void pml_f16_to_f32__##isa(size_t n, const uint16_t *x, float *y);
#define PML_F32_VUNARY(op, isa, tile) /* declared above from PML_UNARY_OPS */
#include "kernels/unary/unary_variants.h"

#endif /* PML_KERNELS_UNARY_H */
