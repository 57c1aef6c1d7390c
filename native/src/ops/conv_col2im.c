/*
 * ops/conv_col2im.c — Col2Im: x [N, C * prod(block), L] overlap-added into y [N, C,
 * image_shape...], channels first as ONNX (the typed conv kernels,
 * kernels/conv/conv_typed.h, hold the arithmetic). image_shape and block_shape are
 * read while planning; infer checks them, the attributes and x's shape against each
 * other, so every index the kernel forms stays inside x and y.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "params.h"
#include "validate.h"

typedef struct col2im_state {
    pml_col2im_fn fn;
    pml_col2im_params p;
    int64_t planes; /* N * C */
} col2im_state;

typedef struct col2im_job {
    const col2im_state *st;
    const void *x;
    void *y;
} col2im_job;

/* An ints attribute of n values in [lo, hi]; absent or empty (the registry's default): def. */
static pml_status c2i_attr(pml_kernel_ctx *ctx, const char *name, int n, const int64_t *def, int64_t lo, int64_t hi,
                           int64_t *out) {
    const int64_t *v = NULL;
    if (pml_attr_ints(ctx->node, name, &v) <= 0) {
        memcpy(out, def, (size_t)n * sizeof *out);
        return PML_OK;
    }
    return pml_attr_ints_checked(ctx, name, n, def, lo, hi, out);
}

/* Geometry from the inputs and attributes, validated; out: y's shape (rank k + 2). */
static pml_status col2im_geometry(pml_kernel_ctx *ctx, const pml_tensor *x, pml_col2im_params *p, int64_t *out) {
    int64_t image[PML_MAX_RANK], block[PML_MAX_RANK], ones[PML_COL2IM_MAX_AXES], zeros[2 * PML_COL2IM_MAX_AXES] = {0};
    int64_t pads[2 * PML_COL2IM_MAX_AXES];
    int k, kb;
    pml_status s;
    if ((s = pml_param_ints(ctx, 1, "image_shape", 0, image, PML_MAX_RANK, &k)) != PML_OK ||
        (s = pml_param_ints(ctx, 2, "block_shape", 0, block, PML_MAX_RANK, &kb)) != PML_OK)
        return s;
    if (k < 1 || k > PML_COL2IM_MAX_AXES || kb != k)
        return pml_node_error(ctx, PML_ERR_SHAPE, "image_shape (%d values) and block_shape (%d) need the same length, 1 to %d",
                              k, kb, PML_COL2IM_MAX_AXES);
    if (x->rank != 3) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank 3 ([N, C * prod(block), L]), got %d", x->rank);
    for (int i = 0; i < k; i++) ones[i] = 1;
    const int64_t big = PML_MAX_DIM, most = PML_EW_MAX_NUMEL; /* dims and attributes < 2^31: no overflow below */
    if ((s = c2i_attr(ctx, "strides", k, ones, 1, big, p->stride)) != PML_OK ||
        (s = c2i_attr(ctx, "dilations", k, ones, 1, big, p->dilation)) != PML_OK ||
        (s = c2i_attr(ctx, "pads", 2 * k, zeros, 0, big, pads)) != PML_OK)
        return s;
    p->axes = k;
    p->kernel = 1, p->columns = 1, p->plane = 1;
    for (int i = 0; i < k; i++) {
        if (block[i] < 1 || block[i] > big || image[i] < 0 || image[i] > big)
            return pml_node_error(ctx, PML_ERR_SHAPE, "block_shape[%d] = %lld must be >= 1 and image_shape[%d] = %lld >= 0", i,
                                  (long long)block[i], i, (long long)image[i]);
        int64_t span = p->dilation[i] * (block[i] - 1) + 1, padded = image[i] + pads[i] + pads[i + k];
        if (span > padded)
            return pml_node_error(ctx, PML_ERR_SHAPE, "block %lld (dilation %lld) does not fit axis %d of %lld (padded %lld)",
                                  (long long)block[i], (long long)p->dilation[i], i, (long long)image[i], (long long)padded);
        p->image[i] = image[i], p->block[i] = block[i], p->pad_begin[i] = pads[i];
        p->blocks[i] = (padded - span) / p->stride[i] + 1;
        if (p->kernel > most / block[i] || p->columns > most / p->blocks[i] || (image[i] && p->plane > most / image[i]))
            return pml_node_error(ctx, PML_ERR_SHAPE, "image_shape or block_shape is too large");
        p->kernel *= block[i], p->columns *= p->blocks[i], p->plane *= image[i];
    }
    if (x->dims[1] % p->kernel || x->dims[2] != p->columns)
        return pml_node_error(ctx, PML_ERR_SHAPE, "x [%lld, %lld, %lld] must be [N, C * %lld, %lld] for these blocks",
                              (long long)x->dims[0], (long long)x->dims[1], (long long)x->dims[2], (long long)p->kernel,
                              (long long)p->columns);
    out[0] = x->dims[0], out[1] = x->dims[1] / p->kernel;
    for (int i = 0; i < k; i++) out[i + 2] = image[i];
    return PML_OK;
}

static pml_status col2im_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_col2im_params p;
    int64_t out[PML_MAX_RANK];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = col2im_geometry(ctx, x, &p, out)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, p.axes + 2, out);
}

static pml_status col2im_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    const pml_conv_typed *t = ctx->config->typed.conv[x->dtype];
    if (!t) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(x->dtype));
    col2im_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    int64_t out[PML_MAX_RANK];
    pml_status s = col2im_geometry(ctx, x, &st->p, out);
    if (s != PML_OK) return s;
    st->fn = t->col2im;
    st->planes = out[0] * out[1];
    return PML_OK;
}

static void col2im_range(void *arg, int64_t p0, int64_t p1) {
    const col2im_job *j = (const col2im_job *)arg;
    j->st->fn(&j->st->p, j->x, j->y, p0, p1);
}

static pml_status col2im_run(pml_kernel_ctx *ctx) {
    const col2im_state *st = (const col2im_state *)ctx->state;
    if (ctx->out[0]->nbytes == 0) return PML_OK;
    col2im_job j = {st, ctx->in[0]->data, ctx->out[0]->data};
    pml_ew_parallel(ctx, st->planes, PML_EW_PARALLEL_MIN / (st->p.plane * st->p.kernel + 1) + 1, col2im_range, &j);
    return PML_OK;
}

const pml_op_def pml_col2im_def = {PML_OP_COL2IM, col2im_infer, col2im_prepare, col2im_run, pml_ew_release};
