/*
 * kernels/quant/s16_softmax__scalar.c — TFLite int16x8 SOFTMAX (qsoftmax16.h): the two
 * 513-entry tables of SoftmaxPrepare, built as LUTPopulate<int16_t> does with double as its
 * float type (x8_lut__scalar.c builds the float variant GELU uses; the rounding of every
 * intermediate differs, so the two are kept apart), and the row kernel.
 */
#include <math.h>

#include "kernels/quant/qactivation.h"
#include "kernels/quant/qsoftmax16.h"
#include "kernels/requant.h"

static double exp_fn(double v) { return exp(v); }
static double reciprocal_fn(double v) { return 1.0 / (1.0 + v); }

static int16_t clamp16(double v) { return (int16_t)fmin(fmax(v, -32768.0), 32767.0); }

/* 512 samples of f over the input range, each lowered by half the midpoint error of
 * interpolating to the next, in units of 2^16 / (output range); the 513th is f(input max). */
static void build_table_f64(int16_t *table, double (*f)(double), double in_scale, int32_t in_zp, double out_scale,
                            int32_t out_zp) {
    const double input_min = in_scale * (INT16_MIN - in_zp), input_max = in_scale * (INT16_MAX - in_zp);
    const double output_min = out_scale * (INT16_MIN - out_zp), output_max = out_scale * (INT16_MAX - out_zp);
    const double step = (input_max - input_min) / 512, half_step = step / 2;
    const double inv = 65536.0 / (output_max - output_min);
    for (int i = 0; i < 512; i++) {
        const double val = f(input_min + i * step);
        const double val_mid = f(input_min + i * step + half_step);
        const double val_next = f(input_min + (i + 1) * step);
        const double sample = round(val * inv);
        const double mid_interp = round((val_next * inv + round(val * inv)) / 2);
        const double bias = round((mid_interp - round(val_mid * inv)) / 2);
        table[i] = clamp16(sample - bias);
    }
    table[512] = clamp16(round(f(input_max) * inv));
}

int pml_qsoftmax16_params_init(pml_qsoftmax16_params *p, float in_scale, float beta) {
    if (!(in_scale > 0.0f) || !isfinite(in_scale) || !(beta > 0.0f) || !isfinite(beta)) return -1;
    const int32_t range = INT16_MAX - INT16_MIN;
    build_table_f64(p->exp_table, exp_fn, 10.0 / range, INT16_MAX, 2.0 / range, 0);
    build_table_f64(p->reciprocal_table, reciprocal_fn, 1.0 / range, INT16_MIN, 2.0 / range, 0);
    pml_quantize_multiplier((double)(in_scale * beta) / (10.0 / 65535.0), &p->multiplier, &p->shift);
    return 0;
}

static inline int16_t sat16(int32_t v) { return (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v); }

static inline int clz32(uint32_t v) {
    int n = 0;
    while (n < 32 && !(v & (0x80000000u >> n))) n++;
    return n;
}

void pml_s16_softmax__scalar(size_t n, const int16_t *x, int16_t *y, const pml_qsoftmax16_params *p) {
    int16_t max = INT16_MIN;
    for (size_t c = 0; c < n; c++) max = x[c] > max ? x[c] : max;
    /* exp(x - max) in Q0.15 through the table, kept in y; the table's input is recentred from
     * [-65535, 0] to [-32768, 32767] */
    for (size_t c = 0; c < n; c++) {
        const int32_t scaled = pml_multiply_by_quantized_multiplier((int32_t)x[c] - max, p->multiplier, p->shift);
        y[c] = sat16(scaled + 32767);
    }
    pml_s16_lut__scalar(n, y, p->exp_table, y);
    uint32_t sum = 0; /* at most 65536 * 32767: fits */
    for (size_t c = 0; c < n; c++) sum += (uint32_t)(int32_t)y[c];
    /* 1 / sum: the sum shifted so its top bit lands at bit 30, kept to 17 bits (1 + x with x in
     * [0, 1) at 2^-16 per step), x recentred to [-32768, 32767] for the 1 / (1 + x) table */
    const int headroom_plus_one = clz32(sum);
    const int32_t shifted = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int16_t x_sym = sat16(shifted - ((1 << 15) + (1 << 16)));
    int16_t reciprocal;
    pml_s16_lut__scalar(1, &x_sym, p->reciprocal_table, &reciprocal);
    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = (int64_t)1 << (right_shift - 1);
    for (size_t c = 0; c < n; c++) {
        const int32_t r = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
        y[c] = (int16_t)(r < 0 ? 0 : r > INT16_MAX ? INT16_MAX : r);
    }
}
