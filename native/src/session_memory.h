/*
 * session_memory.h — a session's memory limit and its arenas (session_memory.c).
 */
#ifndef PML_SESSION_MEMORY_H
#define PML_SESSION_MEMORY_H

#include "session_plan.h"

/* Fails with PML_ERR_OUT_OF_MEMORY, naming `what`, the bytes the session would then hold
 * and the limit, when holding `extra` more bytes (beyond `freed` it would give back first)
 * exceeds s's memory limit. Charges nothing. */
pml_status pml_mem_check(const pml_session *s, size_t extra, size_t freed, const char *what);
/* Checks, then charges `bytes` to s's budget. */
pml_status pml_mem_charge(pml_session *s, size_t bytes, const char *what);
void pml_mem_release(pml_session *s, size_t bytes);

/* A new arena of `size` bytes: aligned, not zeroed (poisoned with 0xFF when s->poison). */
uint8_t *pml_session_arena_alloc(const pml_session *s, size_t size);
/* Makes the shared arena at least `size` bytes (its contents never outlive a run): checks
 * the limit before giving the old one back. On failure the session may be left without an
 * arena (arena_cap 0); activating a plan reserves again. */
pml_status pml_session_reserve_arena(pml_session *s, size_t size);
/* Checks that plan p (its op state, plan-time values and, for a tail, own arena; the shared
 * arena grown to p->arena_size for a root plan) fits the limit, and charges what p owns. */
pml_status pml_session_charge_plan(pml_session *s, pml_plan *p, int shared_arena);
/* Reads PML_POISON_ARENA once (a debugging aid: see docs/architecture.md). */
int pml_session_poison_requested(void);

#endif /* PML_SESSION_MEMORY_H */
