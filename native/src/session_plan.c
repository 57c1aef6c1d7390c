/*
 * session_plan.c — plans a session for concrete input shapes and caches the plans
 * (session.c builds the session and runs the active plan).
 *
 * A plan is everything that depends on the input shapes. Building one: set
 * the graph inputs to the requested shapes; for each node in order run the
 * op's infer (which validates everything an op needs) and check the result
 * against what the file declares (dtype and rank always, each dim unless the
 * file marks it symbolic with -1), then prepare (kernel choice for the
 * session's ISA, shape-specific state, scratch request). A node whose outputs are
 * small (<= PML_PLAN_EVAL_MAX bytes in all) and whose inputs are all known at
 * plan time (constants or outputs of such nodes), or that reads only its
 * input's shape (Shape, Size), is run right there into plan-owned memory:
 * its outputs become value_known, so the next nodes' infer can read them
 * (Reshape to a computed shape, Expand, Range, ConstantOfShape, Slice with
 * computed bounds...), and it is skipped at run time. Finally the arena is
 * planned for every other non-constant tensor and every run-time node's
 * scratch (session_layout.c, planner.c).
 *
 * Plans are cached per input-shape signature (an LRU of plan_cache_size
 * entries, default 8): switching back to a cached shape just re-activates it
 * (copies its shapes, arena offsets and op state into the live tables, O(tensors
 * + nodes)) without running infer or prepare again. Memory trade-off: each
 * cached plan owns its shape-specific op state (geometry, kernel choice:
 * small), while constant weights are packed once per session by the ops'
 * shape-independent pack stage (run for every node whose op has one, at
 * creation, before the first plan) and shared read-only by every plan: a
 * session holding k plans holds one copy of the packed weights, not k.
 * pml_session_state_size reports the packed weights (counted once) plus the
 * active plan's op state. The model's weights themselves are never re-read
 * or copied. One arena serves every plan: it is sized for the largest cached
 * plan, since only one plan runs at a time.
 *
 * A plan covers nodes [first, end): it stops after a data-dependent node that
 * cannot run while planning (its infer gave upper bounds); session_tail.c plans
 * the rest once that node has run, per count it produced.
 */
#include "session_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pml_checked.h"
#include "session_memory.h"

/* Largest total output of a node evaluated at plan time: shape tensors and
 * other small index arithmetic, never activations. */
#define PML_PLAN_EVAL_MAX (64 * 1024)
/* Same bound as the loader's: keeps every size computation far from overflow. */
#include "pml_limits.h" /* PML_MAX_TENSOR_BYTES */

/* The shape the caller set for graph input index (what the next plan is built for). */
void pml_session_requested_shape(const pml_session *s, int index, pml_tensor *out) {
    const pml_tensor *t = &s->model->tensors[s->model->inputs[index]];
    *out = *t;
    out->data = NULL;
    out->value_known = 0;
    for (int j = 0; j < t->rank; j++) out->dims[j] = s->req[s->in_offset[index] + j];
    int ok;
    out->nbytes = pml_session_checked_nbytes(t->dtype, t->rank, out->dims, &ok); /* 0 while a dim is unset */
}

/* Make sure a failing op's message names its node (ops normally do this via
 * pml_node_error; this covers a kernel that set no or an unprefixed message). */
pml_status pml_session_node_failed(const pml_kernel_ctx *ctx, pml_status status, const char *stage) {
    char prefix[256], msg[1024];
    snprintf(prefix, sizeof prefix, "node '%s' (%s): ", ctx->node->name, ctx->op_name);
    if (strncmp(pml_last_error(), prefix, strlen(prefix)) == 0) return status;
    snprintf(msg, sizeof msg, "%s", pml_last_error());
    return pml_node_error(ctx, status, "%s failed (%s): %s", stage, pml_status_string(status),
                          msg[0] ? msg : "no details");
}

/* Bytes of a concrete shape, or 0 with *ok = 0 when a dim is negative or the
 * size exceeds PML_MAX_TENSOR_BYTES. */
size_t pml_session_checked_nbytes(pml_dtype dtype, int rank, const int64_t *dims, int *ok) {
    uint64_t esize = pml_dtype_size(dtype), numel = 1;
    *ok = esize != 0 && rank >= 0 && rank <= PML_MAX_RANK;
    for (int i = 0; i < rank && *ok; i++)
        if (dims[i] < 0) *ok = 0;
    for (int i = 0; i < rank && *ok && numel; i++) {
        if (dims[i] && (uint64_t)dims[i] > PML_MAX_TENSOR_BYTES / esize / numel) *ok = 0;
        numel *= (uint64_t)dims[i];
    }
    return *ok ? (size_t)(numel * esize) : 0;
}

/* Inferred vs declared: dtype and rank equal, each dim equal unless declared symbolic (-1). */
static int matches_declared(const pml_tensor *t, const pml_tensor *want) {
    if (t->dtype != want->dtype || t->rank != want->rank) return 0;
    for (int i = 0; i < t->rank; i++)
        if (want->dims[i] != -1 && t->dims[i] != want->dims[i]) return 0;
    return 1;
}

/* Infer and prepare node i into the live tables (its state from an earlier
 * plan stays with that plan; ctx->packed is the session's, shared by every
 * plan); the declared output shapes must survive inference. */
static pml_status start_node(pml_session *s, int i) {
    const pml_node *n = &s->model->nodes[i];
    pml_kernel_ctx *ctx = &s->ctx[i];
    const pml_op_def *def = s->defs[i];
    ctx->state = NULL;
    ctx->state_size = ctx->scratch_size = ctx->thread_scratch_size = 0;
    ctx->scratch = NULL;
    ctx->thread_scratch = pml_thread_scratch_of(NULL, 0);
    ctx->shapes_after_run = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        /* infer must set every output: start from an undefined shape (the
         * declared one stays in the model's own tensor table) */
        pml_tensor *t = ctx->out[k];
        t->dtype = PML_DTYPE_UNDEFINED;
        t->rank = 0;
        t->nbytes = 0;
        t->value_known = 0;
        t->data = NULL;
    }
    pml_status st = pml_schema_check_inputs(ctx);
    if (st == PML_OK) st = def->infer(ctx);
    if (st != PML_OK) return pml_session_node_failed(ctx, st, "shape inference");
    for (int k = 0; k < n->n_outputs; k++) {
        pml_tensor *t = ctx->out[k];
        const pml_tensor *want = &s->model->tensors[n->outputs[k]];
        char a[256], b[256];
        if (!matches_declared(t, want))
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                                  "output %d ('%s') is declared as %s %s in the file but infers as %s %s", k, t->name,
                                  pml_dtype_name(want->dtype), pml_shape_str(want->rank, want->dims, a, sizeof a),
                                  pml_dtype_name(t->dtype), pml_shape_str(t->rank, t->dims, b, sizeof b));
        int ok;
        t->nbytes = pml_session_checked_nbytes(t->dtype, t->rank, t->dims, &ok);
        if (!ok)
            return pml_node_error(ctx, PML_ERR_SHAPE, "output %d ('%s') infers as %s %s, larger than the %llu bytes "
                                  "this runtime supports", k, t->name, pml_dtype_name(t->dtype),
                                  pml_shape_str(t->rank, t->dims, b, sizeof b),
                                  (unsigned long long)PML_MAX_TENSOR_BYTES);
    }
    if (def->prepare && (st = def->prepare(ctx)) != PML_OK) return pml_session_node_failed(ctx, st, "prepare");
    if (ctx->scratch_size > PML_MAX_TENSOR_BYTES) /* ops derive it from checked shapes: a bound, not a wrap test */
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "asks for %zu bytes of scratch, more than the %llu bytes "
                              "this runtime supports", ctx->scratch_size, (unsigned long long)PML_MAX_TENSOR_BYTES);
    if (ctx->thread_scratch_size > PML_MAX_TENSOR_BYTES)
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "asks for %zu bytes of scratch per thread, more than the "
                              "%llu bytes this runtime supports", ctx->thread_scratch_size,
                              (unsigned long long)PML_MAX_TENSOR_BYTES);
    return PML_OK;
}

/* Ops whose output depends only on their input's shape, never its data. */
static int reads_shape_only(const pml_op_def *def) {
    return (pml_op_schema_get(def->op)->traits & PML_TRAIT_SHAPE_ONLY) != 0;
}

/* Should node i be computed while planning (see the header comment)? */
static int eval_at_plan_time(const pml_session *s, int i) {
    const pml_kernel_ctx *ctx = &s->ctx[i];
    size_t total = 0;
    for (int k = 0; k < ctx->n_out; k++) total += ctx->out[k]->nbytes; /* each <= 2^48: no wrap */
    if (total > PML_PLAN_EVAL_MAX) return 0;
    if (pml_op_schema_get(s->defs[i]->op)->traits & (PML_TRAIT_STATEFUL | PML_TRAIT_CONTROL_FLOW))
        return 0; /* runs every time (control flow: its outputs are its children's memory) */
    if (reads_shape_only(s->defs[i])) return 1;
    for (int k = 0; k < ctx->n_in; k++)
        if (ctx->in[k] && !ctx->in[k]->is_const && !ctx->in[k]->value_known) return 0;
    return 1;
}

/* n rounded up to PML_ALIGN; callers pass sizes bounded by PML_MAX_TENSOR_BYTES (checked anyway). */
static int align64(size_t n, size_t *out) { return pml_checked_align(n, PML_ALIGN, out); }

pml_status pml_session_check_produced(pml_kernel_ctx *ctx) {
    if (pml_session_owns_outputs(ctx)) return PML_OK; /* not in the arena: no bound to respect */
    for (int k = 0; k < ctx->n_out; k++) {
        pml_tensor *t = ctx->out[k];
        int ok = t->rank >= 0 && t->rank <= PML_MAX_RANK;
        size_t n = ok ? pml_session_checked_nbytes(t->dtype, t->rank, t->dims, &ok) : 0;
        if (!ok || n > t->nbytes)
            return pml_node_error(ctx, PML_ERR_INTERNAL, "output %d ('%s') was written beyond the %zu bytes its "
                                  "shape inference bounded", k, t->name, t->nbytes);
        t->nbytes = n;
    }
    return PML_OK;
}

/* Run node i now, into one plan-owned block; its outputs become value_known. */
static pml_status eval_node(pml_session *s, pml_plan *p, int i) {
    pml_kernel_ctx *ctx = &s->ctx[i];
    size_t total = 0, one = 0;
    for (int k = 0; k < ctx->n_out; k++)
        if (!align64(ctx->out[k]->nbytes, &one) || !pml_checked_add(total, one, &total))
            return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "outputs too large to compute while planning");
    const size_t threads = s->pool ? (size_t)pml_threadpool_size(s->pool) : 1;
    size_t stride = 0, thread_bytes = 0; /* regions as the plan's: PML_THREAD_SCRATCH_ALIGN apart */
    if (!pml_checked_align(ctx->thread_scratch_size, PML_THREAD_SCRATCH_ALIGN, &stride) ||
        !pml_checked_mul(stride, threads, &thread_bytes) || thread_bytes > PML_MAX_TENSOR_BYTES)
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "scratch for %zu threads too large to compute while planning",
                              threads);
    uint8_t *block = pml_session_arena_alloc(s, total); /* like the arena: written before read */
    void *scratch = ctx->scratch_size ? pml_session_arena_alloc(s, ctx->scratch_size) : NULL;
    void *thread_scratch = thread_bytes ? pml_session_arena_alloc(s, thread_bytes) : NULL;
    if (!block || (ctx->scratch_size && !scratch) || (thread_bytes && !thread_scratch)) {
        pml_aligned_free(block);
        pml_aligned_free(scratch);
        pml_aligned_free(thread_scratch);
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory computing the node while planning");
    }
    p->nodes[i].known = block;
    p->known_bytes += total;
    size_t off = 0;
    for (int k = 0; k < ctx->n_out; k++) {
        ctx->out[k]->data = block + off;
        align64(ctx->out[k]->nbytes, &one);
        off += one;
    }
    ctx->scratch = scratch;
    ctx->thread_scratch = pml_thread_scratch_of(thread_scratch, stride);
    pml_status st = s->defs[i]->run(ctx);
    pml_aligned_free(scratch);
    pml_aligned_free(thread_scratch);
    ctx->scratch = NULL;
    ctx->thread_scratch = pml_thread_scratch_of(NULL, 0);
    ctx->scratch_size = ctx->thread_scratch_size = 0; /* never runs again: no arena scratch */
    if (st != PML_OK) return pml_session_node_failed(ctx, st, "run while planning");
    if ((st = pml_session_check_produced(ctx)) != PML_OK) return st;
    for (int k = 0; k < ctx->n_out; k++) ctx->out[k]->value_known = 1;
    p->skip[i] = 1;
    return PML_OK;
}

static void free_tails(pml_session *s, pml_plan *p) {
    for (int i = 0; i < p->n_tails; i++) pml_session_plan_free(s, p->tails[i]);
    free(p->tails);
    p->tails = NULL;
    p->n_tails = 0;
}

/* Release a plan's op state and plan-time values, then the plan. */
void pml_session_plan_free(pml_session *s, pml_plan *p) {
    if (!p) return;
    free_tails(s, p);
    if (p->nodes) {
        for (int i = 0; i < s->model->n_nodes; i++) {
            if (s->defs[i] && s->defs[i]->release && p->nodes[i].state) {
                pml_kernel_ctx c = s->ctx[i];
                c.state = p->nodes[i].state;
                c.state_size = p->nodes[i].state_size;
                s->defs[i]->release(&c);
            }
            pml_aligned_free(p->nodes[i].known);
        }
    }
    pml_aligned_free(p->values);
    pml_aligned_free(p->own_arena);
    pml_mem_release(s, p->charged);
    free(p->key);
    free(p->value_off);
    free(p->sig);
    free(p->tensors);
    free(p->offset);
    free(p->nodes);
    free(p->skip);
    free(p);
}

void pml_session_point_node(pml_session *s, const pml_plan *p, int i, uint8_t *arena) {
    pml_kernel_ctx *c = &s->ctx[i];
    const plan_node *pn = &p->nodes[i];
    c->state = pn->state;
    c->state_size = pn->state_size;
    c->scratch_size = pn->scratch_size;
    c->scratch = pn->scratch_size ? arena + pn->scratch_offset : NULL;
    c->thread_scratch_size = pn->thread_scratch_size;
    c->thread_scratch = pml_thread_scratch_of(pn->thread_scratch_size ? arena + p->thread_scratch_offset : NULL,
                                              pn->thread_scratch_size ? p->thread_scratch_stride : 0);
}

/* Back to no active plan (the arena that held its tensors is gone): the next set_input or
 * run activates one again. */
static void deactivate(pml_session *s) {
    const pml_model *m = s->model;
    for (int t = 0; t < m->n_tensors; t++)
        if (!m->tensors[t].is_const) s->tensors[t] = m->tensors[t], s->tensors[t].data = NULL;
    s->active = NULL;
    s->skip = NULL;
    s->arena_size = 0;
    s->state_size = s->packed_size;
    s->shape_dirty = 1;
    s->outputs_valid = 0;
    for (int k = 0; k < m->n_inputs; k++)
        if (!s->plan_input[k]) s->input_set[k] = 0;
}

/* Point the live tables at plan p, growing the arena to fit it first. On failure the
 * live tables are unchanged, unless the old arena is gone: then no plan is active. */
static pml_status activate(pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    pml_status st = pml_session_reserve_arena(s, p->arena_size);
    if (st != PML_OK) {
        if (s->active && s->active->arena_size > s->arena_cap) deactivate(s);
        return st;
    }
    memcpy(s->tensors, p->tensors, sizeof *s->tensors * (size_t)m->n_tensors);
    for (int t = 0; t < m->n_tensors; t++)
        if (p->offset[t] != PML_NO_OFFSET) /* a plan of empty tensors has no arena: NULL + 0 is undefined */
            s->tensors[t].data = s->arena ? s->arena + p->offset[t] : NULL;
    for (int i = 0; i < m->n_nodes; i++) pml_session_point_node(s, p, i, s->arena);
    s->skip = p->skip;
    s->arena_size = p->arena_size;
    s->state_size = s->packed_size + p->state_size;
    s->active = p;
    s->shape_dirty = !pml_session_plan_matches(s, p);
    for (int k = 0; k < m->n_inputs; k++) /* offsets may have moved; plan-time values stay staged */
        if (!s->plan_input[k]) s->input_set[k] = 0;
    s->outputs_valid = 0;
    return PML_OK;
}

int pml_session_plan_matches(const pml_session *s, const pml_plan *p) {
    if (s->sig_len && memcmp(p->sig, s->req, sizeof *s->req * (size_t)s->sig_len) != 0) return 0;
    for (int k = 0; k < s->model->n_inputs && s->n_plan_inputs; k++) {
        if (!s->plan_input[k]) continue;
        size_t n = p->tensors[s->model->inputs[k]].nbytes;
        if (s->staged_size[k] != n || (n && memcmp(p->values + p->value_off[k], s->staged[k], n) != 0)) return 0;
    }
    return 1;
}

/* Copy the staged plan-time input values into plan p and make them known (graph
 * inputs' requested shapes are set; pml_session_ensure_plan checked the sizes). */
static pml_status keep_plan_inputs(pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    size_t total = 0, one = 0;
    for (int k = 0; k < m->n_inputs; k++)
        if (s->plan_input[k]) { /* each <= PML_MAX_PLAN_INPUT_BYTES */
            align64(s->staged_size[k], &one);
            total += one;
        }
    p->known_bytes += total;
    p->value_off = calloc((size_t)m->n_inputs + 1, sizeof *p->value_off);
    p->values = pml_aligned_alloc(total ? total : 1);
    if (!p->value_off || !p->values) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the session");
    size_t off = 0;
    for (int k = 0; k < m->n_inputs; k++) {
        if (!s->plan_input[k]) continue;
        pml_tensor *t = &s->tensors[m->inputs[k]];
        if (s->staged_size[k]) memcpy(p->values + off, s->staged[k], s->staged_size[k]);
        p->value_off[k] = off;
        t->data = p->values + off;
        t->value_known = 1;
        align64(s->staged_size[k], &one);
        off += one;
    }
    return PML_OK;
}

pml_plan *pml_session_plan_alloc(const pml_session *s) {
    const pml_model *m = s->model;
    size_t nt = (size_t)m->n_tensors + 1, nn = (size_t)m->n_nodes + 1;
    pml_plan *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->sig = malloc(sizeof *p->sig * ((size_t)s->sig_len + 1));
    p->tensors = malloc(sizeof *p->tensors * nt);
    p->offset = malloc(sizeof *p->offset * nt);
    p->nodes = calloc(nn, sizeof *p->nodes);
    p->skip = calloc(nn, 1);
    if (!p->sig || !p->tensors || !p->offset || !p->nodes || !p->skip) {
        free(p->sig), free(p->tensors), free(p->offset), free(p->nodes), free(p->skip), free(p);
        return NULL;
    }
    return p;
}

static int is_data_dependent(const pml_op_def *def) {
    return (pml_op_schema_get(def->op)->traits & PML_TRAIT_DATA_DEPENDENT) != 0;
}

pml_status pml_session_plan_range(pml_session *s, pml_plan *p, int first) {
    const pml_model *m = s->model;
    pml_status st = PML_OK;
    int n_started = first;
    p->first = first;
    p->end = m->n_nodes;
    for (int i = first; i < m->n_nodes; i++) {
        n_started = i + 1;
        if ((st = start_node(s, i)) != PML_OK) goto fail;
        if (s->state_mem && s->state_mem[i]) { /* a Variable: its value is the session's state memory */
            s->ctx[i].out[0]->data = s->state_mem[i];
            p->skip[i] = 1;
        } else if (eval_at_plan_time(s, i)) {
            if ((st = eval_node(s, p, i)) != PML_OK) goto fail;
        } else if (is_data_dependent(s->defs[i]) || s->ctx[i].shapes_after_run) {
            p->end = i + 1; /* the rest is planned once this node has run */
            p->data_dependent_end = 1;
            break;
        }
    }
    if ((st = pml_session_plan_layout(s, p)) != PML_OK) goto fail;
    memcpy(p->tensors, s->tensors, sizeof *p->tensors * (size_t)m->n_tensors);
    for (int i = first; i < p->end; i++) {
        p->nodes[i].state = s->ctx[i].state;
        p->nodes[i].state_size = s->ctx[i].state_size;
        p->nodes[i].scratch_size = s->ctx[i].scratch_size;
        p->nodes[i].thread_scratch_size = s->ctx[i].thread_scratch_size;
        p->state_size += s->ctx[i].state_size;
    }
    return PML_OK;
fail:
    /* the live ctx of started nodes hold this plan's op state */
    for (int i = first; i < n_started; i++) {
        if (s->defs[i]->release && s->ctx[i].state) s->defs[i]->release(&s->ctx[i]);
        s->ctx[i].state = NULL;
        s->ctx[i].state_size = 0;
    }
    return st;
}

/* Build a plan for the requested input shapes, cache it and activate it. On
 * failure the previously active plan (if any) stays active. */
pml_status pml_session_build_plan(pml_session *s) {
    const pml_model *m = s->model;
    pml_plan *p = pml_session_plan_alloc(s);
    pml_status st = PML_OK;
    if (!p) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the session");
    if (s->sig_len) memcpy(p->sig, s->req, sizeof *s->req * (size_t)s->sig_len);

    /* declared shapes for every non-constant tensor, requested ones for the inputs */
    for (int t = 0; t < m->n_tensors; t++)
        if (!m->tensors[t].is_const) {
            s->tensors[t] = m->tensors[t];
            s->tensors[t].data = NULL;
            s->tensors[t].value_known = 0;
        }
    for (int k = 0; k < m->n_inputs; k++) pml_session_requested_shape(s, k, &s->tensors[m->inputs[k]]);
    if (s->n_plan_inputs && (st = keep_plan_inputs(s, p)) != PML_OK) goto fail;
    if ((st = pml_session_plan_range(s, p, 0)) != PML_OK) goto fail;
    /* within the memory limit (checked before anything is freed), then the arena grows:
     * its contents never outlive a run */
    if ((st = pml_session_charge_plan(s, p, 1)) != PML_OK || (st = activate(s, p)) != PML_OK) goto release;
    /* most recently used first; evict the least recently used beyond the cap */
    memmove(s->plans + 1, s->plans, sizeof *s->plans * (size_t)s->n_plans);
    s->plans[0] = p;
    s->n_plans++;
    s->plan_count++;
    while (s->n_plans > s->plan_cap) pml_session_plan_free(s, s->plans[--s->n_plans]);
    return PML_OK;

release:
    for (int i = 0; i < p->end; i++) s->ctx[i].state = NULL; /* now owned by p, freed with it */
fail:
    pml_session_plan_free(s, p); /* its plan-time values and op state, and their charge */
    /* restore the live tables (the requested shapes stay pending); the old arena is kept
     * unless its allocation failed, and the active plan then waits for the next one */
    if (!s->active || activate(s, s->active) != PML_OK) deactivate(s);
    return st;
}

/* Activate the plan for the requested input shapes (from the cache or new). */
pml_status pml_session_ensure_plan(pml_session *s) {
    const pml_model *m = s->model;
    for (int k = 0; k < m->n_inputs; k++) {
        const int64_t *d = s->req + s->in_offset[k];
        const pml_tensor *t = &m->tensors[m->inputs[k]];
        for (int j = 0; j < t->rank; j++)
            if (d[j] < 0) {
                char buf[256];
                return pml_set_error(PML_ERR_SHAPE,
                                     "input '%s' has symbolic dims (%s %s in the model): give its shape with "
                                     "pml_session_set_input_shape before setting inputs or running",
                                     t->name, pml_dtype_name(t->dtype),
                                     pml_shape_str(t->rank, t->dims, buf, sizeof buf));
            }
        if (s->plan_input[k] && s->staged_size[k] == SIZE_MAX)
            return pml_set_error(PML_ERR_INVALID_ARGUMENT,
                                 "input '%s' fixes output shapes (the model reads its value while planning, e.g. as "
                                 "a Reshape's shape or Slice's bounds): set it with pml_session_set_input before the "
                                 "other inputs",
                                 t->name);
    }
    for (int i = 0; i < s->n_plans; i++) {
        pml_plan *p = s->plans[i];
        if (!pml_session_plan_matches(s, p)) continue;
        memmove(s->plans + 1, s->plans, sizeof *s->plans * (size_t)i);
        s->plans[0] = p;
        return activate(s, p);
    }
    return pml_session_build_plan(s);
}

