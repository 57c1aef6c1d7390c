/*
 * kernels/parallel.h — the task-parallel interface the kernel drivers (the GEMM driver)
 * run on. Declared here so kernels depend on nothing outside kernels/; the runtime's
 * threadpool.c implements it.
 */
#ifndef PML_KERNELS_PARALLEL_H
#define PML_KERNELS_PARALLEL_H

#include "kernels/common.h"

/* Thread pool: runs fn(arg, task, thread) for task in [0, n_tasks), spread
 * over the pool's threads including the caller; returns when all are done.
 * thread is in [0, pml_threadpool_size(pool)) so tasks can use per-thread
 * scratch. A NULL pool runs everything on the caller. */
typedef struct pml_threadpool pml_threadpool;
typedef void (*pml_task_fn)(void *arg, int64_t task, int thread);
int pml_threadpool_size(const pml_threadpool *pool);
void pml_parallel_for(pml_threadpool *pool, int64_t n_tasks, pml_task_fn fn, void *arg);

/* Per-thread scratch: pool thread t's region starts at base + t * stride. A session gives
 * every node the same regions (one stride for the whole plan), so the bytes a thread uses as
 * scratch are the ones it used in the node before: no cache line of them changes cores
 * between ops. A caller with one buffer of its own passes its per-thread bytes as the stride
 * (pml_thread_scratch_of). */
typedef struct pml_thread_scratch {
    uint8_t *base;
    size_t stride;
} pml_thread_scratch;

static inline pml_thread_scratch pml_thread_scratch_of(void *base, size_t stride) {
    pml_thread_scratch ts = {(uint8_t *)base, stride};
    return ts;
}

static inline void *pml_thread_scratch_at(pml_thread_scratch ts, int thread) {
    return ts.base ? ts.base + (size_t)thread * ts.stride : NULL;
}

#endif /* PML_KERNELS_PARALLEL_H */
