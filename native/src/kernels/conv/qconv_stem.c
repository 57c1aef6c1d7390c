/*
 * kernels/conv/qconv_stem.c — the driver of the direct few-channel int8 convs (the 3-channel
 * stems; kernels/conv/s8_conv.h): which geometries they take, the zero-padded uint8 copy of
 * x their kernels read, and the split of the output rows over the thread pool.
 */
#include <string.h>

#include "kernels/conv/s8_conv.h"

/* Readable bytes after the padded image: a window row's last quad reads up to 3 bytes past
 * it, and a kernel may run PML_QS8_STEM_PIXELS pixels past a row's last one. */
static size_t stem_slack(const pml_conv_geom *g) { return (size_t)(PML_QS8_STEM_PIXELS * g->sw * g->cin) + 64; }

static int64_t padded_h(const pml_conv_geom *g) { return g->h + g->pt + g->pb; }
static int64_t padded_w(const pml_conv_geom *g) { return g->w + g->pl + g->pr; }

int pml_qs8_stem_eligible(const pml_conv_geom *g, const pml_qs8_quant *q) {
    if (g->group != 1 || g->cin < 1 || g->cin > 4 || g->dh != 1 || g->dw != 1) return 0;
    if (g->kh < 1 || g->kh > 11 || g->kw < 1 || g->kw > 11 || g->sh < 1 || g->sw < 1) return 0;
    if (g->pt < 0 || g->pl < 0 || g->pb < 0 || g->pr < 0) return 0;
    /* every window inside the padded image (a conv's own geometry guarantees it) */
    if (g->oh > 0 && (g->oh - 1) * g->sh + g->kh > padded_h(g)) return 0;
    if (g->ow > 0 && (g->ow - 1) * g->sw + g->kw > padded_w(g)) return 0;
    if (q->w_zero_point)
        for (int64_t c = 0; c < (q->w_zp_per_channel ? g->cout : 1); c++)
            if (q->w_zero_point[c] != 0) return 0;
    return 1;
}

size_t pml_qs8_stem_scratch_bytes(const pml_conv_geom *g) {
    return ((size_t)(g->n * padded_h(g) * padded_w(g) * g->cin) + stem_slack(g) + 63) / 64 * 64;
}

/* x into the padded image: pad bytes = x's uint8 zero point, int8 bytes flipped to uint8 */
static void pad_image(const pml_conv_geom *g, const uint8_t *x, int x_u8, uint8_t zp_u8, uint8_t *xp) {
    const int64_t cin = g->cin, hp = padded_h(g), wp = padded_w(g);
    const size_t row = (size_t)(g->w * cin), left = (size_t)(g->pl * cin), right = (size_t)(g->pr * cin);
    const uint8_t flip = x_u8 ? 0 : 0x80;
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t r = 0; r < hp; r++) {
            uint8_t *d = xp + (size_t)((n * hp + r) * wp * cin);
            const int64_t ih = r - g->pt;
            if (ih < 0 || ih >= g->h) {
                memset(d, zp_u8, (size_t)(wp * cin));
                continue;
            }
            const uint8_t *s = x + (size_t)((n * g->h + ih) * g->w * cin);
            memset(d, zp_u8, left);
            if (flip) for (size_t i = 0; i < row; i++) d[left + i] = s[i] ^ flip; /* vectorized by the compiler */
            else memcpy(d + left, s, row);
            memset(d + left + row, zp_u8, right);
        }
    memset(xp + (size_t)(g->n * hp * wp * cin), zp_u8, stem_slack(g));
}

typedef struct stem_job {
    pml_qu8_stem_fn stem;
    const pml_conv_geom *g;
    const uint8_t *xp;
    const void *packed;
    uint8_t *y;
    int64_t rows_per_task, rows;
} stem_job;

static void stem_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const stem_job *j = (const stem_job *)arg;
    const int64_t r0 = task * j->rows_per_task, r1 = r0 + j->rows_per_task < j->rows ? r0 + j->rows_per_task : j->rows;
    j->stem(j->g, j->xp, j->packed, j->y, r0, r1);
}

void pml_qs8_stem_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const void *x, int x_u8,
                      const void *packed, void *y, pml_threadpool *pool, void *scratch) {
    stem_job job = {kern->stem, g, (const uint8_t *)scratch, packed, (uint8_t *)y, 1, g->n * g->oh};
    if (job.rows <= 0) return;
    const uint8_t zp_u8 = (uint8_t)(pml_qs8_header(packed)->a_zero_point + 128);
    pad_image(g, (const uint8_t *)x, x_u8, zp_u8, (uint8_t *)scratch);
    const int64_t threads = pool ? pml_threadpool_size(pool) : 1;
    /* a few tasks per thread for balance (the copy above is a small part of the time) */
    const int64_t tasks = threads > 1 ? 4 * threads : 1;
    job.rows_per_task = (job.rows + tasks - 1) / tasks;
    pml_parallel_for(pool, (job.rows + job.rows_per_task - 1) / job.rows_per_task, stem_task, &job);
}
