/*
 * kernels/norm/group_norm_typed__scalar.c — GroupNormalization's three steps on
 * channels-last [rows, c] blocks, one macro template instantiated for float32 and float16
 * (see norm_typed.h). Channels are the contiguous inner axis, so both passes over the data
 * (sums, then apply) are unit-stride loops over c that the compiler vectorises.
 */
#include <math.h>

#include "kernels/norm/norm_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

#define PML_GROUP_NORM(D, T)                                                                                 \
    void pml_##D##_channel_sums__scalar(size_t rows, size_t c, const void *xv, double *sum, double *sumsq) { \
        const T *x = (const T *)xv;                                                                          \
        for (size_t r = 0; r < rows; r++, x += c)                                                            \
            for (size_t k = 0; k < c; k++) {                                                                 \
                const double v = PML_LD_##D(x[k]);                                                          \
                sum[k] += v;                                                                                 \
                sumsq[k] += v * v;                                                                           \
            }                                                                                                \
    }                                                                                                        \
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
    }                                                                                                        \
    void pml_##D##_group_apply__scalar(size_t rows, size_t c, const void *xv, const float *mean,            \
                                       const float *mul, const float *add, void *yv) {                       \
        const T *x = (const T *)xv;                                                                          \
        T *y = (T *)yv;                                                                                      \
        for (size_t r = 0; r < rows; r++, x += c, y += c)                                                    \
            for (size_t k = 0; k < c; k++) y[k] = PML_ST_##D((PML_LD_##D(x[k]) - mean[k]) * mul[k] + add[k]); \
    }

PML_GROUP_NORM(f32, float)
PML_GROUP_NORM(f16, uint16_t)
