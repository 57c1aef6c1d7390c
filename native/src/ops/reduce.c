/*
 * ops/reduce.c — ReduceMean (float32), ReduceSum and ReduceMax (float32,
 * int32, int64) over a set of axes (negative allowed; empty = all axes
 * unless noop_with_empty_axes), with keepdims.
 *
 * prepare drops size-1 axes and merges neighbouring axes that are both
 * reduced or both kept, leaving alternating groups. run walks the input one
 * innermost row at a time: if the innermost group is reduced the row
 * collapses to one value (SIMD sum/max) added into its output element,
 * otherwise the row is accumulated element-wise into its output row (SIMD
 * acc_add/acc_max). Sums accumulate in double (arena scratch, one double per
 * output) so long reductions stay accurate to ~1e-7 relative. Outputs start at
 * 0 (sum/mean) or -inf (max); an empty reduction therefore gives 0, NaN
 * (mean: 0/0) and -inf as ONNX does. Integer inputs take a scalar path with an
 * int64 accumulator per output (sums wrap like the output type; an empty
 * max gives the type's minimum, as numpy's initial=iinfo.min).
 * Threads split the first group when it is kept (disjoint outputs).
 *
 * ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare and
 * ReduceLogSumExp share the axis grouping but run one scalar reference loop
 * (generic_run): floats accumulate in double, integers in int64 (wrapping
 * like the output type). LogSumExp takes the max first and sums exp(x - max)
 * so it never overflows. With noop_with_empty_axes they apply the op to each
 * element alone (|x| for L1/L2, x*x for SumSquare). ArgMax/ArgMin scan one
 * axis (first or last extreme; NaN wins, as numpy's argmax/argmin).
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "validate.h"

typedef struct reduce_state {
    const pml_ew_kernels *k;
    int m;                        /* collapsed groups (0: plain copy) */
    int64_t dims[PML_MAX_RANK];   /* group sizes */
    int reduced[PML_MAX_RANK];    /* group is reduced */
    int64_t ostride[PML_MAX_RANK]; /* output element stride of each group (0 if reduced) */
    int64_t count;                /* elements folded into each output (for mean) */
    int is_max, is_mean, copy;
    int generic; /* Min/Prod/L1/L2/SumSquare/LogSumExp: generic_run */
    pml_dtype dtype;
    const float *x;
    float *y;   /* max: the output itself */
    double *acc; /* sum/mean: arena scratch, one double per output */
    int64_t *iacc; /* integer inputs: the same scratch as int64 */
} reduce_state;

static const pml_dtype g_types[] = {PML_FLOAT32, PML_INT32, PML_INT64};

/* Which axes are reduced; returns PML_OK and sets *noop when nothing is. */
static pml_status reduce_axes(pml_kernel_ctx *ctx, const pml_tensor *x, int *mask, int *noop) {
    const int64_t *axes = NULL;
    int n = pml_attr_ints(ctx->node, "axes", &axes);
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

static pml_status reduce_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    int mask[PML_MAX_RANK], noop;
    int op = ctx->node->op;
    int n_types = op == PML_OP_REDUCEMEAN || op == PML_OP_REDUCEL2 || op == PML_OP_REDUCELOGSUMEXP ? 1 : 3;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_check_dtype(ctx, x, "x", g_types, n_types)) != PML_OK ||
        (s = reduce_axes(ctx, x, mask, &noop)) != PML_OK)
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
    pml_status s = reduce_axes(ctx, x, mask, &noop);
    if (s != PML_OK) return s;
    st->k = ctx->config->f32.ew;
    st->is_max = ctx->node->op == PML_OP_REDUCEMAX;
    st->is_mean = ctx->node->op == PML_OP_REDUCEMEAN;
    st->dtype = x->dtype;
    st->count = 1;
    int op = ctx->node->op;
    st->generic = op != PML_OP_REDUCEMEAN && op != PML_OP_REDUCESUM && op != PML_OP_REDUCEMAX;
    for (int a = 0; a < x->rank; a++)
        if (mask[a]) st->count *= x->dims[a];
    if (noop) {
        st->copy = 1;
        if (!st->generic) return PML_OK;
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
    if (st->generic) { /* no shortcut: L1/L2/SumSquare transform even single elements */
        st->copy = 0;
        if (m == 0) st->m = m = 1, st->dims[0] = pml_shape_numel(x->rank, x->dims), st->reduced[0] = 1;
        ctx->scratch_size = (size_t)pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims) * 2 * sizeof(double);
    } else if (!st->copy && (!st->is_max || st->dtype != PML_FLOAT32))
        ctx->scratch_size = (size_t)pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims) * sizeof(double);
    int64_t t = 1;
    for (int g = m - 1; g >= 0; g--) {
        st->ostride[g] = st->reduced[g] ? 0 : t;
        if (!st->reduced[g]) t *= st->dims[g];
    }
    return PML_OK;
}

/* One input row of an integer tensor into the int64 accumulators. */
#define PML_REDUCE_INT_ROW(T)                                                                             \
    static void reduce_row_##T(const reduce_state *st, const T *x, int64_t n, int64_t off, int last_reduced) { \
        int64_t *acc = st->iacc + off;                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                                 \
            int64_t *a = last_reduced ? acc : acc + i, v = x[i];                                          \
            if (st->is_max) *a = v > *a ? v : *a;                                                         \
            else *a = (int64_t)((uint64_t)*a + (uint64_t)v); /* wraps instead of overflowing */          \
        }                                                                                                 \
    }
PML_REDUCE_INT_ROW(int32_t)
PML_REDUCE_INT_ROW(int64_t)

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
        if (st->dtype == PML_INT32) {
            reduce_row_int32_t(st, (const int32_t *)st->x + row * inner, inner, off, st->reduced[m - 1]);
            continue;
        }
        if (st->dtype == PML_INT64) {
            reduce_row_int64_t(st, (const int64_t *)st->x + row * inner, inner, off, st->reduced[m - 1]);
            continue;
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

/* ---- Min / Prod / L1 / L2 / SumSquare / LogSumExp: one scalar loop --------------------------------------- */

/* Calls body(o, v) for every input element: o its output index, v its value as
 * double (float inputs) or int64 (integer inputs, in iv). */
#define PML_REDUCE_WALK(st, body)                                                                 \
    do {                                                                                          \
        const int m_ = (st)->m;                                                                   \
        const int64_t inner_ = (st)->dims[m_ - 1], rows_ = pml_shape_numel(m_ - 1, (st)->dims);   \
        const int last_red_ = (st)->reduced[m_ - 1];                                              \
        for (int64_t row_ = 0; row_ < rows_; row_++) {                                            \
            int64_t t_ = row_, off_ = 0;                                                          \
            for (int g_ = m_ - 2; g_ >= 0; g_--) {                                                \
                off_ += (t_ % (st)->dims[g_]) * (st)->ostride[g_];                                \
                t_ /= (st)->dims[g_];                                                             \
            }                                                                                     \
            for (int64_t i_ = 0; i_ < inner_; i_++) {                                             \
                int64_t o = off_ + (last_red_ ? 0 : i_), e_ = row_ * inner_ + i_;                 \
                double v = 0;                                                                     \
                int64_t iv = 0;                                                                   \
                if ((st)->dtype == PML_FLOAT32) v = ((const float *)xd)[e_];                      \
                else if ((st)->dtype == PML_INT32) iv = ((const int32_t *)xd)[e_];                \
                else iv = ((const int64_t *)xd)[e_];                                              \
                (void)v, (void)iv;                                                                \
                body;                                                                             \
            }                                                                                     \
        }                                                                                         \
    } while (0)

static pml_status generic_run(pml_kernel_ctx *ctx, reduce_state *st) {
    const pml_tensor *x = ctx->in[0], *yt = ctx->out[0];
    const void *xd = x->data;
    const int op = ctx->node->op, is_float = st->dtype == PML_FLOAT32;
    int64_t n_out = pml_shape_numel(yt->rank, yt->dims);
    double *acc = (double *)ctx->scratch, *acc2 = acc + n_out;
    int64_t *iacc = (int64_t *)ctx->scratch;
    for (int64_t o = 0; o < n_out; o++) {
        double init = op == PML_OP_REDUCEMIN ? INFINITY : op == PML_OP_REDUCEPROD ? 1.0
                      : op == PML_OP_REDUCELOGSUMEXP ? -INFINITY : 0.0;
        if (is_float) acc[o] = init, acc2[o] = 0.0;
        else iacc[o] = op == PML_OP_REDUCEMIN ? (st->dtype == PML_INT32 ? INT32_MAX : INT64_MAX) : op == PML_OP_REDUCEPROD;
    }
    if (pml_shape_numel(x->rank, x->dims) > 0) {
        if (is_float) {
            switch (op) {
            case PML_OP_REDUCEMIN: PML_REDUCE_WALK(st, acc[o] = v < acc[o] || v != v ? v : acc[o]); break;
            case PML_OP_REDUCEPROD: PML_REDUCE_WALK(st, acc[o] *= v); break;
            case PML_OP_REDUCEL1: PML_REDUCE_WALK(st, acc[o] += fabs(v)); break;
            case PML_OP_REDUCELOGSUMEXP:
                PML_REDUCE_WALK(st, acc[o] = v > acc[o] || v != v ? v : acc[o]);
                PML_REDUCE_WALK(st, acc2[o] += isfinite(acc[o]) ? exp(v - acc[o]) : 0.0);
                break;
            default: PML_REDUCE_WALK(st, acc[o] += v * v); break; /* L2, SumSquare */
            }
        } else {
            switch (op) {
            case PML_OP_REDUCEMIN: PML_REDUCE_WALK(st, iacc[o] = iv < iacc[o] ? iv : iacc[o]); break;
            case PML_OP_REDUCEPROD: PML_REDUCE_WALK(st, iacc[o] = (int64_t)((uint64_t)iacc[o] * (uint64_t)iv)); break;
            case PML_OP_REDUCEL1:
                PML_REDUCE_WALK(st, iacc[o] = (int64_t)((uint64_t)iacc[o] + (iv < 0 ? (uint64_t)0 - (uint64_t)iv : (uint64_t)iv)));
                break;
            default: PML_REDUCE_WALK(st, iacc[o] = (int64_t)((uint64_t)iacc[o] + (uint64_t)iv * (uint64_t)iv)); break;
            }
        }
    }
    for (int64_t o = 0; o < n_out; o++) {
        if (st->dtype == PML_INT32) ((int32_t *)yt->data)[o] = (int32_t)(uint32_t)(uint64_t)iacc[o];
        else if (st->dtype == PML_INT64) ((int64_t *)yt->data)[o] = iacc[o];
        else {
            double r = acc[o];
            if (op == PML_OP_REDUCEL2) r = sqrt(r);
            /* all -inf or empty: -inf; +inf or NaN max: itself */
            else if (op == PML_OP_REDUCELOGSUMEXP && isfinite(r)) r += log(acc2[o]);
            ((float *)yt->data)[o] = (float)r;
        }
    }
    return PML_OK;
}

static pml_status reduce_run(pml_kernel_ctx *ctx) {
    reduce_state *st = (reduce_state *)ctx->state;
    const pml_tensor *x = ctx->in[0], *yt = ctx->out[0];
    if (st->generic) return generic_run(ctx, st);
    if (st->copy) {
        if (yt->data != x->data && yt->nbytes) memcpy(yt->data, x->data, yt->nbytes);
        return PML_OK;
    }
    st->x = (const float *)x->data;
    st->y = (float *)yt->data;
    st->acc = (double *)ctx->scratch;
    st->iacc = (int64_t *)ctx->scratch;
    int64_t n_out = pml_shape_numel(yt->rank, yt->dims);
    int is_int = st->dtype != PML_FLOAT32;
    int64_t imin = st->dtype == PML_INT32 ? INT32_MIN : INT64_MIN;
    for (int64_t i = 0; i < n_out; i++) {
        if (is_int) st->iacc[i] = st->is_max ? imin : 0;
        else if (st->is_max) st->y[i] = -INFINITY;
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
    if (st->dtype == PML_INT32) {
        for (int64_t i = 0; i < n_out; i++) ((int32_t *)yt->data)[i] = (int32_t)(uint32_t)(uint64_t)st->iacc[i];
    } else if (st->dtype == PML_INT64) {
        if (yt->data != (void *)st->iacc) memcpy(yt->data, st->iacc, (size_t)n_out * sizeof(int64_t));
    } else if (!st->is_max) {
        double c = st->is_mean ? (double)st->count : 1.0; /* count 0: mean of nothing is 0/0 = NaN */
        for (int64_t i = 0; i < n_out; i++) st->y[i] = (float)(st->acc[i] / c);
    }
    return PML_OK;
}

static const pml_op_def g_reduce_mean = {PML_OP_REDUCEMEAN, reduce_infer, reduce_prepare,
                                         reduce_run, pml_ew_release};
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
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_check_dtype(ctx, x, "x", g_types, 3)) != PML_OK)
        return s;
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

static pml_status arg_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), x->rank, "axis", &axis);
    const int is_max = ctx->node->op == PML_OP_ARGMAX, last = pml_attr_int(ctx->node, "select_last_index", 0) != 0;
    int64_t n = x->dims[axis], outer = pml_shape_numel(axis, x->dims);
    int64_t inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    int64_t *y = (int64_t *)ctx->out[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * n * inner + i, best = 0;
            for (int64_t k = 1; k < n; k++) {
                int64_t a = base + k * inner, b = base + best * inner;
                int better, equal;
                if (x->dtype == PML_FLOAT32) {
                    float va = ((const float *)x->data)[a], vb = ((const float *)x->data)[b];
                    if (vb != vb) continue; /* a NaN is kept once found */
                    better = va != va || (is_max ? va > vb : va < vb);
                    equal = va == vb;
                } else if (x->dtype == PML_INT32) {
                    int32_t va = ((const int32_t *)x->data)[a], vb = ((const int32_t *)x->data)[b];
                    better = is_max ? va > vb : va < vb, equal = va == vb;
                } else {
                    int64_t va = ((const int64_t *)x->data)[a], vb = ((const int64_t *)x->data)[b];
                    better = is_max ? va > vb : va < vb, equal = va == vb;
                }
                if (better || (last && equal)) best = k;
            }
            y[o * inner + i] = best;
        }
    return PML_OK;
}

static const pml_op_def g_argmax = {PML_OP_ARGMAX, arg_infer, NULL, arg_run, NULL};
static const pml_op_def g_argmin = {PML_OP_ARGMIN, arg_infer, NULL, arg_run, NULL};

const pml_op_def *const pml_reduce_ops[] = {&g_reduce_mean, &g_reduce_sum, &g_reduce_max, &g_REDUCEMIN, &g_REDUCEPROD,
                                            &g_REDUCEL1, &g_REDUCEL2, &g_REDUCESUMSQUARE, &g_REDUCELOGSUMEXP,
                                            &g_argmax, &g_argmin, NULL};
