/*
 * ops/tensor_pad.c — Pad: maps each output coordinate back to the input
 * (constant / reflect / edge, negative pads crop), copying the in-range
 * middle of every row with memcpy; a constant pad of the last axis only has
 * fast paths (short rows of any element size in 16-byte chunks, long 4-byte
 * rows in plain loops). Any dtype, by element size.
 */
#include <string.h>

#include "../internal.h"
#include "validate.h"
#include "params.h"
#include "tensor.h"

typedef struct pad_state {
    int rank, mode; /* 0 constant, 1 reflect, 2 edge, 3 wrap */
    size_t esize;
    int64_t in[PML_MAX_RANK], out[PML_MAX_RANK], begin[PML_MAX_RANK], stride[PML_MAX_RANK];
    unsigned char value[8]; /* the constant as one element of the dtype */
    const char *x;
    char *y;
} pad_state;

/* Begin/end pads of every axis: pads (attribute or input 1, read while planning) for the
 * axes listed in 'axes' (attribute or input 3; all axes when absent), 0 elsewhere. */
static pml_status pad_amounts(pml_kernel_ctx *ctx, int r, int64_t *full) {
    int64_t pads[2 * PML_MAX_RANK], axes[PML_MAX_RANK];
    int n, na, seen[PML_MAX_RANK] = {0};
    pml_status s = pml_param_ints(ctx, 1, "pads", 0, pads, 2 * PML_MAX_RANK, &n);
    if (s == PML_OK) s = pml_param_ints(ctx, 3, "axes", 0, axes, PML_MAX_RANK, &na);
    if (s != PML_OK) return s;
    if (na <= 0) /* absent (or empty): every axis */
        for (na = 0; na < r; na++) axes[na] = na;
    if (n != 2 * na)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "pads has %d entries; %d axes need %d", n < 0 ? 0 : n, na,
                              2 * na);
    for (int a = 0; a < 2 * r; a++) full[a] = 0;
    for (int k = 0; k < na; k++) {
        int a;
        if ((s = pml_ew_axis(ctx, axes[k], r, "pad axis", &a)) != PML_OK) return s;
        if (seen[a]++) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis %d appears twice in 'axes'", a);
        full[a] = pads[k];
        full[a + r] = pads[k + na];
    }
    return PML_OK;
}

static pml_status pad_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    int64_t pads[2 * PML_MAX_RANK];
    int r = x->rank;
    if ((s = pad_amounts(ctx, r, pads)) != PML_OK) return s;
    const pml_tensor *v = ctx->n_in > 2 ? ctx->in[2] : NULL;
    if (v && (v->dtype != x->dtype || pml_shape_numel(v->rank, v->dims) != 1))
        return pml_node_error(ctx, PML_ERR_SHAPE, "constant_value must be one %s element", pml_dtype_name(x->dtype));
    int64_t mode = pml_attr_int(ctx->node, "mode", 0);
    if (mode < 0 || mode > 3)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "mode %lld (supported: 0 constant, 1 reflect, 2 edge, 3 wrap)",
                              (long long)mode);
    int64_t dims[PML_MAX_RANK];
    for (int a = 0; a < r; a++) {
        int64_t b = pads[a], e = pads[a + r];
        if (b < -PML_EW_MAX_NUMEL || b > PML_EW_MAX_NUMEL || e < -PML_EW_MAX_NUMEL || e > PML_EW_MAX_NUMEL ||
            x->dims[a] + b + e < 0)
            return pml_node_error(ctx, PML_ERR_SHAPE, "pads %lld/%lld on axis %d of size %lld give a negative size",
                                  (long long)b, (long long)e, a, (long long)x->dims[a]);
        dims[a] = x->dims[a] + b + e;
        if (mode != 0 && x->dims[a] == 0 && dims[a] > 0)
            return pml_node_error(ctx, PML_ERR_SHAPE, "%s padding of the empty axis %d",
                                  mode == 1 ? "reflect" : mode == 2 ? "edge" : "wrap", a);
        if (mode == 3 && (b < 0 || e < 0)) /* numpy and onnxruntime crop first: not one periodic map */
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "wrap padding with negative pads (axis %d)", a);
    }
    return pml_ew_set_output(ctx, 0, x->dtype, r, dims);
}


static pml_status pad_prepare(pml_kernel_ctx *ctx) {
    pad_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    int64_t pads[2 * PML_MAX_RANK];
    pml_status ps = pad_amounts(ctx, x->rank, pads); /* infer checked them */
    if (ps != PML_OK) return ps;
    st->mode = (int)pml_attr_int(ctx->node, "mode", 0);
    st->esize = pml_dtype_size(x->dtype);
    st->rank = x->rank;
    pml_tensor_value_bytes(ctx->node, x->dtype, pml_attr_float(ctx->node, "value", 0.0f), st->value);
    int64_t t = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        st->in[a] = x->dims[a];
        st->out[a] = ctx->out[0]->dims[a];
        st->begin[a] = pads[a];
        st->stride[a] = t;
        t *= x->dims[a];
    }
    if (x->rank == 0) st->rank = 1, st->in[0] = st->out[0] = 1, st->stride[0] = 1;
    return PML_OK;
}

/* Input index for output index o on an axis, or -1 for the constant. */
static inline int64_t pad_map(const pad_state *st, int a, int64_t o) {
    int64_t d = st->in[a], i = o - st->begin[a];
    if (i >= 0 && i < d) return i;
    if (st->mode == 0) return -1;
    if (st->mode == 3) { /* wrap: periodic with period d */
        int64_t m = i % d;
        return m < 0 ? m + d : m;
    }
    if (st->mode == 2 || d == 1) return i < 0 ? 0 : d - 1;
    int64_t p = 2 * (d - 1), m = i % p; /* reflect is periodic with period 2(d-1) */
    if (m < 0) m += p;
    return m >= d ? p - m : m;
}

/* n elements of the pad constant (a zero constant is one memset) */
static void fill_value(char *y, int64_t n, const pad_state *st) {
    const size_t es = st->esize;
    if (n <= 0) return;
    int zero = 1;
    for (size_t k = 0; k < es; k++) zero &= st->value[k] == 0;
    if (zero || es == 1) {
        memset(y, st->value[0], (size_t)n * es);
    } else if (es == 4) {
        uint32_t v;
        memcpy(&v, st->value, 4);
        for (int64_t o = 0; o < n; o++) memcpy(y + o * 4, &v, 4);
    } else {
        for (int64_t o = 0; o < n; o++) memcpy(y + o * (int64_t)es, st->value, es);
    }
}

static void pad_rows(void *arg, int64_t r0, int64_t r1) {
    const pad_state *st = (const pad_state *)arg;
    const int r = st->rank;
    const size_t es = st->esize;
    const int64_t out = st->out[r - 1], b = st->begin[r - 1], d = st->in[r - 1];
    /* output positions [lo, hi) of the last axis read the input row contiguously */
    const int64_t lo = clamp64(b, 0, out), hi = clamp64(b + d, lo, out);
    /* output index of row r0 on the outer axes, then advanced like an odometer
     * (no divisions per row: rows of a channel pad are short) */
    int64_t idx[PML_MAX_RANK];
    int64_t t = r0;
    for (int a = r - 2; a >= 0; a--) {
        idx[a] = t % st->out[a];
        t /= st->out[a];
    }
    for (int64_t row = r0; row < r1; row++) {
        char *y = st->y + row * out * (int64_t)es;
        int64_t src = 0;
        int outside = 0;
        for (int a = r - 2; a >= 0 && !outside; a--) {
            int64_t i = pad_map(st, a, idx[a]);
            if (i < 0) outside = 1;
            else src += i * st->stride[a];
        }
        for (int a = r - 2; a >= 0; a--) {
            if (++idx[a] < st->out[a]) break;
            idx[a] = 0;
        }
        if (outside) {
            fill_value(y, out, st);
            continue;
        }
        const char *x = st->x + src * (int64_t)es;
        if (st->mode == 0) {
            fill_value(y, lo, st);
            if (hi > lo) memcpy(y + lo * (int64_t)es, x + (lo - b) * (int64_t)es, (size_t)(hi - lo) * es);
            fill_value(y + hi * (int64_t)es, out - hi, st);
            continue;
        }
        for (int64_t o = 0; o < out; o++) {
            if (o == lo && hi > lo) {
                memcpy(y + lo * (int64_t)es, x + (lo - b) * (int64_t)es, (size_t)(hi - lo) * es);
                o = hi - 1;
                continue;
            }
            int64_t i = pad_map(st, r - 1, o);
            memcpy(y + o * (int64_t)es, x + i * (int64_t)es, es);
        }
    }
}

/* Constant padding of the last axis only, 4-byte elements (channel pads in
 * front of residual Adds in MobileNet/BlazeFace-style NHWC nets): every row
 * is the input row plus constants; plain loops the compiler vectorises
 * instead of two short libc calls per row. */
static int pad_is_channel_only(const pad_state *st) {
    const int r = st->rank;
    if (st->mode != 0 || st->begin[r - 1] < 0 || st->out[r - 1] < st->begin[r - 1] + st->in[r - 1])
        return 0;
    for (int a = 0; a < r - 1; a++)
        if (st->begin[a] != 0 || st->out[a] != st->in[a]) return 0;
    return 1;
}

#define PAD_CHUNK 16
#define PAD_SHORT_ROW 256 /* output row bytes the chunked path handles (its constant row is on the stack) */

/* Copies [0, n) bytes of src to dst in 16-byte chunks: may write (and read) up to 15 bytes past n. */
static inline void copy_chunks(char *dst, const char *src, size_t n) {
    for (size_t k = 0; k < n; k += PAD_CHUNK) memcpy(dst + k, src + k, PAD_CHUNK);
}

/* Channel pads of short rows (int8 NHWC nets: 24-96 channels, i.e. 24-96 bytes a row): the
 * prefix constants, the input row and the suffix constants each go in 16-byte chunks, each
 * chunk allowed to spill past its part; the next part, or the next row, overwrites the spill
 * (and the input read past a row's end stays inside the input). The last row of a task is
 * copied exactly: the row after it may belong to another thread or lie past the buffers.
 * Needs input rows of at least 16 bytes, so a spill or over-read reaches only the next row. */
static void pad_channel_short_rows(void *arg, int64_t r0, int64_t r1) {
    const pad_state *st = (const pad_state *)arg;
    const size_t es = st->esize;
    const size_t d = (size_t)st->in[st->rank - 1] * es, out = (size_t)st->out[st->rank - 1] * es;
    const size_t b = (size_t)st->begin[st->rank - 1] * es, tail = out - b - d;
    char value_row[PAD_SHORT_ROW + PAD_CHUNK];
    for (size_t k = 0; k < sizeof value_row; k++) value_row[k] = (char)st->value[k % es];
    for (int64_t row = r0; row < r1; row++) {
        const char *x = st->x + (size_t)row * d;
        char *y = st->y + (size_t)row * out;
        if (row + 1 == r1) {
            memcpy(y, value_row, b);
            memcpy(y + b, x, d);
            memcpy(y + b + d, value_row, tail);
            continue;
        }
        copy_chunks(y, value_row, b);
        copy_chunks(y + b, x, d);
        copy_chunks(y + b + d, value_row, tail);
    }
}

static void pad_channel_rows(void *arg, int64_t r0, int64_t r1) {
    const pad_state *st = (const pad_state *)arg;
    const int64_t d = st->in[st->rank - 1], out = st->out[st->rank - 1], b = st->begin[st->rank - 1];
    uint32_t v;
    memcpy(&v, st->value, 4);
    for (int64_t row = r0; row < r1; row++) {
        const uint32_t *x = (const uint32_t *)st->x + row * d;
        uint32_t *y = (uint32_t *)st->y + row * out;
        for (int64_t o = 0; o < b; o++) y[o] = v;
        for (int64_t i = 0; i < d; i++) y[b + i] = x[i];
        for (int64_t o = b + d; o < out; o++) y[o] = v;
    }
}

static pml_status pad_run(pml_kernel_ctx *ctx) {
    pad_state *st = (pad_state *)ctx->state;
    st->x = (const char *)ctx->in[0]->data;
    st->y = (char *)ctx->out[0]->data;
    if (ctx->n_in > 2 && ctx->in[2]) memcpy(st->value, ctx->in[2]->data, st->esize); /* a run-time constant_value */
    int64_t inner = st->out[st->rank - 1];
    if (ctx->out[0]->nbytes == 0) return PML_OK;
    pml_range_fn rows = pad_rows;
    const size_t in_row = (size_t)st->in[st->rank - 1] * st->esize, out_row = (size_t)inner * st->esize;
    if (pad_is_channel_only(st) && out_row <= PAD_SHORT_ROW && in_row >= PAD_CHUNK && st->esize <= sizeof st->value)
        rows = pad_channel_short_rows;
    else if (pad_is_channel_only(st) && st->esize == 4)
        rows = pad_channel_rows;
    pml_ew_parallel(ctx, pml_shape_numel(st->rank - 1, st->out), PML_EW_PARALLEL_MIN / inner + 1, rows, st);
    return PML_OK;
}

const pml_op_def pml_pad_def = {PML_OP_PAD, pad_infer, pad_prepare, pad_run, pml_ew_release};
