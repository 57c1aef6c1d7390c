/*
 * test_qconv_residual.c — the residual Add fused into the int8 conv's GEMM epilogue
 * (pml_qs8_conv_run_sum; kernels/matmul/s8_gemm.h, pml_qs8_epilogue.add) against its oracle,
 * the two standalone references composed: pml_qs8_conv_ref writes the conv's own int8/uint8
 * output, then the scalar int8 Add kernel (pml_s8_qbinary__scalar, uint8 through the sign
 * flip as ops/elementwise_q8.c runs it) adds the residual. Exact equality, never a tolerance.
 *
 * Every kernel configuration this CPU runs (scalar, avx2, avx512vnni), one and two threads,
 * at awkward shapes: output channels 1, 15, 16, 17, 24, 33 (column tails of the 16-wide
 * tiles), rows 1, 5, 6, 7, 13 (row tails of the 4- and 6-row tiles), pointwise (A read in
 * place), 3x3 (im2col) and grouped convs; both requantization modes of the conv and of the
 * Add, int8 and uint8 tensors (uint8 x both flipped and read as it is by the u8 x s8 tiles),
 * the pair and the quad packing, the Add's fused ReLU, residuals of other scales and zero
 * points or of the conv output's own scale.
 */
#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "kernels/quant/qelementwise.h"
#include "testutil.h"

static pml_cpu g_cpu;
static pml_threadpool *g_pool2;

#define rnd test_rand_u32 /* testutil.h's shared xorshift state */
#define rnd_range test_rand_range
static float rnd_scale(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() % 10000) / 10000.0f; }

static pml_conv_geom geom(int64_t rows, int64_t cin, int64_t cout, int64_t group, int64_t k) {
    const int64_t pad = k / 2;
    pml_conv_geom g = {.n = 1, .h = 1, .w = rows, .cin = cin, .cout = cout, .kh = k, .kw = k, .sh = 1, .sw = 1,
                       .dh = 1, .dw = 1, .pt = pad, .pl = pad, .pb = pad, .pr = pad, .group = group,
                       .cg = cin / group, .coutg = cout / group};
    if (k > 1) g.h = 3; /* a real window: rows of 3 x rows */
    g.oh = pml_window_out(g.h, k, 1, 1, pad, pad, 0);
    g.ow = pml_window_out(g.w, k, 1, 1, pad, pad, 0);
    return g;
}

/* One case's data and parameters. v's bits: 1 conv float requant, 2 Add float requant, 4 uint8
 * tensors, 8 weight zero points all 0 (quad packing where the configuration has it), 16 the
 * Add's fused ReLU, 32 the residual of the conv output's own scale (both of the fixed-point
 * Add's input multipliers 1/2: its shift-only path) */
typedef struct rcase {
    int32_t wzp[64], bias[64], mult[64], shift[64];
    float scale[64];
    pml_qs8_quant q;
    pml_qbinary_params add;     /* in the tensors' own domain (uint8 values for uint8) */
    pml_qbinary_params add_s8;  /* the same on the int8 view: what the standalone op runs */
} rcase;

static void make_case(rcase *c, const pml_conv_geom *g, int v) {
    memset(c, 0, sizeof *c);
    const int u8 = (v & 4) != 0;
    const int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127, off = u8 ? 128 : 0;
    const int64_t k = g->kh * g->kw * g->cg;
    c->q.a_zero_point = rnd_range(-128, 127); /* int8 view */
    c->q.w_zero_point = c->wzp;
    c->q.w_zp_per_channel = 1;
    c->q.bias = c->bias;
    for (int64_t j = 0; j < g->cout; j++) {
        c->wzp[j] = v & 8 ? 0 : rnd_range(-20, 20);
        c->bias[j] = rnd_range(-20000, 20000);
        const double real = (0.3 + (rnd() % 1000) / 700.0) / (32.0 * (double)k);
        pml_quantize_multiplier(real, &c->mult[j], &c->shift[j]);
        c->scale[j] = (float)real;
    }
    c->q.rq.mode = v & 1 ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    c->q.rq.per_channel = 1;
    c->q.rq.multiplier = c->mult, c->q.rq.shift = c->shift, c->q.rq.scale = c->scale;
    c->q.rq.zero_point = rnd_range(lo, hi);
    c->q.rq.qmin = lo, c->q.rq.qmax = hi; /* the conv's own clamp: no activation before the Add */
    c->q.out_dtype = u8 ? PML_UINT8 : PML_INT8;
    /* the Add: the conv's output (a), the residual (b), y */
    const float sa = rnd_scale(0.01f, 0.1f), sb = v & 32 ? sa : rnd_scale(0.01f, 0.1f);
    const float sy = rnd_scale(0.02f, 0.15f);
    const int32_t za = c->q.rq.zero_point, zb = rnd_range(lo, hi), zy = rnd_range(lo, hi);
    const int32_t qmin = v & 16 ? zy : lo, qmax = hi;
    const int mode = v & 2 ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    CHECK(pml_qbinary_params_init(&c->add, PML_QBIN_ADD, mode, 0, sa, za, sb, zb, sy, zy, qmin, qmax) == 0);
    CHECK(pml_qbinary_params_init(&c->add_s8, PML_QBIN_ADD, mode, 0, sa, za - off, sb, zb - off, sy, zy - off,
                                  qmin - off, qmax - off) == 0);
}

static void flip(const uint8_t *src, uint8_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i] ^ 0x80u;
}

/* The oracle: conv reference, then the standalone scalar Add kernel on the int8 view. */
static void oracle(const pml_conv_geom *g, const int8_t *x, const int8_t *w, const rcase *c, const uint8_t *res,
                   uint8_t *want, size_t ny) {
    const int u8 = c->q.out_dtype == PML_UINT8;
    uint8_t *mid = malloc(ny), *r8 = malloc(ny);
    pml_qs8_conv_ref(g, x, w, &c->q, mid);
    if (u8) flip(mid, mid, ny), flip(res, r8, ny);
    else memcpy(r8, res, ny);
    pml_s8_qbinary__scalar[PML_QBIN_ADD].vv(ny, mid, r8, want, &c->add_s8);
    if (u8) flip(want, want, ny);
    free(mid), free(r8);
}

static int check_case(const pml_qs8_gemm_kernels *kern, pml_threadpool *pool, const pml_conv_geom *g, int v,
                      const char *name) {
    rcase c;
    make_case(&c, g, v);
    const int64_t k = g->kh * g->kw * g->cg;
    const size_t nx = (size_t)(g->n * g->h * g->w * g->cin), nw = (size_t)(g->cout * k);
    const size_t ny = (size_t)(g->n * g->oh * g->ow * g->cout);
    int8_t *x = malloc(nx), *w = malloc(nw);
    uint8_t *res = malloc(ny), *y = malloc(ny), *want = malloc(ny), *ux = malloc(nx);
    for (size_t i = 0; i < nx; i++) x[i] = (int8_t)rnd_range(-128, 127);
    for (size_t i = 0; i < nw; i++) w[i] = (int8_t)rnd_range(-128, 127);
    for (size_t i = 0; i < ny; i++) res[i] = (uint8_t)rnd();
    oracle(g, x, w, &c, res, want, ny);

    void *packed = pml_aligned_alloc(pml_qs8_conv_packed_bytes(g));
    pml_qs8_conv_pack(kern, g, w, &c.q, packed);
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    const size_t sb = pml_qs8_conv_scratch_bytes(kern, g);
    void *buf = pml_aligned_alloc(sb * (size_t)threads + 64);
    const pml_thread_scratch scratch = pml_thread_scratch_of(buf, sb);
    const pml_qs8_conv_sum sum = {res, &c.add};
    memset(y, 0xA5, ny);
    pml_qs8_conv_run_sum(kern, g, x, 0, packed, &sum, y, pool, scratch);
    int ok = memcmp(y, want, ny) == 0;
    if (c.q.out_dtype == PML_UINT8 && pml_qs8_conv_takes_u8(g, packed)) { /* uint8 x read as it is */
        flip((const uint8_t *)x, ux, nx);
        memset(y, 0xA5, ny);
        pml_qs8_conv_run_sum(kern, g, (const int8_t *)ux, 1, packed, &sum, y, pool, scratch);
        if (memcmp(y, want, ny) != 0) ok = 0, fprintf(stderr, "%s: uint8 x read as it is: ", name);
    }
    if (!ok) {
        size_t i = 0;
        while (i < ny && y[i] == want[i]) i++;
        fprintf(stderr, "%s: %lldx%lld conv rows %lld C %lld->%lld group %lld v=%d: element %zu is %d, want %d\n",
                name, (long long)g->kh, (long long)g->kw, (long long)(g->oh * g->ow), (long long)g->cin,
                (long long)g->cout, (long long)g->group, v, i, y[i], want[i]);
    }
    free(x), free(w), free(res), free(y), free(want), free(ux);
    pml_aligned_free(packed), pml_aligned_free(buf);
    return ok;
}

static void test_config(const pml_kernel_config *cfg) {
    const pml_qs8_gemm_kernels *kern = cfg->qs8->mm;
    const int64_t couts[] = {1, 15, 16, 17, 24, 33}, rows[] = {1, 5, 6, 7, 13};
    int cases = 0, v = 0;
    for (size_t ci = 0; ci < sizeof couts / sizeof couts[0]; ci++)
        for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++, v++) {
            const int64_t cin = (int64_t)(4 + 4 * (v % 7)) + (v % 3 == 0); /* K % 4 == 0 in place, and not */
            const pml_conv_geom g = geom(rows[ri], cin, couts[ci], 1, 1);
            for (int bits = 0; bits < 64; bits += 1 + (int)(rnd() % 5), cases++)
                CHECK(check_case(kern, v & 1 ? g_pool2 : NULL, &g, bits, cfg->name));
        }
    const pml_conv_geom others[] = {geom(7, 5, 24, 1, 3), geom(13, 8, 34, 2, 3), geom(1, 16, 17, 1, 3),
                                    geom(300, 24, 24, 1, 1), geom(97, 64, 33, 1, 1)};
    for (size_t gi = 0; gi < sizeof others / sizeof others[0]; gi++)
        for (int bits = 0; bits < 64; bits++, cases++) CHECK(check_case(kern, gi & 1 ? g_pool2 : NULL, &others[gi], bits, cfg->name));
    printf("%s: %d fused residual convs against conv ref + Add ref\n", cfg->name, cases);
}

/* Every (conv output, residual) byte pair through each tile's Add: a 1x1 conv with one input
 * channel, weight 1 and multiplier 1 copies x (all 256 values down the rows) to its 16 (the
 * tiles' epilogue) or 24 (the dense store's, where the configuration has one) output
 * channels, the residual takes all 256 values across rows and columns. Scales in simple ratios
 * (the Add's real results land exactly on rounding ties) catch an off-by-one rounding that
 * random data almost never reaches: {0.1, 0.1, 0.2} (both inputs of ratio 1/2, halves of
 * odd sums) caught the AVX-512 Add's nudged rounding divide by 2^0 on one of them. */
static void test_every_pair(const pml_kernel_config *cfg, int64_t cout) {
    const float scales[][3] = {{0.3f, 0.2f, 0.2f}, {0.75f, 0.5f, 0.5f}, {0.1f, 0.1f, 0.1f}, {0.06f, 0.07f, 0.05f},
                               {0.5f, 0.25f, 1.0f}, {0.02f, 0.08f, 0.04f}, {0.1f, 0.1f, 0.2f}};
    const pml_conv_geom g = {.n = 1, .h = 1, .w = 4096, .cin = 1, .cout = cout, .kh = 1, .kw = 1, .sh = 1, .sw = 1,
                             .dh = 1, .dw = 1, .group = 1, .cg = 1, .coutg = cout, .oh = 1, .ow = 4096};
    const size_t ny = 4096 * (size_t)cout;
    int8_t x[4096], w[24];
    uint8_t *res = malloc(ny), *y = malloc(ny), *want = malloc(ny);
    for (int i = 0; i < 4096; i++) x[i] = (int8_t)(i & 255);
    for (int j = 0; j < cout; j++) w[j] = 1;
    for (size_t i = 0; i < ny; i++) res[i] = (uint8_t)((i / (size_t)cout / 256) * (size_t)cout + i % (size_t)cout);
    void *packed = pml_aligned_alloc(pml_qs8_conv_packed_bytes(&g));
    void *scratch = pml_aligned_alloc(pml_qs8_conv_scratch_bytes(cfg->qs8->mm, &g) + 64);
    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++)
        for (int v = 0; v < 8; v++) {
            rcase c;
            make_case(&c, &g, (v & 1 ? 2 : 0) | (v & 2 ? 4 : 0) | 8 | (v & 4 ? 16 : 0));
            const int u8 = (v & 2) != 0;
            const int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127, off = u8 ? 128 : 0;
            c.q.a_zero_point = 0, c.q.bias = NULL;
            for (int j = 0; j < cout; j++) c.wzp[j] = 0, pml_quantize_multiplier(1.0, &c.mult[j], &c.shift[j]), c.scale[j] = 1.0f;
            c.q.rq.zero_point = off; /* v = x (its int8 view + 128 for uint8) */
            const int mode = v & 1 ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
            const int32_t za = rnd_range(lo, hi), zb = rnd_range(lo, hi), zy = rnd_range(lo, hi);
            const int32_t qmin = v & 4 ? zy : lo;
            const float *sc = scales[si];
            CHECK(pml_qbinary_params_init(&c.add, PML_QBIN_ADD, mode, 0, sc[0], za, sc[1], zb, sc[2], zy, qmin, hi) == 0);
            CHECK(pml_qbinary_params_init(&c.add_s8, PML_QBIN_ADD, mode, 0, sc[0], za - off, sc[1], zb - off, sc[2],
                                          zy - off, qmin - off, hi - off) == 0);
            oracle(&g, x, w, &c, res, want, ny);
            pml_qs8_conv_pack(cfg->qs8->mm, &g, w, &c.q, packed);
            const pml_qs8_conv_sum sum = {res, &c.add};
            memset(y, 0xA5, ny);
            pml_qs8_conv_run_sum(cfg->qs8->mm, &g, x, 0, packed, &sum, y, NULL, pml_thread_scratch_of(scratch, 0));
            size_t bad = 0;
            for (size_t i = 0; i < ny; i++) bad += y[i] != want[i];
            if (bad) fprintf(stderr, "%s: every pair, scales %g %g %g v=%d: %zu of %zu differ\n", cfg->name,
                             (double)sc[0], (double)sc[1], (double)sc[2], v, bad, ny);
            CHECK(bad == 0);
        }
    free(res), free(y), free(want);
    pml_aligned_free(packed), pml_aligned_free(scratch);
}

/* The scalar per-element epilogue against the standalone Add at every residual byte: what
 * the oracle composes, spelled out for one column. */
static void test_epilogue_scalar(void) {
    rcase c;
    const pml_conv_geom g = geom(1, 4, 1, 1, 1);
    for (int v = 0; v < 64; v++) {
        make_case(&c, &g, v);
        const int u8 = (v & 4) != 0;
        pml_qs8_epilogue ep = {0};
        const int32_t zero = 0, mult = 1 << 30;
        const float one = 1.0f; /* float requantization by 1: the accumulator is the conv's value */
        ep.bias = ep.lshift = ep.rshift = ep.rmask = ep.rhalf = &zero;
        ep.multiplier = &mult, ep.scale = &one;
        ep.mode = PML_REQUANT_FLOAT, ep.zero_point = 0, ep.qmin = u8 ? 0 : -128, ep.qmax = u8 ? 255 : 127;
        ep.out_u8 = u8, ep.add = &c.add;
        uint8_t buf[2];
        ep.res_delta = 1;
        int bad = 0;
        for (int a = ep.qmin; a <= ep.qmax; a += 3)
            for (int r = 0; r < 256; r++) {
                buf[1] = (uint8_t)r;
                const int32_t got = pml_qs8_epilogue_scalar(&ep, 0, a, buf);
                const int8_t a8 = (int8_t)((uint8_t)a ^ (u8 ? 0x80 : 0)), r8 = (int8_t)((uint8_t)r ^ (u8 ? 0x80 : 0));
                int8_t want;
                pml_s8_qbinary__scalar[PML_QBIN_ADD].vv(1, &a8, &r8, &want, &c.add_s8);
                bad += (uint8_t)got != (uint8_t)((uint8_t)want ^ (u8 ? 0x80 : 0));
            }
        CHECK(bad == 0);
    }
}

int main(void) {
    pml_cpu_detect(&g_cpu);
    g_pool2 = pml_threadpool_create(2);
    test_epilogue_scalar();
    char names[128];
    snprintf(names, sizeof names, "%s", pml_kernel_config_available(&g_cpu));
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const pml_kernel_config *c = NULL;
        CHECK_OK(pml_kernel_config_select(&g_cpu, name, &c));
        if (c) test_config(c), test_every_pair(c, 16), test_every_pair(c, 24);
    }
    pml_threadpool_destroy(g_pool2);
    return test_finish("test_qconv_residual");
}
