/*
 * kernels/elementwise/elementwise.h — the float32 binary kernels (Add Sub Mul Div Pow
 * Max Min PRelu; PRelu is y = a < 0 ? a*b : a) in their three shapes and their variants.
 *
 * Aliasing: y may equal a or b exactly; partial overlap is not allowed.
 */
#ifndef PML_KERNELS_ELEMENTWISE_H
#define PML_KERNELS_ELEMENTWISE_H

#include "kernels/common.h"

/* binary ops with a float kernel, in the order of the tables' vv/vs/sv arrays */
enum {
    PML_BIN_ADD, PML_BIN_SUB, PML_BIN_MUL, PML_BIN_DIV, PML_BIN_POW, PML_BIN_MAX, PML_BIN_MIN, PML_BIN_PRELU,
    PML_BIN_COUNT
};

typedef void (*pml_f32_vv_fn)(size_t n, const float *a, const float *b, float *y); /* y = a op b */
typedef void (*pml_f32_vs_fn)(size_t n, const float *a, float b, float *y);        /* y = a op b (b scalar) */
typedef void (*pml_f32_sv_fn)(size_t n, float a, const float *b, float *y);        /* y = a op b (a scalar) */

/* Each op is three kernels: pml_f32_v<op>__<isa> (vector-vector), pml_f32_v<op>s__<isa>
 * (vector-scalar), pml_f32_s<op>v__<isa> (scalar-vector). */
#define PML_F32_VBINARY_DECLARE(op, isa)                                               \
    void pml_f32_v##op##__##isa(size_t n, const float *a, const float *b, float *y); \
    void pml_f32_v##op##s__##isa(size_t n, const float *a, float b, float *y);       \
    void pml_f32_s##op##v__##isa(size_t n, float a, const float *b, float *y);

#define PML_F32_VBINARY(op, isa, tile) PML_F32_VBINARY_DECLARE(op, isa)
#include "kernels/elementwise/elementwise_variants.h"

#endif /* PML_KERNELS_ELEMENTWISE_H */
