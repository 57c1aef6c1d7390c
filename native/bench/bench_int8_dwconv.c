/*
 * bench/bench_int8_dwconv.c — micro-benchmark of the avx512vnni int8 depthwise convs on the
 * MobileNet-v1 and BlazeFace layer shapes (TFLite SAME padding), in one process, alternating:
 *   one thread: the row-vectorised kernel (s8_dwconv_rows__avx512vnni) against the
 *     channel-vectorised one (s8_dwconv__avx512vnni on the same packing, its row layout off);
 *   --threads N: the driver's task split (pml_qs8_dwconv_run, with its channel blocks for
 *     small layers) against its row split alone, one task, and four tasks per thread.
 * Prints, per layer, the minimum and median microseconds of R rounds of 20 calls each, and
 * checks every candidate's output against the naive reference first.
 *
 *   pml_bench_int8_dwconv [--threads N] [--rounds R]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "kernels/conv/s8_dwconv_rows.h"
#include "kernels/isa.h"

#ifndef PML_ARCH_X86
int main(void) {
    printf("the avx512vnni depthwise kernels are x86 only\n");
    return 0;
}
#else

#define MAX_ROUNDS 101
#define CALLS 20

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e6 * (double)t.tv_sec + 1e-3 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A layer, its packings (rows: the row layout on; chan: off) and buffers. */
typedef struct layer {
    pml_conv_geom g;
    int8_t *x, *w;
    void *rows, *chan, *scratch;
    uint8_t *y, *ref;
    size_t ny;
    int32_t bias[1024], mult[1024], shift[1024], zw;
    float scale[1024];
    pml_qs8_quant q;
} layer;

static void layer_init(layer *l, int64_t hw, int64_t c, int64_t k, int64_t s, int threads) {
    memset(l, 0, sizeof *l);
    pml_conv_geom *g = &l->g;
    *g = (pml_conv_geom){.n = 1, .h = hw, .w = hw, .cin = c, .cout = c, .kh = k, .kw = k, .sh = s, .sw = s,
                         .dh = 1, .dw = 1, .group = c, .cg = 1, .coutg = 1};
    const int64_t o = (hw + s - 1) / s, total = (o - 1) * s + k - hw > 0 ? (o - 1) * s + k - hw : 0;
    g->pt = g->pl = total / 2, g->pb = g->pr = total - total / 2, g->oh = g->ow = o;
    l->x = malloc((size_t)(hw * hw * c)), l->w = malloc((size_t)(c * k * k));
    for (int64_t i = 0; i < hw * hw * c; i++) l->x[i] = (int8_t)(rand() & 255);
    for (int64_t i = 0; i < c * k * k; i++) l->w[i] = (int8_t)(rand() % 255 - 127);
    for (int64_t j = 0; j < c; j++) {
        l->bias[j] = rand() % 20001 - 10000;
        l->scale[j] = 0.002f + 0.002f * (float)(rand() % 100) / 100.0f;
        pml_quantize_multiplier(l->scale[j], &l->mult[j], &l->shift[j]);
    }
    l->q = (pml_qs8_quant){.a_zero_point = -128, .w_zero_point = &l->zw, .bias = l->bias, .out_dtype = PML_INT8};
    l->q.rq = (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .per_channel = 1, .multiplier = l->mult,
                            .shift = l->shift, .scale = l->scale, .zero_point = -128, .qmin = -128, .qmax = 127};
    const size_t bytes = pml_qs8_dwconv_packed_bytes(g);
    l->rows = pml_aligned_alloc(bytes), l->chan = pml_aligned_alloc(bytes);
    pml_qs8_dwconv_pack(g, l->w, &l->q, l->rows);
    memcpy(l->chan, l->rows, bytes);
    if (pml_dwrows_packed_bytes(g)) ((pml_dwrows_packed *)((uint8_t *)l->chan + pml_dwrows_offset(g)))->ok = 0;
    l->ny = (size_t)(o * o * c);
    l->y = malloc(l->ny), l->ref = malloc(l->ny);
    pml_qs8_conv_ref(g, l->x, l->w, &l->q, l->ref);
    l->scratch = pml_aligned_alloc((pml_dwrows_scratch_bytes(g, l->rows) + 64) * (size_t)threads + 64);
}

static void layer_free(layer *l) {
    free(l->x), free(l->w), free(l->y), free(l->ref);
    pml_aligned_free(l->rows), pml_aligned_free(l->chan), pml_aligned_free(l->scratch);
}

/* A candidate: a packing run over `tasks` row ranges (0: the driver's split). */
typedef struct candidate {
    const char *name;
    int chan;      /* the channel-vectorised kernel */
    int64_t tasks; /* per thread when > 0; -1: one call over every row on this thread */
    int rows_only; /* the driver's split without its channel blocks (dwconv_cols) */
} candidate;

typedef struct split_job {
    const layer *l;
    const void *packed;
    int64_t tasks, rows;
    size_t scratch_bytes;
} split_job;

static void split_task(void *arg, int64_t t, int thread) {
    const split_job *j = (const split_job *)arg;
    const int64_t base = j->rows / j->tasks, extra = j->rows % j->tasks;
    const int64_t r0 = t * base + (t < extra ? t : extra), r1 = r0 + base + (t < extra);
    pml_s8_dwconv__avx512vnni(&j->l->g, j->l->x, j->packed, j->l->y, r0, r1,
                              (uint8_t *)j->l->scratch + (size_t)thread * j->scratch_bytes);
}

static void run(layer *l, const candidate *c, pml_threadpool *pool, int threads) {
    static const pml_qs8_gemm_kernels kern = {.dwconv = pml_s8_dwconv__avx512vnni, .dwconv_rows = PML_DW_LAYOUT_QUADS,
                                              .dwconv_cols = pml_s8_dwconv_rows_cols__avx512vnni};
    static const pml_qs8_gemm_kernels rows_kern = {.dwconv = pml_s8_dwconv__avx512vnni,
                                                   .dwconv_rows = PML_DW_LAYOUT_QUADS};
    const void *packed = c->chan ? l->chan : l->rows;
    if (c->tasks < 0) {
        pml_s8_dwconv__avx512vnni(&l->g, l->x, packed, l->y, 0, l->g.oh, l->scratch);
        return;
    }
    if (!c->tasks) {
        pml_qs8_dwconv_run(c->rows_only ? &rows_kern : &kern, &l->g, l->x, packed, l->y, pool,
                           pml_thread_scratch_of(l->scratch, pml_dwrows_scratch_bytes(&l->g, l->rows) + 64));
        return;
    }
    split_job j = {l, packed, c->tasks * threads, l->g.oh, pml_qs8_dwconv_scratch_bytes(&kern, &l->g, packed)};
    if (j.tasks > j.rows) j.tasks = j.rows;
    pml_parallel_for(pool, j.tasks, split_task, &j);
}

int main(int argc, char **argv) {
    int threads = 1, rounds = 41;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
    }
    if (threads < 1) threads = 1;
    if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 41;
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *cfg = NULL;
    if (pml_kernel_config_select(&cpu, "avx512vnni", &cfg) != PML_OK) {
        printf("this CPU has no avx512vnni configuration\n");
        return 0;
    }
    pml_threadpool *pool = threads > 1 ? pml_threadpool_create(threads) : NULL;
    static const candidate one[] = {{"rows", 0, -1, 0}, {"channels", 1, -1, 0}};
    static const candidate many[] = {
        {"split", 0, 0, 0}, {"row split", 0, 0, 1}, {"1 task", 0, -1, 0}, {"4/thread", 0, 4, 0}};
    const candidate *cands = threads > 1 ? many : one;
    const int nc = threads > 1 ? 4 : 2;
    /* h=w, C, k, stride: the conv net's (MobileNet-v1 128) and BlazeFace's depthwise layers */
    static const int64_t shapes[][4] = {{64, 32, 3, 1},  {64, 64, 3, 2},  {32, 128, 3, 1}, {32, 128, 3, 2},
                                        {16, 256, 3, 1}, {16, 256, 3, 2}, {8, 512, 3, 1},  {8, 512, 3, 2},
                                        {4, 1024, 3, 1}, {64, 24, 5, 1},  {64, 28, 5, 2},  {32, 24, 5, 1},
                                        {32, 36, 5, 1},  {32, 42, 5, 2},  {16, 48, 5, 1},  {16, 88, 5, 2},
                                        {8, 96, 5, 1}};
    printf("int8 depthwise, %d thread(s), min / median us of %d rounds x %d calls\n", threads, rounds, CALLS);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        static layer l;
        layer_init(&l, shapes[si][0], shapes[si][1], shapes[si][2], shapes[si][3], threads);
        double t[4][MAX_ROUNDS];
        int ok = 1;
        for (int k = 0; k < nc; k++) {
            memset(l.y, 0xA5, l.ny);
            run(&l, &cands[k], pool, threads);
            if (memcmp(l.y, l.ref, l.ny)) ok = 0;
        }
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < nc; k++) {
                const double t0 = now_us();
                for (int i = 0; i < CALLS; i++) run(&l, &cands[k], pool, threads);
                t[k][r] = (now_us() - t0) / CALLS;
            }
        const pml_conv_geom *g = &l.g;
        printf("%3lldx%-3lld C%-4lld %lldx%lld /%lld %7.0f K MAC %s", (long long)g->h, (long long)g->w,
               (long long)g->cout, (long long)g->kh, (long long)g->kw, (long long)g->sw,
               (double)(g->oh * g->ow * g->cout * g->kh * g->kw) / 1024.0, ok ? "" : "WRONG ");
        for (int k = 0; k < nc; k++) {
            qsort(t[k], (size_t)rounds, sizeof(double), cmp_double);
            printf(" | %s %6.1f %6.1f", cands[k].name, t[k][0], t[k][rounds / 2]);
        }
        printf("\n");
        layer_free(&l);
    }
    return 0;
}
#endif /* PML_ARCH_X86 */
