/*
 * kernels/quant/quant_typed.h — the quant family's type-generic scalar kernels, one table per
 * integer dtype, reached through ctx->config->typed.quant[dtype] (see kernels/config.h).
 *
 * A kernel converts a run of n elements against float32 scales (the op widens float16 scales
 * once per run) and zero points of the table's integer dtype. The scale and zero point of
 * element i are scale[i * step] and zp[i * step]: step 0 for a run that shares one (per
 * tensor, or a row of a per-axis channel), 1 for a run that walks them (the last axis, or a
 * row of blocked scales). zp NULL means 0. The float side is float32 (index 0) or float16
 * (index 1, converted to / from float32 exactly as onnxruntime: the arithmetic is float32);
 * QuantizeLinear also reads int32 x (index 2), divided in double as ONNX's reference does
 * (onnxruntime has no int32 QuantizeLinear).
 */
#ifndef PML_KERNELS_QUANT_TYPED_H
#define PML_KERNELS_QUANT_TYPED_H

#include "kernels/common.h"

/* DequantizeLinear: y[i] = (float)(x[i] - zp) * scale, the difference taken exactly. */
typedef void (*pml_dequantize_fn)(size_t n, const void *x, const float *scale, const void *zp, size_t step,
                                  void *y);
/* QuantizeLinear: y[i] = clamp(round_half_even(x[i] / scale) + zp) to the dtype's range, in
 * float32 (double for int32 x); a NaN gives the range's minimum, +-inf its ends
 * (onnxruntime's CPU kernels). */
typedef void (*pml_quantize_fn)(size_t n, const void *x, const float *scale, const void *zp, size_t step,
                                void *y);
/* DynamicQuantizeLinear's range: *lo = min(x), *hi = max(x) over n >= 1 float32 values
 * (a NaN is skipped unless every value is NaN). */
typedef void (*pml_minmax_fn)(size_t n, const float *x, float *lo, float *hi);

typedef struct pml_quant_typed {
    pml_dequantize_fn dequantize[2]; /* [0]: float32 y, [1]: float16 y */
    pml_quantize_fn quantize[3];     /* [0]: float32 x, [1]: float16 x, [2]: int32 x; NULL for int32 y */
    pml_minmax_fn minmax;            /* set in the float32 table only */
} pml_quant_typed;

extern const pml_quant_typed pml_f32_quant_typed__scalar, pml_s8_quant_typed__scalar, pml_u8_quant_typed__scalar,
    pml_s16_quant_typed__scalar, pml_u16_quant_typed__scalar, pml_s32_quant_typed__scalar;

/* The scalar int8/uint8 kernels the AVX2 tables reuse (quant_typed__scalar.c). */
#define PML_QUANT_SCALAR_DECL(Q)                                                                              \
    void pml_##Q##_dequantize_f32__scalar(size_t n, const void *x, const float *scale, const void *zp, size_t step, \
                                          void *y);                                                           \
    void pml_##Q##_dequantize_f16__scalar(size_t n, const void *x, const float *scale, const void *zp, size_t step, \
                                          void *y);                                                           \
    void pml_##Q##_quantize_f32__scalar(size_t n, const void *x, const float *scale, const void *zp, size_t step, \
                                        void *y);                                                             \
    void pml_##Q##_quantize_f16__scalar(size_t n, const void *x, const float *scale, const void *zp, size_t step, \
                                        void *y);                                                             \
    void pml_##Q##_quantize_s32__scalar(size_t n, const void *x, const float *scale, const void *zp, size_t step, \
                                        void *y);
PML_QUANT_SCALAR_DECL(s8)
PML_QUANT_SCALAR_DECL(u8)

/* AVX2 QuantizeLinear float32 -> int8 / uint8 and float32 min/max (quant_typed__avx2.c); the rest scalar. */
extern const pml_quant_typed pml_s8_quant_typed__avx2, pml_u8_quant_typed__avx2, pml_f32_quant_typed__avx2;

/* The initialisers of pml_typed_config.quant: the scalar tables, and the AVX2 configuration's. */
#define PML_QUANT_TYPED__SCALAR                                                                                \
    {[PML_FLOAT32] = &pml_f32_quant_typed__scalar, [PML_INT8] = &pml_s8_quant_typed__scalar,                  \
     [PML_UINT8] = &pml_u8_quant_typed__scalar,    [PML_INT16] = &pml_s16_quant_typed__scalar,                \
     [PML_UINT16] = &pml_u16_quant_typed__scalar,  [PML_INT32] = &pml_s32_quant_typed__scalar}
#define PML_QUANT_TYPED__AVX2                                                                                  \
    {[PML_FLOAT32] = &pml_f32_quant_typed__avx2,   [PML_INT8] = &pml_s8_quant_typed__avx2,                    \
     [PML_UINT8] = &pml_u8_quant_typed__avx2,      [PML_INT16] = &pml_s16_quant_typed__scalar,                \
     [PML_UINT16] = &pml_u16_quant_typed__scalar,  [PML_INT32] = &pml_s32_quant_typed__scalar}

#endif /* PML_KERNELS_QUANT_TYPED_H */
