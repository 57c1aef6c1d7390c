/*
 * kernels/quant/qsoftmax16.h — TFLite int16x8 SOFTMAX over rows (reference_ops::SoftmaxInt16,
 * the kernel LiteRT's builtin SOFTMAX runs for int16 input; zero points 0, output 2^-15):
 *
 *   prepare (SoftmaxPrepare): two 513-entry interpolated int16 tables built like
 *       LUTPopulate<int16_t> in double — exp on [-10, 0] and 1 / (1 + x) on [0, 1], both with
 *       an output range of [-1, 1] — and (in_scale * beta) / (10 / 65535) as a quantized
 *       multiplier, which maps a difference of [-65535, 0] input steps onto [-10, 0].
 *   per row: max m; e_c = exp_table(sat16((x_c - m) * multiplier + 32767)) in Q0.15; the sum
 *       S (int32); h = clz(S); the reciprocal r = onexp_table(sat16(((S << (h - 1)) + 2^13 >> 14)
 *       - 3 * 2^15)); y_c = clamp((e_c * r + 2^(30 - h)) >> (31 - h), 0, 32767).
 *
 * The int32 sum bounds a row to 65536 elements (LiteRT's sum would overflow beyond).
 */
#ifndef PML_KERNELS_QSOFTMAX16_H
#define PML_KERNELS_QSOFTMAX16_H

#include "kernels/common.h"

#define PML_QSOFTMAX16_MAX_ROW 65536

typedef struct pml_qsoftmax16_params {
    int32_t multiplier, shift; /* tflite::QuantizeMultiplier(in_scale * beta / (10 / 65535)) */
    int16_t exp_table[513];
    int16_t reciprocal_table[513];
} pml_qsoftmax16_params;

/* Returns 0, or -1 for a scale or beta that is not finite and > 0. */
int pml_qsoftmax16_params_init(pml_qsoftmax16_params *p, float in_scale, float beta);

/* One row of 1 <= n <= PML_QSOFTMAX16_MAX_ROW elements; y may not alias x. */
typedef void (*pml_qsoftmax16_fn)(size_t n, const int16_t *x, int16_t *y, const pml_qsoftmax16_params *p);
void pml_s16_softmax__scalar(size_t n, const int16_t *x, int16_t *y, const pml_qsoftmax16_params *p);

#endif /* PML_KERNELS_QSOFTMAX16_H */
