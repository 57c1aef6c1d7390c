/*
 * kernels/logic/logic_typed.h — the type-generic kernels of the logic
 * family: comparisons (Equal, Less, LessOrEqual, Greater, GreaterOrEqual)
 * and Where's select for every dtype, And/Or/Xor/Not in the bool table, the
 * bitwise ops (BitwiseAnd/Or/Xor/Not, BitShift) in the integer tables. One
 * table per dtype (pml_<dtype>_logic__scalar), each loop written once as a
 * macro template (logic_typed__scalar.c) and instantiated per dtype (select:
 * per element size); the session's configuration points at them by dtype
 * code (ctx->config->typed.logic).
 *
 * Comparisons write bytes 0/1. float16 compares exactly in float32; anything
 * against NaN is false (C, numpy, onnxruntime). bool counts any nonzero byte
 * as true. float32 keeps its fast table (ctx->config->f32.ew->compare, and
 * select32 for 4-byte Where); its typed table is that one's oracle in tests.
 *
 * BitShift (ONNX opset 28 on every integer dtype): a signed right shift is
 * arithmetic, a left shift computes in the unsigned type (bits past the sign
 * bit are dropped); a shift amount that is negative or at least the bit width
 * leaves the sign extension alone: -1 right-shifting a negative value, else 0.
 */
#ifndef PML_KERNELS_LOGIC_TYPED_H
#define PML_KERNELS_LOGIC_TYPED_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/common.h"
#include "kernels/logic/logic.h" /* PML_CMP_* */

/* y[i] = a[i*sa] cmp b[i*sb] as 0/1 bytes; sa, sb are 0 (broadcast) or 1; y must not alias a or b */
typedef void (*pml_compare_typed_fn)(size_t n, const void *a, size_t sa, const void *b, size_t sb, uint8_t *y);

/* Where: y[i] = c[i*sc] ? x[i*sx] : z[i*sz] (c: bool bytes); strides 0 or 1; y must not alias c */
typedef void (*pml_select_typed_fn)(size_t n, const uint8_t *c, size_t sc, const void *x, size_t sx, const void *z,
                                    size_t sz, void *y);

enum { PML_LOGICAL_AND, PML_LOGICAL_OR, PML_LOGICAL_XOR, PML_LOGICAL_COUNT };

/* y[i] = a[i*sa] op b[i*sb], all of the table's dtype; sa, sb 0 (broadcast) or 1; y may equal a or b exactly */
typedef void (*pml_bitwise_typed_fn)(size_t n, const void *a, size_t sa, const void *b, size_t sb, void *y);
enum { PML_BITWISE_AND, PML_BITWISE_OR, PML_BITWISE_XOR, PML_BITWISE_SHL, PML_BITWISE_SHR, PML_BITWISE_COUNT };

typedef struct pml_logic_typed {
    pml_compare_typed_fn cmp[PML_CMP_COUNT];         /* by PML_CMP_* */
    pml_select_typed_fn select;                      /* Where with x and y of this dtype */
    pml_compare_typed_fn logical[PML_LOGICAL_COUNT]; /* bool table only (NULL elsewhere): And, Or, Xor */
    void (*logical_not)(size_t n, const uint8_t *x, uint8_t *y); /* bool table only: Not */
    pml_bitwise_typed_fn bitwise[PML_BITWISE_COUNT]; /* integer tables only (NULL elsewhere): by PML_BITWISE_* */
    void (*bitwise_not)(size_t n, const void *x, void *y); /* integer tables only: BitwiseNot */
} pml_logic_typed;

extern const pml_logic_typed pml_f32_logic__scalar, pml_f16_logic__scalar, pml_s8_logic__scalar,
    pml_u8_logic__scalar, pml_s16_logic__scalar, pml_u16_logic__scalar, pml_s32_logic__scalar,
    pml_u32_logic__scalar, pml_s64_logic__scalar, pml_u64_logic__scalar, pml_b8_logic__scalar;

/* The kernel configurations' typed.logic member (every ISA uses the scalar tables today). */
#define PML_LOGIC_TYPED__SCALAR                                                                               \
    {                                                                                                         \
        [PML_FLOAT32] = &pml_f32_logic__scalar, [PML_FLOAT16] = &pml_f16_logic__scalar,                   \
        [PML_INT8] = &pml_s8_logic__scalar, [PML_UINT8] = &pml_u8_logic__scalar,                          \
        [PML_INT16] = &pml_s16_logic__scalar, [PML_UINT16] = &pml_u16_logic__scalar,                      \
        [PML_INT32] = &pml_s32_logic__scalar, [PML_UINT32] = &pml_u32_logic__scalar,                      \
        [PML_INT64] = &pml_s64_logic__scalar, [PML_UINT64] = &pml_u64_logic__scalar,                      \
        [PML_BOOL] = &pml_b8_logic__scalar,                                                                 \
    }

#endif /* PML_KERNELS_LOGIC_TYPED_H */
