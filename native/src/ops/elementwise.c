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
 * Dtypes come from the op schema (the registry's type constraints, checked
 * before infer). float32 runs the session's fast table (ctx->config->f32.ew,
 * with fused activations on blocks of at most PML_BIN_BLOCK elements while
 * they are still in L1); every other dtype, float32 Mod and Pow with a
 * non-float32 exponent run the type-generic kernels of their dtype
 * (ctx->config->typed.binary, kernels/elementwise/binary_typed.h: integers
 * wrap, Div truncates, float16 rounds once). prepare picks the kernel; an
 * integer Div or Mod by zero fails the run with PML_ERR_RUNTIME. Add, Sub and Mul on
 * quantized tensors run ops/elementwise_q8.c instead.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/binary_typed.h"
#include "kernels/elementwise/ew_kernels.h"
#include "elementwise_q8.h"
#include "validate.h"

#define PML_BIN_BLOCK 4096

typedef struct binary_state {
    int quantized; /* always 0: quantized Add/Sub/Mul keep their own state (elementwise_q8.c) */
    const pml_ew_kernels *k; /* float32 fast path (typed == NULL) */
    pml_binary_typed_fn typed; /* every other case */
    int op; /* PML_BIN_* */
    size_t esize[3]; /* a, b, y */
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
    default: return PML_BIN_PRELU;
    }
}

/* ---- infer ------------------------------------------------------------------------------- */

static pml_status binary_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *a, *b;
    pml_status s;
    if (pml_q8_binary_wanted(ctx)) return pml_q8_binary_infer(ctx);
    /* dtypes: the op schema (checked before infer; Pow's exponent may differ from its base) */
    if ((s = pml_ew_input(ctx, 0, "a", &a)) != PML_OK || (s = pml_ew_input(ctx, 1, "b", &b)) != PML_OK) return s;
    pml_activation act;
    if ((s = pml_activation_from_node(ctx, &act)) != PML_OK) return s;
    if (act.kind != PML_ACT_NONE && (a->dtype != PML_FLOAT32 || b->dtype != PML_FLOAT32))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "fused activation %d on %s (supported on float32 only)",
                              act.kind, pml_dtype_name(a->dtype != PML_FLOAT32 ? a->dtype : b->dtype));
    return pml_ew_set_broadcast_output(ctx, a, b, a->dtype);
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
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/* ---- prepare ------------------------------------------------------------------------------------ */

static pml_status binary_prepare(pml_kernel_ctx *ctx) {
    if (ctx->node->op == PML_OP_PRELU) {
        const pml_dtype t = ctx->in[0]->dtype;
        if (ctx->in[0]->quant) return pml_q8_prelu_prepare(ctx);
        if (t == PML_INT8 || t == PML_UINT8 || t == PML_INT16) /* the schema admits them for quantized tensors */
            return pml_node_error(ctx, PML_ERR_DTYPE, "PRelu on unquantized %s (8/16-bit integers run only as "
                                  "quantized tensors)", pml_dtype_name(t));
    }
    if (pml_q8_binary_wanted(ctx)) return pml_q8_binary_prepare(ctx);
    binary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_dtype ta = ctx->in[0]->dtype, tb = ctx->in[1]->dtype;
    const pml_binary_typed *typed = ctx->config->typed.binary[ta];
    st->op = bin_index(ctx->node->op);
    if (ctx->node->op == PML_OP_MOD) st->op = pml_attr_int(ctx->node, "fmod", 0) ? PML_BIN_FMOD : PML_BIN_MOD;
    if (ta == PML_FLOAT32 && tb == PML_FLOAT32 && st->op < PML_BIN_COUNT) st->k = ctx->config->f32.ew;
    else st->typed = st->op == PML_BIN_POW ? (typed ? typed->pow[tb] : NULL) : (typed ? typed->op[st->op] : NULL);
    if (!st->k && !st->typed) /* the schema admits only dtypes with kernels: a registry/kernel mismatch */
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for %s and %s", pml_dtype_name(ta),
                              pml_dtype_name(tb));
    st->esize[0] = pml_dtype_size(ta);
    st->esize[1] = pml_dtype_size(tb);
    st->esize[2] = pml_dtype_size(ctx->out[0]->dtype);
    pml_activation act;
    pml_status s = pml_activation_from_node(ctx, &act);
    if (s != PML_OK) return s;
    st->act = pml_ew_act_to_unary(&act, &st->act_params);
    pml_bcast_plan_init(&st->plan, 2, (const pml_tensor *const *)ctx->in, ctx->out[0]);
    return PML_OK;
}

/* ---- run ----------------------------------------------------------------------------------------- */

typedef struct binary_job {
    const binary_state *st;
    const char *a, *b;
    char *y;
    int div_by_zero; /* written by any task that saw one (benign race: only ever set to 1) */
} binary_job;

static void binary_row(void *arg, const int64_t *off, int64_t yo, int64_t n) {
    binary_job *j = (binary_job *)arg;
    const binary_state *st = j->st;
    size_t sa = (size_t)st->plan.strides[0][st->plan.rank - 1], sb = (size_t)st->plan.strides[1][st->plan.rank - 1];
    if (st->typed) {
        if (st->typed((size_t)n, j->a + (size_t)off[0] * st->esize[0], sa, j->b + (size_t)off[1] * st->esize[1], sb,
                      j->y + (size_t)yo * st->esize[2]))
            __atomic_store_n(&j->div_by_zero, 1, __ATOMIC_RELAXED);
        return;
    }
    const float *a = (const float *)j->a + off[0], *b = (const float *)j->b + off[1];
    float *y = (float *)j->y + yo;
    for (int64_t i = 0; i < n; i += PML_BIN_BLOCK) {
        size_t m = (size_t)(n - i < PML_BIN_BLOCK ? n - i : PML_BIN_BLOCK);
        if (sa && sb) st->k->vv[st->op](m, a + i, b + i, y + i);
        else if (sa) st->k->vs[st->op](m, a + i, b[0], y + i);
        else st->k->sv[st->op](m, a[0], b + i, y + i);
        if (st->act >= 0) st->k->unary[st->act](m, y + i, y + i, &st->act_params);
    }
}

static void binary_range(void *arg, int64_t s, int64_t e) {
    binary_job *j = (binary_job *)arg;
    pml_bcast_walk(&j->st->plan, s, e, binary_row, j);
}

static pml_status binary_run(pml_kernel_ctx *ctx) {
    const binary_state *st = (const binary_state *)ctx->state;
    if (st->quantized) return ctx->node->op == PML_OP_PRELU ? pml_q8_prelu_run(ctx) : pml_q8_binary_run(ctx);
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
