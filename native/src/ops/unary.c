/*
 * ops/unary.c — unary ops: activations, rounding, trigonometry, erf, Gelu,
 * Abs/Neg/Sign/Relu/Clip/Shrink on integers, the bool-valued predicates
 * IsNaN/IsInf, Identity (any dtype) and Cast (every pair of dtypes).
 * Exported as pml_unary_ops for the op table (Not is in ops/logic.c).
 *
 * The op schema (the registry's types=) has checked the dtypes before infer.
 * prepare picks the kernel: float32 arithmetic runs the float32 table
 * (ctx->config->f32.ew, SIMD where the configuration has it), every other
 * dtype the typed table of its dtype (ctx->config->typed.unary, see
 * kernels/unary/unary_typed.h for Cast's semantics); run only calls it.
 * Activations on quantized tensors run ops/unary_q8.c.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "kernels/unary/unary_typed.h"
#include "unary_q8.h"
#include "validate.h"

typedef struct unary_state {
    pml_f32_unary_fn fn;     /* float32 */
    pml_typed_unary_fn tfn;  /* every other dtype */
    pml_unary_params p;
    size_t esize;
} unary_state;

static int unary_index(int op) {
    switch (op) {
    case PML_OP_RELU: return PML_UN_RELU;
    case PML_OP_LEAKYRELU: return PML_UN_LEAKY_RELU;
    case PML_OP_CLIP: return PML_UN_CLIP;
    case PML_OP_SIGMOID: return PML_UN_SIGMOID;
    case PML_OP_TANH: return PML_UN_TANH;
    case PML_OP_HARDSIGMOID: return PML_UN_HARDSIGMOID;
    case PML_OP_HARDSWISH: return PML_UN_HARDSWISH;
    case PML_OP_ELU: return PML_UN_ELU;
    case PML_OP_SELU: return PML_UN_SELU;
    case PML_OP_SOFTPLUS: return PML_UN_SOFTPLUS;
    case PML_OP_SQRT: return PML_UN_SQRT;
    case PML_OP_EXP: return PML_UN_EXP;
    case PML_OP_LOG: return PML_UN_LOG;
    case PML_OP_ABS: return PML_UN_ABS;
    case PML_OP_NEG: return PML_UN_NEG;
    case PML_OP_FLOOR: return PML_UN_FLOOR;
    case PML_OP_CEIL: return PML_UN_CEIL;
    case PML_OP_ROUND: return PML_UN_ROUND;
    case PML_OP_SIGN: return PML_UN_SIGN;
    case PML_OP_SIN: return PML_UN_SIN;
    case PML_OP_COS: return PML_UN_COS;
    case PML_OP_ERF: return PML_UN_ERF;
    case PML_OP_GELU: return PML_UN_GELU_ERF; /* or GELU_TANH, see gelu_kind */
    case PML_OP_CELU: return PML_UN_CELU;
    case PML_OP_MISH: return PML_UN_MISH;
    case PML_OP_THRESHOLDEDRELU: return PML_UN_THRESHOLDED_RELU;
    case PML_OP_SOFTSIGN: return PML_UN_SOFTSIGN;
    case PML_OP_SHRINK: return PML_UN_SHRINK;
    case PML_OP_TAN: return PML_UN_TAN;
    case PML_OP_ASIN: return PML_UN_ASIN;
    case PML_OP_ACOS: return PML_UN_ACOS;
    case PML_OP_ATAN: return PML_UN_ATAN;
    case PML_OP_SINH: return PML_UN_SINH;
    case PML_OP_COSH: return PML_UN_COSH;
    case PML_OP_ASINH: return PML_UN_ASINH;
    case PML_OP_ACOSH: return PML_UN_ACOSH;
    case PML_OP_ATANH: return PML_UN_ATANH;
    case PML_OP_SWISH: return PML_UN_SWISH;
    default: return PML_UN_RECIPROCAL;
    }
}

/* Gelu's approximate attribute: PML_UN_GELU_ERF ("none", the default), PML_UN_GELU_TANH, or -1 */
static int gelu_kind(const pml_node *node) {
    const pml_attr *a = pml_attr_find(node, "approximate");
    if (!a) return PML_UN_GELU_ERF;
    if (a->type != PML_ATTR_STRING || !a->s) return -1;
    if (strcmp(a->s, "none") == 0) return PML_UN_GELU_ERF;
    if (strcmp(a->s, "tanh") == 0) return PML_UN_GELU_TANH;
    return -1;
}

/* The typed table of a dtype the schema allowed; NULL (an error) only if a table lacks the op. */
static pml_status typed_table(pml_kernel_ctx *ctx, pml_dtype dtype, const pml_unary_typed **out) {
    *out = dtype > 0 && dtype < PML_DTYPE_COUNT ? ctx->config->typed.unary[dtype] : NULL;
    if (!*out)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no %s kernel for dtype %s", ctx->config->name,
                              pml_dtype_name(dtype));
    return PML_OK;
}

/* ---- activations and math ------------------------------------------------------------------------ */

static pml_status unary_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    if (ctx->node->op == PML_OP_GELU && gelu_kind(ctx->node) < 0)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "attribute approximate must be the string 'none' or 'tanh'");
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static void unary_params(const pml_node *node, pml_unary_params *p) {
    switch (node->op) {
    case PML_OP_LEAKYRELU: p->alpha = pml_attr_float(node, "alpha", 0.01f); break;
    case PML_OP_CLIP:
        p->alpha = pml_attr_float(node, "min", -INFINITY);
        p->beta = pml_attr_float(node, "max", INFINITY);
        break;
    case PML_OP_HARDSIGMOID:
        p->alpha = pml_attr_float(node, "alpha", 0.2f);
        p->beta = pml_attr_float(node, "beta", 0.5f);
        break;
    case PML_OP_ELU: p->alpha = pml_attr_float(node, "alpha", 1.0f); break;
    case PML_OP_SELU:
        p->alpha = pml_attr_float(node, "alpha", 1.67326319217681884765625f);
        p->gamma = pml_attr_float(node, "gamma", 1.05070102214813232421875f);
        break;
    case PML_OP_CELU: p->alpha = pml_attr_float(node, "alpha", 1.0f); break;
    case PML_OP_THRESHOLDEDRELU: p->alpha = pml_attr_float(node, "alpha", 1.0f); break;
    case PML_OP_SWISH: p->alpha = pml_attr_float(node, "alpha", 1.0f); break;
    case PML_OP_SHRINK:
        p->alpha = pml_attr_float(node, "bias", 0.0f);
        p->beta = pml_attr_float(node, "lambd", 0.5f);
        break;
    default: break;
    }
}

static pml_status unary_prepare(pml_kernel_ctx *ctx) {
    if (ctx->in[0]->quant) return pml_q8_unary_prepare(ctx);
    unary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_node *node = ctx->node;
    const pml_dtype dtype = ctx->in[0]->dtype;
    const int k = node->op == PML_OP_GELU ? gelu_kind(node) : unary_index(node->op);
    unary_params(node, &st->p);
    st->esize = pml_dtype_size(dtype);
    if (dtype == PML_FLOAT32) {
        st->fn = ctx->config->f32.ew->unary[k];
        return PML_OK;
    }
    const pml_unary_typed *t;
    pml_status s = typed_table(ctx, dtype, &t);
    if (s != PML_OK) return s;
    if (!(st->tfn = t->unary[k]))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(dtype));
    return PML_OK;
}

typedef struct unary_job {
    const unary_state *st;
    const char *x;
    char *y;
} unary_job;

static void unary_range(void *arg, int64_t s, int64_t e) {
    const unary_job *j = (const unary_job *)arg;
    const unary_state *st = j->st;
    size_t n = (size_t)(e - s), at = (size_t)s * st->esize;
    if (st->tfn) st->tfn(n, j->x + at, j->y + at, &st->p);
    else st->fn(n, (const float *)(const void *)(j->x + at), (float *)(void *)(j->y + at), &st->p);
}

static pml_status unary_run(pml_kernel_ctx *ctx) {
    if (ctx->in[0]->quant) return pml_q8_unary_run(ctx);
    unary_job j = {(const unary_state *)ctx->state, ctx->in[0]->data, ctx->out[0]->data};
    pml_ew_parallel(ctx, pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims), PML_EW_PARALLEL_MIN, unary_range, &j);
    return PML_OK;
}

/* ---- Identity ---------------------------------------------------------------------------------- */

static pml_status identity_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static pml_status identity_run(pml_kernel_ctx *ctx) {
    if (ctx->out[0]->data != ctx->in[0]->data && ctx->out[0]->nbytes)
        memcpy(ctx->out[0]->data, ctx->in[0]->data, ctx->out[0]->nbytes);
    return PML_OK;
}

/* ---- predicates: IsNaN and IsInf, bool output ---------------------------------------------------- */

typedef struct predicate_state {
    void (*is_nan)(size_t n, const void *x, uint8_t *y);
    void (*is_inf)(size_t n, const void *x, uint8_t *y, int detect_positive, int detect_negative);
    int pos, neg; /* IsInf: detect +inf / -inf */
    size_t esize;
} predicate_state;

static pml_status predicate_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"detect_positive", "detect_negative", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, PML_BOOL, x->rank, x->dims);
}

static pml_status predicate_prepare(pml_kernel_ctx *ctx) {
    predicate_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_unary_typed *t;
    pml_status s = typed_table(ctx, ctx->in[0]->dtype, &t);
    if (s != PML_OK) return s;
    if (ctx->node->op == PML_OP_ISNAN) st->is_nan = t->is_nan;
    else st->is_inf = t->is_inf;
    if (!st->is_nan && !st->is_inf)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(ctx->in[0]->dtype));
    st->pos = (int)pml_attr_int(ctx->node, "detect_positive", 1) != 0;
    st->neg = (int)pml_attr_int(ctx->node, "detect_negative", 1) != 0;
    st->esize = pml_dtype_size(ctx->in[0]->dtype);
    return PML_OK;
}

typedef struct predicate_job {
    const predicate_state *st;
    const char *x;
    uint8_t *y;
} predicate_job;

static void predicate_range(void *arg, int64_t s, int64_t e) {
    const predicate_job *j = (const predicate_job *)arg;
    const predicate_state *st = j->st;
    size_t n = (size_t)(e - s);
    if (st->is_nan) st->is_nan(n, j->x + (size_t)s * st->esize, j->y + s);
    else st->is_inf(n, j->x + (size_t)s * st->esize, j->y + s, st->pos, st->neg);
}

static pml_status predicate_run(pml_kernel_ctx *ctx) {
    predicate_job j = {(const predicate_state *)ctx->state, ctx->in[0]->data, (uint8_t *)ctx->out[0]->data};
    pml_ew_parallel(ctx, pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims), PML_EW_PARALLEL_MIN, predicate_range,
                    &j);
    return PML_OK;
}

/* ---- Cast -------------------------------------------------------------------------------------- */

typedef struct cast_state {
    pml_typed_cast_fn fn;
    void (*f32_to_f16)(size_t n, const float *x, uint16_t *y); /* the float32 table's (F16C in AVX2) */
    void (*f16_to_f32)(size_t n, const uint16_t *x, float *y);
    size_t in_size, out_size;
} cast_state;

static pml_status cast_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    pml_dtype to;
    if ((s = pml_attr_dtype_to(ctx, &to)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, to, x->rank, x->dims);
}

/* BitCast: the same bytes read as another dtype of the same width (the run is Identity's copy). */
static pml_status bitcast_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    pml_dtype to;
    if ((s = pml_attr_dtype_to(ctx, &to)) != PML_OK) return s;
    if (pml_dtype_size(to) != pml_dtype_size(x->dtype))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "BitCast keeps the element size: %s (%zu bytes) cannot "
                              "become %s (%zu bytes)", pml_dtype_name(x->dtype), pml_dtype_size(x->dtype),
                              pml_dtype_name(to), pml_dtype_size(to));
    return pml_ew_set_output(ctx, 0, to, x->rank, x->dims);
}

static pml_status cast_prepare(pml_kernel_ctx *ctx) {
    cast_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_dtype from = ctx->in[0]->dtype, to = ctx->out[0]->dtype;
    st->in_size = pml_dtype_size(from);
    st->out_size = pml_dtype_size(to);
    if (from == PML_FLOAT32 && to == PML_FLOAT16) st->f32_to_f16 = ctx->config->f32.ew->f32_to_f16;
    else if (from == PML_FLOAT16 && to == PML_FLOAT32) st->f16_to_f32 = ctx->config->f32.ew->f16_to_f32;
    else if (from != to) {
        const pml_unary_typed *t;
        pml_status s = typed_table(ctx, from, &t);
        if (s != PML_OK) return s;
        if (!(st->fn = t->cast[to]))
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no cast from %s to %s", pml_dtype_name(from),
                                  pml_dtype_name(to));
    }
    return PML_OK;
}

typedef struct cast_job {
    const cast_state *st;
    const char *x;
    char *y;
} cast_job;

static void cast_range(void *arg, int64_t s, int64_t e) {
    const cast_job *j = (const cast_job *)arg;
    const cast_state *st = j->st;
    size_t n = (size_t)(e - s);
    const void *x = j->x + (size_t)s * st->in_size;
    void *y = j->y + (size_t)s * st->out_size;
    if (st->fn) st->fn(n, x, y);
    else if (st->f32_to_f16) st->f32_to_f16(n, (const float *)x, (uint16_t *)y);
    else st->f16_to_f32(n, (const uint16_t *)x, (float *)y);
}

static pml_status cast_run(pml_kernel_ctx *ctx) {
    const cast_state *st = (const cast_state *)ctx->state;
    if (!st->fn && !st->f32_to_f16 && !st->f16_to_f32) return identity_run(ctx); /* same dtype */
    cast_job j = {st, ctx->in[0]->data, ctx->out[0]->data};
    pml_ew_parallel(ctx, pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims), PML_EW_PARALLEL_MIN, cast_range, &j);
    return PML_OK;
}

/* ---- definitions --------------------------------------------------------------------------------- */

#define PML_UNARY_DEF(var, code) \
    static const pml_op_def var = {code, unary_infer, unary_prepare, unary_run, pml_ew_release};
#define PML_PREDICATE_DEF(var, code) \
    static const pml_op_def var = {code, predicate_infer, predicate_prepare, predicate_run, pml_ew_release};

PML_UNARY_DEF(g_relu, PML_OP_RELU)
PML_UNARY_DEF(g_leaky_relu, PML_OP_LEAKYRELU)
PML_UNARY_DEF(g_clip, PML_OP_CLIP)
PML_UNARY_DEF(g_sigmoid, PML_OP_SIGMOID)
PML_UNARY_DEF(g_tanh, PML_OP_TANH)
PML_UNARY_DEF(g_hardsigmoid, PML_OP_HARDSIGMOID)
PML_UNARY_DEF(g_hardswish, PML_OP_HARDSWISH)
PML_UNARY_DEF(g_elu, PML_OP_ELU)
PML_UNARY_DEF(g_selu, PML_OP_SELU)
PML_UNARY_DEF(g_softplus, PML_OP_SOFTPLUS)
PML_UNARY_DEF(g_sqrt, PML_OP_SQRT)
PML_UNARY_DEF(g_exp, PML_OP_EXP)
PML_UNARY_DEF(g_log, PML_OP_LOG)
PML_UNARY_DEF(g_abs, PML_OP_ABS)
PML_UNARY_DEF(g_neg, PML_OP_NEG)
PML_UNARY_DEF(g_reciprocal, PML_OP_RECIPROCAL)
PML_UNARY_DEF(g_floor, PML_OP_FLOOR)
PML_UNARY_DEF(g_ceil, PML_OP_CEIL)
PML_UNARY_DEF(g_round, PML_OP_ROUND)
PML_UNARY_DEF(g_sign, PML_OP_SIGN)
PML_UNARY_DEF(g_sin, PML_OP_SIN)
PML_UNARY_DEF(g_cos, PML_OP_COS)
PML_UNARY_DEF(g_erf, PML_OP_ERF)
PML_UNARY_DEF(g_gelu, PML_OP_GELU)
PML_UNARY_DEF(g_celu, PML_OP_CELU)
PML_UNARY_DEF(g_mish, PML_OP_MISH)
PML_UNARY_DEF(g_thresholded_relu, PML_OP_THRESHOLDEDRELU)
PML_UNARY_DEF(g_softsign, PML_OP_SOFTSIGN)
PML_UNARY_DEF(g_shrink, PML_OP_SHRINK)
PML_UNARY_DEF(g_tan, PML_OP_TAN)
PML_UNARY_DEF(g_asin, PML_OP_ASIN)
PML_UNARY_DEF(g_acos, PML_OP_ACOS)
PML_UNARY_DEF(g_atan, PML_OP_ATAN)
PML_UNARY_DEF(g_sinh, PML_OP_SINH)
PML_UNARY_DEF(g_cosh, PML_OP_COSH)
PML_UNARY_DEF(g_asinh, PML_OP_ASINH)
PML_UNARY_DEF(g_acosh, PML_OP_ACOSH)
PML_UNARY_DEF(g_atanh, PML_OP_ATANH)
PML_UNARY_DEF(g_swish, PML_OP_SWISH)
PML_PREDICATE_DEF(g_isnan, PML_OP_ISNAN)
PML_PREDICATE_DEF(g_isinf, PML_OP_ISINF)
static const pml_op_def g_identity = {PML_OP_IDENTITY, identity_infer, NULL, identity_run, NULL};
static const pml_op_def g_cast = {PML_OP_CAST, cast_infer, cast_prepare, cast_run, pml_ew_release};
static const pml_op_def g_bitcast = {PML_OP_BITCAST, bitcast_infer, NULL, identity_run, NULL};

const pml_op_def *const pml_unary_ops[] = {
    &g_relu, &g_leaky_relu, &g_clip, &g_sigmoid, &g_tanh, &g_hardsigmoid, &g_hardswish, &g_elu, &g_selu,
    &g_softplus, &g_sqrt, &g_exp, &g_log, &g_abs, &g_neg, &g_reciprocal, &g_floor, &g_ceil, &g_round,
    &g_sign, &g_sin, &g_cos, &g_erf, &g_gelu, &g_celu, &g_mish, &g_thresholded_relu, &g_softsign, &g_shrink,
    &g_tan, &g_asin, &g_acos, &g_atan, &g_sinh, &g_cosh, &g_asinh, &g_acosh, &g_atanh, &g_swish,
    &g_isnan, &g_isinf, &g_identity, &g_cast, &g_bitcast, NULL};
