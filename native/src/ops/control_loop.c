/*
 * ops/control_loop.c — Loop (ONNX) and While (TFLite WHILE): run a body subgraph (a child
 * session, through ctx->subgraph_calls) until a trip count or a condition stops it.
 *
 * The values carried from one iteration to the next, and the scan outputs Loop stacks
 * over the iterations, live in buffers the op owns (ctx->packed): grown when a shape
 * needs more room and kept between runs, so a loop whose shapes repeat allocates nothing
 * after its first run. A body keeps one plan per input-shape signature like any session,
 * so iterations with the same shapes re-use one plan. The node's outputs point at these
 * buffers after the run. When the carried shapes provably stay what they start as (the
 * body, planned for them, gives them back) and there are no scan outputs, the node has
 * those shapes while planning; otherwise its output shapes are known once it has run and
 * the session plans the nodes after it then.
 *
 * A loop that reaches ctx->loop_limit iterations (the session's max_loop_iterations) stops
 * with an error instead of hanging: one without a trip count whose condition never turns
 * false, or one whose trip count (a run-time input) is absurdly large.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "control.h"

/* A value the op owns: shape and data in a buffer of cap bytes. */
typedef struct owned_value {
    pml_tensor t;
    size_t cap;
} owned_value;

typedef struct loop_buffers {
    int n_values, n_scans;   /* carried values (While: all its values); scan outputs the node keeps */
    owned_value *values, *scans;
    pml_tensor iter, cond;   /* Loop's body inputs 0 and 1 */
    int64_t iter_value;
    uint8_t cond_value;
    pml_tensor **body_in;    /* what the body takes each iteration */
} loop_buffers;

/* Room for `bytes` in v, keeping its first v->t.nbytes bytes. */
static int reserve(owned_value *v, size_t bytes) {
    if (bytes <= v->cap) return 1;
    size_t cap = v->cap ? v->cap : 64;
    while (cap < bytes) cap = cap > SIZE_MAX / 2 ? bytes : cap * 2;
    void *p = pml_aligned_alloc(cap);
    if (!p) return 0;
    if (v->t.nbytes) memcpy(p, v->t.data, v->t.nbytes);
    pml_aligned_free(v->t.data);
    v->t.data = p;
    v->cap = cap;
    return 1;
}

/* v = a copy of src. */
static pml_status set_value(const pml_kernel_ctx *ctx, owned_value *v, const pml_tensor *src) {
    v->t.nbytes = 0; /* nothing to keep */
    if (!reserve(v, src->nbytes))
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory holding a %zu-byte loop value", src->nbytes);
    v->t.dtype = src->dtype;
    v->t.rank = src->rank;
    memcpy(v->t.dims, src->dims, sizeof v->t.dims);
    v->t.nbytes = src->nbytes;
    if (src->nbytes) memcpy(v->t.data, src->data, src->nbytes);
    return PML_OK;
}

/* Appends iteration i's scan value o to s (stacked on a new first axis). hint: iterations
 * expected (the trip count), to reserve once. */
static pml_status append_scan(const pml_kernel_ctx *ctx, int k, owned_value *s, const pml_tensor *o, int64_t i,
                              int64_t hint) {
    char a[128], b[128];
    if (i == 0) {
        if (o->rank + 1 > PML_MAX_RANK)
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "scan output %d has rank %d; stacked it would exceed "
                                  "rank %d", k, o->rank, PML_MAX_RANK);
        s->t.dtype = o->dtype;
        s->t.rank = o->rank + 1;
        s->t.dims[0] = 0;
        memcpy(s->t.dims + 1, o->dims, sizeof(int64_t) * (size_t)o->rank);
        s->t.nbytes = 0;
        if (hint > 1 && o->nbytes && (uint64_t)hint <= (SIZE_MAX / 2) / o->nbytes) reserve(s, (size_t)hint * o->nbytes);
    } else if (o->rank + 1 != s->t.rank || memcmp(o->dims, s->t.dims + 1, sizeof(int64_t) * (size_t)o->rank) != 0) {
        return pml_node_error(ctx, PML_ERR_SHAPE, "scan output %d has shape %s at iteration %lld but %s before; scan "
                              "outputs keep one shape", k, pml_shape_str(o->rank, o->dims, a, sizeof a), (long long)i,
                              pml_shape_str(s->t.rank - 1, s->t.dims + 1, b, sizeof b));
    }
    if (!reserve(s, s->t.nbytes + o->nbytes))
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory stacking scan output %d", k);
    if (o->nbytes) memcpy((uint8_t *)s->t.data + s->t.nbytes, o->data, o->nbytes);
    s->t.nbytes += o->nbytes;
    s->t.dims[0]++;
    return PML_OK;
}

static pml_status buffers_new(pml_kernel_ctx *ctx, int n_values, int n_scans, int n_body_in) {
    loop_buffers *lb = calloc(1, sizeof *lb);
    if (lb) {
        lb->n_values = n_values;
        lb->n_scans = n_scans;
        lb->values = calloc((size_t)n_values + 1, sizeof *lb->values);
        lb->scans = calloc((size_t)n_scans + 1, sizeof *lb->scans);
        lb->body_in = calloc((size_t)n_body_in + 1, sizeof *lb->body_in);
    }
    ctx->packed = lb;
    if (!lb || !lb->values || !lb->scans || !lb->body_in)
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory creating the loop's buffers");
    for (int k = 0; k < n_values; k++) lb->values[k].t.name = "loop value";
    for (int k = 0; k < n_scans; k++) lb->scans[k].t.name = "scan output";
    lb->iter.name = "iteration";
    lb->cond.name = "condition";
    lb->iter.data = &lb->iter_value;
    lb->cond.data = &lb->cond_value;
    return PML_OK;
}

static void buffers_free(pml_kernel_ctx *ctx) {
    loop_buffers *lb = ctx->packed;
    if (!lb) return;
    for (int k = 0; lb->values && k < lb->n_values; k++) pml_aligned_free(lb->values[k].t.data);
    for (int k = 0; lb->scans && k < lb->n_scans; k++) pml_aligned_free(lb->scans[k].t.data);
    free(lb->values);
    free(lb->scans);
    free(lb->body_in);
    free(lb);
    ctx->packed = NULL;
}

/* A one-element body input shaped as the body declares it (symbolic dims 1). */
static void scalar_like(pml_tensor *t, const pml_tensor *declared) {
    int64_t dims[PML_MAX_RANK];
    for (int j = 0; j < declared->rank; j++) dims[j] = 1;
    void *data = t->data;
    pml_tensor_set_shape(t, declared->dtype, declared->rank, dims);
    t->data = data;
}

static pml_status need_one_value(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role) {
    char buf[128];
    if (t && pml_shape_numel(t->rank, t->dims) != 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "%s must hold one value, got shape %s", role,
                              pml_shape_str(t->rank, t->dims, buf, sizeof buf));
    return PML_OK;
}

/* A subgraph's condition output as a flag: it must hold one value (a hostile file may
 * declare it otherwise, and an empty tensor has no byte to read). */
static pml_status read_flag(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role, uint8_t *flag) {
    char buf[128];
    if (pml_shape_numel(t->rank, t->dims) != 1 || !t->data)
        return pml_node_error(ctx, PML_ERR_SHAPE, "%s must give one value, got shape %s", role,
                              pml_shape_str(t->rank, t->dims, buf, sizeof buf));
    *flag = *(const uint8_t *)t->data;
    return PML_OK;
}

/* Output shapes: the start shapes when the body, planned for them, gives them back and
 * nothing is stacked; else known after the run (declared dims, symbolic ones 0). */
static void loop_output_shapes(pml_kernel_ctx *ctx, pml_subgraph *body, pml_tensor *const *start, int n_carried,
                               int first_out, int exact_possible) {
    const pml_subgraph_calls *call = ctx->subgraph_calls;
    int exact = exact_possible && !call->shapes_vary(body);
    int n_carried_out = ctx->n_out < n_carried ? ctx->n_out : n_carried;
    for (int k = 0; k < n_carried_out && exact; k++) {
        const pml_tensor *o = call->output(body, first_out + k);
        exact = o->rank == start[k]->rank &&
                memcmp(o->dims, start[k]->dims, sizeof(int64_t) * (size_t)o->rank) == 0;
    }
    for (int k = 0; k < ctx->n_out; k++) {
        const pml_tensor *d = call->declared_output(body, first_out + k);
        if (exact) {
            pml_tensor_set_shape(ctx->out[k], d->dtype, start[k]->rank, start[k]->dims);
        } else if (k < n_carried) {
            pml_control_unknown_shape(ctx->out[k], d);
        } else { /* stacked: one more axis in front */
            pml_tensor stacked = *d;
            stacked.rank = d->rank + 1 <= PML_MAX_RANK ? d->rank + 1 : PML_MAX_RANK;
            stacked.dims[0] = 0;
            memcpy(stacked.dims + 1, d->dims, sizeof(int64_t) * (size_t)(stacked.rank - 1));
            pml_control_unknown_shape(ctx->out[k], &stacked);
        }
    }
    ctx->shapes_after_run = !exact;
}

/* ---- Loop ------------------------------------------------------------------------------ */

static int loop_carried(const pml_kernel_ctx *ctx) { return (int)pml_attr_int(ctx->node, "n_carried", 0); }

static pml_status loop_pack(pml_kernel_ctx *ctx) {
    int n_carried = loop_carried(ctx);
    /* A damaged file can claim more carried values than the node has inputs: refuse at load,
     * before the run copies from inputs that are not there. */
    if (n_carried < 0 || n_carried > ctx->n_in - 2)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "n_carried=%d, but the node has %d inputs "
                              "(max_trip_count, cond, then the carried values)", n_carried, ctx->n_in);
    int n_scans = ctx->n_out > n_carried ? ctx->n_out - n_carried : 0;
    return buffers_new(ctx, n_carried, n_scans, ctx->n_in);
}

/* Body inputs: iteration, condition, the carried values (start values or the buffers), the rest. */
static void loop_body_inputs(pml_kernel_ctx *ctx, loop_buffers *lb, pml_subgraph *body, int from_buffers) {
    scalar_like(&lb->iter, ctx->subgraph_calls->declared_input(body, 0));
    scalar_like(&lb->cond, ctx->subgraph_calls->declared_input(body, 1));
    lb->body_in[0] = &lb->iter;
    lb->body_in[1] = &lb->cond;
    for (int k = 2; k < ctx->n_in; k++)
        lb->body_in[k] = from_buffers && k - 2 < lb->n_values ? &lb->values[k - 2].t : ctx->in[k];
}

static pml_status loop_infer(pml_kernel_ctx *ctx) {
    pml_subgraph *body = pml_ctx_subgraph(ctx, "body");
    loop_buffers *lb = ctx->packed;
    if (!body || !lb) return pml_node_error(ctx, PML_ERR_INTERNAL, "its body was not built");
    pml_status st = need_one_value(ctx, ctx->n_in > 0 ? ctx->in[0] : NULL, "max_trip_count");
    if (st == PML_OK) st = need_one_value(ctx, ctx->n_in > 1 ? ctx->in[1] : NULL, "cond");
    if (st != PML_OK) return st;
    for (int k = 0; k < lb->n_values; k++)
        if (!ctx->in[2 + k])
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "loop-carried value %d (input %d) is missing; "
                                  "only max_trip_count and cond are optional", k, 2 + k);
    loop_body_inputs(ctx, lb, body, 0);
    lb->iter_value = 0;
    lb->cond_value = 1;
    int planned = lb->n_scans == 0 && ctx->subgraph_calls->plan(body, lb->body_in, ctx->n_in) == PML_OK;
    pml_set_error(PML_OK, "");
    loop_output_shapes(ctx, body, ctx->in + 2, lb->n_values, 1, planned);
    return PML_OK;
}

static pml_status loop_run(pml_kernel_ctx *ctx) {
    pml_subgraph *body = pml_ctx_subgraph(ctx, "body");
    loop_buffers *lb = ctx->packed;
    const pml_subgraph_calls *call = ctx->subgraph_calls;
    int64_t trip = ctx->in[0] ? *(const int64_t *)ctx->in[0]->data : -1; /* -1: no trip count */
    if (ctx->in[0] && trip < 0) trip = 0;
    uint8_t go = ctx->in[1] ? *(const uint8_t *)ctx->in[1]->data : 1;
    pml_status st = PML_OK;
    for (int k = 0; k < lb->n_values && st == PML_OK; k++) st = set_value(ctx, &lb->values[k], ctx->in[2 + k]);
    if (st != PML_OK) return st;
    loop_body_inputs(ctx, lb, body, 1);
    int64_t i = 0;
    for (; go && (trip < 0 || i < trip); i++) {
        if (i >= ctx->loop_limit) /* a trip count too (exporters write INT64_MAX with a condition) */
            return pml_node_error(ctx, PML_ERR_INVALID_ARGUMENT, "ran %lld iterations without stopping; stopped at "
                                  "the session's max_loop_iterations (raise it in the session options if the "
                                  "model needs more)", (long long)i);
        lb->iter_value = i;
        lb->cond_value = go;
        if ((st = call->run(body, lb->body_in, ctx->n_in)) != PML_OK)
            return pml_control_child_failed(ctx, st, "body", "running");
        if ((st = read_flag(ctx, call->output(body, 0), "the body's condition", &go)) != PML_OK) return st;
        for (int k = 0; k < lb->n_values && st == PML_OK; k++) st = set_value(ctx, &lb->values[k], call->output(body, 1 + k));
        for (int k = 0; k < lb->n_scans && st == PML_OK; k++)
            st = append_scan(ctx, k, &lb->scans[k], call->output(body, 1 + lb->n_values + k), i,
                             trip < ctx->loop_limit ? trip : ctx->loop_limit);
        if (st != PML_OK) return st;
    }
    for (int k = 0; k < ctx->n_out; k++) {
        if (k < lb->n_values) {
            pml_control_point_output(ctx->out[k], &lb->values[k].t);
            continue;
        }
        owned_value *s = &lb->scans[k - lb->n_values];
        if (i == 0) { /* no iteration: an empty stack of the declared shape */
            pml_control_unknown_shape(&s->t, ctx->out[k]);
            s->t.dims[0] = 0;
            s->t.nbytes = 0;
        }
        pml_control_point_output(ctx->out[k], &s->t);
    }
    return PML_OK;
}

const pml_op_def pml_loop_def = {PML_OP_LOOP, loop_infer, NULL, loop_run, NULL, loop_pack, buffers_free};

/* ---- While ----------------------------------------------------------------------------- */

static pml_status while_pack(pml_kernel_ctx *ctx) { return buffers_new(ctx, ctx->n_in, 0, ctx->n_in); }

static pml_status while_infer(pml_kernel_ctx *ctx) {
    pml_subgraph *body = pml_ctx_subgraph(ctx, "body");
    if (!body || !pml_ctx_subgraph(ctx, "cond") || !ctx->packed)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "its subgraphs were not built");
    /* Outputs are the carried values: every one needs its start value (damaged files break this). */
    if (ctx->n_out > ctx->n_in)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%d outputs but only %d carried values", ctx->n_out,
                              ctx->n_in);
    for (int k = 0; k < ctx->n_in; k++)
        if (!ctx->in[k]) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "carried value %d is missing", k);
    int planned = ctx->subgraph_calls->plan(body, ctx->in, ctx->n_in) == PML_OK;
    pml_set_error(PML_OK, "");
    loop_output_shapes(ctx, body, ctx->in, ctx->n_in, 0, planned);
    return PML_OK;
}

static pml_status while_run(pml_kernel_ctx *ctx) {
    pml_subgraph *cond = pml_ctx_subgraph(ctx, "cond"), *body = pml_ctx_subgraph(ctx, "body");
    loop_buffers *lb = ctx->packed;
    const pml_subgraph_calls *call = ctx->subgraph_calls;
    pml_status st = PML_OK;
    for (int k = 0; k < lb->n_values && st == PML_OK; k++) {
        st = set_value(ctx, &lb->values[k], ctx->in[k]);
        lb->body_in[k] = &lb->values[k].t;
    }
    for (int64_t i = 0; st == PML_OK; i++) {
        if ((st = call->run(cond, lb->body_in, lb->n_values)) != PML_OK)
            return pml_control_child_failed(ctx, st, "cond", "running");
        uint8_t go = 0;
        if ((st = read_flag(ctx, call->output(cond, 0), "cond", &go)) != PML_OK) return st;
        if (!go) break;
        if (i >= ctx->loop_limit)
            return pml_node_error(ctx, PML_ERR_INVALID_ARGUMENT, "ran %lld iterations without its condition becoming "
                                  "false; stopped at the session's max_loop_iterations (raise it in the session "
                                  "options if the model needs more)", (long long)i);
        if ((st = call->run(body, lb->body_in, lb->n_values)) != PML_OK)
            return pml_control_child_failed(ctx, st, "body", "running");
        for (int k = 0; k < lb->n_values && st == PML_OK; k++) st = set_value(ctx, &lb->values[k], call->output(body, k));
    }
    if (st != PML_OK) return st;
    for (int k = 0; k < ctx->n_out; k++) pml_control_point_output(ctx->out[k], &lb->values[k].t);
    return PML_OK;
}

const pml_op_def pml_while_def = {PML_OP_WHILE, while_infer, NULL, while_run, NULL, while_pack, buffers_free};
