/*
 * kernels/quant/s8_requantize__scalar.c — a run from one (scale, zero point) to another
 * (qelementwise.h): TFLite's fixed-point Requantize, ONNX's DequantizeLinear ->
 * QuantizeLinear pair and TFLite's float ConcatenationWithScaling, for every pair of int8,
 * uint8 and int16; TFLite's Quantize from float32; the int8 clamp.
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

PML_INLINE int32_t requant_one(int32_t x, const pml_qrequant_params *p) {
    if (p->mode == PML_REQUANT_FIXED_POINT) {
        int32_t y = pml_multiply_by_quantized_multiplier(x - p->x_zp, p->multiplier, p->shift) + p->y_zp;
        return pml_clamp_i32(y, p->qmin, p->qmax);
    }
    float v;
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

#define PML_QREQUANT(XN, XT, YN, YT)                                                                   \
    static void requant_##XN##_##YN(size_t n, const void *xv, void *yv, const pml_qrequant_params *p) { \
        const XT *x = (const XT *)xv;                                                                 \
        YT *y = (YT *)yv;                                                                             \
        for (size_t i = 0; i < n; i++) y[i] = (YT)requant_one(x[i], p);                               \
    }
#define PML_QREQUANT_FROM(XN, XT)        \
    PML_QREQUANT(XN, XT, s8, int8_t)     \
    PML_QREQUANT(XN, XT, u8, uint8_t)    \
    PML_QREQUANT(XN, XT, s16, int16_t)
PML_QREQUANT_FROM(s8, int8_t)
PML_QREQUANT_FROM(u8, uint8_t)
PML_QREQUANT_FROM(s16, int16_t)

/* Sizes match within a row, so y may alias x exactly: each element is read before written. */
const pml_qrequant_fn pml_qrequant__scalar[PML_QTYPE_COUNT][PML_QTYPE_COUNT] = {
    [PML_Q8_S8] = {requant_s8_s8, requant_s8_u8, requant_s8_s16},
    [PML_Q8_U8] = {requant_u8_s8, requant_u8_u8, requant_u8_s16},
    [PML_Q16_S16] = {requant_s16_s8, requant_s16_u8, requant_s16_s16},
};

/* optimized_ops::AffineQuantize's scalar loop: TfLiteRound(val / scale) with scale a double. */
#define PML_QUANTIZE_TFLITE(YN, YT, LO, HI)                                                  \
    void pml_##YN##_quantize_tflite__scalar(size_t n, const float *x, float scale, int32_t zp, void *yv) { \
        YT *y = (YT *)yv;                                                                   \
        for (size_t i = 0; i < n; i++) {                                                    \
            double v = pml_round_away((double)x[i] / (double)scale) + (double)zp;           \
            v = v > (double)(LO) ? v : (double)(LO); /* NaN -> LO */                        \
            v = v < (double)(HI) ? v : (double)(HI);                                        \
            y[i] = (YT)v;                                                                   \
        }                                                                                   \
    }
PML_QUANTIZE_TFLITE(s8, int8_t, INT8_MIN, INT8_MAX)
PML_QUANTIZE_TFLITE(u8, uint8_t, 0, UINT8_MAX)
PML_QUANTIZE_TFLITE(s16, int16_t, INT16_MIN, INT16_MAX)

void pml_s8_clamp__scalar(size_t n, const int8_t *x, int8_t *y, int32_t lo, int32_t hi) {
    for (size_t i = 0; i < n; i++) y[i] = (int8_t)pml_clamp_i32(x[i], lo, hi);
}
