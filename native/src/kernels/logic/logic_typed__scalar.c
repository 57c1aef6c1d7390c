/*
 * kernels/logic/logic_typed__scalar.c — the type-generic comparison
 * kernels (contract: logic_typed.h). One loop template, instantiated per
 * dtype and comparison; V maps an element to the value compared (float16 ->
 * float32, bool -> 0/1, others as they are).
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

#define PML_COMPARE_TYPED(P, T, V)                                                                       \
    PML_CMP_LOOP(P##_eq, T, V, ==)                                                                       \
    PML_CMP_LOOP(P##_lt, T, V, <)                                                                        \
    PML_CMP_LOOP(P##_le, T, V, <=)                                                                       \
    PML_CMP_LOOP(P##_gt, T, V, >)                                                                        \
    PML_CMP_LOOP(P##_ge, T, V, >=)                                                                       \
    const pml_logic_typed pml_##P##_logic__scalar = {                                                  \
        {[PML_CMP_EQ] = P##_eq, [PML_CMP_LT] = P##_lt, [PML_CMP_LE] = P##_le, [PML_CMP_GT] = P##_gt,      \
         [PML_CMP_GE] = P##_ge}};

PML_COMPARE_TYPED(f32, float, PML_V_AS_IS)
PML_COMPARE_TYPED(f16, uint16_t, PML_V_F16)
PML_COMPARE_TYPED(s8, int8_t, PML_V_AS_IS)
PML_COMPARE_TYPED(u8, uint8_t, PML_V_AS_IS)
PML_COMPARE_TYPED(s16, int16_t, PML_V_AS_IS)
PML_COMPARE_TYPED(u16, uint16_t, PML_V_AS_IS)
PML_COMPARE_TYPED(s32, int32_t, PML_V_AS_IS)
PML_COMPARE_TYPED(u32, uint32_t, PML_V_AS_IS)
PML_COMPARE_TYPED(s64, int64_t, PML_V_AS_IS)
PML_COMPARE_TYPED(u64, uint64_t, PML_V_AS_IS)
PML_COMPARE_TYPED(b8, uint8_t, PML_V_TRUTH)
