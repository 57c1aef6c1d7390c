/*
 * kernels/conv/qconv_driver.c — the int8 convolutions on the thread pool: the general conv
 * as int8 GEMMs, one per group (pml_qs8_gemm_run: 1x1 stride-1 unpadded convs read the NHWC
 * input as the GEMM's A, others im2col an M block at a time into int16 or uint8, padded
 * taps = the input zero point; a uint8 x goes to the u8 x s8 tiles unflipped), and the
 * depthwise conv split by output rows.
 */
#include "kernels/conv/s8_conv.h"

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
                      const void *packed, const pml_qs8_conv_sum *sum, void *y, pml_threadpool *pool, void *scratch) {
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
                      void *y, pml_threadpool *pool, void *scratch) {
    qconv_run(kern, g, x, 0, packed, NULL, y, pool, scratch);
}

void pml_qs8_conv_run_sum(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, int x_u8,
                          const void *packed, const pml_qs8_conv_sum *sum, void *y, pml_threadpool *pool,
                          void *scratch) {
    qconv_run(kern, g, x, x_u8, packed, sum, y, pool, scratch);
}

int pml_qs8_conv_takes_u8(const pml_conv_geom *g, const void *packed) {
    const size_t group_bytes = pml_qs8_gemm_packed_bytes(g->kh * g->kw * g->cg, g->coutg);
    for (int64_t grp = 0; grp < g->group; grp++)
        if (!pml_qs8_gemm_takes_u8((const uint8_t *)packed + (size_t)grp * group_bytes)) return 0;
    return 1;
}

void pml_qu8_conv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const uint8_t *x, const void *packed,
                      void *y, pml_threadpool *pool, void *scratch) {
    qconv_run(kern, g, (const int8_t *)x, 1, packed, NULL, y, pool, scratch);
}

/* ---- depthwise -------------------------------------------------------------------------------- */

typedef struct dw_job {
    const pml_qs8_gemm_kernels *kern;
    const pml_conv_geom *g;
    const int8_t *x;
    const void *packed;
    uint8_t *y;
    int64_t rows_per_task, rows;
} dw_job;

static void dw_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const dw_job *j = (const dw_job *)arg;
    const int64_t r0 = task * j->rows_per_task, r1 = r0 + j->rows_per_task < j->rows ? r0 + j->rows_per_task : j->rows;
    j->kern->dwconv(j->g, j->x, j->packed, j->y, r0, r1);
}

void pml_qs8_dwconv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, const void *packed,
                        void *y, pml_threadpool *pool) {
    dw_job job = {kern, g, x, packed, (uint8_t *)y, 1, g->n * g->oh};
    if (job.rows <= 0) return;
    const int64_t threads = pool ? pml_threadpool_size(pool) : 1;
    /* a few tasks per thread for balance; whole rows keep each task's input window in cache */
    const int64_t tasks = threads > 1 ? 4 * threads : 1;
    job.rows_per_task = (job.rows + tasks - 1) / tasks;
    pml_parallel_for(pool, (job.rows + job.rows_per_task - 1) / job.rows_per_task, dw_task, &job);
}
