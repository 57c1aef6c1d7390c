/*
 * planner_centered.c — the arena plan for two threads: every buffer centred in a slot.
 *
 * Two threads split an op's output rows in two, so thread 0 writes the first half of a
 * tensor's bytes and thread 1 the second. The greedy planner (planner.c) reuses memory for
 * tensors of other sizes, so the byte where one thread's half ends moves from tensor to
 * tensor: a thread writes lines the other core wrote last, and reads what the other wrote.
 * Between cores that share no cache (this VM's two vCPUs on two L3 domains, phones' clusters)
 * each such line is a cross-core transfer. Here each buffer goes into a slot, centred on the
 * slot's centre: in any slot, bytes below the centre are only ever thread 0's half of a
 * tensor and bytes above it thread 1's, from one op to the next and one run to the next.
 *
 * Slots are taken in order of first step: a buffer gets a slot free before its first step
 * (the smallest that already fits, else the largest free one, grown), or a new one. A slot
 * is as wide as twice its largest half; the arena is the slots side by side. More bytes than
 * the greedy plan where live sizes vary a lot: the caller compares the two.
 */
#include "planner.h"

#include <stdlib.h>

#include "pml_checked.h"

#define PML_CENTERED_MAX_SLOTS 256 /* beyond: a wide graph, planned greedily */

typedef struct slot {
    int busy_until; /* last step of its latest buffer */
    size_t half;    /* its largest buffer's half, rounded up to PML_ALIGN */
    size_t base;    /* offset, once laid out */
} slot;

typedef struct by_first_key {
    int first, index;
} by_first_key;

static int by_first(const void *pa, const void *pb) {
    const by_first_key *a = pa, *b = pb;
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The slot for a buffer of half `half` first live at `first`: a free one, or n_slots (new). */
static int pick_slot(const slot *slots, int n_slots, int first, size_t half) {
    int fits = -1, widest = -1;
    for (int k = 0; k < n_slots; k++) {
        if (slots[k].busy_until >= first) continue;
        if (slots[k].half >= half && (fits < 0 || slots[k].half < slots[fits].half)) fits = k;
        if (widest < 0 || slots[k].half > slots[widest].half) widest = k;
    }
    return fits >= 0 ? fits : widest >= 0 ? widest : n_slots;
}

pml_status pml_plan_arena_centered(pml_plan_item *items, int n, size_t *arena_size) {
    *arena_size = 0;
    if (n <= 0) return PML_OK;
    by_first_key *order = malloc(sizeof *order * (size_t)n);
    slot *slots = malloc(sizeof *slots * PML_CENTERED_MAX_SLOTS);
    int *slot_of = malloc(sizeof *slot_of * (size_t)n);
    pml_status st = PML_OK;
    if (!order || !slots || !slot_of) {
        st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory planning the arena");
        goto done;
    }
    for (int i = 0; i < n; i++) order[i] = (by_first_key){items[i].first, i};
    qsort(order, (size_t)n, sizeof *order, by_first);
    int n_slots = 0;
    for (int k = 0; k < n; k++) {
        const pml_plan_item *it = &items[order[k].index];
        size_t half;
        if (!pml_checked_align(it->size / 2 + it->size % 2, PML_ALIGN, &half)) {
            st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "arena size overflows");
            goto done;
        }
        const int s = pick_slot(slots, n_slots, it->first, half);
        if (s == PML_CENTERED_MAX_SLOTS) {
            st = PML_ERR_UNSUPPORTED; /* no message: the caller plans greedily instead */
            goto done;
        }
        if (s == n_slots) slots[n_slots++] = (slot){-1, 0, 0};
        slots[s].busy_until = it->last;
        if (half > slots[s].half) slots[s].half = half;
        slot_of[order[k].index] = s;
    }
    size_t end = 0;
    for (int s = 0; s < n_slots; s++) {
        slots[s].base = end;
        if (!pml_checked_add(end, slots[s].half, &end) || !pml_checked_add(end, slots[s].half, &end)) {
            st = pml_set_error(PML_ERR_OUT_OF_MEMORY, "arena size overflows");
            goto done;
        }
    }
    for (int i = 0; i < n; i++) {
        const slot *sl = &slots[slot_of[i]];
        size_t half;
        pml_checked_align(items[i].size / 2 + items[i].size % 2, PML_ALIGN, &half); /* checked above */
        items[i].offset = sl->base + sl->half - half;
    }
    *arena_size = end;
done:
    free(order);
    free(slots);
    free(slot_of);
    return st;
}
