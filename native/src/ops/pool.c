/*
 * ops/pool.c — the pool op family (NHWC): MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, LpPool, GlobalLpPool. Semantics:
 * src/pocketml/ops/pool.py.
 *
 * infer validates the window attributes, computes the ONNX output size
 * (ceil_mode included) and rejects windows that would cover no input element
 * (possible with large pads or dilations), so every window a kernel reduces
 * is non-empty. Global pools are windows of H x W. run splits output rows
 * over the thread pool; the kernel is chosen once in prepare: float32's from
 * ctx->config->f32.mm (AVX2 or the reference), every other dtype the pools
 * take (float16 for all four, int8 and uint8 for MaxPool; schema-checked)
 * from the type-generic ctx->config->typed.pool[dtype], which also has the
 * Lp pools of both float dtypes. MaxPool's optional Indices output (int64, ONNX's NCHW flat
 * index of each maximum, storage_order 0/1) takes the typed max kernel of every dtype.
 * AveragePool on quantized int8/uint8 tensors runs the qpool kernels (attribute requant:
 * TFLite or onnxruntime arithmetic). MaxUnpool lives in ops/pool_unpool.c.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"
#include "kernels/matmul/gemm.h" /* kernel dispatch table */
#include "kernels/pool/pool.h"
#include "kernels/pool/pool_typed.h"
#include "kernels/quant/qpool.h"

typedef struct pool_state {
    pml_pool_geom g;
    pml_f32_pool_fn fn;      /* float32 */
    pml_pool_typed_fn typed; /* other dtypes */
    pml_maxpool_idx_fn with_idx; /* MaxPool with its Indices output, every dtype */
    pml_qavgpool_fn qavg;    /* AveragePool on quantized int8/uint8 */
    pml_qavgpool_params qp;
    int threads;
} pool_state;

/* 1 when every output position along one axis has at least one input tap. */
static int axis_windows_nonempty(int64_t out, int64_t stride, int64_t pad, int64_t dil, int64_t k, int64_t n) {
    const int64_t span = (k - 1) * dil;
    for (int64_t o = 0; o < out; o++) {
        int64_t start = o * stride - pad;
        if (start >= 0 && start + span < n) {
            /* this window and the ones after it up to the last that ends inside x have taps: only
             * windows hanging over an edge can miss x (O(out) here took 26 s for a 2^31 dim) */
            o = (n - 1 - span + pad) / stride;
            continue;
        }
        int64_t k0, k1;
        pml_window_taps(o * stride - pad, dil, k, n, &k0, &k1);
        if (k0 == k1) return 0;
    }
    return 1;
}

static pml_status pool_parse(const pml_kernel_ctx *ctx, pml_pool_geom *g) {
    static const int64_t one2[2] = {1, 1}, zero4[4] = {0, 0, 0, 0};
    char bx[160];
    pml_status s;
    const pml_tensor *x;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    pml_shape_str(x->rank, x->dims, bx, sizeof bx);
    if (x->rank != 4) return pml_node_error(ctx, PML_ERR_SHAPE, "input 'x' must have rank 4 (NHWC), got %s", bx);
    memset(g, 0, sizeof *g);
    g->n = x->dims[0], g->h = x->dims[1], g->w = x->dims[2], g->c = x->dims[3];
    if (g->h < 1 || g->w < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x %s (NHWC) needs H and W >= 1", bx);
    const int op = ctx->node->op;
    if (op == PML_OP_LPPOOL || op == PML_OP_GLOBALLPPOOL) {
        g->p = pml_attr_float(ctx->node, "p", 2.0f);
        if (!(g->p > 0.0f && g->p < INFINITY)) /* also NaN */
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute p=%g must be a positive finite number",
                                  (double)g->p);
    }
    if (op == PML_OP_GLOBALAVERAGEPOOL || op == PML_OP_GLOBALMAXPOOL || op == PML_OP_GLOBALLPPOOL) {
        g->kh = g->h, g->kw = g->w;
        g->sh = g->sw = g->dh = g->dw = 1;
        g->oh = g->ow = 1;
        return PML_OK;
    }
    int64_t k[2], st[2], dil[2], pads[4], ceil_mode, cip = 0;
    const pml_attr *ka = pml_attr_find(ctx->node, "kernel");
    if (!ka) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required attribute 'kernel' is missing");
    if ((s = pml_attr_ints_checked(ctx, "kernel", 2, one2, 1, PML_MAX_WINDOW_ATTR, k)) ||
        (s = pml_attr_ints_checked(ctx, "strides", 2, one2, 1, PML_MAX_WINDOW_ATTR, st)) ||
        (s = pml_attr_ints_checked(ctx, "dilations", 2, one2, 1, PML_MAX_WINDOW_ATTR, dil)) ||
        (s = pml_attr_ints_checked(ctx, "pads", 4, zero4, 0, PML_MAX_WINDOW_ATTR, pads)) ||
        (s = pml_attr_int_checked(ctx, "ceil_mode", 0, 0, 1, &ceil_mode)))
        return s;
    if (op == PML_OP_AVERAGEPOOL && (s = pml_attr_int_checked(ctx, "count_include_pad", 0, 0, 1, &cip))) return s;
    int64_t storage_order = 0;
    if (op == PML_OP_MAXPOOL && (s = pml_attr_int_checked(ctx, "storage_order", 0, 0, 1, &storage_order))) return s;
    g->storage_order = (int)storage_order;
    g->kh = k[0], g->kw = k[1], g->sh = st[0], g->sw = st[1], g->dh = dil[0], g->dw = dil[1];
    g->pt = pads[0], g->pl = pads[1], g->pb = pads[2], g->pr = pads[3];
    int64_t auto_pad = 0; /* 1 SAME_UPPER, 2 SAME_LOWER: the pads follow this input's size */
    if ((s = pml_attr_int_checked(ctx, "auto_pad", 0, 0, 2, &auto_pad))) return s;
    if (auto_pad) {
        pml_same_pads(g->h, g->kh, g->sh, g->dh, auto_pad == 2, &g->pt, &g->pb);
        pml_same_pads(g->w, g->kw, g->sw, g->dw, auto_pad == 2, &g->pl, &g->pr);
    }
    g->count_include_pad = (int)cip;
    g->oh = pml_window_out(g->h, g->kh, g->sh, g->dh, g->pt, g->pb, (int)ceil_mode);
    g->ow = pml_window_out(g->w, g->kw, g->sw, g->dw, g->pl, g->pr, (int)ceil_mode);
    if (g->oh < 1 || g->ow < 1) return pml_window_too_large(ctx, x, g->kh, g->kw, g->dh, g->dw, pads);
    if (!axis_windows_nonempty(g->oh, g->sh, g->pt, g->dh, g->kh, g->h) ||
        !axis_windows_nonempty(g->ow, g->sw, g->pl, g->dw, g->kw, g->w))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "some pooling windows cover only padding (x %s, kernel %lldx%lld, pads "
                              "[%lld,%lld,%lld,%lld], dilations [%lld,%lld])",
                              bx, (long long)g->kh, (long long)g->kw, (long long)g->pt, (long long)g->pl,
                              (long long)g->pb, (long long)g->pr, (long long)g->dh, (long long)g->dw);
    return PML_OK;
}

/* MaxPool's optional second output, Indices, is wanted. */
static int has_indices(const pml_kernel_ctx *ctx) { return ctx->n_out > 1 && ctx->out[1]; }

static pml_status pool_infer(pml_kernel_ctx *ctx) {
    pml_pool_geom g;
    pml_status s = pool_parse(ctx, &g);
    if (s) return s;
    const int64_t dims[4] = {g.n, g.oh, g.ow, g.c};
    if ((s = pml_ew_set_output(ctx, 0, ctx->in[0]->dtype, 4, dims)) != PML_OK) return s;
    return has_indices(ctx) ? pml_ew_set_output(ctx, 1, PML_INT64, 4, dims) : PML_OK;
}

/* AveragePool on quantized int8/uint8 (kernels/quant/qpool.h): per-tensor parameters on x and
 * y; requant 0 (TFLite) needs them equal, as TFLite does, 1 (onnxruntime) rescales. */
static pml_status qavg_prepare(pml_kernel_ctx *ctx, pool_state *st) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const int64_t mode = pml_attr_int(ctx->node, "requant", 0);
    if (x->dtype != PML_INT8 && x->dtype != PML_UINT8)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s tensors (only int8/uint8 AveragePool is)",
                              pml_dtype_name(x->dtype));
    if (!x->quant || !y->quant || x->quant->count != 1 || y->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized AveragePool needs per-tensor parameters on its input and output");
    if (mode != 0 && mode != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1", (long long)mode);
    const float xs = x->quant->scale[0], ys = y->quant->scale[0];
    const int32_t xz = x->quant->zero_point[0], yz = y->quant->zero_point[0];
    if (mode == 0 && (xs != ys || xz != yz))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "TFLite AveragePool (requant=0) with output parameters "
                              "other than its input's");
    const int u8 = x->dtype == PML_UINT8;
    st->qavg = u8 ? ctx->config->qu8->avgpool : ctx->config->qs8->avgpool;
    st->qp = (pml_qavgpool_params){(int32_t)mode, u8 ? 0 : -128, u8 ? 255 : 127, xs, ys, xz, yz};
    st->threads = pml_threadpool_size(ctx->pool);
    return PML_OK;
}

static pml_status pool_prepare(pml_kernel_ctx *ctx) {
    pool_state *st = (pool_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for pool state");
    memset(st, 0, sizeof *st);
    ctx->state = st;
    ctx->state_size = sizeof *st;
    pml_status s = pool_parse(ctx, &st->g);
    if (s) return s;
    const int op = ctx->node->op;
    if (ctx->in[0]->quant && op == PML_OP_AVERAGEPOOL) return qavg_prepare(ctx, st); /* MaxPool: stored values */
    if (op == PML_OP_AVERAGEPOOL && (ctx->in[0]->dtype == PML_INT8 || ctx->in[0]->dtype == PML_UINT8))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "AveragePool on %s needs quantization parameters (the "
                              "schema admits it for quantized tensors only)", pml_dtype_name(ctx->in[0]->dtype));
    const int is_max = op == PML_OP_MAXPOOL || op == PML_OP_GLOBALMAXPOOL;
    const int is_lp = op == PML_OP_LPPOOL || op == PML_OP_GLOBALLPPOOL;
    const pml_f32_kernels *kern = ctx->config->f32.mm;
    const pml_dtype dt = ctx->in[0]->dtype;
    if (has_indices(ctx)) {
        const pml_pool_typed *tab = ctx->config->typed.pool[dt];
        st->with_idx = tab ? tab->maxpool_idx : NULL;
        if (!st->with_idx)
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no MaxPool-with-Indices kernel for dtype %s", pml_dtype_name(dt));
    } else if (dt == PML_FLOAT32 && !is_lp) {
        st->fn = is_max ? kern->maxpool : kern->avgpool;
    } else {
        const pml_pool_typed *tab = ctx->config->typed.pool[dt];
        st->typed = !tab ? NULL : is_max ? tab->maxpool : is_lp ? tab->lppool : tab->avgpool;
        if (!st->typed) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no pool kernel for dtype %s", pml_dtype_name(dt));
    }
    st->threads = pml_threadpool_size(ctx->pool);
    return PML_OK;
}

static void pool_release(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->state);
    ctx->state = NULL;
    ctx->state_size = 0;
}

typedef struct pool_run_ctx {
    const pool_state *st;
    const void *x;
    void *y;
    int64_t *idx; /* MaxPool's Indices, or NULL */
    int64_t rows_per_task;
} pool_run_ctx;

static void pool_task(void *arg, int64_t task, int thread) {
    const pool_run_ctx *rc = (const pool_run_ctx *)arg;
    const int64_t rows = rc->st->g.n * rc->st->g.oh;
    const int64_t r0 = task * rc->rows_per_task, r1 = r0 + rc->rows_per_task < rows ? r0 + rc->rows_per_task : rows;
    (void)thread;
    if (rc->st->qavg) rc->st->qavg(&rc->st->g, rc->x, rc->y, r0, r1, &rc->st->qp);
    else if (rc->st->with_idx) rc->st->with_idx(&rc->st->g, rc->x, rc->y, rc->idx, r0, r1);
    else if (rc->st->typed) rc->st->typed(&rc->st->g, rc->x, rc->y, r0, r1);
    else rc->st->fn(&rc->st->g, (const float *)rc->x, (float *)rc->y, r0, r1);
}

static pml_status pool_run(pml_kernel_ctx *ctx) {
    const pool_state *st = (const pool_state *)ctx->state;
    const int64_t rows = st->g.n * st->g.oh;
    if (rows == 0 || st->g.c == 0) return PML_OK;
    pool_run_ctx rc = {st, ctx->in[0]->data, ctx->out[0]->data, has_indices(ctx) ? (int64_t *)ctx->out[1]->data : NULL, 0};
    const int64_t tasks = rows < 4 * (int64_t)st->threads ? rows : 4 * (int64_t)st->threads;
    rc.rows_per_task = (rows + tasks - 1) / tasks;
    pml_parallel_for(ctx->pool, (rows + rc.rows_per_task - 1) / rc.rows_per_task, pool_task, &rc);
    return PML_OK;
}

static const pml_op_def k_maxpool = {PML_OP_MAXPOOL, pool_infer, pool_prepare, pool_run,
                                     pool_release};
static const pml_op_def k_avgpool = {PML_OP_AVERAGEPOOL, pool_infer, pool_prepare, pool_run,
                                     pool_release};
static const pml_op_def k_gavgpool = {PML_OP_GLOBALAVERAGEPOOL, pool_infer,
                                      pool_prepare, pool_run, pool_release};
static const pml_op_def k_gmaxpool = {PML_OP_GLOBALMAXPOOL, pool_infer, pool_prepare,
                                      pool_run, pool_release};

static const pml_op_def k_lppool = {PML_OP_LPPOOL, pool_infer, pool_prepare, pool_run, pool_release};
static const pml_op_def k_glppool = {PML_OP_GLOBALLPPOOL, pool_infer, pool_prepare, pool_run, pool_release};

extern const pml_op_def pml_maxunpool_def; /* ops/pool_unpool.c */

const pml_op_def *const pml_pool_ops[] = {&k_maxpool, &k_avgpool, &k_gavgpool, &k_gmaxpool, &k_lppool, &k_glppool,
                                          &pml_maxunpool_def, NULL};
