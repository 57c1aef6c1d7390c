/*
 * kernels/quant/quant_typed__scalar.c — DequantizeLinear and QuantizeLinear on runs of
 * elements (see quant_typed.h), one macro template per direction instantiated for every
 * integer dtype and both float sides (QuantizeLinear also from int32), and the float32
 * min/max of DynamicQuantizeLinear.
 */
#include <math.h>

#include "kernels/quant/quant_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

/* Q: integer storage, F: float side (f32 float, f16 uint16_t). The difference is taken in
 * int64 so that int32 data minus an int32 zero point cannot overflow. */
#define PML_DEQUANTIZE(Q, QT, F, FT)                                                                         \
    void pml_##Q##_dequantize_##F##__scalar(size_t n, const void *xv, const float *scale, const void *zv,     \
                                            size_t step, void *yv) {                                          \
        const QT *x = (const QT *)xv, *zp = (const QT *)zv;                                                   \
        FT *y = (FT *)yv;                                                                                     \
        for (size_t i = 0; i < n; i++) {                                                                      \
            const int64_t z = zp ? (int64_t)zp[i * step] : 0;                                                 \
            y[i] = PML_ST_##F((float)((int64_t)x[i] - z) * scale[i * step]);                                  \
        }                                                                                                     \
    }

/* The clamp is written so that a NaN fails both comparisons' "keep" branch: NaN -> lo.
 * rintf rounds half to even in the default rounding mode like nearbyintf, without saving and
 * restoring the floating-point environment per element (nearbyintf's cost: ~7x slower). */
#define PML_QUANTIZE(Q, QT, LO, HI, F, FT)                                                                   \
    void pml_##Q##_quantize_##F##__scalar(size_t n, const void *xv, const float *scale, const void *zv,       \
                                          size_t step, void *yv) {                                            \
        const FT *x = (const FT *)xv;                                                                         \
        const QT *zp = (const QT *)zv;                                                                        \
        QT *y = (QT *)yv;                                                                                     \
        for (size_t i = 0; i < n; i++) {                                                                      \
            float v = rintf(PML_LD_##F(x[i]) / scale[i * step]) + (zp ? (float)zp[i * step] : 0.0f);     \
            v = v > (float)(LO) ? v : (float)(LO);                                                            \
            v = v < (float)(HI) ? v : (float)(HI);                                                            \
            y[i] = (QT)v;                                                                                     \
        }                                                                                                     \
    }

/* int32 x: the quotient in double (exact for every int32 and float32 scale before the one
 * rounding), as ONNX's reference computes it. */
#define PML_QUANTIZE_S32(Q, QT, LO, HI)                                                                      \
    void pml_##Q##_quantize_s32__scalar(size_t n, const void *xv, const float *scale, const void *zv,         \
                                        size_t step, void *yv) {                                              \
        const int32_t *x = (const int32_t *)xv;                                                               \
        const QT *zp = (const QT *)zv;                                                                        \
        QT *y = (QT *)yv;                                                                                     \
        for (size_t i = 0; i < n; i++) {                                                                      \
            double v = nearbyint((double)x[i] / (double)scale[i * step]) + (zp ? (double)zp[i * step] : 0.0);  \
            v = v > (double)(LO) ? v : (double)(LO);                                                          \
            v = v < (double)(HI) ? v : (double)(HI);                                                          \
            y[i] = (QT)v;                                                                                     \
        }                                                                                                     \
    }

#define PML_QUANT_BOTH(Q, QT, LO, HI)                                                                        \
    PML_DEQUANTIZE(Q, QT, f32, float)                                                                         \
    PML_DEQUANTIZE(Q, QT, f16, uint16_t)                                                                      \
    PML_QUANTIZE(Q, QT, LO, HI, f32, float)                                                                   \
    PML_QUANTIZE(Q, QT, LO, HI, f16, uint16_t)                                                                \
    PML_QUANTIZE_S32(Q, QT, LO, HI)                                                                           \
    const pml_quant_typed pml_##Q##_quant_typed__scalar = {                                                   \
        {pml_##Q##_dequantize_f32__scalar, pml_##Q##_dequantize_f16__scalar},                                 \
        {pml_##Q##_quantize_f32__scalar, pml_##Q##_quantize_f16__scalar, pml_##Q##_quantize_s32__scalar}, NULL};

PML_QUANT_BOTH(s8, int8_t, INT8_MIN, INT8_MAX)
PML_QUANT_BOTH(u8, uint8_t, 0, UINT8_MAX)
PML_QUANT_BOTH(s16, int16_t, INT16_MIN, INT16_MAX)
PML_QUANT_BOTH(u16, uint16_t, 0, UINT16_MAX)

/* int32 is only ever dequantized (QuantizeLinear has no int32 output). */
PML_DEQUANTIZE(s32, int32_t, f32, float)
PML_DEQUANTIZE(s32, int32_t, f16, uint16_t)
const pml_quant_typed pml_s32_quant_typed__scalar = {{pml_s32_dequantize_f32__scalar, pml_s32_dequantize_f16__scalar},
                                                     {NULL, NULL, NULL},
                                                     NULL};

static void f32_minmax(size_t n, const float *x, float *lo, float *hi) {
    float a = x[0], b = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < a || a != a) a = x[i];
        if (x[i] > b || b != b) b = x[i];
    }
    *lo = a;
    *hi = b;
}

const pml_quant_typed pml_f32_quant_typed__scalar = {{NULL, NULL}, {NULL, NULL, NULL}, f32_minmax};
