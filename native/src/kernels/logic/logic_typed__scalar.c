/*
 * kernels/logic/logic_typed__scalar.c — the type-generic logic kernels
 * (contract: logic_typed.h). One comparison loop template, instantiated per
 * dtype and comparison (V maps an element to the value compared: float16 ->
 * float32, bool -> 0/1, others as they are); one select loop, instantiated
 * per element size; the bool table adds And/Or/Xor/Not.
 */
#include "kernels/logic/logic_typed.h"

#define PML_V_AS_IS(x) (x)
#define PML_V_F16(x) pml_f16_to_f32_scalar(x)
#define PML_V_TRUTH(x) ((x) != 0)

#define PML_CMP_LOOP(NAME, T, V, OP)                                                                     \
    static void NAME(size_t n, const void *a_, size_t sa, const void *b_, size_t sb, uint8_t *y) {       \
        const T *a = (const T *)a_, *b = (const T *)b_;                                                  \
        for (size_t i = 0; i < n; i++) y[i] = V(a[i * sa]) OP V(b[i * sb]);                              \
    }

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

#define PML_LOGIC_TYPED(P, T, V, X, ...)                                                               \
    PML_CMP_LOOP(P##_eq, T, V, ==)                                                                       \
    PML_CMP_LOOP(P##_lt, T, V, <)                                                                        \
    PML_CMP_LOOP(P##_le, T, V, <=)                                                                       \
    PML_CMP_LOOP(P##_gt, T, V, >)                                                                        \
    PML_CMP_LOOP(P##_ge, T, V, >=)                                                                       \
    const pml_logic_typed pml_##P##_logic__scalar = {                                                  \
        {[PML_CMP_EQ] = P##_eq, [PML_CMP_LT] = P##_lt, [PML_CMP_LE] = P##_le, [PML_CMP_GT] = P##_gt,      \
         [PML_CMP_GE] = P##_ge},                                                                         \
        X##_select, __VA_ARGS__};

/* prefix, type, compared value, select by size, [bool only: And/Or/Xor, Not] */
PML_LOGIC_TYPED(f32, float, PML_V_AS_IS, x32, {NULL}, NULL)
PML_LOGIC_TYPED(f16, uint16_t, PML_V_F16, x16, {NULL}, NULL)
PML_LOGIC_TYPED(s8, int8_t, PML_V_AS_IS, x8, {NULL}, NULL)
PML_LOGIC_TYPED(u8, uint8_t, PML_V_AS_IS, x8, {NULL}, NULL)
PML_LOGIC_TYPED(s16, int16_t, PML_V_AS_IS, x16, {NULL}, NULL)
PML_LOGIC_TYPED(u16, uint16_t, PML_V_AS_IS, x16, {NULL}, NULL)
PML_LOGIC_TYPED(s32, int32_t, PML_V_AS_IS, x32, {NULL}, NULL)
PML_LOGIC_TYPED(u32, uint32_t, PML_V_AS_IS, x32, {NULL}, NULL)
PML_LOGIC_TYPED(s64, int64_t, PML_V_AS_IS, x64, {NULL}, NULL)
PML_LOGIC_TYPED(u64, uint64_t, PML_V_AS_IS, x64, {NULL}, NULL)
PML_LOGIC_TYPED(b8, uint8_t, PML_V_TRUTH, x8, {b8_and, b8_or, b8_xor}, b8_not)
