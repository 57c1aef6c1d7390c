/*
 * kernels/matmul/det_typed__scalar.c — Det, one macro template instantiated for
 * float32 and float16 (elements load as float32; see matmul_typed.h), and the matmul
 * family's float32 and float16 typed tables (int8, uint8: igemm_typed__scalar.c).
 *
 * Gaussian elimination with partial pivoting on a float32 copy of each matrix: at
 * step k the row with the largest |a[i][k]| (i >= k) becomes the pivot (a swap flips
 * the sign), and the rows below lose their multiple of it. The determinant is the
 * signed product of the pivots, accumulated in double so a long product of
 * moderate pivots neither overflows nor underflows before the final rounding. A
 * zero pivot column makes the matrix singular: 0. A NaN propagates through the pivots.
 */
#include <math.h>

#include "kernels/matmul/matmul_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

/* Determinant of the m x m float32 matrix a (destroyed). */
static double det_lu(size_t m, float *a) {
    double det = 1.0;
    for (size_t k = 0; k < m; k++) {
        size_t p = k;
        float best = fabsf(a[k * m + k]);
        for (size_t i = k + 1; i < m; i++)
            if (fabsf(a[i * m + k]) > best) best = fabsf(a[i * m + k]), p = i;
        if (best == 0.0f) return 0.0;
        if (p != k) {
            for (size_t j = k; j < m; j++) {
                float t = a[k * m + j];
                a[k * m + j] = a[p * m + j], a[p * m + j] = t;
            }
            det = -det;
        }
        const float piv = a[k * m + k];
        det *= (double)piv;
        for (size_t i = k + 1; i < m; i++) {
            const float f = a[i * m + k] / piv;
            for (size_t j = k + 1; j < m; j++) a[i * m + j] -= f * a[k * m + j];
        }
    }
    return det;
}

#define PML_DET(D, T)                                                                                   \
    static void det_##D(size_t m, size_t count, const void *xv, void *yv, float *work) {                \
        const T *x = (const T *)xv;                                                                     \
        T *y = (T *)yv;                                                                                 \
        for (size_t b = 0; b < count; b++) {                                                            \
            const T *xb = x + b * m * m;                                                                \
            for (size_t i = 0; i < m * m; i++) work[i] = PML_LD_##D(xb[i]);                              \
            y[b] = PML_ST_##D((float)det_lu(m, work));                                                  \
        }                                                                                               \
    }                                                                                                   \
    const pml_matmul_typed pml_##D##_matmul_typed__scalar = {.det = det_##D};

PML_DET(f32, float)
PML_DET(f16, uint16_t)
