/*
 * planner.c — greedy-by-size first-fit arena planner (algorithm in planner.h).
 *
 * `placed` holds the already-placed buffers sorted by offset; a candidate
 * offset starts at 0 and is pushed past every time-overlapping placed buffer
 * it collides with. Because `placed` is sorted by offset, the first
 * overlapping buffer that starts at or after candidate + size proves the gap
 * [candidate, candidate + size) is free, and the scan stops there.
 */
#include "planner.h"

#include <stdlib.h>

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

static int align_up(size_t size, size_t *out) {
    if (size > SIZE_MAX - (PML_ALIGN - 1)) return 0;
    *out = (size + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN;
    return 1;
}

static int lifetimes_overlap(const pml_plan_item *a, const pml_plan_item *b) {
    return a->first <= b->last && b->first <= a->last;
}

pml_status pml_plan_arena(pml_plan_item *items, int n, size_t *arena_size) {
    *arena_size = 0;
    if (n <= 0) return PML_OK;
    order_key *order = malloc(sizeof *order * (size_t)n);
    int *placed = malloc(sizeof *placed * (size_t)n);
    size_t *sizes = malloc(sizeof *sizes * (size_t)n);
    pml_status status = PML_OK;
    if (!order || !placed || !sizes) {
        status = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning %d arena buffers", n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if (!align_up(items[i].size, &sizes[i])) {
            status = pml_set_error(PML_ERR_OUT_OF_MEMORY, "arena buffer of %zu bytes is too large", items[i].size);
            goto done;
        }
        order[i] = (order_key){sizes[i], items[i].first, i};
    }
    qsort(order, (size_t)n, sizeof *order, by_size_desc);

    int n_placed = 0;
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        int i = order[k].index;
        size_t size = sizes[i], candidate = 0;
        if (size == 0) {
            items[i].offset = 0; /* occupies no bytes: cannot collide */
            continue;
        }
        for (int p = 0; p < n_placed; p++) {
            const pml_plan_item *q = &items[placed[p]];
            if (!lifetimes_overlap(&items[i], q)) continue;
            if (q->offset >= candidate + size) break; /* gap before q fits */
            size_t end = q->offset + sizes[placed[p]];
            if (end > candidate) candidate = end;
            if (candidate > SIZE_MAX - size) {
                status = pml_set_error(PML_ERR_OUT_OF_MEMORY, "arena size overflows size_t");
                goto done;
            }
        }
        items[i].offset = candidate;
        if (candidate + size > total) total = candidate + size;
        /* insert into `placed`, keeping it sorted by offset */
        int pos = n_placed;
        while (pos > 0 && items[placed[pos - 1]].offset > candidate) {
            placed[pos] = placed[pos - 1];
            pos--;
        }
        placed[pos] = i;
        n_placed++;
    }
    *arena_size = total;
done:
    free(order);
    free(placed);
    free(sizes);
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
