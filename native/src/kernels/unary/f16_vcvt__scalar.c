/*
 * kernels/unary/f16_vcvt__scalar.c — IEEE half <-> float32 over arrays (Cast), on the
 * scalar helpers of kernels/common.h (round to nearest even; NaN stays quiet).
 */
#include "kernels/unary/unary.h"

void pml_f32_to_f16__scalar(size_t n, const float *x, uint16_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = pml_f32_to_f16_scalar(x[i]);
}
void pml_f16_to_f32__scalar(size_t n, const uint16_t *x, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = pml_f16_to_f32_scalar(x[i]);
}
