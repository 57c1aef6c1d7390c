/*
 * session.h — struct pml_session and the session lifecycle behind the public
 * API (api.c validates arguments, then calls these).
 *
 * Ownership: a session borrows its model (which must outlive it), owns a live
 * copy of the model's tensor table and one kernel context per node (what the
 * executor reads), a small LRU cache of plans (one per input-shape
 * signature: inferred shapes, op state from prepare, values computed at plan
 * time, arena offsets), one arena sized for the largest cached plan, and the
 * thread pool, and per node the weights packed once by the op's pack stage
 * (ctx[i].packed: shared read-only by every plan, freed at destroy).
 * Activating a plan copies its shapes, offsets and op state into the live
 * tables; constant tensors keep pointing into the model's weights.
 */
#ifndef PML_SESSION_H
#define PML_SESSION_H

#include <stdatomic.h>

#include "model.h"

#define PML_DEFAULT_PLAN_CACHE 8

typedef struct pml_plan pml_plan;

/* The memory a session tree may hold (session_memory.c): a model session owns one, its
 * control-flow children charge the same one. */
typedef struct pml_mem_budget {
    size_t limit; /* bytes; 0 = no limit */
    size_t used;  /* bytes charged now: arenas, packed weights, state, cached plans' op state */
} pml_mem_budget;

struct pml_session {
    const pml_model *model;
    pml_tensor *tensors;        /* live table, n = model->n_tensors (the active plan's shapes/data) */
    pml_kernel_ctx *ctx;        /* one per node (the active plan's state/scratch) */
    const pml_op_def **defs;    /* one per node */
    pml_tensor **slots;         /* backing store of every ctx's in/out arrays */
    const uint8_t *skip;        /* per node: computed at plan time, not run (active plan's) */
    uint8_t *arena;
    size_t arena_cap;           /* bytes allocated: the largest cached plan's arena */
    size_t arena_size;          /* of the active plan */
    size_t state_size;          /* packed_size + the active plan's op state */
    size_t packed_size;         /* bytes packed by the ops' pack stage (ctx[i].packed), shared by every plan */
    char *input_set;            /* per graph input: set since the last run */
    int outputs_valid;          /* the last run completed */
    pml_cpu cpu;
    const struct pml_kernel_config *config; /* the kernels every op uses (kernels/config.h) */
    int num_threads;
    pml_threadpool *pool;       /* NULL when running on the caller only */

    /* input shapes: what the caller asked for (symbolic dims -1 until set) */
    int *in_offset;             /* per graph input: start of its dims in req */
    int64_t *req;               /* concatenated dims of every graph input */
    int sig_len;                /* total dims of all inputs */
    int shape_dirty;            /* req (or a plan-time input's value) differs from the active plan's */
    /* plan-time inputs: graph inputs whose values fix shapes (they reach a schema port marked
     * plan, e.g. a Reshape's shape, directly or through nodes computing it). Their values are
     * part of a plan's key, read while planning, and kept by the plan; set them first. */
    uint8_t *plan_input;        /* per graph input: 1 if plan-time */
    int n_plan_inputs;
    void **staged;              /* per graph input: a plan-time input's value as last set (malloc), or NULL */
    size_t *staged_size;        /* its bytes; 0 until set for the current requested shape */
    pml_plan **plans;           /* cached plans, most recently used first */
    int n_plans, plan_cap;
    pml_plan *active;           /* NULL until the input shapes are known */
    int plan_count;             /* plans computed (cache misses) */
    int data_dependent;         /* some node's output sizes depend on values (session_tail.c) */
    void **state_mem;           /* per node: a Variable's value between runs, else NULL (session_state.c) */
    size_t state_bytes;         /* their bytes */
    int owns_pool;              /* 0 for a child session (a subgraph's), which borrows its parent's */
    int64_t loop_limit;         /* iterations of a loop without a trip count (options) */
    uint64_t *profile_ns;       /* per node: run time summed over profiled runs; NULL when profiling is off */
    uint64_t profile_runs;      /* completed runs since profiling was switched on */
    atomic_int cancel_flag;     /* set by pml_session_cancel from any thread, cleared by pml_session_run */
    atomic_int *cancel;         /* the flag runs check: &cancel_flag, or a child's root session's flag */
    pml_mem_budget budget_own;  /* a model session's budget (options.memory_limit) */
    pml_mem_budget *budget;     /* what this session charges: &budget_own, or its root session's */
    size_t held;                /* bytes this session charged for packed weights, state and its arena */
    int poison;                 /* PML_POISON_ARENA=1 at the root's creation: new arenas are filled with 0xFF */
};

pml_status pml_session_build(const pml_model *model, const pml_session_options *options, pml_session **out);
/* The calls through which control-flow ops drive their child sessions (session_control.c). */
extern const pml_subgraph_calls pml_session_subgraph_calls;
void pml_session_destroy(pml_session *s);
pml_status pml_session_set_shape(pml_session *s, int index, int rank, const int64_t *dims);
/* Shape the next set_input expects for input `index` (-1 for symbolic dims not set yet). */
void pml_session_requested_shape(const pml_session *s, int index, pml_tensor *out);
pml_status pml_session_copy_input(pml_session *s, int index, const void *data, size_t nbytes);
pml_status pml_session_execute(pml_session *s);
/* Input `index`'s arena bytes for the current shapes (planning first if needed); marks it set. */
pml_status pml_session_input_slot(pml_session *s, int index, void **data, size_t *nbytes);
/* Cancellation: request (any thread) and clear (at the start of a root run). */
void pml_session_request_cancel(pml_session *s);
void pml_session_clear_cancel(pml_session *s);
pml_status pml_session_profiling(pml_session *s, int enable);

#endif
