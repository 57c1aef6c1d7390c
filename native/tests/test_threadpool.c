/* test_threadpool.c — every task runs exactly once, for many sizes and pool widths; a task's
 * thread index is in range and never shared by two tasks running at once; back-to-back jobs
 * with different functions (the pool's two job slots) and jobs after the workers fell asleep
 * or while one task blocks (the caller's sleeping wait) all complete with the right results. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdatomic.h>
#include <time.h>

#include "testutil.h"

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

typedef struct {
    int *hits;
} hit_arg;
static void hit(void *arg, int64_t task, int thread) {
    hit_arg *a = (hit_arg *)arg;
    __atomic_fetch_add(&a->hits[task], 1, __ATOMIC_RELAXED);
    (void)thread;
}

/* Per-thread use: a task marks its thread index busy while it runs (per-thread scratch
 * relies on no two tasks sharing an index at once). */
typedef struct {
    int threads;
    atomic_int busy[8];
    atomic_int bad_index, shared_index;
    atomic_llong sum;
} thread_arg;
static void use_thread(void *arg, int64_t task, int thread) {
    thread_arg *a = (thread_arg *)arg;
    if (thread < 0 || thread >= a->threads) {
        atomic_fetch_add(&a->bad_index, 1);
        return;
    }
    if (atomic_exchange(&a->busy[thread], 1)) atomic_fetch_add(&a->shared_index, 1);
    volatile int spin = 0;
    for (int i = 0; i < (int)(task % 7) * 50; i++) spin += i; /* uneven tasks */
    atomic_fetch_add(&a->sum, task + 1);
    atomic_store(&a->busy[thread], 0);
}

/* Two functions with different arguments alternate job after job. */
typedef struct {
    int64_t *out;
    int64_t add;
} add_arg;
static void add_to(void *arg, int64_t task, int thread) {
    (void)thread;
    add_arg *a = (add_arg *)arg;
    a->out[task] += a->add;
}
static void sub_from(void *arg, int64_t task, int thread) {
    (void)thread;
    add_arg *a = (add_arg *)arg;
    a->out[task] -= 2 * a->add;
}

static void test_each_task_once(void) {
    int hits[1000];
    for (int threads = 1; threads <= 4; threads++) {
        pml_threadpool *pool = pml_threadpool_create(threads);
        CHECK(pool != NULL);
        CHECK(pml_threadpool_size(pool) == threads);
        const int sizes[] = {0, 1, 2, 3, 13, 127, 1000};
        for (int r = 0; r < 50; r++)
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                memset(hits, 0, sizeof hits);
                hit_arg a = {hits};
                pml_parallel_for(pool, sizes[k], hit, &a);
                int ok = 1;
                for (int i = 0; i < sizes[k]; i++) ok &= hits[i] == 1;
                CHECK(ok);
            }
        pml_threadpool_destroy(pool);
    }
}

static void test_thread_indices(void) {
    for (int threads = 2; threads <= 4; threads++) {
        pml_threadpool *pool = pml_threadpool_create(threads);
        int ok = 1;
        for (int r = 0; r < 200; r++) {
            thread_arg a = {.threads = threads};
            const int64_t n = 1 + r % 37;
            pml_parallel_for(pool, n, use_thread, &a);
            ok &= atomic_load(&a.bad_index) == 0 && atomic_load(&a.shared_index) == 0 &&
                  atomic_load(&a.sum) == n * (n + 1) / 2;
        }
        CHECK(ok);
        pml_threadpool_destroy(pool);
    }
}

/* Jobs back to back alternate between the pool's two job slots; every few jobs the caller
 * pauses past the workers' spin so they go to sleep and must be woken. */
static void test_back_to_back_and_sleeping(void) {
    for (int threads = 2; threads <= 4; threads += 2) {
        pml_threadpool *pool = pml_threadpool_create(threads);
        int64_t out[64] = {0};
        int64_t expect[64] = {0};
        for (int r = 0; r < 400; r++) {
            const int64_t n = 1 + (r * 7) % 64;
            add_arg a = {out, r + 1};
            pml_parallel_for(pool, n, r % 2 ? sub_from : add_to, &a);
            for (int64_t i = 0; i < n; i++) expect[i] += r % 2 ? -2 * (r + 1) : r + 1;
            if (r % 50 == 49) sleep_us(2000);
        }
        CHECK(memcmp(out, expect, sizeof out) == 0);
        pml_threadpool_destroy(pool);
    }
}

/* One task sleeps longer than the caller spins: the caller waits on the condition variable
 * and must be woken by the worker that finishes. */
static void slow_task(void *arg, int64_t task, int thread) {
    (void)thread;
    if (task == 0) sleep_us(5000);
    atomic_fetch_add((atomic_int *)arg, 1);
}
static void test_long_task(void) {
    pml_threadpool *pool = pml_threadpool_create(2);
    int ok = 1;
    for (int r = 0; r < 5; r++) {
        atomic_int done = 0;
        pml_parallel_for(pool, 2, slow_task, &done);
        ok &= atomic_load(&done) == 2;
    }
    CHECK(ok);
    pml_threadpool_destroy(pool);
}

/* Destroying a pool whose workers spin, or sleep, returns. */
static void test_destroy(void) {
    int hits[4] = {0};
    hit_arg a = {hits};
    pml_threadpool *spinning = pml_threadpool_create(3);
    pml_parallel_for(spinning, 4, hit, &a);
    pml_threadpool_destroy(spinning);
    pml_threadpool *sleeping = pml_threadpool_create(3);
    pml_parallel_for(sleeping, 4, hit, &a);
    sleep_us(5000);
    pml_threadpool_destroy(sleeping);
    CHECK(hits[0] == 2 && hits[3] == 2);
}

/* A pool made without spinning (the session option no_spinning) gives the same results, and its
 * idle workers sleep at once: over 20 jobs each followed by 1 ms of idleness, three spinning
 * workers would burn ~20 x 3 x 200 us = 12 ms of CPU; sleeping ones only their wake-ups. */
static double process_cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static void test_no_spinning(void) {
    pml_threadpool *pool = pml_threadpool_create_spinning(4, 0);
    int64_t out[64] = {0};
    int64_t expect[64] = {0};
    double cpu = 0;
    for (int r = 0; r < 20; r++) {
        add_arg a = {out, r + 1};
        pml_parallel_for(pool, 64, add_to, &a);
        for (int i = 0; i < 64; i++) expect[i] += r + 1;
        const double before = process_cpu_ms();
        sleep_us(1000);
        cpu += process_cpu_ms() - before;
    }
    CHECK(memcmp(out, expect, sizeof out) == 0);
    if (cpu >= 4.0) fprintf(stderr, "idle CPU of a non-spinning pool: %.2f ms\n", cpu);
    CHECK(cpu < 4.0);
    pml_threadpool_destroy(pool);
}

int main(void) {
    test_each_task_once();
    test_thread_indices();
    test_back_to_back_and_sleeping();
    test_long_task();
    test_destroy();
    test_no_spinning();
    return test_finish("test_threadpool");
}
