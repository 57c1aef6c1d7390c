/*
 * kernels/quant/x8_lut__scalar.c — activation tables (qactivation.h): the float functions in
 * TFLite's and onnxruntime's forms, the 256-entry builders (TFLite LUTPopulateInt8,
 * onnxruntime QlinearBuildLookupTable + MlasQuantizeLinear) and the byte lookup, and TFLite's
 * 513-entry int16 table (LUTPopulateInt16) with its interpolating lookup.
 */
#include <math.h>

#include "kernels/quant/qactivation.h"

#define PML_SQRT1_2 0.70710678118654752440

float pml_qlut_function(int fn, int mode, float alpha, float v) {
    const int tfl = mode == PML_REQUANT_FIXED_POINT;
    switch (fn) {
    case PML_QLUT_LOGISTIC: return 1.0f / (1.0f + expf(-v));
    case PML_QLUT_TANH: return tanhf(v);
    case PML_QLUT_HARDSWISH:
        /* reference_ops::HardSwish<float>; onnxruntime's HardSigmoid(1/6, 0.5) times x */
        if (tfl) return v * fminf(6.0f, fmaxf(0.0f, v + 3.0f)) / 6.0f;
        return v * fmaxf(0.0f, fminf(1.0f, v * (1.0f / 6.0f) + 0.5f));
    case PML_QLUT_LEAKYRELU: return v >= 0.0f ? v : (tfl ? alpha * v : v * alpha);
    case PML_QLUT_GELU:
        if (tfl) return 0.5f * v * erfcf(v * (float)-PML_SQRT1_2); /* GeluTransform: erfc avoids cancellation */
        return 0.5f * v * (1.0f + erff(v * (float)PML_SQRT1_2));
    case PML_QLUT_GELU_TANH: {
        const float k = (float)(1.12837916709551257390 * PML_SQRT1_2); /* sqrt(2/pi): M_2_SQRTPI * M_SQRT1_2 */
        return 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
    }
    case PML_QLUT_ELU:
        if (tfl) return v < 0.0f ? expm1f(v) : v; /* TFLite's ELU has no alpha */
        return v < 0.0f ? alpha * (expf(v) - 1.0f) : v;
    default: return NAN;
    }
}

int pml_qlut_build(uint8_t *table, int mode, int is_signed, int fn, float alpha, float in_scale, int32_t in_zp,
                   float out_scale, int32_t out_zp) {
    if (!(in_scale > 0.0f) || !isfinite(in_scale) || !(out_scale > 0.0f) || !isfinite(out_scale) || fn < 0 ||
        fn >= PML_QLUT_COUNT)
        return -1;
    const int32_t lo = is_signed ? INT8_MIN : 0, hi = is_signed ? INT8_MAX : UINT8_MAX;
    const float inverse_scale = 1.0f / out_scale;
    for (int32_t x = lo; x <= hi; x++) {
        const float f = pml_qlut_function(fn, mode, alpha, in_scale * (float)(x - in_zp));
        /* both end as a rounded float plus the zero point; clamp in float first so that a huge
         * or NaN value converts defined (NaN -> lo, as MLAS's max/min order gives) */
        float q = mode == PML_REQUANT_FIXED_POINT ? pml_round_away_f(f * inverse_scale) : nearbyintf(f / out_scale);
        q += (float)out_zp;
        q = q > (float)lo ? q : (float)lo;
        q = q < (float)hi ? q : (float)hi;
        table[(uint8_t)x] = (uint8_t)(int32_t)q;
    }
    return 0;
}

void pml_x8_lut__scalar(size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
}

int pml_qlut16_build(int16_t *table, int fn, float alpha, float in_scale, int32_t in_zp, float out_scale,
                     int32_t out_zp) {
    if (!(in_scale > 0.0f) || !isfinite(in_scale) || !(out_scale > 0.0f) || !isfinite(out_scale) || fn < 0 ||
        fn >= PML_QLUT_COUNT)
        return -1;
    const int m = PML_REQUANT_FIXED_POINT;
    /* every expression in float, in TFLite's order */
    const float input_min = in_scale * (float)(INT16_MIN - in_zp);
    const float input_max = in_scale * (float)(INT16_MAX - in_zp);
    const float output_min = out_scale * (float)(INT16_MIN - out_zp);
    const float output_max = out_scale * (float)(INT16_MAX - out_zp);
    const float step = (input_max - input_min) / 512.0f;
    const float half_step = step / 2.0f;
    const float inv = 65536.0f / (output_max - output_min);
    for (int i = 0; i < 512; i++) {
        const float val = pml_qlut_function(fn, m, alpha, input_min + (float)i * step);
        const float val_mid = pml_qlut_function(fn, m, alpha, input_min + (float)i * step + half_step);
        const float val_next = pml_qlut_function(fn, m, alpha, input_min + (float)(i + 1) * step);
        const float sample = roundf(val * inv);
        const float mid_interp = roundf((val_next * inv + roundf(val * inv)) / 2.0f);
        const float mid = roundf(val_mid * inv);
        const float bias = roundf((mid_interp - mid) / 2.0f);
        table[i] = (int16_t)fminf(fmaxf(sample - bias, -32768.0f), 32767.0f);
    }
    table[512] = (int16_t)fminf(fmaxf(roundf(pml_qlut_function(fn, m, alpha, input_max) * inv), -32768.0f), 32767.0f);
    return 0;
}

void pml_s16_lut__scalar(size_t n, const int16_t *x, const int16_t *table, int16_t *y) {
    for (size_t i = 0; i < n; i++) {
        const uint16_t index = (uint16_t)(256 + (x[i] >> 7));
        const int16_t offset = (int16_t)(x[i] & 0x7f);
        const int16_t base = table[index];
        const int16_t slope = (int16_t)(table[index + 1] - table[index]);
        const int delta = (slope * offset + 64) >> 7;
        y[i] = (int16_t)(base + delta);
    }
}
