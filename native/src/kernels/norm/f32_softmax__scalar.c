/*
 * kernels/norm/f32_softmax__scalar.c — scalar reference softmax / log-softmax over a
 * contiguous row and over the middle axis of a [len, inner] block. The row max is
 * subtracted before exponentiating.
 */
#include <math.h>

#include "kernels/norm/norm.h"
#include "kernels/reduce/reduce.h" /* pml_f32_max__scalar */

void pml_f32_softmax_row__scalar(size_t n, const float *x, float *y, int is_log) {
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

void pml_f32_softmax_strided__scalar(size_t len, size_t inner, const float *x, float *y, int is_log) {
    for (size_t j = 0; j < inner; j++) {
        float m = -INFINITY, s = 0.0f;
        for (size_t k = 0; k < len; k++) m = pml_max_nanf(m, x[k * inner + j]);
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
