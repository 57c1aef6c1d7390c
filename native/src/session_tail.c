/*
 * session_tail.c — data-dependent shapes: the plans for the nodes after a node whose
 * output shapes are known only once it has run (NonZero, NonMaxSuppression, Unique,
 * Compress: ops with the data_dependent trait).
 *
 * Such a node's infer gives upper bounds, and the plan for the input shapes (the root
 * plan) stops after it: its outputs get their bound's bytes in the root arena, and what
 * the later nodes read stays live to the end of that range. When the node has run (it
 * writes the dims it produced into its outputs), the session looks up, among the tails
 * cached in the plan, the one built for those dims, or builds it: infer and prepare of
 * the later nodes with the actual shapes, into its own arena, up to the end of the graph
 * or the next data-dependent node (whose tail hangs off this one). Tails are cached like
 * plans (an LRU of plan_cache_size per plan), so a detector whose NMS keeps the same
 * number of boxes twice plans its post-processing once. Like TFLite's dynamic tensors,
 * but nothing is allocated per run once the tails for the counts seen are cached.
 */
#include <stdlib.h>
#include <string.h>

#include "session_memory.h"

/* The dims node i produced, as one key: rank, then the dims, per output. */
static int64_t *tail_key(const pml_session *s, int i, int *len) {
    const pml_kernel_ctx *ctx = &s->ctx[i];
    int n = 0;
    for (int k = 0; k < ctx->n_out; k++) n += 1 + ctx->out[k]->rank;
    int64_t *key = malloc(sizeof *key * (size_t)(n + 1));
    if (!key) return NULL;
    n = 0;
    for (int k = 0; k < ctx->n_out; k++) {
        key[n++] = ctx->out[k]->rank;
        for (int j = 0; j < ctx->out[k]->rank; j++) key[n++] = ctx->out[k]->dims[j];
    }
    *len = n;
    return key;
}

void pml_session_activate_tail(pml_session *s, pml_plan *p) {
    const pml_model *m = s->model;
    for (int i = p->first; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k];
            s->tensors[t] = p->tensors[t];
            if (p->offset[t] != PML_NO_OFFSET) s->tensors[t].data = p->own_arena + p->offset[t];
        }
        pml_session_point_node(s, p, i, p->own_arena);
    }
}

/* Plans nodes p->end.. for the dims node p->end - 1 produced (key), into a new tail. */
static pml_status build_tail(pml_session *s, pml_plan *p, int64_t *key, int key_len, pml_plan **out) {
    const pml_model *m = s->model;
    pml_plan *t = pml_session_plan_alloc(s);
    if (!t) {
        free(key);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the nodes after a data-dependent node");
    }
    t->key = key;
    t->key_len = key_len;
    for (int i = p->end; i < m->n_nodes; i++) /* declared shapes for what the tail computes */
        for (int k = 0; k < m->nodes[i].n_outputs; k++) {
            int id = m->nodes[i].outputs[k];
            s->tensors[id] = m->tensors[id];
            s->tensors[id].data = NULL;
            s->tensors[id].value_known = 0;
        }
    pml_status st = pml_session_plan_range(s, t, p->end);
    if (st == PML_OK) {
        /* within the memory limit, then its own arena (not zeroed: session_memory.c) */
        st = pml_session_charge_plan(s, t, 0);
        if (st == PML_OK && !(t->own_arena = pml_session_arena_alloc(s, t->arena_size)))
            st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory allocating a %zu-byte arena for the nodes "
                               "after a data-dependent node", t->arena_size);
        if (st != PML_OK)
            for (int i = t->first; i < t->end; i++) s->ctx[i].state = NULL; /* t owns it now */
    }
    if (st != PML_OK) {
        pml_session_plan_free(s, t);
        return st;
    }
    pml_plan **tails = realloc(p->tails, sizeof *tails * (size_t)(p->n_tails + 1));
    if (!tails) {
        for (int i = t->first; i < t->end; i++) s->ctx[i].state = NULL;
        pml_session_plan_free(s, t);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory caching a plan");
    }
    p->tails = tails;
    memmove(p->tails + 1, p->tails, sizeof *p->tails * (size_t)p->n_tails);
    p->tails[0] = t;
    p->n_tails++;
    s->plan_count++;
    while (p->n_tails > s->plan_cap) pml_session_plan_free(s, p->tails[--p->n_tails]);
    *out = t;
    return PML_OK;
}

pml_status pml_session_enter_tail(pml_session *s, pml_plan *p, pml_plan **tail) {
    int d = p->end - 1;
    pml_status st;
    int key_len = 0;
    int64_t *key = tail_key(s, d, &key_len);
    if (!key) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the nodes after a data-dependent node");
    for (int i = 0; i < p->n_tails; i++) {
        pml_plan *t = p->tails[i];
        if (t->key_len != key_len || memcmp(t->key, key, sizeof *key * (size_t)key_len) != 0) continue;
        free(key);
        memmove(p->tails + 1, p->tails, sizeof *p->tails * (size_t)i);
        p->tails[0] = t;
        pml_session_activate_tail(s, t);
        *tail = t;
        return PML_OK;
    }
    if ((st = build_tail(s, p, key, key_len, tail)) != PML_OK) return st;
    pml_session_activate_tail(s, *tail);
    return PML_OK;
}

void pml_session_restore_bounds(pml_session *s, const pml_plan *p) {
    const pml_node *n = &s->model->nodes[p->end - 1];
    for (int k = 0; k < n->n_outputs; k++) {
        int t = n->outputs[k];
        s->tensors[t].rank = p->tensors[t].rank;
        memcpy(s->tensors[t].dims, p->tensors[t].dims, sizeof p->tensors[t].dims);
        s->tensors[t].nbytes = p->tensors[t].nbytes;
    }
}
