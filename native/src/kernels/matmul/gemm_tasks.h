/*
 * kernels/matmul/gemm_tasks.h — how a GEMM driver cuts its work into thread-pool tasks,
 * shared by the f32 (gemm_driver.c) and int8 (qgemm_driver.c) engines so both balance
 * alike: batch x M blocks x N blocks, M blocks first (a task keeps its A block in L2 while
 * the B panels pass over it).
 */
#ifndef PML_KERNELS_GEMM_TASKS_H
#define PML_KERNELS_GEMM_TASKS_H

#include <stdint.h>

static inline int64_t pml_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

typedef struct pml_gemm_split {
    int64_t mb, m_blocks; /* rows per M block (a multiple of mr), blocks per batch */
    int64_t ppt, n_blocks; /* panels per N block, blocks */
} pml_gemm_split;

/* The split of m rows (per batch) x n_panels panels for `threads` threads, starting from M
 * blocks of mb_max rows (what fits the cache). With more than one thread it makes at least
 * 4 tasks per thread when it can, for dynamic load balancing: first smaller M blocks (down
 * to 4 tiles of mr rows), then N blocks. */
static inline pml_gemm_split pml_gemm_split_make(int64_t batch, int64_t m, int64_t mr, int64_t mb_max,
                                                 int64_t n_panels, int threads) {
    pml_gemm_split s;
    s.mb = mb_max > m ? (m > 0 ? m : 1) : mb_max;
    s.m_blocks = pml_ceil_div(m, s.mb);
    s.ppt = n_panels;
    s.n_blocks = 1;
    if (threads > 1) {
        const int64_t target = 4 * (int64_t)threads;
        if (batch * s.m_blocks < target) {
            int64_t mb2 = pml_ceil_div(pml_ceil_div(m, pml_ceil_div(target, batch)), mr) * mr;
            if (mb2 < 4 * mr) mb2 = 4 * mr;
            if (mb2 < s.mb) {
                s.mb = mb2;
                s.m_blocks = pml_ceil_div(m, mb2);
            }
        }
        if (batch * s.m_blocks < target) {
            int64_t nb = pml_ceil_div(target, batch * s.m_blocks);
            if (nb > n_panels) nb = n_panels;
            s.ppt = pml_ceil_div(n_panels, nb);
            s.n_blocks = pml_ceil_div(n_panels, s.ppt);
        }
    }
    return s;
}

#endif
