/*
 * ops/norm_lp.c — LpNormalization (p = 1 or 2, any axis), float32 and float16, through the
 * typed norm kernel (kernels/norm/norm_typed.h). The input is viewed as [outer, len, inner]
 * around the axis; a job is one outer block and a tile of up to PML_LP_TILE inner positions,
 * so the last axis (inner = 1) and channels of NCHW-shaped data both read x unit-stride.
 */
#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

typedef struct lp_state {
    pml_lp_norm_fn fn;
    int64_t outer, len, inner, tiles;
    int p;
    size_t esize;
} lp_state;

static pml_status lp_parse(pml_kernel_ctx *ctx, int *axis, int *p) {
    const pml_tensor *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 1, got a scalar");
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", axis)) != PML_OK) return s;
    int64_t pv = pml_attr_int(ctx->node, "p", 2);
    if (pv != 1 && pv != 2)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "p %lld is not supported; supported: 1, 2", (long long)pv);
    *p = (int)pv;
    return PML_OK;
}

static pml_status lp_infer(pml_kernel_ctx *ctx) {
    int axis, p;
    pml_status s = lp_parse(ctx, &axis, &p);
    if (s != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, ctx->in[0]->dtype, ctx->in[0]->rank, ctx->in[0]->dims);
}

static pml_status lp_prepare(pml_kernel_ctx *ctx) {
    int axis = 0, p = 2;
    pml_status s = lp_parse(ctx, &axis, &p);
    if (s != PML_OK) return s;
    lp_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    const pml_norm_typed *k = ctx->config->typed.norm[x->dtype];
    if (!k) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(x->dtype));
    st->fn = k->lp_norm;
    st->p = p;
    st->outer = pml_shape_numel(axis, x->dims);
    st->len = x->dims[axis];
    st->inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    st->tiles = (st->inner + PML_LP_TILE - 1) / PML_LP_TILE;
    st->esize = pml_dtype_size(x->dtype);
    return PML_OK;
}

typedef struct lp_job {
    const lp_state *st;
    const char *x;
    char *y;
} lp_job;

static void lp_range(void *arg, int64_t t0, int64_t t1) {
    const lp_job *j = (const lp_job *)arg;
    const lp_state *st = j->st;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t o = t / st->tiles, i0 = t % st->tiles * PML_LP_TILE;
        const int64_t i1 = i0 + PML_LP_TILE < st->inner ? i0 + PML_LP_TILE : st->inner;
        const size_t at = (size_t)(o * st->len * st->inner) * st->esize;
        st->fn((size_t)st->len, (size_t)st->inner, (size_t)i0, (size_t)i1, st->p, j->x + at, j->y + at);
    }
}

static pml_status lp_run(pml_kernel_ctx *ctx) {
    const lp_state *st = (const lp_state *)ctx->state;
    const int64_t jobs = st->outer * st->tiles;
    const int64_t per_job = st->len * (st->inner < PML_LP_TILE ? st->inner : PML_LP_TILE);
    if (jobs == 0 || st->len == 0) return PML_OK;
    lp_job j = {st, ctx->in[0]->data, ctx->out[0]->data};
    pml_ew_parallel(ctx, jobs, PML_EW_PARALLEL_MIN / per_job + 1, lp_range, &j);
    return PML_OK;
}

const pml_op_def pml_lp_norm_def = {PML_OP_LPNORMALIZATION, lp_infer, lp_prepare, lp_run, pml_ew_release};
