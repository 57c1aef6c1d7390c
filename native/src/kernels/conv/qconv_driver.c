/*
 * kernels/conv/qconv_driver.c — the int8 convolutions on the thread pool: the general conv
 * as int8 GEMMs, one per group (pml_qs8_gemm_run: 1x1 stride-1 unpadded convs read the NHWC
 * input as the GEMM's A, others im2col an M block at a time into int16 or uint8, padded
 * taps = the input zero point; a uint8 x goes to the u8 x s8 tiles unflipped), and the
 * depthwise conv split by output rows.
 */
#include "kernels/conv/s8_conv.h"
#include "kernels/conv/s8_dwconv_pairs.h"
#include "kernels/conv/s8_dwconv_rows.h"

typedef struct qconv_ctx {
    const pml_conv_geom *g;
    const int8_t *x;
    const uint8_t *packed;
    size_t group_bytes;
    uint8_t *y;
    int16_t pad; /* the input zero point (int8 view) */
    int x_u8;    /* x holds uint8 bytes (quad-packed groups only) */
} qconv_ctx;

static void qconv_batch(const void *ctx, int64_t grp, const int8_t **a, const void **packed, uint8_t **c) {
    const qconv_ctx *q = (const qconv_ctx *)ctx;
    *a = q->x + grp * q->g->cg;
    *packed = q->packed + (size_t)grp * q->group_bytes;
    *c = q->y + grp * q->g->coutg;
}

static void qconv_pack_a(const void *ctx, int64_t grp, int64_t m0, int64_t mb, int16_t *dst, int64_t ld) {
    const qconv_ctx *q = (const qconv_ctx *)ctx;
    pml_s8_im2col_s16(q->g, q->x, grp, m0, mb, q->pad, dst, ld);
}

static void qconv_pack_a_u8(const void *ctx, int64_t grp, int64_t m0, int64_t mb, uint8_t *dst, int64_t ld) {
    const qconv_ctx *q = (const qconv_ctx *)ctx;
    if (q->x_u8) pml_u8_im2col_u8(q->g, (const uint8_t *)q->x, grp, m0, mb, (int8_t)q->pad, dst, ld);
    else pml_s8_im2col_u8(q->g, q->x, grp, m0, mb, (int8_t)q->pad, dst, ld);
}

static int pointwise(const pml_conv_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->pb == 0 &&
           g->pr == 0 && g->oh == g->h && g->ow == g->w;
}

static pml_qs8_gemm_problem qconv_problem(const pml_conv_geom *g, const qconv_ctx *ctx) {
    pml_qs8_gemm_problem p = {0};
    p.m = g->n * g->oh * g->ow;
    p.n = g->coutg;
    p.k = g->kh * g->kw * g->cg;
    p.batch = g->group;
    p.a = ctx->x;
    p.lda = g->cin;
    p.packed = ctx->packed;
    p.c = ctx->y;
    p.ldc = g->cout;
    p.batch_ptrs = qconv_batch;
    p.pack_a = pointwise(g) ? NULL : qconv_pack_a;
    p.pack_a_u8 = pointwise(g) ? NULL : qconv_pack_a_u8;
    p.cb_ctx = ctx;
    p.a_u8 = ctx->x_u8;
    return p;
}

size_t pml_qs8_conv_scratch_bytes(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g) {
    qconv_ctx ctx = {g, NULL, NULL, 0, NULL, 0, 0};
    pml_qs8_gemm_problem p = qconv_problem(g, &ctx);
    return pml_qs8_gemm_scratch_bytes(kern, &p);
}

static void qconv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, int x_u8,
                      const void *packed, const pml_qs8_conv_sum *sum, void *y, pml_threadpool *pool,
                      pml_thread_scratch scratch) {
    qconv_ctx ctx;
    ctx.g = g;
    ctx.x = x;
    ctx.packed = (const uint8_t *)packed;
    ctx.group_bytes = pml_qs8_gemm_packed_bytes(g->kh * g->kw * g->cg, g->coutg);
    ctx.y = (uint8_t *)y;
    ctx.pad = (int16_t)pml_qs8_header(packed)->a_zero_point;
    ctx.x_u8 = x_u8;
    pml_qs8_gemm_problem p = qconv_problem(g, &ctx);
    if (sum) p.add = sum->add, p.residual = sum->residual; /* y's layout: the same offsets */
    pml_qs8_gemm_run(kern, &p, pool, scratch);
}

void pml_qs8_conv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, const void *packed,
                      void *y, pml_threadpool *pool, pml_thread_scratch scratch) {
    qconv_run(kern, g, x, 0, packed, NULL, y, pool, scratch);
}

void pml_qs8_conv_run_sum(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, int x_u8,
                          const void *packed, const pml_qs8_conv_sum *sum, void *y, pml_threadpool *pool,
                          pml_thread_scratch scratch) {
    qconv_run(kern, g, x, x_u8, packed, sum, y, pool, scratch);
}

int pml_qs8_conv_takes_u8(const pml_conv_geom *g, const void *packed) {
    const size_t group_bytes = pml_qs8_gemm_packed_bytes(g->kh * g->kw * g->cg, g->coutg);
    for (int64_t grp = 0; grp < g->group; grp++)
        if (!pml_qs8_gemm_takes_u8((const uint8_t *)packed + (size_t)grp * group_bytes)) return 0;
    return 1;
}

void pml_qu8_conv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const uint8_t *x, const void *packed,
                      void *y, pml_threadpool *pool, pml_thread_scratch scratch) {
    qconv_run(kern, g, (const int8_t *)x, 1, packed, NULL, y, pool, scratch);
}

/* ---- depthwise -------------------------------------------------------------------------------- */

/* Smallest depthwise task, in multiply-accumulates (~5 us): a task starting a row range
 * rebuilds the row kernel's ring (KH padded rows) and costs the pool a hand-off, so a small
 * layer (8x8 or 4x4 pixels) splits into few row tasks or none. Measured at 2 threads (min of 41
 * alternations, docs/benchmarks.md): 8x8x512 3x3 (288 K MACs) 11.9 us on one task, 8.4 on
 * two, 10.6 on eight; 16x16x96 5x5 s2 (150 K) 4.5 on one, 4.9 on two. Re-measured after the
 * one-step requantization (q8dwv, network context, min of 300 runs x 3 alternations, machine
 * loaded): the 8x8x512 layers 6.4-6.7 us on two row tasks, 6.6-6.8 on two channel blocks, 10.5
 * on one; so layers that reach two row tasks keep the row split, and the ones below it
 * (DW_MIN_COLS_MACS up to 256 K) split by channel blocks instead: 16->8 x256 s2 7.3 -> 5.1 us,
 * 8->4 x512 s2 4.2 -> 3.5, 4x4x1024 6.1 -> 4.5. A split whose second thread is busy elsewhere
 * costs the caller the hand-off (+0.7-1 us at those sizes, bench_int8_dwconv on a loaded
 * machine), hence no channel split under 64 K MACs (~3 us). */
#define DW_MIN_TASK_MACS (128 * 1024)
#define DW_MIN_COLS_MACS (64 * 1024)
/* At most, per thread. On a loaded machine a thread may stall inside a claimed task, and
 * smaller tasks bound the caller's wait (64x64 layers alone: 2, 4, 8 tasks within 3%); in the
 * whole network fewer tasks measured faster, as the int8 GEMM's (QS8_TASKS_PER_THREAD there):
 * each extra boundary is where a thread may take rows the other one wrote. */
#define DW_TASKS_PER_THREAD 2

size_t pml_qs8_dwconv_scratch_bytes(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const void *packed) {
    size_t bytes = 0;
    if (kern->dwconv_rows == PML_DW_LAYOUT_QUADS) bytes = pml_dwrows_scratch_bytes(g, packed);
    else if (kern->dwconv_rows == PML_DW_LAYOUT_PAIRS) bytes = pml_dwpairs_scratch_bytes(g, packed);
    return (bytes + 63) / 64 * 64;
}

int pml_qs8_dwconv_take_u8(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, void *packed) {
    return kern->dwconv_rows == PML_DW_LAYOUT_QUADS && pml_dwrows_set_x_u8(g, packed);
}

typedef struct dw_job {
    const pml_qs8_gemm_kernels *kern;
    const pml_conv_geom *g;
    const int8_t *x;
    const void *packed;
    uint8_t *y;
    pml_thread_scratch scratch;
    int64_t tasks, rows;
    int64_t blocks; /* > 1: task t is channel block t (of 16-channel units, all rows), by dwconv_cols */
} dw_job;

static void dw_task(void *arg, int64_t task, int thread) {
    const dw_job *j = (const dw_job *)arg;
    void *scratch = pml_thread_scratch_at(j->scratch, thread);
    if (j->blocks > 1) { /* 16-channel units split evenly, the first ones a unit more */
        const int64_t units = j->g->cout / 16, base = units / j->blocks, extra = units % j->blocks;
        const int64_t u0 = task * base + (task < extra ? task : extra), u1 = u0 + base + (task < extra);
        if (j->kern->dwconv_cols(j->g, j->x, j->packed, j->y, 0, j->rows, u0 * 16, u1 * 16, scratch)) return;
        if (task == 0) j->kern->dwconv(j->g, j->x, j->packed, j->y, 0, j->rows, scratch); /* declined: all */
        return;
    }
    /* rows split evenly: the first rows % tasks tasks take one row more */
    const int64_t base = j->rows / j->tasks, extra = j->rows % j->tasks;
    const int64_t r0 = task * base + (task < extra ? task : extra), r1 = r0 + base + (task < extra);
    j->kern->dwconv(j->g, j->x, j->packed, j->y, r0, r1, scratch);
}

/* Tasks for rows output rows of g on threads: one when the layer is too small to share, a
 * multiple of the thread count otherwise (equal rows each; the pool steals for balance), none
 * smaller than DW_MIN_TASK_MACS. */
static int64_t dw_tasks(const pml_conv_geom *g, int64_t rows, int64_t threads) {
    if (threads <= 1) return 1;
    const int64_t macs = rows * g->ow * g->cout * g->kh * g->kw;
    int64_t tasks = macs / DW_MIN_TASK_MACS;
    if (tasks > DW_TASKS_PER_THREAD * threads) tasks = DW_TASKS_PER_THREAD * threads;
    if (tasks >= threads) tasks -= tasks % threads;
    if (tasks > rows) tasks = rows;
    return tasks < 1 ? 1 : tasks;
}

/* Channel blocks for a layer the row split leaves on fewer tasks than threads (a small map,
 * whose row tasks would each rebuild most of the ring): one per thread where it is worth
 * sharing (DW_MIN_COLS_MACS) and its channels come in 16s; 1: no channel split. */
static int64_t dw_blocks(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const void *packed, int64_t rows,
                         int64_t threads) {
    if (threads <= 1 || !kern->dwconv_cols || g->cout % 16 || !pml_dwrows_scratch_bytes(g, packed)) return 1;
    const int64_t macs = rows * g->ow * g->cout * g->kh * g->kw, units = g->cout / 16;
    if (macs < DW_MIN_COLS_MACS) return 1;
    return threads < units ? threads : units;
}

void pml_qs8_dwconv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, const void *packed,
                        void *y, pml_threadpool *pool, pml_thread_scratch scratch) {
    dw_job job = {kern, g, x, packed, (uint8_t *)y, scratch, 1, g->n * g->oh, 1};
    if (job.rows <= 0) return;
    const int64_t threads = pool ? pml_threadpool_size(pool) : 1;
    job.tasks = dw_tasks(g, job.rows, threads);
    if (job.tasks < threads) job.blocks = dw_blocks(kern, g, packed, job.rows, threads);
    if (job.blocks > 1) job.tasks = job.blocks;
    pml_parallel_for(pool, job.tasks, dw_task, &job);
}

/* ---- depthwise then pointwise, in bands ------------------------------------------------------ */

/* Pixels a band needs at least: a band reads all of the pointwise weights and rebuilds the
 * depthwise row ring, which a band of a few rows does not repay (4x4 maps of 512 channels:
 * the GEMM's own split by columns reads each weight once). */
#define DWPW_MIN_BAND_PIXELS 32
/* Bands per thread where they keep DWPW_MIN_BAND_PIXELS: the pool's stealing then evens out
 * a thread that starts or runs late (one band each left the other thread waiting). Conv net
 * int8, 2 threads, fresh processes alternating (bench_int8_ab.py), shared / split L3 ms: one
 * band per thread 0.655 / 0.773, two 0.657 / 0.761, three 0.675 / 0.768, four 0.670 / 0.778;
 * BlazeFace one 0.429 / 0.559, two 0.429 / 0.553. */
#define DWPW_BANDS_PER_THREAD 2

int pml_qs8_dwpw_eligible(const pml_conv_geom *dw, const pml_conv_geom *pw) {
    return pml_qs8_dwconv_eligible(dw) && pointwise(pw) && pw->group == 1 && pw->n == dw->n && pw->h == dw->oh &&
           pw->w == dw->ow && pw->cin == dw->cout;
}

int64_t pml_qs8_dwpw_bands(const pml_conv_geom *dw, int threads) {
    const int64_t rows = dw->n * dw->oh;
    if (threads <= 1 || rows < threads || rows * dw->ow / threads < DWPW_MIN_BAND_PIXELS) return 0;
    int64_t bands = (int64_t)threads * DWPW_BANDS_PER_THREAD;
    while (bands > threads && (bands > rows || rows * dw->ow / bands < DWPW_MIN_BAND_PIXELS)) bands -= threads;
    return bands;
}

typedef struct dwpw_job {
    const pml_qs8_gemm_kernels *kern;
    const pml_qs8_dwpw *pair;
    const int8_t *x;
    uint8_t *mid, *y;
    pml_thread_scratch scratch;
    int64_t bands, rows;
} dwpw_job;

static void dwpw_task(void *arg, int64_t band, int thread) {
    const dwpw_job *j = (const dwpw_job *)arg;
    const pml_conv_geom *dw = j->pair->dw, *pw = j->pair->pw;
    const int64_t base = j->rows / j->bands, extra = j->rows % j->bands;
    const int64_t r0 = band * base + (band < extra ? band : extra), r1 = r0 + base + (band < extra);
    void *mine = pml_thread_scratch_at(j->scratch, thread);
    j->kern->dwconv(dw, j->x, j->pair->dw_packed, j->mid, r0, r1, mine);
    /* the pointwise rows of the same pixels, on this thread only (no pool) */
    const int64_t m0 = r0 * dw->ow;
    qconv_ctx ctx;
    ctx.g = pw;
    ctx.x = (const int8_t *)j->mid + m0 * pw->cin;
    ctx.packed = (const uint8_t *)j->pair->pw_packed;
    ctx.group_bytes = pml_qs8_gemm_packed_bytes(pw->cin, pw->cout);
    ctx.y = j->y + m0 * pw->cout;
    ctx.pad = (int16_t)pml_qs8_header(j->pair->pw_packed)->a_zero_point;
    ctx.x_u8 = j->pair->pw_x_u8;
    pml_qs8_gemm_problem p = qconv_problem(pw, &ctx);
    p.m = (r1 - r0) * dw->ow;
    if (j->pair->sum)
        p.add = j->pair->sum->add, p.residual = (const uint8_t *)j->pair->sum->residual + m0 * pw->cout;
    pml_qs8_gemm_run(j->kern, &p, NULL, pml_thread_scratch_of(mine, j->scratch.stride));
}

void pml_qs8_dwpw_run(const pml_qs8_gemm_kernels *kern, const pml_qs8_dwpw *pair, int64_t bands, const int8_t *x,
                      void *mid, void *y, pml_threadpool *pool, pml_thread_scratch scratch) {
    dwpw_job job = {kern, pair, x, (uint8_t *)mid, (uint8_t *)y, scratch, bands, pair->dw->n * pair->dw->oh};
    if (job.rows <= 0) return;
    if (job.bands > job.rows) job.bands = job.rows;
    if (job.bands < 1) job.bands = 1;
    pml_parallel_for(pool, job.bands, dwpw_task, &job);
}
