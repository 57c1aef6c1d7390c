/*
 * ops/resize_grid.c — GridSample, channels last: x [N, d1..dk, C] sampled at the
 * normalised points of grid [N, o1..ok, k] into y [N, o1..ok, C], k = 1..3 spatial
 * axes, float32 or float16 data and grid (the typed resize kernels,
 * kernels/resize/resize_typed.h, hold the arithmetic).
 *
 * The engine runs it channels last, as Conv and Resize, because a point's
 * coordinates and taps are then computed once and applied to C contiguous
 * channels; the ONNX importer wraps it in NCHW<->NHWC transposes that the layout
 * pass cancels against its neighbours'.
 */
#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

typedef struct grid_state {
    pml_grid_sample_fn fn;
    pml_grid_sample_params p;
    int64_t total; /* N * points */
} grid_state;

typedef struct grid_job {
    const grid_state *st;
    const void *x, *grid;
    void *y;
} grid_job;

static pml_status grid_sample_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *g;
    pml_status s;
    int64_t v;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "grid", &g)) != PML_OK) return s;
    if ((s = pml_attr_int_checked(ctx, "mode", 0, 0, 2, &v)) != PML_OK ||
        (s = pml_attr_int_checked(ctx, "padding_mode", 0, 0, 2, &v)) != PML_OK ||
        (s = pml_attr_int_checked(ctx, "align_corners", 0, 0, 1, &v)) != PML_OK)
        return s;
    int k = x->rank - 2;
    if (k < 1 || k > PML_GRID_MAX_AXES)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "x has rank %d; supported: 3 to 5 (1 to 3 spatial axes)",
                              x->rank);
    if (g->rank != x->rank || g->dims[g->rank - 1] != k || g->dims[0] != x->dims[0])
        return pml_node_error(ctx, PML_ERR_SHAPE, "grid must be [%lld, out spatial..., %d] for x of rank %d",
                              (long long)x->dims[0], k, x->rank);
    int64_t out[PML_MAX_RANK];
    out[0] = x->dims[0], out[k + 1] = x->dims[k + 1];
    for (int a = 1; a <= k; a++) out[a] = g->dims[a];
    for (int a = 1; a <= k; a++)
        if (x->dims[a] == 0 && pml_shape_numel(x->rank, out) > 0)
            return pml_node_error(ctx, PML_ERR_SHAPE, "cannot sample the empty spatial axis %d of x", a);
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, out);
}

static pml_status grid_sample_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *g = ctx->in[1];
    const pml_resize_typed *t = ctx->config->typed.resize[x->dtype];
    if (!t) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(x->dtype));
    grid_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    int k = x->rank - 2;
    st->fn = t->grid_sample[g->dtype == PML_FLOAT16];
    st->p.axes = k;
    st->p.mode = (int)pml_attr_int(ctx->node, "mode", 0);
    st->p.padding = (int)pml_attr_int(ctx->node, "padding_mode", 0);
    st->p.align_corners = (int)pml_attr_int(ctx->node, "align_corners", 0);
    st->p.channels = x->dims[k + 1];
    int64_t stride = st->p.channels;
    for (int a = k - 1; a >= 0; a--) st->p.in[a] = x->dims[a + 1], st->p.stride[a] = stride, stride *= x->dims[a + 1];
    st->p.points = pml_shape_numel(k, g->dims + 1);
    st->total = x->dims[0] * st->p.points;
    return PML_OK;
}

static void grid_sample_range(void *arg, int64_t q0, int64_t q1) {
    const grid_job *j = (const grid_job *)arg;
    j->st->fn(&j->st->p, j->x, j->grid, j->y, q0, q1);
}

static pml_status grid_sample_run(pml_kernel_ctx *ctx) {
    const grid_state *st = (const grid_state *)ctx->state;
    if (ctx->out[0]->nbytes == 0) return PML_OK;
    grid_job j = {st, ctx->in[0]->data, ctx->in[1]->data, ctx->out[0]->data};
    int64_t per_point = st->p.channels * (st->p.mode == PML_GRID_NEAREST ? 1 : 4) + 16; /* rough work of one point */
    pml_ew_parallel(ctx, st->total, PML_EW_PARALLEL_MIN / per_point + 1, grid_sample_range, &j);
    return PML_OK;
}

const pml_op_def pml_grid_sample_def = {PML_OP_GRIDSAMPLE, grid_sample_infer, grid_sample_prepare, grid_sample_run,
                                        pml_ew_release};
