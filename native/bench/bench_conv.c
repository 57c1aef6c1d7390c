/*
 * bench/bench_conv.c — micro-benchmark of the conv/GEMM kernels: runs single
 * ops through the same infer -> prepare -> run lifecycle a session uses and
 * reports GFLOP/s (2 flops per multiply-add) from the best of R runs.
 *
 *   pml_bench_conv [--threads N] [--scalar] [--reps R]            ResNet-50 conv table
 *   pml_bench_conv ... --conv H W Cin Cout K stride pad            one conv
 *   pml_bench_conv ... --gemm M N K                                one Gemm (B constant)
 *
 * The ResNet-50 table is every distinct conv of light_resnet50 (224x224,
 * batch 1, torchvision v1.5 strides) with its multiplicity; the summary line
 * gives the summed conv time of one forward pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "kernels/config.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *rand_buf(size_t n) {
    float *p = (float *)pml_aligned_alloc(n * sizeof(float));
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)(s >> 8) / (float)(1u << 24) - 0.5f;
    }
    return p;
}

typedef struct bench_opts {
    int threads, scalar, reps;
} bench_opts;

/* Runs op once to warm up, then reps times; returns the best (minimum)
 * seconds of one run: on a shared machine the minimum is the estimate of the
 * uncontended time, a median mostly measures the neighbours. */
static double bench_op(const bench_opts *o, int op, const pml_attr *attrs, int n_attrs, pml_tensor **in, int n_in,
                       pml_tensor *out) {
    const pml_op_def *def = pml_op_lookup(op);
    static int idx_in[4], idx_out[1] = {3};
    pml_node node;
    memset(&node, 0, sizeof node);
    node.name = "bench";
    node.op = op;
    node.n_inputs = n_in;
    node.n_outputs = 1;
    for (int i = 0; i < n_in; i++) idx_in[i] = i;
    node.inputs = idx_in;
    node.outputs = idx_out;
    node.attrs = attrs;
    node.n_attrs = n_attrs;
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    pml_threadpool *pool = o->threads > 1 ? pml_threadpool_create(o->threads) : NULL;
    pml_tensor *outs[1] = {out};
    pml_kernel_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.node = &node;
    ctx.op_name = pml_op_schema_get(op)->name;
    ctx.in = in;
    ctx.n_in = n_in;
    ctx.out = outs;
    ctx.n_out = 1;
    if (pml_kernel_config_select(&cpu, o->scalar ? "scalar" : NULL, &ctx.config) != PML_OK) {
        fprintf(stderr, "bench: no kernel configuration\n");
        pml_threadpool_destroy(pool);
        return -1.0;
    }
    ctx.pool = pool;
    double best = -1.0;
    /* the session's lifecycle: pack once (shape-independent), then infer and prepare per plan */
    if ((!def->pack || def->pack(&ctx) == PML_OK) && def->infer(&ctx) == PML_OK &&
        (!def->prepare || def->prepare(&ctx) == PML_OK)) {
        out->data = pml_aligned_alloc(out->nbytes);
        ctx.scratch = ctx.scratch_size ? pml_aligned_alloc(ctx.scratch_size) : NULL;
        def->run(&ctx);
        double *t = (double *)malloc(sizeof(double) * (size_t)o->reps);
        for (int r = 0; r < o->reps; r++) {
            double t0 = now_s();
            def->run(&ctx);
            t[r] = now_s() - t0;
        }
        best = t[0];
        for (int r = 1; r < o->reps; r++) best = t[r] < best ? t[r] : best;
        free(t);
        pml_aligned_free(ctx.scratch);
        pml_aligned_free(out->data);
    } else {
        fprintf(stderr, "bench: %s\n", pml_last_error());
    }
    if (def->release) def->release(&ctx);
    if (def->unpack) def->unpack(&ctx);
    pml_threadpool_destroy(pool);
    return best;
}

static pml_tensor make_tensor(int rank, const int64_t *dims, int is_const) {
    pml_tensor t;
    memset(&t, 0, sizeof t);
    pml_tensor_set_shape(&t, PML_FLOAT32, rank, dims);
    t.name = "t";
    t.is_const = is_const;
    t.data = rand_buf((size_t)pml_shape_numel(rank, dims));
    return t;
}

/* Returns seconds per run; *flops is set. */
static double bench_conv(const bench_opts *o, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t k, int64_t s,
                         int64_t p, int64_t group, double *flops) {
    const int64_t xd[4] = {1, h, w, cin}, wd[4] = {cout, k, k, cin / group}, bd[1] = {cout};
    pml_tensor x = make_tensor(4, xd, 0), wt = make_tensor(4, wd, 1), b = make_tensor(1, bd, 1), y;
    memset(&y, 0, sizeof y);
    pml_tensor *in[3] = {&x, &wt, &b};
    const int64_t strides[2] = {s, s}, pads[4] = {p, p, p, p};
    pml_attr attrs[4];
    memset(attrs, 0, sizeof attrs);
    attrs[0].name = "strides", attrs[0].type = PML_ATTR_INTS, attrs[0].ints = strides, attrs[0].n_ints = 2;
    attrs[1].name = "pads", attrs[1].type = PML_ATTR_INTS, attrs[1].ints = pads, attrs[1].n_ints = 4;
    attrs[2].name = "act", attrs[2].type = PML_ATTR_INT, attrs[2].i = PML_ACT_RELU;
    attrs[3].name = "group", attrs[3].type = PML_ATTR_INT, attrs[3].i = group;
    double t = bench_op(o, PML_OP_CONV, attrs, 4, in, 3, &y);
    const int64_t oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
    *flops = 2.0 * (double)(oh * ow * cout) * (double)(k * k * (cin / group));
    pml_aligned_free(x.data), pml_aligned_free(wt.data), pml_aligned_free(b.data);
    return t;
}

static double bench_gemm(const bench_opts *o, int64_t m, int64_t n, int64_t k, double *flops) {
    const int64_t ad[2] = {m, k}, bd[2] = {k, n};
    pml_tensor a = make_tensor(2, ad, 0), b = make_tensor(2, bd, 1), y;
    memset(&y, 0, sizeof y);
    pml_tensor *in[2] = {&a, &b};
    double t = bench_op(o, PML_OP_GEMM, NULL, 0, in, 2, &y);
    *flops = 2.0 * (double)m * (double)n * (double)k;
    pml_aligned_free(a.data), pml_aligned_free(b.data);
    return t;
}

/* {count, H, W, Cin, Cout, K, stride, pad} of light_resnet50's convs */
static const int k_resnet50[][8] = {
    {1, 224, 224, 3, 64, 7, 2, 3},     {1, 56, 56, 64, 64, 1, 1, 0},      {3, 56, 56, 64, 64, 3, 1, 1},
    {4, 56, 56, 64, 256, 1, 1, 0},     {2, 56, 56, 256, 64, 1, 1, 0},     {1, 56, 56, 256, 128, 1, 1, 0},
    {1, 56, 56, 128, 128, 3, 2, 1},    {4, 28, 28, 128, 512, 1, 1, 0},    {1, 56, 56, 256, 512, 1, 2, 0},
    {3, 28, 28, 512, 128, 1, 1, 0},    {3, 28, 28, 128, 128, 3, 1, 1},    {1, 28, 28, 512, 256, 1, 1, 0},
    {1, 28, 28, 256, 256, 3, 2, 1},    {6, 14, 14, 256, 1024, 1, 1, 0},   {1, 28, 28, 512, 1024, 1, 2, 0},
    {5, 14, 14, 1024, 256, 1, 1, 0},   {5, 14, 14, 256, 256, 3, 1, 1},    {1, 14, 14, 1024, 512, 1, 1, 0},
    {1, 14, 14, 512, 512, 3, 2, 1},    {3, 7, 7, 512, 2048, 1, 1, 0},     {1, 14, 14, 1024, 2048, 1, 2, 0},
    {2, 7, 7, 2048, 512, 1, 1, 0},     {2, 7, 7, 512, 512, 3, 1, 1},
};

int main(int argc, char **argv) {
    bench_opts o = {1, 0, 0};
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) o.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--scalar")) o.scalar = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) o.reps = atoi(argv[++i]);
        else break;
    }
    double flops, t;
    if (i < argc && !strcmp(argv[i], "--conv") && i + 7 < argc) {
        if (o.reps <= 0) o.reps = 20;
        const int64_t h = atoll(argv[i + 1]), w = atoll(argv[i + 2]), ci = atoll(argv[i + 3]), co = atoll(argv[i + 4]);
        const int64_t k = atoll(argv[i + 5]), s = atoll(argv[i + 6]), p = atoll(argv[i + 7]);
        const int64_t g = i + 8 < argc ? atoll(argv[i + 8]) : 1;
        if (h <= 0 || w <= 0 || ci <= 0 || co <= 0 || k <= 0 || s <= 0 || p < 0 || g <= 0 || ci % g || co % g) {
            fprintf(stderr, "bench: --conv needs positive H W Cin Cout K stride, pad >= 0 and a group dividing Cin "
                            "and Cout (options go before --conv)\n");
            return 2;
        }
        t = bench_conv(&o, h, w, ci, co, k, s, p, g, &flops);
        printf("conv %lldx%lldx%lld -> %lld k%lld s%lld p%lld g%lld: %.3f ms  %.1f GFLOP/s\n", (long long)h,
               (long long)w, (long long)ci, (long long)co, (long long)k, (long long)s, (long long)p, (long long)g,
               t * 1e3, flops / t * 1e-9);
        return 0;
    }
    if (i < argc && !strcmp(argv[i], "--gemm") && i + 3 < argc) {
        if (o.reps <= 0) o.reps = 20;
        const int64_t m = atoll(argv[i + 1]), n = atoll(argv[i + 2]), k = atoll(argv[i + 3]);
        if (m <= 0 || n <= 0 || k <= 0) {
            fprintf(stderr, "bench: --gemm needs positive M N K (options go before --gemm)\n");
            return 2;
        }
        t = bench_gemm(&o, m, n, k, &flops);
        printf("gemm M=%lld N=%lld K=%lld: %.3f ms  %.1f GFLOP/s\n", (long long)m, (long long)n, (long long)k, t * 1e3,
               flops / t * 1e-9);
        return 0;
    }
    if (i < argc) {
        fprintf(stderr, "usage: %s [--threads N] [--scalar] [--reps R] [--conv H W Cin Cout K stride pad [group] | "
                        "--gemm M N K]\n", argv[0]);
        return 2;
    }
    if (o.reps <= 0) o.reps = o.scalar ? 1 : 20;
    printf("ResNet-50 convs, %d thread(s), %s kernels, best of %d runs\n", o.threads,
           o.scalar ? "scalar reference" : "best", o.reps);
    printf("%5s %-30s %10s %10s\n", "count", "conv (HxWxCin->Cout kKsSpP)", "ms", "GFLOP/s");
    double total_t = 0.0, total_f = 0.0;
    for (size_t r = 0; r < sizeof k_resnet50 / sizeof k_resnet50[0]; r++) {
        const int *c = k_resnet50[r];
        t = bench_conv(&o, c[1], c[2], c[3], c[4], c[5], c[6], c[7], 1, &flops);
        char name[64];
        snprintf(name, sizeof name, "%dx%dx%d->%d k%ds%dp%d", c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        printf("%5d %-30s %10.3f %10.1f\n", c[0], name, t * 1e3, flops / t * 1e-9);
        total_t += c[0] * t;
        total_f += c[0] * flops;
    }
    printf("total: %.1f GFLOP in %.2f ms = %.1f GFLOP/s\n", total_f * 1e-9, total_t * 1e3, total_f / total_t * 1e-9);
    return 0;
}
