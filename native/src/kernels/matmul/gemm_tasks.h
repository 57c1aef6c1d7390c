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
    int64_t mb, m_blocks;    /* rows of the largest M block (a multiple of mr), blocks per batch */
    int64_t ppt, n_blocks;   /* panels of the largest N block, blocks */
    int64_t m, mr, n_panels; /* what is cut: the blocks differ by at most one tile of mr rows / one panel */
} pml_gemm_split;

/* The split of m rows (per batch) x n_panels panels for `threads` threads, starting from M
 * blocks of at most mb_max rows (what fits the cache). With more than one thread it makes
 * about tasks_per_thread tasks per thread when it can, for dynamic load balancing: first more M
 * blocks (down to 4 tiles of mr rows each), then N blocks; between 4 and 16 tiles per thread,
 * one tile per M block (see below). The f32 driver asks for 4 per thread, the int8 one for 2
 * (qgemm_driver.c says why). The tiles and panels are spread evenly over the
 * blocks (pml_gemm_split_rows/_panels): blocks of a fixed size with a short last one left
 * threads idle, e.g. 43 tiles as 7 blocks of 6 and one of 1 over two threads. */
static inline pml_gemm_split pml_gemm_split_make(int64_t batch, int64_t m, int64_t mr, int64_t mb_max,
                                                 int64_t n_panels, int threads, int tasks_per_thread) {
    pml_gemm_split s;
    s.m = m, s.mr = mr, s.n_panels = n_panels;
    const int64_t tiles = m > 0 ? pml_ceil_div(m, mr) : 1, tiles_max = mb_max >= mr ? mb_max / mr : 1;
    s.m_blocks = pml_ceil_div(tiles, tiles_max);
    s.n_blocks = 1;
    if (threads > 1 && tiles >= 4 * (int64_t)threads && tiles < 16 * (int64_t)threads) {
        /* few rows (an 8x8 map: 64 rows, 11 tiles): blocks of 4+ tiles would leave a thread a
         * block more (5 + 6 tiles), so one tile per M block, in row-major task order (the
         * threads' contiguous ranges keep each thread on the rows it wrote and the next op
         * reads), each in 2 N blocks for balance. Measured at 2 threads, 8x8 512->512 and the
         * depthwise conv after it: 45.5 / 10 us as 11 x 2 tasks, 53.5 / 13.6 as 2 M x 4 N
         * blocks, 48.5 / 15.9 as 4 N blocks (which scatters the rows the next op reads). With
         * fewer tiles (4x4 maps) the weights dominate: N blocks, each thread reads its own. */
        s.m_blocks = tiles;
        s.n_blocks = n_panels < 2 ? 1 : 2;
    } else if (threads > 1) {
        const int64_t target = (int64_t)(tasks_per_thread > 1 ? tasks_per_thread : 1) * threads;
        if (batch * s.m_blocks < target) {
            int64_t want = pml_ceil_div(target, batch > 0 ? batch : 1);
            const int64_t most = tiles / 4 > 0 ? tiles / 4 : 1;
            if (want > most) want = most;
            if (want > s.m_blocks) s.m_blocks = want;
        }
        if (batch * s.m_blocks < target) {
            int64_t nb = pml_ceil_div(target, batch * s.m_blocks);
            if (nb > n_panels) nb = n_panels;
            if (nb > 1) s.n_blocks = nb;
        }
    }
    s.mb = pml_ceil_div(tiles, s.m_blocks) * mr;
    s.ppt = n_panels > 0 ? pml_ceil_div(n_panels, s.n_blocks) : 0;
    return s;
}

/* Rows [*r0, *r0 + *rows) of M block b (at most s->mb rows) */
static inline void pml_gemm_split_rows(const pml_gemm_split *s, int64_t b, int64_t *r0, int64_t *rows) {
    const int64_t tiles = s->m > 0 ? pml_ceil_div(s->m, s->mr) : 1;
    const int64_t first = b * tiles / s->m_blocks * s->mr, end = (b + 1) * tiles / s->m_blocks * s->mr;
    *r0 = first;
    *rows = (end < s->m ? end : s->m) - first;
}

/* Panels [*p0, *p1) of N block b (at most s->ppt panels) */
static inline void pml_gemm_split_panels(const pml_gemm_split *s, int64_t b, int64_t *p0, int64_t *p1) {
    *p0 = b * s->n_panels / s->n_blocks;
    *p1 = (b + 1) * s->n_panels / s->n_blocks;
}

#endif
