/*
 * session.c — builds a session from a verified model and runs it.
 *
 * Creation, once: copy the tensor table; for each node in order run the op's
 * infer (which validates everything an op needs) and check the inferred
 * dtype/shape equals what the file declares, then prepare (kernel choice for
 * the session's ISA, weight packing, scratch request); then plan one arena
 * for every non-constant tensor and every node's scratch (planner.c) and
 * point the tensors into it. After creation nothing is allocated: set_input
 * copies into the arena, run calls each node's run, outputs are read in place.
 *
 * Lifetimes for the planner, in node steps: a tensor lives from its
 * producer's step (graph inputs: step 0) to its last consumer's step (graph
 * outputs: the last step); a node's scratch lives during that node's step
 * only. Graph inputs are therefore consumed by a run (their bytes may be
 * reused once their last consumer has run): every input is set before each run.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

#define PML_MAX_THREADS 1024

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

static int same_shape(const pml_tensor *a, const pml_tensor *b) {
    if (a->dtype != b->dtype || a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* Infer and prepare node i; the declared output shapes must survive inference. */
static pml_status start_node(pml_session *s, int i) {
    const pml_node *n = &s->model->nodes[i];
    pml_kernel_ctx *ctx = &s->ctx[i];
    const pml_op_def *def = s->defs[i];
    for (int k = 0; k < n->n_outputs; k++) {
        /* infer must set every output: start from an undefined shape (the
         * declared one stays in the model's own tensor table) */
        pml_tensor *t = ctx->out[k];
        t->dtype = PML_DTYPE_UNDEFINED;
        t->rank = 0;
        t->nbytes = 0;
    }
    s->n_started = i + 1;
    pml_status st = def->infer(ctx);
    if (st != PML_OK) return node_failed(ctx, st, "shape inference");
    for (int k = 0; k < n->n_outputs; k++) {
        pml_tensor *t = ctx->out[k];
        const pml_tensor *want = &s->model->tensors[n->outputs[k]];
        if (!same_shape(t, want)) {
            char a[256], b[256];
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                                  "output %d ('%s') is declared as %s %s in the file but infers as %s %s", k, t->name,
                                  pml_dtype_name(want->dtype), pml_shape_str(want->rank, want->dims, a, sizeof a),
                                  pml_dtype_name(t->dtype), pml_shape_str(t->rank, t->dims, b, sizeof b));
        }
        t->nbytes = want->nbytes; /* verified against overflow at load */
    }
    if (def->prepare && (st = def->prepare(ctx)) != PML_OK) return node_failed(ctx, st, "prepare");
    s->state_size += ctx->state_size;
    return PML_OK;
}

/* Plan the arena and point every non-constant tensor and scratch into it. */
static pml_status plan(pml_session *s) {
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
    for (int t = 0; t < m->n_tensors; t++) item_of[t] = -1;
#define PML_NEW_ITEM(t, step)                                                                    \
    do {                                                                                         \
        item_of[t] = n_items;                                                                    \
        items[n_items++] = (pml_plan_item){s->tensors[t].nbytes, (step), (step), 0};             \
    } while (0)
    for (int k = 0; k < m->n_inputs; k++) PML_NEW_ITEM(m->inputs[k], 0);
    for (int i = 0; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t >= 0 && item_of[t] >= 0) items[item_of[t]].last = i; /* nodes are in order: max */
        }
        for (int k = 0; k < n->n_outputs; k++) PML_NEW_ITEM(n->outputs[k], i);
    }
#undef PML_NEW_ITEM
    for (int k = 0; k < m->n_outputs; k++) items[item_of[m->outputs[k]]].last = last_step;
    int first_scratch = n_items;
    for (int i = 0; i < m->n_nodes; i++)
        if (s->ctx[i].scratch_size) items[n_items++] = (pml_plan_item){s->ctx[i].scratch_size, i, i, 0};

    if ((st = pml_plan_arena(items, n_items, &s->arena_size)) != PML_OK) goto done;
    s->arena = pml_aligned_alloc(s->arena_size);
    if (!s->arena) {
        st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory allocating the %zu-byte arena", s->arena_size);
        goto done;
    }
    for (int t = 0; t < m->n_tensors; t++)
        if (item_of[t] >= 0) s->tensors[t].data = s->arena + items[item_of[t]].offset;
    for (int i = 0, k = first_scratch; i < m->n_nodes; i++)
        if (s->ctx[i].scratch_size) s->ctx[i].scratch = s->arena + items[k++].offset;
done:
    free(item_of);
    free(items);
    return st;
}

pml_status pml_session_build(const pml_model *m, const pml_session_options *options, pml_session **out) {
    pml_session_options defaults;
    if (!options) {
        pml_session_options_init(&defaults);
        options = &defaults;
    }
    int threads = options->num_threads <= 0 ? 1 : options->num_threads;
    if (threads > PML_MAX_THREADS)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT, "num_threads is %d; at most %d are supported", threads,
                             PML_MAX_THREADS);
    pml_session *s = calloc(1, sizeof *s);
    if (!s) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating a session");
    s->model = m;
    s->scalar_only = options->scalar_only != 0;
    pml_cpu_detect(&s->cpu);
    s->isa = s->cpu.avx2 && s->cpu.fma && !s->scalar_only ? "avx2_fma" : "scalar";

    size_t n_slots = 0;
    for (int i = 0; i < m->n_nodes; i++) n_slots += (size_t)m->nodes[i].n_inputs + (size_t)m->nodes[i].n_outputs;
    s->tensors = malloc(sizeof *s->tensors * (size_t)(m->n_tensors + 1));
    s->ctx = calloc((size_t)m->n_nodes + 1, sizeof *s->ctx);
    s->defs = calloc((size_t)m->n_nodes + 1, sizeof *s->defs);
    s->slots = calloc(n_slots + 1, sizeof *s->slots);
    s->input_set = calloc((size_t)m->n_inputs + 1, 1);
    if (!s->tensors || !s->ctx || !s->defs || !s->slots || !s->input_set) {
        pml_session_destroy(s);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating a session");
    }
    if (m->n_tensors) memcpy(s->tensors, m->tensors, sizeof *s->tensors * (size_t)m->n_tensors);
    for (int t = 0; t < m->n_tensors; t++)
        if (!s->tensors[t].is_const) s->tensors[t].data = NULL;

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
        ctx->op_name = s->defs[i]->name;
        ctx->in = slot;
        ctx->n_in = n->n_inputs;
        for (int k = 0; k < n->n_inputs; k++) *slot++ = n->inputs[k] >= 0 ? &s->tensors[n->inputs[k]] : NULL;
        ctx->out = slot;
        ctx->n_out = n->n_outputs;
        for (int k = 0; k < n->n_outputs; k++) *slot++ = &s->tensors[n->outputs[k]];
        ctx->cpu = &s->cpu;
        ctx->scalar_only = s->scalar_only;
        ctx->pool = s->pool;
    }
    pml_status st = PML_OK;
    for (int i = 0; i < m->n_nodes && st == PML_OK; i++) st = start_node(s, i);
    if (st == PML_OK) st = plan(s);
    if (st != PML_OK) {
        pml_session_destroy(s);
        return st;
    }
    *out = s;
    return PML_OK;
}

void pml_session_destroy(pml_session *s) {
    if (!s) return;
    for (int i = 0; i < s->n_started; i++)
        if (s->defs[i] && s->defs[i]->release) s->defs[i]->release(&s->ctx[i]);
    pml_threadpool_destroy(s->pool);
    pml_aligned_free(s->arena);
    free(s->tensors);
    free(s->ctx);
    free(s->defs);
    free(s->slots);
    free(s->input_set);
    free(s);
}

pml_status pml_session_copy_input(pml_session *s, int index, const void *data, size_t nbytes) {
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

pml_status pml_session_execute(pml_session *s) {
    const pml_model *m = s->model;
    s->outputs_valid = 0;
    for (int k = 0; k < m->n_inputs; k++)
        if (!s->input_set[k])
            return pml_set_error(PML_ERR_INVALID_ARGUMENT,
                                 "input '%s' was not set (inputs are consumed by a run: set every input before each "
                                 "run)",
                                 s->tensors[m->inputs[k]].name);
    /* inputs' arena bytes may be reused from here on */
    memset(s->input_set, 0, (size_t)m->n_inputs);
    for (int i = 0; i < m->n_nodes; i++) {
        pml_status st = s->defs[i]->run(&s->ctx[i]);
        if (st != PML_OK) return node_failed(&s->ctx[i], st, "run");
    }
    s->outputs_valid = 1;
    return PML_OK;
}
