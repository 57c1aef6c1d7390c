/*
 * qconv_testutil.h — what the int8 GEMM/conv tests (test_qgemm.c) and depthwise tests
 * (test_qconv_depthwise.c) share: random int8 data, quantization parameters for a variant
 * number, conv geometries, and check_conv, which packs and runs one conv or depthwise conv
 * through its driver and compares it with pml_qs8_conv_ref byte for byte (64 guard bytes after
 * the output; a uint8 x too where the packing takes one). Static: one copy per test program.
 */
#ifndef PML_TESTS_QCONV_TESTUTIL_H
#define PML_TESTS_QCONV_TESTUTIL_H

#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "testutil.h"

static pml_cpu g_cpu;
static int g_variants;
static pml_threadpool *g_pool2;

#define RUNS(isa) (pml_kernel_isa_available(&g_cpu, #isa) && ++g_variants)

#define rnd test_rand_u32 /* testutil.h's shared xorshift state */
#define rnd_range test_rand_range

/* int8 data: random, or (extreme) only -128 and 127 */
static void fill_s8(int8_t *p, size_t n, int extreme) {
    for (size_t i = 0; i < n; i++) p[i] = (int8_t)(extreme ? (rnd() & 1 ? 127 : -128) : rnd_range(-128, 127));
}

/* ---- quantization parameters ---------------------------------------------------------------------- */

#define MAXC 1024

typedef struct qparams {
    int32_t wzp[MAXC], bias[MAXC], mult[MAXC], shift[MAXC];
    float scale[MAXC];
    pml_qs8_quant q;
} qparams;

/* variant v picks the modes (bit 128: int32-edge biases; bit 256: weight zero points all 0, the
 * u8 x s8 quad packing's case, unless bit 16 drops them anyway); extreme: zero points at the ends
 * of their ranges */
static void make_quant(qparams *qp, int64_t n, int64_t k, int v, int extreme) {
    memset(qp, 0, sizeof *qp);
    pml_qs8_quant *q = &qp->q;
    const int per_channel = v & 1, float_mode = (v >> 1) & 1, out_u8 = (v >> 2) & 1;
    q->a_zero_point = extreme ? (v & 8 ? -128 : 127) : rnd_range(-128, 127);
    q->w_zero_point = v & 16 ? NULL : qp->wzp;
    q->w_zp_per_channel = per_channel;
    q->bias = v & 32 ? NULL : qp->bias;
    const double base = 1.0 / (64.0 * (double)(k > 0 ? k : 1));
    for (int64_t j = 0; j < n; j++) {
        qp->wzp[j] = v & 256 ? 0 : extreme ? (j & 1 ? 127 : -128) : rnd_range(-128, 127);
        qp->bias[j] = rnd_range(-100000, 100000);
        if (v & 128) /* biases at the ends of int32: the accumulator must wrap, never saturate */
            qp->bias[j] = j & 1 ? INT32_MIN + rnd_range(0, 1000) : INT32_MAX - rnd_range(0, 1000);
        const double real = base * (0.25 + (rnd() % 1000) / 250.0);
        pml_quantize_multiplier(real, &qp->mult[j], &qp->shift[j]);
        qp->scale[j] = (float)real;
    }
    q->rq.mode = float_mode ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    q->rq.per_channel = per_channel;
    q->rq.multiplier = qp->mult;
    q->rq.shift = qp->shift;
    q->rq.scale = qp->scale;
    q->out_dtype = out_u8 ? PML_UINT8 : PML_INT8;
    const int32_t lo = out_u8 ? 0 : -128, hi = out_u8 ? 255 : 127;
    q->rq.zero_point = extreme ? (v & 8 ? lo : hi) : rnd_range(lo, hi);
    q->rq.qmin = lo;
    q->rq.qmax = hi;
    if (v & 64) q->rq.qmin = q->rq.zero_point; /* a fused ReLU */
}

static pml_conv_geom geom(int64_t n, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t group, int64_t k,
                          int64_t stride, int64_t pad, int64_t dil) {
    pml_conv_geom g = {.n = n, .h = h, .w = w, .cin = cin, .cout = cout, .kh = k, .kw = k, .sh = stride, .sw = stride,
                       .dh = dil, .dw = dil, .pt = pad, .pl = pad, .pb = pad, .pr = pad, .group = group,
                       .cg = cin / group, .coutg = cout / group};
    g.oh = pml_window_out(h, k, stride, dil, pad, pad, 0);
    g.ow = pml_window_out(w, k, stride, dil, pad, pad, 0);
    return g;
}

static int check_conv(const pml_qs8_gemm_kernels *kern, pml_qs8_dwconv_fn dw, pml_threadpool *pool,
                      const pml_conv_geom *g, int v, int extreme, const char *name) {
    const int64_t k = g->kh * g->kw * g->cg;
    const size_t nx = (size_t)(g->n * g->h * g->w * g->cin), nw = (size_t)(g->cout * k);
    const size_t ny = (size_t)(g->n * g->oh * g->ow * g->cout);
    qparams qp;
    make_quant(&qp, g->cout, k, v, extreme);
    int8_t *x = malloc(nx), *w = malloc(nw);
    uint8_t *y = malloc(ny + 64), *r = malloc(ny); /* 64 guard bytes: no store past y's end */
    fill_s8(x, nx, extreme);
    fill_s8(w, nw, extreme);
    memset(y, 0xA5, ny + 64);
    void *packed, *buf = NULL;
    pml_thread_scratch scratch;
    pml_qs8_gemm_kernels dk = {.dwconv = dw, .dwconv_rows = kern ? kern->dwconv_rows : 0,
                               .dwconv_cols = kern ? kern->dwconv_cols : NULL};
    if (dw) {
        packed = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(g));
        pml_qs8_dwconv_pack(g, w, &qp.q, packed);
        const int threads = pool ? pml_threadpool_size(pool) : 1;
        /* a stride beyond the bytes asked for, as a session's regions have */
        const size_t stride = pml_qs8_dwconv_scratch_bytes(&dk, g, packed) + 192;
        scratch = pml_thread_scratch_of(buf = pml_aligned_alloc(stride * (size_t)threads + 64), stride);
        pml_qs8_dwconv_run(&dk, g, x, packed, y, pool, scratch);
    } else {
        packed = pml_aligned_alloc(pml_qs8_conv_packed_bytes(g));
        pml_qs8_conv_pack(kern, g, w, &qp.q, packed);
        const int threads = pool ? pml_threadpool_size(pool) : 1;
        const size_t stride = pml_qs8_conv_scratch_bytes(kern, g) + 192;
        scratch = pml_thread_scratch_of(buf = pml_aligned_alloc(stride * (size_t)threads + 64), stride);
        pml_qs8_conv_run(kern, g, x, packed, y, pool, scratch);
    }
    pml_qs8_conv_ref(g, x, w, &qp.q, r);
    int ok = memcmp(y, r, ny) == 0;
    for (size_t i = ny; i < ny + 64; i++)
        if (y[i] != 0xA5) ok = 0;
    /* x as a uint8 tensor, unflipped into the quad tiles or the row depthwise kernel */
    if (dw ? pml_qs8_dwconv_take_u8(&dk, g, packed) : pml_qs8_conv_takes_u8(g, packed)) {
        uint8_t *ux = malloc(nx);
        for (size_t i = 0; i < nx; i++) ux[i] = (uint8_t)x[i] ^ 0x80u;
        memset(y, 0xA5, ny);
        if (dw) pml_qs8_dwconv_run(&dk, g, (const int8_t *)ux, packed, y, pool, scratch);
        else pml_qu8_conv_run(kern, g, ux, packed, y, pool, scratch);
        if (memcmp(y, r, ny) != 0) ok = 0, fprintf(stderr, "%s: uint8 x:", name);
        free(ux);
    }
    if (!ok)
        fprintf(stderr, "%s: conv %lldx%lld s%lld d%lld p%lld C %lld->%lld group %lld v=%d differs\n", name,
                (long long)g->kh, (long long)g->kw, (long long)g->sh, (long long)g->dh, (long long)g->pt,
                (long long)g->cin, (long long)g->cout, (long long)g->group, v);
    free(x), free(w), free(y), free(r);
    pml_aligned_free(packed);
    pml_aligned_free(buf);
    return ok;
}

/* g with TFLite SAME's uneven padding (the extra pixel at the bottom and right) */
static pml_conv_geom same_pads(pml_conv_geom g) {
    const int64_t ph = (g.h + g.sh - 1) / g.sh, pw = (g.w + g.sw - 1) / g.sw;
    const int64_t th = (ph - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.h, tw = (pw - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.w;
    g.pt = th > 0 ? th / 2 : 0, g.pb = th > 0 ? th - th / 2 : 0, g.pl = tw > 0 ? tw / 2 : 0, g.pr = tw > 0 ? tw - tw / 2 : 0;
    g.oh = pml_window_out(g.h, g.kh, g.sh, g.dh, g.pt, g.pb, 0);
    g.ow = pml_window_out(g.w, g.kw, g.sw, g.dw, g.pl, g.pr, 0);
    return g;
}

#endif /* PML_TESTS_QCONV_TESTUTIL_H */
