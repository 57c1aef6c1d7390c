/*
 * typed_values.h — test helpers for ops on every dtype: random tensors of any
 * dtype that reach its edges (MIN, MAX, 0, -1 for integers; fractions, signed
 * zeros and NaN for floats), exact element access (signed integers as
 * int64, unsigned as uint64, floats as float: float16 decoded by the
 * kernels' common.h helper) and wrapping stores, so a naive oracle loop can be
 * written once for all dtypes.
 */
#ifndef PML_TYPED_VALUES_H
#define PML_TYPED_VALUES_H

#include "ew_testutil.h"
#include "kernels/common.h"

/* the numeric dtypes (ONNX's arithmetic set among ours) and, with bool, all of them */
static const pml_dtype g_numeric[] = {PML_FLOAT32, PML_FLOAT16, PML_INT8,  PML_UINT8,  PML_INT16,
                                      PML_UINT16,  PML_INT32,   PML_UINT32, PML_INT64, PML_UINT64};
#define N_NUMERIC (int)(sizeof g_numeric / sizeof g_numeric[0])

static int tv_is_float(pml_dtype dt) { return dt == PML_FLOAT32 || dt == PML_FLOAT16; }
static int tv_is_signed(pml_dtype dt) {
    return dt == PML_INT8 || dt == PML_INT16 || dt == PML_INT32 || dt == PML_INT64;
}

/* integer element i as int64 (signed dtypes) or the uint64 of its bits (unsigned, bool) */
static int64_t tv_get_i(pml_dtype dt, const void *p, int64_t i) {
    switch (dt) {
    case PML_INT8: return ((const int8_t *)p)[i];
    case PML_INT16: return ((const int16_t *)p)[i];
    case PML_INT32: return ((const int32_t *)p)[i];
    case PML_INT64: return ((const int64_t *)p)[i];
    default: return 0;
    }
}
static uint64_t tv_get_u(pml_dtype dt, const void *p, int64_t i) {
    switch (dt) {
    case PML_UINT8: case PML_BOOL: return ((const uint8_t *)p)[i];
    case PML_UINT16: return ((const uint16_t *)p)[i];
    case PML_UINT32: return ((const uint32_t *)p)[i];
    case PML_UINT64: return ((const uint64_t *)p)[i];
    default: return (uint64_t)tv_get_i(dt, p, i);
    }
}
static float tv_get_f(pml_dtype dt, const void *p, int64_t i) {
    return dt == PML_FLOAT16 ? pml_f16_to_f32_scalar(((const uint16_t *)p)[i]) : ((const float *)p)[i];
}
/* any element as a double (exact for everything but 64-bit integers beyond 2^53) */
static double tv_get_d(pml_dtype dt, const void *p, int64_t i) {
    if (tv_is_float(dt)) return tv_get_f(dt, p, i);
    return tv_is_signed(dt) ? (double)tv_get_i(dt, p, i) : (double)tv_get_u(dt, p, i);
}

/* store the low bits of v (two's complement wrap) / a float rounded to the dtype */
static void tv_put_bits(pml_dtype dt, void *p, int64_t i, uint64_t v) {
    switch (pml_dtype_size(dt)) {
    case 1: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case 4: ((uint32_t *)p)[i] = (uint32_t)v; break;
    default: ((uint64_t *)p)[i] = v; break;
    }
}
static void tv_put_f(pml_dtype dt, void *p, int64_t i, float v) {
    if (dt == PML_FLOAT16) ((uint16_t *)p)[i] = pml_f32_to_f16_scalar(v);
    else ((float *)p)[i] = v;
}

static uint64_t tv_min_bits(pml_dtype dt) { /* the signed dtype's MIN as bits; 0 for unsigned */
    return tv_is_signed(dt) ? (uint64_t)1 << (8 * pml_dtype_size(dt) - 1) : 0;
}

/* Random tensor: integers mix the dtype's MIN/MAX, 0, -1 and small values
 * (so wraparound and equality happen); floats mix fractions, +-0 and NaN
 * (nan = 1). nonzero = 1 replaces zeros by 1 (divisors). */
static pml_tensor tv_rand(pml_dtype dt, int rank, const int64_t *dims, int nonzero, int nan) {
    pml_tensor t = test_tensor(dt, rank, dims, 0);
    int64_t n = pml_shape_numel(rank, dims);
    unsigned bits = 8u * (unsigned)pml_dtype_size(dt);
    for (int64_t i = 0; i < n; i++) {
        int pick = (int)test_randf(0, 8);
        int small = (int)test_randf(-9, 9);
        if (tv_is_float(dt)) {
            float v = pick == 0 ? -0.0f : pick == 1 && nan ? NAN : (float)small * 0.75f + test_randf(-1, 1);
            if (nonzero && v == 0.0f) v = 1.0f;
            tv_put_f(dt, t.data, i, v);
            continue;
        }
        uint64_t v;
        uint64_t full = ((uint64_t)(test_randf(0, 65536)) << 48) ^ ((uint64_t)(test_randf(0, 65536)) << 32) ^
                        ((uint64_t)(test_randf(0, 65536)) << 16) ^ (uint64_t)test_randf(0, 65536);
        switch (pick) {
        case 0: v = tv_min_bits(dt); break;                                    /* MIN (0 unsigned) */
        case 1: v = (bits == 64 ? ~0ull : (1ull << bits) - 1) >> tv_is_signed(dt); break; /* MAX */
        case 2: v = ~0ull; break;                                              /* -1 / MAX */
        case 3: v = full; break;                                               /* anything */
        default: v = (uint64_t)(int64_t)(tv_is_signed(dt) ? small : (small < 0 ? -small : small)); break;
        }
        if (nonzero && (v & (bits == 64 ? ~0ull : (1ull << bits) - 1)) == 0) v = 1;
        tv_put_bits(dt, t.data, i, v);
    }
    return t;
}

/* Same float (bits, or both NaN): the float outputs of typed kernels round exactly once. */
static int tv_same_float(pml_dtype dt, const void *got, int64_t i, float want) {
    float g = tv_get_f(dt, got, i);
    if (want != want) return g != g;
    if (dt == PML_FLOAT16) return ((const uint16_t *)got)[i] == pml_f32_to_f16_scalar(want);
    return memcmp(&g, &want, 4) == 0;
}

#endif /* PML_TYPED_VALUES_H */
