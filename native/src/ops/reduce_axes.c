/*
 * ops/reduce_axes.c — the reduced axes of a Reduce* node (its axes input, read while planning,
 * else all axes unless noop_with_empty_axes), shared by ops/reduce.c and ops/reduce_q8.c.
 */
#include <string.h>

#include "params.h"
#include "reduce_q8.h"
#include "validate.h"

/* Which axes are reduced; returns PML_OK and sets *noop when nothing is. */
pml_status pml_reduce_axes(pml_kernel_ctx *ctx, const pml_tensor *x, int *mask, int *noop) {
    int64_t axes[PML_MAX_RANK];
    int n;
    /* the axes input (read while planning) wins over the attribute */
    pml_status ps = pml_param_ints(ctx, 1, "axes", 0, axes, PML_MAX_RANK, &n);
    if (ps != PML_OK) return ps;
    memset(mask, 0, sizeof(int) * PML_MAX_RANK);
    *noop = 0;
    if (n <= 0) {
        if (pml_attr_int(ctx->node, "noop_with_empty_axes", 0)) *noop = 1;
        else
            for (int a = 0; a < x->rank; a++) mask[a] = 1;
        return PML_OK;
    }
    for (int i = 0; i < n; i++) {
        int a;
        pml_status s = pml_ew_axis(ctx, axes[i], x->rank, "reduce axis", &a);
        if (s != PML_OK) return s;
        if (mask[a]) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis %d appears twice in 'axes'", a);
        mask[a] = 1;
    }
    return PML_OK;
}
