/*
 * kernels/norm/group_norm_typed__scalar.c — GroupNormalization's three steps on
 * channels-last [rows, c] blocks (see norm_typed.h). Channels are the contiguous inner
 * axis, so both passes over the data (sums, then apply) are unit-stride loops over c that
 * the compiler vectorises. The passes over rows are float32 only (float16 rows widen into
 * float32 blocks through the float32 table's converters, F16C under AVX2: ops/norm_group.c);
 * the coefficients read scale and bias of either dtype.
 */
#include <math.h>

#include "kernels/norm/norm_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)

void pml_f32_channel_sums__scalar(size_t rows, size_t c, const void *xv, double *sum, double *sumsq) {
    const float *x = (const float *)xv;
    for (size_t r = 0; r < rows; r++, x += c)
        for (size_t k = 0; k < c; k++) {
            const double v = x[k];
            sum[k] += v;
            sumsq[k] += v * v;
        }
}

void pml_f32_group_apply__scalar(size_t rows, size_t c, const void *xv, const float *mean, const float *mul,
                                 const float *add, void *yv) {
    const float *x = (const float *)xv;
    float *y = (float *)yv;
    for (size_t r = 0; r < rows; r++, x += c, y += c)
        for (size_t k = 0; k < c; k++) y[k] = (x[k] - mean[k]) * mul[k] + add[k];
}

#define PML_GROUP_COEFFS(D, T)                                                                               \
    void pml_##D##_group_coeffs__scalar(size_t c, size_t groups, double count, const double *sum,           \
                                        const double *sumsq, const void *sv, const void *bv, float eps,      \
                                        float *mean, float *mul, float *add) {                               \
        const T *scale = (const T *)sv, *bias = (const T *)bv;                                               \
        const size_t cg = c / groups;                                                                        \
        for (size_t g = 0; g < groups; g++) {                                                                \
            double s = 0.0, q = 0.0;                                                                         \
            for (size_t k = g * cg; k < (g + 1) * cg; k++) s += sum[k], q += sumsq[k];                       \
            const double n = count * (double)cg, m = n > 0 ? s / n : 0.0;                                    \
            const double var = n > 0 && q / n > m * m ? q / n - m * m : 0.0; /* rounding may dip below 0 */ \
            const double inv = 1.0 / sqrt(var + (double)eps);                                                \
            for (size_t k = g * cg; k < (g + 1) * cg; k++) {                                                 \
                mean[k] = (float)m;                                                                          \
                mul[k] = (float)(inv * PML_LD_##D(scale[k]));                                                \
                add[k] = PML_LD_##D(bias[k]);                                                                \
            }                                                                                                \
        }                                                                                                    \
    }

PML_GROUP_COEFFS(f32, float)
PML_GROUP_COEFFS(f16, uint16_t)
