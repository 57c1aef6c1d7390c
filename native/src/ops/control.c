/*
 * ops/control.c — If: runs then_branch or else_branch (child sessions, reached through
 * ctx->subgraph_calls) on the node's inputs after cond.
 *
 * Planning: when cond is known while planning (a constant, or computed from shapes), only
 * the chosen branch is planned and its output shapes are the node's. Otherwise both
 * branches are planned for the input shapes; when both plan and agree on every output
 * shape (and neither has value-dependent shapes inside), the node is an ordinary node with
 * those shapes; else its output shapes are known only once it has run, and the session
 * plans the nodes after it then (shapes_after_run, like after NonZero), per shape seen.
 * Outputs are read in place from the branch's arena (no copy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "control.h"

typedef struct if_state {
    int shapes_after_run;
} if_state;

static pml_status if_branches(pml_kernel_ctx *ctx, pml_subgraph *g[2]) {
    g[0] = pml_ctx_subgraph(ctx, "then_branch");
    g[1] = pml_ctx_subgraph(ctx, "else_branch");
    if (!g[0] || !g[1] || !ctx->subgraph_calls)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "its branches were not built");
    return PML_OK;
}

static const char *const k_branch[2] = {"then_branch", "else_branch"};

static pml_status if_infer(pml_kernel_ctx *ctx) {
    pml_subgraph *g[2];
    pml_status st = if_branches(ctx, g);
    if (st != PML_OK) return st;
    const pml_subgraph_calls *call = ctx->subgraph_calls;
    const pml_tensor *c = ctx->in[0];
    char buf[128];
    if (pml_shape_numel(c->rank, c->dims) != 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "cond must hold one value, got shape %s",
                              pml_shape_str(c->rank, c->dims, buf, sizeof buf));
    int planned[2] = {0, 0};
    const uint8_t *known = pml_tensor_known_value(c);
    if (known) { /* the branch is chosen now: only it must plan */
        int b = known[0] ? 0 : 1;
        st = call->plan(g[b], ctx->in + 1, ctx->n_in - 1);
        if (st != PML_OK) return pml_control_child_failed(ctx, st, k_branch[b], "planning");
        planned[b] = 1;
    } else { /* a branch that cannot plan for these shapes may still never be taken */
        for (int b = 0; b < 2; b++) planned[b] = call->plan(g[b], ctx->in + 1, ctx->n_in - 1) == PML_OK;
        pml_set_error(PML_OK, "");
    }
    int exact = planned[0] || planned[1];
    for (int b = 0; b < 2; b++)
        if (planned[b] && call->shapes_vary(g[b])) exact = 0;
    for (int k = 0; k < ctx->n_out && exact; k++)
        if (planned[0] && planned[1]) {
            const pml_tensor *a = call->output(g[0], k), *e = call->output(g[1], k);
            exact = a->rank == e->rank && memcmp(a->dims, e->dims, sizeof(int64_t) * (size_t)a->rank) == 0;
        }
    for (int k = 0; k < ctx->n_out; k++) {
        if (exact) {
            const pml_tensor *o = call->output(g[planned[0] ? 0 : 1], k);
            pml_tensor_set_shape(ctx->out[k], o->dtype, o->rank, o->dims);
        } else {
            pml_control_unknown_shape(ctx->out[k], call->declared_output(g[0], k));
        }
    }
    ctx->shapes_after_run = !exact;
    return PML_OK;
}

static pml_status if_prepare(pml_kernel_ctx *ctx) {
    if_state *st = pml_control_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->shapes_after_run = ctx->shapes_after_run;
    return PML_OK;
}

static pml_status if_run(pml_kernel_ctx *ctx) {
    pml_subgraph *g[2];
    pml_status st = if_branches(ctx, g);
    if (st != PML_OK) return st;
    const if_state *state = ctx->state;
    int b = ((const uint8_t *)ctx->in[0]->data)[0] ? 0 : 1;
    st = ctx->subgraph_calls->run(g[b], ctx->in + 1, ctx->n_in - 1);
    if (st != PML_OK) return pml_control_child_failed(ctx, st, k_branch[b], "running");
    for (int k = 0; k < ctx->n_out; k++) {
        const pml_tensor *o = ctx->subgraph_calls->output(g[b], k);
        pml_tensor *out = ctx->out[k];
        if (!state->shapes_after_run &&
            (o->rank != out->rank || memcmp(o->dims, out->dims, sizeof(int64_t) * (size_t)o->rank) != 0)) {
            char a[128], e[128];
            return pml_node_error(ctx, PML_ERR_INTERNAL, "%s gave output %d shape %s; it was planned as %s",
                                  k_branch[b], k, pml_shape_str(o->rank, o->dims, a, sizeof a),
                                  pml_shape_str(out->rank, out->dims, e, sizeof e));
        }
        pml_control_point_output(out, o);
    }
    return PML_OK;
}

const pml_op_def pml_if_def = {PML_OP_IF, if_infer, if_prepare, if_run, pml_control_release};

/* ---- shared with ops/control_loop.c ------------------------------------------------- */

pml_status pml_control_child_failed(const pml_kernel_ctx *ctx, pml_status status, const char *role, const char *stage) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", pml_last_error());
    return pml_node_error(ctx, status, "%s failed %s: %s", role, stage, msg[0] ? msg : pml_status_string(status));
}

void pml_control_unknown_shape(pml_tensor *out, const pml_tensor *declared) {
    int64_t dims[PML_MAX_RANK];
    for (int j = 0; j < declared->rank; j++) dims[j] = declared->dims[j] < 0 ? 0 : declared->dims[j];
    pml_tensor_set_shape(out, declared->dtype, declared->rank, dims);
}

void pml_control_point_output(pml_tensor *out, const pml_tensor *src) {
    out->rank = src->rank;
    memcpy(out->dims, src->dims, sizeof(int64_t) * (size_t)src->rank);
    out->nbytes = src->nbytes;
    out->data = src->data;
}

void *pml_control_state(pml_kernel_ctx *ctx, size_t size) {
    ctx->state = calloc(1, size);
    ctx->state_size = ctx->state ? size : 0;
    return ctx->state;
}

void pml_control_release(pml_kernel_ctx *ctx) {
    free(ctx->state);
    ctx->state = NULL;
}

extern const pml_op_def pml_loop_def, pml_while_def; /* ops/control_loop.c */

const pml_op_def *const pml_control_ops[] = {&pml_if_def, &pml_loop_def, &pml_while_def, NULL};
