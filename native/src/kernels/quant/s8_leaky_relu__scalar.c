/*
 * kernels/quant/s8_leaky_relu__scalar.c — TFLite's fixed-point LeakyRelu
 * (tflite::reference_ops::QuantizeLeakyRelu: one multiplier for x >= zp, a signed one for
 * the slope) and PRelu (reference_ops::Prelu / BroadcastPrelu4DSlow: the slope is a
 * quantized tensor, (x - zp) * (alpha - alpha_zp) scaled by in * alpha / out scales), on
 * int8, uint8 and int16 runs, with the parameters of activations.cc's Prepare functions.
 */
#include <math.h>

#include "kernels/quant/qactivation.h"

static int bad(float s) { return !(s > 0.0f) || !isfinite(s); }

int pml_qleaky_params_init(pml_qleaky_params *p, float alpha, float in_scale, int32_t in_zp, float out_scale,
                           int32_t out_zp, int32_t qmin, int32_t qmax) {
    memset(p, 0, sizeof *p);
    if (bad(in_scale) || bad(out_scale) || !isfinite(alpha)) return -1;
    p->in_zp = in_zp;
    p->out_zp = out_zp;
    p->qmin = qmin;
    p->qmax = qmax;
    /* LeakyReluPrepare: float expressions stored in doubles */
    pml_quantize_multiplier_signed((double)(in_scale * alpha / out_scale), &p->alpha_multiplier, &p->alpha_shift);
    pml_quantize_multiplier((double)(in_scale / out_scale), &p->identity_multiplier, &p->identity_shift);
    return 0;
}

int pml_qprelu_params_init(pml_qprelu_params *p, float in_scale, int32_t in_zp, float alpha_scale, int32_t alpha_zp,
                           float out_scale, int32_t out_zp, int32_t qmin, int32_t qmax) {
    memset(p, 0, sizeof *p);
    if (bad(in_scale) || bad(alpha_scale) || bad(out_scale)) return -1;
    p->in_zp = in_zp;
    p->alpha_zp = alpha_zp;
    p->out_zp = out_zp;
    p->qmin = qmin;
    p->qmax = qmax;
    pml_quantize_multiplier((double)(in_scale / out_scale), &p->pos_multiplier, &p->pos_shift);
    pml_quantize_multiplier((double)(in_scale * alpha_scale / out_scale), &p->neg_multiplier, &p->neg_shift);
    return 0;
}

PML_INLINE int32_t leaky_one(int32_t x, const pml_qleaky_params *p) {
    const int32_t v = x - p->in_zp;
    int32_t y = p->out_zp;
    if (v >= 0) {
        y += pml_multiply_by_quantized_multiplier(v, p->identity_multiplier, p->identity_shift);
    } else {
        /* TFLite scales by |multiplier| and negates after: not the same rounding as a
         * negative multiplier, so mirror it */
        const int32_t m = p->alpha_multiplier;
        const int32_t s = pml_multiply_by_quantized_multiplier(v, m < 0 ? -m : m, p->alpha_shift);
        y += m < 0 ? -s : s;
    }
    return pml_clamp_i32(y, p->qmin, p->qmax);
}

PML_INLINE int32_t prelu_one(int32_t x, int32_t a, const pml_qprelu_params *p) {
    const int32_t v = x - p->in_zp;
    int32_t y;
    if (v >= 0) {
        y = pml_multiply_by_quantized_multiplier(v, p->pos_multiplier, p->pos_shift);
    } else {
        const int32_t prod = (int32_t)((uint32_t)v * (uint32_t)(a - p->alpha_zp)); /* int32 product, wrapping */
        y = pml_multiply_by_quantized_multiplier(prod, p->neg_multiplier, p->neg_shift);
    }
    return pml_clamp_i32(y + p->out_zp, p->qmin, p->qmax);
}

#define PML_QLEAKY(Q, T)                                                                                   \
    void pml_##Q##_leaky_relu__scalar(size_t n, const void *xv, void *yv, const pml_qleaky_params *p) {                \
        const T *x = (const T *)xv;                                                                        \
        T *y = (T *)yv;                                                                                    \
        for (size_t i = 0; i < n; i++) y[i] = (T)leaky_one(x[i], p);                                       \
    }                                                                                                      \
    void pml_##Q##_prelu__scalar(size_t n, const void *xv, const void *av, size_t step, void *yv,                 \
                                 const pml_qprelu_params *p) {                                             \
        const T *x = (const T *)xv, *a = (const T *)av;                                                    \
        T *y = (T *)yv;                                                                                    \
        for (size_t i = 0; i < n; i++) y[i] = (T)prelu_one(x[i], a[i * step], p);                          \
    }
PML_QLEAKY(s8, int8_t)
PML_QLEAKY(u8, uint8_t)
PML_QLEAKY(s16, int16_t)
