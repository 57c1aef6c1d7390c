/*
 * kernels/logic/logic_typed__scalar.c — the type-generic logic kernels
 * (contract: logic_typed.h). One two-input loop template (PML_PAIR_LOOP),
 * instantiated per dtype and comparison (V maps an element to the value compared: float16 ->
 * float32, bool -> 0/1, others as they are); one select loop, instantiated
 * per element size; the bool table adds And/Or/Xor/Not.
 */
#include "kernels/logic/logic_typed.h"

#define PML_V_AS_IS(x) (x)
#define PML_V_F16(x) pml_f16_to_f32_scalar(x)
#define PML_V_TRUTH(x) ((x) != 0)

/* the one loop of the two-input kernels: y[i] = EXPR over A = a[i*sa], B = b[i*sb] (both T),
 * stored as TY; YP is the type of the y parameter (uint8_t * for bool outputs, void * for T) */
#define PML_PAIR_LOOP(NAME, T, TY, YP, EXPR)                                                             \
    static void NAME(size_t n, const void *a_, size_t sa, const void *b_, size_t sb, YP y_) {            \
        const T *a = (const T *)a_, *b = (const T *)b_;                                                  \
        TY *y = (TY *)y_;                                                                                \
        for (size_t i = 0; i < n; i++) {                                                                 \
            const T A = a[i * sa], B = b[i * sb];                                                        \
            y[i] = (TY)(EXPR);                                                                           \
        }                                                                                                \
    }
#define PML_CMP_LOOP(NAME, T, V, OP) PML_PAIR_LOOP(NAME, T, uint8_t, uint8_t *, V(A) OP V(B))

#define PML_SELECT_LOOP(X, T)                                                                            \
    static void X##_select(size_t n, const uint8_t *c, size_t sc, const void *x_, size_t sx, const void *z_, \
                           size_t sz, void *y_) {                                                        \
        const T *x = (const T *)x_, *z = (const T *)z_;                                                  \
        T *y = (T *)y_;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = c[i * sc] ? x[i * sx] : z[i * sz];                         \
    }
PML_SELECT_LOOP(x8, uint8_t)
PML_SELECT_LOOP(x16, uint16_t)
PML_SELECT_LOOP(x32, uint32_t)
PML_SELECT_LOOP(x64, uint64_t)

/* bool: any nonzero byte is true */
PML_CMP_LOOP(b8_and, uint8_t, PML_V_TRUTH, &)
PML_CMP_LOOP(b8_or, uint8_t, PML_V_TRUTH, |)
PML_CMP_LOOP(b8_xor, uint8_t, PML_V_TRUTH, ^)
static void b8_not(size_t n, const uint8_t *x, uint8_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] == 0;
}

/* ---- bitwise ops on integers: T the dtype, U an unsigned type at least as wide (left shifts wrap
 * there, without undefined behaviour); a shift amount is in range when, as an unsigned 64-bit
 * value, it is below the width (a negative amount converts to a huge one) ---------------------- */
#define PML_BITS_W(T) (8u * sizeof(T))
#define PML_BIT_AND(T, U) (T)(A & B)
#define PML_BIT_OR(T, U) (T)(A | B)
#define PML_BIT_XOR(T, U) (T)(A ^ B)
#define PML_BIT_SHL(T, U) ((uint64_t)B < PML_BITS_W(T) ? (T)((U)A << B) : (T)0)
/* out of range: shifting by width-1 then 1 leaves the sign fill (-1 or 0; 0 for unsigned) */
#define PML_BIT_SHR(T, U) ((uint64_t)B < PML_BITS_W(T) ? (T)(A >> B) : (T)(A >> (PML_BITS_W(T) - 1u) >> 1))

#define PML_BITS_LOOP(NAME, T, EXPR) PML_PAIR_LOOP(NAME, T, T, void *, EXPR)
#define PML_BITWISE_OPS(P, T, U)                                                                        \
    PML_BITS_LOOP(P##_bitand, T, PML_BIT_AND(T, U))                                                      \
    PML_BITS_LOOP(P##_bitor, T, PML_BIT_OR(T, U))                                                        \
    PML_BITS_LOOP(P##_bitxor, T, PML_BIT_XOR(T, U))                                                      \
    PML_BITS_LOOP(P##_shl, T, PML_BIT_SHL(T, U))                                                         \
    PML_BITS_LOOP(P##_shr, T, PML_BIT_SHR(T, U))                                                         \
    static void P##_bitnot(size_t n, const void *x_, void *y_) {                                        \
        const T *x = (const T *)x_;                                                                      \
        T *y = (T *)y_;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = (T)~x[i];                                                  \
    }
/* the integer tables' members (designated initialisers) */
#define PML_BITWISE_ENTRIES(P)                                                                          \
    .bitwise = {[PML_BITWISE_AND] = P##_bitand, [PML_BITWISE_OR] = P##_bitor, [PML_BITWISE_XOR] = P##_bitxor, \
                [PML_BITWISE_SHL] = P##_shl, [PML_BITWISE_SHR] = P##_shr},                              \
    .bitwise_not = P##_bitnot

/* uint8/uint16 shift in uint32_t, where int promotion would otherwise make them signed */
PML_BITWISE_OPS(s8, int8_t, uint32_t)
PML_BITWISE_OPS(u8, uint8_t, uint32_t)
PML_BITWISE_OPS(s16, int16_t, uint32_t)
PML_BITWISE_OPS(u16, uint16_t, uint32_t)
PML_BITWISE_OPS(s32, int32_t, uint32_t)
PML_BITWISE_OPS(u32, uint32_t, uint32_t)
PML_BITWISE_OPS(s64, int64_t, uint64_t)
PML_BITWISE_OPS(u64, uint64_t, uint64_t)

#define PML_LOGIC_TYPED(P, T, V, X, ...)                                                               \
    PML_CMP_LOOP(P##_eq, T, V, ==)                                                                       \
    PML_CMP_LOOP(P##_lt, T, V, <)                                                                        \
    PML_CMP_LOOP(P##_le, T, V, <=)                                                                       \
    PML_CMP_LOOP(P##_gt, T, V, >)                                                                        \
    PML_CMP_LOOP(P##_ge, T, V, >=)                                                                       \
    const pml_logic_typed pml_##P##_logic__scalar = {                                                  \
        .cmp = {[PML_CMP_EQ] = P##_eq, [PML_CMP_LT] = P##_lt, [PML_CMP_LE] = P##_le, [PML_CMP_GT] = P##_gt, \
                [PML_CMP_GE] = P##_ge},                                                                  \
        .select = X##_select, __VA_ARGS__};

/* prefix, type, compared value, select by size, then the table's own members: the bool table's
 * And/Or/Xor/Not, the integer tables' bitwise ops (float tables: .logical left NULL, said once) */
PML_LOGIC_TYPED(f32, float, PML_V_AS_IS, x32, .logical = {NULL})
PML_LOGIC_TYPED(f16, uint16_t, PML_V_F16, x16, .logical = {NULL})
PML_LOGIC_TYPED(s8, int8_t, PML_V_AS_IS, x8, PML_BITWISE_ENTRIES(s8))
PML_LOGIC_TYPED(u8, uint8_t, PML_V_AS_IS, x8, PML_BITWISE_ENTRIES(u8))
PML_LOGIC_TYPED(s16, int16_t, PML_V_AS_IS, x16, PML_BITWISE_ENTRIES(s16))
PML_LOGIC_TYPED(u16, uint16_t, PML_V_AS_IS, x16, PML_BITWISE_ENTRIES(u16))
PML_LOGIC_TYPED(s32, int32_t, PML_V_AS_IS, x32, PML_BITWISE_ENTRIES(s32))
PML_LOGIC_TYPED(u32, uint32_t, PML_V_AS_IS, x32, PML_BITWISE_ENTRIES(u32))
PML_LOGIC_TYPED(s64, int64_t, PML_V_AS_IS, x64, PML_BITWISE_ENTRIES(s64))
PML_LOGIC_TYPED(u64, uint64_t, PML_V_AS_IS, x64, PML_BITWISE_ENTRIES(u64))
PML_LOGIC_TYPED(b8, uint8_t, PML_V_TRUTH, x8, .logical = {b8_and, b8_or, b8_xor}, .logical_not = b8_not)
