/*
 * ops/logic.c — comparisons (Equal, Less, LessOrEqual, Greater,
 * GreaterOrEqual), logical And/Or/Xor, Where and the bitwise BitwiseAnd/Or/Xor
 * and BitShift, all with numpy broadcasting through a pml_bcast_plan (inner
 * loops see input strides 0 or 1 only); Not and BitwiseNot elementwise.
 *
 * Dtypes come from the op schema (the registry's type constraints, checked
 * before infer). Comparisons write bool bytes 0/1: float32 through the
 * session's fast table, every other dtype through the type-generic kernels
 * of its dtype (ctx->config->typed.logic, kernels/logic/logic_typed.h;
 * float16 compares exactly in float32, anything against NaN is false). Bool
 * inputs (here and in And/Or/Xor/Not, the bool table's kernels) count any
 * nonzero byte as true. Where picks elements of any dtype by size (1, 2, 4
 * or 8 bytes); the 4-byte case (float32/int32: attention masks) goes through
 * the float32 table's select32 (SIMD), the others through the typed table.
 * The bitwise ops run the integer tables' bitwise kernels (output of the
 * input dtype; BitShift's semantics: kernels/logic/logic_typed.h).
 * prepare picks every kernel; run does not look at dtypes. Exported as
 * pml_logic_ops for the op table.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/elementwise/ew_kernels.h"
#include "kernels/logic/logic_typed.h"
#include "validate.h"

typedef struct logic_state {
    const pml_ew_kernels *k;    /* float32 comparisons (cmp NULL) and 4-byte Where (select NULL) */
    pml_compare_typed_fn cmp;   /* other comparisons, And/Or/Xor */
    pml_select_typed_fn select; /* Where on 1, 2 and 8-byte elements */
    pml_bitwise_typed_fn bits;  /* BitwiseAnd/Or/Xor, BitShift */
    int kind;                   /* PML_CMP_* for comparisons, the op code for the others */
    size_t elsize;              /* comparisons and bitwise ops: of the inputs; Where: of x and y */
    pml_bcast_plan plan;
} logic_state;

/* PML_BITWISE_* of a bitwise op (BitShift by its direction), or -1 */
static int bitwise_index(const pml_node *node) {
    switch (node->op) {
    case PML_OP_BITWISEAND: return PML_BITWISE_AND;
    case PML_OP_BITWISEOR: return PML_BITWISE_OR;
    case PML_OP_BITWISEXOR: return PML_BITWISE_XOR;
    case PML_OP_BITSHIFT: {
        const pml_attr *a = pml_attr_find(node, "direction");
        if (!a || a->type != PML_ATTR_STRING || !a->s) return -1;
        return strcmp(a->s, "LEFT") == 0 ? PML_BITWISE_SHL : (strcmp(a->s, "RIGHT") == 0 ? PML_BITWISE_SHR : -1);
    }
    default: return -1;
    }
}

static int cmp_index(int op) {
    switch (op) {
    case PML_OP_EQUAL: return PML_CMP_EQ;
    case PML_OP_LESS: return PML_CMP_LT;
    case PML_OP_LESSOREQUAL: return PML_CMP_LE;
    case PML_OP_GREATER: return PML_CMP_GT;
    case PML_OP_GREATEROREQUAL: return PML_CMP_GE;
    default: return -1;
    }
}

/* ---- infer ------------------------------------------------------------------------------------- */

static pml_status broadcast_output(pml_kernel_ctx *ctx, int n, const pml_tensor *const *in, pml_dtype dtype) {
    int rank = 0;
    int64_t dims[PML_MAX_RANK], prev[PML_MAX_RANK];
    for (int k = 0; k < n; k++) {
        memcpy(prev, dims, sizeof prev); /* pml_broadcast_shapes' inputs must not alias its output */
        if (pml_broadcast_shapes(rank, prev, in[k]->rank, in[k]->dims, &rank, dims) != 0) {
            char buf[3][160];
            for (int j = 0; j < n; j++) pml_shape_str(in[j]->rank, in[j]->dims, buf[j], sizeof buf[j]);
            return pml_node_error(ctx, PML_ERR_SHAPE, "input shapes %s, %s%s%s do not broadcast", buf[0], buf[1],
                                  n > 2 ? ", " : "", n > 2 ? buf[2] : "");
        }
    }
    return pml_ew_set_output(ctx, 0, dtype, rank, dims);
}

/* dtypes (here and below): the op schema, checked before infer */
static pml_status predicate2_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *in[2];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "a", &in[0])) != PML_OK || (s = pml_ew_input(ctx, 1, "b", &in[1])) != PML_OK)
        return s;
    return broadcast_output(ctx, 2, in, PML_BOOL);
}

/* BitwiseAnd/Or/Xor and BitShift: the output has the inputs' dtype */
static pml_status bitwise_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *in[2];
    const int shift = ctx->node->op == PML_OP_BITSHIFT; /* its ports are x and y */
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, shift ? "x" : "a", &in[0])) != PML_OK ||
        (s = pml_ew_input(ctx, 1, shift ? "y" : "b", &in[1])) != PML_OK)
        return s;
    if (bitwise_index(ctx->node) < 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute direction must be the string 'LEFT' or 'RIGHT'");
    return broadcast_output(ctx, 2, in, in[0]->dtype);
}

static pml_status where_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *in[3];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "condition", &in[0])) != PML_OK || (s = pml_ew_input(ctx, 1, "x", &in[1])) != PML_OK ||
        (s = pml_ew_input(ctx, 2, "y", &in[2])) != PML_OK)
        return s;
    return broadcast_output(ctx, 3, in, in[1]->dtype);
}

/* ---- prepare ------------------------------------------------------------------------------------ */

static pml_status logic_prepare(pml_kernel_ctx *ctx) {
    logic_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const int op = ctx->node->op;
    const int n_in = op == PML_OP_WHERE ? 3 : 2;
    const pml_dtype dtype = ctx->in[op == PML_OP_WHERE ? 1 : 0]->dtype;
    st->k = ctx->config->f32.ew;
    st->kind = cmp_index(op) >= 0 ? cmp_index(op) : op;
    st->elsize = pml_dtype_size(dtype);
    const pml_logic_typed *typed = ctx->config->typed.logic[dtype];
    if (!typed) /* the schema admits only dtypes with kernels: a registry/kernel mismatch */
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for %s", pml_dtype_name(dtype));
    if (op == PML_OP_WHERE) st->select = st->elsize == 4 ? NULL : typed->select; /* 4 bytes: k->select32 */
    else if (op == PML_OP_AND) st->cmp = typed->logical[PML_LOGICAL_AND];
    else if (op == PML_OP_OR) st->cmp = typed->logical[PML_LOGICAL_OR];
    else if (op == PML_OP_XOR) st->cmp = typed->logical[PML_LOGICAL_XOR];
    else if (bitwise_index(ctx->node) >= 0) st->bits = typed->bitwise[bitwise_index(ctx->node)];
    else if (dtype != PML_FLOAT32) st->cmp = typed->cmp[st->kind];
    if (op != PML_OP_WHERE && dtype != PML_FLOAT32 && !st->cmp && !st->bits)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for %s", pml_dtype_name(dtype));
    pml_bcast_plan_init(&st->plan, n_in, (const pml_tensor *const *)ctx->in, ctx->out[0]);
    return PML_OK;
}

/* ---- run ---------------------------------------------------------------------------------------- */

typedef struct logic_job {
    const logic_state *st;
    const char *in[3];
    char *y;
} logic_job;

static void logic_row(void *arg, const int64_t *off, int64_t pos, int64_t n64) {
    const logic_job *j = (const logic_job *)arg;
    const logic_state *st = j->st;
    const int last = st->plan.rank - 1;
    const size_t n = (size_t)n64, sa = (size_t)st->plan.strides[0][last], sb = (size_t)st->plan.strides[1][last];
    if (st->kind == PML_OP_WHERE) {
        const size_t sz = (size_t)st->plan.strides[2][last], es = st->elsize;
        const uint8_t *c = (const uint8_t *)j->in[0] + off[0];
        const void *x = j->in[1] + (size_t)off[1] * es, *z = j->in[2] + (size_t)off[2] * es;
        void *y = j->y + (size_t)pos * es;
        if (st->select) st->select(n, c, sa, x, sb, z, sz, y);
        else st->k->select32(n, c, sa, x, sb, z, sz, y);
        return;
    }
    const char *a = j->in[0] + (size_t)off[0] * st->elsize, *b = j->in[1] + (size_t)off[1] * st->elsize;
    if (st->bits) {
        st->bits(n, a, sa, b, sb, j->y + (size_t)pos * st->elsize);
        return;
    }
    uint8_t *y = (uint8_t *)j->y + pos;
    if (st->cmp) st->cmp(n, a, sa, b, sb, y);
    else st->k->compare(st->kind, n, (const float *)a, sa, (const float *)b, sb, y);
}

static void logic_range(void *arg, int64_t s, int64_t e) {
    const logic_job *j = (const logic_job *)arg;
    pml_bcast_walk(&j->st->plan, s, e, logic_row, arg);
}

static pml_status logic_run(pml_kernel_ctx *ctx) {
    logic_job j = {(const logic_state *)ctx->state, {NULL, NULL, NULL}, (char *)ctx->out[0]->data};
    for (int k = 0; k < ctx->n_in && k < 3; k++) j.in[k] = (const char *)ctx->in[k]->data;
    pml_ew_parallel(ctx, pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims), PML_EW_PARALLEL_MIN, logic_range,
                    &j);
    return PML_OK;
}

/* ---- definitions ----------------------------------------------------------------------------------- */

/* ---- Not (bool -> bool, any nonzero byte is true) and BitwiseNot (integers) ------------------- */

static pml_status not_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims); /* the schema: bool for Not */
}

typedef struct not_state {
    void (*not_fn)(size_t n, const uint8_t *x, uint8_t *y); /* Not */
    void (*bits_not)(size_t n, const void *x, void *y);     /* BitwiseNot */
    size_t elsize;
} not_state;

static pml_status not_prepare(pml_kernel_ctx *ctx) {
    not_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_dtype dtype = ctx->in[0]->dtype;
    const pml_logic_typed *typed = ctx->config->typed.logic[dtype];
    st->elsize = pml_dtype_size(dtype);
    if (ctx->node->op == PML_OP_NOT) st->not_fn = typed ? typed->logical_not : NULL;
    else st->bits_not = typed ? typed->bitwise_not : NULL;
    if (!st->not_fn && !st->bits_not) /* the schema admits only dtypes with kernels */
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for %s", pml_dtype_name(dtype));
    return PML_OK;
}

typedef struct not_job {
    const not_state *st;
    const char *x;
    char *y;
} not_job;

static void not_range(void *arg, int64_t s, int64_t e) {
    const not_job *j = (const not_job *)arg;
    const size_t at = (size_t)s * j->st->elsize;
    if (j->st->bits_not) j->st->bits_not((size_t)(e - s), j->x + at, j->y + at);
    else j->st->not_fn((size_t)(e - s), (const uint8_t *)j->x + at, (uint8_t *)j->y + at);
}

static pml_status not_run(pml_kernel_ctx *ctx) {
    not_job j = {(const not_state *)ctx->state, (const char *)ctx->in[0]->data, (char *)ctx->out[0]->data};
    pml_ew_parallel(ctx, pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims), PML_EW_PARALLEL_MIN, not_range, &j);
    return PML_OK;
}

static const pml_op_def g_not = {PML_OP_NOT, not_infer, not_prepare, not_run, pml_ew_release};
static const pml_op_def g_bitwise_not = {PML_OP_BITWISENOT, not_infer, not_prepare, not_run, pml_ew_release};

#define PML_LOGIC_DEF(var, code, infer) \
    static const pml_op_def var = {code, infer, logic_prepare, logic_run, pml_ew_release};

PML_LOGIC_DEF(g_equal, PML_OP_EQUAL, predicate2_infer)
PML_LOGIC_DEF(g_less, PML_OP_LESS, predicate2_infer)
PML_LOGIC_DEF(g_less_equal, PML_OP_LESSOREQUAL, predicate2_infer)
PML_LOGIC_DEF(g_greater, PML_OP_GREATER, predicate2_infer)
PML_LOGIC_DEF(g_greater_equal, PML_OP_GREATEROREQUAL, predicate2_infer)
PML_LOGIC_DEF(g_and, PML_OP_AND, predicate2_infer)
PML_LOGIC_DEF(g_or, PML_OP_OR, predicate2_infer)
PML_LOGIC_DEF(g_xor, PML_OP_XOR, predicate2_infer)
PML_LOGIC_DEF(g_where, PML_OP_WHERE, where_infer)
PML_LOGIC_DEF(g_bitwise_and, PML_OP_BITWISEAND, bitwise_infer)
PML_LOGIC_DEF(g_bitwise_or, PML_OP_BITWISEOR, bitwise_infer)
PML_LOGIC_DEF(g_bitwise_xor, PML_OP_BITWISEXOR, bitwise_infer)
PML_LOGIC_DEF(g_bitshift, PML_OP_BITSHIFT, bitwise_infer)

const pml_op_def *const pml_logic_ops[] = {&g_equal, &g_less, &g_less_equal, &g_greater, &g_greater_equal,
                                           &g_and, &g_or, &g_xor, &g_not, &g_where, &g_bitwise_and,
                                           &g_bitwise_or, &g_bitwise_xor, &g_bitwise_not, &g_bitshift, NULL};
