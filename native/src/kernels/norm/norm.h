/*
 * kernels/norm/norm.h — float32 streaming kernels of the norm family: scale-shift
 * (y = x * scale + shift per column) and softmax / log-softmax over a contiguous row or
 * a strided axis, and the LayerNorm/RMSNorm row (a slot of the f32 table in
 * kernels/matmul/gemm.h). y may equal x exactly.
 */
#ifndef PML_KERNELS_NORM_H
#define PML_KERNELS_NORM_H

#include "kernels/common.h"

/* One row of LayerNormalization (rms = 0: y = (x - mean) * inv * scale + bias,
 * inv = 1/sqrt(var + eps)) or RMSNormalization (rms = 1: y = x * inv * scale,
 * inv = 1/sqrt(mean(x^2) + eps)) over n floats; bias may be NULL; mean and
 * inv_std (may be NULL) receive the row's statistics. */
typedef void (*pml_f32_norm_row_fn)(size_t n, const float *x, const float *scale, const float *bias, float eps,
                                    int rms, float *y, float *mean, float *inv_std);
/* y[r*c + j] = x[r*c + j] * scale[j] + shift[j] for r < rows */
typedef void (*pml_f32_scale_shift_fn)(size_t rows, size_t c, const float *x, const float *scale,
                                       const float *shift, float *y);
/* softmax (log_softmax if is_log) over n contiguous floats */
typedef void (*pml_f32_softmax_row_fn)(size_t n, const float *x, float *y, int is_log);
/* softmax over the middle axis of a [len, inner] block (stride inner) */
typedef void (*pml_f32_softmax_strided_fn)(size_t len, size_t inner, const float *x, float *y, int is_log);

#define PML_F32_SCALE_SHIFT(isa, tile)                                                                     \
    void pml_f32_scale_shift__##isa(size_t rows, size_t c, const float *x, const float *scale, const float *shift, \
                                    float *y);
#define PML_F32_SOFTMAX(isa, tile)                                                         \
    void pml_f32_softmax_row__##isa(size_t n, const float *x, float *y, int is_log); \
    void pml_f32_softmax_strided__##isa(size_t len, size_t inner, const float *x, float *y, int is_log);
#define PML_F32_NORM_ROW(isa, tile)                                                                                \
    void pml_f32_norm_row__##isa(size_t n, const float *x, const float *scale, const float *bias, float eps, int rms, \
                                 float *y, float *mean, float *inv_std);
#include "kernels/norm/norm_variants.h"

#endif /* PML_KERNELS_NORM_H */
