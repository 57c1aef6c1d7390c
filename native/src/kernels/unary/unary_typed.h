/*
 * kernels/unary/unary_typed.h — the unary family on every dtype other than
 * float32's fast path: one table per dtype, reached through
 * ctx->config->typed.unary[dtype] (see kernels/config.h).
 *
 * The tables are instantiated from macro templates in unary_typed__scalar.c,
 * never written per dtype by hand:
 *   float16   every float op of PML_UNARY_OPS: each block is widened to
 *             float32, computed by the float32 reference kernel and rounded
 *             to half once (as onnxruntime's CPU provider does); IsNaN/IsInf;
 *   integers  Abs, Sign, Clip, Shrink, and Neg/Relu on the signed ones
 *             (negation through the unsigned type: the minimum wraps);
 *   float32   IsNaN/IsInf (its arithmetic runs the float32 table);
 *   every dtype, bool included: Cast to every dtype.
 * An entry is NULL where ONNX does not define the op for the dtype; the op
 * schema (the registry's types=) rejects those before prepare.
 *
 * Cast semantics (x86 onnxruntime behaviour, made well-defined):
 *   float -> int8/uint8/int16/uint16/int32: truncate toward zero through
 *     int32 (NaN and out-of-range give INT32_MIN, as cvttss2si), keep the low
 *     bits; -> uint32 likewise through int64; -> int64: truncate, NaN and
 *     out-of-range give INT64_MIN; -> uint64: values in [2^63, 2^64) convert
 *     exactly, larger ones give 0, the rest go through int64 (x86-64's
 *     conversion sequence);
 *   int -> int: keep the low bits (two's complement wrap);
 *   anything -> bool: x != 0 (NaN -> true); bool -> anything: 0 or 1 (any
 *     nonzero byte is true);
 *   -> float16: through float32 (one more rounding for big integers), then
 *     round to nearest even, overflow to inf.
 */
#ifndef PML_KERNELS_UNARY_TYPED_H
#define PML_KERNELS_UNARY_TYPED_H

#include "kernels/common.h"
#include "kernels/unary/unary.h" /* PML_UN_*, pml_unary_params */

/* y = op(x) over n elements of the table's dtype; p as the float32 kernels
 * take it (Clip: alpha = min, beta = max, rounded into the dtype: ceil/floor,
 * saturating; Shrink: alpha = bias, beta = lambd, computed in float32 for the
 * integer types and converted back as Cast does). */
typedef void (*pml_typed_unary_fn)(size_t n, const void *x, void *y, const pml_unary_params *p);
/* y (dtype of the cast's index) = x (the table's dtype) */
typedef void (*pml_typed_cast_fn)(size_t n, const void *x, void *y);

typedef struct pml_unary_typed {
    pml_typed_unary_fn unary[PML_UN_COUNT];
    void (*is_nan)(size_t n, const void *x, uint8_t *y);
    void (*is_inf)(size_t n, const void *x, uint8_t *y, int detect_positive, int detect_negative);
    pml_typed_cast_fn cast[PML_DTYPE_COUNT]; /* indexed by the target dtype; [0] (undefined) NULL */
} pml_unary_typed;

extern const pml_unary_typed pml_f32_unary_typed__scalar, pml_f16_unary_typed__scalar,
    pml_s8_unary_typed__scalar, pml_u8_unary_typed__scalar, pml_s16_unary_typed__scalar,
    pml_u16_unary_typed__scalar, pml_s32_unary_typed__scalar, pml_u32_unary_typed__scalar,
    pml_s64_unary_typed__scalar, pml_u64_unary_typed__scalar, pml_b8_unary_typed__scalar;

/* The initialiser of pml_typed_config.unary (every configuration uses the scalar tables). */
#define PML_UNARY_TYPED__SCALAR                                                                                \
    {[PML_FLOAT32] = &pml_f32_unary_typed__scalar, [PML_FLOAT16] = &pml_f16_unary_typed__scalar,               \
     [PML_INT8] = &pml_s8_unary_typed__scalar,     [PML_UINT8] = &pml_u8_unary_typed__scalar,                  \
     [PML_INT16] = &pml_s16_unary_typed__scalar,   [PML_UINT16] = &pml_u16_unary_typed__scalar,                \
     [PML_INT32] = &pml_s32_unary_typed__scalar,   [PML_UINT32] = &pml_u32_unary_typed__scalar,                \
     [PML_INT64] = &pml_s64_unary_typed__scalar,   [PML_UINT64] = &pml_u64_unary_typed__scalar,                \
     [PML_BOOL] = &pml_b8_unary_typed__scalar}

#endif /* PML_KERNELS_UNARY_TYPED_H */
