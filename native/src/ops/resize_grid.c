/*
 * ops/resize_grid.c — GridSample, channels last: x [N, d1..dk, C] sampled at the
 * normalised points of grid [N, o1..ok, k] into y [N, o1..ok, C], k = 1..3 spatial
 * axes, float32 or float16 data (any dtype with mode nearest) and grid (the typed
 * resize kernels, kernels/resize/resize_typed.h, hold the arithmetic); AffineGrid, the grid of an
 * affine transform theta [N, k, k+1] over the size [N, C, d1..dk] read while planning.
 *
 * The engine runs it channels last, as Conv and Resize, because a point's
 * coordinates and taps are then computed once and applied to C contiguous
 * channels; the ONNX importer wraps it in NCHW<->NHWC transposes that the layout
 * pass cancels against its neighbours'.
 */
#include "../internal.h"
#include "kernels/config.h"
#include "params.h"
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
    int64_t mode = pml_attr_int(ctx->node, "mode", 0);
    if (mode != PML_GRID_NEAREST && x->dtype != PML_FLOAT32 && x->dtype != PML_FLOAT16)
        return pml_node_error(ctx, PML_ERR_DTYPE, "%s GridSample of %s (supported: float32, float16; nearest takes any dtype)",
                              mode == PML_GRID_LINEAR ? "linear" : "cubic", pml_dtype_name(x->dtype));
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

/* ---- AffineGrid ------------------------------------------------------------------------------------------ */

typedef struct affine_state {
    pml_affine_grid_fn fn;
    pml_affine_grid_params p;
    int64_t rows, width; /* N * d1 * ... * d(k-1) rows of dk points */
} affine_state;

typedef struct affine_job {
    const affine_state *st;
    const void *theta;
    void *grid;
} affine_job;

/* The size input (known while planning) checked against theta; out: the grid's shape. */
static pml_status affine_geometry(pml_kernel_ctx *ctx, const pml_tensor *theta, int64_t *out, int *k_out) {
    int64_t size[PML_MAX_RANK], v;
    int n;
    pml_status s = pml_param_ints(ctx, 1, "size", 0, size, PML_MAX_RANK, &n);
    if (s != PML_OK) return s;
    if ((s = pml_attr_int_checked(ctx, "align_corners", 0, 0, 1, &v)) != PML_OK) return s;
    if (n != 4 && n != 5)
        return pml_node_error(ctx, PML_ERR_SHAPE, "size has %d values; supported: 4 ([N, C, H, W]) or 5 ([N, C, D, H, W])", n);
    int k = n - 2;
    if (theta->rank != 3 || theta->dims[1] != k || theta->dims[2] != k + 1 || theta->dims[0] != size[0])
        return pml_node_error(ctx, PML_ERR_SHAPE, "theta must be [%lld, %d, %d] for size of %d values", (long long)size[0], k,
                              k + 1, n);
    out[0] = size[0], out[k + 1] = k;
    for (int a = 0; a < k; a++) {
        if (size[a + 2] < 0 || size[a + 2] > PML_EW_MAX_NUMEL)
            return pml_node_error(ctx, PML_ERR_SHAPE, "size[%d] = %lld is out of range", a + 2, (long long)size[a + 2]);
        out[a + 1] = size[a + 2];
    }
    *k_out = k;
    return PML_OK;
}

static pml_status affine_grid_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *theta;
    int64_t out[PML_MAX_RANK];
    int k = 0;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "theta", &theta)) != PML_OK || (s = affine_geometry(ctx, theta, out, &k)) != PML_OK)
        return s;
    return pml_ew_set_output(ctx, 0, theta->dtype, k + 2, out);
}

static pml_status affine_grid_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *theta = ctx->in[0];
    const pml_resize_typed *t = ctx->config->typed.resize[theta->dtype];
    if (!t || !t->affine_grid) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(theta->dtype));
    int64_t out[PML_MAX_RANK];
    int k = 0;
    pml_status s = affine_geometry(ctx, theta, out, &k);
    if (s != PML_OK) return s;
    affine_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->fn = t->affine_grid;
    st->p.axes = k;
    st->p.align_corners = (int)pml_attr_int(ctx->node, "align_corners", 0);
    for (int a = 0; a < k; a++) st->p.size[a] = out[a + 1];
    st->width = out[k];
    st->rows = pml_shape_numel(k, out); /* N * d1 * ... * d(k-1) */
    return PML_OK;
}

static void affine_grid_range(void *arg, int64_t r0, int64_t r1) {
    const affine_job *j = (const affine_job *)arg;
    j->st->fn(&j->st->p, j->theta, j->grid, r0, r1);
}

static pml_status affine_grid_run(pml_kernel_ctx *ctx) {
    const affine_state *st = (const affine_state *)ctx->state;
    if (ctx->out[0]->nbytes == 0) return PML_OK;
    affine_job j = {st, ctx->in[0]->data, ctx->out[0]->data};
    pml_ew_parallel(ctx, st->rows, PML_EW_PARALLEL_MIN / (st->width * 4 + 1) + 1, affine_grid_range, &j);
    return PML_OK;
}

const pml_op_def pml_affine_grid_def = {PML_OP_AFFINEGRID, affine_grid_infer, affine_grid_prepare, affine_grid_run,
                                        pml_ew_release};
