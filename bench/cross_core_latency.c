/*
 * cross_core_latency.c — how far apart the first two CPUs this process may run on are: the
 * round trip of one cache line between two threads pinned to them, in nanoseconds (median of
 * 15 batches). On a VM the host may place the two vCPUs on cores sharing an L3 (this EPYC:
 * ~60 ns) or on different L3 domains (~340 ns); every multi-threaded time depends on which,
 * so bench/host_probe.py prints it next to two-thread results. Not part of the library.
 *
 *     cc -O2 -pthread cross_core_latency.c -o cross_core_latency && ./cross_core_latency
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TRIPS 20000
#define BATCHES 15

static _Alignas(64) atomic_int ball;
static int cpus[2];

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* The partner returns the ball: odd values are its turn, even ones the main thread's. */
static void *partner(void *unused) {
    (void)unused;
    pin(cpus[1]); /* unpinned if refused: still a round trip, maybe a shorter one */
    for (int i = 0; i < BATCHES * TRIPS; i++) {
        while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&ball, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed)) return 1;
    int found = 0;
    for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
        if (CPU_ISSET(c, &allowed)) cpus[found++] = c;
    if (found < 2) {
        fprintf(stderr, "cross_core_latency: fewer than two CPUs available\n");
        return 2;
    }
    pin(cpus[0]);
    pthread_t t;
    if (pthread_create(&t, NULL, partner, NULL)) return 1;
    double batch[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        const double t0 = now_ns();
        for (int i = b * TRIPS; i < (b + 1) * TRIPS; i++) {
            atomic_store_explicit(&ball, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 2) {}
        }
        batch[b] = (now_ns() - t0) / TRIPS;
    }
    pthread_join(t, NULL);
    qsort(batch, BATCHES, sizeof batch[0], by_value);
    printf("%.0f\n", batch[BATCHES / 2]);
    return 0;
}
