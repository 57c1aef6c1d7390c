/*
 * session_memory.c — what a session's memory limit (pml_session_options.memory_limit)
 * counts, and the arenas it allocates.
 *
 * A model session and its control-flow children share one budget. Charged to it: the
 * weights the ops pack at creation, the Variables' state memory, every cached plan's op
 * state and plan-time values, the shared arena (its capacity: the largest cached plan's)
 * and each tail plan's own arena. Not charged: the model itself (its weights are the
 * loader's, mapped once however many sessions use it), the small per-node tables a
 * session keeps whatever the shapes, and buffers a Loop grows while it runs. Every check
 * happens while planning, before the memory is allocated, so a shape whose plan does not
 * fit is an error naming the bytes and the limit, and the session keeps its old plan
 * and arena; a run allocates nothing.
 *
 * Arenas are not zeroed (overcommit grants a huge allocation, and zeroing it would then
 * touch every page: the OOM killer instead of an error). Every op writes what it reads;
 * PML_POISON_ARENA=1 in the environment when a session is created fills new arenas with
 * 0xFF bytes (NaN as float, -1 as integers) to prove it.
 */
#include "session_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pml_checked.h"

/* " (4.8 GiB)" for sizes of a MiB or more: the limit is usually a round number of those. */
static const char *readable(size_t bytes, char *buf, size_t cap) {
    static const char *const units[] = {"MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes / (1024.0 * 1024.0);
    int u = 0;
    buf[0] = 0;
    if (v < 1.0) return buf;
    while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
    snprintf(buf, cap, " (%.3g %s)", v, units[u]);
    return buf;
}

pml_status pml_mem_check(const pml_session *s, size_t extra, size_t freed, const char *what) {
    const pml_mem_budget *b = s->budget;
    size_t base = b->used - (freed < b->used ? freed : b->used), total;
    int fits = pml_checked_add(base, extra, &total);
    char t[32], l[32];
    if (b->limit && (!fits || total > b->limit))
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "%s needs %zu bytes; with the %zu bytes the session holds "
                             "already that is %s%zu bytes%s, over its memory limit of %zu bytes%s", what, extra, base,
                             fits ? "" : "more than ", fits ? total : SIZE_MAX, readable(fits ? total : SIZE_MAX, t,
                             sizeof t), b->limit, readable(b->limit, l, sizeof l));
    if (!fits)
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "%s needs %zu bytes, more than this process can address", what,
                             extra);
    return PML_OK;
}

pml_status pml_mem_charge(pml_session *s, size_t bytes, const char *what) {
    pml_status st = pml_mem_check(s, bytes, 0, what);
    if (st == PML_OK) s->budget->used += bytes;
    return st;
}

void pml_mem_release(pml_session *s, size_t bytes) {
    s->budget->used -= bytes < s->budget->used ? bytes : s->budget->used;
}

int pml_session_poison_requested(void) {
    const char *v = getenv("PML_POISON_ARENA");
    return v && *v && strcmp(v, "0") != 0;
}

uint8_t *pml_session_arena_alloc(const pml_session *s, size_t size) {
    uint8_t *p = pml_aligned_malloc(size ? size : 1);
    if (p && s->poison) memset(p, 0xFF, size ? size : 1);
    return p;
}

pml_status pml_session_reserve_arena(pml_session *s, size_t size) {
    if (size <= s->arena_cap) return PML_OK;
    char what[96];
    snprintf(what, sizeof what, "an arena of %zu bytes", size);
    pml_status st = pml_mem_check(s, size, s->arena_cap, what);
    if (st != PML_OK) return st;
    /* the old arena goes first: both at once could be what the limit is there to prevent */
    pml_aligned_free(s->arena);
    pml_mem_release(s, s->arena_cap);
    s->held -= s->arena_cap;
    s->arena = NULL;
    s->arena_cap = 0;
    uint8_t *arena = pml_session_arena_alloc(s, size);
    if (!arena) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory allocating the %zu-byte arena", size);
    s->arena = arena;
    s->arena_cap = size;
    s->budget->used += size;
    s->held += size;
    return PML_OK;
}

/* Input shapes of the plan being built, "[1,3,224,224] [1,77]", for messages. */
static void shapes_str(const pml_session *s, char *buf, size_t cap) {
    const pml_model *m = s->model;
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; k < m->n_inputs && len + 1 < cap; k++) {
        const pml_tensor *t = &s->tensors[m->inputs[k]];
        char one[256];
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? " " : "", pml_shape_str(t->rank, t->dims, one,
                                                                                            sizeof one));
    }
}

pml_status pml_session_charge_plan(pml_session *s, pml_plan *p, int shared_arena) {
    size_t small = p->state_size + p->known_bytes; /* op state structs and <= 64 KiB values: far from overflow */
    size_t own = small, arena_extra = 0, total;
    int ok = shared_arena || pml_checked_add(own, p->arena_size, &own);
    if (shared_arena && p->arena_size > s->arena_cap) arena_extra = p->arena_size - s->arena_cap;
    ok = ok && pml_checked_add(own, arena_extra, &total);
    char shapes[512], what[768];
    shapes_str(s, shapes, sizeof shapes);
    snprintf(what, sizeof what, "the %s for input shapes %s (arena %zu bytes, op state and plan-time values %zu)",
             shared_arena ? "plan" : "plan of the nodes after a data-dependent node", shapes,
             p->arena_size, small);
    if (!ok) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "%s: its size overflows size_t", what);
    pml_status st = pml_mem_check(s, total, 0, what);
    if (st != PML_OK) return st;
    s->budget->used += own; /* the shared arena is charged when it grows */
    p->charged = own;
    return PML_OK;
}
