/*
 * kernels/elementwise/f32_vbinary__scalar.c — scalar reference kernels of the float32
 * binary ops (Add Sub Mul Div Pow Max Min PRelu) in three shapes: vector-vector (v<op>),
 * vector-scalar (v<op>s) and scalar-vector (s<op>v). They define the semantics the SIMD
 * kernels must match: Max/Min propagate NaN (as numpy does).
 */
#include <math.h>

#include "kernels/elementwise/elementwise.h"

#define PML_BINARY_SCALAR(name, expr)                                                    \
    void pml_f32_v##name##__scalar(size_t n, const float *a, const float *b, float *y) { \
        for (size_t i = 0; i < n; i++) {                                                 \
            float A = a[i], B = b[i];                                                    \
            y[i] = (expr);                                                               \
        }                                                                                \
    }                                                                                    \
    void pml_f32_v##name##s__scalar(size_t n, const float *a, float B, float *y) {       \
        for (size_t i = 0; i < n; i++) {                                                 \
            float A = a[i];                                                              \
            y[i] = (expr);                                                               \
        }                                                                                \
    }                                                                                    \
    void pml_f32_s##name##v__scalar(size_t n, float A, const float *b, float *y) {       \
        for (size_t i = 0; i < n; i++) {                                                 \
            float B = b[i];                                                              \
            y[i] = (expr);                                                               \
        }                                                                                \
    }

PML_BINARY_SCALAR(add, A + B)
PML_BINARY_SCALAR(sub, A - B)
PML_BINARY_SCALAR(mul, A * B)
PML_BINARY_SCALAR(div, A / B)
PML_BINARY_SCALAR(max, pml_max_nanf(A, B))
PML_BINARY_SCALAR(min, pml_min_nanf(A, B))
PML_BINARY_SCALAR(prelu, A < 0.0f ? A * B : A)

/* Pow has no vector kernel: the AVX2 table reuses these. */
void pml_f32_vpow__scalar(size_t n, const float *a, const float *b, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = powf(a[i], b[i]);
}
void pml_f32_vpows__scalar(size_t n, const float *a, float b, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = powf(a[i], b);
}
void pml_f32_spowv__scalar(size_t n, float a, const float *b, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = powf(a, b[i]);
}
