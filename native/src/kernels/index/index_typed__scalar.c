/*
 * kernels/index/index_typed__scalar.c — the type-generic kernels of the index family
 * (contracts in kernels/index/index_typed.h): TopK's stable merge sort, CumSum/CumProd, the
 * scatter reductions and Range, each written once as a macro template over
 * (T, compute type V, load, store) and instantiated per dtype. Floats compute in float32
 * (Range in double) and round once per stored element; integers compute in uint64 and
 * keep the low bits (wrapping like T, never signed overflow); comparisons use T's own order.
 */
#include <math.h>
#include <string.h>

#include "kernels/index/index_typed.h"

#define PML_ISNAN_F(v) ((v) != (v))
#define PML_ISNAN_I(v) 0

/* a goes before b: larger (or smaller) value first, the lower index on ties; NaN counts as the largest. */
#define PML_TOPK_SORT(NAME, T, V, LOAD, ISNAN)                                                                       \
    static int NAME##_before(const T *x, int64_t stride, int largest, int64_t a, int64_t b) {                        \
        V va = LOAD(x[a * stride]), vb = LOAD(x[b * stride]);                                                         \
        int na = ISNAN(va), nb = ISNAN(vb);                                                                           \
        int gt = (na && !nb) || (!na && !nb && va > vb), lt = (nb && !na) || (!na && !nb && va < vb);                 \
        if (largest ? gt : lt) return 1;                                                                              \
        if (largest ? lt : gt) return 0;                                                                              \
        return a < b;                                                                                                 \
    }                                                                                                                 \
    /* bottom-up merge sort of idx[0..n) using tmp[0..n) */                                                           \
    static void NAME##_topk_sort(const void *xv, int64_t stride, int64_t n, int largest, int64_t *idx,               \
                                 int64_t *tmp) {                                                                      \
        const T *x = (const T *)xv;                                                                                   \
        int64_t *src = idx, *dst = tmp;                                                                               \
        for (int64_t w = 1; w < n; w *= 2) {                                                                          \
            for (int64_t lo = 0; lo < n; lo += 2 * w) {                                                               \
                int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, a = lo, b = mid, o = lo; \
                while (a < mid && b < hi)                                                                             \
                    dst[o++] = NAME##_before(x, stride, largest, src[b], src[a]) ? src[b++] : src[a++];               \
                while (a < mid) dst[o++] = src[a++];                                                                  \
                while (b < hi) dst[o++] = src[b++];                                                                   \
            }                                                                                                         \
            int64_t *t = src;                                                                                         \
            src = dst, dst = t;                                                                                       \
        }                                                                                                             \
        if (src != idx) memcpy(idx, src, (size_t)n * sizeof *idx);                                                    \
    }

/* Running sum (KIND cumsum, OP add, ID 0) or product (cumprod, mul, 1) along n in V, stored
 * (rounded) once per element. */
#define PML_CUMULATE(NAME, KIND, T, V, LOAD, STORE, OP, ID)                                                         \
    static void NAME##_##KIND(const void *xv, void *yv, int64_t outer, int64_t n, int64_t inner, int excl,         \
                              int rev) {                                                                              \
        const T *x = (const T *)xv;                                                                                   \
        T *y = (T *)yv;                                                                                               \
        for (int64_t o = 0; o < outer; o++)                                                                           \
            for (int64_t j = 0; j < inner; j++) {                                                                     \
                V acc = ID;                                                                                           \
                for (int64_t s = 0; s < n; s++) {                                                                     \
                    int64_t at = (o * n + (rev ? n - 1 - s : s)) * inner + j;                                         \
                    V v = LOAD(x[at]);                                                                                \
                    if (excl) y[at] = STORE(acc);                                                                     \
                    acc = OP(acc, v);                                                                                 \
                    if (!excl) y[at] = STORE(acc);                                                                    \
                }                                                                                                     \
            }                                                                                                         \
    }

/* GT(a, b): a > b in T's order (a, b are T). */
#define PML_SCATTER(NAME, T, LOAD, STORE, ADD, MUL, GT)                                                              \
    static void NAME##_scatter(int red, void *yv, const int64_t *off, const void *uv, int64_t tuples,              \
                               int64_t slice) {                                                                       \
        T *y = (T *)yv;                                                                                               \
        const T *u = (const T *)uv;                                                                                   \
        for (int64_t t = 0; t < tuples; t++)                                                                          \
            for (int64_t e = 0; e < slice; e++) {                                                                     \
                T *d = y + off[t] + e, s = u[t * slice + e];                                                          \
                switch (red) {                                                                                        \
                case 1: *d = STORE(ADD(LOAD(*d), LOAD(s))); break;                                                    \
                case 2: *d = STORE(MUL(LOAD(*d), LOAD(s))); break;                                                    \
                case 3: *d = GT(s, *d) ? s : *d; break;                                                               \
                default: *d = GT(*d, s) ? s : *d; break;                                                              \
                }                                                                                                     \
            }                                                                                                         \
    }

/* OK(v): v converts to int64 without loss of range */
#define PML_TO_INDEX(NAME, T, V, LOAD, OK)                                                                           \
    static void NAME##_to_index(const void *xv, int64_t n, int64_t *y) {                                            \
        const T *x = (const T *)xv;                                                                                   \
        for (int64_t k = 0; k < n; k++) {                                                                             \
            V v = LOAD(x[k]);                                                                                         \
            y[k] = OK(v) ? (int64_t)v : INT64_MIN;                                                                    \
        }                                                                                                             \
    }

#define PML_TABLE(NAME)                                                                                              \
    const pml_index_typed pml_##NAME##_index_typed__scalar = {NAME##_topk_sort, NAME##_cumsum, NAME##_cumprod,        \
                                                              NAME##_scatter, NAME##_range, NAME##_to_index};

/* ---- floats ---------------------------------------------------------------------------------------------------- */

#define PML_ADD_F(a, b) ((a) + (b))
#define PML_MUL_F(a, b) ((a) * (b))
#define PML_ID(v) (v)
#define PML_TO_F32(v) ((float)(v))
#define PML_LOAD_F16(v) pml_f16_to_f32_scalar(v)
#define PML_STORE_F16(v) pml_f32_to_f16_scalar((float)(v))
#define PML_GT_F32(a, b) ((a) > (b))
#define PML_GT_F16(a, b) (pml_f16_to_f32_scalar(a) > pml_f16_to_f32_scalar(b))
#define PML_FITS_F(v) (fabsf(v) < 4.6e18f) /* false for NaN */

#define PML_INDEX_FLOAT(NAME, T, LOAD, STORE, GT)                                                                    \
    PML_TOPK_SORT(NAME, T, float, LOAD, PML_ISNAN_F)                                                                  \
    PML_CUMULATE(NAME, cumsum, T, float, LOAD, STORE, PML_ADD_F, 0.0f)                                               \
    PML_CUMULATE(NAME, cumprod, T, float, LOAD, STORE, PML_MUL_F, 1.0f)                                              \
    PML_SCATTER(NAME, T, LOAD, STORE, PML_ADD_F, PML_MUL_F, GT)                                                       \
    PML_TO_INDEX(NAME, T, float, LOAD, PML_FITS_F)                                                                    \
    static void NAME##_range(const void *s, const void *d, int64_t n, void *yv) {                                   \
        double s0 = LOAD(*(const T *)s), dd = LOAD(*(const T *)d);                                                    \
        for (int64_t k = 0; k < n; k++) ((T *)yv)[k] = STORE(s0 + (double)k * dd);                                   \
    }                                                                                                                 \
    PML_TABLE(NAME)

PML_INDEX_FLOAT(f32, float, PML_ID, PML_TO_F32, PML_GT_F32)
PML_INDEX_FLOAT(f16, uint16_t, PML_LOAD_F16, PML_STORE_F16, PML_GT_F16)

/* ---- integers: arithmetic in uint64, the low bits stored ---------------------------------------------------------- */

#define PML_ADD_U(a, b) ((a) + (b))
#define PML_MUL_U(a, b) ((a) * (b))
#define PML_GT_I(a, b) ((a) > (b))
#define PML_FITS_ALL(v) 1
#define PML_FITS_U64(v) ((v) <= (uint64_t)INT64_MAX)

#define PML_INDEX_INT(NAME, T, FITS)                                                                                  \
    PML_TOPK_SORT(NAME, T, T, PML_ID, PML_ISNAN_I)                                                                    \
    PML_CUMULATE(NAME, cumsum, T, uint64_t, (uint64_t), (T), PML_ADD_U, 0)                                           \
    PML_CUMULATE(NAME, cumprod, T, uint64_t, (uint64_t), (T), PML_MUL_U, 1)                                          \
    PML_SCATTER(NAME, T, (uint64_t), (T), PML_ADD_U, PML_MUL_U, PML_GT_I)                                             \
    PML_TO_INDEX(NAME, T, T, PML_ID, FITS)                                                                            \
    static void NAME##_range(const void *s, const void *d, int64_t n, void *yv) {                                   \
        uint64_t s0 = (uint64_t)(*(const T *)s), dd = (uint64_t)(*(const T *)d);                                      \
        for (int64_t k = 0; k < n; k++) ((T *)yv)[k] = (T)(s0 + (uint64_t)k * dd);                                    \
    }                                                                                                                 \
    PML_TABLE(NAME)

PML_INDEX_INT(s8, int8_t, PML_FITS_ALL)
PML_INDEX_INT(u8, uint8_t, PML_FITS_ALL)
PML_INDEX_INT(s16, int16_t, PML_FITS_ALL)
PML_INDEX_INT(u16, uint16_t, PML_FITS_ALL)
PML_INDEX_INT(s32, int32_t, PML_FITS_ALL)
PML_INDEX_INT(u32, uint32_t, PML_FITS_ALL)
PML_INDEX_INT(s64, int64_t, PML_FITS_ALL)
PML_INDEX_INT(u64, uint64_t, PML_FITS_U64)

/* ---- bool: logical scatter reductions (add/max = or, mul/min = and) ---------------------------------------------- */

#define PML_OR(a, b) ((a) | (b))
#define PML_AND(a, b) ((a) & (b))
#define PML_GT_B(a, b) ((a) > (b))
PML_SCATTER(b8, uint8_t, PML_ID, (uint8_t), PML_OR, PML_AND, PML_GT_B)

const pml_index_typed pml_b8_index_typed__scalar = {NULL, NULL, NULL, b8_scatter, NULL, NULL};
