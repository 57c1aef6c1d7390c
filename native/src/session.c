/*
 * session.c — builds a session from a verified model, keeps its input shapes and
 * runs it; plans for concrete input shapes are built and cached by session_plan.c.
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
#include "pml_limits.h" /* PML_MAX_TENSOR_BYTES */
#include "session_memory.h"
#include "session_plan.h"
#include "session_state.h"

#define PML_MAX_THREADS 1024
#define PML_DEFAULT_LOOP_LIMIT ((int64_t)1 << 24)
#define PML_MAX_PLAN_CACHE 1024
/* Largest value of a plan-time input (shape vectors, bounds, counts: never activations). */
#define PML_MAX_PLAN_INPUT_BYTES (64 * 1024)

/* Mark the graph inputs whose values fix shapes: walking the nodes backwards, a tensor is
 * needed while planning when it feeds a port the schema marks plan, or any input of a node
 * whose output is needed (except shape-only ops such as Shape, which need no values).
 * need: n_tensors scratch bytes. */
static void mark_plan_inputs(pml_session *s, uint8_t *need) {
    const pml_model *m = s->model;
    for (int i = m->n_nodes - 1; i >= 0; i--) {
        const pml_node *n = &m->nodes[i];
        const pml_op_schema *sc = pml_op_schema_get(n->op);
        int feeds = 0;
        for (int k = 0; k < n->n_outputs; k++) feeds |= need[n->outputs[k]];
        /* control flow never runs while planning: what it reads is not needed then */
        feeds = feeds && !(sc->traits & (PML_TRAIT_SHAPE_ONLY | PML_TRAIT_CONTROL_FLOW));
        for (int k = 0; k < n->n_inputs; k++) {
            const pml_port_schema *port = pml_schema_port(sc->in, sc->n_in_ports, k);
            if (n->inputs[k] >= 0 && (feeds || (port && port->plan))) need[n->inputs[k]] = 1;
        }
    }
    for (int k = 0; k < m->n_inputs; k++) {
        s->plan_input[k] = need[m->inputs[k]] && !m->tensors[m->inputs[k]].is_const;
        s->n_plan_inputs += s->plan_input[k];
    }
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

/* What a session shares with the sessions of its subgraphs (a model session's, from its options). */
typedef struct session_env {
    pml_cpu cpu;
    const pml_kernel_config *config;
    int cache;
    pml_threadpool *pool;      /* borrowed: the model session sets owns_pool */
    int64_t loop_limit;
    atomic_int *cancel;        /* the root's flag, or NULL for a model session (its own) */
    pml_mem_budget *budget;    /* the root's budget, or NULL for a model session (its own) */
    size_t memory_limit;       /* a model session's limit (0: none) */
    int poison;
} session_env;

static pml_status session_new(const pml_model *m, const session_env *env, pml_session **out);

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
    session_env env = {.cache = cache, .memory_limit = options->memory_limit,
                       .poison = pml_session_poison_requested()};
    pml_cpu_detect(&env.cpu);
    pml_status cs = session_kernel_config(&env.cpu, options->isa, options->scalar_only, &env.config);
    if (cs) return cs;
    env.pool = threads > 1 ? pml_threadpool_create_spinning(threads, !options->no_spinning) : NULL;
    if (threads > 1 && !env.pool)
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "could not create a pool of %d threads", threads);
    env.loop_limit = options->max_loop_iterations > 0 ? options->max_loop_iterations : PML_DEFAULT_LOOP_LIMIT;
    pml_status st = session_new(m, &env, out);
    if (st != PML_OK) {
        pml_threadpool_destroy(env.pool);
        return st;
    }
    (*out)->owns_pool = 1;
    return PML_OK;
}

/* Child sessions for every graph attribute of control-flow nodes: same kernels, plan cache
 * size and loop limit, on the parent's thread pool (a child runs inside its parent's node),
 * checking the root session's cancel flag (so a cancel stops a loop between iterations) and
 * charging the root's memory budget. */
static pml_status build_children(pml_session *s) {
    const pml_model *m = s->model;
    const session_env env = {.cpu = s->cpu, .config = s->config, .cache = s->plan_cap, .pool = s->pool,
                             .loop_limit = s->loop_limit, .cancel = s->cancel, .budget = s->budget,
                             .poison = s->poison};
    for (int i = 0; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        pml_kernel_ctx *ctx = &s->ctx[i];
        ctx->loop_limit = s->loop_limit;
        if (!(pml_op_schema_get(n->op)->traits & PML_TRAIT_CONTROL_FLOW)) continue;
        s->data_dependent = 1; /* its outputs' shapes may change with values */
        ctx->subgraph_calls = &pml_session_subgraph_calls;
        ctx->subgraphs = calloc((size_t)n->n_attrs + 1, sizeof *ctx->subgraphs);
        if (!ctx->subgraphs) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating a session");
        for (int k = 0; k < n->n_attrs; k++) {
            if (n->attrs[k].type != PML_ATTR_GRAPH) continue;
            pml_session *child;
            pml_status st = session_new(n->attrs[k].graph, &env, &child);
            if (st != PML_OK) {
                char msg[1024];
                snprintf(msg, sizeof msg, "%s", pml_last_error());
                return pml_node_error(ctx, st, "subgraph '%s': %s", n->attrs[k].name, msg);
            }
            ctx->subgraphs[k] = (pml_subgraph *)child;
        }
    }
    return PML_OK;
}

static void destroy_children(pml_session *s) {
    for (int i = 0; i < s->model->n_nodes; i++) {
        pml_kernel_ctx *ctx = &s->ctx[i];
        if (!ctx->subgraphs) continue;
        for (int k = 0; k < ctx->node->n_attrs; k++) pml_session_destroy((pml_session *)ctx->subgraphs[k]);
        free(ctx->subgraphs);
        ctx->subgraphs = NULL;
    }
}

/* A session for graph m in env (its thread pool borrowed: the caller sets owns_pool).
 * pml_session_build for a model; build_children for a subgraph, which passes its root's
 * cancel flag and memory budget (NULL: the session's own). */
static pml_status session_new(const pml_model *m, const session_env *env, pml_session **out) {
    pml_session *s = calloc(1, sizeof *s);
    if (!s) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating a session");
    atomic_init(&s->cancel_flag, 0);
    s->cancel = env->cancel ? env->cancel : &s->cancel_flag;
    s->budget_own.limit = env->memory_limit;
    s->budget = env->budget ? env->budget : &s->budget_own;
    s->poison = env->poison;
    s->model = m;
    s->plan_cap = env->cache;
    s->cpu = env->cpu;
    s->config = env->config;
    s->pool = env->pool;
    s->loop_limit = env->loop_limit;
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
    s->plans = calloc((size_t)env->cache + 1, sizeof *s->plans);
    s->plan_input = calloc((size_t)m->n_inputs + 1, 1);
    s->staged = calloc((size_t)m->n_inputs + 1, sizeof *s->staged);
    s->staged_size = malloc(sizeof *s->staged_size * ((size_t)m->n_inputs + 1));
    uint8_t *need = calloc((size_t)m->n_tensors + 1, 1);
    if (!s->tensors || !s->ctx || !s->defs || !s->slots || !s->input_set || !s->in_offset || !s->req || !s->plans ||
        !s->plan_input || !s->staged || !s->staged_size || !need) {
        free(need);
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
        s->staged_size[k] = SIZE_MAX; /* not set */
    }
    mark_plan_inputs(s, need);
    free(need);

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
        if (pml_op_schema_get(n->op)->traits & PML_TRAIT_DATA_DEPENDENT) s->data_dependent = 1;
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
            pml_session_node_failed(ctx, st, "pack");
            pml_session_destroy(s);
            return st;
        }
        s->packed_size += ctx->packed_size; /* each bounded by its constants' bytes */
        char what[512];
        snprintf(what, sizeof what, "node '%s' (%s): packing its weights", ctx->node->name, ctx->op_name);
        if ((st = pml_mem_charge(s, ctx->packed_size, what)) != PML_OK) {
            pml_session_destroy(s); /* unpacks */
            return st;
        }
        s->held += ctx->packed_size;
        /* the node reads its packed copy now: the constants' mapped pages need not stay resident */
        if (ctx->packed) pml_model_drop_packed_inputs(m, ctx->node);
    }
    pml_status vs = build_children(s); /* control flow's subgraphs */
    if (vs == PML_OK) vs = pml_session_state_create(s); /* Variables' memory (session_state.c) */
    if (vs != PML_OK) {
        pml_session_destroy(s);
        return vs;
    }
    s->state_size = s->packed_size;
    s->shape_dirty = 1;
    if (!symbolic && !s->n_plan_inputs) { /* static: plan now, once */
        pml_status st = pml_session_build_plan(s);
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
    for (int i = 0; i < s->n_plans; i++) pml_session_plan_free(s, s->plans[i]);
    if (s->ctx) destroy_children(s);
    if (s->ctx && s->defs)
        for (int i = 0; i < s->model->n_nodes; i++)
            if (s->defs[i] && s->defs[i]->unpack && s->ctx[i].packed) s->defs[i]->unpack(&s->ctx[i]);
    pml_session_state_free(s);
    if (s->owns_pool) pml_threadpool_destroy(s->pool);
    pml_aligned_free(s->arena);
    if (s->budget) pml_mem_release(s, s->held); /* packed weights, state, arena */
    free(s->tensors);
    free(s->ctx);
    free(s->defs);
    free(s->slots);
    free(s->input_set);
    free(s->in_offset);
    free(s->req);
    free(s->plans);
    if (s->staged)
        for (int k = 0; k < s->model->n_inputs; k++) free(s->staged[k]);
    free(s->staged);
    free(s->staged_size);
    free(s->plan_input);
    free(s->profile_ns);
    free(s);
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
    pml_session_checked_nbytes(t->dtype, rank, dims, &ok);
    if (!ok)
        return pml_set_error(PML_ERR_SHAPE, "input '%s' with shape %s of %s is larger than the %llu bytes this "
                             "runtime supports", t->name, pml_shape_str(rank, dims, got, sizeof got),
                             pml_dtype_name(t->dtype), (unsigned long long)PML_MAX_TENSOR_BYTES);
    int64_t *req = s->req + s->in_offset[index];
    if (rank && memcmp(req, dims, sizeof *req * (size_t)rank) == 0) return PML_OK;
    memcpy(req, dims, sizeof *req * (size_t)rank);
    if (s->plan_input[index]) s->staged_size[index] = SIZE_MAX; /* its value must be set for the new shape */
    s->shape_dirty = !s->active || !pml_session_plan_matches(s, s->active);
    return PML_OK;
}

/* A plan-time input's value is staged (the next plan is keyed and built on it), not copied
 * into the arena: a new value re-plans like a new shape, a value seen before re-uses its plan. */
static pml_status stage_plan_input(pml_session *s, int index, const void *data, size_t nbytes) {
    pml_tensor t;
    char buf[256];
    pml_session_requested_shape(s, index, &t);
    for (int j = 0; j < t.rank; j++)
        if (t.dims[j] < 0)
            return pml_set_error(PML_ERR_SHAPE, "input '%s' has symbolic dims (%s %s in the model): give its shape "
                                 "with pml_session_set_input_shape before setting it",
                                 t.name, pml_dtype_name(t.dtype), pml_shape_str(t.rank, t.dims, buf, sizeof buf));
    if (nbytes != t.nbytes)
        return pml_set_error(PML_ERR_SHAPE, "input '%s' expects %zu bytes (%s %s), got %zu", t.name, t.nbytes,
                             pml_dtype_name(t.dtype), pml_shape_str(t.rank, t.dims, buf, sizeof buf), nbytes);
    if (nbytes > PML_MAX_PLAN_INPUT_BYTES)
        return pml_set_error(PML_ERR_UNSUPPORTED, "input '%s' fixes output shapes (its value is read while planning) "
                             "and holds %zu bytes; at most %d are supported", t.name, nbytes,
                             PML_MAX_PLAN_INPUT_BYTES);
    if (s->staged_size[index] == SIZE_MAX || s->staged_size[index] < nbytes) {
        void *grown = realloc(s->staged[index], nbytes ? nbytes : 1);
        if (!grown) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory setting input '%s'", t.name);
        s->staged[index] = grown;
    }
    if (nbytes) memcpy(s->staged[index], data, nbytes);
    s->staged_size[index] = nbytes;
    s->input_set[index] = 1;
    s->shape_dirty = !s->active || !pml_session_plan_matches(s, s->active);
    return PML_OK;
}

pml_status pml_session_copy_input(pml_session *s, int index, const void *data, size_t nbytes) {
    if (s->plan_input[index]) return stage_plan_input(s, index, data, nbytes);
    if (s->shape_dirty) {
        pml_status st = pml_session_ensure_plan(s);
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

/* The arena slot of a (non plan-time) input for the current shapes. */
pml_status pml_session_input_slot(pml_session *s, int index, void **data, size_t *nbytes) {
    pml_tensor *t = &s->tensors[s->model->inputs[index]];
    if (s->plan_input[index])
        return pml_set_error(PML_ERR_UNSUPPORTED, "input '%s' fixes output shapes (its value is read while "
                             "planning), so it has no arena buffer: set it with pml_session_set_input", t->name);
    if (s->shape_dirty) {
        pml_status st = pml_session_ensure_plan(s);
        if (st != PML_OK) return st;
    }
    *data = t->data;
    *nbytes = t->nbytes;
    s->input_set[index] = 1;
    return PML_OK;
}

/* ---- cancellation ------------------------------------------------------------------
 * One atomic flag per model session, shared by its child sessions (control flow's
 * subgraphs): another thread sets it, the node loops read it before every node
 * (a relaxed load: a few cycles next to any kernel), and a child's run checks it on entry,
 * so a Loop or While stops between iterations even when its body is empty. */

void pml_session_request_cancel(pml_session *s) { atomic_store(s->cancel, 1); }
void pml_session_clear_cancel(pml_session *s) { atomic_store(s->cancel, 0); }

static pml_status cancelled(pml_session *s, int node) {
    s->outputs_valid = 0;
    if (node < 0) return pml_set_error(PML_ERR_CANCELLED, "run cancelled (pml_session_cancel)");
    const pml_node *n = &s->model->nodes[node];
    return pml_set_error(PML_ERR_CANCELLED, "run cancelled (pml_session_cancel) before node '%s' (%s)", n->name,
                         s->ctx[node].op_name);
}

#define PML_CANCEL_REQUESTED(s) atomic_load_explicit((s)->cancel, memory_order_relaxed)

static pml_status run_profiled(pml_session *s, const pml_plan *p);
static pml_status run_range(pml_session *s, const pml_plan *p);

pml_status pml_session_execute(pml_session *s) {
    const pml_model *m = s->model;
    s->outputs_valid = 0;
    if (PML_CANCEL_REQUESTED(s)) return cancelled(s, -1);
    if (s->shape_dirty) {
        pml_status st = pml_session_ensure_plan(s); /* a new plan: the inputs must be set again, reported below */
        if (st != PML_OK) return st;
    }
    for (int k = 0; k < m->n_inputs; k++)
        if (!s->input_set[k])
            return pml_set_error(PML_ERR_INVALID_ARGUMENT,
                                 "input '%s' was not set (inputs are consumed by a run: set every input before each "
                                 "run, after any pml_session_set_input_shape and after the inputs that fix shapes)",
                                 s->tensors[m->inputs[k]].name);
    /* inputs' arena bytes may be reused from here on */
    memset(s->input_set, 0, (size_t)m->n_inputs);
    pml_plan *p = s->active;
    for (;;) {
        pml_status st = s->profile_ns ? run_profiled(s, p) : run_range(s, p);
        if (st != PML_OK) return st;
        if (!p->data_dependent_end) break;
        if ((st = pml_session_check_produced(&s->ctx[p->end - 1])) != PML_OK) return st;
        if (p->end >= m->n_nodes) break;
        if ((st = pml_session_enter_tail(s, p, &p)) != PML_OK) return st; /* session_tail.c */
    }
    if (s->profile_ns) s->profile_runs++;
    s->outputs_valid = 1;
    return PML_OK;
}

/* Runs plan p's nodes (a data-dependent last node starts from its bounds again), a node the
 * plan pairs with the next one with it (plan_node.with_next). */
static pml_status run_range(pml_session *s, const pml_plan *p) {
    if (p->data_dependent_end) pml_session_restore_bounds(s, p);
    for (int i = p->first; i < p->end; i++) {
        if (p->skip[i]) continue;
        if (PML_CANCEL_REQUESTED(s)) return cancelled(s, i);
        if (p->nodes[i].with_next) {
            pml_status st = s->defs[i]->run_with_next(&s->ctx[i], &s->ctx[i + 1]);
            if (st != PML_OK) return pml_session_node_failed(&s->ctx[i], st, "run (with the next node)");
            i++;
            continue;
        }
        pml_status st = s->defs[i]->run(&s->ctx[i]);
        if (st != PML_OK) return pml_session_node_failed(&s->ctx[i], st, "run");
    }
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

/* Node by node, paired nodes too (each one's time is its own; the pair's arithmetic is the same). */
static pml_status run_profiled(pml_session *s, const pml_plan *p) {
    if (p->data_dependent_end) pml_session_restore_bounds(s, p);
    uint64_t t0 = now_ns();
    for (int i = p->first; i < p->end; i++) {
        if (p->skip[i]) continue;
        if (PML_CANCEL_REQUESTED(s)) return cancelled(s, i);
        pml_status st = s->defs[i]->run(&s->ctx[i]);
        uint64_t t1 = now_ns();
        s->profile_ns[i] += t1 - t0;
        t0 = t1;
        if (st != PML_OK) return pml_session_node_failed(&s->ctx[i], st, "run");
    }
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
