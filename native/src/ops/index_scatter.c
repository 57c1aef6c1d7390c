/*
 * ops/index_scatter.c — the index ops that address data element by element:
 * GatherElements, ScatterElements, GatherND, ScatterND and TensorScatter (Gather is in
 * ops/index_gather.c; Range, Trilu, CumSum, OneHot and TopK in ops/index.c).
 *
 * Index inputs (int32 or int64) are data: they are read at run time, every
 * one is checked against its bound before anything is written, and an
 * out-of-range index is a PML_ERR_RUNTIME error naming the op, the value,
 * its position and the valid range (negative indices wrap once, as ONNX
 * says). Gathers move elements by size; the scatter reductions (add, mul,
 * max, min) run the type-generic kernels of kernels/index/ chosen in prepare.
 */
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"
#include "params.h"


/* Row-major strides (elements) of a shape. */
static void strides_of(int rank, const int64_t *dims, int64_t *stride) {
    int64_t t = 1;
    for (int a = rank - 1; a >= 0; a--) stride[a] = t, t *= dims[a];
}

/* Index v for an axis of size d, wrapped; -1 (after an error) when out of range. */
static int64_t check_index(const pml_kernel_ctx *ctx, int64_t v, int64_t d, int64_t pos, const char *what,
                           pml_status *st) {
    if (v < -d || v >= d) {
        *st = pml_node_error(ctx, PML_ERR_RUNTIME,
                             "index %lld (at position %lld of indices) is out of range for %s of size %lld "
                             "(valid: %lld..%lld)",
                             (long long)v, (long long)pos, what, (long long)d, (long long)-d, (long long)d - 1);
        return -1;
    }
    return v < 0 ? v + d : v;
}

/* The scatter reduction kernel of data's dtype (a reduction other than none). */
static pml_status scatter_kernel(pml_kernel_ctx *ctx) {
    pml_scatter_reduce_fn *fn = pml_ew_alloc_state(ctx, sizeof *fn);
    if (!fn) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_index_typed *k = ctx->config->typed.index[ctx->in[0]->dtype];
    *fn = k ? k->scatter : NULL;
    if (!*fn && pml_attr_int(ctx->node, "reduction", 0))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no scatter reduction for dtype %s",
                              pml_dtype_name(ctx->in[0]->dtype));
    return PML_OK;
}

/* y[off[t] + e] = upd[t * slice + e], or combined by the reduction kernel. */
static void scatter_apply(const pml_kernel_ctx *ctx, void *y, const int64_t *off, const void *upd, int64_t tuples,
                          int64_t slice) {
    int red = (int)pml_attr_int(ctx->node, "reduction", 0);
    if (red) {
        (*(const pml_scatter_reduce_fn *)ctx->state)(red, y, off, upd, tuples, slice);
        return;
    }
    size_t es = pml_dtype_size(ctx->in[0]->dtype), bytes = (size_t)slice * es;
    for (int64_t t = 0; t < tuples; t++)
        if (bytes) memcpy((char *)y + (size_t)off[t] * es, (const char *)upd + (size_t)t * bytes, bytes);
}

/* ---- GatherElements / ScatterElements ------------------------------------------------------------------- */

/* data and indices of equal rank; indices no larger than data off the axis (so no read strays). */
static pml_status elements_check(pml_kernel_ctx *ctx, const pml_tensor *data, const pml_tensor *idx, int *axis) {
    pml_status s;
    if (data->rank < 1 || idx->rank != data->rank)
        return pml_node_error(ctx, PML_ERR_SHAPE, "indices (rank %d) must have the rank of data (%d, >= 1)", idx->rank,
                              data->rank);
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), data->rank, "axis", axis)) != PML_OK) return s;
    for (int a = 0; a < data->rank; a++)
        if (a != *axis && idx->dims[a] > data->dims[a]) {
            char b1[160], b2[160];
            return pml_node_error(ctx, PML_ERR_SHAPE, "indices %s exceed data %s on axis %d",
                                  pml_shape_str(idx->rank, idx->dims, b1, sizeof b1),
                                  pml_shape_str(data->rank, data->dims, b2, sizeof b2), a);
        }
    return PML_OK;
}

static pml_status gather_elements_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *data, *idx;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "data", &data)) != PML_OK || (s = pml_ew_input(ctx, 1, "indices", &idx)) != PML_OK ||
        (s = elements_check(ctx, data, idx, &axis)) != PML_OK)
        return s;
    return pml_ew_set_output(ctx, 0, data->dtype, idx->rank, idx->dims);
}

/* Data element offset of each indices element (validated), written to off[]. */
static pml_status elements_offsets(pml_kernel_ctx *ctx, const pml_tensor *data, const pml_tensor *idx, int axis,
                                   int64_t *off) {
    int64_t ds[PML_MAX_RANK], c[PML_MAX_RANK] = {0};
    strides_of(data->rank, data->dims, ds);
    int64_t n = pml_shape_numel(idx->rank, idx->dims), d = data->dims[axis];
    pml_status st = PML_OK;
    for (int64_t k = 0; k < n; k++) {
        int64_t v = check_index(ctx, pml_index_at(idx, k), d, k, "the axis", &st);
        if (v < 0) return st;
        int64_t o = 0;
        for (int a = 0; a < idx->rank; a++) o += (a == axis ? v : c[a]) * ds[a];
        off[k] = o;
        for (int a = idx->rank - 1; a >= 0 && ++c[a] == idx->dims[a]; a--) c[a] = 0;
    }
    return PML_OK;
}

static pml_status elements_prepare(pml_kernel_ctx *ctx) {
    ctx->scratch_size = (size_t)pml_shape_numel(ctx->in[1]->rank, ctx->in[1]->dims) * sizeof(int64_t);
    return PML_OK;
}

static pml_status scatter_elements_prepare(pml_kernel_ctx *ctx) {
    elements_prepare(ctx);
    return scatter_kernel(ctx);
}

static pml_status gather_elements_run(pml_kernel_ctx *ctx) {
    const pml_tensor *data = ctx->in[0], *idx = ctx->in[1];
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), data->rank, "axis", &axis);
    int64_t *off = (int64_t *)ctx->scratch, n = pml_shape_numel(idx->rank, idx->dims);
    pml_status s = elements_offsets(ctx, data, idx, axis, off);
    if (s != PML_OK) return s;
    size_t es = pml_dtype_size(data->dtype);
    for (int64_t k = 0; k < n; k++)
        memcpy((char *)ctx->out[0]->data + k * (int64_t)es, (const char *)data->data + off[k] * (int64_t)es, es);
    return PML_OK;
}

static pml_status reduction_check(pml_kernel_ctx *ctx, const pml_tensor *data) {
    int64_t red = pml_attr_int(ctx->node, "reduction", 0);
    if (red < 0 || red > 4)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "reduction %lld (supported: 0 none, 1 add, 2 mul, 3 max, 4 min)",
                              (long long)red);
    (void)data;
    return PML_OK;
}

static pml_status scatter_elements_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *data, *idx, *upd;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "data", &data)) != PML_OK || (s = pml_ew_input(ctx, 1, "indices", &idx)) != PML_OK ||
        (s = pml_ew_input(ctx, 2, "updates", &upd)) != PML_OK || (s = elements_check(ctx, data, idx, &axis)) != PML_OK ||
        (s = reduction_check(ctx, data)) != PML_OK)
        return s;
    int same = upd->dtype == data->dtype && upd->rank == idx->rank;
    for (int a = 0; same && a < idx->rank; a++) same = upd->dims[a] == idx->dims[a];
    if (!same) return pml_node_error(ctx, PML_ERR_SHAPE, "updates must have the shape of indices and the dtype of data");
    return pml_ew_set_output(ctx, 0, data->dtype, data->rank, data->dims);
}

static pml_status scatter_elements_run(pml_kernel_ctx *ctx) {
    const pml_tensor *data = ctx->in[0], *idx = ctx->in[1], *upd = ctx->in[2];
    pml_tensor *y = ctx->out[0];
    int axis;
    pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), data->rank, "axis", &axis);
    int64_t *off = (int64_t *)ctx->scratch, n = pml_shape_numel(idx->rank, idx->dims);
    pml_status s = elements_offsets(ctx, data, idx, axis, off); /* all checked before anything is written */
    if (s != PML_OK) return s;
    if (y->data != data->data && y->nbytes) memcpy(y->data, data->data, y->nbytes);
    scatter_apply(ctx, y->data, off, upd->data, n, 1);
    return PML_OK;
}

/* ---- GatherND / ScatterND -------------------------------------------------------------------------------- */

typedef struct nd_plan {
    int b, k;          /* batch dims, index tuple length */
    int64_t batches;   /* product of the batch dims */
    int64_t per_batch; /* index tuples per batch */
    int64_t slice;     /* elements per gathered/scattered slice: prod(data dims[b+k:]) */
    int64_t dstride[PML_MAX_RANK];
} nd_plan;

static void nd_plan_of(const pml_tensor *data, const pml_tensor *idx, int b, nd_plan *p) {
    p->b = b;
    p->k = (int)idx->dims[idx->rank - 1];
    p->batches = pml_shape_numel(b, data->dims);
    p->per_batch = pml_shape_numel(idx->rank - 1 - b, idx->dims + b);
    p->slice = pml_shape_numel(data->rank - b - p->k, data->dims + b + p->k);
    strides_of(data->rank, data->dims, p->dstride);
}

/* Validated data element offset of every index tuple into off[batches * per_batch]. */
static pml_status nd_offsets(pml_kernel_ctx *ctx, const pml_tensor *data, const pml_tensor *idx, const nd_plan *p,
                             int64_t *off) {
    pml_status st = PML_OK;
    for (int64_t bt = 0; bt < p->batches; bt++)
        for (int64_t j = 0; j < p->per_batch; j++) {
            int64_t t = bt * p->per_batch + j, o = 0, rem = bt; /* rem walks the batch dims of data */
            for (int a = p->b - 1; a >= 0; a--) o += (rem % data->dims[a]) * p->dstride[a], rem /= data->dims[a];
            for (int a = 0; a < p->k; a++) {
                char what[48];
                snprintf(what, sizeof what, "data axis %d", p->b + a);
                int64_t v = check_index(ctx, pml_index_at(idx, t * p->k + a), data->dims[p->b + a], t * p->k + a, what,
                                        &st);
                if (v < 0) return st;
                o += v * p->dstride[p->b + a];
            }
            off[t] = o;
        }
    return PML_OK;
}

static pml_status nd_check(pml_kernel_ctx *ctx, const pml_tensor *data, const pml_tensor *idx, int64_t b) {
    if (idx->rank < 1 || b < 0 || b >= idx->rank || b >= data->rank)
        return pml_node_error(ctx, PML_ERR_SHAPE, "batch_dims %lld must be below the ranks of data (%d) and indices (%d)",
                              (long long)b, data->rank, idx->rank);
    int64_t k = idx->dims[idx->rank - 1];
    if (k < 1 || k > data->rank - b)
        return pml_node_error(ctx, PML_ERR_SHAPE, "the last dim of indices (%lld) must be in 1..%lld", (long long)k,
                              (long long)(data->rank - b));
    for (int a = 0; a < b; a++)
        if (idx->dims[a] != data->dims[a])
            return pml_node_error(ctx, PML_ERR_SHAPE, "batch dim %d differs: indices %lld, data %lld", a,
                                  (long long)idx->dims[a], (long long)data->dims[a]);
    return PML_OK;
}

/* ND output / updates shape: indices[:-1] + data[b+k:]. */
static int nd_result_shape(const pml_tensor *data, const pml_tensor *idx, int b, int64_t *dims) {
    int r = 0, k = (int)idx->dims[idx->rank - 1];
    for (int a = 0; a < idx->rank - 1; a++) dims[r++] = idx->dims[a];
    for (int a = b + k; a < data->rank; a++) {
        if (r >= PML_MAX_RANK) return -1;
        dims[r++] = data->dims[a];
    }
    return r;
}

static pml_status gather_nd_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *data, *idx;
    pml_status s;
    int64_t b = pml_attr_int(ctx->node, "batch_dims", 0), dims[PML_MAX_RANK];
    if ((s = pml_ew_input(ctx, 0, "data", &data)) != PML_OK || (s = pml_ew_input(ctx, 1, "indices", &idx)) != PML_OK ||
        (s = nd_check(ctx, data, idx, b)) != PML_OK)
        return s;
    int r = nd_result_shape(data, idx, (int)b, dims);
    if (r < 0) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "output rank exceeds the maximum %d", PML_MAX_RANK);
    return pml_ew_set_output(ctx, 0, data->dtype, r, dims);
}

static pml_status nd_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *idx = ctx->in[1];
    ctx->scratch_size = (size_t)(pml_shape_numel(idx->rank - 1, idx->dims) + 1) * sizeof(int64_t);
    return PML_OK;
}

static pml_status scatter_nd_prepare(pml_kernel_ctx *ctx) {
    nd_prepare(ctx);
    return scatter_kernel(ctx);
}

static pml_status gather_nd_run(pml_kernel_ctx *ctx) {
    const pml_tensor *data = ctx->in[0], *idx = ctx->in[1];
    nd_plan p;
    nd_plan_of(data, idx, (int)pml_attr_int(ctx->node, "batch_dims", 0), &p);
    int64_t *off = (int64_t *)ctx->scratch;
    pml_status s = nd_offsets(ctx, data, idx, &p, off);
    if (s != PML_OK) return s;
    size_t bytes = (size_t)p.slice * pml_dtype_size(data->dtype);
    for (int64_t t = 0; t < p.batches * p.per_batch; t++)
        memcpy((char *)ctx->out[0]->data + (size_t)t * bytes,
               (const char *)data->data + (size_t)off[t] * pml_dtype_size(data->dtype), bytes);
    return PML_OK;
}

static pml_status scatter_nd_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *data, *idx, *upd;
    pml_status s;
    int64_t dims[PML_MAX_RANK];
    if ((s = pml_ew_input(ctx, 0, "data", &data)) != PML_OK || (s = pml_ew_input(ctx, 1, "indices", &idx)) != PML_OK ||
        (s = pml_ew_input(ctx, 2, "updates", &upd)) != PML_OK || (s = nd_check(ctx, data, idx, 0)) != PML_OK ||
        (s = reduction_check(ctx, data)) != PML_OK)
        return s;
    int r = nd_result_shape(data, idx, 0, dims);
    int same = r >= 0 && upd->dtype == data->dtype && upd->rank == r;
    for (int a = 0; same && a < r; a++) same = upd->dims[a] == dims[a];
    if (!same) {
        char b1[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "updates %s %s must be %s indices[:-1] + data[k:]",
                              pml_dtype_name(upd->dtype), pml_shape_str(upd->rank, upd->dims, b1, sizeof b1),
                              pml_dtype_name(data->dtype));
    }
    return pml_ew_set_output(ctx, 0, data->dtype, data->rank, data->dims);
}

static pml_status scatter_nd_run(pml_kernel_ctx *ctx) {
    const pml_tensor *data = ctx->in[0], *idx = ctx->in[1], *upd = ctx->in[2];
    pml_tensor *y = ctx->out[0];
    nd_plan p;
    nd_plan_of(data, idx, 0, &p);
    int64_t *off = (int64_t *)ctx->scratch;
    pml_status s = nd_offsets(ctx, data, idx, &p, off);
    if (s != PML_OK) return s;
    if (y->data != data->data && y->nbytes) memcpy(y->data, data->data, y->nbytes);
    scatter_apply(ctx, y->data, off, upd->data, p.per_batch, p.slice);
    return PML_OK;
}

/* ---- TensorScatter: a KV-cache update along one axis -------------------------------------------------------- */

/* past_cache / update viewed as [batch, outer, n or seq, inner] around the axis */
typedef struct tscatter_geom {
    int64_t batch, outer, n, seq, inner;
} tscatter_geom;

static pml_status tscatter_geom_of(const pml_kernel_ctx *ctx, tscatter_geom *g) {
    const pml_tensor *c, *u;
    pml_status s;
    int axis;
    int64_t circ;
    if ((s = pml_ew_input(ctx, 0, "past_cache", &c)) || (s = pml_ew_input(ctx, 1, "update", &u)) ||
        (s = pml_attr_int_checked(ctx, "circular", 0, 0, 1, &circ)))
        return s;
    char bc[160], bu[160];
    pml_shape_str(c->rank, c->dims, bc, sizeof bc);
    pml_shape_str(u->rank, u->dims, bu, sizeof bu);
    if (c->rank < 2 || u->rank != c->rank)
        return pml_node_error(ctx, PML_ERR_SHAPE, "past_cache %s and update %s must have one rank >= 2", bc, bu);
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -2), c->rank, "axis", &axis))) return s;
    if (axis == 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis must not be 0 (the batch axis)");
    for (int a = 0; a < c->rank; a++)
        if ((a != axis && u->dims[a] != c->dims[a]) || (a == axis && u->dims[a] > c->dims[a]))
            return pml_node_error(ctx, PML_ERR_SHAPE, "update %s must match past_cache %s except along axis %d, "
                                  "where it may be shorter", bu, bc, axis);
    const pml_tensor *wi = ctx->n_in > 2 ? ctx->in[2] : NULL;
    if (wi && (wi->rank != 1 || wi->dims[0] != c->dims[0]))
        return pml_node_error(ctx, PML_ERR_SHAPE, "write_indices must be [batch] = [%lld]", (long long)c->dims[0]);
    g->batch = c->dims[0];
    g->outer = pml_shape_numel(axis - 1, c->dims + 1);
    g->n = c->dims[axis], g->seq = u->dims[axis];
    g->inner = pml_shape_numel(c->rank - axis - 1, c->dims + axis + 1);
    return PML_OK;
}

static pml_status tensor_scatter_infer(pml_kernel_ctx *ctx) {
    tscatter_geom g = {0};
    pml_status s = tscatter_geom_of(ctx, &g);
    return s ? s : pml_ew_set_output(ctx, 0, ctx->in[0]->dtype, ctx->in[0]->rank, ctx->in[0]->dims);
}

static pml_status tensor_scatter_run(pml_kernel_ctx *ctx) {
    tscatter_geom g = {0};
    pml_status s = tscatter_geom_of(ctx, &g);
    if (s) return s;
    const pml_tensor *c = ctx->in[0], *u = ctx->in[1], *wi = ctx->n_in > 2 ? ctx->in[2] : NULL;
    pml_tensor *y = ctx->out[0];
    const int circular = pml_attr_int(ctx->node, "circular", 0) != 0;
    /* write_indices are data: check them all before writing */
    for (int64_t b = 0; wi && g.seq > 0 && b < g.batch; b++) {
        const int64_t w = ((const int64_t *)wi->data)[b];
        if (!circular && (w < 0 || w > g.n - g.seq))
            return pml_node_error(ctx, PML_ERR_RUNTIME, "write_indices[%lld] = %lld with %lld updates leaves the "
                                  "cache axis [0, %lld) (linear mode)", (long long)b, (long long)w, (long long)g.seq,
                                  (long long)g.n);
    }
    if (y->data != c->data && y->nbytes) memcpy(y->data, c->data, y->nbytes);
    const size_t row = (size_t)g.inner * pml_dtype_size(c->dtype);
    for (int64_t b = 0; b < g.batch; b++) {
        const int64_t w = wi ? ((const int64_t *)wi->data)[b] : 0;
        for (int64_t o = 0; o < g.outer; o++)
            for (int64_t t = 0; t < g.seq; t++) {
                /* circular: reduce w first so w + t cannot overflow; g.n > 0 since 0 < seq <= n */
                const int64_t p = circular ? ((w % g.n + t) % g.n + g.n) % g.n : w + t;
                const int64_t slab = b * g.outer + o;
                memcpy((char *)y->data + (size_t)(slab * g.n + p) * row,
                       (const char *)u->data + (size_t)(slab * g.seq + t) * row, row);
            }
    }
    return PML_OK;
}

/* ---- definitions ------------------------------------------------------------------------------------------ */

const pml_op_def pml_gather_elements_def = {PML_OP_GATHERELEMENTS,
                                            gather_elements_infer, elements_prepare, gather_elements_run, NULL};
const pml_op_def pml_gather_nd_def = {PML_OP_GATHERND, gather_nd_infer, nd_prepare,
                                      gather_nd_run, NULL};
const pml_op_def pml_scatter_elements_def = {PML_OP_SCATTERELEMENTS, scatter_elements_infer, scatter_elements_prepare,
                                             scatter_elements_run, pml_ew_release};
const pml_op_def pml_scatter_nd_def = {PML_OP_SCATTERND, scatter_nd_infer, scatter_nd_prepare, scatter_nd_run,
                                       pml_ew_release};
const pml_op_def pml_tensor_scatter_def = {PML_OP_TENSORSCATTER, tensor_scatter_infer, NULL, tensor_scatter_run,
                                           NULL};
