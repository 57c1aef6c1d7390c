/*
 * ops/tensor_expand.c — Expand and Tile: strided copies through the tensor
 * family's row copier (ops/tensor.h). A broadcast axis has source stride 0;
 * Tile views each axis as [repeats, dim] with the repeats at stride 0. Any
 * dtype: elements move by size.
 */
#include <string.h>

#include "../internal.h"
#include "validate.h"
#include "params.h"
#include "tensor.h"

/* ---- Expand, Tile ---------------------------------------------------------------------------------------- */

static pml_status expand_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    int64_t shape[PML_MAX_RANK], dims[PML_MAX_RANK];
    int n, rank;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK ||
        (s = pml_param_ints(ctx, 1, "shape", 0, shape, PML_MAX_RANK, &n)) != PML_OK)
        return s;
    if (n < 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "the target shape (attribute or input 'shape') is missing");
    for (int i = 0; i < n; i++)
        if (shape[i] < 0 || shape[i] > PML_EW_MAX_NUMEL)
            return pml_node_error(ctx, PML_ERR_SHAPE, "shape[%d] = %lld is invalid", i, (long long)shape[i]);
    if (pml_broadcast_shapes(x->rank, x->dims, n, shape, &rank, dims) != 0) {
        char a[160], b[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "x %s does not broadcast to shape %s",
                              pml_shape_str(x->rank, x->dims, a, sizeof a), pml_shape_str(n, shape, b, sizeof b));
    }
    return pml_ew_set_output(ctx, 0, x->dtype, rank, dims);
}

/* Strided copy reading x (dims xd, rank xr, right-aligned) broadcast to the output. */
static pml_status expand_prepare(pml_kernel_ctx *ctx) {
    strided_copy *p = pml_ew_alloc_state(ctx, sizeof *p);
    if (!p) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    p->esize = pml_dtype_size(x->dtype);
    int64_t t = 1;
    p->rank = 0;
    int64_t stride[PML_MAX_RANK];
    for (int a = y->rank - 1; a >= 0; a--) {
        int xa = a - (y->rank - x->rank);
        int64_t xd = xa >= 0 ? x->dims[xa] : 1;
        stride[a] = xd == 1 ? 0 : t;
        t *= xd;
    }
    for (int a = 0; a < y->rank; a++) {
        if (y->dims[a] == 1) continue; /* size-1 axes move nothing */
        p->dims[p->rank] = y->dims[a];
        p->stride[p->rank++] = stride[a];
    }
    if (p->rank == 0) p->rank = 1, p->dims[0] = 1, p->stride[0] = 1;
    return PML_OK;
}

static pml_status tile_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    int64_t reps[PML_MAX_RANK], dims[PML_MAX_RANK];
    int n;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK ||
        (s = pml_param_ints(ctx, 1, "repeats", 0, reps, PML_MAX_RANK, &n)) != PML_OK)
        return s;
    if (n != x->rank)
        return pml_node_error(ctx, PML_ERR_SHAPE, "repeats has %d values for a rank-%d input", n < 0 ? 0 : n, x->rank);
    for (int a = 0; a < n; a++) {
        if (reps[a] < 0 || reps[a] > PML_EW_MAX_NUMEL || (x->dims[a] && reps[a] > PML_EW_MAX_NUMEL / x->dims[a]))
            return pml_node_error(ctx, PML_ERR_SHAPE, "repeats[%d] = %lld is invalid for dim %lld", a,
                                  (long long)reps[a], (long long)x->dims[a]);
        dims[a] = x->dims[a] * reps[a];
    }
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, dims);
}

/* Each axis is [repeat, dim]: the repeat index has source stride 0. */
static pml_status tile_prepare(pml_kernel_ctx *ctx) {
    strided_copy *p = pml_ew_alloc_state(ctx, sizeof *p);
    if (!p) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    p->esize = pml_dtype_size(x->dtype);
    int64_t stride[PML_MAX_RANK], t = 1;
    for (int a = x->rank - 1; a >= 0; a--) stride[a] = t, t *= x->dims[a];
    for (int a = 0; a < x->rank; a++) {
        int64_t rep = x->dims[a] ? y->dims[a] / x->dims[a] : 0;
        if (rep != 1) p->dims[p->rank] = rep, p->stride[p->rank++] = 0;
        if (x->dims[a] != 1) p->dims[p->rank] = x->dims[a], p->stride[p->rank++] = stride[a];
    }
    if (p->rank == 0) p->rank = 1, p->dims[0] = 1, p->stride[0] = 1;
    return PML_OK;
}

const pml_op_def pml_expand_def = {PML_OP_EXPAND, expand_infer, expand_prepare, pml_strided_copy_op_run,
                                   pml_ew_release};
const pml_op_def pml_tile_def = {PML_OP_TILE, tile_infer, tile_prepare, pml_strided_copy_op_run, pml_ew_release};
