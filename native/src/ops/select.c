/*
 * ops/select.c — the select family: ops whose output size depends on input values
 * (NonZero, Compress, Unique, NonMaxSuppression). Each infer gives an upper bound
 * (the arena holds it); run writes the actual count into the output dims, and the
 * session plans the nodes after it for that count (session_tail.c). Elements are
 * compared by value per dtype (float -0 equals 0; NaN is non-zero and, in Unique,
 * sorts last and equals NaN), so one scalar kernel serves every dtype.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "kernels/common.h" /* pml_f16_to_f32_scalar */
#include "params.h"
#include "validate.h"

/* ---- element access by dtype ---------------------------------------------------------------- */

static int is_float(pml_dtype dt) { return dt == PML_FLOAT32 || dt == PML_FLOAT16; }

static int is_unsigned(pml_dtype dt) {
    return dt == PML_UINT8 || dt == PML_UINT16 || dt == PML_UINT32 || dt == PML_UINT64 || dt == PML_BOOL;
}

static double float_at(const unsigned char *p, pml_dtype dt) {
    if (dt == PML_FLOAT32) {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    uint16_t h;
    memcpy(&h, p, 2);
    return pml_f16_to_f32_scalar(h);
}

static int64_t int_at(const unsigned char *p, size_t es) {
    switch (es) {
    case 1: return (int8_t)p[0];
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

static uint64_t uint_at(const unsigned char *p, size_t es) {
    switch (es) {
    case 1: return p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static int nonzero_at(const unsigned char *p, pml_dtype dt, size_t es) {
    if (is_float(dt)) return float_at(p, dt) != 0.0; /* NaN != 0 */
    for (size_t b = 0; b < es; b++)
        if (p[b]) return 1;
    return 0;
}

/* -1, 0, 1 ordering two elements by value (NaN after everything, equal to NaN). */
static int compare_at(const unsigned char *a, const unsigned char *b, pml_dtype dt, size_t es) {
    if (is_float(dt)) {
        double x = float_at(a, dt), y = float_at(b, dt);
        int nx = x != x, ny = y != y;
        if (nx || ny) return nx - ny;
        return (x > y) - (x < y);
    }
    if (is_unsigned(dt)) {
        uint64_t x = uint_at(a, es), y = uint_at(b, es);
        return (x > y) - (x < y);
    }
    int64_t x = int_at(a, es), y = int_at(b, es);
    return (x > y) - (x < y);
}

/* Stable merge sort of idx[0..n) (tmp: n scratch entries): an entry moves before an earlier
 * one only when less(ctx, it, that) holds. */
static void stable_sort(int64_t *idx, int64_t *tmp, int64_t n, int (*less)(const void *, int64_t, int64_t),
                        const void *ctx) {
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) tmp[k++] = less(ctx, idx[b], idx[a]) ? idx[b++] : idx[a++];
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, sizeof *idx * (size_t)n);
    }
}

/* ---- NonZero -------------------------------------------------------------------------------- */

static pml_status nonzero_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    int64_t dims[2] = {x->rank > 1 ? x->rank : 1, pml_shape_numel(x->rank, x->dims)}; /* bound: all non-zero */
    return pml_ew_set_output(ctx, 0, PML_INT64, 2, dims);
}

static pml_status nonzero_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    pml_tensor *y = ctx->out[0];
    const unsigned char *p = (const unsigned char *)x->data;
    const size_t es = pml_dtype_size(x->dtype);
    const int64_t numel = pml_shape_numel(x->rank, x->dims);
    int64_t count = 0;
    for (int64_t e = 0; e < numel; e++) count += nonzero_at(p + (size_t)e * es, x->dtype, es);
    int64_t *out = (int64_t *)y->data, j = 0;
    const int rank = x->rank;
    for (int64_t e = 0; e < numel; e++) {
        if (!nonzero_at(p + (size_t)e * es, x->dtype, es)) continue;
        if (rank == 0) {
            out[j++] = 0;
            continue;
        }
        int64_t rest = e;
        for (int a = rank - 1; a >= 0; a--) { /* row-major coordinates of element e */
            out[(int64_t)a * count + j] = rest % x->dims[a];
            rest /= x->dims[a];
        }
        j++;
    }
    y->dims[1] = count;
    return PML_OK;
}

/* ---- Compress ------------------------------------------------------------------------------- */

/* The optional axis: -1 flattens. */
static pml_status compress_axis(const pml_kernel_ctx *ctx, int rank, int *axis) {
    const int64_t *a;
    int n = pml_attr_ints(ctx->node, "axis", &a);
    if (n <= 0) {
        *axis = -1;
        return PML_OK;
    }
    if (n > 1) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis holds %d values; it is one axis or none", n);
    return pml_ew_axis(ctx, a[0], rank, "axis", axis);
}

static pml_status compress_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *c;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "input", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "condition", &c)) != PML_OK)
        return s;
    if (c->rank != 1) return pml_node_error(ctx, PML_ERR_SHAPE, "condition must be 1-D, got rank %d", c->rank);
    if ((s = compress_axis(ctx, x->rank, &axis)) != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    if (axis < 0) {
        int64_t n = pml_shape_numel(x->rank, x->dims);
        dims[0] = c->dims[0] < n ? c->dims[0] : n;
        return pml_ew_set_output(ctx, 0, x->dtype, 1, dims);
    }
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    dims[axis] = c->dims[0] < x->dims[axis] ? c->dims[0] : x->dims[axis];
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static pml_status compress_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *c = ctx->in[1];
    pml_tensor *y = ctx->out[0];
    int axis;
    pml_status s = compress_axis(ctx, x->rank, &axis);
    if (s != PML_OK) return s;
    const size_t es = pml_dtype_size(x->dtype);
    const int64_t len = axis < 0 ? pml_shape_numel(x->rank, x->dims) : x->dims[axis];
    const int64_t outer = axis < 0 ? 1 : pml_shape_numel(axis, x->dims);
    const size_t inner = axis < 0 ? es : (size_t)pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1) * es;
    const unsigned char *cond = (const unsigned char *)c->data;
    for (int64_t k = len; k < c->dims[0]; k++)
        if (cond[k])
            return pml_node_error(ctx, PML_ERR_RUNTIME, "condition is true at %lld, beyond the %lld entries it "
                                  "selects from", (long long)k, (long long)len);
    const int64_t n = c->dims[0] < len ? c->dims[0] : len;
    int64_t count = 0;
    for (int64_t k = 0; k < n; k++) count += cond[k] != 0;
    const unsigned char *src = (const unsigned char *)x->data;
    unsigned char *dst = (unsigned char *)y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++)
            if (cond[k]) {
                memcpy(dst, src + ((size_t)(o * len + k)) * inner, inner);
                dst += inner;
            }
    if (axis < 0)
        y->dims[0] = count;
    else
        y->dims[axis] = count;
    return PML_OK;
}

/* ---- Unique --------------------------------------------------------------------------------- */

typedef struct unique_view {
    const unsigned char *x;
    pml_dtype dtype;
    size_t es;
    int64_t outer, len, inner; /* slice i: elements (o, i, r) for o < outer, r < inner */
} unique_view;

static int compare_slices(const unique_view *v, int64_t i, int64_t j) {
    for (int64_t o = 0; o < v->outer; o++)
        for (int64_t r = 0; r < v->inner; r++) {
            size_t a = (size_t)((o * v->len + i) * v->inner + r) * v->es;
            size_t b = (size_t)((o * v->len + j) * v->inner + r) * v->es;
            int c = compare_at(v->x + a, v->x + b, v->dtype, v->es);
            if (c) return c;
        }
    return 0;
}

static int slice_less(const void *view, int64_t i, int64_t j) {
    return compare_slices((const unique_view *)view, i, j) < 0;
}

static pml_status unique_geometry(const pml_kernel_ctx *ctx, const pml_tensor *x, int *axis, unique_view *v) {
    pml_status s = compress_axis(ctx, x->rank, axis);
    if (s != PML_OK) return s;
    v->x = (const unsigned char *)x->data;
    v->dtype = x->dtype;
    v->es = pml_dtype_size(x->dtype);
    v->outer = *axis < 0 ? 1 : pml_shape_numel(*axis, x->dims);
    v->len = *axis < 0 ? pml_shape_numel(x->rank, x->dims) : x->dims[*axis];
    v->inner = *axis < 0 ? 1 : pml_shape_numel(x->rank - *axis - 1, x->dims + *axis + 1);
    return PML_OK;
}

static pml_status unique_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"sorted", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    int axis;
    unique_view v;
    if ((s = unique_geometry(ctx, x, &axis, &v)) != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    if (axis < 0) {
        dims[0] = v.len;
        s = pml_ew_set_output(ctx, 0, x->dtype, 1, dims);
    } else {
        memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
        s = pml_ew_set_output(ctx, 0, x->dtype, x->rank, dims);
    }
    for (int k = 1; k < ctx->n_out && s == PML_OK; k++) /* indices, inverse_indices, counts */
        s = pml_ew_set_output(ctx, k, PML_INT64, 1, &v.len);
    return s;
}

static pml_status unique_prepare(pml_kernel_ctx *ctx) {
    int axis;
    unique_view v;
    pml_status s = unique_geometry(ctx, ctx->in[0], &axis, &v);
    if (s == PML_OK) ctx->scratch_size = sizeof(int64_t) * 4 * (size_t)(v.len + 1);
    return s;
}

static pml_status unique_run(pml_kernel_ctx *ctx) {
    int axis;
    unique_view v;
    pml_status s = unique_geometry(ctx, ctx->in[0], &axis, &v);
    if (s != PML_OK) return s;
    const int64_t n = v.len;
    int64_t *idx = (int64_t *)ctx->scratch, *tmp = idx + n, *group = tmp + n, *first = group + n;
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    stable_sort(idx, tmp, n, slice_less, &v); /* equal slices keep index order */
    int64_t groups = 0; /* group[i]: sorted group of slice i; first[g]: its lowest index */
    for (int64_t k = 0; k < n; k++) {
        if (k == 0 || compare_slices(&v, idx[k - 1], idx[k]) != 0) first[groups++] = idx[k];
        group[idx[k]] = groups - 1;
    }
    /* output position of each group: sorted order, or order of first occurrence */
    int64_t *pos = tmp;
    if (pml_attr_int(ctx->node, "sorted", 1)) {
        for (int64_t g = 0; g < groups; g++) pos[g] = g;
    } else {
        int64_t next = 0;
        for (int64_t g = 0; g < groups; g++) pos[g] = -1;
        for (int64_t i = 0; i < n; i++)
            if (pos[group[i]] < 0) pos[group[i]] = next++;
    }
    /* Y: slice first[g] at position pos[g] */
    const size_t inner = (size_t)v.inner * v.es;
    unsigned char *y = (unsigned char *)ctx->out[0]->data;
    for (int64_t o = 0; o < v.outer; o++)
        for (int64_t g = 0; g < groups; g++)
            memcpy(y + (size_t)(o * groups + pos[g]) * inner, v.x + (size_t)(o * n + first[g]) * inner, inner);
    if (ctx->n_out > 1)
        for (int64_t g = 0; g < groups; g++) ((int64_t *)ctx->out[1]->data)[pos[g]] = first[g];
    if (ctx->n_out > 2)
        for (int64_t i = 0; i < n; i++) ((int64_t *)ctx->out[2]->data)[i] = pos[group[i]];
    if (ctx->n_out > 3) {
        int64_t *counts = (int64_t *)ctx->out[3]->data;
        for (int64_t g = 0; g < groups; g++) counts[pos[g]] = 0;
        for (int64_t i = 0; i < n; i++) counts[pos[group[i]]]++;
    }
    ctx->out[0]->dims[axis < 0 ? 0 : axis] = groups;
    if (ctx->n_out > 1) ctx->out[1]->dims[0] = groups;
    if (ctx->n_out > 3) ctx->out[3]->dims[0] = groups;
    return PML_OK;
}

/* ---- NonMaxSuppression ---------------------------------------------------------------------- */

typedef struct nms_state {
    int64_t batch, classes, boxes, limit;
} nms_state;

static pml_status nms_limit(const pml_kernel_ctx *ctx, int64_t *limit) {
    pml_status s = pml_param_int(ctx, 2, "max_output_boxes_per_class", 0, 0, limit);
    if (s == PML_OK && *limit < 0) *limit = 0;
    return s;
}

static pml_status nms_scalar_input(const pml_kernel_ctx *ctx, int k, const char *role) {
    if (k >= ctx->n_in || !ctx->in[k]) return PML_OK;
    const pml_tensor *t = ctx->in[k];
    if (pml_shape_numel(t->rank, t->dims) != 1 || t->rank > 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "%s must hold one value (rank 0 or 1)", role);
    return PML_OK;
}

static pml_status nms_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"center_point_box", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *b, *sc;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "boxes", &b)) != PML_OK || (s = pml_ew_input(ctx, 1, "scores", &sc)) != PML_OK)
        return s;
    if (b->rank != 3 || b->dims[2] != 4)
        return pml_node_error(ctx, PML_ERR_SHAPE, "boxes must be [batch, boxes, 4]");
    if (sc->rank != 3 || sc->dims[0] != b->dims[0] || sc->dims[2] != b->dims[1])
        return pml_node_error(ctx, PML_ERR_SHAPE, "scores must be [batch, classes, boxes] = [%lld, C, %lld]",
                              (long long)b->dims[0], (long long)b->dims[1]);
    if ((s = nms_scalar_input(ctx, 3, "iou_threshold")) != PML_OK ||
        (s = nms_scalar_input(ctx, 4, "score_threshold")) != PML_OK)
        return s;
    int64_t limit;
    if ((s = nms_limit(ctx, &limit)) != PML_OK) return s;
    int64_t per_class = limit < b->dims[1] ? limit : b->dims[1];
    int64_t dims[2] = {sc->dims[0] * sc->dims[1] * per_class, 3}; /* bound: every class keeps its most */
    return pml_ew_set_output(ctx, 0, PML_INT64, 2, dims);
}

static pml_status nms_prepare(pml_kernel_ctx *ctx) {
    nms_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->batch = ctx->in[1]->dims[0];
    st->classes = ctx->in[1]->dims[1];
    st->boxes = ctx->in[1]->dims[2];
    pml_status s = nms_limit(ctx, &st->limit);
    ctx->scratch_size = (sizeof(float) + 2 * sizeof(int64_t)) * (size_t)(st->boxes + 1);
    return s;
}

/* Corners (y0, x0, y1, x1), ordered, of box p. */
static void corners(const float *p, int center, float *c) {
    if (center) {
        c[0] = p[1] - p[3] / 2, c[1] = p[0] - p[2] / 2, c[2] = p[1] + p[3] / 2, c[3] = p[0] + p[2] / 2;
    } else {
        c[0] = fminf(p[0], p[2]), c[1] = fminf(p[1], p[3]), c[2] = fmaxf(p[0], p[2]), c[3] = fmaxf(p[1], p[3]);
    }
}

static int overlaps(const float *a, const float *b, int center, float threshold) {
    float ca[4], cb[4];
    corners(a, center, ca);
    corners(b, center, cb);
    float h = fminf(ca[2], cb[2]) - fmaxf(ca[0], cb[0]), w = fminf(ca[3], cb[3]) - fmaxf(ca[1], cb[1]);
    if (h <= 0 || w <= 0) return 0;
    float inter = h * w;
    float area_a = (ca[2] - ca[0]) * (ca[3] - ca[1]), area_b = (cb[2] - cb[0]) * (cb[3] - cb[1]);
    float uni = area_a + area_b - inter;
    if (area_a <= 0 || area_b <= 0 || uni <= 0) return 0;
    return inter / uni > threshold;
}

static int score_greater(const void *score, int64_t i, int64_t j) {
    return ((const float *)score)[i] > ((const float *)score)[j];
}

static pml_status nms_run(pml_kernel_ctx *ctx) {
    const nms_state *st = (const nms_state *)ctx->state;
    const float *boxes = (const float *)ctx->in[0]->data, *scores = (const float *)ctx->in[1]->data;
    const float iou = ctx->n_in > 3 && ctx->in[3] ? ((const float *)ctx->in[3]->data)[0] : 0.0f;
    const int has_score = ctx->n_in > 4 && ctx->in[4] != NULL;
    const float min_score = has_score ? ((const float *)ctx->in[4]->data)[0] : 0.0f;
    const int center = pml_attr_int(ctx->node, "center_point_box", 0) != 0;
    int64_t *idx = (int64_t *)ctx->scratch, *tmp = idx + st->boxes;
    int64_t *out = (int64_t *)ctx->out[0]->data, total = 0;
    for (int64_t b = 0; b < st->batch; b++)
        for (int64_t c = 0; c < st->classes; c++) {
            const float *score = scores + (b * st->classes + c) * st->boxes;
            int64_t n = 0;
            for (int64_t i = 0; i < st->boxes; i++)
                if (!has_score || score[i] > min_score) idx[n++] = i;
            stable_sort(idx, tmp, n, score_greater, score); /* ties: the lower box index first */
            int64_t kept = 0, *kept_at = out + total * 3; /* this class's rows so far */
            for (int64_t k = 0; k < n && kept < st->limit; k++) {
                const float *box = boxes + (b * st->boxes + idx[k]) * 4;
                int suppressed = 0;
                for (int64_t j = 0; j < kept && !suppressed; j++)
                    suppressed = overlaps(boxes + (b * st->boxes + kept_at[j * 3 + 2]) * 4, box, center, iou);
                if (suppressed) continue;
                kept_at[kept * 3] = b, kept_at[kept * 3 + 1] = c, kept_at[kept * 3 + 2] = idx[k];
                kept++;
            }
            total += kept;
        }
    ctx->out[0]->dims[0] = total;
    return PML_OK;
}

const pml_op_def pml_nonzero_def = {PML_OP_NONZERO, nonzero_infer, NULL, nonzero_run, NULL};
const pml_op_def pml_compress_def = {PML_OP_COMPRESS, compress_infer, NULL, compress_run, NULL};
const pml_op_def pml_unique_def = {PML_OP_UNIQUE, unique_infer, unique_prepare, unique_run, NULL};
const pml_op_def pml_nms_def = {PML_OP_NONMAXSUPPRESSION, nms_infer, nms_prepare, nms_run, pml_ew_release};

const pml_op_def *const pml_select_ops[] = {&pml_nonzero_def, &pml_compress_def, &pml_unique_def, &pml_nms_def,
                                            NULL};
