/* test_gemm_split.c — how the GEMM drivers cut a problem into tasks (kernels/matmul/gemm_tasks.h):
 * for many shapes and thread counts, the M blocks cover every row once in tile-aligned pieces of
 * at most mb rows that differ by at most one tile, the N blocks cover every panel once with at
 * most ppt panels each, and with several threads there are at least the tasks per thread asked
 * for whenever the shape allows it (M blocks of 4+ tiles, one panel per N block at the least). */
#include "testutil.h"
#include "kernels/matmul/gemm_tasks.h"

static int check_split(int64_t batch, int64_t m, int64_t mr, int64_t mb_max, int64_t n_panels, int threads,
                       int per_thread) {
    const pml_gemm_split s = pml_gemm_split_make(batch, m, mr, mb_max, n_panels, threads, per_thread);
    int ok = s.m_blocks >= 1 && s.n_blocks >= 1 && s.mb % mr == 0 && s.mb <= (mb_max > mr ? mb_max : mr);
    int64_t next = 0, min_tiles = INT64_MAX, max_tiles = 0;
    for (int64_t b = 0; b < s.m_blocks; b++) {
        int64_t r0, rows;
        pml_gemm_split_rows(&s, b, &r0, &rows);
        ok &= r0 == next && rows >= 1 && rows <= s.mb && r0 % mr == 0;
        const int64_t tiles = (rows + mr - 1) / mr;
        min_tiles = tiles < min_tiles ? tiles : min_tiles;
        max_tiles = tiles > max_tiles ? tiles : max_tiles;
        next = r0 + rows;
    }
    ok &= next == m && max_tiles - min_tiles <= 1;
    int64_t pnext = 0;
    for (int64_t b = 0; b < s.n_blocks; b++) {
        int64_t p0, p1;
        pml_gemm_split_panels(&s, b, &p0, &p1);
        ok &= p0 == pnext && p1 > p0 && p1 - p0 <= s.ppt;
        pnext = p1;
    }
    ok &= pnext == n_panels;
    if (threads > 1) { /* enough tasks unless the shape has no more to give */
        const int64_t tasks = batch * s.m_blocks * s.n_blocks, tiles = (m + mr - 1) / mr;
        const int64_t possible = batch * (tiles / 4 > 0 ? tiles / 4 : 1) * n_panels;
        ok &= tasks >= (possible < per_thread * threads ? possible : per_thread * threads);
    }
    if (!ok)
        fprintf(stderr, "split batch=%lld m=%lld mr=%lld mb_max=%lld panels=%lld threads=%d x%d: mb=%lld x%lld ppt=%lld x%lld\n",
                (long long)batch, (long long)m, (long long)mr, (long long)mb_max, (long long)n_panels, threads, per_thread,
                (long long)s.mb, (long long)s.m_blocks, (long long)s.ppt, (long long)s.n_blocks);
    return ok;
}

int main(void) {
    const int64_t ms[] = {1, 5, 6, 7, 16, 24, 37, 64, 100, 256, 1023, 4096, 20000};
    const int64_t panels[] = {1, 2, 3, 8, 11, 32, 64};
    const int64_t mrs[] = {1, 4, 6};
    const int64_t batches[] = {1, 3, 16};
    int ok = 1;
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
        for (size_t b = 0; b < sizeof panels / sizeof *panels; b++)
            for (size_t c = 0; c < sizeof mrs / sizeof *mrs; c++)
                for (size_t d = 0; d < sizeof batches / sizeof *batches; d++)
                    for (int threads = 1; threads <= 4; threads++)
                        for (int64_t mb_max = mrs[c]; mb_max <= 512 * mrs[c]; mb_max *= 8)
                            for (int per_thread = 1; per_thread <= 4; per_thread *= 2) /* int8: 2, f32: 4 */
                                ok &= check_split(batches[d], ms[a], mrs[c], mb_max, panels[b], threads, per_thread);
    CHECK(ok);
    /* the conv net's 8x8 pointwise layers (64 rows of 6-row tiles, 32 panels) on two threads:
     * one tile per M block (not 2 M blocks of 6 and 5 tiles), each in 2 N blocks of 16 panels */
    const pml_gemm_split s = pml_gemm_split_make(1, 64, 6, 256, 32, 2, 2);
    CHECK(s.m_blocks == 11 && s.n_blocks == 2 && s.ppt == 16 && s.mb == 6);
    /* its 4x4 layers (16 rows: 3 tiles, 64 panels): N blocks only, 2 per thread in the int8
     * driver, 4 in the f32 one */
    const pml_gemm_split t = pml_gemm_split_make(1, 16, 6, 256, 64, 2, 2);
    CHECK(t.m_blocks == 1 && t.n_blocks == 4 && t.ppt == 16);
    const pml_gemm_split tf = pml_gemm_split_make(1, 16, 6, 256, 64, 2, 4);
    CHECK(tf.m_blocks == 1 && tf.n_blocks == 8 && tf.ppt == 8);
    /* its 16x16 layers (256 rows: 43 tiles): M blocks of 10-11 tiles, 2 per thread (f32: 5-6, 4) */
    const pml_gemm_split u = pml_gemm_split_make(1, 256, 6, 256, 16, 2, 2);
    CHECK(u.m_blocks == 4 && u.n_blocks == 1);
    const pml_gemm_split uf = pml_gemm_split_make(1, 256, 6, 256, 16, 2, 4);
    CHECK(uf.m_blocks == 8 && uf.n_blocks == 1);
    return test_finish("test_gemm_split");
}
