/*
 * kernels/elementwise/binary_typed.h — the type-generic binary arithmetic
 * kernels: one table per dtype (pml_<dtype>_binary__scalar), every op's loop
 * written once as a macro template (binary_typed__scalar.c) and instantiated
 * for float32, float16, int8, uint8, int16, uint16, int32, uint32, int64 and
 * uint64. The session's configuration points at them by dtype code
 * (ctx->config->typed.binary[dtype], kernels/config.h).
 *
 * float32 keeps its fast (SIMD) table in ctx->config->f32.ew; its typed
 * table runs what that table lacks (Mod, Pow with a non-float32 exponent) and
 * is the oracle of the fast one in tests.
 *
 * Semantics: float16 loads to float32, computes there and rounds to nearest
 * even once per op. Integers wrap (computed in an unsigned type of at least
 * the same width); Div truncates toward zero and MIN / -1 wraps to MIN; Mod
 * (fmod=0) takes the divisor's sign, FMod (fmod=1) the dividend's; integer
 * Div/Mod by zero makes the kernel return 1 (the op fails the run). Max/Min
 * of floats propagate NaN (onnxruntime). PRelu of an unsigned x is x. Pow
 * computes in double (float16 base: float) like onnxruntime's std::pow; an
 * integer result converts with NaN and out-of-range values giving the
 * dtype's minimum (x86's conversion, what onnxruntime returns there).
 */
#ifndef PML_KERNELS_BINARY_TYPED_H
#define PML_KERNELS_BINARY_TYPED_H

#include <stddef.h>

#include "kernels/common.h"
#include "kernels/elementwise/elementwise.h" /* PML_BIN_* */

/* the typed table's ops: PML_BIN_ADD..PML_BIN_PRELU, then Mod's two modes */
#define PML_BIN_MOD PML_BIN_COUNT        /* Mod fmod=0: the divisor's sign */
#define PML_BIN_FMOD (PML_BIN_COUNT + 1) /* Mod fmod=1: the dividend's sign (C's %, fmod) */
#define PML_BIN_TYPED_COUNT (PML_BIN_COUNT + 2)

/* y[i] = a[i*sa] op b[i*sb] with sa, sb 0 (broadcast) or 1; y may equal a or
 * b exactly. Returns 1 when an integer Div/Mod met a zero divisor, else 0. */
typedef int (*pml_binary_typed_fn)(size_t n, const void *a, size_t sa, const void *b, size_t sb, void *y);

typedef struct pml_binary_typed {
    pml_binary_typed_fn op[PML_BIN_TYPED_COUNT]; /* op[PML_BIN_POW]: exponent of the same dtype */
    /* Pow by the exponent's dtype code (ONNX's T1: any numeric dtype); set in
     * the float32, float16, int32 and int64 tables (ONNX's T), NULL elsewhere */
    pml_binary_typed_fn pow[PML_DTYPE_COUNT];
} pml_binary_typed;

extern const pml_binary_typed pml_f32_binary__scalar, pml_f16_binary__scalar, pml_s8_binary__scalar,
    pml_u8_binary__scalar, pml_s16_binary__scalar, pml_u16_binary__scalar, pml_s32_binary__scalar,
    pml_u32_binary__scalar, pml_s64_binary__scalar, pml_u64_binary__scalar;

/* The kernel configurations' typed.binary member (every ISA uses the scalar tables today). */
#define PML_BINARY_TYPED__SCALAR                                                                              \
    {                                                                                                         \
        [PML_FLOAT32] = &pml_f32_binary__scalar, [PML_FLOAT16] = &pml_f16_binary__scalar,                     \
        [PML_INT8] = &pml_s8_binary__scalar, [PML_UINT8] = &pml_u8_binary__scalar,                            \
        [PML_INT16] = &pml_s16_binary__scalar, [PML_UINT16] = &pml_u16_binary__scalar,                        \
        [PML_INT32] = &pml_s32_binary__scalar, [PML_UINT32] = &pml_u32_binary__scalar,                        \
        [PML_INT64] = &pml_s64_binary__scalar, [PML_UINT64] = &pml_u64_binary__scalar,                        \
    }

#endif /* PML_KERNELS_BINARY_TYPED_H */
