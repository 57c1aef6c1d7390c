/*
 * kernels/quant/s8_softmax__scalar.c — quantized Softmax rows (qsoftmax.h): LiteRT's float
 * exp-table Softmax for int8/uint8 input and int8/uint8/int16 output, and onnxruntime's
 * QLinearSoftmax for int8 and uint8.
 */
#include <float.h>
#include <math.h>

#include "kernels/quant/qsoftmax.h"

int pml_qsoftmax_params_init(pml_qsoftmax_params *p, int mode, int in_signed, float in_scale, float beta,
                             size_t row_len, float out_scale, int32_t out_zp) {
    memset(p, 0, sizeof *p);
    if (!(in_scale > 0.0f) || !isfinite(in_scale) || !(out_scale > 0.0f) || !isfinite(out_scale) || !isfinite(beta))
        return -1;
    p->mode = mode;
    p->in_signed = in_signed;
    p->out_zp = out_zp;
    if (mode == PML_REQUANT_FIXED_POINT) {
        const float scale = -in_scale * beta;
        for (int32_t k = 0; k <= 255; k++) p->table[255 - k] = expf(scale * (float)k);
        p->out_scale = out_scale;
        return 0;
    }
    if (row_len == 0) return -1;
    double shift = log((double)(FLT_MAX / (float)row_len));
    shift = (shift - 5.0 > 0.0 ? shift - 5.0 : 0.0) / (double)in_scale;
    for (int32_t i = 0; i < 256; i++) {
        const uint8_t index = (uint8_t)(in_signed ? i - 128 : i);
        p->table[index] = (float)exp(((double)i - 255.0 + shift) * (double)in_scale);
    }
    p->out_scale = floorf(1.0f / out_scale);
    return 0;
}

/* ---- TFLite (optimized_ops::Softmax) ---------------------------------------------------- */

#define PML_QSOFTMAX_TFLITE(IN, IT, OUT, OT, LO, HI, ROUND)                                              \
    static void tflite_##IN##_##OUT(size_t n, const void *xv, void *yv, const pml_qsoftmax_params *p) { \
        const IT *x = (const IT *)xv;                                                                  \
        OT *y = (OT *)yv;                                                                              \
        int32_t max = x[0];                                                                            \
        for (size_t j = 1; j < n; j++) max = x[j] > max ? x[j] : max;                                  \
        const int32_t base = 255 - max; /* base + x for x <= max stays inside the table (the      \
                                           table pointer itself is never moved past its end) */  \
        float sum = 0.0f;                                                                              \
        for (size_t j = 0; j < n; j++) sum += p->table[base + x[j]];                                   \
        const float inv = 1.0f / (sum * p->out_scale);                                                 \
        for (size_t j = 0; j < n; j++) {                                                               \
            const float prob = p->table[base + x[j]] * inv;                                            \
            y[j] = (OT)pml_clamp_i32(ROUND(prob) + p->out_zp, LO, HI);                                 \
        }                                                                                              \
    }
/* prob >= 0; capped below 2^31 so that a tiny output scale cannot make the conversion undefined */
#define PML_PROB_CAP(v) ((v) < 2.0e9f ? (v) : 2.0e9f)
#define PML_ROUND_AWAY(v) ((int32_t)roundf(PML_PROB_CAP(v)))
#define PML_ROUND_UP_U8(v) ((int32_t)(PML_PROB_CAP(v) + 0.5f)) /* QuantizeSoftmaxOutput<uint8_t> off aarch64 */
#define PML_QSOFTMAX_TFLITE_IN(IN, IT)                                                  \
    PML_QSOFTMAX_TFLITE(IN, IT, s8, int8_t, INT8_MIN, INT8_MAX, PML_ROUND_AWAY)         \
    PML_QSOFTMAX_TFLITE(IN, IT, u8, uint8_t, 0, UINT8_MAX, PML_ROUND_UP_U8)             \
    PML_QSOFTMAX_TFLITE(IN, IT, s16, int16_t, INT16_MIN, INT16_MAX, PML_ROUND_AWAY)
PML_QSOFTMAX_TFLITE_IN(s8, int8_t)
PML_QSOFTMAX_TFLITE_IN(u8, uint8_t)

const pml_qsoftmax_fn pml_qsoftmax_tflite__scalar[2][3] = {
    {tflite_s8_s8, tflite_s8_u8, tflite_s8_s16},
    {tflite_u8_s8, tflite_u8_u8, tflite_u8_s16},
};

/* ---- onnxruntime (QlinearSoftmaxCPU) ----------------------------------------------------- */

/* uint8: entry of x is table[255 - max + x]; int8: table[(uint8_t)(127 - max + x)]. */
#define PML_QSOFTMAX_ONNX(IN, IT, LO, HI, INDEX)                                                      \
    void pml_##IN##_softmax_onnx__scalar(size_t n, const void *xv, void *yv, const pml_qsoftmax_params *p) { \
        const IT *x = (const IT *)xv;                                                               \
        IT *y = (IT *)yv;                                                                           \
        int32_t max = x[0];                                                                         \
        for (size_t j = 1; j < n; j++) max = x[j] > max ? x[j] : max;                               \
        float sum = 0.0f;                                                                           \
        for (size_t j = 0; j < n; j++) sum += p->table[INDEX(x[j], max)];                           \
        for (size_t j = 0; j < n; j++) {                                                            \
            const float v = nearbyintf(p->table[INDEX(x[j], max)] * p->out_scale / sum);            \
            const float lo = (float)(LO - p->out_zp), hi = (float)(HI - p->out_zp);                 \
            y[j] = (IT)((int32_t)(v < lo ? lo : (v > hi ? hi : v)) + p->out_zp);                    \
        }                                                                                           \
    }
#define PML_ONNX_INDEX_U8(v, max) (255 - (max) + (v))
#define PML_ONNX_INDEX_S8(v, max) ((uint8_t)(127 - (max) + (v)))
PML_QSOFTMAX_ONNX(s8, int8_t, INT8_MIN, INT8_MAX, PML_ONNX_INDEX_S8)
PML_QSOFTMAX_ONNX(u8, uint8_t, 0, UINT8_MAX, PML_ONNX_INDEX_U8)
