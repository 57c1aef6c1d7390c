/*
 * typed_testutil.h — helpers for testing ops on every dtype against naive loops:
 * the dtype list, element reads (as double, or as wrapped integer bits) and writes,
 * small random tensors of any dtype (values whose sums and products stay readable),
 * and the wrap of a uint64 result to a dtype's width (what integer arithmetic gives).
 */
#ifndef PML_TYPED_TESTUTIL_H
#define PML_TYPED_TESTUTIL_H

#include "ew_testutil.h"
#include "kernels/common.h"

static const pml_dtype tt_all_dtypes[] = {PML_FLOAT32, PML_FLOAT16, PML_INT8,   PML_UINT8,  PML_INT16, PML_UINT16,
                                          PML_INT32,   PML_UINT32,  PML_INT64,  PML_UINT64, PML_BOOL};
#define TT_N_DTYPES ((int)(sizeof tt_all_dtypes / sizeof tt_all_dtypes[0]))
/* the awkward sizes every typed kernel runs at */
static const int64_t tt_sizes[] = {1, 7, 8, 9, 13, 127};
#define TT_N_SIZES 6

static int tt_is_float(pml_dtype dt) { return dt == PML_FLOAT32 || dt == PML_FLOAT16; }
static int tt_is_signed(pml_dtype dt) {
    return dt == PML_INT8 || dt == PML_INT16 || dt == PML_INT32 || dt == PML_INT64;
}

/* Element i as a double (exact for the small values these tests use). */
static double tt_get(const pml_tensor *t, int64_t i) {
    const void *p = t->data;
    switch (t->dtype) {
    case PML_FLOAT32: return ((const float *)p)[i];
    case PML_FLOAT16: return pml_f16_to_f32_scalar(((const uint16_t *)p)[i]);
    case PML_INT8: return ((const int8_t *)p)[i];
    case PML_UINT8: case PML_BOOL: return ((const uint8_t *)p)[i];
    case PML_INT16: return ((const int16_t *)p)[i];
    case PML_UINT16: return ((const uint16_t *)p)[i];
    case PML_INT32: return ((const int32_t *)p)[i];
    case PML_UINT32: return ((const uint32_t *)p)[i];
    case PML_INT64: return (double)((const int64_t *)p)[i];
    default: return (double)((const uint64_t *)p)[i];
    }
}

/* Integer element i as uint64 (signed values sign-extended). */
static uint64_t tt_bits(const pml_tensor *t, int64_t i) {
    const void *p = t->data;
    switch (t->dtype) {
    case PML_INT8: return (uint64_t)((const int8_t *)p)[i];
    case PML_UINT8: case PML_BOOL: return ((const uint8_t *)p)[i];
    case PML_INT16: return (uint64_t)((const int16_t *)p)[i];
    case PML_UINT16: return ((const uint16_t *)p)[i];
    case PML_INT32: return (uint64_t)((const int32_t *)p)[i];
    case PML_UINT32: return ((const uint32_t *)p)[i];
    case PML_INT64: return (uint64_t)((const int64_t *)p)[i];
    default: return ((const uint64_t *)p)[i];
    }
}

/* v truncated to dt's width, sign-extended when dt is signed (tt_bits' form). */
static uint64_t tt_wrap(pml_dtype dt, uint64_t v) {
    int bits = (int)pml_dtype_size(dt) * 8;
    if (bits == 64) return v;
    uint64_t m = ((uint64_t)1 << bits) - 1;
    v &= m;
    if (tt_is_signed(dt) && (v >> (bits - 1))) v |= ~m;
    return v;
}

static void tt_set(pml_tensor *t, int64_t i, double v) {
    void *p = t->data;
    switch (t->dtype) {
    case PML_FLOAT32: ((float *)p)[i] = (float)v; break;
    case PML_FLOAT16: ((uint16_t *)p)[i] = pml_f32_to_f16_scalar((float)v); break;
    case PML_INT8: ((int8_t *)p)[i] = (int8_t)(int64_t)v; break; /* 255 wraps to -1 (a double out of range is UB) */
    case PML_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case PML_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case PML_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case PML_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case PML_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case PML_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case PML_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    default: ((uint64_t *)p)[i] = (uint64_t)v; break;
    }
}

/* Small values: floats in [-2, 2] in steps of 0.25, signed ints in [-4, 4], unsigned in
 * [0, 8], bool 0/1 (deterministic per seed). */
static pml_tensor tt_typed_rand(pml_dtype dt, int rank, const int64_t *dims, unsigned seed) {
    pml_tensor t = tt_make(dt, rank, dims, NULL);
    int64_t n = pml_shape_numel(rank, dims);
    uint32_t s = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        int r = (int)((s >> 16) % 17); /* 0..16 */
        double v = dt == PML_BOOL ? r & 1 : tt_is_float(dt) ? (r - 8) * 0.25 : tt_is_signed(dt) ? r / 2 - 4 : r / 2;
        tt_set(&t, i, v);
    }
    return t;
}

#endif /* PML_TYPED_TESTUTIL_H */
