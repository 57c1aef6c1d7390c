/*
 * kernels/reduce/f32_reduce__scalar.c — scalar reference float32 reductions over a
 * contiguous row (sum in double, NaN-propagating max) and row accumulation into acc.
 */
#include <math.h>

#include "kernels/reduce/reduce.h"

float pml_f32_max__scalar(size_t n, const float *x) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = pml_max_nanf(m, x[i]);
    return m;
}

double pml_f32_sum__scalar(size_t n, const float *x) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s;
}

void pml_f32_acc_add__scalar(size_t n, const float *x, double *acc) {
    for (size_t i = 0; i < n; i++) acc[i] += x[i];
}

void pml_f32_acc_max__scalar(size_t n, const float *x, float *acc) {
    for (size_t i = 0; i < n; i++) acc[i] = pml_max_nanf(acc[i], x[i]);
}
