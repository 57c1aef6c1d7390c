/*
 * ops/tensor.c — data-movement ops: Concat, Reshape, BitCast, Transpose and Split,
 * the strided row copier, and the table of the tensor and index families
 * (Slice in ops/tensor_slice.c, Pad in ops/tensor_pad.c, Expand and Tile in
 * ops/tensor_expand.c, Shape, Size, ConstantOfShape and EyeLike in
 * ops/tensor_shape.c, DepthToSpace and SpaceToDepth in ops/tensor_space.c,
 * Resize in ops/resize.c; Gather in ops/index_gather.c, the element-wise
 * gathers and scatters in ops/index_scatter.c, Range, Trilu, CumSum, CumProd,
 * OneHot, TopK and ReverseSequence in ops/index.c). All work on any dtype by moving
 * elements of dtype-size bytes. Reshape's shape, Slice's bounds, Split's sizes, Expand's
 * shape and ConstantOfShape's shape come from an attribute or from an input
 * known while planning (ops/params.h).
 *
 * Transpose first drops size-1 axes and merges runs of axes that stay
 * adjacent, so NCHW<->NHWC on [N,C,H,W] becomes a batched 2-D transpose of
 * [N, C, H*W] that runs through the cache-blocked (AVX2 for 4-byte)
 * kernels of kernels/tensor/x_transpose_32x32__scalar.c; other permutations, and Slice, go through
 * one strided row copier (memcpy when the innermost source stride is 1).
 * Slice clamps starts/ends exactly as ONNX does, including negative steps.
 * Pad maps each output coordinate back to the input (constant / reflect /
 * edge, negative pads crop), copying the in-range middle of every row with
 * memcpy. Expand and Tile are strided copies too: a broadcast axis has
 * source stride 0, and Tile views each axis as [repeats, dim] with the
 * repeats at stride 0. Gather checks every index before copying: an out-of-range index is
 * a PML_ERR_RUNTIME error naming the index and the bound.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "validate.h"
#include "kernels/tensor/transpose.h"
#include "params.h"
#include "tensor.h"

/* ---- strided row copy (Transpose generic path, Slice, Expand, Tile, DepthToSpace/SpaceToDepth) -------- */

/* Rows [r0, r1) of the copy: the source offset of the first row comes from its index, the
 * others from an odometer over the outer axes (no division per row, which matters when rows
 * are short: DepthToSpace's runs of blocksize * C' elements). */
static void strided_rows(void *arg, int64_t r0, int64_t r1) {
    const strided_copy *p = (const strided_copy *)arg;
    const int r = p->rank;
    const int64_t inner = p->dims[r - 1], st = p->stride[r - 1];
    const size_t es = p->esize;
    int64_t idx[2 * PML_MAX_RANK], t = r0, src = p->offset;
    for (int d = r - 2; d >= 0; d--) {
        idx[d] = t % p->dims[d];
        src += idx[d] * p->stride[d];
        t /= p->dims[d];
    }
    for (int64_t row = r0; row < r1; row++) {
        const char *x = p->x + src * (int64_t)es;
        char *y = p->y + row * inner * (int64_t)es;
        if (st == 1) {
            memcpy(y, x, (size_t)inner * es);
        } else {
            switch (es) {
            case 1: for (int64_t i = 0; i < inner; i++) y[i] = x[i * st]; break;
            case 2: for (int64_t i = 0; i < inner; i++) ((uint16_t *)y)[i] = ((const uint16_t *)x)[i * st]; break;
            case 4: for (int64_t i = 0; i < inner; i++) ((uint32_t *)y)[i] = ((const uint32_t *)x)[i * st]; break;
            default: for (int64_t i = 0; i < inner; i++) ((uint64_t *)y)[i] = ((const uint64_t *)x)[i * st]; break;
            }
        }
        for (int d = r - 2; d >= 0; d--) { /* next row: carry through the outer axes */
            src += p->stride[d];
            if (++idx[d] < p->dims[d]) break;
            src -= p->stride[d] * p->dims[d];
            idx[d] = 0;
        }
    }
}

void pml_strided_copy_merge(strided_copy *p) {
    int m = 0;
    for (int d = 0; d < p->rank; d++) {
        if (p->dims[d] == 1) continue;
        if (m > 0 && p->stride[m - 1] == p->stride[d] * p->dims[d]) {
            p->dims[m - 1] *= p->dims[d];
            p->stride[m - 1] = p->stride[d];
        } else {
            p->dims[m] = p->dims[d];
            p->stride[m++] = p->stride[d];
        }
    }
    if (m == 0) p->dims[0] = 1, p->stride[0] = 1, m = 1;
    p->rank = m;
}

void pml_strided_copy_run(const pml_kernel_ctx *ctx, strided_copy *p, const void *x, void *y) {
    p->x = (const char *)x;
    p->y = (char *)y;
    int64_t inner = p->dims[p->rank - 1];
    if (inner == 0) return;
    int64_t rows = pml_shape_numel(p->rank - 1, p->dims);
    pml_ew_parallel(ctx, rows, PML_EW_PARALLEL_MIN / inner + 1, strided_rows, p);
}

pml_status pml_strided_copy_op_run(pml_kernel_ctx *ctx) {
    strided_copy *p = (strided_copy *)ctx->state;
    if (ctx->out[0]->nbytes) pml_strided_copy_run(ctx, p, ctx->in[0]->data, ctx->out[0]->data);
    return PML_OK;
}

static void copy_whole(pml_kernel_ctx *ctx) {
    if (ctx->out[0]->data != ctx->in[0]->data && ctx->out[0]->nbytes)
        memcpy(ctx->out[0]->data, ctx->in[0]->data, ctx->out[0]->nbytes);
}

/* ---- Concat / Split: rows of per-input chunks ----------------------------------------------------------- */

typedef struct chunks_job {
    int n;
    const int64_t *chunk; /* bytes per outer row of each part */
    int64_t row;          /* bytes per outer row of the whole */
    char *const *parts;   /* the n split parts */
    char *whole;
    int gather; /* 1: whole <- parts (Concat), 0: parts <- whole (Split) */
} chunks_job;

static void chunks_range(void *arg, int64_t o0, int64_t o1) {
    const chunks_job *j = (const chunks_job *)arg;
    for (int64_t o = o0; o < o1; o++) {
        int64_t off = o * j->row;
        for (int i = 0; i < j->n; i++) {
            size_t c = (size_t)j->chunk[i];
            if (c) {
                if (j->gather) memcpy(j->whole + off, j->parts[i] + o * j->chunk[i], c);
                else memcpy(j->parts[i] + o * j->chunk[i], j->whole + off, c);
            }
            off += j->chunk[i];
        }
    }
}

typedef struct parts_state {
    int axis, n;
    int64_t outer, row;
    int64_t chunk[];
} parts_state;

static pml_status parts_prepare(pml_kernel_ctx *ctx, const pml_tensor *whole, int n, pml_tensor *const *parts) {
    parts_state *st = pml_ew_alloc_state(ctx, sizeof *st + (size_t)n * sizeof(int64_t));
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    int axis;
    pml_status s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), whole->rank, "axis", &axis);
    if (s != PML_OK) return s;
    int64_t inner = pml_shape_numel(whole->rank - axis - 1, whole->dims + axis + 1) * (int64_t)pml_dtype_size(whole->dtype);
    st->n = n;
    st->outer = pml_shape_numel(axis, whole->dims);
    st->row = whole->dims[axis] * inner;
    for (int i = 0; i < n; i++) st->chunk[i] = parts[i]->dims[axis] * inner;
    return PML_OK;
}

static pml_status parts_run(pml_kernel_ctx *ctx, int gather, char *whole, char *const *parts) {
    const parts_state *st = (const parts_state *)ctx->state;
    chunks_job j = {st->n, st->chunk, st->row, parts, whole, gather};
    if (st->row == 0) return PML_OK;
    pml_ew_parallel(ctx, st->outer, 4 * PML_EW_PARALLEL_MIN / st->row + 1, chunks_range, &j);
    return PML_OK;
}

static pml_status concat_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *first, *t;
    pml_status s;
    int axis;
    if (ctx->n_in < 1) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "Concat needs at least one input");
    if ((s = pml_ew_input(ctx, 0, "inputs[0]", &first)) != PML_OK) return s;
    if (first->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "cannot concatenate scalars (rank 0)");
    const pml_attr *axis_attr = pml_attr_find(ctx->node, "axis");
    if (!axis_attr || axis_attr->type != PML_ATTR_INT)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required int attribute 'axis' is missing");
    if ((s = pml_ew_axis(ctx, axis_attr->i, first->rank, "axis", &axis)) != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    memcpy(dims, first->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        if ((s = pml_ew_input(ctx, i, "inputs[i]", &t)) != PML_OK) return s;
        if (t->dtype != first->dtype)
            return pml_node_error(ctx, PML_ERR_DTYPE, "input %d has dtype %s, input 0 has %s", i,
                                  pml_dtype_name(t->dtype), pml_dtype_name(first->dtype));
        int ok = t->rank == first->rank;
        for (int d = 0; ok && d < t->rank; d++) ok = d == axis || t->dims[d] == first->dims[d];
        if (!ok) {
            char a[160], b[160];
            return pml_node_error(ctx, PML_ERR_SHAPE, "input %d shape %s does not match input 0 shape %s except on axis %d",
                                  i, pml_shape_str(t->rank, t->dims, a, sizeof a),
                                  pml_shape_str(first->rank, first->dims, b, sizeof b), axis);
        }
        dims[axis] += t->dims[axis]; /* each <= 2^40 and at most 255 inputs: no overflow */
    }
    return pml_ew_set_output(ctx, 0, first->dtype, first->rank, dims);
}

static pml_status concat_prepare(pml_kernel_ctx *ctx) { return parts_prepare(ctx, ctx->out[0], ctx->n_in, ctx->in); }

static pml_status concat_run(pml_kernel_ctx *ctx) {
    char *parts[256];
    for (int i = 0; i < ctx->n_in && i < 256; i++) parts[i] = (char *)ctx->in[i]->data;
    return parts_run(ctx, 1, (char *)ctx->out[0]->data, parts);
}

static pml_status split_sizes(pml_kernel_ctx *ctx, const pml_tensor *x, int axis, int64_t *sizes) {
    int64_t split[256];
    int n;
    pml_status s = pml_param_ints(ctx, 1, "split", 0, split, 256, &n);
    if (s != PML_OK) return s;
    int64_t d = x->dims[axis], sum = 0;
    if (n <= 0) { /* no split: equal parts, the last one smaller if needed (ONNX 18 num_outputs) */
        int64_t part = (d + ctx->n_out - 1) / ctx->n_out;
        for (int i = 0; i < ctx->n_out; i++) {
            sizes[i] = clamp64(d - part * i, 0, part);
            sum += sizes[i];
        }
        if (ctx->n_out > 1 && sizes[ctx->n_out - 1] == 0 && d % ctx->n_out)
            return pml_node_error(ctx, PML_ERR_SHAPE, "axis %d of size %lld cannot be split into %d parts", axis,
                                  (long long)d, ctx->n_out);
        return PML_OK;
    }
    if (n != ctx->n_out)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "'split' has %d entries for %d outputs", n, ctx->n_out);
    for (int i = 0; i < n; i++) {
        if (split[i] < 0 || split[i] > d)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "split[%d] = %lld is out of range 0..%lld", i,
                                  (long long)split[i], (long long)d);
        sizes[i] = split[i];
        sum += split[i];
    }
    if (sum != d)
        return pml_node_error(ctx, PML_ERR_SHAPE, "split sizes sum to %lld but axis %d has size %lld", (long long)sum,
                              axis, (long long)d);
    return PML_OK;
}

static pml_status split_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "cannot split a scalar (rank 0)");
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 0), x->rank, "axis", &axis)) != PML_OK) return s;
    if (ctx->n_out < 1 || ctx->n_out > 256)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "Split has %d outputs (supported: 1..256)", ctx->n_out);
    int64_t sizes[256];
    if ((s = split_sizes(ctx, x, axis, sizes)) != PML_OK) return s;
    for (int i = 0; i < ctx->n_out; i++) {
        int64_t dims[PML_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = sizes[i];
        if ((s = pml_ew_set_output(ctx, i, x->dtype, x->rank, dims)) != PML_OK) return s;
    }
    return PML_OK;
}

static pml_status split_prepare(pml_kernel_ctx *ctx) { return parts_prepare(ctx, ctx->in[0], ctx->n_out, ctx->out); }

static pml_status split_run(pml_kernel_ctx *ctx) {
    char *parts[256];
    for (int i = 0; i < ctx->n_out && i < 256; i++) parts[i] = (char *)ctx->out[i]->data;
    return parts_run(ctx, 0, (char *)ctx->in[0]->data, parts);
}

/* ---- Reshape -------------------------------------------------------------------------------------------- */

static pml_status reshape_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"allowzero", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    int64_t shape[PML_MAX_RANK];
    int n;
    if ((s = pml_param_ints(ctx, 1, "shape", 0, shape, PML_MAX_RANK, &n)) != PML_OK) return s;
    if (n < 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "the target shape (attribute or input 'shape') is missing");
    int allowzero = pml_attr_int(ctx->node, "allowzero", 0) != 0;
    int64_t dims[PML_MAX_RANK], known = 1;
    int infer_at = -1, has_zero = 0;
    for (int i = 0; i < n; i++) {
        int64_t v = shape[i];
        if (v == -1) {
            if (infer_at >= 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "shape has more than one -1");
            infer_at = i;
            dims[i] = 1;
            continue;
        }
        if (v < -1) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "shape[%d] = %lld is invalid", i, (long long)v);
        if (v == 0) {
            has_zero = 1;
            if (!allowzero) {
                if (i >= x->rank)
                    return pml_node_error(ctx, PML_ERR_SHAPE, "shape[%d] = 0 copies a dim the rank-%d input lacks", i,
                                          x->rank);
                v = x->dims[i];
            }
        }
        if (v > PML_EW_MAX_NUMEL || (v > 0 && known > PML_EW_MAX_NUMEL / v))
            return pml_node_error(ctx, PML_ERR_SHAPE, "target shape is too large");
        dims[i] = v;
        known *= v;
    }
    if (allowzero && has_zero && infer_at >= 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "shape has both 0 and -1 with allowzero=1");
    int64_t numel = pml_shape_numel(x->rank, x->dims);
    if (infer_at >= 0) {
        if (known == 0 || numel % known != 0) {
            char a[160];
            return pml_node_error(ctx, PML_ERR_SHAPE, "cannot infer the -1 dim: input %s has %lld elements, the other dims %lld",
                                  pml_shape_str(x->rank, x->dims, a, sizeof a), (long long)numel, (long long)known);
        }
        dims[infer_at] = numel / known;
        known = numel;
    }
    if (known != numel) {
        char a[160], b[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "cannot reshape %s (%lld elements) to %s",
                              pml_shape_str(x->rank, x->dims, a, sizeof a), (long long)numel,
                              pml_shape_str(n, dims, b, sizeof b));
    }
    return pml_ew_set_output(ctx, 0, x->dtype, n, dims);
}

static pml_status reshape_run(pml_kernel_ctx *ctx) {
    copy_whole(ctx);
    return PML_OK;
}

/* ---- Transpose ------------------------------------------------------------------------------------------ */

enum { TR_COPY, TR_2D, TR_GENERIC };

typedef struct transpose_state {
    int kind;
    int64_t batch, rows, cols; /* TR_2D: [batch, rows, cols] -> [batch, cols, rows] */
    pml_transpose2d_fn tr;
    size_t esize;
    strided_copy gen;
} transpose_state;

static pml_status transpose_perm(pml_kernel_ctx *ctx, int rank, int *perm) {
    const int64_t *p;
    int n = pml_attr_ints(ctx->node, "perm", &p);
    if (n < 0) { /* ONNX default: reverse the axes */
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return PML_OK;
    }
    if (n != rank)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "perm has %d entries for a rank-%d input", n, rank);
    int seen[PML_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= rank || seen[p[i]])
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "perm is not a permutation of 0..%d (entry %d = %lld)",
                                  rank - 1, i, (long long)p[i]);
        seen[p[i]] = 1;
        perm[i] = (int)p[i];
    }
    return PML_OK;
}

static pml_status transpose_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    int perm[PML_MAX_RANK];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = transpose_perm(ctx, x->rank, perm)) != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    for (int i = 0; i < x->rank; i++) dims[i] = x->dims[perm[i]];
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static pml_status transpose_prepare(pml_kernel_ctx *ctx) {
    transpose_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    int perm[PML_MAX_RANK], r = x->rank;
    pml_status s = transpose_perm(ctx, r, perm);
    if (s != PML_OK) return s;
    st->esize = pml_dtype_size(x->dtype);
    /* 1. drop size-1 axes */
    int newidx[PML_MAX_RANK] = {0}, m = 0, p2[PML_MAX_RANK] = {0}, k = 0;
    int64_t d2[PML_MAX_RANK];
    for (int a = 0; a < r; a++)
        if (x->dims[a] != 1) newidx[a] = m, d2[m++] = x->dims[a];
    for (int i = 0; i < r; i++)
        if (x->dims[perm[i]] != 1) p2[k++] = newidx[perm[i]];
    /* 2. merge runs of output axes whose input axes are consecutive */
    int gstart[PML_MAX_RANK], gend[PML_MAX_RANK], g = 0;
    for (int i = 0; i < m; i++) {
        if (g > 0 && p2[i] == gend[g - 1] + 1) gend[g - 1] = p2[i];
        else gstart[g] = gend[g] = p2[i], g++;
    }
    /* merged input axes are the groups ordered by where they start in the input */
    int64_t d3[PML_MAX_RANK];
    int p3[PML_MAX_RANK];
    for (int i = 0; i < g; i++) {
        int rank_in = 0;
        for (int j = 0; j < g; j++) rank_in += gstart[j] < gstart[i];
        p3[i] = rank_in;
        int64_t dim = 1;
        for (int a = gstart[i]; a <= gend[i]; a++) dim *= d2[a];
        d3[rank_in] = dim;
    }
    if (g <= 1 || pml_shape_numel(r, x->dims) == 0) {
        st->kind = TR_COPY;
    } else if (g == 2 || (g == 3 && p3[0] == 0 && p3[1] == 2 && p3[2] == 1)) {
        st->kind = TR_2D;
        st->batch = g == 2 ? 1 : d3[0];
        st->rows = d3[g - 2];
        st->cols = d3[g - 1];
        st->tr = pml_config_transpose(ctx->config, st->esize);
    } else {
        st->kind = TR_GENERIC;
        int64_t in_stride[PML_MAX_RANK], t = 1;
        for (int a = g - 1; a >= 0; a--) in_stride[a] = t, t *= d3[a];
        st->gen.rank = g;
        st->gen.esize = st->esize;
        for (int i = 0; i < g; i++) st->gen.dims[i] = d3[p3[i]], st->gen.stride[i] = in_stride[p3[i]];
    }
    return PML_OK;
}

typedef struct tr2d_job {
    const transpose_state *st;
    const char *x;
    char *y;
    int64_t bands; /* bands of 32 source rows per batch item */
} tr2d_job;

static void tr2d_range(void *arg, int64_t t0, int64_t t1) {
    const tr2d_job *j = (const tr2d_job *)arg;
    const transpose_state *st = j->st;
    int64_t plane = st->rows * st->cols * (int64_t)st->esize;
    for (int64_t t = t0; t < t1; t++) {
        int64_t b = t / j->bands, band = t % j->bands;
        size_t r0 = (size_t)(band * 32), r1 = (size_t)(band * 32 + 32 < st->rows ? band * 32 + 32 : st->rows);
        st->tr((size_t)st->rows, (size_t)st->cols, r0, r1, j->x + b * plane, j->y + b * plane);
    }
}

static pml_status transpose_run(pml_kernel_ctx *ctx) {
    transpose_state *st = (transpose_state *)ctx->state;
    if (st->kind == TR_COPY) {
        copy_whole(ctx);
    } else if (st->kind == TR_2D) {
        tr2d_job j = {st, (const char *)ctx->in[0]->data, (char *)ctx->out[0]->data, (st->rows + 31) / 32};
        pml_ew_parallel(ctx, st->batch * j.bands, PML_EW_PARALLEL_MIN / (32 * st->cols) + 1, tr2d_range, &j);
    } else {
        pml_strided_copy_run(ctx, &st->gen, ctx->in[0]->data, ctx->out[0]->data);
    }
    return PML_OK;
}

/* ---- definitions ------------------------------------------------------------------------------------------ */

static const pml_op_def g_concat = {PML_OP_CONCAT, concat_infer, concat_prepare, concat_run,
                                    pml_ew_release};
static const pml_op_def g_reshape = {PML_OP_RESHAPE, reshape_infer, NULL, reshape_run, NULL};
static const pml_op_def g_transpose = {PML_OP_TRANSPOSE, transpose_infer, transpose_prepare,
                                       transpose_run, pml_ew_release};
static const pml_op_def g_split = {PML_OP_SPLIT, split_infer, split_prepare, split_run, pml_ew_release};

extern const pml_op_def pml_resize_def; /* ops/resize.c */
extern const pml_op_def pml_grid_sample_def, pml_affine_grid_def; /* ops/resize_grid.c */
extern const pml_op_def pml_roi_align_def; /* ops/resize_roi.c */
extern const pml_op_def pml_slice_def; /* ops/tensor_slice.c */
extern const pml_op_def pml_pad_def;   /* ops/tensor_pad.c */
extern const pml_op_def pml_gather_def; /* ops/index_gather.c */
extern const pml_op_def pml_shape_def, pml_size_def, pml_constant_of_shape_def, pml_eye_like_def; /* tensor_shape.c */
extern const pml_op_def pml_expand_def, pml_tile_def;                          /* ops/tensor_expand.c */
extern const pml_op_def pml_depth_to_space_def, pml_space_to_depth_def;        /* ops/tensor_space.c */
extern const pml_op_def pml_range_def, pml_trilu_def, pml_cumsum_def, pml_cumprod_def, pml_onehot_def,
    pml_topk_def, pml_reverse_sequence_def; /* ops/index.c */
extern const pml_op_def pml_gather_elements_def, pml_gather_nd_def, pml_scatter_elements_def,
    pml_scatter_nd_def, pml_tensor_scatter_def; /* ops/index_scatter.c */

const pml_op_def *const pml_tensor_ops[] = {
    &g_concat, &g_reshape, &g_transpose, &pml_slice_def, &g_split, &pml_pad_def, &pml_gather_def, &pml_resize_def, &pml_shape_def,
    &pml_size_def, &pml_constant_of_shape_def, &pml_expand_def, &pml_tile_def, &pml_range_def, &pml_trilu_def, &pml_cumsum_def,
    &pml_gather_elements_def, &pml_gather_nd_def, &pml_scatter_elements_def, &pml_scatter_nd_def, &pml_onehot_def,
    &pml_topk_def, &pml_depth_to_space_def, &pml_space_to_depth_def, &pml_cumprod_def,
    &pml_eye_like_def, &pml_reverse_sequence_def, &pml_grid_sample_def, &pml_roi_align_def, &pml_affine_grid_def,
    &pml_tensor_scatter_def, NULL};
