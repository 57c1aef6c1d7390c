/*
 * common.c — services shared by the runtime and every kernel family:
 * thread-local error messages, dtype sizes/names, aligned allocation,
 * attribute lookup, shape helpers and the scalar fused-activation reference.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pml_checked.h"

/* ---- errors ---------------------------------------------------------------------- */

static _Thread_local char g_last_error[1024];

const char *pml_last_error(void) { return g_last_error; }

pml_status pml_set_errorv(pml_status status, const char *fmt, va_list ap) {
    vsnprintf(g_last_error, sizeof g_last_error, fmt, ap);
    return status;
}

pml_status pml_set_error(pml_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pml_set_errorv(status, fmt, ap);
    va_end(ap);
    return status;
}

pml_status pml_node_error(const pml_kernel_ctx *ctx, pml_status status, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = ctx && ctx->node && ctx->node->name ? ctx->node->name : "?";
    const char *op = ctx && ctx->op_name ? ctx->op_name : "?";
    return pml_set_error(status, "node '%s' (%s): %s", name, op, msg);
}

const char *pml_status_string(pml_status status) {
    switch (status) {
    case PML_OK: return "ok";
    case PML_ERR_INVALID_ARGUMENT: return "invalid argument";
    case PML_ERR_IO: return "I/O error";
    case PML_ERR_INVALID_MODEL: return "invalid model";
    case PML_ERR_UNSUPPORTED: return "unsupported";
    case PML_ERR_SHAPE: return "shape error";
    case PML_ERR_DTYPE: return "dtype error";
    case PML_ERR_NOT_FOUND: return "not found";
    case PML_ERR_OUT_OF_MEMORY: return "out of memory";
    case PML_ERR_RUNTIME: return "runtime error";
    case PML_ERR_INTERNAL: return "internal error";
    case PML_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

/* ---- dtypes and memory ------------------------------------------------------------ */

/* pml_dtype_name and pml_dtype_size: generated, in dtype_table.c */

int64_t pml_shape_numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

void *pml_aligned_malloc(size_t size) {
    void *p = NULL;
    if (size == 0) size = PML_ALIGN;
    if (!pml_checked_align(size, PML_ALIGN, &size)) return NULL; /* a wrapped size would be tiny */
    if (posix_memalign(&p, PML_ALIGN, size) != 0) return NULL;
    return p;
}

void *pml_aligned_alloc(size_t size) {
    void *p = pml_aligned_malloc(size);
    if (p) memset(p, 0, size ? size : PML_ALIGN); /* bytes past size are padding nobody reads */
    return p;
}

void pml_aligned_free(void *p) { free(p); }

/* ---- attributes ------------------------------------------------------------------- */

const pml_attr *pml_attr_find(const pml_node *node, const char *name) {
    for (int i = 0; i < node->n_attrs; i++)
        if (node->attrs[i].name && strcmp(node->attrs[i].name, name) == 0) return &node->attrs[i];
    return NULL;
}

pml_subgraph *pml_ctx_subgraph(const pml_kernel_ctx *ctx, const char *name) {
    const pml_attr *a = pml_attr_find(ctx->node, name);
    if (!a || a->type != PML_ATTR_GRAPH || !ctx->subgraphs) return NULL;
    return ctx->subgraphs[a - ctx->node->attrs];
}

int64_t pml_attr_int(const pml_node *node, const char *name, int64_t def) {
    const pml_attr *a = pml_attr_find(node, name);
    return a && a->type == PML_ATTR_INT ? a->i : def;
}

float pml_attr_float(const pml_node *node, const char *name, float def) {
    const pml_attr *a = pml_attr_find(node, name);
    if (!a) return def;
    if (a->type == PML_ATTR_FLOAT) return a->f;
    if (a->type == PML_ATTR_INT) return (float)a->i;
    return def;
}

int pml_attr_ints(const pml_node *node, const char *name, const int64_t **values) {
    const pml_attr *a = pml_attr_find(node, name);
    if (!a || a->type != PML_ATTR_INTS) return -1;
    *values = a->ints;
    return a->n_ints;
}

int pml_attr_floats(const pml_node *node, const char *name, const float **values) {
    const pml_attr *a = pml_attr_find(node, name);
    if (!a || a->type != PML_ATTR_FLOATS) return -1;
    *values = a->floats;
    return a->n_floats;
}

/* ---- shapes --------------------------------------------------------------------------- */

int pml_broadcast_shapes(int rank_a, const int64_t *a, int rank_b, const int64_t *b, int *rank_out,
                         int64_t *out) {
    int r = rank_a > rank_b ? rank_a : rank_b;
    if (r > PML_MAX_RANK) return -1;
    for (int i = 0; i < r; i++) {
        int64_t da = i < r - rank_a ? 1 : a[i - (r - rank_a)];
        int64_t db = i < r - rank_b ? 1 : b[i - (r - rank_b)];
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else return -1;
    }
    *rank_out = r;
    return 0;
}

void pml_tensor_set_shape(pml_tensor *t, pml_dtype dtype, int rank, const int64_t *dims) {
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    for (int i = rank; i < PML_MAX_RANK; i++) t->dims[i] = 0;
    t->nbytes = (size_t)pml_shape_numel(rank, dims) * pml_dtype_size(dtype);
}

const char *pml_shape_str(int rank, const int64_t *dims, char *buf, size_t cap) {
    size_t n = 0;
    if (cap == 0) return buf;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

/* ---- fused activations (scalar reference) ----------------------------------------------- */

pml_status pml_activation_from_node(const pml_kernel_ctx *ctx, pml_activation *act) {
    act->kind = (int)pml_attr_int(ctx->node, "act", PML_ACT_NONE);
    act->alpha = pml_attr_float(ctx->node, "act_alpha", 0.0f);
    act->beta = pml_attr_float(ctx->node, "act_beta", 0.0f);
    act->slope = NULL;
    act->has_sum = 0;
    act->sum_offset = 0;
    if (act->kind == PML_ACT_PRELU)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "fused activation kind %d (prelu) needs a per-channel slope input: only Conv has one",
                              act->kind);
    if (act->kind < PML_ACT_NONE || act->kind > PML_ACT_LAST)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "fused activation kind %d is not supported (supported: 0..%d: none, relu, clip, "
                              "sigmoid, hardswish, leaky_relu, tanh, hardsigmoid, gelu_erf, gelu_tanh)",
                              act->kind, PML_ACT_LAST);
    return PML_OK;
}
