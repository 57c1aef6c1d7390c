/*
 * ops/reduce.c — the reductions (ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/
 * LogSumExp) over a set of axes (negative allowed; empty = all axes unless
 * noop_with_empty_axes), with keepdims, and ArgMax/ArgMin. Input dtypes are
 * checked by the generated op schema.
 *
 * prepare drops size-1 axes and merges neighbouring axes that are both
 * reduced or both kept, leaving alternating groups. float32 Sum, Mean and Max
 * keep their fast path: run walks the input one innermost row at a time; if
 * the innermost group is reduced the row collapses to one value (SIMD
 * sum/max) added into its output element, otherwise the row is accumulated
 * element-wise into its output row (SIMD acc_add/acc_max). Sums accumulate in
 * double (arena scratch, one double per output) so long reductions stay
 * accurate to ~1e-7 relative. Outputs start at 0 (sum/mean) or -inf (max); an
 * empty reduction therefore gives 0, NaN (mean: 0/0) and -inf as ONNX does.
 * Threads split the first group when it is kept (disjoint outputs).
 *
 * Every other (op, dtype) runs the type-generic kernel prepare takes from
 * ctx->config->typed.reduce[dtype] (kernels/reduce/reduce_typed.h: float16 in
 * float32 rounded once, integers wrapping, bool Max/Min as any/all). With
 * noop_with_empty_axes those apply the op to each element alone (|x| for L1/L2,
 * x*x for SumSquare). ArgMax/ArgMin scan one axis (first or last extreme; NaN
 * wins, as numpy's argmax/argmin) with the dtype's arg kernel.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "kernels/reduce/reduce_typed.h"
#include "params.h"
#include "reduce_q8.h"
#include "validate.h"

typedef struct reduce_state {
    const pml_ew_kernels *k;
    int m;                        /* collapsed groups (0: plain copy) */
    int64_t dims[PML_MAX_RANK];   /* group sizes */
    int reduced[PML_MAX_RANK];    /* group is reduced */
    int64_t ostride[PML_MAX_RANK]; /* output element stride of each group (0 if reduced) */
    int64_t count;                /* elements folded into each output (for mean) */
    int is_max, is_mean, copy;
    pml_reduce_typed_fn typed; /* every (op, dtype) but float32 Sum/Mean/Max: the type-generic kernel */
    pml_reduce_plan plan;      /* its view of the groups */
    const float *x;
    float *y;   /* max: the output itself */
    double *acc; /* sum/mean: arena scratch, one double per output */
} reduce_state;

/* The typed kernel's kind for a reduce op code. */
static int reduce_kind(int op) {
    switch (op) {
    case PML_OP_REDUCESUM: return PML_RED_SUM;
    case PML_OP_REDUCEMEAN: return PML_RED_MEAN;
    case PML_OP_REDUCEMAX: return PML_RED_MAX;
    case PML_OP_REDUCEMIN: return PML_RED_MIN;
    case PML_OP_REDUCEPROD: return PML_RED_PROD;
    case PML_OP_REDUCEL1: return PML_RED_L1;
    case PML_OP_REDUCEL2: return PML_RED_L2;
    case PML_OP_REDUCESUMSQUARE: return PML_RED_SUMSQUARE;
    default: return PML_RED_LOGSUMEXP;
    }
}

static pml_status reduce_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"keepdims", "noop_with_empty_axes", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s;
    int mask[PML_MAX_RANK], noop;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_reduce_axes(ctx, x, mask, &noop)) != PML_OK)
        return s;
    int keep = pml_attr_int(ctx->node, "keepdims", 1) != 0, r = 0;
    int64_t dims[PML_MAX_RANK];
    for (int a = 0; a < x->rank; a++) {
        if (!mask[a]) dims[r++] = x->dims[a];
        else if (keep) dims[r++] = 1;
    }
    return pml_ew_set_output(ctx, 0, x->dtype, r, dims);
}

static pml_status reduce_prepare(pml_kernel_ctx *ctx) {
    reduce_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    int mask[PML_MAX_RANK], noop;
    pml_status s = pml_reduce_axes(ctx, x, mask, &noop);
    if (s != PML_OK) return s;
    st->k = ctx->config->f32.ew;
    int op = ctx->node->op;
    st->is_max = op == PML_OP_REDUCEMAX;
    st->is_mean = op == PML_OP_REDUCEMEAN;
    st->count = 1;
    int generic = x->dtype != PML_FLOAT32 || (op != PML_OP_REDUCEMEAN && op != PML_OP_REDUCESUM && !st->is_max);
    if (generic) {
        const pml_reduce_typed *tab = ctx->config->typed.reduce[x->dtype];
        st->typed = tab ? tab->reduce[reduce_kind(op)] : NULL;
        if (!st->typed) /* the schema admits only dtypes with a kernel; a stale table is a bug, not a crash */
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no reduction kernel for dtype %s",
                                  pml_dtype_name(x->dtype));
    }
    for (int a = 0; a < x->rank; a++)
        if (mask[a]) st->count *= x->dims[a];
    if (noop) {
        st->copy = 1;
        if (!generic) return PML_OK;
        memset(mask, 0, sizeof(int) * PML_MAX_RANK); /* the op on each element alone */
    }
    int m = 0;
    for (int a = 0; a < x->rank; a++) {
        if (x->dims[a] == 1) continue; /* size 1: reducing or keeping it moves nothing */
        if (m > 0 && st->reduced[m - 1] == mask[a]) {
            st->dims[m - 1] *= x->dims[a];
        } else {
            st->dims[m] = x->dims[a];
            st->reduced[m] = mask[a];
            m++;
        }
    }
    st->m = m;
    st->copy = m == 0 || pml_shape_numel(x->rank, x->dims) == pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims);
    int64_t n_out = pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims);
    if (generic) { /* no shortcut: L1/L2/SumSquare transform even single elements */
        st->copy = 0;
        if (m == 0) st->m = m = 1, st->dims[0] = pml_shape_numel(x->rank, x->dims), st->reduced[0] = 1;
        ctx->scratch_size = (size_t)n_out * 2 * sizeof(double);
    } else if (!st->copy && !st->is_max) {
        ctx->scratch_size = (size_t)n_out * sizeof(double);
    }
    int64_t t = 1;
    for (int g = m - 1; g >= 0; g--) {
        st->ostride[g] = st->reduced[g] ? 0 : t;
        if (!st->reduced[g]) t *= st->dims[g];
    }
    if (generic) {
        st->plan.m = m;
        memcpy(st->plan.dims, st->dims, sizeof st->dims);
        memcpy(st->plan.reduced, st->reduced, sizeof st->reduced);
        memcpy(st->plan.ostride, st->ostride, sizeof st->ostride);
        st->plan.n_out = n_out;
        st->plan.count = st->count;
    }
    return PML_OK;
}

/* Input rows under first-group indices [g0, g1) (all rows when group 0 is reduced). */
static void reduce_range(void *arg, int64_t g0, int64_t g1) {
    const reduce_state *st = (const reduce_state *)arg;
    const int m = st->m;
    const int64_t inner = st->dims[m - 1];
    int64_t rows_per_g0 = m >= 2 ? pml_shape_numel(m - 2, st->dims + 1) : 1;
    if (m == 1) rows_per_g0 = 1, g0 = 0, g1 = 1; /* a single (reduced) group: one row */
    for (int64_t row = g0 * rows_per_g0; row < g1 * rows_per_g0; row++) {
        int64_t t = row, off = 0;
        for (int g = m - 2; g >= 0; g--) {
            off += (t % st->dims[g]) * st->ostride[g];
            t /= st->dims[g];
        }
        const float *x = st->x + row * inner;
        if (st->reduced[m - 1]) {
            if (st->is_max) {
                float v = st->k->max((size_t)inner, x);
                st->y[off] = v > st->y[off] || v != v ? v : st->y[off];
            } else {
                st->acc[off] += st->k->sum((size_t)inner, x);
            }
        } else if (st->is_max) {
            st->k->acc_max((size_t)inner, x, st->y + off);
        } else {
            st->k->acc_add((size_t)inner, x, st->acc + off);
        }
    }
}

static pml_status reduce_run(pml_kernel_ctx *ctx) {
    reduce_state *st = (reduce_state *)ctx->state;
    const pml_tensor *x = ctx->in[0], *yt = ctx->out[0];
    if (st->typed) {
        st->typed(&st->plan, x->data, yt->data, ctx->scratch);
        return PML_OK;
    }
    if (st->copy) {
        if (yt->data != x->data && yt->nbytes) memcpy(yt->data, x->data, yt->nbytes);
        return PML_OK;
    }
    st->x = (const float *)x->data;
    st->y = (float *)yt->data;
    st->acc = (double *)ctx->scratch;
    int64_t n_out = pml_shape_numel(yt->rank, yt->dims);
    for (int64_t i = 0; i < n_out; i++) {
        if (st->is_max) st->y[i] = -INFINITY;
        else st->acc[i] = 0.0;
    }
    if (pml_shape_numel(x->rank, x->dims) > 0) {
        if (!st->reduced[0] && st->m >= 2) {
            int64_t per = pml_shape_numel(st->m - 1, st->dims + 1);
            pml_ew_parallel(ctx, st->dims[0], PML_EW_PARALLEL_MIN / per + 1, reduce_range, st);
        } else {
            reduce_range(st, 0, st->m >= 2 ? st->dims[0] : 1);
        }
    }
    if (!st->is_max) {
        double c = st->is_mean ? (double)st->count : 1.0; /* count 0: mean of nothing is 0/0 = NaN */
        for (int64_t i = 0; i < n_out; i++) st->y[i] = (float)(st->acc[i] / c);
    }
    return PML_OK;
}

/* ReduceMean on quantized tensors: ops/reduce_q8.c */
static pml_status mean_prepare(pml_kernel_ctx *ctx) {
    const pml_dtype dt = ctx->in[0]->dtype;
    if (!ctx->in[0]->quant && (dt == PML_INT8 || dt == PML_UINT8 || dt == PML_INT16))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "ReduceMean on %s needs quantization parameters "
                              "(the schema admits it for quantized tensors only)", pml_dtype_name(dt));
    return ctx->in[0]->quant ? pml_q8_mean_prepare(ctx) : reduce_prepare(ctx);
}

static pml_status mean_run(pml_kernel_ctx *ctx) {
    return ctx->in[0]->quant ? pml_q8_mean_run(ctx) : reduce_run(ctx);
}

static const pml_op_def g_reduce_mean = {PML_OP_REDUCEMEAN, reduce_infer, mean_prepare, mean_run, pml_ew_release};
static const pml_op_def g_reduce_sum = {PML_OP_REDUCESUM, reduce_infer, reduce_prepare,
                                        reduce_run, pml_ew_release};
static const pml_op_def g_reduce_max = {PML_OP_REDUCEMAX, reduce_infer, reduce_prepare,
                                        reduce_run, pml_ew_release};

#define PML_REDUCE_DEF(code) \
    static const pml_op_def g_##code = {PML_OP_##code, reduce_infer, reduce_prepare, reduce_run, pml_ew_release}
PML_REDUCE_DEF(REDUCEMIN);
PML_REDUCE_DEF(REDUCEPROD);
PML_REDUCE_DEF(REDUCEL1);
PML_REDUCE_DEF(REDUCEL2);
PML_REDUCE_DEF(REDUCESUMSQUARE);
PML_REDUCE_DEF(REDUCELOGSUMEXP);

/* ---- ArgMax / ArgMin ------------------------------------------------------------------------------------ */

static pml_status arg_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"keepdims", "select_last_index", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 1");
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), x->rank, "axis", &axis)) != PML_OK) return s;
    if (x->dims[axis] == 0) return pml_node_error(ctx, PML_ERR_SHAPE, "axis %d has size 0: no index to return", axis);
    int keep = pml_attr_int(ctx->node, "keepdims", 1) != 0, r = 0;
    int64_t dims[PML_MAX_RANK];
    for (int a = 0; a < x->rank; a++)
        if (a != axis) dims[r++] = x->dims[a];
        else if (keep) dims[r++] = 1;
    return pml_ew_set_output(ctx, 0, PML_INT64, r, dims);
}

static pml_status arg_prepare(pml_kernel_ctx *ctx) {
    pml_arg_typed_fn *fn = pml_ew_alloc_state(ctx, sizeof *fn);
    if (!fn) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_reduce_typed *tab = ctx->config->typed.reduce[ctx->in[0]->dtype];
    if (!tab || !tab->arg)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no arg kernel for dtype %s", pml_dtype_name(ctx->in[0]->dtype));
    *fn = tab->arg;
    return PML_OK;
}

static pml_status arg_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), x->rank, "axis", &axis);
    int64_t n = x->dims[axis], outer = pml_shape_numel(axis, x->dims);
    int64_t inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    (*(const pml_arg_typed_fn *)ctx->state)(x->data, outer, n, inner, ctx->node->op == PML_OP_ARGMAX,
                                            pml_attr_int(ctx->node, "select_last_index", 0) != 0,
                                            (int64_t *)ctx->out[0]->data);
    return PML_OK;
}

static const pml_op_def g_argmax = {PML_OP_ARGMAX, arg_infer, arg_prepare, arg_run, pml_ew_release};
static const pml_op_def g_argmin = {PML_OP_ARGMIN, arg_infer, arg_prepare, arg_run, pml_ew_release};

const pml_op_def *const pml_reduce_ops[] = {&g_reduce_mean, &g_reduce_sum, &g_reduce_max, &g_REDUCEMIN, &g_REDUCEPROD,
                                            &g_REDUCEL1, &g_REDUCEL2, &g_REDUCESUMSQUARE, &g_REDUCELOGSUMEXP,
                                            &g_argmax, &g_argmin, NULL};
