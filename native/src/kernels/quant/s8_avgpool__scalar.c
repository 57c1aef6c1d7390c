/*
 * kernels/quant/s8_avgpool__scalar.c — quantized AveragePool on NHWC windows (qpool.h):
 * TFLite's integer average with its rounded division, and onnxruntime's QLinearAveragePool
 * (float average of dequantized taps, requantized half to even), for int8 and uint8.
 */
#include <math.h>

#include "kernels/quant/qpool.h"

/* TFLite's rounded division of a window sum (integer_ops/pooling.h; uint8: pooling.h). */
PML_INLINE int32_t tflite_avg(int32_t acc, int32_t count, int is_unsigned) {
    if (is_unsigned) return (acc + count / 2) / count;
    return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

#define PML_QAVGPOOL(Q, T, LO, HI, UNSIGNED)                                                                   \
    void pml_##Q##_avgpool__scalar(const pml_pool_geom *g, const void *xv, void *yv, int64_t row0, int64_t row1, \
                                   const pml_qavgpool_params *p) {                                                    \
        const T *x = (const T *)xv;                                                                            \
        T *y = (T *)yv;                                                                                        \
        for (int64_t row = row0; row < row1; row++) {                                                          \
            const int64_t n = row / g->oh, oh = row % g->oh;                                                   \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                                           \
                int64_t kh0, kh1, kw0, kw1;                                                                    \
                pml_window_taps(oh * g->sh - g->pt, g->dh, g->kh, g->h, &kh0, &kh1);                           \
                pml_window_taps(ow * g->sw - g->pl, g->dw, g->kw, g->w, &kw0, &kw1);                           \
                const int64_t taps = (kh1 - kh0) * (kw1 - kw0);                                                \
                T *out = y + (row * g->ow + ow) * g->c;                                                        \
                for (int64_t c = 0; c < g->c; c++) {                                                           \
                    int32_t acc = 0;                                                                           \
                    float facc = 0.0f;                                                                         \
                    for (int64_t kh = kh0; kh < kh1; kh++) {                                                   \
                        const int64_t ih = oh * g->sh - g->pt + kh * g->dh;                                    \
                        for (int64_t kw = kw0; kw < kw1; kw++) {                                               \
                            const int64_t iw = ow * g->sw - g->pl + kw * g->dw;                                \
                            const int32_t v = x[((n * g->h + ih) * g->w + iw) * g->c + c];                     \
                            acc += v;                                                                          \
                            facc += p->x_scale * (float)(v - p->x_zp);                                         \
                        }                                                                                      \
                    }                                                                                          \
                    int32_t q;                                                                                 \
                    if (p->mode == PML_REQUANT_FIXED_POINT) {                                                  \
                        /* TFLite fails a window without taps; here it averages to 0 */                        \
                        q = taps ? tflite_avg(acc, (int32_t)taps, UNSIGNED) : 0;                               \
                    } else {                                                                                   \
                        const int64_t count = pml_pool_avg_count(g, oh, ow, kh0, kh1, kw0, kw1);               \
                        float v = count ? facc / (float)count / p->y_scale + (float)p->y_zp : (float)p->y_zp;  \
                        v = v > (float)(LO) ? v : (float)(LO);                                                 \
                        v = v < (float)(HI) ? v : (float)(HI);                                                 \
                        q = (int32_t)nearbyintf(v);                                                            \
                    }                                                                                          \
                    out[c] = (T)pml_clamp_i32(q, p->qmin, p->qmax);                                            \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
    }
PML_QAVGPOOL(s8, int8_t, INT8_MIN, INT8_MAX, 0)
PML_QAVGPOOL(u8, uint8_t, 0, UINT8_MAX, 1)
