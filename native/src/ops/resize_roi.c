/*
 * ops/resize_roi.c — RoiAlign, channels last: x [N, H, W, C], rois [R, 4], batch_indices
 * [R] (int64) -> y [R, output_height, output_width, C], float32 or float16 (the typed
 * resize kernels, kernels/resize/resize_typed.h, hold the arithmetic; semantics in
 * src/pocketml/ops/grid.py).
 *
 * rois and batch_indices are run-time data (a detector's proposals), so R comes from
 * their shapes while planning and the batch indices are checked against N in run, before
 * any output is written: an index outside [0, N) is a PML_ERR_RUNTIME error naming the
 * roi. The ONNX importer wraps x and y in NCHW<->NHWC transposes, as for GridSample.
 */
#include <math.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

typedef struct roi_state {
    pml_roi_align_fn fn;
    pml_roi_align_params p;
    int64_t n, rows; /* x's batch; R * output_height */
} roi_state;

typedef struct roi_job {
    const roi_state *st;
    const void *x, *rois;
    const int64_t *batch;
    void *y;
} roi_job;

static pml_status roi_align_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *rois, *bi;
    pml_status s;
    int64_t mode, half_pixel, oh, ow, ratio;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "rois", &rois)) != PML_OK ||
        (s = pml_ew_input(ctx, 2, "batch_indices", &bi)) != PML_OK)
        return s;
    if ((s = pml_attr_int_checked(ctx, "mode", 0, 0, 1, &mode)) != PML_OK ||
        (s = pml_attr_int_checked(ctx, "half_pixel", 1, 0, 1, &half_pixel)) != PML_OK ||
        (s = pml_attr_int_checked(ctx, "output_height", 1, 1, PML_MAX_WINDOW_ATTR, &oh)) != PML_OK ||
        (s = pml_attr_int_checked(ctx, "output_width", 1, 1, PML_MAX_WINDOW_ATTR, &ow)) != PML_OK ||
        (s = pml_attr_int_checked(ctx, "sampling_ratio", 0, 0, PML_ROI_MAX_GRID, &ratio)) != PML_OK)
        return s;
    const float scale = pml_attr_float(ctx->node, "spatial_scale", 1.0f);
    if (!(scale > -INFINITY && scale < INFINITY))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute spatial_scale=%g must be finite", (double)scale);
    if (x->rank != 4) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank 4 ([N, H, W, C]), got rank %d", x->rank);
    if (rois->rank != 2 || rois->dims[1] != 4 || bi->rank != 1 || bi->dims[0] != rois->dims[0])
        return pml_node_error(ctx, PML_ERR_SHAPE, "rois must be [R, 4] and batch_indices [R] (ranks %d and %d)",
                              rois->rank, bi->rank);
    if ((x->dims[1] == 0 || x->dims[2] == 0) && rois->dims[0] > 0)
        return pml_node_error(ctx, PML_ERR_SHAPE, "cannot align rois on an empty image (H %lld, W %lld)",
                              (long long)x->dims[1], (long long)x->dims[2]);
    const int64_t out[4] = {rois->dims[0], oh, ow, x->dims[3]};
    return pml_ew_set_output(ctx, 0, x->dtype, 4, out);
}

static pml_status roi_align_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *rois = ctx->in[1];
    const pml_resize_typed *t = ctx->config->typed.resize[x->dtype];
    if (!t || !t->roi_align) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(x->dtype));
    roi_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->fn = t->roi_align;
    st->n = x->dims[0];
    st->p.h = x->dims[1], st->p.w = x->dims[2], st->p.c = x->dims[3];
    st->p.oh = pml_attr_int(ctx->node, "output_height", 1), st->p.ow = pml_attr_int(ctx->node, "output_width", 1);
    st->p.sampling_ratio = pml_attr_int(ctx->node, "sampling_ratio", 0);
    st->p.spatial_scale = pml_attr_float(ctx->node, "spatial_scale", 1.0f);
    st->p.max_mode = (int)pml_attr_int(ctx->node, "mode", 0);
    st->p.half_pixel = (int)pml_attr_int(ctx->node, "half_pixel", 1);
    st->rows = rois->dims[0] * st->p.oh;
    return PML_OK;
}

static void roi_align_range(void *arg, int64_t r0, int64_t r1) {
    const roi_job *j = (const roi_job *)arg;
    j->st->fn(&j->st->p, j->x, j->rois, j->batch, j->y, r0, r1);
}

static pml_status roi_align_run(pml_kernel_ctx *ctx) {
    const roi_state *st = (const roi_state *)ctx->state;
    const int64_t *batch = (const int64_t *)ctx->in[2]->data;
    for (int64_t r = 0; r < ctx->in[2]->dims[0]; r++)
        if (batch[r] < 0 || batch[r] >= st->n)
            return pml_node_error(ctx, PML_ERR_RUNTIME, "batch_indices[%lld] = %lld is outside [0, %lld) (x's batch)",
                                  (long long)r, (long long)batch[r], (long long)st->n);
    if (ctx->out[0]->nbytes == 0) return PML_OK;
    roi_job j = {st, ctx->in[0]->data, ctx->in[1]->data, batch, ctx->out[0]->data};
    /* rough work of one row: its samples are unknown before the rois are read; assume 4 per bin */
    const int64_t per_row = st->p.ow * (st->p.c * 16 + 32);
    pml_ew_parallel(ctx, st->rows, PML_EW_PARALLEL_MIN / per_row + 1, roi_align_range, &j);
    return PML_OK;
}

const pml_op_def pml_roi_align_def = {PML_OP_ROIALIGN, roi_align_infer, roi_align_prepare, roi_align_run,
                                      pml_ew_release};
