/* test_threadpool.c — every task runs exactly once, for many sizes and pool widths. */
#include "testutil.h"

typedef struct { int *hits; } hit_arg;
static void hit(void *arg, int64_t task, int thread) {
    hit_arg *a = (hit_arg *)arg;
    __atomic_fetch_add(&a->hits[task], 1, __ATOMIC_RELAXED);
    (void)thread;
}

int main(void) {
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
    return test_finish("test_threadpool");
}
