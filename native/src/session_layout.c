/*
 * session_layout.c — where a plan's run puts its bytes: which nodes run paired with the next
 * one (pml_op_def.fuses_next), the pool threads' scratch regions, and the arena offsets of
 * every run-time tensor and scratch (planner.c's greedy plan, or planner_centered.c's at two
 * threads). session_plan.c calls it once a plan's nodes are prepared.
 */
#include <stdlib.h>
#include <string.h>

#include "pml_checked.h"
#include "pml_limits.h" /* PML_MAX_TENSOR_BYTES */
#include "planner.h"
#include "session_plan.h"

int pml_session_owns_outputs(const pml_kernel_ctx *ctx) {
    return (pml_op_schema_get(ctx->node->op)->traits & PML_TRAIT_CONTROL_FLOW) != 0;
}

/* Per tensor of m: how many node inputs read it (2 meaning two or more; graph outputs count
 * as a reader). NULL when out of memory. */
static uint8_t *count_readers(const pml_model *m) {
    uint8_t *readers = calloc((size_t)m->n_tensors + 1, 1);
    if (!readers) return NULL;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_inputs; k++) {
            const int t = m->nodes[i].inputs[k];
            if (t >= 0 && readers[t] < 2) readers[t]++;
        }
    for (int k = 0; k < m->n_outputs; k++) readers[m->outputs[k]] = 2;
    return readers;
}

/* Marks the nodes of plan p that run the next node with them (pml_op_def.fuses_next): node
 * i + 1 reads node i's first output as its input 0 and nothing else reads it. Out of memory
 * counting the readers, none is paired (pairing only makes a run faster). */
static void plan_pairs(const pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    uint8_t *readers = NULL;
    for (int i = p->first; i + 1 < p->end; i++) {
        const pml_op_def *d = s->defs[i];
        const pml_node *n = &m->nodes[i], *next = &m->nodes[i + 1];
        p->nodes[i].with_next = 0;
        if (!d->fuses_next || !d->run_with_next || p->skip[i] || p->skip[i + 1]) continue;
        if (i > p->first && p->nodes[i - 1].with_next) continue; /* already the second of a pair */
        if (n->n_outputs < 1 || next->n_inputs < 1 || next->inputs[0] != n->outputs[0]) continue;
        if (!readers && !(readers = count_readers(m))) return;
        if (readers[n->outputs[0]] != 1) continue;
        p->nodes[i].with_next = d->fuses_next(&s->ctx[i], &s->ctx[i + 1]) != 0;
    }
    free(readers);
}

/* The arena item of the pool threads' scratch regions of plan p's run-time nodes: sets
 * p->thread_scratch_stride (0 when no node asks for thread scratch) and *item. */
static pml_status plan_thread_scratch(const pml_session *s, pml_plan *p, pml_plan_item *item) {
    size_t most = 0;
    int first = -1, last = -1;
    for (int i = p->first; i < p->end; i++) {
        if (p->skip[i] || !s->ctx[i].thread_scratch_size) continue;
        if (s->ctx[i].thread_scratch_size > most) most = s->ctx[i].thread_scratch_size;
        if (first < 0) first = i;
        last = i;
    }
    p->thread_scratch_stride = 0;
    if (!most) return PML_OK;
    const size_t threads = s->pool ? (size_t)pml_threadpool_size(s->pool) : 1;
    size_t stride, bytes;
    if (!pml_checked_align(most, PML_THREAD_SCRATCH_ALIGN, &stride) || !pml_checked_mul(stride, threads, &bytes) ||
        bytes > PML_MAX_TENSOR_BYTES)
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "%zu threads' scratch of %zu bytes each is more than the %llu "
                             "bytes this runtime supports", threads, most, (unsigned long long)PML_MAX_TENSOR_BYTES);
    p->thread_scratch_stride = stride;
    *item = (pml_plan_item){bytes, first, last, 0};
    return PML_OK;
}

/* Arena offsets of the items: the greedy plan, or at two threads the centred one
 * (planner_centered.c) when it needs at most PML_CENTERED_MAX_GROWTH times the bytes, and no
 * more than the greedy plan under a memory limit (a shape that fits must not fail for it).
 * With more threads the boundaries between their rows move with each tensor's size: no
 * layout keeps them put. Conv net int8 at 2 threads, CPUs on two L3 domains
 * (bench_int8_ab.py): 0.790 -> 0.774 ms; arena 802,816 bytes either way (BlazeFace 712,704 ->
 * 647,168). */
#define PML_CENTERED_MAX_GROWTH 2
static pml_status place_items(const pml_session *s, pml_plan_item *items, int n, size_t *arena_size) {
    pml_status st = pml_plan_arena(items, n, arena_size);
    if (st != PML_OK || !s->pool || pml_threadpool_size(s->pool) != 2 || n <= 0) return st;
    pml_plan_item *centered = malloc(sizeof *centered * (size_t)n);
    size_t size = 0;
    if (!centered) return PML_OK; /* the greedy plan stands */
    memcpy(centered, items, sizeof *centered * (size_t)n);
    const size_t growth = s->budget->limit ? 1 : PML_CENTERED_MAX_GROWTH;
    if (pml_plan_arena_centered(centered, n, &size) == PML_OK && size / growth <= *arena_size) {
        memcpy(items, centered, sizeof *centered * (size_t)n);
        *arena_size = size;
    }
    free(centered);
    return PML_OK;
}

/* Arena offsets of every run-time tensor and scratch of plan p's nodes (live tables hold
 * their shapes): the graph inputs (root plan only) and the outputs of nodes [first, end).
 * What a later tail or the caller reads stays live to the end of the range. */
static pml_status plan_arena(const pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    int last_step = p->end > p->first ? p->end - 1 : p->first;
    int n_items = 0;
    int *item_of = malloc(sizeof(int) * (size_t)(m->n_tensors + 1));
    pml_plan_item *items = malloc(sizeof *items * (size_t)(m->n_tensors + m->n_nodes + 2));
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
    if (p->first == 0)
        for (int k = 0; k < m->n_inputs; k++)
            if (!s->plan_input[k]) PML_NEW_ITEM(m->inputs[k], 0); /* plan-time inputs live in the plan */
    for (int i = p->first; i < p->end; i++) {
        const pml_node *n = &m->nodes[i];
        if (p->skip[i]) continue; /* computed at plan time: reads and writes no arena bytes at run time */
        /* a node running the next one with it reads its inputs while the next one writes */
        const int read_until = p->nodes[i].with_next ? i + 1 : i;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t >= 0 && item_of[t] >= 0) items[item_of[t]].last = read_until; /* nodes are in order: max */
        }
        if (pml_session_owns_outputs(&s->ctx[i])) continue; /* its outputs point into memory it provides */
        for (int k = 0; k < n->n_outputs; k++) PML_NEW_ITEM(n->outputs[k], i);
    }
#undef PML_NEW_ITEM
    for (int i = p->end; i < m->n_nodes; i++) /* read by a tail: live to the end of this range */
        for (int k = 0; k < m->nodes[i].n_inputs; k++) {
            int t = m->nodes[i].inputs[k];
            if (t >= 0 && item_of[t] >= 0) items[item_of[t]].last = last_step;
        }
    for (int k = 0; k < m->n_outputs; k++)
        if (item_of[m->outputs[k]] >= 0) items[item_of[m->outputs[k]]].last = last_step;
    int first_scratch = n_items;
    for (int i = p->first; i < p->end; i++)
        if (s->ctx[i].scratch_size) items[n_items++] = (pml_plan_item){s->ctx[i].scratch_size, i, i, 0};
    int thread_item = -1;
    if ((st = plan_thread_scratch(s, p, &items[n_items])) != PML_OK) goto done;
    if (p->thread_scratch_stride) thread_item = n_items++;

    if ((st = place_items(s, items, n_items, &p->arena_size)) != PML_OK) goto done;
    for (int t = 0; t < m->n_tensors; t++)
        if (item_of[t] >= 0) p->offset[t] = items[item_of[t]].offset;
    for (int i = p->first, k = first_scratch; i < p->end; i++)
        p->nodes[i].scratch_offset = s->ctx[i].scratch_size ? items[k++].offset : PML_NO_OFFSET;
    p->thread_scratch_offset = thread_item >= 0 ? items[thread_item].offset : PML_NO_OFFSET;
done:
    free(item_of);
    free(items);
    return st;
}

pml_status pml_session_plan_layout(pml_session *s, pml_plan *p) {
    plan_pairs(s, p);
    return plan_arena(s, p);
}
