/*
 * threadpool.c — a fixed pool of worker threads for pml_parallel_for.
 *
 * The caller is thread 0 and works too; workers 1..n-1 wait for a new
 * "generation" of work, then all threads pull task indices from one atomic
 * counter until it runs out. Workers spin briefly before sleeping on a
 * condition variable because kernels are short (tens of microseconds) and a
 * sleep/wake round-trip would cost as much as the work. Nothing is allocated
 * per call.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

#define PML_SPIN_ITERS 20000

struct pml_threadpool {
    int size;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_cond_t done;
    /* current job */
    pml_task_fn fn;
    void *arg;
    int64_t n_tasks;
    atomic_llong next_task;
    atomic_int busy_workers;
    atomic_ulong generation;
    atomic_int stop;
};

typedef struct worker_arg {
    pml_threadpool *pool;
    int index;
} worker_arg;

static void run_tasks(pml_threadpool *pool, int thread) {
    for (;;) {
        int64_t t = atomic_fetch_add_explicit(&pool->next_task, 1, memory_order_relaxed);
        if (t >= pool->n_tasks) break;
        pool->fn(pool->arg, t, thread);
    }
}

static void *worker_main(void *p) {
    worker_arg *wa = (worker_arg *)p;
    pml_threadpool *pool = wa->pool;
    int index = wa->index;
    free(wa);
    unsigned long seen = 0;
    for (;;) {
        unsigned long gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
               !atomic_load(&pool->stop)) {
            if (++spins < PML_SPIN_ITERS) continue;
            pthread_mutex_lock(&pool->mutex);
            while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load(&pool->stop)) return NULL;
        seen = gen;
        run_tasks(pool, index);
        if (atomic_fetch_sub_explicit(&pool->busy_workers, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
}

pml_threadpool *pml_threadpool_create(int num_threads) {
    if (num_threads < 1) num_threads = 1;
    pml_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->size = num_threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (num_threads > 1) {
        pool->threads = calloc((size_t)num_threads - 1, sizeof(pthread_t));
        if (!pool->threads) {
            free(pool);
            return NULL;
        }
        for (int i = 1; i < num_threads; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (!wa || (wa->pool = pool, wa->index = i, pthread_create(&pool->threads[i - 1], NULL, worker_main, wa)) != 0) {
                free(wa);
                pool->size = i; /* keep the threads that did start */
                break;
            }
        }
    }
    return pool;
}

void pml_threadpool_destroy(pml_threadpool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->size; i++) pthread_join(pool->threads[i - 1], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    free(pool->threads);
    free(pool);
}

int pml_threadpool_size(const pml_threadpool *pool) { return pool ? pool->size : 1; }

void pml_parallel_for(pml_threadpool *pool, int64_t n_tasks, pml_task_fn fn, void *arg) {
    if (n_tasks <= 0) return;
    if (!pool || pool->size == 1 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(arg, t, 0);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    pool->n_tasks = n_tasks;
    atomic_store_explicit(&pool->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->busy_workers, pool->size - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    run_tasks(pool, 0);
    int spins = 0;
    while (atomic_load_explicit(&pool->busy_workers, memory_order_acquire) > 0) {
        if (++spins < PML_SPIN_ITERS) continue;
        pthread_mutex_lock(&pool->mutex);
        while (atomic_load(&pool->busy_workers) > 0) pthread_cond_wait(&pool->done, &pool->mutex);
        pthread_mutex_unlock(&pool->mutex);
    }
}
