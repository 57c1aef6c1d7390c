/*
 * elementwise_util.c — validation and threading helpers shared by the
 * elementwise, norm, tensor and reduce families (see elementwise_util.h).
 */
#include "elementwise_util.h"

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
