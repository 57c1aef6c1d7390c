/*
 * ops/quant.c — the quant family: DequantizeLinear, QuantizeLinear and
 * DynamicQuantizeLinear through the typed quant kernels (kernels/quant/quant_typed.h).
 * DynamicQuantizeLinear finds its per-tensor uint8 scale and zero point from x's range
 * at every run, then quantizes as QuantizeLinear does.
 *
 * Scale and zero point share one shape, checked against x in infer: one value (per
 * tensor), a vector along axis (per axis) or x's shape with ceil(dim / block_size) blocks
 * along axis (blocked). Their values are read at every run (they may be graph inputs),
 * float16 scales widened into scratch first. The data is cut into rows that share one
 * scale (step 0) or walk the scales one by one (step 1), and the rows are spread over the
 * pool:
 *   per tensor        rows of up to Q_CHUNK elements, scale 0, step 0
 *   per axis          rows of `inner` elements, scale (row % len), step 0
 *   per last axis     rows of `len` elements, scale 0, step 1
 *   blocked           rows of `inner` elements, scale ((row / len) * blocks + row % len / block) * inner, step 1
 */
#include <math.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

#define Q_CHUNK 4096

typedef enum { Q_TENSOR, Q_AXIS, Q_LAST, Q_BLOCK } q_layout;

typedef struct q_state {
    pml_quantize_fn fn; /* same signature as pml_dequantize_fn */
    q_layout layout;
    int64_t numel, rowlen, rows, len, inner, blocks, block, nscale;
    size_t xsize, ysize, zsize;
    int widen_scale; /* the scale is float16: run widens it into scratch */
} q_state;

/* Validates scale (input 1) and the optional zero point (input 2) against x and fills
 * the layout fields of st (st may be a throwaway in infer). */
static pml_status q_params(pml_kernel_ctx *ctx, const pml_tensor *x, q_state *st) {
    const pml_tensor *s, *z = ctx->n_in > 2 ? ctx->in[2] : NULL;
    pml_status rc;
    if ((rc = pml_ew_input(ctx, 1, "scale", &s)) != PML_OK) return rc;
    int64_t block;
    if ((rc = pml_attr_int_checked(ctx, "block_size", 0, 0, PML_MAX_DIM, &block)) != PML_OK) return rc;
    const int64_t nscale = pml_shape_numel(s->rank, s->dims);
    st->numel = pml_shape_numel(x->rank, x->dims);
    st->nscale = nscale;
    st->block = block;
    st->len = st->inner = st->blocks = 1;
    if (block == 0 && s->rank <= 1 && nscale == 1) {
        st->layout = Q_TENSOR;
    } else {
        int axis;
        if ((rc = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", 1), x->rank, "axis", &axis)) != PML_OK) return rc;
        st->len = x->dims[axis];
        st->inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
        if (block == 0) {
            if (s->rank != 1 || s->dims[0] != st->len)
                return pml_node_error(ctx, PML_ERR_SHAPE,
                                      "scale of rank %d with %lld values is neither one value nor a vector of "
                                      "x's dim %lld along axis %d",
                                      s->rank, (long long)nscale, (long long)st->len, axis);
            st->layout = st->inner == 1 ? Q_LAST : Q_AXIS;
        } else {
            st->blocks = (st->len + block - 1) / block;
            int ok = s->rank == x->rank;
            for (int d = 0; ok && d < x->rank; d++) ok = s->dims[d] == (d == axis ? st->blocks : x->dims[d]);
            if (!ok)
                return pml_node_error(ctx, PML_ERR_SHAPE,
                                      "blocked scale must have x's shape with %lld blocks of %lld along axis %d "
                                      "(x's dim %lld)",
                                      (long long)st->blocks, (long long)block, axis, (long long)st->len);
            st->layout = Q_BLOCK;
        }
    }
    if (z && !(st->layout == Q_TENSOR && z->rank <= 1 && pml_shape_numel(z->rank, z->dims) == 1)) {
        /* one value may be [] or [1] whatever the scale's form (onnxruntime accepts both) */
        int same = z->rank == s->rank;
        for (int d = 0; same && d < s->rank; d++) same = z->dims[d] == s->dims[d];
        if (!same) return pml_node_error(ctx, PML_ERR_SHAPE, "zero_point's shape differs from scale's");
    }
    switch (st->layout) {
    case Q_TENSOR: st->rowlen = st->numel < Q_CHUNK ? st->numel : Q_CHUNK; break;
    case Q_LAST: st->rowlen = st->len; break;
    default: st->rowlen = st->inner; break;
    }
    st->rows = st->rowlen > 0 ? (st->numel + st->rowlen - 1) / st->rowlen : 0;
    return PML_OK;
}

/* An output dtype from an attribute holding a dtype code (0: def), checked against the
 * output's type variable. */
static pml_status q_out_dtype(pml_kernel_ctx *ctx, pml_dtype def, pml_dtype *out) {
    const int64_t code = pml_attr_int(ctx->node, "output_dtype", 0);
    if (code == 0) {
        *out = def;
        return PML_OK;
    }
    if (!pml_schema_output_allows(ctx, 0, code))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "output_dtype %lld is not a dtype this op writes",
                              (long long)code);
    *out = (pml_dtype)code;
    return PML_OK;
}

/* ---- rows ------------------------------------------------------------------------------------- */

typedef struct q_job {
    const q_state *st;
    const char *x;
    const float *scale;
    const char *zp;
    char *y;
} q_job;

static void q_range(void *arg, int64_t r0, int64_t r1) {
    const q_job *j = (const q_job *)arg;
    const q_state *st = j->st;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t at = r * st->rowlen;
        const int64_t n = st->numel - at < st->rowlen ? st->numel - at : st->rowlen;
        int64_t si = 0;
        size_t step = 0;
        switch (st->layout) {
        case Q_TENSOR: break;
        case Q_AXIS: si = r % st->len; break;
        case Q_LAST: step = 1; break;
        case Q_BLOCK:
            si = ((r / st->len) * st->blocks + r % st->len / st->block) * st->inner;
            step = 1;
            break;
        }
        st->fn((size_t)n, j->x + (size_t)at * st->xsize, j->scale + si, j->zp ? j->zp + (size_t)si * st->zsize : NULL,
               step, j->y + (size_t)at * st->ysize);
    }
}

/* Runs st->fn over every row of x with float32 scales and the zero point as given. */
static void q_rows(pml_kernel_ctx *ctx, const q_state *st, const void *x, const float *scale, const void *zp,
                   void *y) {
    q_job j = {st, (const char *)x, scale, (const char *)zp, (char *)y};
    if (st->rows > 0) pml_ew_parallel(ctx, st->rows, PML_EW_PARALLEL_MIN / (st->rowlen + 1) + 1, q_range, &j);
}

static pml_status q_state_new(pml_kernel_ctx *ctx, q_state **out) {
    *out = pml_ew_alloc_state(ctx, sizeof **out);
    if (!*out) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    return PML_OK;
}

/* The kernel table of an integer dtype, or an error naming it. */
static pml_status q_table(pml_kernel_ctx *ctx, pml_dtype dt, const pml_quant_typed **out) {
    *out = ctx->config->typed.quant[dt];
    if (!*out) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(dt));
    return PML_OK;
}

static void q_scale_scratch(pml_kernel_ctx *ctx, q_state *st) {
    st->widen_scale = ctx->in[1]->dtype == PML_FLOAT16;
    ctx->scratch_size = st->widen_scale ? (size_t)st->nscale * sizeof(float) : 0;
}

/* The scale as float32: as given, or widened from float16 into scratch. */
static pml_status q_run(pml_kernel_ctx *ctx) {
    const q_state *st = (const q_state *)ctx->state;
    const pml_tensor *z = ctx->n_in > 2 ? ctx->in[2] : NULL;
    const float *s = (const float *)ctx->in[1]->data;
    if (st->widen_scale) {
        float *w = (float *)ctx->scratch;
        const uint16_t *h = (const uint16_t *)ctx->in[1]->data;
        for (int64_t i = 0; i < st->nscale; i++) w[i] = pml_f16_to_f32_scalar(h[i]);
        s = w;
    }
    q_rows(ctx, st, ctx->in[0]->data, s, z ? z->data : NULL, ctx->out[0]->data);
    return PML_OK;
}

/* ---- DequantizeLinear and QuantizeLinear ----------------------------------------------------- */

/* DequantizeLinear's y: the scale's dtype, else output_dtype's. */
static pml_status dq_out(pml_kernel_ctx *ctx, pml_dtype *y_dtype) {
    return q_out_dtype(ctx, ctx->in[1]->dtype, y_dtype);
}

/* QuantizeLinear's y: the zero point's dtype, else output_dtype's, else uint8. */
static pml_status ql_out(pml_kernel_ctx *ctx, pml_dtype *y_dtype) {
    const pml_tensor *z = ctx->n_in > 2 ? ctx->in[2] : NULL;
    pml_status rc;
    if ((rc = q_out_dtype(ctx, z ? z->dtype : PML_UINT8, y_dtype)) != PML_OK) return rc;
    if (z && *y_dtype != z->dtype)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "output_dtype %s differs from the zero point's dtype %s",
                              pml_dtype_name(*y_dtype), pml_dtype_name(z->dtype));
    return PML_OK;
}

static pml_status q_check(pml_kernel_ctx *ctx, int quantize, q_state *st, pml_dtype *y_dtype) {
    const pml_tensor *x;
    pml_status rc;
    if ((rc = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return rc;
    if ((rc = q_params(ctx, x, st)) != PML_OK) return rc;
    return quantize ? ql_out(ctx, y_dtype) : dq_out(ctx, y_dtype);
}

/* y has x's shape. */
static pml_status q_infer(pml_kernel_ctx *ctx, int quantize) {
    q_state st;
    pml_dtype yt = PML_FLOAT32;
    pml_status rc = q_check(ctx, quantize, &st, &yt);
    if (rc != PML_OK) return rc;
    return pml_ew_set_output(ctx, 0, yt, ctx->in[0]->rank, ctx->in[0]->dims);
}

/* The kernel: the table of the integer side (x's dtype or y's), the float side's slot. */
static pml_status q_prepare(pml_kernel_ctx *ctx, int quantize) {
    q_state *st;
    const pml_quant_typed *k;
    const pml_dtype xt = ctx->in[0]->dtype;
    pml_dtype yt = PML_FLOAT32;
    pml_status rc;
    if ((rc = q_state_new(ctx, &st)) != PML_OK || (rc = q_check(ctx, quantize, st, &yt)) != PML_OK ||
        (rc = q_table(ctx, quantize ? yt : xt, &k)) != PML_OK)
        return rc;
    const int x_slot = xt == PML_FLOAT16 ? 1 : xt == PML_INT32 ? 2 : 0; /* QuantizeLinear's x */
    st->fn = quantize ? k->quantize[x_slot] : k->dequantize[yt == PML_FLOAT16];
    if (!st->fn) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for %s output", pml_dtype_name(yt));
    st->xsize = pml_dtype_size(xt);
    st->ysize = pml_dtype_size(yt);
    st->zsize = quantize ? st->ysize : st->xsize;
    q_scale_scratch(ctx, st);
    return PML_OK;
}

static pml_status dq_infer(pml_kernel_ctx *ctx) { return q_infer(ctx, 0); }
static pml_status dq_prepare(pml_kernel_ctx *ctx) { return q_prepare(ctx, 0); }
static pml_status ql_infer(pml_kernel_ctx *ctx) { return q_infer(ctx, 1); }
static pml_status ql_prepare(pml_kernel_ctx *ctx) { return q_prepare(ctx, 1); }

static const pml_op_def pml_dequantize_def = {PML_OP_DEQUANTIZELINEAR, dq_infer, dq_prepare, q_run, pml_ew_release};
static const pml_op_def pml_quantize_def = {PML_OP_QUANTIZELINEAR, ql_infer, ql_prepare, q_run, pml_ew_release};

/* ---- DynamicQuantizeLinear ------------------------------------------------------------------- */

typedef struct dyn_state {
    q_state q;            /* per tensor over x, the uint8 quantize kernel */
    pml_minmax_fn minmax; /* float32 */
} dyn_state;

static pml_status dyn_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status rc;
    if ((rc = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return rc;
    if ((rc = pml_ew_set_output(ctx, 0, PML_UINT8, x->rank, x->dims)) != PML_OK) return rc;
    if ((rc = pml_ew_set_output(ctx, 1, PML_FLOAT32, 0, NULL)) != PML_OK) return rc;
    return pml_ew_set_output(ctx, 2, PML_UINT8, 0, NULL);
}

static pml_status dyn_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    dyn_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_quant_typed *u8 = ctx->config->typed.quant[PML_UINT8], *f32 = ctx->config->typed.quant[PML_FLOAT32];
    if (!u8 || !f32 || !u8->quantize[0] || !f32->minmax)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no uint8 quantize or float32 min/max kernel");
    q_state *q = &st->q;
    q->fn = u8->quantize[0];
    q->layout = Q_TENSOR;
    q->numel = pml_shape_numel(x->rank, x->dims);
    q->rowlen = q->numel < Q_CHUNK ? q->numel : Q_CHUNK;
    q->rows = q->rowlen > 0 ? (q->numel + q->rowlen - 1) / q->rowlen : 0;
    q->len = q->inner = q->blocks = q->block = q->nscale = 1;
    q->xsize = sizeof(float);
    q->ysize = q->zsize = 1;
    st->minmax = f32->minmax;
    return PML_OK;
}

/* The ONNX formula: the range [min(x), max(x)] widened to include 0, scale = range / 255
 * (1 for an empty range, as onnxruntime), zero point = round_half_even(clamp(-min / scale,
 * 0, 255)); then y quantizes x with them. */
static pml_status dyn_run(pml_kernel_ctx *ctx) {
    const dyn_state *st = (const dyn_state *)ctx->state;
    float lo = 0.0f, hi = 0.0f;
    if (st->q.numel > 0) st->minmax((size_t)st->q.numel, (const float *)ctx->in[0]->data, &lo, &hi);
    lo = lo < 0.0f ? lo : 0.0f; /* a NaN (every value NaN) becomes 0 */
    hi = hi > 0.0f ? hi : 0.0f;
    const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    float zpf = 0.0f - lo / scale;
    zpf = zpf > 0.0f ? (zpf < 255.0f ? zpf : 255.0f) : 0.0f;
    const uint8_t zp = (uint8_t)nearbyintf(zpf);
    *(float *)ctx->out[1]->data = scale;
    *(uint8_t *)ctx->out[2]->data = zp;
    q_rows(ctx, &st->q, ctx->in[0]->data, &scale, &zp, ctx->out[0]->data);
    return PML_OK;
}

static const pml_op_def pml_dynamic_quantize_def = {PML_OP_DYNAMICQUANTIZELINEAR, dyn_infer, dyn_prepare, dyn_run,
                                                     pml_ew_release};

const pml_op_def *const pml_quant_ops[] = {&pml_dequantize_def, &pml_quantize_def, &pml_dynamic_quantize_def, NULL};
