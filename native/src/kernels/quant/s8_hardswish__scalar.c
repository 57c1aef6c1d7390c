/*
 * kernels/quant/s8_hardswish__scalar.c — TFLite's fixed-point int8/uint8 HardSwish
 * (tflite::reference_ops::HardSwish<T> with the parameters of activations.cc
 * HardSwishPrepare): the input on a 2^-7 finer scale, a Q15 "reluish" factor in [0, 1] from
 * x / 3 saturated, multiplied with the input already on the output scale, then the last
 * power-of-two shift. LiteRT's optimized HardSwish computes the same values.
 */
#include <math.h>

#include "kernels/quant/qactivation.h"

int pml_qhardswish_params_init(pml_qhardswish_params *p, float in_scale, int32_t in_zp, float out_scale,
                               int32_t out_zp) {
    memset(p, 0, sizeof *p);
    if (!(in_scale > 0.0f) || !isfinite(in_scale) || !(out_scale > 0.0f) || !isfinite(out_scale)) return -1;
    p->in_zp = in_zp;
    p->out_zp = out_zp;
    const float hires_input_scale = (1.0f / 128.0f) * in_scale;
    const float reluish_scale = 3.0f / 32768.0f;
    int32_t m32 = 0;
    pml_quantize_multiplier((double)(hires_input_scale / out_scale), &m32, &p->output_exponent);
    p->output_multiplier = pml_downscale_multiplier16(m32);
    if (p->output_exponent > 0) return -1; /* TF_LITE_ENSURE(output_multiplier_exponent <= 0) */
    pml_quantize_multiplier((double)(hires_input_scale / reluish_scale), &m32, &p->reluish_exponent);
    p->reluish_multiplier = pml_downscale_multiplier16(m32);
    return 0;
}

PML_INLINE int32_t hardswish_one(int32_t x, const pml_qhardswish_params *p) {
    const int16_t input_value = (int16_t)(x - p->in_zp);
    const int16_t hires = (int16_t)(input_value * (1 << 7));
    const int16_t preshift_output = pml_srdhm16(hires, p->output_multiplier);
    int16_t reluish = hires;
    if (p->reluish_exponent > 0) reluish = pml_saturating_left_shift16(reluish, p->reluish_exponent - 1);
    reluish = pml_srdhm16(reluish, p->reluish_multiplier);
    if (p->reluish_exponent > 0) reluish = pml_saturating_left_shift16(reluish, 1);
    if (p->reluish_exponent < 0) reluish = pml_rounding_divide_by_pot16(reluish, -p->reluish_exponent);
    reluish = (int16_t)((reluish + (1 << 15)) >> 1); /* [-1, 1] -> [0, 1] */
    const int16_t preshift = pml_sdhm16(reluish, preshift_output);
    /* int16 arithmetic as TFLite's (the zero point added in int16, wrapping) */
    const int16_t out = (int16_t)(pml_rounding_divide_by_pot16(preshift, -p->output_exponent) + p->out_zp);
    return out;
}

void pml_s8_hardswish__scalar(size_t n, const void *xv, void *yv, const pml_qhardswish_params *p) {
    const int8_t *x = (const int8_t *)xv;
    int8_t *y = (int8_t *)yv;
    for (size_t i = 0; i < n; i++) y[i] = (int8_t)pml_clamp_i32(hardswish_one(x[i], p), INT8_MIN, INT8_MAX);
}

void pml_u8_hardswish__scalar(size_t n, const void *xv, void *yv, const pml_qhardswish_params *p) {
    const uint8_t *x = (const uint8_t *)xv;
    uint8_t *y = (uint8_t *)yv;
    for (size_t i = 0; i < n; i++) y[i] = (uint8_t)pml_clamp_i32(hardswish_one(x[i], p), 0, UINT8_MAX);
}
