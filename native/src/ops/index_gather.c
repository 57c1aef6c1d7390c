/*
 * ops/index_gather.c — Gather (the index family; GatherElements, GatherND
 * and the scatter ops are in ops/index_scatter.c). Every index is checked before
 * anything is copied: an out-of-range index is a PML_ERR_RUNTIME error naming
 * the index and the bound.
 */
#include <string.h>

#include "../internal.h"
#include "validate.h"

typedef struct gather_state {
    int64_t outer, axis_dim, n_idx, inner_bytes;
    int axis;
} gather_state;

static pml_status gather_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *idx;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "data", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "indices", &idx)) != PML_OK)
        return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "data must have rank >= 1");
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), x->rank, "axis", &axis)) != PML_OK) return s;
    int rank = x->rank - 1 + idx->rank;
    if (rank > PML_MAX_RANK)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "output rank %d exceeds the maximum %d", rank, PML_MAX_RANK);
    int64_t dims[PML_MAX_RANK];
    int k = 0;
    for (int a = 0; a < axis; a++) dims[k++] = x->dims[a];
    for (int a = 0; a < idx->rank; a++) dims[k++] = idx->dims[a];
    for (int a = axis + 1; a < x->rank; a++) dims[k++] = x->dims[a];
    return pml_ew_set_output(ctx, 0, x->dtype, rank, dims);
}

static pml_status gather_prepare(pml_kernel_ctx *ctx) {
    gather_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0], *idx = ctx->in[1];
    pml_status s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), x->rank, "axis", &st->axis);
    if (s != PML_OK) return s;
    st->outer = pml_shape_numel(st->axis, x->dims);
    st->axis_dim = x->dims[st->axis];
    st->n_idx = pml_shape_numel(idx->rank, idx->dims);
    st->inner_bytes = pml_shape_numel(x->rank - st->axis - 1, x->dims + st->axis + 1) * (int64_t)pml_dtype_size(x->dtype);
    return PML_OK;
}

static pml_status gather_run(pml_kernel_ctx *ctx) {
    const gather_state *st = (const gather_state *)ctx->state;
    const pml_tensor *ti = ctx->in[1];
    const char *x = (const char *)ctx->in[0]->data;
    char *y = (char *)ctx->out[0]->data;
    const int64_t d = st->axis_dim, n = st->n_idx, ib = st->inner_bytes;
    /* validate every index first so a bad one fails the run before any copy */
    for (int64_t k = 0; k < n; k++) {
        int64_t v = ti->dtype == PML_INT32 ? ((const int32_t *)ti->data)[k] : ((const int64_t *)ti->data)[k];
        if (v < -d || v >= d)
            return pml_node_error(ctx, PML_ERR_RUNTIME,
                                  "index %lld (at position %lld of indices) is out of range for axis %d of size %lld "
                                  "(valid: %lld..%lld)",
                                  (long long)v, (long long)k, st->axis, (long long)d, (long long)-d, (long long)d - 1);
    }
    if (ib == 0) return PML_OK;
    for (int64_t o = 0; o < st->outer; o++)
        for (int64_t k = 0; k < n; k++) {
            int64_t v = ti->dtype == PML_INT32 ? ((const int32_t *)ti->data)[k] : ((const int64_t *)ti->data)[k];
            if (v < 0) v += d;
            memcpy(y + (o * n + k) * ib, x + (o * d + v) * ib, (size_t)ib);
        }
    return PML_OK;
}

const pml_op_def pml_gather_def = {PML_OP_GATHER, gather_infer, gather_prepare, gather_run,
                                    pml_ew_release};
