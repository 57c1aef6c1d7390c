/*
 * ops/elementwise.c — binary elementwise ops with numpy broadcasting (Add,
 * Sub, Mul, Div, Pow, Max, Min, Mod, PRelu) and the family's op list.
 *
 * prepare turns the broadcast into a plan (pml_bcast_plan_init: size-1 dims
 * dropped, dims merged where both inputs broadcast alike), so the inner loop
 * is always one of three kernels: vector-vector (same shape), vector-scalar
 * or scalar-vector (scalar or per-channel broadcasts such as
 * [N,C,H,W] * [C,1,1]). A last-axis bias ([N,H,W,C] + [C]) becomes rows of
 * vector-vector calls. run splits the flat output range over the pool.
 *
 * Integer Add/Sub/Mul wrap (two's complement, no UB); integer Div truncates
 * toward zero, INT_MIN / -1 wraps to INT_MIN, and division (or Mod) by zero
 * fails the run with PML_ERR_RUNTIME. Mod follows ONNX's fmod attribute:
 * fmod=1 is C's remainder (sign of the dividend), fmod=0 takes the divisor's
 * sign (Python/numpy, for floats too as onnx's reference does). Fused
 * activations apply to float outputs only, on blocks of at most
 * PML_BIN_BLOCK elements while they are still in L1.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "validate.h"

#define PML_BIN_BLOCK 4096

/* integer/float Mod has no entry in the float kernel table: it runs here */
#define PML_BIN_MOD PML_BIN_COUNT

typedef struct binary_state {
    const pml_ew_kernels *k;
    int op; /* PML_BIN_* or PML_BIN_MOD */
    int fmod; /* Mod: 1 = C fmod (dividend's sign), 0 = the divisor's sign */
    pml_dtype dtype;
    pml_bcast_plan plan;
    int act; /* PML_UN_* of the fused activation, -1 for none */
    pml_unary_params act_params;
} binary_state;

static int bin_index(int op) {
    switch (op) {
    case PML_OP_ADD: return PML_BIN_ADD;
    case PML_OP_SUB: return PML_BIN_SUB;
    case PML_OP_MUL: return PML_BIN_MUL;
    case PML_OP_DIV: return PML_BIN_DIV;
    case PML_OP_POW: return PML_BIN_POW;
    case PML_OP_MAX: return PML_BIN_MAX;
    case PML_OP_MIN: return PML_BIN_MIN;
    case PML_OP_MOD: return PML_BIN_MOD;
    default: return PML_BIN_PRELU;
    }
}

/* ---- infer ------------------------------------------------------------------------------- */

static pml_status binary_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *a, *b;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "a", &a)) != PML_OK || (s = pml_ew_input(ctx, 1, "b", &b)) != PML_OK) return s;
    static const pml_dtype numeric[] = {PML_FLOAT32, PML_INT32, PML_INT64};
    int n_allowed = ctx->node->op == PML_OP_POW ? 1 : 3;
    if ((s = pml_ew_check_dtype(ctx, a, "a", numeric, n_allowed)) != PML_OK) return s;
    if (b->dtype != a->dtype)
        return pml_node_error(ctx, PML_ERR_DTYPE, "inputs have different dtypes %s and %s", pml_dtype_name(a->dtype),
                              pml_dtype_name(b->dtype));
    pml_activation act;
    if ((s = pml_activation_from_node(ctx, &act)) != PML_OK) return s;
    if (act.kind != PML_ACT_NONE && a->dtype != PML_FLOAT32)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "fused activation %d on %s (supported on float32 only)",
                              act.kind, pml_dtype_name(a->dtype));
    int rank;
    int64_t dims[PML_MAX_RANK];
    if (pml_broadcast_shapes(a->rank, a->dims, b->rank, b->dims, &rank, dims) != 0) {
        char sa[160], sb[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "shapes %s and %s do not broadcast",
                              pml_shape_str(a->rank, a->dims, sa, sizeof sa),
                              pml_shape_str(b->rank, b->dims, sb, sizeof sb));
    }
    return pml_ew_set_output(ctx, 0, a->dtype, rank, dims);
}

static pml_status mod_infer(pml_kernel_ctx *ctx) {
    int64_t fmod = pml_attr_int(ctx->node, "fmod", 0);
    if (fmod != 0 && fmod != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute fmod=%lld must be 0 or 1", (long long)fmod);
    return binary_infer(ctx);
}

static pml_status prelu_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x, *slope;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_ew_input(ctx, 1, "slope", &slope)) != PML_OK)
        return s;
    static const pml_dtype f32[] = {PML_FLOAT32};
    if ((s = pml_ew_check_dtype(ctx, x, "x", f32, 1)) != PML_OK ||
        (s = pml_ew_check_dtype(ctx, slope, "slope", f32, 1)) != PML_OK)
        return s;
    int rank;
    int64_t dims[PML_MAX_RANK];
    int ok = slope->rank <= x->rank && pml_broadcast_shapes(x->rank, x->dims, slope->rank, slope->dims, &rank, dims) == 0;
    for (int i = 0; ok && i < rank; i++) ok = dims[i] == x->dims[i];
    if (!ok) {
        char sx[160], ss[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "slope shape %s does not broadcast to x shape %s (unidirectional)",
                              pml_shape_str(slope->rank, slope->dims, ss, sizeof ss),
                              pml_shape_str(x->rank, x->dims, sx, sizeof sx));
    }
    return pml_ew_set_output(ctx, 0, PML_FLOAT32, x->rank, x->dims);
}

/* ---- prepare ------------------------------------------------------------------------------------ */

static pml_status binary_prepare(pml_kernel_ctx *ctx) {
    binary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->k = ctx->config->f32.ew;
    st->op = bin_index(ctx->node->op);
    st->dtype = ctx->out[0]->dtype;
    st->fmod = (int)pml_attr_int(ctx->node, "fmod", 0);
    pml_activation act;
    pml_status s = pml_activation_from_node(ctx, &act);
    if (s != PML_OK) return s;
    st->act = pml_ew_act_to_unary(&act, &st->act_params);
    pml_bcast_plan_init(&st->plan, 2, (const pml_tensor *const *)ctx->in, ctx->out[0]);
    return PML_OK;
}

/* ---- run ----------------------------------------------------------------------------------------- */

/* Integer kernels: sa/sb are 0 or 1. Return 1 on division by zero. */
#define PML_INT_BINARY(T, U)                                                                           \
    static int binary_##T(int op, int fmod, size_t n, const T *a, size_t sa, const T *b, size_t sb, T *y) { \
        size_t i;                                                                                            \
        switch (op) {                                                                                        \
        case PML_BIN_ADD: for (i = 0; i < n; i++) y[i] = (T)((U)a[i * sa] + (U)b[i * sb]); break;            \
        case PML_BIN_SUB: for (i = 0; i < n; i++) y[i] = (T)((U)a[i * sa] - (U)b[i * sb]); break;            \
        case PML_BIN_MUL: for (i = 0; i < n; i++) y[i] = (T)((U)a[i * sa] * (U)b[i * sb]); break;            \
        case PML_BIN_MAX: for (i = 0; i < n; i++) y[i] = a[i * sa] > b[i * sb] ? a[i * sa] : b[i * sb]; break; \
        case PML_BIN_MIN: for (i = 0; i < n; i++) y[i] = a[i * sa] < b[i * sb] ? a[i * sa] : b[i * sb]; break; \
        case PML_BIN_DIV:                                                                                    \
            for (i = 0; i < n; i++) {                                                                        \
                T A = a[i * sa], B = b[i * sb];                                                              \
                if (B == 0) return 1;                                                                        \
                y[i] = (B == -1) ? (T)(0u - (U)A) : A / B; /* MIN / -1 wraps instead of trapping */          \
            }                                                                                                \
            break;                                                                                           \
        case PML_BIN_MOD:                                                                                    \
            for (i = 0; i < n; i++) {                                                                        \
                T A = a[i * sa], B = b[i * sb];                                                              \
                if (B == 0) return 1;                                                                        \
                T r = B == -1 ? 0 : A % B; /* MIN % -1 traps on x86 */                                       \
                /* fmod=0: move the remainder to the divisor's sign; r + B cannot overflow (opposite signs) */ \
                if (!fmod && r != 0 && ((r < 0) != (B < 0))) r += B;                                         \
                y[i] = r;                                                                                    \
            }                                                                                                \
            break;                                                                                           \
        }                                                                                                    \
        return 0;                                                                                            \
    }
PML_INT_BINARY(int32_t, uint32_t)
PML_INT_BINARY(int64_t, uint64_t)

/* numpy's float remainder: the divisor's sign, a zero result signed like the divisor */
static inline float mod_floor_f32(float a, float b) {
    float r = fmodf(a, b);
    if (r != 0.0f) { /* also NaN */
        if ((r < 0.0f) != (b < 0.0f)) r += b;
    } else {
        r = copysignf(0.0f, b);
    }
    return r;
}

static void mod_f32(int fmod, size_t n, const float *a, size_t sa, const float *b, size_t sb, float *y) {
    if (fmod)
        for (size_t i = 0; i < n; i++) y[i] = fmodf(a[i * sa], b[i * sb]);
    else
        for (size_t i = 0; i < n; i++) y[i] = mod_floor_f32(a[i * sa], b[i * sb]);
}

typedef struct binary_job {
    const binary_state *st;
    const char *a, *b;
    char *y;
    int div_by_zero; /* written by any task that saw one (benign race: only ever set to 1) */
} binary_job;

static void binary_row(void *arg, const int64_t *off, int64_t yo, int64_t n) {
    binary_job *j = (binary_job *)arg;
    const binary_state *st = j->st;
    const int64_t ao = off[0], bo = off[1];
    size_t sa = (size_t)st->plan.strides[0][st->plan.rank - 1], sb = (size_t)st->plan.strides[1][st->plan.rank - 1];
    if (st->dtype == PML_FLOAT32) {
        const float *a = (const float *)j->a + ao, *b = (const float *)j->b + bo;
        float *y = (float *)j->y + yo;
        if (st->op == PML_BIN_MOD) {
            mod_f32(st->fmod, (size_t)n, a, sa, b, sb, y);
            return;
        }
        for (int64_t i = 0; i < n; i += PML_BIN_BLOCK) {
            size_t m = (size_t)(n - i < PML_BIN_BLOCK ? n - i : PML_BIN_BLOCK);
            if (sa && sb) st->k->vv[st->op](m, a + i, b + i, y + i);
            else if (sa) st->k->vs[st->op](m, a + i, b[0], y + i);
            else st->k->sv[st->op](m, a[0], b + i, y + i);
            if (st->act >= 0) st->k->unary[st->act](m, y + i, y + i, &st->act_params);
        }
    } else if (st->dtype == PML_INT32) {
        if (binary_int32_t(st->op, st->fmod, (size_t)n, (const int32_t *)j->a + ao, sa, (const int32_t *)j->b + bo,
                           sb, (int32_t *)j->y + yo))
            __atomic_store_n(&j->div_by_zero, 1, __ATOMIC_RELAXED);
    } else {
        if (binary_int64_t(st->op, st->fmod, (size_t)n, (const int64_t *)j->a + ao, sa, (const int64_t *)j->b + bo,
                           sb, (int64_t *)j->y + yo))
            __atomic_store_n(&j->div_by_zero, 1, __ATOMIC_RELAXED);
    }
}

static void binary_range(void *arg, int64_t s, int64_t e) {
    binary_job *j = (binary_job *)arg;
    pml_bcast_walk(&j->st->plan, s, e, binary_row, j);
}

static pml_status binary_run(pml_kernel_ctx *ctx) {
    const binary_state *st = (const binary_state *)ctx->state;
    binary_job j = {st, (const char *)ctx->in[0]->data, (const char *)ctx->in[1]->data, (char *)ctx->out[0]->data, 0};
    int64_t n = pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims);
    pml_ew_parallel(ctx, n, PML_EW_PARALLEL_MIN, binary_range, &j);
    if (j.div_by_zero)
        return pml_node_error(ctx, PML_ERR_RUNTIME, "integer %s by zero",
                              ctx->node->op == PML_OP_MOD ? "modulo" : "division");
    return PML_OK;
}

#define PML_BINARY_DEF(var, code, infer) \
    static const pml_op_def var = {code, infer, binary_prepare, binary_run, pml_ew_release};

PML_BINARY_DEF(g_add, PML_OP_ADD, binary_infer)
PML_BINARY_DEF(g_sub, PML_OP_SUB, binary_infer)
PML_BINARY_DEF(g_mul, PML_OP_MUL, binary_infer)
PML_BINARY_DEF(g_div, PML_OP_DIV, binary_infer)
PML_BINARY_DEF(g_pow, PML_OP_POW, binary_infer)
PML_BINARY_DEF(g_max, PML_OP_MAX, binary_infer)
PML_BINARY_DEF(g_min, PML_OP_MIN, binary_infer)
PML_BINARY_DEF(g_prelu, PML_OP_PRELU, prelu_infer)
PML_BINARY_DEF(g_mod, PML_OP_MOD, mod_infer)

/* unary ops, Identity and Cast: ops/unary.c (pml_unary_ops);
 * comparisons, logic, Not and Where: ops/logic.c (pml_logic_ops) */
const pml_op_def *const pml_elementwise_ops[] = {&g_add, &g_sub, &g_mul, &g_div, &g_pow,
                                                 &g_max, &g_min, &g_mod, &g_prelu, NULL};
