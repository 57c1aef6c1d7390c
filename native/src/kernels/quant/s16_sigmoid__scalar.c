/*
 * kernels/quant/s16_sigmoid__scalar.c — TFLite int16x8 LOGISTIC and TANH (qsigmoid16.h): the
 * choice SigmoidPrepare/TanhPrepare make between the table and the fixed-point paths, the
 * 256-entry sigmoid table, and the table kernels of reference_integer_ops::Logistic/Tanh.
 */
#include <math.h>
#include <stdlib.h>

#include "kernels/quant/qsigmoid16.h"
#include "kernels/requant.h"

int pml_checked_log2(float x, int *log2) {
    const float l = logf(x) * (1.0f / logf(2.0f));
    const float r = pml_round_away_f(l);
    *log2 = (int)r;
    return fabsf(l - r) < 1e-3f;
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* sigmoid(i / 24) in 0.16, each entry lowered by half the midpoint error of interpolating to
 * the next one (see qsigmoid16.h). */
static void build_table(uint16_t *table) {
    for (int i = 0; i < 255; i++) {
        const double v = 65536.0 * sigmoid(i / 24.0), next = 65536.0 * sigmoid((i + 1) / 24.0);
        const double mid = 65536.0 * sigmoid((i + 0.5) / 24.0);
        table[i] = (uint16_t)lround(v - ((v + next) / 2.0 - mid) / 2.0);
    }
    table[255] = 0xFFFF;
}

int pml_qsigmoid16_output_ok(int is_tanh, float out_scale, int32_t out_zp) {
    int l;
    if (out_zp != 0 || !(out_scale > 0.0f) || !isfinite(out_scale)) return 0;
    if (!is_tanh) return out_scale == 1.0f / 32768.0f;
    return pml_checked_log2(out_scale, &l) && l == -15;
}

int pml_qsigmoid16_params_init(pml_qsigmoid16_params *p, int is_tanh, float in_scale) {
    if (!(in_scale > 0.0f) || !isfinite(in_scale)) return -1;
    p->is_tanh = is_tanh;
    build_table(p->table);
    int log2;
    int pot = pml_checked_log2(in_scale, &log2);
    int shift = 12 + log2; /* (15 - 3 integer bits) + log2(scale): 0 when the input is Q3.12 */
    pot = pot && (shift == 0 || (is_tanh && shift == 1));
    int32_t multiplier = 0;
    if (!pot) {
        /* rescale to 1 / (3 * 4096) per step, the factor 3 widening [-8, 8] to [-10.7, 10.7] */
        double m = (double)in_scale * 4096.0 * 3.0;
        shift = 0;
        while (m <= 32767.0 / 2.0 && shift <= 30) {
            shift++;
            m *= 2.0;
        }
        multiplier = (int32_t)m;
    }
    /* SigmoidEval/TanhEval take the table path when the multiplier is > 0, the fixed-point
     * one otherwise (also for a scale so small that the multiplier truncated to 0) */
    p->fixed_point = multiplier <= 0;
    p->multiplier = multiplier;
    p->shift = shift;
    return 0;
}

/* (x * multiplier + round) >> shift in int32, wrapping as the int32 product would. */
static inline int32_t rescale(int16_t x, const pml_qsigmoid16_params *p) {
    const int32_t round = p->shift > 0 ? (int32_t)1 << (p->shift - 1) : 0;
    const int32_t v = (int32_t)((uint32_t)(int32_t)x * (uint32_t)p->multiplier + (uint32_t)round);
    return v >> p->shift;
}

static inline uint32_t magnitude(int32_t v) { return v < 0 ? 0u - (uint32_t)v : (uint32_t)v; }

/* Logistic: |v| in steps of 1/(3*4096) = 1/24 >> 9; interpolate on the low 9 bits. */
static int16_t logistic_table(int16_t x, const pml_qsigmoid16_params *p) {
    const int32_t v = rescale(x, p);
    const uint32_t a = magnitude(v), hi = a >> 9;
    uint32_t r = 0x7FFFu << 10; /* saturated */
    if (hi < 255) {
        const uint32_t lo = p->table[hi], up = p->table[hi + 1];
        r = (lo << 9) + (a & 0x1FF) * (up - lo);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1; /* sigmoid(-v) = 1 - sigmoid(v) */
    return (int16_t)(r >> 10);
}

/* Tanh = 2 sigmoid(2v) - 1: the same table at twice the rate (8 interpolation bits). */
static int16_t tanh_table(int16_t x, const pml_qsigmoid16_params *p) {
    const int32_t v = rescale(x, p);
    const uint32_t a = magnitude(v), hi = a >> 8;
    int32_t r = 0xFFFF << 8; /* saturated */
    if (hi < 255) {
        const uint32_t lo = p->table[hi], up = p->table[hi + 1];
        r = (int32_t)((lo << 8) + (a & 0xFF) * (up - lo));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

void pml_s16_sigmoid__scalar(size_t n, const int16_t *x, int16_t *y, const pml_qsigmoid16_params *p) {
    if (p->fixed_point && p->is_tanh) {
        /* shift 1 (scale 2^-11): the input doubled, saturating, to Q3.12 */
        for (size_t i = 0; i < n; i++) {
            int32_t v = x[i];
            if (p->shift != 0) v = v > 16383 ? INT16_MAX : v < -16383 ? INT16_MIN : v * 2;
            y[i] = pml_s16_tanh_q3((int16_t)v);
        }
    } else if (p->fixed_point) {
        for (size_t i = 0; i < n; i++) y[i] = pml_s16_logistic_q3(x[i]);
    } else if (p->is_tanh) {
        for (size_t i = 0; i < n; i++) y[i] = tanh_table(x[i], p);
    } else {
        for (size_t i = 0; i < n; i++) y[i] = logistic_table(x[i], p);
    }
}
