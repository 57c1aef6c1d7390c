/*
 * kernels/elementwise/binary_typed__scalar.c — the type-generic binary
 * arithmetic kernels (contract and semantics: binary_typed.h).
 *
 * Each op's loop is written once (PML_BIN_LOOP) with its per-kind formula:
 * F (float: load to float32 with L, compute, round once with S), I (signed
 * integer) or U (unsigned integer), integers computed in the unsigned type W
 * so overflow wraps without undefined behaviour. PML_BINARY_TYPED
 * instantiates every op for one dtype; Pow instantiates one loop per
 * (base, exponent) pair from the numeric dtype list.
 */
#include <math.h>
#include <stdint.h>

#include "kernels/elementwise/binary_typed.h"

/* ---- per dtype: storage T, kind, load/store (floats), wide unsigned W (integers) -------------- */

#define PML_L_f32(x) (x)
#define PML_S_f32(x) (x)
#define PML_L_f16(x) pml_f16_to_f32_scalar(x)
#define PML_S_f16(x) pml_f32_to_f16_scalar(x)

/* numpy's float remainder: the divisor's sign, a zero result signed like the divisor */
static inline float mod_floor(float a, float b) {
    float r = fmodf(a, b);
    if (r != 0.0f) { /* also NaN */
        if ((r < 0.0f) != (b < 0.0f)) r += b;
    } else {
        r = copysignf(0.0f, b);
    }
    return r;
}

/* ---- formulas by kind; A and B are the loop's elements, P the dtype prefix ---------------------- */

#define PML_ADD_F(P, T, W) PML_S_##P(PML_L_##P(A) + PML_L_##P(B))
#define PML_SUB_F(P, T, W) PML_S_##P(PML_L_##P(A) - PML_L_##P(B))
#define PML_MUL_F(P, T, W) PML_S_##P(PML_L_##P(A) * PML_L_##P(B))
#define PML_DIV_F(P, T, W) PML_S_##P(PML_L_##P(A) / PML_L_##P(B))
#define PML_MAX_F(P, T, W) PML_S_##P(pml_max_nanf(PML_L_##P(A), PML_L_##P(B)))
#define PML_MIN_F(P, T, W) PML_S_##P(pml_min_nanf(PML_L_##P(A), PML_L_##P(B)))
#define PML_MOD_F(P, T, W) PML_S_##P(mod_floor(PML_L_##P(A), PML_L_##P(B)))
#define PML_FMOD_F(P, T, W) PML_S_##P(fmodf(PML_L_##P(A), PML_L_##P(B)))
#define PML_PRELU_F(P, T, W) (PML_L_##P(A) < 0.0f ? PML_S_##P(PML_L_##P(A) * PML_L_##P(B)) : A)

#define PML_ADD_I(P, T, W) (T)((W)A + (W)B)
#define PML_SUB_I(P, T, W) (T)((W)A - (W)B)
#define PML_MUL_I(P, T, W) (T)((W)A * (W)B)
#define PML_DIV_I(P, T, W) (B == -1 ? (T)(0u - (W)A) : (T)(A / B)) /* MIN / -1 wraps instead of trapping */
#define PML_MAX_I(P, T, W) (A > B ? A : B)
#define PML_MIN_I(P, T, W) (A < B ? A : B)
/* MIN % -1 traps on x86; fmod=0 moves a nonzero remainder to the divisor's sign (r + B cannot overflow) */
#define PML_FMOD_I(P, T, W) (B == -1 ? (T)0 : (T)(A % B))
#define PML_MOD_I(P, T, W) \
    (B == -1 ? (T)0 : (A % B != 0 && ((A % B < 0) != (B < 0))) ? (T)(A % B + B) : (T)(A % B))
#define PML_PRELU_I(P, T, W) (A < 0 ? (T)((W)A * (W)B) : A)

#define PML_ADD_U PML_ADD_I
#define PML_SUB_U PML_SUB_I
#define PML_MUL_U PML_MUL_I
#define PML_DIV_U(P, T, W) (T)(A / B)
#define PML_MAX_U PML_MAX_I
#define PML_MIN_U PML_MIN_I
#define PML_MOD_U(P, T, W) (T)(A % B) /* no sign: both modes agree */
#define PML_FMOD_U PML_MOD_U
#define PML_PRELU_U(P, T, W) ((void)B, A) /* never negative */

/* ---- the loops ------------------------------------------------------------------------------------ */

#define PML_BIN_LOOP(NAME, T, EXPR)                                                               \
    static int NAME(size_t n, const void *a_, size_t sa, const void *b_, size_t sb, void *y_) {    \
        const T *a = (const T *)a_, *b = (const T *)b_;                                           \
        T *y = (T *)y_;                                                                           \
        for (size_t i = 0; i < n; i++) {                                                          \
            const T A = a[i * sa], B = b[i * sb];                                                 \
            y[i] = EXPR;                                                                          \
        }                                                                                         \
        return 0;                                                                                 \
    }

/* integer Div/Mod: a zero divisor stops the loop and reports */
#define PML_BIN_LOOP_NZ(NAME, T, EXPR)                                                            \
    static int NAME(size_t n, const void *a_, size_t sa, const void *b_, size_t sb, void *y_) {    \
        const T *a = (const T *)a_, *b = (const T *)b_;                                           \
        T *y = (T *)y_;                                                                           \
        for (size_t i = 0; i < n; i++) {                                                          \
            const T A = a[i * sa], B = b[i * sb];                                                 \
            if (B == 0) return 1;                                                                 \
            y[i] = EXPR;                                                                          \
        }                                                                                         \
        return 0;                                                                                 \
    }
#define PML_DIVLOOP_F PML_BIN_LOOP
#define PML_DIVLOOP_I PML_BIN_LOOP_NZ
#define PML_DIVLOOP_U PML_BIN_LOOP_NZ

/* every op of the typed table for one dtype (Pow: below) */
#define PML_BINARY_OPS(P, T, K, W)                                      \
    PML_BIN_LOOP(P##_add, T, PML_ADD_##K(P, T, W))                     \
    PML_BIN_LOOP(P##_sub, T, PML_SUB_##K(P, T, W))                     \
    PML_BIN_LOOP(P##_mul, T, PML_MUL_##K(P, T, W))                     \
    PML_DIVLOOP_##K(P##_div, T, PML_DIV_##K(P, T, W))                  \
    PML_BIN_LOOP(P##_max, T, PML_MAX_##K(P, T, W))                     \
    PML_BIN_LOOP(P##_min, T, PML_MIN_##K(P, T, W))                     \
    PML_DIVLOOP_##K(P##_mod, T, PML_MOD_##K(P, T, W))                  \
    PML_DIVLOOP_##K(P##_fmod, T, PML_FMOD_##K(P, T, W))                \
    PML_BIN_LOOP(P##_prelu, T, PML_PRELU_##K(P, T, W))

PML_BINARY_OPS(f32, float, F, float)
PML_BINARY_OPS(f16, uint16_t, F, float)
PML_BINARY_OPS(s8, int8_t, I, uint32_t)
PML_BINARY_OPS(u8, uint8_t, U, uint32_t)
PML_BINARY_OPS(s16, int16_t, I, uint32_t)
PML_BINARY_OPS(u16, uint16_t, U, uint32_t)
PML_BINARY_OPS(s32, int32_t, I, uint32_t)
PML_BINARY_OPS(u32, uint32_t, U, uint32_t)
PML_BINARY_OPS(s64, int64_t, I, uint64_t)
PML_BINARY_OPS(u64, uint64_t, U, uint64_t)

/* ---- Pow: base T (float32, float16, int32, int64) x exponent of any numeric dtype ---------------- */

/* the numeric dtypes as exponents: X(base prefix, code, prefix, type, load as double) */
#define PML_LD_NUM(x) ((double)(x))
#define PML_LD_F16(x) ((double)pml_f16_to_f32_scalar(x))
#define PML_EXPONENTS(X, B)                        \
    X(B, PML_FLOAT32, f32, float, PML_LD_NUM)      \
    X(B, PML_FLOAT16, f16, uint16_t, PML_LD_F16)   \
    X(B, PML_INT8, s8, int8_t, PML_LD_NUM)         \
    X(B, PML_UINT8, u8, uint8_t, PML_LD_NUM)       \
    X(B, PML_INT16, s16, int16_t, PML_LD_NUM)      \
    X(B, PML_UINT16, u16, uint16_t, PML_LD_NUM)    \
    X(B, PML_INT32, s32, int32_t, PML_LD_NUM)      \
    X(B, PML_UINT32, u32, uint32_t, PML_LD_NUM)    \
    X(B, PML_INT64, s64, int64_t, PML_LD_NUM)      \
    X(B, PML_UINT64, u64, uint64_t, PML_LD_NUM)

/* double -> integer as x86's truncating conversion: NaN and out of range give MIN */
static inline int32_t s32_from_f64(double d) {
    return d >= -2147483648.0 && d < 2147483648.0 ? (int32_t)d : INT32_MIN;
}
static inline int64_t s64_from_f64(double d) {
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (int64_t)d : INT64_MIN;
}

/* y = base ^ e, e already a double */
#define PML_POW_f32(A, E) ((float)pow((double)(A), E))
#define PML_POW_f16(A, E) pml_f32_to_f16_scalar(powf(pml_f16_to_f32_scalar(A), (float)(E))) /* float16 in float */
#define PML_POW_s32(A, E) s32_from_f64(pow((double)(A), E))
#define PML_POW_s64(A, E) s64_from_f64(pow((double)(A), E))
#define PML_T_f32 float
#define PML_T_f16 uint16_t
#define PML_T_s32 int32_t
#define PML_T_s64 int64_t

#define PML_POW_LOOP(B, CODE, E, TE, LD)                                                                 \
    static int B##_pow_##E(size_t n, const void *a_, size_t sa, const void *b_, size_t sb, void *y_) {    \
        const PML_T_##B *a = (const PML_T_##B *)a_;                                                      \
        const TE *b = (const TE *)b_;                                                                    \
        PML_T_##B *y = (PML_T_##B *)y_;                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = PML_POW_##B(a[i * sa], LD(b[i * sb]));                     \
        return 0;                                                                                        \
    }
#define PML_POW_ENTRY(B, CODE, E, TE, LD) [CODE] = B##_pow_##E,

PML_EXPONENTS(PML_POW_LOOP, f32)
PML_EXPONENTS(PML_POW_LOOP, f16)
PML_EXPONENTS(PML_POW_LOOP, s32)
PML_EXPONENTS(PML_POW_LOOP, s64)

/* ---- the tables ------------------------------------------------------------------------------------ */

#define PML_OPS_TABLE(P, POW_SAME)                                                                        \
    .op = {[PML_BIN_ADD] = P##_add, [PML_BIN_SUB] = P##_sub, [PML_BIN_MUL] = P##_mul, [PML_BIN_DIV] = P##_div, \
           [PML_BIN_POW] = POW_SAME, [PML_BIN_MAX] = P##_max, [PML_BIN_MIN] = P##_min,                     \
           [PML_BIN_PRELU] = P##_prelu, [PML_BIN_MOD] = P##_mod, [PML_BIN_FMOD] = P##_fmod}

const pml_binary_typed pml_f32_binary__scalar = {PML_OPS_TABLE(f32, f32_pow_f32),
                                                  .pow = {PML_EXPONENTS(PML_POW_ENTRY, f32)}};
const pml_binary_typed pml_f16_binary__scalar = {PML_OPS_TABLE(f16, f16_pow_f16),
                                                  .pow = {PML_EXPONENTS(PML_POW_ENTRY, f16)}};
const pml_binary_typed pml_s32_binary__scalar = {PML_OPS_TABLE(s32, s32_pow_s32),
                                                  .pow = {PML_EXPONENTS(PML_POW_ENTRY, s32)}};
const pml_binary_typed pml_s64_binary__scalar = {PML_OPS_TABLE(s64, s64_pow_s64),
                                                  .pow = {PML_EXPONENTS(PML_POW_ENTRY, s64)}};
/* no Pow with these bases (not in ONNX's T) */
const pml_binary_typed pml_s8_binary__scalar = {PML_OPS_TABLE(s8, NULL)};
const pml_binary_typed pml_u8_binary__scalar = {PML_OPS_TABLE(u8, NULL)};
const pml_binary_typed pml_s16_binary__scalar = {PML_OPS_TABLE(s16, NULL)};
const pml_binary_typed pml_u16_binary__scalar = {PML_OPS_TABLE(u16, NULL)};
const pml_binary_typed pml_u32_binary__scalar = {PML_OPS_TABLE(u32, NULL)};
const pml_binary_typed pml_u64_binary__scalar = {PML_OPS_TABLE(u64, NULL)};
