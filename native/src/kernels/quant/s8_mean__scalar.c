/*
 * kernels/quant/s8_mean__scalar.c — quantized Mean (qpool.h): the int32 sums of the
 * reduced elements and the three finishing rescales (LiteRT's optimized H x W mean, TFLite's
 * reference QuantizedMeanOrSum, onnxruntime's QLinearGlobalAveragePool), for int8, uint8
 * and int16.
 */
#include <math.h>

#include "kernels/quant/qpool.h"

static int floor_log2_u64(uint64_t v) {
    int r = -1;
    while (v) {
        v >>= 1;
        r++;
    }
    return r;
}

int pml_qmean_params_init(pml_qmean_params *p, int variant, int64_t count, float in_scale, int32_t in_zp,
                          float out_scale, int32_t out_zp, int32_t qmin, int32_t qmax) {
    memset(p, 0, sizeof *p);
    if (!(in_scale > 0.0f) || !isfinite(in_scale) || !(out_scale > 0.0f) || !isfinite(out_scale) || count < 1 ||
        count >= (1 << 24))
        return -1;
    p->variant = variant;
    p->count = count;
    p->in_zp = in_zp;
    p->out_zp = out_zp;
    p->qmin = qmin;
    p->qmax = qmax;
    if (variant == PML_QMEAN_TFLITE_HW) {
        /* optimized_integer_ops::Mean: every expression in float */
        const float num = (float)count;
        float temp = (float)in_zp * in_scale / out_scale;
        temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
        p->bias = out_zp - (int32_t)temp;
        pml_quantize_multiplier((double)(in_scale / (num * out_scale)), &p->multiplier, &p->shift);
    } else if (variant == PML_QMEAN_TFLITE) {
        /* reduce.cc PrepareMeanOrSum, then QuantizedMeanOrSum's folding of 1 / count */
        int32_t m, e;
        pml_quantize_multiplier((double)in_scale / (double)out_scale, &m, &e);
        int s = floor_log2_u64((uint64_t)count);
        if (s > 32) s = 32;
        if (s > 31 + e) s = 31 + e;
        if (s < 0) s = 0; /* only for a multiplier TFLite flushes to 0 anyway */
        p->multiplier = (int32_t)(((int64_t)m << s) / count);
        p->shift = e - s;
    } else {
        p->scale = in_scale / (out_scale * (float)count); /* MLAS CheckQLinearGlobalAveragePoolScaleAndSize */
    }
    return 0;
}

/* sum - in_zp * count in int64, then back to int32 as both runtimes keep it (wrapping only
 * for sums no real tensor reaches; no undefined overflow). */
PML_INLINE int32_t centered(int32_t sum, const pml_qmean_params *p) {
    return (int32_t)(uint32_t)((int64_t)sum - (int64_t)p->in_zp * p->count);
}

/* rows: the element lies in one of LiteRT's vectorized blocks of 16 channels. */
PML_INLINE int32_t mean_one(int32_t sum, const pml_qmean_params *p, int rows) {
    int32_t y;
    switch (p->variant) {
    case PML_QMEAN_TFLITE_HW:
        y = (rows ? pml_multiply_by_quantized_multiplier_rows(sum, p->multiplier, p->shift)
                  : pml_multiply_by_quantized_multiplier(sum, p->multiplier, p->shift)) +
            p->bias;
        break;
    case PML_QMEAN_TFLITE:
        y = pml_multiply_by_quantized_multiplier(centered(sum, p), p->multiplier, p->shift) + p->out_zp;
        break;
    default: {
        float v = nearbyintf((float)centered(sum, p) * p->scale);
        const float lo = (float)(p->qmin - p->out_zp), hi = (float)(p->qmax - p->out_zp);
        v = v < lo ? lo : (v > hi ? hi : v);
        y = (int32_t)v + p->out_zp;
    }
    }
    return pml_clamp_i32(y, p->qmin, p->qmax);
}

#define PML_QMEAN(Q, T)                                                                                        \
    void pml_##Q##_qsum_rows__scalar(size_t outer, size_t count, size_t inner, const void *xv, int32_t *acc) {         \
        const T *x = (const T *)xv;                                                                            \
        for (size_t o = 0; o < outer; o++) {                                                                   \
            int32_t *a = acc + o * inner;                                                                      \
            for (size_t i = 0; i < inner; i++) a[i] = 0;                                                       \
            for (size_t r = 0; r < count; r++) {                                                               \
                const T *row = x + (o * count + r) * inner;                                                    \
                for (size_t i = 0; i < inner; i++) a[i] = (int32_t)((uint32_t)a[i] + (uint32_t)(int32_t)row[i]); \
            }                                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
    void pml_##Q##_qmean__scalar(size_t n, const int32_t *sum, void *yv, const pml_qmean_params *p) {                 \
        T *y = (T *)yv;                                                                                        \
        const size_t blocked = p->variant == PML_QMEAN_TFLITE_HW ? n / 16 * 16 : 0;                            \
        for (size_t i = 0; i < n; i++) y[i] = (T)mean_one(sum[i], p, i < blocked);                             \
    }
PML_QMEAN(s8, int8_t)
PML_QMEAN(u8, uint8_t)
PML_QMEAN(s16, int16_t)
