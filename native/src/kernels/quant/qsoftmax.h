/*
 * kernels/quant/qsoftmax.h — quantized Softmax over rows (the last axis; the op transposes or
 * walks rows for another axis): a 256-entry float exp table built once, then per row a max,
 * a float sum of table entries and a rescale.
 *
 *   PML_REQUANT_FIXED_POINT  LiteRT's builtin SOFTMAX for int8/uint8 input (kGenericOptimized
 *       off aarch64: optimized_ops::PopulateSoftmaxLookupTable + optimized_ops::Softmax; the
 *       gemmlowp fixed-point reference_ops::Softmax only runs under the reference resolver):
 *       table[255 - k] = expf(-in_scale * beta * k); per row max m, sum = sum of
 *       table[255 - m + x] in order (float), inv = 1.f / (sum * out_scale), p = entry * inv;
 *       int8/int16 out: (int)roundf(p) + out_zp, uint8 out: (int)(p + 0.5f) + out_zp (TFLite's
 *       x86 QuantizeSoftmaxOutput<uint8_t>, which requires out_zp 0), clamped.
 *       TFLite requires int8 output zp -128 and scale 1/256 (int16: 0 and 1/32768).
 *   PML_REQUANT_FLOAT  onnxruntime com.microsoft QLinearSoftmax (QlinearBuildLookupTableUint32 +
 *       QlinearSoftmaxCPU): table of exp((i - 255 + shift) * x_scale) in double rounded to float,
 *       with shift = max(0, log(FLT_MAX / D) - 5) / x_scale so the row sum cannot overflow;
 *       y = nearbyintf(entry * floorf(1 / y_scale) / sum) + y_zp. onnxruntime wraps an int8
 *       result above 127 (and casts 255 for anything above 255) instead of saturating; this
 *       kernel saturates, so a row whose one element takes all the probability can differ.
 */
#ifndef PML_KERNELS_QSOFTMAX_H
#define PML_KERNELS_QSOFTMAX_H

#include "kernels/common.h"
#include "kernels/requant.h"

typedef struct pml_qsoftmax_params {
    int32_t mode;     /* pml_requant_mode */
    int32_t in_signed;
    float table[256]; /* see the header comment for the layout of each semantics */
    float out_scale;  /* TFLite: the output scale; ONNX: floorf(1 / y_scale) */
    int32_t out_zp;
} pml_qsoftmax_params;

/* row_len (D) is used by the ONNX table only. Returns 0, or -1 for a bad scale/beta/row_len. */
int pml_qsoftmax_params_init(pml_qsoftmax_params *p, int mode, int in_signed, float in_scale, float beta,
                             size_t row_len, float out_scale, int32_t out_zp);

/* One row of n >= 1 elements (y may not alias x: x is read three times). */
typedef void (*pml_qsoftmax_fn)(size_t n, const void *x, void *y, const pml_qsoftmax_params *p);
/* TFLite: [in][out], in 0 int8, 1 uint8; out 0 int8, 1 uint8, 2 int16. */
extern const pml_qsoftmax_fn pml_qsoftmax_tflite__scalar[2][3];
/* ONNX: output of the input's type. */
void pml_s8_softmax_onnx__scalar(size_t n, const void *x, void *y, const pml_qsoftmax_params *p);
void pml_u8_softmax_onnx__scalar(size_t n, const void *x, void *y, const pml_qsoftmax_params *p);

#endif /* PML_KERNELS_QSOFTMAX_H */
