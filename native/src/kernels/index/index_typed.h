/*
 * kernels/index/index_typed.h — the type-generic kernels of the index family: TopK's sort,
 * CumSum/CumProd, the scatter reductions, Range and OneHot's index conversion. One table per dtype
 * (kernels/index/index_typed__scalar.c instantiates one macro template per dtype class),
 * reached through ctx->config->typed.index[dtype].
 *
 * float16 computes in float32 and rounds once per stored element; integers wrap like their
 * type (arithmetic in the unsigned type of the same width); bool scatter reductions are
 * logical (add/max = or, mul/min = and, as numpy's bool arithmetic).
 */
#ifndef PML_KERNELS_INDEX_TYPED_H
#define PML_KERNELS_INDEX_TYPED_H

#include "kernels/common.h"

/* Stable sort of idx[0..n) (positions along an axis whose elements are x[idx * stride]):
 * larger values first when largest (else smaller), equal values in index order, a float
 * NaN counts as the largest. tmp holds n scratch indices. */
typedef void (*pml_topk_sort_fn)(const void *x, int64_t stride, int64_t n, int largest, int64_t *idx, int64_t *tmp);
/* y = running sum (CumSum) or product (CumProd) of x [outer, n, inner] along n (exclusive:
 * without the element itself; reverse: from the end). y must not alias x. */
typedef void (*pml_cumsum_fn)(const void *x, void *y, int64_t outer, int64_t n, int64_t inner, int exclusive,
                              int reverse);
/* y[off[t] + e] = y[off[t] + e] (op) upd[t * slice + e], in order t = 0..tuples-1;
 * reduction 1 add, 2 mul, 3 max, 4 min. */
typedef void (*pml_scatter_reduce_fn)(int reduction, void *y, const int64_t *off, const void *upd, int64_t tuples,
                                      int64_t slice);
/* y[k] = x[k] as an index (floats truncated toward zero); a NaN, a float beyond +-2^62 or a
 * uint64 above INT64_MAX gives INT64_MIN, out of every range (OneHot's indices). */
typedef void (*pml_to_index_fn)(const void *x, int64_t n, int64_t *y);
/* y[k] = start + k * delta for k < n (start, delta: one element each). */
typedef void (*pml_range_typed_fn)(const void *start, const void *delta, int64_t n, void *y);

typedef struct pml_index_typed {
    pml_topk_sort_fn topk_sort;     /* NULL for bool */
    pml_cumsum_fn cumsum;           /* NULL for bool */
    pml_cumsum_fn cumprod;          /* NULL for bool */
    pml_scatter_reduce_fn scatter;
    pml_range_typed_fn range;             /* NULL for bool */
    pml_to_index_fn to_index;             /* NULL for bool */
} pml_index_typed;

extern const pml_index_typed pml_f32_index_typed__scalar, pml_f16_index_typed__scalar, pml_s8_index_typed__scalar,
    pml_u8_index_typed__scalar, pml_s16_index_typed__scalar, pml_u16_index_typed__scalar,
    pml_s32_index_typed__scalar, pml_u32_index_typed__scalar, pml_s64_index_typed__scalar,
    pml_u64_index_typed__scalar, pml_b8_index_typed__scalar;

/* Initialiser of pml_typed_config.index (every configuration shares the scalar tables). */
#define PML_INDEX_TYPED__SCALAR                                                                                        \
    {[PML_FLOAT32] = &pml_f32_index_typed__scalar, [PML_FLOAT16] = &pml_f16_index_typed__scalar,                       \
     [PML_INT8] = &pml_s8_index_typed__scalar,     [PML_UINT8] = &pml_u8_index_typed__scalar,                          \
     [PML_INT16] = &pml_s16_index_typed__scalar,   [PML_UINT16] = &pml_u16_index_typed__scalar,                        \
     [PML_INT32] = &pml_s32_index_typed__scalar,   [PML_UINT32] = &pml_u32_index_typed__scalar,                        \
     [PML_INT64] = &pml_s64_index_typed__scalar,   [PML_UINT64] = &pml_u64_index_typed__scalar,                        \
     [PML_BOOL] = &pml_b8_index_typed__scalar}

#endif /* PML_KERNELS_INDEX_TYPED_H */
