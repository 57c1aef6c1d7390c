/*
 * kernels/norm/norm.h — float32 streaming kernels of the norm family: scale-shift
 * (y = x * scale + shift per column) and softmax / log-softmax over a contiguous row or
 * a strided axis. (The LayerNorm/RMSNorm row kernels are slots of the GEMM table,
 * kernels/matmul/gemm.h.) y may equal x exactly.
 */
#ifndef PML_KERNELS_NORM_H
#define PML_KERNELS_NORM_H

#include "kernels/common.h"

/* y[r*c + j] = x[r*c + j] * scale[j] + shift[j] for r < rows */
typedef void (*pml_f32_scale_shift_fn)(size_t rows, size_t c, const float *x, const float *scale,
                                       const float *shift, float *y);
/* softmax (log_softmax if is_log) over n contiguous floats */
typedef void (*pml_f32_softmax_row_fn)(size_t n, const float *x, float *y, int is_log);
/* softmax over the middle axis of a [len, inner] block (stride inner) */
typedef void (*pml_f32_softmax_strided_fn)(size_t len, size_t inner, const float *x, float *y, int is_log);

void pml_f32_scale_shift__scalar(size_t rows, size_t c, const float *x, const float *scale, const float *shift,
                                 float *y);
void pml_f32_scale_shift__avx2(size_t rows, size_t c, const float *x, const float *scale, const float *shift,
                               float *y);
void pml_f32_softmax_row__scalar(size_t n, const float *x, float *y, int is_log);
void pml_f32_softmax_row__avx2(size_t n, const float *x, float *y, int is_log);
void pml_f32_softmax_strided__scalar(size_t len, size_t inner, const float *x, float *y, int is_log);
void pml_f32_softmax_strided__avx2(size_t len, size_t inner, const float *x, float *y, int is_log);

#endif /* PML_KERNELS_NORM_H */
