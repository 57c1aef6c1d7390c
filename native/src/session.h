/*
 * session.h — struct pml_session and the session lifecycle behind the public
 * API (api.c validates arguments, then calls these).
 *
 * Ownership: a session borrows its model (which must outlive it), owns a copy
 * of the model's tensor table (shapes re-inferred; non-constant data points
 * into the arena), one kernel context per node (with op-owned state from
 * prepare), the arena and the thread pool. Constant tensors keep pointing
 * into the model's weights.
 */
#ifndef PML_SESSION_H
#define PML_SESSION_H

#include "model.h"

struct pml_session {
    const pml_model *model;
    pml_tensor *tensors;        /* n = model->n_tensors */
    pml_kernel_ctx *ctx;        /* one per node */
    const pml_op_def **defs;    /* one per node */
    pml_tensor **slots;         /* backing store of every ctx's in/out arrays */
    int n_started;              /* nodes whose infer ran: their release must run */
    uint8_t *arena;
    size_t arena_size, state_size;
    char *input_set;            /* per graph input: set since the last run */
    int outputs_valid;          /* the last run completed */
    pml_cpu cpu;
    int scalar_only, num_threads;
    pml_threadpool *pool;       /* NULL when running on the caller only */
    const char *isa;
};

pml_status pml_session_build(const pml_model *model, const pml_session_options *options, pml_session **out);
void pml_session_destroy(pml_session *s);
pml_status pml_session_copy_input(pml_session *s, int index, const void *data, size_t nbytes);
pml_status pml_session_execute(pml_session *s);

#endif
