/*
 * ops/unary.c — unary float ops (activations, rounding, trigonometry, erf,
 * Gelu), Abs/Neg/Sign on integers, the bool-valued predicates IsNaN/IsInf,
 * Identity (any dtype) and Cast. Exported as pml_unary_ops for the op table
 * (Not is in ops/logic.c).
 *
 * Cast semantics (x86 onnxruntime/numpy behaviour, made well-defined here):
 *   float -> int32/int64: truncate toward zero; NaN and out-of-range values
 *     give the type's minimum (what cvttss2si produces on x86);
 *   float -> int8/uint8: through int32 as above, then keep the low 8 bits;
 *   int -> narrower int: keep the low bits (two's complement wrap);
 *   anything -> bool: x != 0 (NaN -> true); bool -> anything: 0 or 1
 *     (any nonzero byte counts as true);
 *   -> float16: IEEE round to nearest even (F16C in the AVX2 path), overflow
 *     to inf; int64 -> float16 rounds through float32.
 * Conversion runs in blocks of PML_CAST_BLOCK elements through a stack
 * buffer of float or int64, so every pair of dtypes needs only one loader
 * and one storer per dtype.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "validate.h"

#define PML_CAST_BLOCK 256

typedef struct unary_state {
    const pml_ew_kernels *k;
    pml_f32_unary_fn fn;
    pml_unary_params p;
    pml_dtype dtype;
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

/* ---- float unary (+ integer Abs/Neg) ----------------------------------------------------------- */

static pml_status unary_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    static const pml_dtype numeric[] = {PML_FLOAT32, PML_INT32, PML_INT64};
    int op = ctx->node->op;
    int n_allowed = op == PML_OP_ABS || op == PML_OP_NEG || op == PML_OP_SIGN ? 3 : 1;
    if ((s = pml_ew_check_dtype(ctx, x, "x", numeric, n_allowed)) != PML_OK) return s;
    if (op == PML_OP_GELU && gelu_kind(ctx->node) < 0)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "attribute approximate must be the string 'none' or 'tanh'");
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static pml_status unary_prepare(pml_kernel_ctx *ctx) {
    unary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_node *node = ctx->node;
    st->k = ctx->config->f32.ew;
    st->dtype = ctx->in[0]->dtype;
    st->fn = st->k->unary[node->op == PML_OP_GELU ? gelu_kind(node) : unary_index(node->op)];
    switch (node->op) {
    case PML_OP_LEAKYRELU: st->p.alpha = pml_attr_float(node, "alpha", 0.01f); break;
    case PML_OP_CLIP:
        st->p.alpha = pml_attr_float(node, "min", -INFINITY);
        st->p.beta = pml_attr_float(node, "max", INFINITY);
        break;
    case PML_OP_HARDSIGMOID:
        st->p.alpha = pml_attr_float(node, "alpha", 0.2f);
        st->p.beta = pml_attr_float(node, "beta", 0.5f);
        break;
    case PML_OP_ELU: st->p.alpha = pml_attr_float(node, "alpha", 1.0f); break;
    case PML_OP_SELU:
        st->p.alpha = pml_attr_float(node, "alpha", 1.67326319217681884765625f);
        st->p.gamma = pml_attr_float(node, "gamma", 1.05070102214813232421875f);
        break;
    default: break;
    }
    return PML_OK;
}

typedef struct unary_job {
    const unary_state *st;
    int op;
    const void *x;
    void *y;
} unary_job;

/* Integer Abs/Neg negate through unsigned, so the minimum wraps instead of being UB. */
#define PML_INT_ABS_NEG(T, U)                                                      \
    static void abs_neg_##T(int op, size_t n, const T *x, T *y) {                  \
        if (op == PML_OP_NEG)                                                      \
            for (size_t i = 0; i < n; i++) y[i] = (T)(0u - (U)x[i]);               \
        else if (op == PML_OP_SIGN)                                                \
            for (size_t i = 0; i < n; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0));    \
        else                                                                       \
            for (size_t i = 0; i < n; i++) y[i] = x[i] < 0 ? (T)(0u - (U)x[i]) : x[i]; \
    }
PML_INT_ABS_NEG(int32_t, uint32_t)
PML_INT_ABS_NEG(int64_t, uint64_t)

static void unary_range(void *arg, int64_t s, int64_t e) {
    const unary_job *j = (const unary_job *)arg;
    size_t n = (size_t)(e - s);
    switch (j->st->dtype) {
    case PML_INT32: abs_neg_int32_t(j->op, n, (const int32_t *)j->x + s, (int32_t *)j->y + s); break;
    case PML_INT64: abs_neg_int64_t(j->op, n, (const int64_t *)j->x + s, (int64_t *)j->y + s); break;
    default: j->st->fn(n, (const float *)j->x + s, (float *)j->y + s, &j->st->p); break;
    }
}

static pml_status unary_run(pml_kernel_ctx *ctx) {
    unary_job j = {(const unary_state *)ctx->state, ctx->node->op, ctx->in[0]->data, ctx->out[0]->data};
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

/* ---- predicates: IsNaN and IsInf (float32), bool output ---------------------------------- */

static pml_status predicate_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    static const pml_dtype f32[] = {PML_FLOAT32};
    if ((s = pml_ew_check_dtype(ctx, x, "x", f32, 1)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, PML_BOOL, x->rank, x->dims);
}

typedef struct predicate_job {
    int op;
    int pos, neg; /* IsInf: detect +inf / -inf */
    const void *x;
    uint8_t *y;
} predicate_job;

static void predicate_range(void *arg, int64_t s, int64_t e) {
    const predicate_job *j = (const predicate_job *)arg;
    const float *x = (const float *)j->x;
    uint8_t *y = j->y;
    switch (j->op) {
    case PML_OP_ISNAN:
        for (int64_t i = s; i < e; i++) y[i] = x[i] != x[i];
        break;
    default:
        for (int64_t i = s; i < e; i++) y[i] = (j->pos && x[i] == INFINITY) || (j->neg && x[i] == -INFINITY);
        break;
    }
}

static pml_status predicate_run(pml_kernel_ctx *ctx) {
    predicate_job j = {ctx->node->op, (int)pml_attr_int(ctx->node, "detect_positive", 1) != 0,
                       (int)pml_attr_int(ctx->node, "detect_negative", 1) != 0, ctx->in[0]->data,
                       (uint8_t *)ctx->out[0]->data};
    pml_ew_parallel(ctx, pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims), PML_EW_PARALLEL_MIN, predicate_range,
                    &j);
    return PML_OK;
}

/* ---- Cast -------------------------------------------------------------------------------------- */

static pml_status cast_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    const pml_attr *to = pml_attr_find(ctx->node, "to");
    if (!to || to->type != PML_ATTR_INT)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required int attribute 'to' is missing");
    if (!pml_schema_output_allows(ctx, 0, to->i)) { /* the registry's T2 */
        char list[160];
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "attribute to=%lld is not a supported dtype code (%s)",
                              (long long)to->i, pml_schema_dtype_codes(pml_op_schema_get(PML_OP_CAST)->out[0].dtypes,
                                                                       list, sizeof list));
    }
    return pml_ew_set_output(ctx, 0, (pml_dtype)to->i, x->rank, x->dims);
}

static pml_status cast_prepare(pml_kernel_ctx *ctx) {
    unary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->k = ctx->config->f32.ew;
    st->dtype = ctx->in[0]->dtype;
    return PML_OK;
}

static inline int32_t f32_to_i32(float x) {
    return x >= -2147483648.0f && x < 2147483648.0f ? (int32_t)x : INT32_MIN; /* NaN fails both tests */
}
static inline int64_t f32_to_i64(float x) {
    return x >= -9223372036854775808.0f && x < 9223372036854775808.0f ? (int64_t)x : INT64_MIN;
}

typedef struct cast_job {
    const pml_ew_kernels *k;
    pml_dtype from, to;
    const void *x;
    void *y;
} cast_job;

static void store_floats(const cast_job *j, const float *f, size_t n, size_t at) {
    switch (j->to) {
    case PML_FLOAT32: memcpy((float *)j->y + at, f, n * sizeof(float)); break;
    case PML_FLOAT16: j->k->f32_to_f16(n, f, (uint16_t *)j->y + at); break;
    case PML_INT8:
        for (size_t i = 0; i < n; i++) ((int8_t *)j->y)[at + i] = (int8_t)(uint8_t)(uint32_t)f32_to_i32(f[i]);
        break;
    case PML_UINT8:
        for (size_t i = 0; i < n; i++) ((uint8_t *)j->y)[at + i] = (uint8_t)(uint32_t)f32_to_i32(f[i]);
        break;
    case PML_INT32:
        for (size_t i = 0; i < n; i++) ((int32_t *)j->y)[at + i] = f32_to_i32(f[i]);
        break;
    case PML_INT64:
        for (size_t i = 0; i < n; i++) ((int64_t *)j->y)[at + i] = f32_to_i64(f[i]);
        break;
    default:
        for (size_t i = 0; i < n; i++) ((uint8_t *)j->y)[at + i] = f[i] != 0.0f;
        break;
    }
}

static void store_ints(const cast_job *j, const int64_t *v, size_t n, size_t at) {
    switch (j->to) {
    case PML_FLOAT32:
        for (size_t i = 0; i < n; i++) ((float *)j->y)[at + i] = (float)v[i];
        break;
    case PML_FLOAT16:
        for (size_t i = 0; i < n; i++) ((uint16_t *)j->y)[at + i] = pml_f32_to_f16_scalar((float)v[i]);
        break;
    case PML_INT8:
        for (size_t i = 0; i < n; i++) ((int8_t *)j->y)[at + i] = (int8_t)(uint8_t)v[i];
        break;
    case PML_UINT8:
        for (size_t i = 0; i < n; i++) ((uint8_t *)j->y)[at + i] = (uint8_t)v[i];
        break;
    case PML_INT32:
        for (size_t i = 0; i < n; i++) ((int32_t *)j->y)[at + i] = (int32_t)(uint32_t)v[i];
        break;
    case PML_INT64: memcpy((int64_t *)j->y + at, v, n * sizeof(int64_t)); break;
    default:
        for (size_t i = 0; i < n; i++) ((uint8_t *)j->y)[at + i] = v[i] != 0;
        break;
    }
}

static void cast_range(void *arg, int64_t s, int64_t e) {
    const cast_job *j = (const cast_job *)arg;
    float f[PML_CAST_BLOCK];
    int64_t v[PML_CAST_BLOCK];
    for (int64_t b = s; b < e; b += PML_CAST_BLOCK) {
        size_t n = (size_t)(e - b < PML_CAST_BLOCK ? e - b : PML_CAST_BLOCK), at = (size_t)b;
        switch (j->from) {
        case PML_FLOAT32: store_floats(j, (const float *)j->x + at, n, at); continue;
        case PML_FLOAT16:
            j->k->f16_to_f32(n, (const uint16_t *)j->x + at, f);
            store_floats(j, f, n, at);
            continue;
        case PML_INT8:
            for (size_t i = 0; i < n; i++) v[i] = ((const int8_t *)j->x)[at + i];
            break;
        case PML_UINT8:
            for (size_t i = 0; i < n; i++) v[i] = ((const uint8_t *)j->x)[at + i];
            break;
        case PML_INT32:
            for (size_t i = 0; i < n; i++) v[i] = ((const int32_t *)j->x)[at + i];
            break;
        case PML_INT64: memcpy(v, (const int64_t *)j->x + at, n * sizeof(int64_t)); break;
        default:
            for (size_t i = 0; i < n; i++) v[i] = ((const uint8_t *)j->x)[at + i] != 0;
            break;
        }
        store_ints(j, v, n, at);
    }
}

static pml_status cast_run(pml_kernel_ctx *ctx) {
    const unary_state *st = (const unary_state *)ctx->state;
    cast_job j = {st->k, ctx->in[0]->dtype, ctx->out[0]->dtype, ctx->in[0]->data, ctx->out[0]->data};
    if (j.from == j.to) return identity_run(ctx);
    pml_ew_parallel(ctx, pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims), PML_EW_PARALLEL_MIN, cast_range, &j);
    return PML_OK;
}

/* ---- definitions --------------------------------------------------------------------------------- */

#define PML_UNARY_DEF(var, code) \
    static const pml_op_def var = {code, unary_infer, unary_prepare, unary_run, pml_ew_release};
#define PML_PREDICATE_DEF(var, code) \
    static const pml_op_def var = {code, predicate_infer, NULL, predicate_run, NULL};

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
PML_PREDICATE_DEF(g_isnan, PML_OP_ISNAN)
PML_PREDICATE_DEF(g_isinf, PML_OP_ISINF)
static const pml_op_def g_identity = {PML_OP_IDENTITY, identity_infer, NULL, identity_run, NULL};
static const pml_op_def g_cast = {PML_OP_CAST, cast_infer, cast_prepare, cast_run, pml_ew_release};

const pml_op_def *const pml_unary_ops[] = {
    &g_relu, &g_leaky_relu, &g_clip, &g_sigmoid, &g_tanh, &g_hardsigmoid, &g_hardswish, &g_elu, &g_selu,
    &g_softplus, &g_sqrt, &g_exp, &g_log, &g_abs, &g_neg, &g_reciprocal, &g_floor, &g_ceil, &g_round,
    &g_sign, &g_sin, &g_cos, &g_erf, &g_gelu, &g_isnan, &g_isinf, &g_identity, &g_cast, NULL};
