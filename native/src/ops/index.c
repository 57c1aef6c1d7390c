/*
 * ops/index.c — ops driven by index or count values: Range, Trilu, CumSum,
 * CumProd, OneHot, TopK and ReverseSequence (Gather is in ops/index_gather.c, the element-wise gathers
 * and scatters in ops/index_scatter.c). Input dtypes are checked by the
 * generated op schema before infer.
 *
 * OneHot's out-of-range index gives an all-"off" row, as ONNX defines. Sizes that shape the output (Range's bounds, TopK's k,
 * OneHot's depth) must be known while planning (ops/params.h); Trilu's k and
 * CumSum's/CumProd's axis only steer the copy, so they may be computed at run time.
 *
 * TopK sorts each slice's indices with a merge sort in arena scratch
 * (stable, so equal values keep index order as onnxruntime does). TopK's
 * sort, CumSum/CumProd, Range and OneHot's index conversion run the type-generic
 * kernels prepare takes from ctx->config->typed.index[dtype]
 * (kernels/index/index_typed.h); Trilu, OneHot's values and ReverseSequence
 * move by size. ReverseSequence checks every length of sequence_lens (a run-time
 * input) before copying: one outside [0, time steps] is a PML_ERR_RUNTIME error.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"
#include "params.h"

/* ---- Range ------------------------------------------------------------------------------------------------ */

static int range_is_float(pml_dtype dt) { return dt == PML_FLOAT32 || dt == PML_FLOAT16; }

static pml_status range_values(const pml_kernel_ctx *ctx, const void *const *data, pml_dtype dt, double *f,
                               int64_t *i) {
    for (int k = 0; k < 3; k++) { /* plan-time reads of the registry's Range dtypes */
        if (dt == PML_FLOAT32) f[k] = ((const float *)data[k])[0];
        else if (dt == PML_FLOAT16) f[k] = pml_f16_to_f32_scalar(((const uint16_t *)data[k])[0]);
        else if (dt == PML_INT16) i[k] = ((const int16_t *)data[k])[0];
        else if (dt == PML_INT32) i[k] = ((const int32_t *)data[k])[0];
        else i[k] = ((const int64_t *)data[k])[0];
    }
    if (range_is_float(dt) ? f[2] == 0.0 || f[2] != f[2] : i[2] == 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "delta is 0 (or NaN)");
    return PML_OK;
}

static pml_status range_infer(pml_kernel_ctx *ctx) {
    static const char *roles[3] = {"start", "limit", "delta"};
    const void *data[3];
    const pml_tensor *t[3];
    pml_status s;
    for (int k = 0; k < 3; k++) {
        if ((s = pml_ew_input(ctx, k, roles[k], &t[k])) != PML_OK) return s;
        if (t[k]->dtype != t[0]->dtype || pml_shape_numel(t[k]->rank, t[k]->dims) != 1 || t[k]->rank > 1)
            return pml_node_error(ctx, PML_ERR_SHAPE, "'%s' must be a scalar of start's dtype %s", roles[k],
                                  pml_dtype_name(t[0]->dtype));
        if (!(data[k] = pml_tensor_known_value(t[k])))
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                                  "'%s' ('%s') must be known while planning (a constant or a shape computation)",
                                  roles[k], t[k]->name);
    }
    double f[3] = {0};
    int64_t i[3] = {0}, n;
    if ((s = range_values(ctx, data, t[0]->dtype, f, i)) != PML_OK) return s;
    if (range_is_float(t[0]->dtype)) {
        double c = ceil((f[1] - f[0]) / f[2]);
        if (!(c < (double)PML_EW_MAX_NUMEL))
            return pml_node_error(ctx, PML_ERR_SHAPE, "start %g, limit %g, delta %g give too many elements", f[0], f[1],
                                  f[2]);
        n = c > 0 ? (int64_t)c : 0;
    } else if ((i[1] > i[0]) != (i[2] > 0) || i[1] == i[0]) {
        n = 0;
    } else { /* exact in unsigned arithmetic: the distance fits in uint64 */
        uint64_t dist = i[2] > 0 ? (uint64_t)i[1] - (uint64_t)i[0] : (uint64_t)i[0] - (uint64_t)i[1];
        uint64_t step = i[2] > 0 ? (uint64_t)i[2] : (uint64_t)0 - (uint64_t)i[2];
        uint64_t c = dist / step + (dist % step != 0);
        if (c > (uint64_t)PML_EW_MAX_NUMEL)
            return pml_node_error(ctx, PML_ERR_SHAPE, "start %lld, limit %lld, delta %lld give too many elements",
                                  (long long)i[0], (long long)i[1], (long long)i[2]);
        n = (int64_t)c;
    }
    return pml_ew_set_output(ctx, 0, t[0]->dtype, 1, &n);
}

/* The dtype's kernel of the index family, kept in the op state (prepare); cum: CumSum's
 * or CumProd's running kernel. */
typedef struct index_state {
    const pml_index_typed *k;
    pml_cumsum_fn cum;
} index_state;

static pml_status index_prepare(pml_kernel_ctx *ctx) {
    index_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->k = ctx->config->typed.index[ctx->in[0]->dtype];
    const int op = ctx->node->op;
    if (st->k) st->cum = op == PML_OP_CUMPROD ? st->k->cumprod : st->k->cumsum;
    const int cumulative = op == PML_OP_CUMSUM || op == PML_OP_CUMPROD;
    if (!st->k || (op == PML_OP_RANGE && !st->k->range) || (cumulative && !st->cum) ||
        (op == PML_OP_TOPK && !st->k->topk_sort) || (op == PML_OP_ONEHOT && !st->k->to_index))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(ctx->in[0]->dtype));
    return PML_OK;
}

static pml_status range_run(pml_kernel_ctx *ctx) {
    /* infer read the (plan-time) values and rejected a zero delta; the length is the output's */
    ((const index_state *)ctx->state)->k->range(ctx->in[0]->data, ctx->in[2]->data, ctx->out[0]->dims[0],
                                                ctx->out[0]->data);
    return PML_OK;
}

/* ---- Trilu ------------------------------------------------------------------------------------------------ */

/* Optional scalar input read at run time (attribute default otherwise); checked in infer. */
static pml_status scalar_input_check(const pml_kernel_ctx *ctx, int i, const char *role) {
    if (i >= ctx->n_in || !ctx->in[i]) return PML_OK;
    const pml_tensor *t;
    pml_status s;
    if ((s = pml_ew_input(ctx, i, role, &t)) != PML_OK) return s;
    if (t->rank > 1 || pml_shape_numel(t->rank, t->dims) != 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "'%s' must be a scalar", role);
    return PML_OK;
}

static int64_t scalar_input(const pml_kernel_ctx *ctx, int i, const char *attr, int64_t def) {
    if (i < ctx->n_in && ctx->in[i]) return pml_index_at(ctx->in[i], 0);
    return pml_attr_int(ctx->node, attr, def);
}

static pml_status trilu_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"upper", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = scalar_input_check(ctx, 1, "k")) != PML_OK) return s;
    if (x->rank < 2) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 2, got %d", x->rank);
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static pml_status trilu_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    int64_t k = scalar_input(ctx, 1, "k", 0), upper = pml_attr_int(ctx->node, "upper", 1);
    int64_t m = x->dims[x->rank - 2], n = x->dims[x->rank - 1];
    int64_t mats = pml_shape_numel(x->rank - 2, x->dims);
    size_t es = pml_dtype_size(x->dtype);
    const char *src = (const char *)x->data;
    char *dst = (char *)ctx->out[0]->data;
    /* clamp k so j - i compared against it cannot overflow */
    k = k < -(m + 1) ? -(m + 1) : (k > n + 1 ? n + 1 : k);
    for (int64_t b = 0; b < mats; b++)
        for (int64_t i = 0; i < m; i++) {
            /* kept columns: upper j >= i + k, lower j <= i + k */
            int64_t lo = upper ? i + k : 0, hi = upper ? n : i + k + 1;
            lo = lo < 0 ? 0 : (lo > n ? n : lo);
            hi = hi < lo ? lo : (hi > n ? n : hi);
            size_t row = (size_t)((b * m + i) * n) * es;
            memset(dst + row, 0, (size_t)n * es);
            if (hi > lo) memcpy(dst + row + (size_t)lo * es, src + row + (size_t)lo * es, (size_t)(hi - lo) * es);
        }
    return PML_OK;
}

/* ---- CumSum / CumProd ------------------------------------------------------------------------------------- */

static pml_status cumsum_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"exclusive", "reverse", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = scalar_input_check(ctx, 1, "axis")) != PML_OK)
        return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 1");
    int axis;
    const pml_tensor *at = ctx->n_in > 1 ? ctx->in[1] : NULL;
    if (!at || pml_tensor_known_value(at)) /* a run-time axis is checked by run */
        if ((s = pml_ew_axis(ctx, scalar_input(ctx, 1, "axis", 0), x->rank, "axis", &axis)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static pml_status cumsum_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    int axis;
    pml_status s = pml_ew_axis(ctx, scalar_input(ctx, 1, "axis", 0), x->rank, "axis", &axis);
    if (s != PML_OK) return pml_node_error(ctx, PML_ERR_RUNTIME, "axis input is out of range for rank %d", x->rank);
    int64_t outer = pml_shape_numel(axis, x->dims), n = x->dims[axis];
    int64_t inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    int excl = pml_attr_int(ctx->node, "exclusive", 0) != 0, rev = pml_attr_int(ctx->node, "reverse", 0) != 0;
    ((const index_state *)ctx->state)->cum(x->data, ctx->out[0]->data, outer, n, inner, excl, rev);
    return PML_OK;
}

/* ---- OneHot ------------------------------------------------------------------------------------------------ */

static pml_status onehot_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *idx, *values;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "indices", &idx)) != PML_OK || (s = pml_ew_input(ctx, 1, "values", &values)) != PML_OK)
        return s;
    if (values->rank != 1 || values->dims[0] != 2)
        return pml_node_error(ctx, PML_ERR_SHAPE, "values must be [off, on] (shape [2])");
    int64_t depth;
    int axis;
    if ((s = pml_param_int(ctx, 2, "depth", 1, 0, &depth)) != PML_OK) return s;
    if (depth < 1 || depth > PML_EW_MAX_NUMEL)
        return pml_node_error(ctx, PML_ERR_SHAPE, "depth %lld must be >= 1", (long long)depth);
    if (idx->rank + 1 > PML_MAX_RANK)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "output rank exceeds the maximum %d", PML_MAX_RANK);
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), idx->rank + 1, "axis", &axis)) != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    for (int a = 0, r = 0; a <= idx->rank; a++) dims[a] = a == axis ? depth : idx->dims[r++];
    return pml_ew_set_output(ctx, 0, values->dtype, idx->rank + 1, dims);
}

static pml_status onehot_prepare(pml_kernel_ctx *ctx) {
    ctx->scratch_size = (size_t)pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims) * sizeof(int64_t);
    return index_prepare(ctx);
}

static pml_status onehot_run(pml_kernel_ctx *ctx) {
    const pml_tensor *idx = ctx->in[0], *values = ctx->in[1];
    pml_tensor *y = ctx->out[0];
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), idx->rank + 1, "axis", &axis);
    int64_t depth = y->dims[axis];
    int64_t outer = pml_shape_numel(axis, idx->dims), inner = pml_shape_numel(idx->rank - axis, idx->dims + axis);
    size_t es = pml_dtype_size(values->dtype);
    const char *off = (const char *)values->data, *on = off + es;
    char *dst = (char *)y->data;
    int64_t *iv = (int64_t *)ctx->scratch; /* the indices as int64 (NaN, huge: INT64_MIN, out of range) */
    ((const index_state *)ctx->state)->k->to_index(idx->data, outer * inner, iv);
    for (size_t b = 0; b < y->nbytes; b += es) memcpy(dst + b, off, es);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t v = iv[o * inner + j];
            if (v < 0) v = v < -depth ? -1 : v + depth;
            if (v < 0 || v >= depth) continue; /* ONNX: out of range gives an all-off row */
            memcpy(dst + (size_t)((o * depth + v) * inner + j) * es, on, es);
        }
    return PML_OK;
}

/* ---- TopK -------------------------------------------------------------------------------------------------- */

static pml_status topk_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"largest", "sorted", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s;
    int axis;
    int64_t k;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_param_int(ctx, 1, "k", 0, -1, &k)) != PML_OK)
        return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 1");
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis)) != PML_OK) return s;
    if (k < 0 || k > x->dims[axis])
        return pml_node_error(ctx, PML_ERR_SHAPE, "k = %lld must be in 0..%lld (axis %d)", (long long)k,
                              (long long)x->dims[axis], axis);
    int64_t dims[PML_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = k;
    if ((s = pml_ew_set_output(ctx, 0, x->dtype, x->rank, dims)) != PML_OK) return s;
    return ctx->n_out > 1 && ctx->out[1] ? pml_ew_set_output(ctx, 1, PML_INT64, x->rank, dims) : PML_OK;
}

static pml_status topk_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    pml_status s = index_prepare(ctx);
    if (s != PML_OK) return s;
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis);
    ctx->scratch_size = (size_t)(2 * x->dims[axis] + 1) * sizeof(int64_t);
    return PML_OK;
}

static pml_status topk_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const pml_tensor *yi = ctx->n_out > 1 ? ctx->out[1] : NULL;
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis);
    int64_t n = x->dims[axis], k = y->dims[axis];
    int64_t outer = pml_shape_numel(axis, x->dims), inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    size_t es = pml_dtype_size(x->dtype);
    int64_t *idx = (int64_t *)ctx->scratch, *tmp = idx + n;
    const pml_topk_sort_fn sort = ((const index_state *)ctx->state)->k->topk_sort;
    const int largest = pml_attr_int(ctx->node, "largest", 1) != 0;
    if (k == 0) return PML_OK;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const char *xs = (const char *)x->data + (size_t)(o * n * inner + i) * es;
            for (int64_t t = 0; t < n; t++) idx[t] = t;
            sort(xs, inner, n, largest, idx, tmp);
            for (int64_t t = 0; t < k; t++) {
                int64_t at = (o * k + t) * inner + i;
                memcpy((char *)y->data + (size_t)at * es, xs + (size_t)(idx[t] * inner) * es, es);
                if (yi && yi->data) ((int64_t *)yi->data)[at] = idx[t];
            }
        }
    return PML_OK;
}

/* ---- definitions ------------------------------------------------------------------------------------------ */

const pml_op_def pml_range_def = {PML_OP_RANGE, range_infer, index_prepare, range_run, pml_ew_release};
const pml_op_def pml_trilu_def = {PML_OP_TRILU, trilu_infer, NULL, trilu_run, NULL};
/* ---- ReverseSequence --------------------------------------------------------------------------------------- */

static pml_status reverse_sequence_axes(pml_kernel_ctx *ctx, int *batch, int *time) {
    int64_t b = pml_attr_int(ctx->node, "batch_axis", 1), t = pml_attr_int(ctx->node, "time_axis", 0);
    if (!((b == 0 && t == 1) || (b == 1 && t == 0)))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "batch_axis %lld and time_axis %lld must be 0 and 1 (in either order)", (long long)b,
                              (long long)t);
    *batch = (int)b, *time = (int)t;
    return PML_OK;
}

static pml_status reverse_sequence_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *lens;
    int batch = 1, time = 0;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "sequence_lens", &lens)) != PML_OK ||
        (s = reverse_sequence_axes(ctx, &batch, &time)) != PML_OK)
        return s;
    if (x->rank < 2) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 2, got %d", x->rank);
    if (lens->rank != 1 || lens->dims[0] != x->dims[batch]) {
        char buf[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "sequence_lens has shape %s; expected [%lld] (x's batch axis %d)",
                              pml_shape_str(lens->rank, lens->dims, buf, sizeof buf), (long long)x->dims[batch], batch);
    }
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/* Rows of x are [d0, d1] positions of inner contiguous elements; row (b, t) of y is row
 * (b, len_b - 1 - t) of x for t < len_b, else row (b, t). */
static pml_status reverse_sequence_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    const int64_t *lens = (const int64_t *)ctx->in[1]->data;
    int batch = 1, time = 0;
    pml_status s = reverse_sequence_axes(ctx, &batch, &time);
    if (s != PML_OK) return s;
    const int64_t steps = x->dims[time], d1 = x->dims[1];
    for (int64_t b = 0; b < x->dims[batch]; b++)
        if (lens[b] < 0 || lens[b] > steps)
            return pml_node_error(ctx, PML_ERR_RUNTIME,
                                  "sequence_lens[%lld] = %lld is out of range (valid: 0..%lld, the time steps)",
                                  (long long)b, (long long)lens[b], (long long)steps);
    const size_t row = (size_t)pml_shape_numel(x->rank - 2, x->dims + 2) * pml_dtype_size(x->dtype);
    const char *src = (const char *)x->data;
    char *dst = (char *)ctx->out[0]->data;
    for (int64_t i0 = 0; i0 < x->dims[0] && row; i0++)
        for (int64_t i1 = 0; i1 < d1; i1++) {
            const int64_t b = batch == 0 ? i0 : i1, t = batch == 0 ? i1 : i0, n = lens[b];
            const int64_t from = t < n ? n - 1 - t : t;
            const int64_t at = time == 0 ? from * d1 + i1 : i0 * d1 + from;
            memcpy(dst + (size_t)(i0 * d1 + i1) * row, src + (size_t)at * row, row);
        }
    return PML_OK;
}

const pml_op_def pml_cumsum_def = {PML_OP_CUMSUM, cumsum_infer, index_prepare, cumsum_run, pml_ew_release};
const pml_op_def pml_cumprod_def = {PML_OP_CUMPROD, cumsum_infer, index_prepare, cumsum_run, pml_ew_release};
const pml_op_def pml_reverse_sequence_def = {PML_OP_REVERSESEQUENCE, reverse_sequence_infer, NULL,
                                             reverse_sequence_run, NULL};
const pml_op_def pml_onehot_def = {PML_OP_ONEHOT, onehot_infer, onehot_prepare, onehot_run, pml_ew_release};
const pml_op_def pml_topk_def = {PML_OP_TOPK, topk_infer, topk_prepare, topk_run, pml_ew_release};
