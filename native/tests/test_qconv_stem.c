/*
 * test_qconv_stem.c — the direct few-channel int8 convs (the 3-channel stems,
 * kernels/conv/s8_conv.h pml_qs8_stem_*): every listed stem variant this CPU runs, through
 * the stem driver (padded copy, row split, 1 and 2 threads), against the naive reference
 * pml_qs8_conv_ref, exact equality. Awkward shapes: widths 1, 2, 3, 7, 17, 33 (pixel-step
 * tails), heights 1..5, output channels 1..48 (16-lane masks, a second 32-channel pass),
 * 1/3/4 input channels, 3x3/5x5/7x7/11x11 (and 1x1, 2x3), strides 1 and 2, rows of 3000 pixels, explicit and
 * asymmetric SAME pads; int8 and uint8 x, int8 and uint8 y, both requantization modes,
 * per-tensor and per-channel scales, zero points and operands at the ends of their ranges,
 * biases at the ends of int32 (the accumulator must wrap). Also which geometries the
 * driver takes, and that every configuration's stem slot (where it has one) is listed.
 */
#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "testutil.h"

static pml_cpu g_cpu;
static int g_variants;
static pml_threadpool *g_pool2;

#define rnd test_rand_u32 /* testutil.h's shared xorshift state */
#define rnd_range test_rand_range

#define MAXC 64

typedef struct stem_quant {
    int32_t wzp[MAXC], bias[MAXC], mult[MAXC], shift[MAXC];
    float scale[MAXC];
    pml_qs8_quant q;
} stem_quant;

/* v's bits: 1 per channel, 2 float (ONNX) requantization, 4 uint8 y, 8 no bias, 16 int32-edge
 * biases, 32 a fused ReLU's clamp, 64 explicit zero weight zero points (else NULL), 128 scales
 * past 1 (left shifts) with small biases (check_stem then keeps x - za and w small), 256 biases
 * near +-2^31 with multipliers near 2^31 and right shift 29 (fixed point only: both must take
 * the general rounding, not the short one of small accumulators); extreme: zero points at the
 * ends of their ranges */
static void make_quant(stem_quant *sq, int64_t n, int64_t k, int v, int extreme) {
    memset(sq, 0, sizeof *sq);
    pml_qs8_quant *q = &sq->q;
    const int out_u8 = (v >> 2) & 1;
    q->a_zero_point = v & 128 ? rnd_range(-2, 2) : extreme ? (rnd() & 1 ? -128 : 127) : rnd_range(-128, 127);
    q->w_zero_point = v & 64 ? sq->wzp : NULL;
    q->w_zp_per_channel = v & 1;
    q->bias = v & 8 ? NULL : sq->bias;
    for (int64_t j = 0; j < n; j++) {
        sq->bias[j] = v & 16 ? (j & 1 ? INT32_MIN + rnd_range(0, 1000) : INT32_MAX - rnd_range(0, 1000))
                             : rnd_range(-200000, 200000);
        if (v & 128) sq->bias[j] = rnd_range(-20, 20);
        if (v & 256) sq->bias[j] = (j & 1 ? -2000000000 : 2000000000) + rnd_range(-500, 500);
        double real = (0.25 + (rnd() % 1000) / 250.0) / (64.0 * (double)k);
        if (v & 128) real *= 64.0 * (double)k;
        if (v & 256) real = 1.84e-9 + 1e-13 * (double)j;
        pml_quantize_multiplier(real, &sq->mult[j], &sq->shift[j]);
        sq->scale[j] = (float)real;
    }
    q->rq.mode = v & 2 ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    q->rq.per_channel = v & 1;
    q->rq.multiplier = sq->mult, q->rq.shift = sq->shift, q->rq.scale = sq->scale;
    q->out_dtype = out_u8 ? PML_UINT8 : PML_INT8;
    const int32_t lo = out_u8 ? 0 : -128, hi = out_u8 ? 255 : 127;
    q->rq.zero_point = extreme ? (rnd() & 1 ? lo : hi) : rnd_range(lo, hi);
    q->rq.qmin = v & 32 ? q->rq.zero_point : lo;
    q->rq.qmax = hi;
}

static pml_conv_geom geom(int64_t n, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t kh, int64_t kw,
                          int64_t s, int64_t pt, int64_t pl, int64_t pb, int64_t pr) {
    pml_conv_geom g = {.n = n, .h = h, .w = w, .cin = cin, .cout = cout, .kh = kh, .kw = kw, .sh = s, .sw = s,
                       .dh = 1, .dw = 1, .pt = pt, .pl = pl, .pb = pb, .pr = pr, .group = 1, .cg = cin,
                       .coutg = cout};
    g.oh = pml_window_out(h, kh, s, 1, pt, pb, 0);
    g.ow = pml_window_out(w, kw, s, 1, pl, pr, 0);
    return g;
}

/* The conv g through the stem driver on `stem` against the reference: x as int8 and as the
 * uint8 tensor of the same values (x ^ 0x80). */
static int check_stem(pml_qu8_stem_fn stem, pml_threadpool *pool, const pml_conv_geom *g, int v, int extreme,
                      const char *name) {
    const int64_t k = g->kh * g->kw * g->cin;
    const size_t nx = (size_t)(g->n * g->h * g->w * g->cin), nw = (size_t)(g->cout * k);
    const size_t ny = (size_t)(g->n * g->oh * g->ow * g->cout);
    stem_quant sq;
    make_quant(&sq, g->cout, k, v, extreme);
    int8_t *x = malloc(nx + 1), *w = malloc(nw + 1);
    uint8_t *ux = malloc(nx + 1), *y = malloc(ny + 1), *r = malloc(ny + 1);
    for (size_t i = 0; i < nx; i++)
        x[i] = (int8_t)(v & 128 ? rnd_range(-2, 2) : extreme ? (rnd() & 1 ? 127 : -128) : rnd_range(-128, 127));
    for (size_t i = 0; i < nw; i++)
        w[i] = (int8_t)(v & (128 | 256) ? rnd_range(-3, 3) : extreme ? (rnd() & 1 ? 127 : -128) : rnd_range(-128, 127));
    for (size_t i = 0; i < nx; i++) ux[i] = (uint8_t)x[i] ^ 0x80u;
    CHECK(pml_qs8_stem_eligible(g, &sq.q));
    void *packed = pml_aligned_alloc(pml_qs8_stem_packed_bytes(g));
    void *scratch = pml_aligned_alloc(pml_qs8_stem_scratch_bytes(g));
    pml_qs8_stem_pack(g, w, &sq.q, packed);
    pml_qs8_conv_ref(g, x, w, &sq.q, r);
    const pml_qs8_gemm_kernels kern = {.stem = stem};
    int ok = 1;
    for (int x_u8 = 0; x_u8 <= 1; x_u8++) {
        memset(y, 0xA5, ny + 1);
        pml_qs8_stem_run(&kern, g, x_u8 ? (const void *)ux : (const void *)x, x_u8, packed, y, pool, scratch);
        if (memcmp(y, r, ny) != 0 || y[ny] != 0xA5) {
            ok = 0;
            size_t i = 0;
            while (i < ny && y[i] == r[i]) i++;
            fprintf(stderr, "%s: %s x, %lldx%lld s%lld pads %lld,%lld,%lld,%lld, %lldx%lldx%lld -> %lld, v=%d: "
                    "y[%zu] = %d, want %d\n", name, x_u8 ? "uint8" : "int8", (long long)g->kh, (long long)g->kw,
                    (long long)g->sh, (long long)g->pt, (long long)g->pl, (long long)g->pb, (long long)g->pr,
                    (long long)g->h, (long long)g->w, (long long)g->cin, (long long)g->cout, v, i,
                    i < ny ? y[i] : -1, i < ny ? r[i] : -1);
        }
    }
    free(x), free(w), free(ux), free(y), free(r);
    pml_aligned_free(packed), pml_aligned_free(scratch);
    return ok;
}

static void test_stem_variant(const char *name, pml_qu8_stem_fn stem) {
    /* kh, kw, stride, pads top/left/bottom/right: explicit, TFLite SAME (more at the end), none */
    const int64_t kinds[][7] = {{3, 3, 1, 1, 1, 1, 1}, {3, 3, 2, 0, 0, 1, 1}, {3, 3, 2, 1, 1, 1, 1},
                                {5, 5, 2, 1, 1, 2, 2}, {5, 5, 1, 2, 2, 2, 2}, {7, 7, 2, 3, 3, 3, 3},
                                {3, 3, 2, 0, 0, 0, 0}, {2, 3, 1, 0, 1, 1, 0}, {1, 1, 1, 0, 0, 0, 0}};
    const int64_t widths[] = {1, 2, 3, 7, 17, 33}, couts[] = {1, 8, 16, 17, 24, 32, 33, 48};
    int v = 0;
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++)
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
            for (int64_t h = 1; h <= 5; h++) {
                const int64_t *kd = kinds[ki];
                const int64_t cout = couts[(size_t)v % (sizeof couts / sizeof couts[0])];
                const int64_t cin = v % 7 == 3 ? 1 : v % 7 == 5 ? 4 : 3;
                const pml_conv_geom g = geom(1 + (v % 5 == 0), h, widths[wi], cin, cout, kd[0], kd[1], kd[2], kd[3],
                                             kd[4], kd[5], kd[6]);
                v++;
                if (g.oh <= 0 || g.ow <= 0) continue;
                CHECK(check_stem(stem, NULL, &g, (int)(rnd() & 127), v % 4 == 0, name));
            }
    /* every output channel count at the stems' shapes */
    for (size_t ci = 0; ci < sizeof couts / sizeof couts[0]; ci++)
        for (int e = 0; e < 4; e++) {
            const pml_conv_geom g3 = geom(1, 9, 17, 3, couts[ci], 3, 3, 2, 0, 0, 1, 1);
            const pml_conv_geom g5 = geom(1, 8, 33, 3, couts[ci], 5, 5, 2, 1, 1, 2, 2);
            CHECK(check_stem(stem, NULL, &g3, (int)(rnd() & 127), e == 0, name));
            CHECK(check_stem(stem, NULL, &g5, (int)(rnd() & 127), e == 1, name));
        }
    /* the fixed point's short rounding only where exact: left shifts, biases near 2^31 */
    for (size_t ci = 0; ci < 3; ci++) {
        const pml_conv_geom g3 = geom(1, 9, 17, 3, couts[ci * 3 + 1], 3, 3, 2, 0, 0, 1, 1);
        CHECK(check_stem(stem, NULL, &g3, 128 | 1, 0, name));
        CHECK(check_stem(stem, NULL, &g3, 256 | 1, 0, name));
        CHECK(check_stem(stem, NULL, &g3, 256 | 4, 0, name));
    }
    /* the BlazeFace and MobileNet stems at full size, two threads */
    const pml_conv_geom blaze = geom(1, 128, 128, 3, 24, 5, 5, 2, 1, 1, 2, 2);
    const pml_conv_geom mobile = geom(1, 128, 128, 3, 32, 3, 3, 2, 0, 0, 1, 1);
    CHECK(check_stem(stem, g_pool2, &blaze, 1, 0, name));  /* TFLite: per channel, fixed point */
    CHECK(check_stem(stem, g_pool2, &mobile, 3, 1, name)); /* ONNX float requantization, extremes */
    CHECK(check_stem(stem, g_pool2, &mobile, 16 | 4, 0, name));
    /* rows wider than the AVX2 kernel's widened-row buffer: column segments */
    const pml_conv_geom wide5 = geom(1, 4, 3001, 3, 24, 5, 5, 1, 2, 2, 2, 2);
    const pml_conv_geom wide11 = geom(1, 13, 1203, 4, 40, 11, 11, 2, 5, 5, 5, 5);
    CHECK(check_stem(stem, NULL, &wide5, 1, 0, name));
    CHECK(check_stem(stem, g_pool2, &wide11, 5, 1, name));
    const pml_conv_geom far = geom(1, 30, 400, 4, 8, 11, 11, 24, 5, 5, 5, 5); /* 96-byte pixel steps */
    CHECK(check_stem(stem, NULL, &far, 2, 0, name));
}

static void test_eligibility(void) {
    stem_quant sq;
    make_quant(&sq, 24, 75, 64 | 1, 0); /* per-channel weight zero points, all 0 */
    const pml_conv_geom g = geom(1, 16, 16, 3, 24, 5, 5, 2, 1, 1, 2, 2);
    CHECK(pml_qs8_stem_eligible(&g, &sq.q));
    sq.wzp[5] = 1; /* vpdpbusd's operand is w itself: a nonzero weight zero point goes to the GEMM */
    CHECK(!pml_qs8_stem_eligible(&g, &sq.q));
    sq.wzp[5] = 0;
    pml_conv_geom o = g;
    o.cin = 8, o.cg = 8;
    CHECK(!pml_qs8_stem_eligible(&o, &sq.q));
    o = g, o.dh = o.dw = 2;
    CHECK(!pml_qs8_stem_eligible(&o, &sq.q));
    o = g, o.group = 3, o.cg = 1, o.coutg = 8;
    CHECK(!pml_qs8_stem_eligible(&o, &sq.q));
}

int main(void) {
    pml_cpu_detect(&g_cpu);
    g_pool2 = pml_threadpool_create(2);
    test_eligibility();
#define PML_U8S8_CONV_STEM(isa)                                                        \
    if (pml_kernel_isa_available(&g_cpu, #isa) && ++g_variants)                        \
        test_stem_variant("u8s8_conv_stem__" #isa, pml_u8s8_conv_stem__##isa);
#include "kernels/conv/s8_conv_variants.h"
    printf("stem variants run against the reference: %d\n", g_variants);
    pml_threadpool_destroy(g_pool2);
    return test_finish("test_qconv_stem");
}
