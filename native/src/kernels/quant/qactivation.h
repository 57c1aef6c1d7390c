/*
 * kernels/quant/qactivation.h — quantized activations: 256-entry lookup tables built once
 * from (input scale, zero point, output scale, zero point, function) and applied to int8 or
 * uint8 runs, and the activations TFLite computes in fixed point instead (HardSwish,
 * LeakyRelu, PRelu).
 *
 * Tables (pml_qlut_build) are indexed by the stored byte: entry (uint8_t)x holds the output
 * of x, for int8 and uint8 alike (TFLite's LUTPopulateInt8 and onnxruntime's
 * QlinearBuildLookupTable lay them out the same way), so one apply kernel serves both.
 *
 *   PML_REQUANT_FIXED_POINT  TFLite: tflite::LUTPopulate<int8_t/uint8_t>, the table LiteRT's
 *       builtin LOGISTIC, TANH, ELU and GELU use for int8/uint8 (their kGenericOptimized
 *       kernels; the gemmlowp fixed-point Logistic/Tanh is only kFixedPointOptimized):
 *       v = in_scale * (x - in_zp) in float, f(v), (int)(roundf(f(v) * (1.f / out_scale)) +
 *       out_zp) clamped. The functions are the lambdas of activations.cc: 1.f / (1.f +
 *       expf(-v)), tanhf, v < 0 ? expm1f(v) : v, and reference_ops::GeluTransform
 *       (0.5f * v * erfcf(v * -M_SQRT1_2)) / GeluTransformApproximate (tanh form).
 *   PML_REQUANT_FLOAT  onnxruntime: QlinearBuildLookupTable (QLinearSigmoid,
 *       QLinearLeakyRelu, and a DQ -> op -> Q of any unary op): v = x_scale * (x - x_zp),
 *       f(v) in float, then MlasQuantizeLinear (nearbyintf(f / y_scale) + y_zp, clamped).
 *       onnxruntime's own Sigmoid/Tanh are MLAS polynomial approximations of the libm
 *       functions used here, so an entry can differ from it by one step.
 */
#ifndef PML_KERNELS_QACTIVATION_H
#define PML_KERNELS_QACTIVATION_H

#include "kernels/common.h"
#include "kernels/requant.h"

/* The functions a table can hold. alpha: LeakyRelu's slope, Elu's alpha (TFLite's Elu has
 * none: 1). */
enum {
    PML_QLUT_LOGISTIC,
    PML_QLUT_TANH,
    PML_QLUT_HARDSWISH,  /* v * min(max(v + 3, 0), 6) / 6 (ONNX: v * max(0, min(1, v / 6 + 0.5))) */
    PML_QLUT_LEAKYRELU,  /* v >= 0 ? v : alpha * v */
    PML_QLUT_GELU,       /* exact (erf) */
    PML_QLUT_GELU_TANH,  /* tanh approximation */
    PML_QLUT_ELU,        /* v < 0 ? alpha * expm1(v) : v */
    PML_QLUT_COUNT
};

/* The float function f of a table (for tests and float fallbacks), in the semantics' form. */
float pml_qlut_function(int fn, int mode, float alpha, float v);

/* table[256] for int8 (is_signed) or uint8 storage. Returns 0, or -1 for a bad scale or fn. */
int pml_qlut_build(uint8_t *table, int mode, int is_signed, int fn, float alpha, float in_scale, int32_t in_zp,
                   float out_scale, int32_t out_zp);

/* y[i] = table[x[i]] on bytes (int8 or uint8 storage; y may equal x). */
typedef void (*pml_x8_lut_fn)(size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y);
void pml_x8_lut__scalar(size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y);
void pml_x8_lut__avx2(size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y); /* x86 only */

/* ---- int16 tables (TFLite int16x8: GELU and any LUTPopulate<int16_t> activation) ------- */

/* tflite::detail::LUTPopulateInt16<float>: 513 entries sampling f over the input range in 512
 * steps, each corrected by half the error of linear interpolation at its midpoint, in units
 * of 2^16 / (output range); zero points enter only through the ranges (TFLite's int16
 * activations are symmetric). Returns 0, or -1 for a bad scale or fn. */
int pml_qlut16_build(int16_t *table513, int fn, float alpha, float in_scale, int32_t in_zp, float out_scale,
                     int32_t out_zp);

/* tflite::LUTLookup(int16_t): entry 256 + (x >> 7) plus the slope to the next entry times the
 * low 7 bits, rounded ((slope * (x & 127) + 64) >> 7), in int16 arithmetic as TFLite's. */
typedef void (*pml_s16_lut_fn)(size_t n, const int16_t *x, const int16_t *table513, int16_t *y);
void pml_s16_lut__scalar(size_t n, const int16_t *x, const int16_t *table513, int16_t *y);

/* ---- TFLite HardSwish (reference_ops::HardSwish<int8/uint8>, activations.cc Prepare) ------ */

typedef struct pml_qhardswish_params {
    int32_t in_zp, out_zp;
    int16_t reluish_multiplier, output_multiplier; /* Q15 */
    int32_t reluish_exponent, output_exponent;     /* output_exponent <= 0 */
} pml_qhardswish_params;

/* Returns 0, or -1 when a scale is bad or the output multiplier exceeds 1 (TFLite refuses it). */
int pml_qhardswish_params_init(pml_qhardswish_params *p, float in_scale, int32_t in_zp, float out_scale,
                               int32_t out_zp);
/* x, y: int8 (s8) or uint8 (u8) runs. */
typedef void (*pml_qhardswish_fn)(size_t n, const void *x, void *y, const pml_qhardswish_params *p);
void pml_s8_hardswish__scalar(size_t n, const void *x, void *y, const pml_qhardswish_params *p);
void pml_u8_hardswish__scalar(size_t n, const void *x, void *y, const pml_qhardswish_params *p);

/* ---- TFLite LeakyRelu (reference_ops::QuantizeLeakyRelu) and PRelu (reference_ops::Prelu) -- */

typedef struct pml_qleaky_params {
    int32_t in_zp, out_zp, qmin, qmax;
    int32_t identity_multiplier, identity_shift; /* in_scale / out_scale */
    int32_t alpha_multiplier, alpha_shift;       /* in_scale * alpha / out_scale, signed */
} pml_qleaky_params;

/* The float multipliers as LeakyReluPrepare computes them (float expressions). */
int pml_qleaky_params_init(pml_qleaky_params *p, float alpha, float in_scale, int32_t in_zp, float out_scale,
                           int32_t out_zp, int32_t qmin, int32_t qmax);

typedef struct pml_qprelu_params {
    int32_t in_zp, alpha_zp, out_zp, qmin, qmax;
    int32_t pos_multiplier, pos_shift; /* in_scale / out_scale */
    int32_t neg_multiplier, neg_shift; /* in_scale * alpha_scale / out_scale */
} pml_qprelu_params;

int pml_qprelu_params_init(pml_qprelu_params *p, float in_scale, int32_t in_zp, float alpha_scale, int32_t alpha_zp,
                           float out_scale, int32_t out_zp, int32_t qmin, int32_t qmax);

/* LeakyRelu on int8 / uint8 / int16 runs. */
typedef void (*pml_qleaky_fn)(size_t n, const void *x, void *y, const pml_qleaky_params *p);
void pml_s8_leaky_relu__scalar(size_t n, const void *x, void *y, const pml_qleaky_params *p);
void pml_u8_leaky_relu__scalar(size_t n, const void *x, void *y, const pml_qleaky_params *p);
void pml_s16_leaky_relu__scalar(size_t n, const void *x, void *y, const pml_qleaky_params *p);

/* PRelu: y[i] from x[i] and alpha[i * alpha_step] (step 0: one slope for the run, 1: a slope
 * per element, e.g. the channels of an NHWC row); alpha has x's dtype. */
typedef void (*pml_qprelu_fn)(size_t n, const void *x, const void *alpha, size_t alpha_step, void *y,
                              const pml_qprelu_params *p);
#define PML_QPRELU_DECLARE(Q)                                                                          \
    void pml_##Q##_prelu__scalar(size_t n, const void *x, const void *alpha, size_t alpha_step, void *y, \
                                 const pml_qprelu_params *p);
PML_QPRELU_DECLARE(s8)
PML_QPRELU_DECLARE(u8)
PML_QPRELU_DECLARE(s16)

#endif /* PML_KERNELS_QACTIVATION_H */
