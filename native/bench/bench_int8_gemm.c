/*
 * bench/bench_int8_gemm.c — micro-benchmark of the exact int8 kernels against the f32 ones on
 * the same shapes, in the same run: GEMMs (packed weights, A in place), convolutions (the f32
 * one through the same GEMM driver with im2col) and depthwise convs. Reports GOP/s
 * (2 * multiply-adds / time, best of R runs) and the int8 / f32 speedup; and the 3-channel
 * stem convs' microseconds as im2col + GEMM, that im2col alone, and the direct stem kernel.
 *
 *   pml_bench_int8_gemm [--threads N] [--reps R] [--isa avx2|scalar] [--tile 4x16|6x16] [--float]
 *
 * The int8 micro-kernel defaults to the configuration's; --tile picks another listed
 * variant (for choosing the tile by measurement). Weight zero points are 0, so a
 * configuration with u8 x s8 tiles (avx512vnni's vpdpbusd) runs them; its GEMM and conv rows
 * then also time the int16 pair tiles (vpdpwssd) on the same shape, in the same run. The requantization is TFLite's fixed point
 * per channel, or with --float ONNX's float scale (cheaper: no 64-bit products).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint32_t g_seed = 12345;
static uint32_t next_u32(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}
static float *rand_f32(size_t n) {
    float *p = (float *)pml_aligned_alloc(n * sizeof(float) + 64);
    for (size_t i = 0; i < n; i++) p[i] = (float)next_u32() / (float)(1u << 24) - 0.5f;
    return p;
}
static int8_t *rand_s8(size_t n) {
    int8_t *p = (int8_t *)pml_aligned_alloc(n + 64);
    for (size_t i = 0; i < n; i++) p[i] = (int8_t)(next_u32() & 0xff);
    return p;
}

typedef struct bench_opts {
    int threads, reps;
    const char *isa, *tile;
    int float_mode;
} bench_opts;

static int g_float_mode;

typedef void (*bench_fn)(void *ctx);
static double best_of(const bench_opts *o, bench_fn fn, void *ctx) {
    fn(ctx); /* warm up */
    double best = 1e30;
    for (int r = 0; r < o->reps; r++) {
        const double t0 = now_s();
        fn(ctx);
        const double t = now_s() - t0;
        best = t < best ? t : best;
    }
    return best;
}

/* the int8 quantization every case uses: per-channel, non-zero zero points */
typedef struct bench_quant {
    int32_t mult[4096], shift[4096], bias[4096];
    float scale[4096];
    pml_qs8_quant q;
} bench_quant;
static void make_quant(bench_quant *b, int64_t n, int64_t k) {
    for (int64_t j = 0; j < n; j++) {
        pml_quantize_multiplier(1.0 / (64.0 * (double)k), &b->mult[j], &b->shift[j]);
        b->scale[j] = (float)(1.0 / (64.0 * (double)k));
        b->bias[j] = (int32_t)(next_u32() % 2001) - 1000;
    }
    memset(&b->q, 0, sizeof b->q);
    b->q.a_zero_point = 3;
    b->q.bias = b->bias;
    b->q.rq = (pml_requant){.mode = g_float_mode ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT, .per_channel = 1,
                            .multiplier = b->mult, .shift = b->shift, .scale = b->scale, .zero_point = -5, .qmin = -128,
                            .qmax = 127};
    b->q.out_dtype = PML_INT8;
}

/* ---- GEMM and conv: both through their GEMM drivers ------------------------------------------------- */

typedef struct gemm_case {
    const pml_f32_kernels *fk;
    const pml_qs8_gemm_kernels *qk;
    pml_threadpool *pool;
    pml_gemm_problem fp;
    const pml_conv_geom *g; /* conv cases */
    const float *fx;
    float *fscratch;
} gemm_case;

static void run_f32(void *c) {
    gemm_case *b = (gemm_case *)c;
    pml_gemm_run(b->fk, &b->fp, b->pool, b->fscratch);
}

static void f32_im2col_cb(const void *ctx, int64_t batch, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst,
                          int64_t ld) {
    const gemm_case *b = (const gemm_case *)ctx;
    pml_f32_im2col(b->g, b->fx, batch, m0, mb, k0, kcb, dst, ld);
}

typedef struct qconv_case {
    const pml_qs8_gemm_kernels *qk;
    pml_threadpool *pool;
    const pml_conv_geom *g;
    const int8_t *x;
    const void *packed;
    int8_t *y;
    pml_thread_scratch scratch;
} qconv_case;
static void run_qconv(void *c) {
    qconv_case *b = (qconv_case *)c;
    pml_qs8_conv_run(b->qk, b->g, b->x, b->packed, b->y, b->pool, b->scratch);
}

/* tp: the pair tiles' time when the int8 time tq is the quad tiles' (0: none) */
static void print_row(const char *name, double macs, double tf, double tq, double tp) {
    printf("| %-34s | %8.2f | %8.2f | %5.2fx |", name, 2.0 * macs / tf * 1e-9, 2.0 * macs / tq * 1e-9, tf / tq);
    if (tp > 0) printf(" %8.2f | %5.2fx |\n", 2.0 * macs / tp * 1e-9, tp / tq);
    else printf(" - | - |\n");
}

/* conv geometry g (groups 1) as f32 GEMM (im2col unless pointwise) and as int8 conv */
static void bench_conv(const bench_opts *o, const pml_f32_kernels *fk, const pml_qs8_gemm_kernels *qk,
                       pml_threadpool *pool, const char *name, const pml_conv_geom *g) {
    const int64_t m = g->n * g->oh * g->ow, k = g->kh * g->kw * g->cin, n = g->cout;
    const int pointwise = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0;
    const size_t nx = (size_t)(g->n * g->h * g->w * g->cin);
    float *fx = rand_f32(nx), *fw = rand_f32((size_t)(k * n)), *fy = rand_f32((size_t)(m * n));
    float *fpacked = (float *)pml_aligned_alloc(pml_gemm_packed_floats(k, n) * sizeof(float));
    pml_gemm_pack_b(fw, k, n, n, 1, 1.0f, NULL, 0, 0.0f, fpacked);
    gemm_case b;
    memset(&b, 0, sizeof b);
    b.fk = fk, b.qk = qk, b.pool = pool, b.g = g, b.fx = fx;
    b.fp = (pml_gemm_problem){.m = m, .n = n, .k = k, .batch = 1, .a = fx, .lda = k, .packed_b = fpacked, .c = fy, .ldc = n};
    if (!pointwise) b.fp.pack_a = f32_im2col_cb, b.fp.cb_ctx = &b;
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    b.fscratch = (float *)pml_aligned_alloc(pml_gemm_scratch_floats(fk, &b.fp) * sizeof(float) * (size_t)threads + 64);
    const double tf = best_of(o, run_f32, &b);

    int8_t *qx = rand_s8(nx), *qw = rand_s8((size_t)(k * n)), *qy = rand_s8((size_t)(m * n));
    static bench_quant bq;
    make_quant(&bq, n, k);
    void *qpacked = pml_aligned_alloc(pml_qs8_conv_packed_bytes(g));
    pml_qs8_conv_pack(qk, g, qw, &bq.q, qpacked); /* w read as OHWI */
    qconv_case qc = {qk, pool, g, qx, qpacked, qy, NULL};
    const size_t sb = pml_qs8_conv_scratch_bytes(qk, g);
    qc.scratch = pml_thread_scratch_of(pml_aligned_alloc(sb * (size_t)threads + 64), sb);
    const double tq = best_of(o, run_qconv, &qc);
    double tp = 0;
    if (qk->u8_gemm) { /* the same conv on the int16 pair tiles */
        pml_qs8_gemm_kernels pairs = *qk;
        pairs.u8_gemm = pairs.u8_gemm_1 = NULL;
        void *ppacked = pml_aligned_alloc(pml_qs8_conv_packed_bytes(g));
        pml_qs8_conv_pack(&pairs, g, qw, &bq.q, ppacked);
        qconv_case pc = {&pairs, pool, g, qx, ppacked, qy, qc.scratch};
        tp = best_of(o, run_qconv, &pc);
        pml_aligned_free(ppacked);
    }
    print_row(name, (double)m * (double)n * (double)k, tf, tq, tp);
    pml_aligned_free(fx), pml_aligned_free(fw), pml_aligned_free(fy), pml_aligned_free(fpacked);
    pml_aligned_free(b.fscratch);
    pml_aligned_free(qx), pml_aligned_free(qw), pml_aligned_free(qy), pml_aligned_free(qpacked);
    pml_aligned_free(qc.scratch.base);
}

/* ---- few-channel (stem) convs: the direct kernel against im2col + the quad GEMM ---------------------------- */

typedef struct stem_case {
    const pml_qs8_gemm_kernels *qk;
    pml_threadpool *pool;
    const pml_conv_geom *g;
    const int8_t *x;
    const void *packed;
    uint8_t *y, *cols;
    void *scratch;
} stem_case;
static void run_stem(void *c) {
    stem_case *b = (stem_case *)c;
    pml_qs8_stem_run(b->qk, b->g, b->x, 0, b->packed, b->y, b->pool, b->scratch);
}
static void run_stem_im2col(void *c) { /* what the GEMM path spends before its tiles (uint8 rows of kq bytes) */
    stem_case *b = (stem_case *)c;
    const int64_t m = b->g->n * b->g->oh * b->g->ow, kq = pml_qs8_kq(b->g->kh * b->g->kw * b->g->cin);
    pml_s8_im2col_u8(b->g, b->x, 0, 0, m, 3, b->cols, kq);
}

/* time in microseconds of: im2col + GEMM (the conv path without a stem kernel), the im2col
 * alone, the direct stem kernel (padded copy included) */
static void bench_stem(const bench_opts *o, const pml_qs8_gemm_kernels *qk, pml_threadpool *pool, const char *name,
                       const pml_conv_geom *g) {
    const int64_t m = g->n * g->oh * g->ow, k = g->kh * g->kw * g->cin, n = g->cout;
    int8_t *qx = rand_s8((size_t)(g->n * g->h * g->w * g->cin)), *qw = rand_s8((size_t)(k * n));
    uint8_t *qy = (uint8_t *)rand_s8((size_t)(m * n));
    static bench_quant bq;
    make_quant(&bq, n, k);
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    void *gpacked = pml_aligned_alloc(pml_qs8_conv_packed_bytes(g));
    pml_qs8_conv_pack(qk, g, qw, &bq.q, gpacked);
    qconv_case qc = {qk, pool, g, qx, gpacked, (int8_t *)qy, NULL};
    const size_t sb = pml_qs8_conv_scratch_bytes(qk, g);
    qc.scratch = pml_thread_scratch_of(pml_aligned_alloc(sb * (size_t)threads + 64), sb);
    const double tg = best_of(o, run_qconv, &qc);
    stem_case sc = {qk, pool, g, qx, NULL, qy, NULL, NULL};
    sc.cols = (uint8_t *)pml_aligned_alloc((size_t)(m * pml_qs8_kq(k)) + 64);
    const double ti = best_of(o, run_stem_im2col, &sc);
    double ts = 0;
    if (qk->stem) {
        sc.packed = pml_aligned_alloc(pml_qs8_stem_packed_bytes(g));
        pml_qs8_stem_pack(g, qw, &bq.q, (void *)sc.packed);
        sc.scratch = pml_aligned_alloc(pml_qs8_stem_scratch_bytes(g));
        ts = best_of(o, run_stem, &sc);
        pml_aligned_free((void *)sc.packed), pml_aligned_free(sc.scratch);
    }
    printf("| %-34s | %8.1f | %8.1f | %8.1f | %5.2fx | %6.1f |\n", name, tg * 1e6, ti * 1e6, ts * 1e6,
           ts > 0 ? tg / ts : 0.0, ts > 0 ? (double)m * (double)n * (double)k / ts * 1e-9 : 0.0);
    pml_aligned_free(qx), pml_aligned_free(qw), pml_aligned_free(qy), pml_aligned_free(gpacked);
    pml_aligned_free(qc.scratch.base), pml_aligned_free(sc.cols);
}

/* ---- depthwise -------------------------------------------------------------------------------------------- */

typedef struct dw_case {
    const pml_f32_kernels *fk;
    const pml_qs8_gemm_kernels *qk;
    pml_threadpool *pool;
    const pml_conv_geom *g;
    const float *fx, *fpacked;
    float *fy;
    const int8_t *qx;
    const void *qpacked;
    int8_t *qy;
    pml_thread_scratch qscratch; /* the threads' pml_qs8_dwconv_scratch_bytes */
} dw_case;

static void f32_dw_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const dw_case *b = (const dw_case *)arg;
    pml_activation act;
    memset(&act, 0, sizeof act);
    b->fk->dwconv(b->g, b->fx, b->fpacked, b->fy, task, task + 1, &act);
}
static void run_f32_dw(void *c) {
    dw_case *b = (dw_case *)c;
    pml_parallel_for(b->pool, b->g->n * b->g->oh, f32_dw_task, b);
}
static void run_qs8_dw(void *c) {
    dw_case *b = (dw_case *)c;
    pml_qs8_dwconv_run(b->qk, b->g, b->qx, b->qpacked, b->qy, b->pool, b->qscratch);
}

static void bench_dw(const bench_opts *o, const pml_f32_kernels *fk, const pml_qs8_gemm_kernels *qk,
                     pml_threadpool *pool, const char *name, const pml_conv_geom *g) {
    const int64_t C = g->cout, taps = g->kh * g->kw;
    const size_t nx = (size_t)(g->n * g->h * g->w * C), ny = (size_t)(g->n * g->oh * g->ow * C);
    dw_case b;
    memset(&b, 0, sizeof b);
    b.fk = fk, b.qk = qk, b.pool = pool, b.g = g;
    float *fw = rand_f32((size_t)(taps * C)), *fbias = rand_f32((size_t)C);
    float *fpacked = (float *)pml_aligned_alloc((size_t)((taps + 1) * pml_dwconv_c_pad(C)) * sizeof(float));
    pml_dwconv_pack(g, fw, fbias, fpacked);
    b.fx = rand_f32(nx), b.fy = rand_f32(ny), b.fpacked = fpacked;
    const double tf = best_of(o, run_f32_dw, &b);
    int8_t *qw = rand_s8((size_t)(taps * C));
    static bench_quant bq;
    make_quant(&bq, C, taps);
    void *qpacked = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(g));
    pml_qs8_dwconv_pack(g, qw, &bq.q, qpacked);
    b.qx = rand_s8(nx), b.qy = rand_s8(ny), b.qpacked = qpacked;
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    const size_t sb = pml_qs8_dwconv_scratch_bytes(qk, g, qpacked);
    b.qscratch = pml_thread_scratch_of(pml_aligned_alloc(sb * (size_t)threads + 64), sb);
    const double tq = best_of(o, run_qs8_dw, &b);
    print_row(name, (double)ny * (double)taps, tf, tq, 0);
    pml_aligned_free(fw), pml_aligned_free(fbias), pml_aligned_free(fpacked), pml_aligned_free((void *)b.fx);
    pml_aligned_free(b.fy), pml_aligned_free(qw), pml_aligned_free(qpacked), pml_aligned_free((void *)b.qx);
    pml_aligned_free(b.qy), pml_aligned_free(b.qscratch.base);
}

static pml_conv_geom geom(int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t group, int64_t k, int64_t s,
                          int64_t pad) {
    pml_conv_geom g = {.n = 1, .h = h, .w = w, .cin = cin, .cout = cout, .kh = k, .kw = k, .sh = s, .sw = s, .dh = 1,
                       .dw = 1, .pt = pad, .pl = pad, .pb = pad, .pr = pad, .group = group, .cg = cin / group,
                       .coutg = cout / group};
    g.oh = pml_window_out(h, k, s, 1, pad, pad, 0);
    g.ow = pml_window_out(w, k, s, 1, pad, pad, 0);
    return g;
}

int main(int argc, char **argv) {
    bench_opts o = {1, 20, "", NULL, 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) o.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) o.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) o.isa = argv[++i];
        else if (!strcmp(argv[i], "--tile") && i + 1 < argc) o.tile = argv[++i];
        else if (!strcmp(argv[i], "--float")) o.float_mode = g_float_mode = 1;
        else {
            fprintf(stderr, "usage: %s [--threads N] [--reps R] [--isa avx2|scalar] [--tile 4x16|6x16] [--float]\n", argv[0]);
            return 2;
        }
    }
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *cfg = NULL;
    if (pml_kernel_config_select(&cpu, o.isa, &cfg) != PML_OK) {
        fprintf(stderr, "configuration '%s' not available here (%s)\n", o.isa, pml_kernel_config_available(&cpu));
        return 2;
    }
    pml_qs8_gemm_kernels qk = *cfg->qs8->mm;
    if (o.tile) {
        int found = 0;
        const char *want_tile = o.tile, *want_isa = qk.isa;
        pml_qs8_gemm_kernels *sel = &qk;
#define PML_S8_GEMM(tile, isa, mr, nr)                                                \
    if (!strcmp(want_tile, #tile) && !strcmp(want_isa, #isa))                          \
        sel->gemm = pml_s8_gemm_##tile##__##isa, sel->gemm_mr = mr, found = 1;
#include "kernels/matmul/s8_gemm_variants.h"
        if (!found) {
            fprintf(stderr, "no %s tile for %s\n", o.tile, qk.isa);
            return 2;
        }
    }
    pml_threadpool *pool = o.threads > 1 ? pml_threadpool_create(o.threads) : NULL;
    printf("configuration %s, int8 tile %zux16 (u8 x s8 tile: %zux16), %s requantization, %d thread(s), best of %d\n\n",
           cfg->name, qk.gemm_mr, qk.u8_gemm ? qk.u8_mr : 0, o.float_mode ? "float" : "fixed-point", o.threads,
           o.reps);
    printf("| %-34s | f32 GOP/s | int8 GOP/s | int8/f32 | int8 pairs GOP/s | int8/pairs |\n"
           "|---|---:|---:|---:|---:|---:|\n", "shape");
    const pml_f32_kernels *fk = cfg->f32.mm;
    const pml_conv_geom gemm256 = geom(16, 16, 256, 256, 1, 1, 1, 0);   /* M = N = K = 256 */
    const pml_conv_geom pw3136 = geom(56, 56, 64, 64, 1, 1, 1, 0);      /* M = 3136, K = 64, N = 64 */
    const pml_conv_geom pw196 = geom(14, 14, 320, 1280, 1, 1, 1, 0);    /* M = 196, K = 320, N = 1280 */
    const pml_conv_geom pw784 = geom(28, 28, 32, 192, 1, 1, 1, 0);      /* MobileNetV2 expand */
    const pml_conv_geom c3 = geom(56, 56, 64, 64, 1, 3, 1, 1);          /* ResNet 3x3 */
    const pml_conv_geom c3s2 = geom(28, 28, 128, 256, 1, 3, 2, 1);
    const pml_conv_geom stem = geom(224, 224, 3, 32, 1, 3, 2, 1);       /* MobileNet stem */
    bench_conv(&o, fk, &qk, pool, "GEMM M=N=K=256", &gemm256);
    const pml_conv_geom fc = geom(1, 1, 1280, 1000, 1, 1, 1, 0);       /* classifier at batch 1 (GEMV) */
    bench_conv(&o, fk, &qk, pool, "FC M=1 K=1280 N=1000", &fc);
    bench_conv(&o, fk, &qk, pool, "1x1 M=3136 K=64 N=64", &pw3136);
    bench_conv(&o, fk, &qk, pool, "1x1 M=196 K=320 N=1280", &pw196);
    bench_conv(&o, fk, &qk, pool, "1x1 M=784 K=32 N=192", &pw784);
    bench_conv(&o, fk, &qk, pool, "3x3 56x56 64->64", &c3);
    bench_conv(&o, fk, &qk, pool, "3x3/2 28x28 128->256", &c3s2);
    bench_conv(&o, fk, &qk, pool, "3x3/2 stem 224x224 3->32", &stem);
    printf("\n| stem conv (us) | im2col + GEMM | its im2col | direct stem | speedup | stem GMAC/s |\n"
           "|---|---:|---:|---:|---:|---:|\n");
    pml_conv_geom blaze = geom(128, 128, 3, 24, 1, 5, 2, 1); /* BlazeFace: TFLite SAME pads 1 / 2 */
    blaze.pb = blaze.pr = 2;
    blaze.oh = blaze.ow = 64;
    pml_conv_geom convnet = geom(128, 128, 3, 32, 1, 3, 2, 0); /* the conv net: SAME pads 0 / 1 */
    convnet.pb = convnet.pr = 1;
    convnet.oh = convnet.ow = 64;
    const pml_conv_geom stem7 = geom(224, 224, 3, 64, 1, 7, 2, 3); /* ResNet's 7x7 */
    bench_stem(&o, &qk, pool, "5x5/2 128x128 3->24 (BlazeFace)", &blaze);
    bench_stem(&o, &qk, pool, "3x3/2 128x128 3->32 (conv net)", &convnet);
    bench_stem(&o, &qk, pool, "3x3/2 224x224 3->32 (MobileNet)", &stem);
    const pml_conv_geom stem16 = geom(224, 224, 3, 16, 1, 3, 2, 1); /* MobileNetV3 */
    bench_stem(&o, &qk, pool, "3x3/2 224x224 3->16 (MobileNetV3)", &stem16);
    bench_stem(&o, &qk, pool, "7x7/2 224x224 3->64 (ResNet)", &stem7);
    printf("\n");
    const pml_conv_geom dw1 = geom(112, 112, 32, 32, 32, 3, 1, 1);
    const pml_conv_geom dw2 = geom(56, 56, 144, 144, 144, 3, 2, 1);
    const pml_conv_geom dw3 = geom(14, 14, 576, 576, 576, 3, 1, 1);
    const pml_conv_geom dw5 = geom(28, 28, 240, 240, 240, 5, 1, 2);
    const pml_conv_geom dw5s2 = geom(28, 28, 240, 240, 240, 5, 2, 2);
    bench_dw(&o, fk, &qk, pool, "dw 3x3 112x112x32", &dw1);
    bench_dw(&o, fk, &qk, pool, "dw 3x3/2 56x56x144", &dw2);
    bench_dw(&o, fk, &qk, pool, "dw 3x3 14x14x576", &dw3);
    bench_dw(&o, fk, &qk, pool, "dw 5x5 28x28x240", &dw5);
    bench_dw(&o, fk, &qk, pool, "dw 5x5/2 28x28x240", &dw5s2);
    pml_threadpool_destroy(pool);
    return 0;
}
