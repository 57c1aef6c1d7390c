/*
 * kernels/quant/s8_requantize__scalar.c — a run from one (scale, zero point) to another
 * (qelementwise.h): TFLite's fixed-point Requantize, ONNX's DequantizeLinear ->
 * QuantizeLinear pair and TFLite's float ConcatenationWithScaling, for every pair of int8,
 * uint8 and int16; TFLite's Quantize from float32 and Dequantize to it; the int8 clamp.
 */
#include <math.h>

#include "kernels/quant/qelementwise.h"

int pml_qrequant_params_init(pml_qrequant_params *p, int mode, int variant, float x_scale, int32_t x_zp,
                             float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax) {
    memset(p, 0, sizeof *p);
    if (!(x_scale > 0.0f) || !isfinite(x_scale) || !(y_scale > 0.0f) || !isfinite(y_scale)) return -1;
    p->mode = mode;
    p->variant = variant;
    p->x_zp = x_zp;
    p->y_zp = y_zp;
    p->qmin = qmin;
    p->qmax = qmax;
    p->x_scale = x_scale;
    p->y_scale = y_scale;
    /* quantize.cc: static_cast<double>(input scale) / static_cast<double>(output scale) */
    pml_quantize_multiplier((double)x_scale / (double)y_scale, &p->multiplier, &p->shift);
    /* concatenation.h: float inverse, float product, float bias */
    p->scale = x_scale * (1.0f / y_scale);
    p->bias = (float)(-x_zp) * p->scale;
    return 0;
}

/* rows: the element lies in one of LiteRT's vectorized blocks (see below). */
PML_INLINE int32_t requant_one(int32_t x, const pml_qrequant_params *p, int rows) {
    if (p->mode == PML_REQUANT_FIXED_POINT) {
        const int32_t v = x - p->x_zp;
        const int32_t y = (rows ? pml_multiply_by_quantized_multiplier_rows(v, p->multiplier, p->shift)
                                : pml_multiply_by_quantized_multiplier(v, p->multiplier, p->shift)) +
                          p->y_zp;
        return pml_clamp_i32(y, p->qmin, p->qmax);
    }
    float v;
    if (p->variant == PML_QREQUANT_TFLITE_FLOAT && p->x_scale == p->y_scale && p->x_zp == p->y_zp)
        return x; /* ConcatenationWithScaling copies an input of the output's parameters */
    if (p->variant == PML_QREQUANT_TFLITE_FLOAT) {
        v = pml_round_away_f((float)x * p->scale + p->bias);
    } else {
        v = nearbyintf((float)(x - p->x_zp) * p->x_scale / p->y_scale);
    }
    /* clamp before converting: a float past int32 has no defined conversion */
    const float lo = (float)(p->qmin - p->y_zp), hi = (float)(p->qmax - p->y_zp);
    v = v < lo ? lo : (v > hi ? hi : v);
    return (int32_t)v + p->y_zp;
}

/* LiteRT's optimized Requantize between 8-bit types (the QUANTIZE op) runs whole blocks of 16
 * from the start of the tensor with MultiplyByQuantizedMultiplier4Rows and the n % 16 tail
 * with the scalar MultiplyByQuantizedMultiplier; BLOCKS is 1 for those pairs (the op calls
 * the kernel once on the whole tensor), 0 where TFLite has only the reference loop. */
/* The float modes map each 8-bit input through a 256-entry table of requant_one's own results
 * when the run is longer than the table: the same values, without a float division per element
 * (the fixed-point mode's result depends on the element's position, so it never uses one). */
#define PML_QREQUANT_TABLE_MIN 512
#define PML_QREQUANT(XN, XT, YN, YT, BLOCKS)                                                           \
    static void requant_##XN##_##YN(size_t n, const void *xv, void *yv, const pml_qrequant_params *p) { \
        const XT *x = (const XT *)xv;                                                                 \
        YT *y = (YT *)yv;                                                                             \
        if (sizeof(XT) == 1 && p->mode == PML_REQUANT_FLOAT && n >= PML_QREQUANT_TABLE_MIN) {         \
            const int lo = (XT)-1 < 0 ? -128 : 0; /* the input type's smallest value */              \
            YT table[256];                                                                            \
            for (int v = 0; v < 256; v++) table[v] = (YT)requant_one(lo + v, p, 0);                   \
            for (size_t i = 0; i < n; i++) y[i] = table[(int)x[i] - lo];                              \
            return;                                                                                   \
        }                                                                                             \
        const size_t blocked = (BLOCKS) ? n / 16 * 16 : 0;                                            \
        for (size_t i = 0; i < n; i++) y[i] = (YT)requant_one(x[i], p, i < blocked);                  \
    }
PML_QREQUANT(s8, int8_t, s8, int8_t, 1)
PML_QREQUANT(s8, int8_t, u8, uint8_t, 1)
PML_QREQUANT(s8, int8_t, s16, int16_t, 0)
PML_QREQUANT(u8, uint8_t, s8, int8_t, 1)
PML_QREQUANT(u8, uint8_t, u8, uint8_t, 1)
PML_QREQUANT(u8, uint8_t, s16, int16_t, 0)
PML_QREQUANT(s16, int16_t, s8, int8_t, 0)
PML_QREQUANT(s16, int16_t, u8, uint8_t, 0)
PML_QREQUANT(s16, int16_t, s16, int16_t, 0)

/* Sizes match within a row, so y may alias x exactly: each element is read before written. */
const pml_qrequant_fn pml_qrequant__scalar[PML_QTYPE_COUNT][PML_QTYPE_COUNT] = {
    [PML_Q8_S8] = {requant_s8_s8, requant_s8_u8, requant_s8_s16},
    [PML_Q8_U8] = {requant_u8_s8, requant_u8_u8, requant_u8_s16},
    [PML_Q16_S16] = {requant_s16_s8, requant_s16_u8, requant_s16_s16},
};

void pml_qrequant_table(const pml_qrequant_params *p, int x_signed, int in_block, uint8_t table[256]) {
    const int lo = x_signed ? -128 : 0;
    for (int v = lo; v < lo + 256; v++) table[(uint8_t)v] = (uint8_t)requant_one(v, p, in_block);
}

/* x86's float -> int32 conversion: NaN and anything outside int32 give INT32_MIN (the
 * "integer indefinite" of cvtps2dq/cvttsd2si, which LiteRT's conversions hit). */
PML_INLINE int32_t cvt_x86(double v) {
    return (v >= -2147483648.0 && v < 2147483648.0) ? (int32_t)v : INT32_MIN;
}

/* optimized_ops::AffineQuantize as LiteRT runs it on x86 (USE_NEON through NEON_2_SSE):
 * blocks of 8 multiply by (float)(1 / (double)scale) and round half to even
 * (RoundToNearest = vcvtnq_s32_f32); the remaining n % 8 take the scalar loop,
 * TfLiteRound((double)x / scale) (half away from zero). */
#define PML_QUANTIZE_TFLITE(YN, YT, LO, HI)                                                     \
    void pml_##YN##_quantize_tflite__scalar(size_t n, const float *x, float scale, int32_t zp, void *yv) { \
        YT *y = (YT *)yv;                                                                      \
        const float inverse = (float)(1.0 / (double)scale);                                    \
        const size_t blocked = n / 8 * 8;                                                      \
        size_t i = 0;                                                                          \
        for (; i < blocked; i++) { /* zp added in int32, wrapping as vaddq_s32 */              \
            const int32_t q = cvt_x86(nearbyintf(x[i] * inverse));                            \
            y[i] = (YT)pml_clamp_i32((int32_t)((uint32_t)q + (uint32_t)zp), LO, HI);           \
        }                                                                                      \
        for (; i < n; i++) {                                                                   \
            const int32_t q = cvt_x86(pml_round_away((double)x[i] / (double)scale));           \
            y[i] = (YT)pml_clamp_i32((int32_t)((uint32_t)q + (uint32_t)zp), LO, HI);           \
        }                                                                                      \
    }
PML_QUANTIZE_TFLITE(s8, int8_t, INT8_MIN, INT8_MAX)
PML_QUANTIZE_TFLITE(u8, uint8_t, 0, UINT8_MAX)
PML_QUANTIZE_TFLITE(s16, int16_t, INT16_MIN, INT16_MAX)

#define PML_DEQUANTIZE_TFLITE(XN, XT)                                                                   \
    void pml_##XN##_dequantize_tflite__scalar(size_t n, const void *xv, float scale, int32_t zp, float *y) { \
        const XT *x = (const XT *)xv;                                                                  \
        const float zero_times_scale = (float)(-zp * (double)scale);                                   \
        const size_t blocked = n / 8 * 8;                                                              \
        size_t i = 0;                                                                                  \
        for (; i < blocked; i++) y[i] = (float)x[i] * scale + zero_times_scale;                        \
        for (; i < n; i++) y[i] = (float)((double)scale * (double)((int32_t)x[i] - zp));               \
    }
PML_DEQUANTIZE_TFLITE(s8, int8_t)
PML_DEQUANTIZE_TFLITE(u8, uint8_t)
PML_DEQUANTIZE_TFLITE(s16, int16_t)

void pml_s8_clamp__scalar(size_t n, const int8_t *x, int8_t *y, int32_t lo, int32_t hi) {
    for (size_t i = 0; i < n; i++) y[i] = (int8_t)pml_clamp_i32(x[i], lo, hi);
}
