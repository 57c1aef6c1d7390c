/*
 * kernels/quant/qelementwise.h — quantized elementwise kernels on runs: Add, Sub and Mul with
 * rescaling, requantization of a run from one (scale, zero point) to another (Requantize,
 * Concat/Pad inputs of another scale, int8 <-> uint8 <-> int16), TFLite's Quantize and
 * Dequantize, and the clamp of a quantized MaxPool/Relu.
 *
 * Every kernel works on stored values (int8/int16, or uint8 where the table says so) and a
 * parameter struct its `*_params_init` fills once at prepare time from the float scales and
 * zero points; nothing here allocates or reads a tensor. Two semantics (pml_requant_mode):
 *
 *   PML_REQUANT_FIXED_POINT  TFLite, bit-exact with LiteRT's builtin kernels on x86
 *   (tests/ops/test_quant_runtimes.py; double rounding):
 *     Add/Sub  tflite::reference_integer_ops::AddFunc / reference_ops::SubFunc with the
 *              parameters of add.cc/sub.cc Prepare: both inputs (x - zp) << left_shift (20
 *              for 8-bit, 15 for 16-bit), each scaled by in_scale / (2 * max in_scale), summed,
 *              scaled by 2 * max in_scale / (2^left_shift * out_scale), + out zp, clamped.
 *     Mul      reference_integer_ops::MulElementwise: (a - za) * (b - zb) scaled by
 *              a_scale * b_scale / y_scale (QuantizeMultiplier in double), + zp, clamped.
 *              (LiteRT's vectorized Mul adds the zero point to an int16-saturated value
 *              without saturation, so a result beyond 2^15 - |zp| wraps to the other end
 *              there; this kernel saturates it.)
 *   PML_REQUANT_FLOAT  onnxruntime (com.microsoft QLinearAdd/QLinearMul; DQ -> op -> Q):
 *     Add/Sub  MLAS's portable MlasQLinearAddKernelRawHelper: va = a_scale * (a - za),
 *              vb likewise, (va +- vb) / y_scale clamped to the output range minus y_zp,
 *              y = nearbyintf(v) + y_zp (half to even; MLAS adds y_zp in float before
 *              rounding, which differs only within a float ulp of a tie). MLAS's x86 kernels
 *              reassociate the same sum (zero points folded into one constant) and can
 *              differ by one step on such near-ties too.
 *     Mul      MLAS QLinearMul: (float)((a - za) * (b - zb)) * (a_scale * b_scale / y_scale),
 *              rounded half to even (pml_requant_float), + y_zp.
 *
 * Broadcasting is the caller's: as the float32 binary kernels (elementwise.h), each op has a
 * vector-vector, a vector-scalar and a scalar-vector run; the scalar is passed as its stored
 * value widened to int32. uint8 operands go through the int8 kernels with the sign bit
 * flipped (x ^ 0x80) and every zero point and qmin/qmax minus 128: both semantics only ever
 * see x - zp, so the result is the same bit for bit.
 */
#ifndef PML_KERNELS_QELEMENTWISE_H
#define PML_KERNELS_QELEMENTWISE_H

#include "kernels/common.h"
#include "kernels/qbinary_params.h"
#include "kernels/requant.h"

/* y[i] = a[i] op b[i] / a[i] op b / a op b[i]; element type int8 (s8 kernels) or int16. */
typedef void (*pml_qbinary_vv_fn)(size_t n, const void *a, const void *b, void *y, const pml_qbinary_params *p);
typedef void (*pml_qbinary_vs_fn)(size_t n, const void *a, int32_t b, void *y, const pml_qbinary_params *p);
typedef void (*pml_qbinary_sv_fn)(size_t n, int32_t a, const void *b, void *y, const pml_qbinary_params *p);

typedef struct pml_qbinary_kernels {
    pml_qbinary_vv_fn vv;
    pml_qbinary_vs_fn vs;
    pml_qbinary_sv_fn sv;
} pml_qbinary_kernels;

/* pml_{s8,s16}_qbinary__scalar[PML_QBIN_*] */
extern const pml_qbinary_kernels pml_s8_qbinary__scalar[PML_QBIN_COUNT], pml_s16_qbinary__scalar[PML_QBIN_COUNT];
/* y[i] = Add(a[i], b[i]) on 8-bit stored values read as uint8 (u8 = 1) or int8, zero points
 * and clamp of p in that domain (no sign flip): the residual Add of an int8 conv that runs it
 * after the conv instead of in its GEMM epilogue (ops/conv_q8.c). */
void pml_x8_qadd_rows__scalar(size_t n, const void *a, const void *b, void *y, int u8, const pml_qbinary_params *p);
/* AVX2 (x86 only): TFLite's int8 Add/Sub vectorized; ONNX float mode and Mul call the scalar ones */
extern const pml_qbinary_kernels pml_s8_qbinary__avx2[PML_QBIN_COUNT];

/* ---- requantize a run ---------------------------------------------------------------------- */

/* Sub-mode of PML_REQUANT_FLOAT runs: */
enum {
    PML_QREQUANT_ONNX = 0,        /* DequantizeLinear then QuantizeLinear in float32: v = (float)(x - x_zp) *
                                     x_scale; y = nearbyintf(v / y_scale) + y_zp (onnxruntime's QDQ pair,
                                     QLinearConcat's table) */
    PML_QREQUANT_TFLITE_FLOAT = 1 /* TFLite reference ConcatenationWithScaling (uint8 inputs of another
                                     scale; LiteRT's optimized kernel is the same function):
                                     scale = x_scale * (1.f / y_scale), bias = -x_zp * scale,
                                     y = (int)roundf(x * scale + bias) + y_zp; an input of the
                                     output's own scale and zero point is copied unchanged */
};

typedef struct pml_qrequant_params {
    int32_t mode;    /* pml_requant_mode */
    int32_t variant; /* PML_QREQUANT_* for PML_REQUANT_FLOAT */
    int32_t x_zp, y_zp, qmin, qmax;
    int32_t multiplier, shift;  /* fixed point: x_scale / y_scale (double), tflite::QuantizeMultiplier */
    float x_scale, y_scale;     /* ONNX */
    float scale, bias;          /* TFLite float concat */
} pml_qrequant_params;

/* Fixed point is TFLite's Requantize (quantize.cc, int8/uint8/int16 in and out):
 * MultiplyByQuantizedMultiplier(x - x_zp) + y_zp, clamped; between 8-bit types LiteRT's
 * optimized kernel takes whole blocks of 16 with MultiplyByQuantizedMultiplier4Rows (negative
 * ties round up), so those kernels expect the whole tensor in one call. Returns 0, or -1 for a
 * bad scale. */
int pml_qrequant_params_init(pml_qrequant_params *p, int mode, int variant, float x_scale, int32_t x_zp,
                             float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax);

/* y[i] = x[i] requantized; x and y of the table's dtypes (may alias exactly when the sizes match). */
typedef void (*pml_qrequant_fn)(size_t n, const void *x, void *y, const pml_qrequant_params *p);

/* Index of the requantize tables: [input][output] with 0 = int8, 1 = uint8, 2 = int16. */
enum { PML_Q8_S8, PML_Q8_U8, PML_Q16_S16, PML_QTYPE_COUNT };
extern const pml_qrequant_fn pml_qrequant__scalar[PML_QTYPE_COUNT][PML_QTYPE_COUNT];
/* The 8-bit to 8-bit Requantize as a byte table: table[b] is the stored output byte for the stored
 * input byte b (x_signed: int8 storage, else uint8), as the kernels above compute it for an element
 * inside LiteRT's blocks of 16 (in_block = 1) or in the tail (0); the float modes give one table,
 * the same either way. The configuration's pml_x8_lut_fn then runs it. */
void pml_qrequant_table(const pml_qrequant_params *p, int x_signed, int in_block, uint8_t table[256]);

/* ---- TFLite Quantize (float32 -> int8/uint8/int16) --------------------------------------- */

/* TFLite's QUANTIZE as LiteRT runs it on x86: optimized_ops::AffineQuantize with its NEON
 * path (LiteRT's x86 build defines USE_NEON through NEON_2_SSE). Call it on the whole tensor:
 * elements [0, n / 8 * 8) are x * (float)(1 / (double)scale) rounded half to EVEN, the last
 * n % 8 are round((double)x / scale) half AWAY from zero, each + zp and clamped. NaN and
 * values past int32 convert to INT32_MIN first (x86's integer indefinite), so they end at the
 * range's minimum (or wrap with a negative zp, as LiteRT). ONNX QuantizeLinear (half to
 * even) is kernels/quant/quant_typed.h's. */
typedef void (*pml_quantize_tflite_fn)(size_t n, const float *x, float scale, int32_t zp, void *y);
void pml_s8_quantize_tflite__scalar(size_t n, const float *x, float scale, int32_t zp, void *y);
void pml_u8_quantize_tflite__scalar(size_t n, const float *x, float scale, int32_t zp, void *y);
void pml_s16_quantize_tflite__scalar(size_t n, const float *x, float scale, int32_t zp, void *y);

/* TFLite's DEQUANTIZE as LiteRT runs it on x86 (optimized_ops::Dequantize, NEON path through
 * NEON_2_SSE, no FMA): elements [0, n / 8 * 8) are (float)x * (float)scale +
 * (float)(-zp * (double)scale), two float roundings; the last n % 8 are
 * (float)((double)scale * (x - zp)), one rounding (which is also ONNX's DequantizeLinear,
 * kernels/quant/quant_typed.h). Call it on the whole tensor. x: int8 / uint8 / int16. */
typedef void (*pml_dequantize_tflite_fn)(size_t n, const void *x, float scale, int32_t zp, float *y);
void pml_s8_dequantize_tflite__scalar(size_t n, const void *x, float scale, int32_t zp, float *y);
void pml_u8_dequantize_tflite__scalar(size_t n, const void *x, float scale, int32_t zp, float *y);
void pml_s16_dequantize_tflite__scalar(size_t n, const void *x, float scale, int32_t zp, float *y);

/* ---- clamp ------------------------------------------------------------------------------- */

/* y[i] = min(max(x[i], lo), hi) on int8 (MaxPool's and Relu's fused activation on stored values). */
void pml_s8_clamp__scalar(size_t n, const int8_t *x, int8_t *y, int32_t lo, int32_t hi);

#endif /* PML_KERNELS_QELEMENTWISE_H */
