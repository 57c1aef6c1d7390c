/*
 * planner.h — places every activation buffer of a session in one arena.
 *
 * Input: buffers with a size and an inclusive lifetime [first, last] in node
 * steps. Output: an offset per buffer such that two buffers whose lifetimes
 * overlap never overlap in memory, and the arena size.
 *
 * Algorithm (greedy by size, first fit — as tflite-micro's
 * GreedyMemoryPlanner): take the buffers from largest to smallest. For each
 * one, look only at the buffers already placed whose lifetimes overlap its
 * own, in order of their offsets, and put it in the lowest gap between them
 * that is big enough (or after the last of them). Large buffers are placed
 * first because they are the hardest to fit; small ones then fill the holes
 * that large ones leave behind. The result is not always optimal (the
 * problem is NP-hard) but is usually within a few percent of the lower
 * bound: the largest total size live at any one step. The overlapping
 * buffers come from an interval index over steps, so the cost is
 * O(n log n) plus the number of overlapping pairs, done once per plan.
 *
 * Every size is rounded up to PML_ALIGN and every offset is a multiple of it.
 * A pure function: no session state, so tests can drive it directly.
 */
#ifndef PML_PLANNER_H
#define PML_PLANNER_H

#include "internal.h"

typedef struct pml_plan_item {
    size_t size;     /* bytes requested */
    int first, last; /* lifetime in node steps, inclusive, first <= last */
    size_t offset;   /* set by pml_plan_arena; multiple of PML_ALIGN */
} pml_plan_item;

/* Sets items[i].offset and *arena_size. Fails only on overflow or out of memory. */
pml_status pml_plan_arena(pml_plan_item *items, int n, size_t *arena_size);

/* The same, each buffer centred in a slot (planner_centered.c: for two threads splitting
 * rows, each half of every buffer stays on its side of the slot's centre). Fails with
 * PML_ERR_UNSUPPORTED, no message set, when the graph needs too many slots. */
pml_status pml_plan_arena_centered(pml_plan_item *items, int n, size_t *arena_size);

/* Largest sum of (aligned) sizes live at one step: no plan can use less. */
size_t pml_plan_lower_bound(const pml_plan_item *items, int n);

#endif
