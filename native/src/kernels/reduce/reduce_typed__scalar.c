/*
 * kernels/reduce/reduce_typed__scalar.c — the type-generic reductions and ArgMax/ArgMin
 * (contracts in kernels/reduce/reduce_typed.h). Each kernel is written once as a macro
 * template over (T, load, store) and instantiated per dtype class: floats (float32
 * accumulating in double, float16 in float32 with one rounding at the store), integers
 * (sums, products and squares wrap in uint64, i.e. like the output type), and bool
 * (Max = any, Min = all).
 */
#include <math.h>

#include "kernels/reduce/reduce_typed.h"

/* Calls BODY for every input element e with its output index o. */
#define PML_RED_WALK(p, BODY)                                                                                         \
    do {                                                                                                              \
        const int m_ = (p)->m;                                                                                        \
        const int64_t inner_ = (p)->dims[m_ - 1];                                                                     \
        const int last_ = (p)->reduced[m_ - 1];                                                                       \
        int64_t rows_ = 1;                                                                                            \
        for (int g_ = 0; g_ < m_ - 1; g_++) rows_ *= (p)->dims[g_];                                                   \
        for (int64_t row_ = 0; row_ < rows_ && inner_ > 0; row_++) {                                                  \
            int64_t t_ = row_, base_ = 0;                                                                             \
            for (int g_ = m_ - 2; g_ >= 0; g_--) {                                                                    \
                base_ += (t_ % (p)->dims[g_]) * (p)->ostride[g_];                                                     \
                t_ /= (p)->dims[g_];                                                                                  \
            }                                                                                                         \
            for (int64_t i_ = 0; i_ < inner_; i_++) {                                                                 \
                const int64_t o = base_ + (last_ ? 0 : i_), e = row_ * inner_ + i_;                                   \
                BODY;                                                                                                 \
            }                                                                                                         \
        }                                                                                                             \
    } while (0)

/* One reduction: accumulator type A, initial value, step on acc[o] with value v, final value of a. */
#define PML_RED_FN(NAME, KIND, T, A, INIT, LOAD, STEP, FINAL)                                                       \
    static void NAME##_reduce_##KIND(const pml_reduce_plan *p, const void *xv, void *yv, void *scratch) {           \
        const T *x = (const T *)xv;                                                                                   \
        T *y = (T *)yv;                                                                                               \
        A *acc = (A *)scratch;                                                                                        \
        for (int64_t o = 0; o < p->n_out; o++) acc[o] = (INIT);                                                      \
        PML_RED_WALK(p, {                                                                                             \
            A v = (A)LOAD(x[e]);                                                                                      \
            A *a = acc + o;                                                                                           \
            STEP;                                                                                                     \
        });                                                                                                           \
        for (int64_t o = 0; o < p->n_out; o++) {                                                                      \
            A a = acc[o];                                                                                             \
            (void)a;                                                                                                  \
            y[o] = FINAL;                                                                                             \
        }                                                                                                             \
    }

#define PML_ARG_FN(NAME, T, V, LOAD, ISNAN)                                                                            \
    static void NAME##_arg(const void *xv, int64_t outer, int64_t n, int64_t inner, int is_max, int last,           \
                           int64_t *y) {                                                                              \
        const T *x = (const T *)xv;                                                                                   \
        for (int64_t o = 0; o < outer; o++)                                                                           \
            for (int64_t i = 0; i < inner; i++) {                                                                     \
                const T *row = x + o * n * inner + i;                                                                 \
                int64_t best = 0;                                                                                     \
                V vb = LOAD(row[0]);                                                                                  \
                for (int64_t k = 1; k < n && !ISNAN(vb); k++) {                                                       \
                    V va = LOAD(row[k * inner]);                                                                      \
                    if (ISNAN(va) || (is_max ? va > vb : va < vb) || (last && va == vb)) best = k, vb = va;           \
                }                                                                                                     \
                y[o * inner + i] = best;                                                                              \
            }                                                                                                         \
    }

/* ---- floats: F is the compute type (double for float32, float for float16) -------------------------------- */

#define PML_NANMAX(a, v) (*(a) = (v) > *(a) || (v) != (v) ? (v) : *(a))
#define PML_NANMIN(a, v) (*(a) = (v) < *(a) || (v) != (v) ? (v) : *(a))

#define PML_REDUCE_FLOAT(NAME, T, F, LOAD, STORE)                                                                    \
    PML_RED_FN(NAME, sum, T, F, 0, LOAD, *a += v, STORE(a))                                                          \
    PML_RED_FN(NAME, mean, T, F, 0, LOAD, *a += v, STORE(a / (F)p->count))                                           \
    PML_RED_FN(NAME, max, T, F, -INFINITY, LOAD, PML_NANMAX(a, v), STORE(a))                                         \
    PML_RED_FN(NAME, min, T, F, INFINITY, LOAD, PML_NANMIN(a, v), STORE(a))                                          \
    PML_RED_FN(NAME, prod, T, F, 1, LOAD, *a *= v, STORE(a))                                                         \
    PML_RED_FN(NAME, l1, T, F, 0, LOAD, *a += (F)fabs((double)v), STORE(a))                                          \
    PML_RED_FN(NAME, l2, T, F, 0, LOAD, *a += v * v, STORE((F)sqrt((double)a)))                                      \
    PML_RED_FN(NAME, sumsquare, T, F, 0, LOAD, *a += v * v, STORE(a))                                                \
    /* max first (so exp never overflows), then the sum of exp(x - max) in the second half of scratch */            \
    static void NAME##_reduce_logsumexp(const pml_reduce_plan *p, const void *xv, void *yv, void *scratch) {        \
        const T *x = (const T *)xv;                                                                                   \
        T *y = (T *)yv;                                                                                               \
        if (p->n_out == 0) return; /* empty output: no scratch either (NULL, no arithmetic on it) */              \
        F *mx = (F *)scratch, *sum = mx + p->n_out;                                                                   \
        for (int64_t o = 0; o < p->n_out; o++) mx[o] = -INFINITY, sum[o] = 0;                                        \
        PML_RED_WALK(p, {                                                                                             \
            F v = LOAD(x[e]);                                                                                         \
            PML_NANMAX(mx + o, v);                                                                                    \
        });                                                                                                           \
        PML_RED_WALK(p, sum[o] += isfinite(mx[o]) ? (F)exp((double)(LOAD(x[e]) - mx[o])) : (F)0);                     \
        for (int64_t o = 0; o < p->n_out; o++) {                                                                      \
            F a = isfinite(mx[o]) ? mx[o] + (F)log((double)sum[o]) : mx[o]; /* all -inf or empty: -inf */             \
            y[o] = STORE(a);                                                                                          \
        }                                                                                                             \
    }                                                                                                                 \
    PML_ARG_FN(NAME, T, F, LOAD, PML_ISNAN_F)                                                                         \
    const pml_reduce_typed pml_##NAME##_reduce_typed__scalar = {                                                      \
        {NAME##_reduce_sum, NAME##_reduce_mean, NAME##_reduce_max, NAME##_reduce_min, NAME##_reduce_prod,            \
         NAME##_reduce_l1, NAME##_reduce_l2, NAME##_reduce_sumsquare, NAME##_reduce_logsumexp},                       \
        NAME##_arg};

#define PML_ISNAN_F(v) ((v) != (v))
#define PML_LOAD_F32(v) (v)
#define PML_STORE_F32(a) ((float)(a))
#define PML_LOAD_F16(v) pml_f16_to_f32_scalar(v)
#define PML_STORE_F16(a) pml_f32_to_f16_scalar((float)(a))

PML_REDUCE_FLOAT(f32, float, double, PML_LOAD_F32, PML_STORE_F32)
PML_REDUCE_FLOAT(f16, uint16_t, float, PML_LOAD_F16, PML_STORE_F16)

/* ---- integers: sums, products and squares in uint64 (wrapping like T); Max/Min in T -------------------------- */

#define PML_ISNAN_I(v) 0
#define PML_LOAD_I(v) (v)

/* ABS: |v| as uint64 (wraps for the most negative value, like T's own arithmetic) */
#define PML_REDUCE_INT(NAME, T, LOWEST, HIGHEST, ABS, MEAN)                                                          \
    PML_RED_FN(NAME, sum, T, uint64_t, 0, (uint64_t), *a += v, (T)a)                                                 \
    PML_RED_FN(NAME, mean, T, uint64_t, 0, (uint64_t), *a += v, MEAN)                                                \
    PML_RED_FN(NAME, max, T, T, LOWEST, PML_LOAD_I, *a = v > *a ? v : *a, a)                                         \
    PML_RED_FN(NAME, min, T, T, HIGHEST, PML_LOAD_I, *a = v < *a ? v : *a, a)                                        \
    PML_RED_FN(NAME, prod, T, uint64_t, 1, (uint64_t), *a *= v, (T)a)                                                \
    PML_RED_FN(NAME, l1, T, uint64_t, 0, ABS, *a += v, (T)a)                                                         \
    PML_RED_FN(NAME, l2, T, double, 0, (double), *a += v * v, (T)sqrt(a))                                            \
    PML_RED_FN(NAME, sumsquare, T, uint64_t, 0, (uint64_t), *a += v * v, (T)a)                                       \
    PML_ARG_FN(NAME, T, T, PML_LOAD_I, PML_ISNAN_I)                                                                   \
    const pml_reduce_typed pml_##NAME##_reduce_typed__scalar = {                                                      \
        {NAME##_reduce_sum, NAME##_reduce_mean, NAME##_reduce_max, NAME##_reduce_min, NAME##_reduce_prod,            \
         NAME##_reduce_l1, NAME##_reduce_l2, NAME##_reduce_sumsquare, NULL},                                          \
        NAME##_arg};

#define PML_ABS_S(v) ((v) < 0 ? (uint64_t)0 - (uint64_t)(v) : (uint64_t)(v))
#define PML_ABS_U(v) ((uint64_t)(v))
/* Mean truncates toward zero (the sum is exact in 64 bits for every count a tensor can have) */
#define PML_MEAN_S(T) (p->count ? (T)((int64_t)a / p->count) : (T)0)
#define PML_MEAN_U(T) (p->count ? (T)(a / (uint64_t)p->count) : (T)0)

PML_REDUCE_INT(s8, int8_t, INT8_MIN, INT8_MAX, PML_ABS_S, PML_MEAN_S(int8_t))
PML_REDUCE_INT(u8, uint8_t, 0, UINT8_MAX, PML_ABS_U, PML_MEAN_U(uint8_t))
PML_REDUCE_INT(s16, int16_t, INT16_MIN, INT16_MAX, PML_ABS_S, PML_MEAN_S(int16_t))
PML_REDUCE_INT(u16, uint16_t, 0, UINT16_MAX, PML_ABS_U, PML_MEAN_U(uint16_t))
PML_REDUCE_INT(s32, int32_t, INT32_MIN, INT32_MAX, PML_ABS_S, PML_MEAN_S(int32_t))
PML_REDUCE_INT(u32, uint32_t, 0, UINT32_MAX, PML_ABS_U, PML_MEAN_U(uint32_t))
PML_REDUCE_INT(s64, int64_t, INT64_MIN, INT64_MAX, PML_ABS_S, PML_MEAN_S(int64_t))
PML_REDUCE_INT(u64, uint64_t, 0, UINT64_MAX, PML_ABS_U, PML_MEAN_U(uint64_t))

/* ---- bool (0/1 bytes): Max is any, Min is all — the uint8 kernels on 0/1 values ------------------------------- */

const pml_reduce_typed pml_b8_reduce_typed__scalar = {
    {[PML_RED_MAX] = u8_reduce_max, [PML_RED_MIN] = u8_reduce_min}, NULL};
