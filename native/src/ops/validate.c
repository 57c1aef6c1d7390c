/*
 * ops/validate.c — input/shape/dtype validation and the threading and
 * broadcast helpers shared by the op families (see validate.h).
 */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>

pml_status pml_ew_check_shape(const pml_kernel_ctx *ctx, int rank, const int64_t *dims, const char *what) {
    if (rank < 0 || rank > PML_MAX_RANK)
        return pml_node_error(ctx, PML_ERR_SHAPE, "%s has rank %d; supported ranks are 0..%d", what, rank,
                              PML_MAX_RANK);
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return pml_node_error(ctx, PML_ERR_SHAPE, "%s has negative dim %lld at axis %d", what,
                                  (long long)dims[i], i);
        /* divide rather than multiply so the check itself cannot overflow */
        if (dims[i] > 0 && n > PML_EW_MAX_NUMEL / dims[i])
            return pml_node_error(ctx, PML_ERR_SHAPE, "%s is too large (more than 2^40 elements)", what);
        n *= dims[i];
    }
    return PML_OK;
}

pml_status pml_ew_input(const pml_kernel_ctx *ctx, int i, const char *role, const pml_tensor **out) {
    if (i >= ctx->n_in || !ctx->in[i])
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required input %d ('%s') is missing", i, role);
    const pml_tensor *t = ctx->in[i];
    if (pml_dtype_size(t->dtype) == 0)
        return pml_node_error(ctx, PML_ERR_DTYPE, "input '%s' has undefined dtype %d", role, (int)t->dtype);
    pml_status s = pml_ew_check_shape(ctx, t->rank, t->dims, role);
    if (s != PML_OK) return s;
    *out = t;
    return PML_OK;
}

pml_status pml_ew_set_output(const pml_kernel_ctx *ctx, int i, pml_dtype dtype, int rank, const int64_t *dims) {
    if (i >= ctx->n_out || !ctx->out[i])
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "output %d is missing", i);
    pml_status s = pml_ew_check_shape(ctx, rank, dims, "output");
    if (s != PML_OK) return s;
    pml_tensor_set_shape(ctx->out[i], dtype, rank, dims);
    return PML_OK;
}

pml_status pml_ew_set_broadcast_output(const pml_kernel_ctx *ctx, const pml_tensor *a, const pml_tensor *b,
                                       pml_dtype dtype) {
    int rank;
    int64_t dims[PML_MAX_RANK];
    if (pml_broadcast_shapes(a->rank, a->dims, b->rank, b->dims, &rank, dims) != 0) {
        char sa[160], sb[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "shapes %s and %s do not broadcast",
                              pml_shape_str(a->rank, a->dims, sa, sizeof sa),
                              pml_shape_str(b->rank, b->dims, sb, sizeof sb));
    }
    return pml_ew_set_output(ctx, 0, dtype, rank, dims);
}

pml_status pml_ew_axis(const pml_kernel_ctx *ctx, int64_t axis, int rank, const char *what, int *out) {
    if (axis < -(int64_t)rank || axis >= rank)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%s %lld is out of range for rank %d (valid: %d..%d)",
                              what, (long long)axis, rank, -rank, rank - 1);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return PML_OK;
}

pml_status pml_ew_check_dtype(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role,
                              const pml_dtype *allowed, int n) {
    for (int i = 0; i < n; i++)
        if (t->dtype == allowed[i]) return PML_OK;
    char list[128];
    size_t len = 0;
    list[0] = 0;
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, i ? ", %s" : "%s", pml_dtype_name(allowed[i]));
    return pml_node_error(ctx, PML_ERR_DTYPE, "input '%s' has dtype %s; supported: %s", role,
                          pml_dtype_name(t->dtype), list);
}

typedef struct range_job {
    pml_range_fn fn;
    void *arg;
    int64_t n, chunk;
} range_job;

static void range_task(void *p, int64_t task, int thread) {
    const range_job *j = (const range_job *)p;
    int64_t b = task * j->chunk, e = b + j->chunk;
    if (e > j->n) e = j->n;
    if (b < e) j->fn(j->arg, b, e);
    (void)thread;
}

void pml_ew_parallel(const pml_kernel_ctx *ctx, int64_t n, int64_t min_chunk, pml_range_fn fn, void *arg) {
    if (n <= 0) return;
    int threads = ctx->pool ? pml_threadpool_size(ctx->pool) : 1;
    if (min_chunk < 1) min_chunk = 1;
    if (threads <= 1 || n < 2 * min_chunk) {
        fn(arg, 0, n);
        return;
    }
    /* a few tasks per thread balance uneven progress; never below min_chunk */
    int64_t tasks = (int64_t)threads * 4;
    int64_t chunk = (n + tasks - 1) / tasks;
    if (chunk < min_chunk) chunk = min_chunk;
    range_job j = {fn, arg, n, chunk};
    pml_parallel_for(ctx->pool, (n + chunk - 1) / chunk, range_task, &j);
}

void pml_bcast_plan_init(pml_bcast_plan *p, int n_in, const pml_tensor *const *in, const pml_tensor *y) {
    const int r = y->rank;
    int n = 0;
    int64_t din[PML_BCAST_MAX_IN][PML_MAX_RANK], dy[PML_MAX_RANK];
    p->n_in = n_in;
    for (int i = 0; i < r; i++) {
        if (y->dims[i] == 1) continue; /* size-1 output dims carry no iteration */
        int64_t e[PML_BCAST_MAX_IN];
        int same = n > 0; /* every input is full (not broadcast) here iff it was along the previous kept dim */
        for (int k = 0; k < n_in; k++) {
            const pml_tensor *t = in[k];
            e[k] = i < r - t->rank ? 1 : t->dims[i - (r - t->rank)];
            if (n > 0 && (e[k] != 1) != (din[k][n - 1] != 1)) same = 0;
        }
        if (same) {
            dy[n - 1] *= y->dims[i];
            for (int k = 0; k < n_in; k++) din[k][n - 1] *= e[k];
        } else {
            dy[n] = y->dims[i];
            for (int k = 0; k < n_in; k++) din[k][n] = e[k];
            n++;
        }
    }
    if (n == 0) { /* single element: every input has exactly one, read with stride 1 */
        p->rank = 1;
        p->dims[0] = 1;
        for (int k = 0; k < n_in; k++) p->strides[k][0] = 1;
        return;
    }
    for (int k = 0; k < n_in; k++) {
        int64_t t = 1;
        for (int i = n - 1; i >= 0; i--) {
            p->strides[k][i] = din[k][i] == 1 ? 0 : t;
            t *= din[k][i];
        }
    }
    for (int i = 0; i < n; i++) p->dims[i] = dy[i];
    p->rank = n;
}

/* Walks rows of the collapsed plan, keeping the input offsets of the current
 * row in step with a multi-index. */
void pml_bcast_walk(const pml_bcast_plan *p, int64_t s, int64_t e, pml_bcast_row_fn row, void *arg) {
    const int r = p->rank, nk = p->n_in;
    const int64_t inner = p->dims[r - 1];
    int64_t idx[PML_MAX_RANK] = {0}, base[PML_BCAST_MAX_IN] = {0}, off[PML_BCAST_MAX_IN];
    int64_t rowi = s / inner, col = s % inner;
    for (int d = r - 2; d >= 0; d--) {
        idx[d] = rowi % p->dims[d];
        rowi /= p->dims[d];
        for (int k = 0; k < nk; k++) base[k] += idx[d] * p->strides[k][d];
    }
    for (int64_t pos = s; pos < e;) {
        int64_t n = inner - col < e - pos ? inner - col : e - pos;
        for (int k = 0; k < nk; k++) off[k] = base[k] + col * p->strides[k][r - 1];
        row(arg, off, pos, n);
        pos += n;
        col = 0;
        for (int d = r - 2; d >= 0; d--) {
            for (int k = 0; k < nk; k++) base[k] += p->strides[k][d];
            if (++idx[d] < p->dims[d]) break;
            for (int k = 0; k < nk; k++) base[k] -= p->strides[k][d] * p->dims[d];
            idx[d] = 0;
        }
    }
}

void *pml_ew_alloc_state(pml_kernel_ctx *ctx, size_t size) {
    void *p = calloc(1, size ? size : 1);
    if (p) {
        ctx->state = p;
        ctx->state_size = size;
    }
    return p;
}

void pml_ew_release(pml_kernel_ctx *ctx) {
    free(ctx->state);
    ctx->state = NULL;
    ctx->state_size = 0;
}
