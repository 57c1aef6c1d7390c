/*
 * session.c — builds a session from a verified model, plans it for concrete
 * input shapes (re-planning when they change) and runs it.
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
 * scratch (planner.c).
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
 * Static models (no symbolic input dims) are planned once at creation and
 * never re-planned: a run costs exactly the node loop. Models with symbolic
 * input dims start unplanned; pml_session_set_input_shape records shapes and
 * the next set_input or run activates (or builds) the matching plan. After
 * planning nothing is allocated: set_input copies into the arena, run calls
 * each remaining node's run, outputs are read in place.
 *
 * Lifetimes for the planner, in node steps: a tensor lives from its
 * producer's step (graph inputs: step 0) to its last run-time consumer's step
 * (graph outputs: the last step); a node's scratch lives during that node's
 * step only. Graph inputs are therefore consumed by a run (their bytes may be
 * reused once their last consumer has run): every input is set before each run.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/config.h"
#include "planner.h"

#define PML_MAX_THREADS 1024
#define PML_MAX_PLAN_CACHE 1024
/* Largest total output of a node evaluated at plan time: shape tensors and
 * other small index arithmetic, never activations. */
#define PML_PLAN_EVAL_MAX (64 * 1024)
/* Same bound as the loader's: keeps every size computation far from overflow. */
#include "pml_limits.h" /* PML_MAX_TENSOR_BYTES */
#define PML_NO_OFFSET SIZE_MAX

typedef struct plan_node {
    void *state; /* op state from prepare, owned by the plan */
    size_t state_size, scratch_size, scratch_offset;
    void *known; /* outputs computed at plan time (one block), or NULL */
} plan_node;

struct pml_plan {
    int64_t *sig;        /* the input dims this plan is for (s->sig_len) */
    pml_tensor *tensors; /* shapes; data of constants and plan-time values */
    size_t *offset;      /* per tensor: arena offset or PML_NO_OFFSET */
    plan_node *nodes;
    uint8_t *skip;       /* per node: computed at plan time */
    size_t arena_size, state_size;
};

/* Make sure a failing op's message names its node (ops normally do this via
 * pml_node_error; this covers a kernel that set no or an unprefixed message). */
static pml_status node_failed(const pml_kernel_ctx *ctx, pml_status status, const char *stage) {
    char prefix[256], msg[1024];
    snprintf(prefix, sizeof prefix, "node '%s' (%s): ", ctx->node->name, ctx->op_name);
    if (strncmp(pml_last_error(), prefix, strlen(prefix)) == 0) return status;
    snprintf(msg, sizeof msg, "%s", pml_last_error());
    return pml_node_error(ctx, status, "%s failed (%s): %s", stage, pml_status_string(status),
                          msg[0] ? msg : "no details");
}

/* Bytes of a concrete shape, or 0 with *ok = 0 when a dim is negative or the
 * size exceeds PML_MAX_TENSOR_BYTES. */
static size_t checked_nbytes(pml_dtype dtype, int rank, const int64_t *dims, int *ok) {
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
    ctx->state_size = ctx->scratch_size = 0;
    ctx->scratch = NULL;
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
    if (st != PML_OK) return node_failed(ctx, st, "shape inference");
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
        t->nbytes = checked_nbytes(t->dtype, t->rank, t->dims, &ok);
        if (!ok)
            return pml_node_error(ctx, PML_ERR_SHAPE, "output %d ('%s') infers as %s %s, larger than the %llu bytes "
                                  "this runtime supports", k, t->name, pml_dtype_name(t->dtype),
                                  pml_shape_str(t->rank, t->dims, b, sizeof b),
                                  (unsigned long long)PML_MAX_TENSOR_BYTES);
    }
    if (def->prepare && (st = def->prepare(ctx)) != PML_OK) return node_failed(ctx, st, "prepare");
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
    if (reads_shape_only(s->defs[i])) return 1;
    for (int k = 0; k < ctx->n_in; k++)
        if (ctx->in[k] && !ctx->in[k]->is_const && !ctx->in[k]->value_known) return 0;
    return 1;
}

static size_t align64(size_t n) { return (n + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN; }

/* Run node i now, into one plan-owned block; its outputs become value_known. */
static pml_status eval_node(pml_session *s, pml_plan *p, int i) {
    pml_kernel_ctx *ctx = &s->ctx[i];
    size_t total = 0;
    for (int k = 0; k < ctx->n_out; k++) total += align64(ctx->out[k]->nbytes);
    uint8_t *block = pml_aligned_alloc(total);
    void *scratch = ctx->scratch_size ? pml_aligned_alloc(ctx->scratch_size) : NULL;
    if (!block || (ctx->scratch_size && !scratch)) {
        pml_aligned_free(block);
        pml_aligned_free(scratch);
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory computing the node while planning");
    }
    p->nodes[i].known = block;
    size_t off = 0;
    for (int k = 0; k < ctx->n_out; k++) {
        ctx->out[k]->data = block + off;
        off += align64(ctx->out[k]->nbytes);
    }
    ctx->scratch = scratch;
    pml_status st = s->defs[i]->run(ctx);
    pml_aligned_free(scratch);
    ctx->scratch = NULL;
    ctx->scratch_size = 0; /* never runs again: no arena scratch */
    if (st != PML_OK) return node_failed(ctx, st, "run while planning");
    for (int k = 0; k < ctx->n_out; k++) ctx->out[k]->value_known = 1;
    p->skip[i] = 1;
    return PML_OK;
}

/* Arena offsets of every run-time tensor and scratch of plan p (live tables hold its shapes). */
static pml_status plan_arena(pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    int last_step = m->n_nodes > 0 ? m->n_nodes - 1 : 0;
    int n_items = 0;
    int *item_of = malloc(sizeof(int) * (size_t)(m->n_tensors + 1));
    pml_plan_item *items = malloc(sizeof *items * (size_t)(m->n_tensors + m->n_nodes + 1));
    pml_status st = PML_OK;
    if (!item_of || !items) {
        st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the arena");
        goto done;
    }
    for (int t = 0; t < m->n_tensors; t++) item_of[t] = -1, p->offset[t] = PML_NO_OFFSET;
#define PML_NEW_ITEM(t, step)                                                                    \
    do {                                                                                         \
        item_of[t] = n_items;                                                                    \
        items[n_items++] = (pml_plan_item){s->tensors[t].nbytes, (step), (step), 0};             \
    } while (0)
    for (int k = 0; k < m->n_inputs; k++) PML_NEW_ITEM(m->inputs[k], 0);
    for (int i = 0; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        if (p->skip[i]) continue; /* computed at plan time: reads and writes no arena bytes at run time */
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t >= 0 && item_of[t] >= 0) items[item_of[t]].last = i; /* nodes are in order: max */
        }
        for (int k = 0; k < n->n_outputs; k++) PML_NEW_ITEM(n->outputs[k], i);
    }
#undef PML_NEW_ITEM
    for (int k = 0; k < m->n_outputs; k++)
        if (item_of[m->outputs[k]] >= 0) items[item_of[m->outputs[k]]].last = last_step;
    int first_scratch = n_items;
    for (int i = 0; i < m->n_nodes; i++)
        if (s->ctx[i].scratch_size) items[n_items++] = (pml_plan_item){s->ctx[i].scratch_size, i, i, 0};

    if ((st = pml_plan_arena(items, n_items, &p->arena_size)) != PML_OK) goto done;
    for (int t = 0; t < m->n_tensors; t++)
        if (item_of[t] >= 0) p->offset[t] = items[item_of[t]].offset;
    for (int i = 0, k = first_scratch; i < m->n_nodes; i++)
        p->nodes[i].scratch_offset = s->ctx[i].scratch_size ? items[k++].offset : PML_NO_OFFSET;
done:
    free(item_of);
    free(items);
    return st;
}

/* Release a plan's op state and plan-time values, then the plan. */
static void plan_free(pml_session *s, pml_plan *p) {
    if (!p) return;
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
    free(p->sig);
    free(p->tensors);
    free(p->offset);
    free(p->nodes);
    free(p->skip);
    free(p);
}

/* Point the live tables at plan p (which must fit the arena). */
static void activate(pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    memcpy(s->tensors, p->tensors, sizeof *s->tensors * (size_t)m->n_tensors);
    for (int t = 0; t < m->n_tensors; t++)
        if (p->offset[t] != PML_NO_OFFSET) s->tensors[t].data = s->arena + p->offset[t];
    for (int i = 0; i < m->n_nodes; i++) {
        pml_kernel_ctx *c = &s->ctx[i];
        const plan_node *pn = &p->nodes[i];
        c->state = pn->state;
        c->state_size = pn->state_size;
        c->scratch_size = pn->scratch_size;
        c->scratch = pn->scratch_size ? s->arena + pn->scratch_offset : NULL;
    }
    s->skip = p->skip;
    s->arena_size = p->arena_size;
    s->state_size = s->packed_size + p->state_size;
    s->active = p;
    s->shape_dirty = s->sig_len && memcmp(s->req, p->sig, sizeof *s->req * (size_t)s->sig_len) != 0;
    memset(s->input_set, 0, (size_t)m->n_inputs); /* offsets may have moved */
    s->outputs_valid = 0;
}

/* Build a plan for the requested input shapes, cache it and activate it. On
 * failure the previously active plan (if any) stays active. */
static pml_status build_plan(pml_session *s) {
    const pml_model *m = s->model;
    size_t nt = (size_t)m->n_tensors + 1, nn = (size_t)m->n_nodes + 1;
    pml_plan *p = calloc(1, sizeof *p);
    int n_started = 0;
    pml_status st = PML_OK;
    if (p) {
        p->sig = malloc(sizeof *p->sig * ((size_t)s->sig_len + 1));
        p->tensors = malloc(sizeof *p->tensors * nt);
        p->offset = malloc(sizeof *p->offset * nt);
        p->nodes = calloc(nn, sizeof *p->nodes);
        p->skip = calloc(nn, 1);
    }
    if (!p || !p->sig || !p->tensors || !p->offset || !p->nodes || !p->skip) {
        st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the session");
        goto fail;
    }
    if (s->sig_len) memcpy(p->sig, s->req, sizeof *s->req * (size_t)s->sig_len);

    /* declared shapes for every non-constant tensor, requested ones for the inputs */
    for (int t = 0; t < m->n_tensors; t++)
        if (!m->tensors[t].is_const) {
            s->tensors[t] = m->tensors[t];
            s->tensors[t].data = NULL;
            s->tensors[t].value_known = 0;
        }
    for (int k = 0; k < m->n_inputs; k++) pml_session_requested_shape(s, k, &s->tensors[m->inputs[k]]);
    for (int i = 0; i < m->n_nodes; i++) {
        n_started = i + 1;
        if ((st = start_node(s, i)) != PML_OK) goto fail;
        if (eval_at_plan_time(s, i) && (st = eval_node(s, p, i)) != PML_OK) goto fail;
    }
    if ((st = plan_arena(s, p)) != PML_OK) goto fail;
    if (p->arena_size > s->arena_cap) {
        /* grow the shared arena; its contents never outlive a run */
        uint8_t *arena = pml_aligned_alloc(p->arena_size);
        if (!arena) {
            st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory allocating the %zu-byte arena", p->arena_size);
            goto fail;
        }
        pml_aligned_free(s->arena);
        s->arena = arena;
        s->arena_cap = p->arena_size;
    }
    memcpy(p->tensors, s->tensors, sizeof *p->tensors * (size_t)m->n_tensors);
    for (int i = 0; i < m->n_nodes; i++) {
        p->nodes[i].state = s->ctx[i].state;
        p->nodes[i].state_size = s->ctx[i].state_size;
        p->nodes[i].scratch_size = s->ctx[i].scratch_size;
        p->state_size += s->ctx[i].state_size;
    }
    /* most recently used first; evict the least recently used beyond the cap */
    memmove(s->plans + 1, s->plans, sizeof *s->plans * (size_t)s->n_plans);
    s->plans[0] = p;
    s->n_plans++;
    s->plan_count++;
    activate(s, p);
    while (s->n_plans > s->plan_cap) plan_free(s, s->plans[--s->n_plans]);
    return PML_OK;

fail:
    /* the live ctx of started nodes hold this plan's op state */
    for (int i = 0; i < n_started; i++) {
        if (s->defs[i]->release && s->ctx[i].state) s->defs[i]->release(&s->ctx[i]);
        s->ctx[i].state = NULL;
        s->ctx[i].state_size = 0;
    }
    plan_free(s, p); /* its plan-time values; it holds no op state yet */
    if (s->active) {
        activate(s, s->active); /* restores the live tables; the requested shapes stay pending */
    } else {
        for (int t = 0; t < m->n_tensors; t++)
            if (!m->tensors[t].is_const) s->tensors[t] = m->tensors[t], s->tensors[t].data = NULL;
    }
    return st;
}

/* Activate the plan for the requested input shapes (from the cache or new). */
static pml_status ensure_plan(pml_session *s) {
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
    }
    for (int i = 0; i < s->n_plans; i++) {
        pml_plan *p = s->plans[i];
        if (memcmp(p->sig, s->req, sizeof *s->req * (size_t)s->sig_len) != 0) continue;
        memmove(s->plans + 1, s->plans, sizeof *s->plans * (size_t)i);
        s->plans[0] = p;
        activate(s, p);
        return PML_OK;
    }
    return build_plan(s);
}

/* The kernel configuration the options ask for: isa (NULL/"": the environment variable
 * POCKETML_ISA, then the best); scalar_only is an alias of isa = "scalar" (a different isa
 * with it is PML_ERR_INVALID_ARGUMENT). */
static pml_status session_kernel_config(const pml_cpu *cpu, const char *isa, int scalar_only,
                                        const pml_kernel_config **out) {
    *out = NULL;
    const int set = isa && *isa;
    if (scalar_only && set && strcmp(isa, "scalar") != 0)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT, "options ask for scalar_only and isa '%s'", isa);
    if (scalar_only) isa = "scalar";
    else if (!set) isa = getenv("POCKETML_ISA"); /* NULL or "": the best configuration */
    if (pml_kernel_config_select(cpu, isa, out) != PML_OK)
        return pml_set_error(PML_ERR_UNSUPPORTED, "kernel configuration '%s' is not available on this CPU; available: %s",
                             isa, pml_kernel_config_available(cpu));
    return PML_OK;
}

pml_status pml_session_build(const pml_model *m, const pml_session_options *options, pml_session **out) {
    static const pml_session_options defaults = {.num_threads = 1, .plan_cache_size = PML_DEFAULT_PLAN_CACHE};
    if (!options) options = &defaults; /* what pml_session_options_init gives (api.c calls us, not back) */
    int threads = options->num_threads <= 0 ? 1 : options->num_threads;
    if (threads > PML_MAX_THREADS)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT, "num_threads is %d; at most %d are supported", threads,
                             PML_MAX_THREADS);
    int cache = options->plan_cache_size <= 0 ? PML_DEFAULT_PLAN_CACHE : options->plan_cache_size;
    if (cache > PML_MAX_PLAN_CACHE)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT, "plan_cache_size is %d; at most %d are supported", cache,
                             PML_MAX_PLAN_CACHE);
    pml_cpu cpu;
    const pml_kernel_config *config;
    pml_cpu_detect(&cpu);
    pml_status cs = session_kernel_config(&cpu, options->isa, options->scalar_only, &config);
    if (cs) return cs;
    pml_session *s = calloc(1, sizeof *s);
    if (!s) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating a session");
    s->model = m;
    s->plan_cap = cache;
    s->cpu = cpu;
    s->config = config;

    size_t n_slots = 0;
    for (int i = 0; i < m->n_nodes; i++) n_slots += (size_t)m->nodes[i].n_inputs + (size_t)m->nodes[i].n_outputs;
    for (int k = 0; k < m->n_inputs; k++) s->sig_len += m->tensors[m->inputs[k]].rank;
    s->tensors = malloc(sizeof *s->tensors * (size_t)(m->n_tensors + 1));
    s->ctx = calloc((size_t)m->n_nodes + 1, sizeof *s->ctx);
    s->defs = calloc((size_t)m->n_nodes + 1, sizeof *s->defs);
    s->slots = calloc(n_slots + 1, sizeof *s->slots);
    s->input_set = calloc((size_t)m->n_inputs + 1, 1);
    s->in_offset = calloc((size_t)m->n_inputs + 1, sizeof *s->in_offset);
    s->req = calloc((size_t)s->sig_len + 1, sizeof *s->req);
    s->plans = calloc((size_t)cache + 1, sizeof *s->plans);
    if (!s->tensors || !s->ctx || !s->defs || !s->slots || !s->input_set || !s->in_offset || !s->req || !s->plans) {
        pml_session_destroy(s);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating a session");
    }
    if (m->n_tensors) memcpy(s->tensors, m->tensors, sizeof *s->tensors * (size_t)m->n_tensors);
    for (int t = 0; t < m->n_tensors; t++)
        if (!s->tensors[t].is_const) s->tensors[t].data = NULL;
    int symbolic = 0;
    for (int k = 0, off = 0; k < m->n_inputs; k++) {
        const pml_tensor *t = &m->tensors[m->inputs[k]];
        s->in_offset[k] = off;
        for (int j = 0; j < t->rank; j++) {
            s->req[off + j] = t->dims[j];
            symbolic |= t->dims[j] < 0;
        }
        off += t->rank;
    }

    s->pool = threads > 1 ? pml_threadpool_create(threads) : NULL;
    if (threads > 1 && !s->pool) {
        pml_session_destroy(s);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "could not create a pool of %d threads", threads);
    }
    s->num_threads = pml_threadpool_size(s->pool);

    pml_tensor **slot = s->slots;
    for (int i = 0; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        pml_kernel_ctx *ctx = &s->ctx[i];
        s->defs[i] = pml_op_lookup(n->op);
        if (!s->defs[i]) { /* verified at load; a model is immutable */
            pml_session_destroy(s);
            return pml_set_error(PML_ERR_INTERNAL, "node '%s': op code %d vanished from the op table", n->name, n->op);
        }
        ctx->node = n;
        ctx->op_name = pml_op_schema_get(n->op)->name;
        ctx->in = slot;
        ctx->n_in = n->n_inputs;
        for (int k = 0; k < n->n_inputs; k++) *slot++ = n->inputs[k] >= 0 ? &s->tensors[n->inputs[k]] : NULL;
        ctx->out = slot;
        ctx->n_out = n->n_outputs;
        for (int k = 0; k < n->n_outputs; k++) *slot++ = &s->tensors[n->outputs[k]];
        ctx->config = s->config;
        ctx->pool = s->pool;
    }
    /* shape-independent packing of constant weights: once per node, shared by every plan */
    for (int i = 0; i < m->n_nodes; i++) {
        pml_kernel_ctx *ctx = &s->ctx[i];
        if (!s->defs[i]->pack) continue;
        pml_status st = s->defs[i]->pack(ctx);
        if (st != PML_OK) {
            node_failed(ctx, st, "pack");
            pml_session_destroy(s);
            return st;
        }
        s->packed_size += ctx->packed_size;
    }
    s->state_size = s->packed_size;
    s->shape_dirty = 1;
    if (!symbolic) { /* static: plan now, once */
        pml_status st = build_plan(s);
        if (st != PML_OK) {
            pml_session_destroy(s);
            return st;
        }
    }
    *out = s;
    return PML_OK;
}

void pml_session_destroy(pml_session *s) {
    if (!s) return;
    for (int i = 0; i < s->n_plans; i++) plan_free(s, s->plans[i]);
    if (s->ctx && s->defs)
        for (int i = 0; i < s->model->n_nodes; i++)
            if (s->defs[i] && s->defs[i]->unpack && s->ctx[i].packed) s->defs[i]->unpack(&s->ctx[i]);
    pml_threadpool_destroy(s->pool);
    pml_aligned_free(s->arena);
    free(s->tensors);
    free(s->ctx);
    free(s->defs);
    free(s->slots);
    free(s->input_set);
    free(s->in_offset);
    free(s->req);
    free(s->plans);
    free(s->profile_ns);
    free(s);
}

void pml_session_requested_shape(const pml_session *s, int index, pml_tensor *out) {
    const pml_tensor *t = &s->model->tensors[s->model->inputs[index]];
    *out = *t;
    out->data = NULL;
    out->value_known = 0;
    for (int j = 0; j < t->rank; j++) out->dims[j] = s->req[s->in_offset[index] + j];
    int ok;
    out->nbytes = checked_nbytes(t->dtype, t->rank, out->dims, &ok); /* 0 while a dim is unset */
}

pml_status pml_session_set_shape(pml_session *s, int index, int rank, const int64_t *dims) {
    const pml_tensor *t = &s->model->tensors[s->model->inputs[index]];
    char want[256], got[256];
    if (rank != t->rank)
        return pml_set_error(PML_ERR_SHAPE, "input '%s' has rank %d (%s %s in the model); got rank %d", t->name,
                             t->rank, pml_dtype_name(t->dtype), pml_shape_str(t->rank, t->dims, want, sizeof want),
                             rank);
    for (int j = 0; j < rank; j++) {
        if (t->dims[j] >= 0 && dims[j] != t->dims[j])
            return pml_set_error(PML_ERR_SHAPE,
                                 "input '%s': dim %d is fixed at %lld in the model (%s), got %lld (shape %s); only "
                                 "symbolic dims may change",
                                 t->name, j, (long long)t->dims[j], pml_shape_str(t->rank, t->dims, want, sizeof want),
                                 (long long)dims[j], pml_shape_str(rank, dims, got, sizeof got));
        if (dims[j] < 0)
            return pml_set_error(PML_ERR_SHAPE, "input '%s': dim %d is %lld (shape %s); sizes must be >= 0", t->name,
                                 j, (long long)dims[j], pml_shape_str(rank, dims, got, sizeof got));
    }
    int ok;
    checked_nbytes(t->dtype, rank, dims, &ok);
    if (!ok)
        return pml_set_error(PML_ERR_SHAPE, "input '%s' with shape %s of %s is larger than the %llu bytes this "
                             "runtime supports", t->name, pml_shape_str(rank, dims, got, sizeof got),
                             pml_dtype_name(t->dtype), (unsigned long long)PML_MAX_TENSOR_BYTES);
    int64_t *req = s->req + s->in_offset[index];
    if (rank && memcmp(req, dims, sizeof *req * (size_t)rank) == 0) return PML_OK;
    memcpy(req, dims, sizeof *req * (size_t)rank);
    s->shape_dirty = !s->active || memcmp(s->req, s->active->sig, sizeof *s->req * (size_t)s->sig_len) != 0;
    return PML_OK;
}

pml_status pml_session_copy_input(pml_session *s, int index, const void *data, size_t nbytes) {
    if (s->shape_dirty) {
        pml_status st = ensure_plan(s);
        if (st != PML_OK) return st;
    }
    pml_tensor *t = &s->tensors[s->model->inputs[index]];
    if (nbytes != t->nbytes) {
        char buf[256];
        return pml_set_error(PML_ERR_SHAPE, "input '%s' expects %zu bytes (%s %s), got %zu", t->name, t->nbytes,
                             pml_dtype_name(t->dtype), pml_shape_str(t->rank, t->dims, buf, sizeof buf), nbytes);
    }
    if (nbytes) memcpy(t->data, data, nbytes);
    s->input_set[index] = 1;
    return PML_OK;
}

static pml_status execute_profiled(pml_session *s);

pml_status pml_session_execute(pml_session *s) {
    const pml_model *m = s->model;
    s->outputs_valid = 0;
    if (s->shape_dirty) {
        pml_status st = ensure_plan(s); /* a new plan: the inputs must be set again, reported below */
        if (st != PML_OK) return st;
    }
    for (int k = 0; k < m->n_inputs; k++)
        if (!s->input_set[k])
            return pml_set_error(PML_ERR_INVALID_ARGUMENT,
                                 "input '%s' was not set (inputs are consumed by a run: set every input before each "
                                 "run, after any pml_session_set_input_shape)",
                                 s->tensors[m->inputs[k]].name);
    /* inputs' arena bytes may be reused from here on */
    memset(s->input_set, 0, (size_t)m->n_inputs);
    if (s->profile_ns) return execute_profiled(s);
    for (int i = 0; i < m->n_nodes; i++) {
        if (s->skip[i]) continue;
        pml_status st = s->defs[i]->run(&s->ctx[i]);
        if (st != PML_OK) return node_failed(&s->ctx[i], st, "run");
    }
    s->outputs_valid = 1;
    return PML_OK;
}

/* ---- per-node profiling ----------------------------------------------------------
 * A separate loop so the unprofiled run pays nothing; two clock reads per node
 * (~20-40 ns each with the vDSO) are negligible next to a kernel. */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static pml_status execute_profiled(pml_session *s) {
    const pml_model *m = s->model;
    uint64_t t0 = now_ns();
    for (int i = 0; i < m->n_nodes; i++) {
        if (s->skip[i]) continue;
        pml_status st = s->defs[i]->run(&s->ctx[i]);
        uint64_t t1 = now_ns();
        s->profile_ns[i] += t1 - t0;
        t0 = t1;
        if (st != PML_OK) return node_failed(&s->ctx[i], st, "run");
    }
    s->profile_runs++;
    s->outputs_valid = 1;
    return PML_OK;
}

pml_status pml_session_profiling(pml_session *s, int enable) {
    free(s->profile_ns);
    s->profile_ns = NULL;
    s->profile_runs = 0;
    if (!enable) return PML_OK;
    s->profile_ns = calloc((size_t)s->model->n_nodes + 1, sizeof *s->profile_ns);
    if (!s->profile_ns) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory enabling profiling");
    return PML_OK;
}
