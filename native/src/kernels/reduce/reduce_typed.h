/*
 * kernels/reduce/reduce_typed.h — the type-generic reductions: one table per dtype
 * (kernels/reduce/reduce_typed__scalar.c instantiates one macro template per dtype class),
 * reached through ctx->config->typed.reduce[dtype].
 *
 * A reduction walks the input as p->m alternating groups of axes (ops/reduce.c merges
 * neighbouring axes that are both reduced or both kept and drops size-1 axes): group g
 * has p->dims[g] elements, p->reduced[g] says whether it is reduced, and p->ostride[g] is
 * its output element stride (0 when reduced). Accumulators live in scratch (2 * n_out
 * 8-byte slots). float16 accumulates in float32 and rounds once when it stores;
 * float32 accumulates in double; integer sums, products and squares wrap like the
 * output type (computed in uint64); Mean of integers truncates toward zero; an empty
 * reduction gives the op's identity (0, 1, the dtype's lowest/highest for Max/Min).
 */
#ifndef PML_KERNELS_REDUCE_TYPED_H
#define PML_KERNELS_REDUCE_TYPED_H

#include "kernels/common.h"

typedef struct pml_reduce_plan {
    int m;                          /* >= 1 groups */
    int64_t dims[PML_MAX_RANK];     /* group sizes */
    int reduced[PML_MAX_RANK];      /* group is reduced */
    int64_t ostride[PML_MAX_RANK];  /* output element stride of each group (0 if reduced) */
    int64_t n_out;                  /* output elements */
    int64_t count;                  /* input elements folded into each output (Mean) */
} pml_reduce_plan;

enum {
    PML_RED_SUM, PML_RED_MEAN, PML_RED_MAX, PML_RED_MIN, PML_RED_PROD, PML_RED_L1, PML_RED_L2, PML_RED_SUMSQUARE,
    PML_RED_LOGSUMEXP, PML_RED_COUNT
};

/* y[n_out] = the reduction of x as p describes; scratch holds 2 * n_out 8-byte slots. */
typedef void (*pml_reduce_typed_fn)(const pml_reduce_plan *p, const void *x, void *y, void *scratch);
/* ArgMax (is_max) / ArgMin of x viewed as [outer, n, inner] along n: the first extreme (the
 * last with last=1); a float NaN wins once found (numpy's argmax/argmin). */
typedef void (*pml_arg_typed_fn)(const void *x, int64_t outer, int64_t n, int64_t inner, int is_max, int last,
                                 int64_t *y);

typedef struct pml_reduce_typed {
    pml_reduce_typed_fn reduce[PML_RED_COUNT]; /* NULL where the dtype has no such reduction */
    pml_arg_typed_fn arg;                      /* NULL for bool */
} pml_reduce_typed;

extern const pml_reduce_typed pml_f32_reduce_typed__scalar, pml_f16_reduce_typed__scalar,
    pml_s8_reduce_typed__scalar, pml_u8_reduce_typed__scalar, pml_s16_reduce_typed__scalar,
    pml_u16_reduce_typed__scalar, pml_s32_reduce_typed__scalar, pml_u32_reduce_typed__scalar,
    pml_s64_reduce_typed__scalar, pml_u64_reduce_typed__scalar, pml_b8_reduce_typed__scalar;

/* Initialiser of pml_typed_config.reduce (every configuration shares the scalar tables). */
#define PML_REDUCE_TYPED__SCALAR                                                                                       \
    {[PML_FLOAT32] = &pml_f32_reduce_typed__scalar, [PML_FLOAT16] = &pml_f16_reduce_typed__scalar,                     \
     [PML_INT8] = &pml_s8_reduce_typed__scalar,     [PML_UINT8] = &pml_u8_reduce_typed__scalar,                        \
     [PML_INT16] = &pml_s16_reduce_typed__scalar,   [PML_UINT16] = &pml_u16_reduce_typed__scalar,                      \
     [PML_INT32] = &pml_s32_reduce_typed__scalar,   [PML_UINT32] = &pml_u32_reduce_typed__scalar,                      \
     [PML_INT64] = &pml_s64_reduce_typed__scalar,   [PML_UINT64] = &pml_u64_reduce_typed__scalar,                      \
     [PML_BOOL] = &pml_b8_reduce_typed__scalar}

#endif /* PML_KERNELS_REDUCE_TYPED_H */
