/*
 * threadpool.c — a fixed pool of worker threads for pml_parallel_for.
 *
 * The caller is thread 0 and works too. A job of n tasks is cut into one contiguous range
 * per thread, each range an atomic word generation << 32 | next task on its own cache line.
 * A thread drains its own range first, then steals what is left of the others' (so the
 * tasks are balanced dynamically, yet consecutive ops hand a thread the same rows: it reads
 * what it wrote from its own cache, as XNNPACK's pthreadpool does). A task is claimed with
 * a compare-and-swap that also checks the generation, so a worker that wakes late can never
 * take a task of a job that is over: the caller does not wait for workers to show up, only
 * for the tasks that were claimed to finish (a counter), and when no worker comes in time
 * it runs every task itself.
 *
 * Kernels are short (tens of microseconds; an int8 CNN runs ~30 of them in 1 ms), so a
 * sleep/wake round-trip through the kernel (5-50 us, more on a loaded machine) would cost
 * as much as the work: idle workers spin on the word, with the CPU's pause hint, for
 * PML_SPIN_NS before sleeping on a condition variable, and so does the caller waiting for
 * the last task; past PML_SPIN_PAUSE_NS a spinning thread yields its core between checks
 * (on an oversubscribed machine the thread it waits for may be queued behind it). A pool created with a spin time of 0 (the session option no_spinning, like
 * onnxruntime's session.intra_op.allow_spinning=0) sleeps at once: no CPU burnt between
 * kernels or runs, for a wake-up's latency per job. Nothing is allocated per call.
 *
 * A job's function, argument and task count sit in one of two slots chosen by the
 * generation's parity. A worker reads them before its claim; the claim's CAS succeeds only
 * while the generation is unchanged, which proves the slot was not yet rewritten (the caller
 * refills a slot two generations later, after publishing the one in between). One caller at
 * a time: sessions serialise their runs, and kernels do not nest parallel_for.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* How long an idle thread spins before sleeping: longer than the gap between two kernels
 * of one run and than a typical gap between runs from Python (10-50 us), short enough that
 * an idle session costs nothing measurable. */
#define PML_SPIN_NS 200000
/* After this much spinning a waiting thread yields its core between checks. On a machine
 * with more runnable threads than cores, the thread it waits for (a worker holding a claimed
 * task) may be queued behind it on the same core: a pure spin then waits out a scheduler time
 * slice per kernel. bench/bench_int8.py's int8 conv net at 2 threads, median ms of one process:
 * next to a benchmark process on the 2 cores, 1.6-2.0 without the yield, 1.37-1.43 yielding
 * after 20 us, 1.34-1.35 after 100 us; under load 5-7, 2.1-6.0 without, ~1.5 after 20 us; on
 * an idle machine all three 0.72-0.75 (one thread: 1.30). Most waits between kernels are
 * shorter than this and never reach the yield. */
#define PML_SPIN_PAUSE_NS 100000
/* Tasks per job at most (the index has 32 bits); larger jobs run as several */
#define PML_MAX_JOB_TASKS ((int64_t)1 << 30)

#define PML_CACHE_LINE 64

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until done(ctx) or spin_ns passed; returns done(ctx). */
static int spin_until(int (*done)(void *), void *ctx, uint64_t spin_ns) {
    if (spin_ns == 0) return done(ctx);
    uint64_t start = 0;
    for (unsigned i = 1;; i++) {
        if (done(ctx)) return 1;
        cpu_relax();
        if (i % 64 == 0) { /* a clock read every ~2-5 us of spinning */
            const uint64_t t = now_ns();
            if (!start) start = t;
            else if (t - start > spin_ns) return done(ctx);
            else if (t - start > PML_SPIN_PAUSE_NS) sched_yield();
        }
    }
}

typedef struct job_slot {
    _Atomic(pml_task_fn) fn;
    _Atomic(void *) arg;
    atomic_llong n_tasks;
    atomic_llong base; /* task index of the job's first task (jobs over PML_MAX_JOB_TASKS) */
} job_slot;

/* One thread's share of a job: generation << 32 | its next task; alone on its cache line,
 * which its owner spins on while idle. */
typedef struct range_word {
    _Alignas(PML_CACHE_LINE) atomic_uint_least64_t state;
} range_word;

struct pml_threadpool {
    range_word *range; /* size words */
    /* written by each thread once per job */
    _Alignas(PML_CACHE_LINE) atomic_llong finished; /* tasks of the current job that finished */
    _Alignas(PML_CACHE_LINE) job_slot slot[2];
    uint32_t generation; /* the caller's: of the last job published */
    atomic_int sleeping_workers;
    atomic_int caller_sleeping;
    atomic_int stop;
    int size;
    uint64_t spin_ns; /* how long idle threads spin before sleeping; 0: sleep at once */
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_cond_t done;
};

static inline uint32_t generation_of(uint64_t state) { return (uint32_t)(state >> 32); }

/* First task of thread r's range in a job of n tasks over `size` threads */
static inline int64_t range_start(int64_t n, int r, int size) { return n * r / size; }

/* Claims and runs the tasks of range r of job gen, which ends at `end`. Returns how many
 * it ran; *over is set when the range shows a later generation (the job is done). */
static int64_t drain_range(pml_threadpool *pool, int r, uint32_t gen, int64_t end, pml_task_fn fn, void *arg,
                           int64_t base, int thread, int *over) {
    atomic_uint_least64_t *word = &pool->range[r].state;
    uint64_t s = atomic_load_explicit(word, memory_order_acquire);
    int64_t ran = 0;
    for (;;) {
        if (generation_of(s) != gen) { /* not yet published (a worker looking early), or over */
            *over = (int32_t)(generation_of(s) - gen) > 0;
            return ran;
        }
        const int64_t i = (int64_t)(uint32_t)s;
        if (i >= end) return ran;
        /* success: the generation is still gen, so fn/arg/end are this job's */
        if (atomic_compare_exchange_weak_explicit(word, &s, s + 1, memory_order_acq_rel, memory_order_acquire)) {
            fn(arg, base + i, thread);
            ran++;
            s++;
        }
    }
}

/* Runs tasks of job gen: first this thread's own range (so consecutive ops give a thread the
 * same rows: what it wrote, it reads from its own cache), then what is left of the others'.
 * Adds the ones it ran to `finished`; returns 1 when that completed the job. */
static int run_job(pml_threadpool *pool, uint32_t gen, int thread) {
    const job_slot *js = &pool->slot[gen & 1];
    const pml_task_fn fn = atomic_load_explicit(&js->fn, memory_order_acquire);
    void *const arg = atomic_load_explicit(&js->arg, memory_order_acquire);
    const int64_t n = atomic_load_explicit(&js->n_tasks, memory_order_acquire);
    const int64_t base = atomic_load_explicit(&js->base, memory_order_acquire);
    const int size = pool->size;
    int64_t ran = 0;
    int over = 0;
    for (int k = 0; k < size && !over; k++) {
        const int r = (thread + k) % size;
        ran += drain_range(pool, r, gen, range_start(n, r + 1, size), fn, arg, base, thread, &over);
    }
    if (!ran) return 0;
    /* seq_cst: pairs with the caller's caller_sleeping (see worker_main) */
    return atomic_fetch_add(&pool->finished, ran) + ran == n;
}

typedef struct gen_wait {
    pml_threadpool *pool;
    int index;
    uint32_t seen;
    uint64_t state;
} gen_wait;

static int new_generation(void *p) {
    gen_wait *w = (gen_wait *)p;
    w->state = atomic_load(&w->pool->range[w->index].state); /* seq_cst: pairs with sleeping_workers */
    return generation_of(w->state) != w->seen || atomic_load_explicit(&w->pool->stop, memory_order_relaxed);
}

static void *worker_main(void *p) {
    pml_threadpool *pool = ((void **)p)[0];
    const int index = (int)(intptr_t)((void **)p)[1];
    free(p);
    gen_wait w = {pool, index, 0, 0};
    for (;;) {
        if (!spin_until(new_generation, &w, pool->spin_ns)) {
            pthread_mutex_lock(&pool->mutex);
            atomic_fetch_add(&pool->sleeping_workers, 1); /* seq_cst: pairs with the caller's publish */
            while (!new_generation(&w)) pthread_cond_wait(&pool->wake, &pool->mutex);
            atomic_fetch_sub(&pool->sleeping_workers, 1);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load(&pool->stop)) return NULL;
        w.seen = generation_of(w.state);
        if (run_job(pool, w.seen, index) && atomic_load(&pool->caller_sleeping)) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
}

pml_threadpool *pml_threadpool_create(int num_threads) { return pml_threadpool_create_spinning(num_threads, 1); }

pml_threadpool *pml_threadpool_create_spinning(int num_threads, int spin) {
    if (num_threads < 1) num_threads = 1;
    pml_threadpool *pool = aligned_alloc(PML_CACHE_LINE, (sizeof(pml_threadpool) + PML_CACHE_LINE - 1) /
                                                             PML_CACHE_LINE * PML_CACHE_LINE);
    if (!pool) return NULL;
    memset(pool, 0, sizeof *pool);
    atomic_init(&pool->finished, 0);
    pool->size = num_threads;
    pool->spin_ns = spin ? PML_SPIN_NS : 0;
    pool->range = aligned_alloc(PML_CACHE_LINE, (size_t)num_threads * sizeof(range_word));
    if (!pool->range) {
        free(pool);
        return NULL;
    }
    for (int i = 0; i < num_threads; i++) atomic_init(&pool->range[i].state, 0);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (num_threads > 1) {
        pool->threads = calloc((size_t)num_threads - 1, sizeof(pthread_t));
        if (!pool->threads) {
            free(pool->range);
            free(pool);
            return NULL;
        }
        for (int i = 1; i < num_threads; i++) {
            void **wa = malloc(2 * sizeof *wa);
            if (!wa || (wa[0] = pool, wa[1] = (void *)(intptr_t)i,
                        pthread_create(&pool->threads[i - 1], NULL, worker_main, wa)) != 0) {
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
    free(pool->range);
    free(pool);
}

int pml_threadpool_size(const pml_threadpool *pool) { return pool ? pool->size : 1; }

typedef struct finish_wait {
    pml_threadpool *pool;
    int64_t n;
} finish_wait;

static int job_finished(void *p) {
    const finish_wait *f = (const finish_wait *)p;
    return atomic_load(&f->pool->finished) == f->n; /* seq_cst: pairs with caller_sleeping */
}

/* One job of n <= PML_MAX_JOB_TASKS tasks numbered from base. */
static void run_on_pool(pml_threadpool *pool, int64_t base, int64_t n, pml_task_fn fn, void *arg) {
    const uint32_t gen = ++pool->generation;
    job_slot *js = &pool->slot[gen & 1];
    atomic_store_explicit(&js->fn, fn, memory_order_release);
    atomic_store_explicit(&js->arg, arg, memory_order_release);
    atomic_store_explicit(&js->n_tasks, n, memory_order_release);
    atomic_store_explicit(&js->base, base, memory_order_release);
    atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
    /* seq_cst: pairs with sleeping_workers */
    for (int r = 0; r < pool->size; r++)
        atomic_store(&pool->range[r].state, (uint64_t)gen << 32 | (uint64_t)range_start(n, r, pool->size));
    if (atomic_load(&pool->sleeping_workers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    /* every range is published: the caller's pass over them leaves no task unclaimed */
    if (run_job(pool, gen, 0)) return;
    finish_wait f = {pool, n};
    if (spin_until(job_finished, &f, pool->spin_ns)) return;
    /* a worker holding a task was preempted, or its task is long: sleep until it is done */
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->caller_sleeping, 1); /* seq_cst: pairs with the finishing worker's check */
    while (!job_finished(&f)) pthread_cond_wait(&pool->done, &pool->mutex);
    atomic_store(&pool->caller_sleeping, 0);
    pthread_mutex_unlock(&pool->mutex);
}

void pml_parallel_for(pml_threadpool *pool, int64_t n_tasks, pml_task_fn fn, void *arg) {
    if (n_tasks <= 0) return;
    if (!pool || pool->size == 1 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(arg, t, 0);
        return;
    }
    for (int64_t base = 0; base < n_tasks; base += PML_MAX_JOB_TASKS)
        run_on_pool(pool, base, n_tasks - base < PML_MAX_JOB_TASKS ? n_tasks - base : PML_MAX_JOB_TASKS, fn, arg);
}
