/*
 * kernels/quant/qpool.h — quantized AveragePool (NHWC windows, kernels/pool/pool.h's
 * geometry), Mean over reduced axes (a sum kernel, then a finishing rescale), and TFLite's
 * integer bilinear Resize. MaxPool needs no kernel of its own: the typed MaxPool on stored
 * int8/uint8 values (kernels/pool/pool_typed.h) then pml_s8_clamp__scalar.
 *
 * AveragePool
 *   PML_REQUANT_FIXED_POINT  tflite::reference_integer_ops::AveragePool (int8) and
 *       reference_ops::AveragePool (uint8), which LiteRT's optimized kernels match: the integer
 *       sum of the real taps (padding never counts), divided by the tap count rounding half
 *       away from zero as (sum +- count / 2) / count (uint8: (sum + count / 2) / count), then
 *       clamped. Input and output share scale and zero point (TFLite requires it).
 *   PML_REQUANT_FLOAT  onnxruntime com.microsoft QLinearAveragePool: each tap dequantized in
 *       float (x_scale * (x - x_zp)) and summed in window order, divided by the count
 *       (count_include_pad as the geometry says), y = nearbyintf(avg / y_scale + y_zp) clamped.
 *
 * Mean (the op sums the reduced elements of each output with pml_qsum_rows, then finishes)
 *   PML_QMEAN_TFLITE_HW   LiteRT's optimized_integer_ops::Mean (int8; Mean over H and W of a
 *       4-D tensor with keep_dims): real = in_scale / (count * out_scale) in float,
 *       QuantizeMultiplier; y = MultiplyByQuantizedMultiplier(raw sum) + bias with
 *       bias = out_zp - (int)(in_zp * in_scale / out_scale +- 0.5f). LiteRT (x86 too, through
 *       NEON_2_SSE) runs whole blocks of 16 channels with MultiplyByQuantizedMultiplier4Rows
 *       (negative ties round up, requant.h), the rest with the scalar form: call the finish
 *       kernel on the C channels of one image at a time, as LiteRT's single thread does.
 *   PML_QMEAN_TFLITE      tflite::reference_ops::QuantizedMeanOrSum (every other Mean):
 *       in_scale / out_scale (double) quantized, 1 / count folded into the multiplier
 *       ((m << s) / count with s = min(floor(log2 count), 32, 31 + shift)), applied to
 *       sum - in_zp * count, + out_zp.
 *   PML_QMEAN_ONNX        MLAS MlasQLinearGlobalAveragePool: scale = in_scale / (out_scale *
 *       (float)count), y = nearbyintf((float)(sum - in_zp * count) * scale) + out_zp.
 *
 * Resize: tflite::reference_ops::ResizeBilinearInteger (LiteRT's int8 and int16
 *   RESIZE_BILINEAR run it; its uint8 kernel interpolates in float and is not mirrored here):
 *   10-bit fixed-point source coordinates, 20-bit products, rounded half away from zero.
 */
#ifndef PML_KERNELS_QPOOL_H
#define PML_KERNELS_QPOOL_H

#include "kernels/common.h"
#include "kernels/pool/pool.h"
#include "kernels/requant.h"

typedef struct pml_qavgpool_params {
    int32_t mode; /* pml_requant_mode */
    int32_t qmin, qmax;
    float x_scale, y_scale; /* ONNX */
    int32_t x_zp, y_zp;     /* ONNX */
} pml_qavgpool_params;

/* Output rows [row0, row1) of n * oh (as pml_f32_avgpool_ref); x, y int8 (s8) or uint8 (u8). */
typedef void (*pml_qavgpool_fn)(const pml_pool_geom *g, const void *x, void *y, int64_t row0, int64_t row1,
                                const pml_qavgpool_params *p);
void pml_s8_avgpool__scalar(const pml_pool_geom *g, const void *x, void *y, int64_t row0, int64_t row1,
                            const pml_qavgpool_params *p);
void pml_u8_avgpool__scalar(const pml_pool_geom *g, const void *x, void *y, int64_t row0, int64_t row1,
                            const pml_qavgpool_params *p);

enum { PML_QMEAN_TFLITE_HW, PML_QMEAN_TFLITE, PML_QMEAN_ONNX };

typedef struct pml_qmean_params {
    int32_t variant; /* PML_QMEAN_* */
    int32_t in_zp, out_zp, qmin, qmax;
    int32_t multiplier, shift, bias;
    float scale;
    int64_t count;
} pml_qmean_params;

/* count: elements folded into each output (>= 1). Returns 0, or -1 for bad scales/count. */
int pml_qmean_params_init(pml_qmean_params *p, int variant, int64_t count, float in_scale, int32_t in_zp,
                          float out_scale, int32_t out_zp, int32_t qmin, int32_t qmax);

/* acc[o * inner + i] = sum over r < count of x[(o * count + r) * inner + i] (stored values in
 * int32: exact for the < 2^24 elements per sum params_init accepts, with 16-bit values for
 * < 2^16); x int8 (s8), uint8 (u8) or int16 (s16). */
typedef void (*pml_qsum_rows_fn)(size_t outer, size_t count, size_t inner, const void *x, int32_t *acc);
/* y[i] = the mean of sum[i] (as the sum kernel gives it); y int8 / uint8 / int16. */
typedef void (*pml_qmean_fn)(size_t n, const int32_t *sum, void *y, const pml_qmean_params *p);
#define PML_QMEAN_DECLARE(Q)                                                                                \
    void pml_##Q##_qsum_rows__scalar(size_t outer, size_t count, size_t inner, const void *x, int32_t *acc); \
    void pml_##Q##_qmean__scalar(size_t n, const int32_t *sum, void *y, const pml_qmean_params *p);
PML_QMEAN_DECLARE(s8)
PML_QMEAN_DECLARE(u8)
PML_QMEAN_DECLARE(s16)

/* NHWC [batches, ih, iw, c] -> [batches, oh, ow, c]; half_pixel_centers excludes align_corners.
 * x, y int8 (s8), uint8 (u8: TFLite's reference arithmetic) or int16 (s16). */
typedef void (*pml_qresize_bilinear_fn)(int64_t batches, int64_t ih, int64_t iw, int64_t c, int64_t oh, int64_t ow,
                                        int align_corners, int half_pixel_centers, const void *x, void *y);
#define PML_QRESIZE_DECLARE(Q)                                                                               \
    void pml_##Q##_resize_bilinear__scalar(int64_t batches, int64_t ih, int64_t iw, int64_t c, int64_t oh,   \
                                           int64_t ow, int align_corners, int half_pixel_centers, const void *x, \
                                           void *y);
PML_QRESIZE_DECLARE(s8)
PML_QRESIZE_DECLARE(u8)
PML_QRESIZE_DECLARE(s16)

#endif /* PML_KERNELS_QPOOL_H */
