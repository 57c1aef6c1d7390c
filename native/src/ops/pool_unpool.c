/*
 * ops/pool_unpool.c — MaxUnpool, layout-free (NCHW as ONNX): y = zeros(output shape), then
 * y.flat[indices.flat[k]] = x.flat[k] for every k in order (a repeated index keeps the last
 * write). float32 and float16 (schema-checked), moved by element size by
 * ctx->config->typed.pool[dtype]->maxunpool. Semantics: src/pocketml/ops/pool.py.
 *
 * The output shape is output_shape (an input known while planning, or the attribute a
 * constant one becomes; at least the unpooled size on every axis) or the unpooled shape,
 * (d - 1) * stride + kernel - pad_begin - pad_end per spatial axis. The indices number the
 * output shape, as onnxruntime's (see src/pocketml/ops/pool.py). They are run-time data (a
 * MaxPool's Indices): run checks them all against y's size before writing anything, so a
 * bad one is a PML_ERR_RUNTIME error naming its position, never a stray write. The scatter runs on one thread: repeated
 * indices then keep the last value deterministically.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "params.h"
#include "validate.h"

#define UNPOOL_MAX_AXES 3

typedef struct unpool_state {
    pml_maxunpool_fn fn;
} unpool_state;

/* The output shape of x [N, C, d1..dk] (k = 1..3) into out (unpooled: the shape without output_shape). */
static pml_status unpool_shape(const pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *out) {
    const int k = x->rank - 2;
    static const int64_t ones[UNPOOL_MAX_AXES] = {1, 1, 1}, zeros[2 * UNPOOL_MAX_AXES] = {0};
    int64_t kernel[UNPOOL_MAX_AXES], strides[UNPOOL_MAX_AXES], pads[2 * UNPOOL_MAX_AXES];
    pml_status s;
    if (!pml_attr_find(ctx->node, "kernel"))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required attribute 'kernel' is missing");
    const int64_t *v;
    /* an absent or empty strides/pads list is the default (ones/zeros) */
    const int ns = pml_attr_ints(ctx->node, "strides", &v), np = pml_attr_ints(ctx->node, "pads", &v);
    memcpy(strides, ones, sizeof strides), memcpy(pads, zeros, sizeof pads);
    if ((s = pml_attr_ints_checked(ctx, "kernel", k, ones, 1, PML_MAX_WINDOW_ATTR, kernel)) ||
        (ns > 0 && (s = pml_attr_ints_checked(ctx, "strides", k, ones, 1, PML_MAX_WINDOW_ATTR, strides))) ||
        (np > 0 && (s = pml_attr_ints_checked(ctx, "pads", 2 * k, zeros, 0, PML_MAX_WINDOW_ATTR, pads))))
        return s;
    out[0] = x->dims[0], out[1] = x->dims[1];
    for (int a = 0; a < k; a++) {
        out[a + 2] = (x->dims[a + 2] - 1) * strides[a] + kernel[a] - pads[a] - pads[a + k];
        if (out[a + 2] < 0)
            return pml_node_error(ctx, PML_ERR_SHAPE, "the pads leave a negative output size on spatial axis %d", a);
    }
    int64_t given[PML_MAX_RANK];
    int n_given = 0;
    if ((s = pml_param_ints(ctx, 2, "output_shape", 0, given, PML_MAX_RANK, &n_given)) != PML_OK) return s;
    if (n_given <= 0) return PML_OK;
    int ok = n_given == x->rank && given[0] == x->dims[0] && given[1] == x->dims[1];
    for (int a = 2; ok && a < n_given; a++) ok = given[a] >= out[a];
    if (!ok)
        return pml_node_error(ctx, PML_ERR_SHAPE,
                              "output_shape (%d values) must be [N=%lld, C=%lld, ...] at least as large as the unpooled "
                              "shape on every axis", n_given, (long long)x->dims[0], (long long)x->dims[1]);
    memcpy(out, given, (size_t)n_given * sizeof out[0]);
    return PML_OK;
}

static pml_status unpool_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *idx;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "indices", &idx)) != PML_OK) return s;
    if (x->rank < 3 || x->rank > 2 + UNPOOL_MAX_AXES)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "x has rank %d; supported: 3 to 5 (1 to 3 spatial axes)", x->rank);
    if (idx->rank != x->rank || memcmp(idx->dims, x->dims, (size_t)x->rank * sizeof x->dims[0]) != 0)
        return pml_node_error(ctx, PML_ERR_SHAPE, "indices must have x's shape");
    int64_t out[PML_MAX_RANK];
    if ((s = unpool_shape(ctx, x, out)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, out);
}

static pml_status unpool_prepare(pml_kernel_ctx *ctx) {
    const pml_pool_typed *t = ctx->config->typed.pool[ctx->in[0]->dtype];
    if (!t || !t->maxunpool)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no MaxUnpool kernel for dtype %s", pml_dtype_name(ctx->in[0]->dtype));
    unpool_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->fn = t->maxunpool;
    return PML_OK;
}

static pml_status unpool_run(pml_kernel_ctx *ctx) {
    const unpool_state *st = (const unpool_state *)ctx->state;
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const int64_t *idx = (const int64_t *)ctx->in[1]->data;
    const int64_t n = pml_shape_numel(x->rank, x->dims), size = pml_shape_numel(y->rank, y->dims);
    for (int64_t k = 0; k < n; k++)
        if (idx[k] < 0 || idx[k] >= size)
            return pml_node_error(ctx, PML_ERR_RUNTIME,
                                  "indices value %lld (at flat position %lld) is outside [0, %lld), the output's size",
                                  (long long)idx[k], (long long)k, (long long)size);
    if (y->nbytes) memset(y->data, 0, y->nbytes);
    st->fn(x->data, idx, n, y->data);
    return PML_OK;
}

const pml_op_def pml_maxunpool_def = {PML_OP_MAXUNPOOL, unpool_infer, unpool_prepare, unpool_run, pml_ew_release};
