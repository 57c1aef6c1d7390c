/*
 * planner.c — greedy-by-size first-fit arena planner (algorithm in planner.h).
 *
 * For each buffer (largest first) we gather the already-placed buffers whose
 * lifetimes overlap its own, sort those by offset, and push a candidate offset
 * past each one it collides with; the first one that starts at or after
 * candidate + size proves the gap is free. The overlapping buffers are found
 * through an interval index over node steps instead of a scan of every placed
 * buffer: a placed buffer overlaps [f, l] iff it is live at step f (a stabbing
 * query on a segment tree over steps: O(log steps + hits)) or it starts inside
 * (f, l] (lists of placed buffers by first step). The placement is exactly the
 * one the plain O(n^2) scan gives; the cost is O(n log n + sum of overlaps).
 */
#include "planner.h"

#include <stdlib.h>

#include "pml_checked.h"

typedef struct order_key {
    size_t size;
    int first, index;
} order_key;

static int by_size_desc(const void *pa, const void *pb) {
    const order_key *a = pa, *b = pb;
    if (a->size != b->size) return a->size > b->size ? -1 : 1;
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int align_up(size_t size, size_t *out) { return pml_checked_align(size, PML_ALIGN, out); }

typedef struct hit {
    size_t offset; /* copied so qsort needs no context (sessions may plan in parallel) */
    int item;
} hit;

static int by_offset(const void *pa, const void *pb) {
    const hit *a = pa, *b = pb;
    if (a->offset != b->offset) return a->offset < b->offset ? -1 : 1;
    return a->item < b->item ? -1 : a->item > b->item; /* ties cannot change the result */
}

/* Placed buffers indexed by lifetime. Entries are singly linked lists in one pool. */
typedef struct interval_index {
    int steps, leaves;   /* steps = max last + 1; leaves = power of two >= steps */
    int *tree_head;      /* segment tree node -> first entry (2 * leaves nodes) */
    int *first_head;     /* step -> first entry of buffers starting there */
    int *entry_item, *entry_next, n_entries;
} interval_index;

static void index_push(interval_index *x, int *head, int item) {
    x->entry_item[x->n_entries] = item;
    x->entry_next[x->n_entries] = *head;
    *head = x->n_entries++;
}

static void index_insert(interval_index *x, const pml_plan_item *it, int item) {
    index_push(x, &x->first_head[it->first], item);
    /* canonical cover of [first, last] (at most 2 log2(leaves) nodes) */
    int lo = it->first + x->leaves, hi = it->last + x->leaves + 1;
    while (lo < hi) {
        if (lo & 1) index_push(x, &x->tree_head[lo++], item);
        if (hi & 1) index_push(x, &x->tree_head[--hi], item);
        lo >>= 1, hi >>= 1;
    }
}

/* Placed buffers overlapping [f, l], each once, into out; returns how many. */
static int index_query(const interval_index *x, const pml_plan_item *items, int f, int l, hit *out) {
    int k = 0;
    for (int node = f + x->leaves; node >= 1; node >>= 1)
        for (int e = x->tree_head[node]; e >= 0; e = x->entry_next[e])
            out[k].item = x->entry_item[e], out[k].offset = items[out[k].item].offset, k++;
    for (int t = f + 1; t <= l; t++)
        for (int e = x->first_head[t]; e >= 0; e = x->entry_next[e])
            out[k].item = x->entry_item[e], out[k].offset = items[out[k].item].offset, k++;
    return k;
}

pml_status pml_plan_arena(pml_plan_item *items, int n, size_t *arena_size) {
    *arena_size = 0;
    if (n <= 0) return PML_OK;
    interval_index x = {0};
    int max_last = 0;
    for (int i = 0; i < n; i++)
        if (items[i].last > max_last) max_last = items[i].last;
    x.steps = max_last + 1;
    x.leaves = 1;
    while (x.leaves < x.steps) x.leaves <<= 1;
    int levels = 2;
    for (int v = x.leaves; v > 1; v >>= 1) levels += 2;
    order_key *order = malloc(sizeof *order * (size_t)n);
    hit *hits = malloc(sizeof *hits * (size_t)n);
    size_t *sizes = malloc(sizeof *sizes * (size_t)n);
    x.tree_head = malloc(sizeof *x.tree_head * (size_t)x.leaves * 2);
    x.first_head = malloc(sizeof *x.first_head * (size_t)x.steps);
    x.entry_item = malloc(sizeof *x.entry_item * (size_t)n * (size_t)(levels + 1));
    x.entry_next = malloc(sizeof *x.entry_next * (size_t)n * (size_t)(levels + 1));
    pml_status status = PML_OK;
    if (!order || !hits || !sizes || !x.tree_head || !x.first_head || !x.entry_item || !x.entry_next) {
        status = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning %d arena buffers", n);
        goto done;
    }
    for (int v = 0; v < x.leaves * 2; v++) x.tree_head[v] = -1;
    for (int t = 0; t < x.steps; t++) x.first_head[t] = -1;
    for (int i = 0; i < n; i++) {
        if (!align_up(items[i].size, &sizes[i])) {
            status = pml_set_error(PML_ERR_OUT_OF_MEMORY, "arena buffer of %zu bytes is too large", items[i].size);
            goto done;
        }
        order[i] = (order_key){sizes[i], items[i].first, i};
    }
    qsort(order, (size_t)n, sizeof *order, by_size_desc);

    size_t total = 0;
    for (int k = 0; k < n; k++) {
        int i = order[k].index;
        size_t size = sizes[i], candidate = 0;
        if (size == 0) {
            items[i].offset = 0; /* occupies no bytes: cannot collide */
            continue;
        }
        int n_hits = index_query(&x, items, items[i].first, items[i].last, hits);
        qsort(hits, (size_t)n_hits, sizeof *hits, by_offset);
        for (int p = 0; p < n_hits; p++) {
            const pml_plan_item *q = &items[hits[p].item];
            if (q->offset >= candidate + size) break; /* gap before q fits */
            size_t end = q->offset + sizes[hits[p].item]; /* <= total: placed buffers fit */
            if (end > candidate) candidate = end;
            if (!pml_checked_add(candidate, size, &end)) {
                status = pml_set_error(PML_ERR_OUT_OF_MEMORY, "arena size overflows size_t");
                goto done;
            }
        }
        items[i].offset = candidate;
        if (candidate + size > total) total = candidate + size;
        index_insert(&x, &items[i], i);
    }
    *arena_size = total;
done:
    free(order);
    free(hits);
    free(sizes);
    free(x.tree_head);
    free(x.first_head);
    free(x.entry_item);
    free(x.entry_next);
    return status;
}

size_t pml_plan_lower_bound(const pml_plan_item *items, int n) {
    /* sweep the steps: O(n * steps) is fine for a test/report helper */
    int last_step = 0;
    for (int i = 0; i < n; i++)
        if (items[i].last > last_step) last_step = items[i].last;
    size_t best = 0;
    for (int t = 0; t <= last_step; t++) {
        size_t live = 0, s;
        for (int i = 0; i < n; i++)
            if (items[i].first <= t && t <= items[i].last && align_up(items[i].size, &s)) live += s;
        if (live > best) best = live;
    }
    return best;
}
