/*
 * session_plan.h — what session.c and session_plan.c share: building, activating and
 * freeing plans, and two helpers both use. Nothing outside the session includes it.
 */
#ifndef PML_SESSION_PLAN_H
#define PML_SESSION_PLAN_H

#include "session.h"

#define PML_NO_OFFSET SIZE_MAX /* a tensor without an arena offset */
/* The stride of the threads' scratch regions rounds up to this: no cache line, nor pair of
 * lines a prefetcher fetches together, is shared by two threads' regions. */
#define PML_THREAD_SCRATCH_ALIGN 4096

typedef struct plan_node {
    void *state; /* op state from prepare, owned by the plan */
    size_t state_size, scratch_size, scratch_offset;
    size_t thread_scratch_size; /* per pool thread, in the plan's thread regions */
    int with_next; /* runs node i + 1 too (pml_op_def.run_with_next), which is then skipped */
    void *known; /* outputs computed at plan time (one block), or NULL */
} plan_node;

struct pml_plan {
    int64_t *sig;        /* the input dims this plan is for (s->sig_len) */
    pml_tensor *tensors; /* shapes; data of constants and plan-time values */
    size_t *offset;      /* per tensor: arena offset or PML_NO_OFFSET */
    plan_node *nodes;
    uint8_t *skip;       /* per node: computed at plan time */
    uint8_t *values;     /* the plan-time inputs' values this plan is for (one block), or NULL */
    size_t *value_off;   /* per graph input: offset of its value in values */
    size_t arena_size, state_size;
    /* The pool threads' scratch regions (one arena item from the first node asking for
     * thread scratch to the last): thread t's at thread_scratch_offset + t * stride, the
     * stride the largest request rounded up to PML_THREAD_SCRATCH_ALIGN. */
    size_t thread_scratch_offset, thread_scratch_stride;
    /* Data-dependent shapes: the plan runs nodes [first, end). When end < n_nodes, node
     * end - 1 is data-dependent (NonZero, NonMaxSuppression...: its output shapes are
     * known once it has run); the nodes after it run in a tail plan, built for the dims
     * it produced and cached here. A tail owns its arena; the root plan (first == 0)
     * uses the session's. */
    int first, end;
    int data_dependent_end; /* node end - 1 is data-dependent (the last node, or one with a tail) */
    struct pml_plan **tails;
    int n_tails;
    uint8_t *own_arena;
    int64_t *key; /* a tail's: the dims its data-dependent node produced (key_len values) */
    int key_len;
    size_t known_bytes; /* plan-time values it owns (nodes[].known, values) */
    size_t charged;     /* bytes charged to the session's memory budget for it, released when freed */
};

/* A zeroed plan with its per-tensor and per-node tables (NULL when out of memory). */
pml_plan *pml_session_plan_alloc(const pml_session *s);
/* Infers and prepares nodes first.. into the live tables until the end of the graph or a
 * data-dependent node that cannot run while planning (p->end), plans the arena of that
 * range and keeps its shapes and op state in p. Tensors read by it that earlier nodes
 * produce must be live already. On failure the started nodes' op state is released. */
pml_status pml_session_plan_range(pml_session *s, pml_plan *p, int first);
/* Once plan p's nodes [first, end) are prepared (live tables hold their shapes and
 * requests): pairs the nodes that run the next one with them, then plans the arena of the
 * range: offsets of the run-time tensors, node scratch and the threads' scratch regions
 * (session_layout.c). */
pml_status pml_session_plan_layout(pml_session *s, pml_plan *p);
/* Control flow provides its outputs' memory at run time (its children's, or its own). */
int pml_session_owns_outputs(const pml_kernel_ctx *ctx);
/* Points node i's live op state and scratch at plan p's, its scratch inside `arena`. */
void pml_session_point_node(pml_session *s, const pml_plan *p, int i, uint8_t *arena);
/* Points the live tables of nodes [p->first, n_nodes) and their outputs at tail p. */
void pml_session_activate_tail(pml_session *s, pml_plan *p);
/* After the data-dependent node p->end - 1 ran (and pml_session_check_produced): activates
 * the tail plan for the dims it produced (cached in p, or built) into *tail. */
pml_status pml_session_enter_tail(pml_session *s, pml_plan *p, pml_plan **tail);
/* Before data-dependent node p->end - 1 runs again: its outputs' bounds from plan p. */
void pml_session_restore_bounds(pml_session *s, const pml_plan *p);
/* After a node ran: its outputs' bytes from the dims it wrote, which must fit the bound
 * its infer gave (PML_ERR_INTERNAL otherwise). */
pml_status pml_session_check_produced(pml_kernel_ctx *ctx);

/* Does plan p match the requested shapes and the staged plan-time input values? */
int pml_session_plan_matches(const pml_session *s, const pml_plan *p);
/* Plans the requested input shapes (s->req) into a new cached plan and activates it. */
pml_status pml_session_build_plan(pml_session *s);
/* Activates the plan for the requested input shapes (from the cache or new). */
pml_status pml_session_ensure_plan(pml_session *s);
void pml_session_plan_free(pml_session *s, pml_plan *p);

/* Makes sure a failing op's message names its node (stage: "pack", "infer", "run"...). */
pml_status pml_session_node_failed(const pml_kernel_ctx *ctx, pml_status status, const char *stage);
/* Bytes of a concrete shape, or 0 with *ok = 0 when a dim is negative or the size
 * exceeds PML_MAX_TENSOR_BYTES. */
size_t pml_session_checked_nbytes(pml_dtype dtype, int rank, const int64_t *dims, int *ok);

#endif /* PML_SESSION_PLAN_H */
