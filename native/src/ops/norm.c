/*
 * ops/norm.c — the norm family: ScaleShift, BatchNormalization (inference),
 * LRN, Softmax/LogSoftmax and Hardmax. Channels are the last axis (NHWC inside the
 * engine), so ScaleShift/BatchNormalization are rows of
 * y = x * scale[c] + shift[c] and LRN windows run along contiguous memory.
 *
 * BatchNormalization folds its four vectors into scale/shift in run (into
 * arena scratch: they may be graph inputs, not constants) and then shares
 * ScaleShift's kernel. Softmax over the last axis runs one contiguous row at a
 * time; over an inner axis it walks [len, inner] blocks with stride inner so
 * the SIMD kernel vectorises across the inner positions. float16 Softmax/LogSoftmax
 * run the float32 functions on widened rows and round once (ops/f16_bridge.c).
 *
 * LayerNormalization / RMSNormalization normalise rows of n = prod(x.shape[axis:])
 * contiguous floats with the norm_row kernel of the GEMM engine's dispatch
 * table (kernels/matmul/gemm.h); scale/bias that broadcast to fewer than n values are
 * expanded into arena scratch once per run. GroupNormalization (and InstanceNormalization
 * through it) is in ops/norm_group.c, LpNormalization in ops/norm_lp.c.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "kernels/matmul/gemm.h"
#include "f16_bridge.h"
#include "norm_q8.h"
#include "validate.h"

#define PML_NORM_BLOCK 4096 /* elements per fused-activation pass, L1-sized */

typedef struct norm_state {
    const pml_ew_kernels *k;
    int64_t outer, len, inner; /* rows x channels (ScaleShift/BN/LRN) or softmax's outer x axis x inner */
    int act;
    pml_unary_params act_params;
    float alpha, beta, bias; /* LRN */
    float eps;               /* BatchNormalization */
    int size_lo, size_hi;    /* LRN window [c - lo, c + hi] */
} norm_state;

static const pml_dtype g_f32[] = {PML_FLOAT32};

/* A per-channel vector of C floats: shape [C] or [1,..,1,C] (C may also be 1). */
static pml_status channel_vector(pml_kernel_ctx *ctx, int i, const char *role, int64_t c) {
    const pml_tensor *t;
    pml_status s;
    if ((s = pml_ew_input(ctx, i, role, &t)) != PML_OK || (s = pml_ew_check_dtype(ctx, t, role, g_f32, 1)) != PML_OK)
        return s;
    int ok = pml_shape_numel(t->rank, t->dims) == c;
    for (int d = 0; ok && d + 1 < t->rank; d++) ok = t->dims[d] == 1;
    if (!ok) {
        char buf[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "input '%s' has shape %s; expected [%lld] (channels = last axis of x)",
                              role, pml_shape_str(t->rank, t->dims, buf, sizeof buf), (long long)c);
    }
    return PML_OK;
}

/* x: float32 with rank >= 1; output has its shape. */
static pml_status float_x(pml_kernel_ctx *ctx, const pml_tensor **x) {
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", x)) != PML_OK || (s = pml_ew_check_dtype(ctx, *x, "x", g_f32, 1)) != PML_OK)
        return s;
    if ((*x)->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 1, got a scalar");
    return PML_OK;
}

static norm_state *norm_state_new(pml_kernel_ctx *ctx) {
    norm_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) {
        pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    st->k = ctx->config->f32.ew;
    st->act = -1;
    const pml_tensor *x = ctx->in[0];
    st->len = x->dims[x->rank - 1];
    st->outer = st->len ? pml_shape_numel(x->rank, x->dims) / st->len : 0;
    st->inner = 1;
    return st;
}

/* ---- ScaleShift / BatchNormalization ----------------------------------------------------------------- */

static pml_status scale_shift_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    if ((s = float_x(ctx, &x)) != PML_OK) return s;
    int64_t c = x->dims[x->rank - 1];
    if ((s = channel_vector(ctx, 1, "scale", c)) != PML_OK || (s = channel_vector(ctx, 2, "shift", c)) != PML_OK)
        return s;
    pml_activation act;
    if ((s = pml_activation_from_node(ctx, &act)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, PML_FLOAT32, x->rank, x->dims);
}

static pml_status scale_shift_prepare(pml_kernel_ctx *ctx) {
    norm_state *st = norm_state_new(ctx);
    if (!st) return PML_ERR_OUT_OF_MEMORY;
    pml_activation act;
    pml_status s = pml_activation_from_node(ctx, &act);
    st->act = pml_ew_act_to_unary(&act, &st->act_params);
    return s;
}

typedef struct ss_job {
    const norm_state *st;
    const float *x, *scale, *shift;
    float *y;
} ss_job;

static void scale_shift_range(void *arg, int64_t r0, int64_t r1) {
    const ss_job *j = (const ss_job *)arg;
    const norm_state *st = j->st;
    size_t c = (size_t)st->len;
    int64_t step = PML_NORM_BLOCK / (int64_t)c > 0 ? PML_NORM_BLOCK / (int64_t)c : 1;
    for (int64_t r = r0; r < r1; r += step) {
        size_t rows = (size_t)(r1 - r < step ? r1 - r : step);
        float *y = j->y + (size_t)r * c;
        st->k->scale_shift(rows, c, j->x + (size_t)r * c, j->scale, j->shift, y);
        if (st->act >= 0) st->k->unary[st->act](rows * c, y, y, &st->act_params);
    }
}

static void scale_shift_apply(pml_kernel_ctx *ctx, const float *scale, const float *shift) {
    const norm_state *st = (const norm_state *)ctx->state;
    ss_job j = {st, (const float *)ctx->in[0]->data, scale, shift, (float *)ctx->out[0]->data};
    int64_t min_rows = st->len ? PML_EW_PARALLEL_MIN / st->len + 1 : 1;
    pml_ew_parallel(ctx, st->outer, min_rows, scale_shift_range, &j);
}

static pml_status scale_shift_run(pml_kernel_ctx *ctx) {
    scale_shift_apply(ctx, (const float *)ctx->in[1]->data, (const float *)ctx->in[2]->data);
    return PML_OK;
}

static pml_status batchnorm_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    if ((s = float_x(ctx, &x)) != PML_OK) return s;
    int64_t c = x->dims[x->rank - 1];
    static const char *roles[] = {"scale", "bias", "mean", "var"};
    for (int i = 0; i < 4; i++)
        if ((s = channel_vector(ctx, i + 1, roles[i], c)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, PML_FLOAT32, x->rank, x->dims);
}

static pml_status batchnorm_prepare(pml_kernel_ctx *ctx) {
    norm_state *st = norm_state_new(ctx);
    if (!st) return PML_ERR_OUT_OF_MEMORY;
    st->eps = pml_attr_float(ctx->node, "epsilon", 1e-5f);
    ctx->scratch_size = 2 * (size_t)st->len * sizeof(float);
    return PML_OK;
}

static pml_status batchnorm_run(pml_kernel_ctx *ctx) {
    const norm_state *st = (const norm_state *)ctx->state;
    const float *scale = (const float *)ctx->in[1]->data, *bias = (const float *)ctx->in[2]->data;
    const float *mean = (const float *)ctx->in[3]->data, *var = (const float *)ctx->in[4]->data;
    float *s = (float *)ctx->scratch, *b = s + st->len;
    /* y = (x - mean) / sqrt(var + eps) * scale + bias = x * s + b */
    for (int64_t c = 0; c < st->len; c++) {
        s[c] = scale[c] / sqrtf(var[c] + st->eps);
        b[c] = bias[c] - mean[c] * s[c];
    }
    scale_shift_apply(ctx, s, b);
    return PML_OK;
}

/* ---- LRN ---------------------------------------------------------------------------------------------- */

static pml_status lrn_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    if ((s = float_x(ctx, &x)) != PML_OK) return s;
    const pml_attr *size = pml_attr_find(ctx->node, "size");
    if (!size || size->type != PML_ATTR_INT || size->i < 1 || size->i > 65535)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute 'size' must be an int in 1..65535");
    return pml_ew_set_output(ctx, 0, PML_FLOAT32, x->rank, x->dims);
}

static pml_status lrn_prepare(pml_kernel_ctx *ctx) {
    norm_state *st = norm_state_new(ctx);
    if (!st) return PML_ERR_OUT_OF_MEMORY;
    int size = (int)pml_attr_int(ctx->node, "size", 1);
    st->alpha = pml_attr_float(ctx->node, "alpha", 1e-4f) / (float)size;
    st->beta = pml_attr_float(ctx->node, "beta", 0.75f);
    st->bias = pml_attr_float(ctx->node, "bias", 1.0f);
    st->size_lo = (size - 1) / 2; /* ONNX: [c - floor((size-1)/2), c + ceil((size-1)/2)] */
    st->size_hi = size / 2;
    return PML_OK;
}

typedef struct rows_job {
    const norm_state *st;
    const float *x;
    float *y;
    int is_log;
} rows_job;

static void lrn_range(void *arg, int64_t r0, int64_t r1) {
    const rows_job *j = (const rows_job *)arg;
    const norm_state *st = j->st;
    const int64_t c = st->len;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = j->x + r * c;
        float *y = j->y + r * c;
        for (int64_t k = 0; k < c; k++) {
            int64_t lo = k - st->size_lo < 0 ? 0 : k - st->size_lo;
            int64_t hi = k + st->size_hi > c - 1 ? c - 1 : k + st->size_hi;
            float sq = 0.0f;
            for (int64_t t = lo; t <= hi; t++) sq += x[t] * x[t];
            y[k] = x[k] / powf(st->bias + st->alpha * sq, st->beta);
        }
    }
}

static pml_status lrn_run(pml_kernel_ctx *ctx) {
    const norm_state *st = (const norm_state *)ctx->state;
    rows_job j = {st, (const float *)ctx->in[0]->data, (float *)ctx->out[0]->data, 0};
    pml_ew_parallel(ctx, st->outer, st->len ? PML_EW_PARALLEL_MIN / (4 * st->len) + 1 : 1, lrn_range, &j);
    return PML_OK;
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------------------------------- */

/* Softmax on a quantized input runs ops/norm_q8.c (LogSoftmax never sees one: quant_guard.c) */
static int q8_softmax(const pml_kernel_ctx *ctx) {
    return ctx->node->op == PML_OP_SOFTMAX && ctx->n_in > 0 && ctx->in[0] && ctx->in[0]->quant;
}

static pml_status softmax_infer(pml_kernel_ctx *ctx) {
    if (q8_softmax(ctx)) return pml_q8_softmax_infer(ctx);
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = float_x(ctx, &x)) != PML_OK ||
        (s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis)) != PML_OK)
        return s;
    return pml_ew_set_output(ctx, 0, PML_FLOAT32, x->rank, x->dims);
}

static pml_status softmax_prepare(pml_kernel_ctx *ctx) {
    if (q8_softmax(ctx)) return pml_q8_softmax_prepare(ctx);
    if (ctx->node->op == PML_OP_SOFTMAX && pml_attr_float(ctx->node, "beta", 1.0f) != 1.0f)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "attribute beta=%g on a float Softmax (beta scales "
                              "quantized inputs only; a float graph multiplies its input first)",
                              (double)pml_attr_float(ctx->node, "beta", 1.0f));
    norm_state *st = norm_state_new(ctx);
    if (!st) return PML_ERR_OUT_OF_MEMORY;
    const pml_tensor *x = ctx->in[0];
    int axis;
    pml_status s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis);
    if (s != PML_OK) return s;
    st->outer = pml_shape_numel(axis, x->dims);
    st->len = x->dims[axis];
    st->inner = pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    return PML_OK;
}

static void softmax_range(void *arg, int64_t r0, int64_t r1) {
    const rows_job *j = (const rows_job *)arg;
    const norm_state *st = j->st;
    size_t block = (size_t)(st->len * st->inner);
    for (int64_t r = r0; r < r1; r++) {
        if (st->inner == 1)
            st->k->softmax_row(block, j->x + r * block, j->y + r * block, j->is_log);
        else
            st->k->softmax_strided((size_t)st->len, (size_t)st->inner, j->x + r * block, j->y + r * block, j->is_log);
    }
}

static pml_status softmax_run(pml_kernel_ctx *ctx) {
    if (q8_softmax(ctx)) return pml_q8_softmax_run(ctx);
    const norm_state *st = (const norm_state *)ctx->state;
    rows_job j = {st, (const float *)ctx->in[0]->data, (float *)ctx->out[0]->data,
                  ctx->node->op == PML_OP_LOGSOFTMAX};
    int64_t block = st->len * st->inner;
    if (block == 0) return PML_OK;
    pml_ew_parallel(ctx, st->outer, PML_EW_PARALLEL_MIN / (4 * block) + 1, softmax_range, &j);
    return PML_OK;
}

/* ---- Hardmax (float32, float16: the typed norm kernels) ------------------------------------------------ */

typedef struct hardmax_state {
    pml_hardmax_fn fn;
    size_t outer, len, inner, esize;
} hardmax_state;

static pml_status hardmax_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if (x->rank < 1) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 1, got a scalar");
    if ((s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static pml_status hardmax_prepare(pml_kernel_ctx *ctx) {
    hardmax_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    const pml_norm_typed *t = ctx->config->typed.norm[x->dtype];
    if (!t) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(x->dtype));
    int axis;
    pml_status s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis);
    if (s != PML_OK) return s;
    st->fn = t->hardmax;
    st->outer = (size_t)pml_shape_numel(axis, x->dims);
    st->len = (size_t)x->dims[axis];
    st->inner = (size_t)pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    st->esize = pml_dtype_size(x->dtype);
    return PML_OK;
}

typedef struct hardmax_job {
    const hardmax_state *st;
    const char *x;
    char *y;
} hardmax_job;

static void hardmax_range(void *arg, int64_t r0, int64_t r1) {
    const hardmax_job *j = (const hardmax_job *)arg;
    const hardmax_state *st = j->st;
    size_t at = (size_t)r0 * st->len * st->inner * st->esize;
    st->fn((size_t)(r1 - r0), st->len, st->inner, j->x + at, j->y + at);
}

static pml_status hardmax_run(pml_kernel_ctx *ctx) {
    const hardmax_state *st = (const hardmax_state *)ctx->state;
    hardmax_job j = {st, ctx->in[0]->data, ctx->out[0]->data};
    int64_t block = (int64_t)(st->len * st->inner);
    if (block == 0) return PML_OK;
    pml_ew_parallel(ctx, (int64_t)st->outer, PML_EW_PARALLEL_MIN / block + 1, hardmax_range, &j);
    return PML_OK;
}

/* ---- LayerNormalization / RMSNormalization --------------------------------------------------------------- */

typedef struct lnorm_state {
    pml_f32_norm_row_fn row;
    int64_t outer, n;
    int rms;
    float eps;
    int nd;                      /* normalised dims x.shape[axis:] */
    int64_t dims[PML_MAX_RANK];
    int expand[2];               /* scale, bias need broadcasting into scratch */
} lnorm_state;

/* A vector broadcasting (right-aligned, dims 1 or equal) to the normalised dims. */
static pml_status norm_vector(pml_kernel_ctx *ctx, int i, const char *role, int nd, const int64_t *nd_dims) {
    const pml_tensor *t;
    pml_status s;
    if ((s = pml_ew_input(ctx, i, role, &t)) != PML_OK || (s = pml_ew_check_dtype(ctx, t, role, g_f32, 1)) != PML_OK)
        return s;
    int ok = t->rank <= nd;
    for (int d = 0; ok && d < t->rank; d++) {
        const int64_t td = t->dims[t->rank - 1 - d], xd = nd_dims[nd - 1 - d];
        ok = td == 1 || td == xd;
    }
    if (!ok) {
        char b1[160], b2[160];
        return pml_node_error(ctx, PML_ERR_SHAPE,
                              "input '%s' has shape %s; it must broadcast to the normalised dims %s", role,
                              pml_shape_str(t->rank, t->dims, b1, sizeof b1),
                              pml_shape_str(nd, nd_dims, b2, sizeof b2));
    }
    return PML_OK;
}

static pml_status lnorm_parse(pml_kernel_ctx *ctx, int *axis) {
    const pml_tensor *x;
    pml_status s;
    if ((s = float_x(ctx, &x)) != PML_OK ||
        (s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", axis)) != PML_OK)
        return s;
    const int nd = x->rank - *axis;
    if ((s = norm_vector(ctx, 1, "scale", nd, x->dims + *axis)) != PML_OK) return s;
    if (ctx->n_in > 2 && ctx->in[2] && (s = norm_vector(ctx, 2, "bias", nd, x->dims + *axis)) != PML_OK) return s;
    const float eps = pml_attr_float(ctx->node, "epsilon", 1e-5f);
    if (!(eps >= 0.0f) || isinf(eps))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "epsilon %g must be finite and >= 0", (double)eps);
    return PML_OK;
}

static pml_status lnorm_infer(pml_kernel_ctx *ctx) {
    int axis;
    pml_status s = lnorm_parse(ctx, &axis);
    if (s != PML_OK) return s;
    const pml_tensor *x = ctx->in[0];
    int64_t stats[PML_MAX_RANK];
    for (int d = 0; d < x->rank; d++) stats[d] = d < axis ? x->dims[d] : 1;
    for (int o = 0; o < ctx->n_out && s == PML_OK; o++)
        s = pml_ew_set_output(ctx, o, PML_FLOAT32, x->rank, o == 0 ? x->dims : stats);
    return s;
}

static pml_status lnorm_prepare(pml_kernel_ctx *ctx) {
    int axis;
    pml_status s = lnorm_parse(ctx, &axis);
    if (s != PML_OK) return s;
    lnorm_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    st->row = ctx->config->f32.mm->norm_row;
    st->rms = ctx->node->op == PML_OP_RMSNORMALIZATION;
    st->eps = pml_attr_float(ctx->node, "epsilon", 1e-5f);
    st->nd = x->rank - axis;
    memcpy(st->dims, x->dims + axis, (size_t)st->nd * sizeof(int64_t));
    st->n = pml_shape_numel(st->nd, st->dims);
    st->outer = pml_shape_numel(axis, x->dims);
    size_t floats = 0;
    for (int i = 0; i < 2; i++) {
        const pml_tensor *v = ctx->n_in > i + 1 ? ctx->in[i + 1] : NULL;
        st->expand[i] = v && pml_shape_numel(v->rank, v->dims) != st->n;
        if (st->expand[i]) floats += (size_t)st->n;
    }
    ctx->scratch_size = floats * sizeof(float);
    return PML_OK;
}

/* dst[n] = v broadcast (right-aligned) to the normalised dims. */
static void lnorm_expand(const lnorm_state *st, const pml_tensor *v, float *dst) {
    int64_t vstr[PML_MAX_RANK], stride = 1;
    for (int d = st->nd - 1; d >= 0; d--) {
        const int vd = d - (st->nd - v->rank);
        const int64_t size = vd >= 0 ? v->dims[vd] : 1;
        vstr[d] = size == 1 ? 0 : stride;
        stride *= size;
    }
    const float *src = (const float *)v->data;
    for (int64_t t = 0; t < st->n; t++) {
        int64_t rest = t, off = 0;
        for (int d = st->nd - 1; d >= 0; d--) {
            off += rest % st->dims[d] * vstr[d];
            rest /= st->dims[d];
        }
        dst[t] = src[off];
    }
}

typedef struct lnorm_job {
    const lnorm_state *st;
    const float *x, *scale, *bias;
    float *y, *mean, *inv;
} lnorm_job;

static void lnorm_range(void *arg, int64_t r0, int64_t r1) {
    const lnorm_job *j = (const lnorm_job *)arg;
    const lnorm_state *st = j->st;
    for (int64_t r = r0; r < r1; r++)
        st->row((size_t)st->n, j->x + r * st->n, j->scale, j->bias, st->eps, st->rms, j->y + r * st->n,
                j->mean ? j->mean + r : NULL, j->inv ? j->inv + r : NULL);
}

static pml_status lnorm_run(pml_kernel_ctx *ctx) {
    const lnorm_state *st = (const lnorm_state *)ctx->state;
    float *scratch = (float *)ctx->scratch;
    const float *vec[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        const pml_tensor *v = ctx->n_in > i + 1 ? ctx->in[i + 1] : NULL;
        if (!v) continue;
        if (st->expand[i]) {
            lnorm_expand(st, v, scratch);
            vec[i] = scratch;
            scratch += st->n;
        } else {
            vec[i] = (const float *)v->data;
        }
    }
    lnorm_job j = {st, (const float *)ctx->in[0]->data, vec[0], vec[1], (float *)ctx->out[0]->data,
                   ctx->n_out > 1 ? (float *)ctx->out[1]->data : NULL,
                   ctx->n_out > 2 ? (float *)ctx->out[2]->data : NULL};
    if (st->outer == 0) return PML_OK;
    pml_ew_parallel(ctx, st->outer, st->n ? PML_EW_PARALLEL_MIN / st->n + 1 : st->outer, lnorm_range, &j);
    return PML_OK;
}

static const pml_op_def g_scale_shift = {PML_OP_SCALESHIFT, scale_shift_infer,
                                         scale_shift_prepare, scale_shift_run, pml_ew_release};
static const pml_op_def g_batchnorm = {PML_OP_BATCHNORMALIZATION, batchnorm_infer,
                                       batchnorm_prepare, batchnorm_run, pml_ew_release};
static const pml_op_def g_lrn = {PML_OP_LRN, lrn_infer, lrn_prepare, lrn_run, pml_ew_release};
static const pml_op_def g_softmax_f32 = {PML_OP_SOFTMAX, softmax_infer, softmax_prepare,
                                         softmax_run, pml_ew_release};
static const pml_op_def g_hardmax = {PML_OP_HARDMAX, hardmax_infer, hardmax_prepare, hardmax_run, pml_ew_release};
static const pml_op_def g_log_softmax_f32 = {PML_OP_LOGSOFTMAX, softmax_infer, softmax_prepare,
                                             softmax_run, pml_ew_release};
/* float16 nodes: the float32 functions on widened rows, one rounding (ops/f16_bridge.c) */
PML_F16_BRIDGED(g_softmax, PML_OP_SOFTMAX, g_softmax_f32, 0);
PML_F16_BRIDGED(g_log_softmax, PML_OP_LOGSOFTMAX, g_log_softmax_f32, 0);

static const pml_op_def g_layer_norm = {PML_OP_LAYERNORMALIZATION, lnorm_infer,
                                        lnorm_prepare, lnorm_run, pml_ew_release};
static const pml_op_def g_rms_norm = {PML_OP_RMSNORMALIZATION, lnorm_infer,
                                      lnorm_prepare, lnorm_run, pml_ew_release};

extern const pml_op_def pml_group_norm_def; /* ops/norm_group.c */
extern const pml_op_def pml_lp_norm_def;    /* ops/norm_lp.c */

const pml_op_def *const pml_norm_ops[] = {&g_scale_shift, &g_batchnorm, &g_lrn, &g_softmax, &g_log_softmax,
                                          &g_hardmax, &g_layer_norm, &g_rms_norm, &pml_group_norm_def,
                                          &pml_lp_norm_def, NULL};
