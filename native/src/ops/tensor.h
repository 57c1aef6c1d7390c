/*
 * ops/tensor.h — helpers the tensor-family op files share (ops/tensor.c
 * defines them): the strided row copier and a fill value as one element.
 */
#ifndef PML_OPS_TENSOR_H
#define PML_OPS_TENSOR_H

#include "../internal.h"

static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Output is contiguous with dims; element i of output axis d comes from
 * offset + sum(i_d * stride[d]) in the source (element units). */
typedef struct strided_copy {
    int rank; /* >= 1; up to 2*PML_MAX_RANK for Tile's [repeats, dim] pairs */
    int64_t dims[2 * PML_MAX_RANK];
    int64_t stride[2 * PML_MAX_RANK];
    int64_t offset;
    size_t esize;
    const char *x;
    char *y;
} strided_copy;

/* Drops size-1 axes and merges neighbouring axes that are contiguous in the source
 * (stride[d] == stride[d+1] * dims[d+1]), so the inner run is as long as possible
 * (a memcpy when its stride is 1). Leaves rank >= 1. */
void pml_strided_copy_merge(strided_copy *p);

/* Copies x into y (contiguous) as p describes, rows split over the pool. */
void pml_strided_copy_run(const pml_kernel_ctx *ctx, strided_copy *p, const void *x, void *y);

/* The run of an op whose state is one strided_copy from input 0 to output 0
 * (Slice, Expand, Tile, DepthToSpace, SpaceToDepth). */
pml_status pml_strided_copy_op_run(pml_kernel_ctx *ctx);

/* One element of dtype holding the node's fill value: its value_int attribute, exact, for
 * integer and bool dtypes when present, else v (NaN -> 0 for integers, saturating). */
void pml_tensor_value_bytes(const pml_node *node, pml_dtype dtype, float v, unsigned char *out);

#endif /* PML_OPS_TENSOR_H */
