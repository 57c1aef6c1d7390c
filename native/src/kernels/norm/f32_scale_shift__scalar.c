/*
 * kernels/norm/f32_scale_shift__scalar.c — y = x * scale + shift per column
 * (ScaleShift, inference BatchNormalization).
 */
#include "kernels/norm/norm.h"

void pml_f32_scale_shift__scalar(size_t rows, size_t c, const float *x, const float *scale,
                                        const float *shift, float *y) {
    for (size_t r = 0; r < rows; r++, x += c, y += c)
        for (size_t j = 0; j < c; j++) y[j] = x[j] * scale[j] + shift[j];
}
