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

#endif /* PML_KERNELS_PARALLEL_H */
