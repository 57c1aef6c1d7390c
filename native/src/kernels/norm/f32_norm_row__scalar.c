/*
 * kernels/norm/f32_norm_row__scalar.c — LayerNormalization/RMSNormalization
 * over one row (contract: pml_f32_norm_row_fn in kernels/norm/norm.h). The
 * scalar configuration's kernel and the oracle of the SIMD ones; statistics
 * accumulate in double.
 */
#include <math.h>

#include "kernels/norm/norm.h"

void pml_f32_norm_row__scalar(size_t n, const float *x, const float *scale, const float *bias, float eps, int rms,
                              float *y, float *mean_out, float *inv_out) {
    double mean = 0.0, var = 0.0;
    if (!rms) {
        for (size_t i = 0; i < n; i++) mean += x[i];
        mean /= (double)n;
    }
    for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= (double)n;
    const double inv = 1.0 / sqrt(var + (double)eps);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((x[i] - mean) * inv * scale[i] + (bias ? bias[i] : 0.0f));
    if (mean_out) *mean_out = (float)mean;
    if (inv_out) *inv_out = (float)inv;
}
