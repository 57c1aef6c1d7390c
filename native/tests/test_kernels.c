/*
 * test_kernels.c — every microkernel variant this CPU can run against the scalar one of
 * the same op, at awkward sizes: 1, tile-1, tile, tile+1, 13, 127 and a large one
 * (4099), so every vector body and every tail runs. The variants come from the
 * per-family lists (kernels/<family>/<family>_variants.h: elementwise, unary, logic,
 * norm, reduce, tensor, matmul, conv, pool, attention), so a new variant is tested by
 * adding its line there, and a new ISA by its pml_kernel_isa_available answer.
 *
 * Then every slot of every configuration the CPU offers is checked against the scalar
 * configuration's slot (a slot pointing at the wrong kernel fails here), and the scalar
 * configuration is checked complete. The scalar kernels themselves are checked against
 * independent oracles by the op tests.
 */
#include "kernels/config.h"
#include "kernels/conv/conv.h"
#include "kernels/pool/pool.h"
#include "testutil.h"

#define LARGE 4099

static pml_cpu g_cpu;
static int g_variants; /* non-scalar variants run */

/* a listed variant runs when it is not the scalar reference and this CPU has its ISA */
#define RUNS(isa) (strcmp(#isa, "scalar") != 0 && pml_kernel_isa_available(&g_cpu, #isa) && ++g_variants)

/* |a-b| <= atol + rtol*|b|, NaN only where the reference is NaN */
static int close_nan(const float *a, const float *b, size_t n, float rtol, float atol, const char *what, size_t size) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] == b[i] || (b[i] != b[i] && a[i] != a[i])) continue; /* equal (also infinities), or both NaN */
        if (!(fabsf(a[i] - b[i]) <= atol + rtol * fabsf(b[i]))) {
            fprintf(stderr, "%s (n=%zu): mismatch at %zu: got %.9g, scalar %.9g\n", what, size, i, a[i], b[i]);
            return 0;
        }
    }
    return 1;
}

static void sizes_for(size_t tile, size_t *out, int *count) {
    const size_t s[] = {1, tile - 1, tile, tile + 1, 13, 127, LARGE};
    int c = 0;
    for (int i = 0; i < 7; i++)
        if (s[i] >= 1) out[c++] = s[i];
    *count = c;
}

static float *buf(size_t n) { return (float *)pml_aligned_alloc((n + 16) * sizeof(float)); }

/* ---- elementwise: binary vv/vs/sv --------------------------------------------------------------------- */

static void test_vbinary(const char *name, const char *op, size_t tile, pml_f32_vv_fn vv, pml_f32_vs_fn vs,
                         pml_f32_sv_fn sv, pml_f32_vv_fn rvv, pml_f32_vs_fn rvs, pml_f32_sv_fn rsv) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *b = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    char what[96];
    const int pow = strcmp(op, "pow") == 0, div = strcmp(op, "div") == 0;
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, pow ? 0.25f : -4.0f, 4.0f);
        test_fill(b, n, pow ? -2.0f : 0.5f, 2.0f);
        if (!pow && !div)
            for (size_t i = 0; i < n; i += 3) b[i] = -b[i];
        const float rtol = pow ? 1e-6f : 0.0f;
        vv(n, a, b, y);
        rvv(n, a, b, r);
        snprintf(what, sizeof what, "%s vv", name);
        CHECK(close_nan(y, r, n, rtol, 0.0f, what, n));
        vs(n, a, b[0], y);
        rvs(n, a, b[0], r);
        snprintf(what, sizeof what, "%s vs", name);
        CHECK(close_nan(y, r, n, rtol, 0.0f, what, n));
        sv(n, a[0], b, y);
        rsv(n, a[0], b, r);
        snprintf(what, sizeof what, "%s sv", name);
        CHECK(close_nan(y, r, n, rtol, 0.0f, what, n));
    }
    pml_aligned_free(a), pml_aligned_free(b), pml_aligned_free(y), pml_aligned_free(r);
}

/* ---- unary: activations and half conversions ------------------------------------------------------------- */

static void test_vunary(const char *name, const char *op, size_t tile, pml_f32_unary_fn fn, pml_f32_unary_fn ref) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    const int clip = strcmp(op, "clip") == 0, positive = strcmp(op, "sqrt") == 0 || strcmp(op, "log") == 0;
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, -6.0f, 6.0f);
        if (positive)
            for (size_t i = 0; i < n; i++) a[i] = fabsf(a[i]) + 1e-3f;
        if (n > 2) a[n / 2] = 0.0f;
        pml_unary_params p = {clip ? -0.5f : 0.2f, clip ? 0.75f : 0.5f, 1.05f};
        fn(n, a, y, &p);
        ref(n, a, r, &p);
        CHECK(close_nan(y, r, n, 2e-6f, 2e-7f, name, n));
    }
    pml_aligned_free(a), pml_aligned_free(y), pml_aligned_free(r);
}

/* rounding of arbitrary floats to half, and back */
static void test_vcvt(const char *name, size_t tile, pml_f32_to_f16_fn to16, pml_f16_to_f32_fn to32,
                      pml_f32_to_f16_fn rto16, pml_f16_to_f32_fn rto32) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    uint16_t *ha = (uint16_t *)pml_aligned_alloc(2 * LARGE + 32), *hr = (uint16_t *)pml_aligned_alloc(2 * LARGE + 32);
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, -70000.0f, 70000.0f);
        for (size_t i = 0; i < n; i += 4) a[i] *= 1e-6f;
        to16(n, a, ha);
        rto16(n, a, hr);
        if (memcmp(ha, hr, n * 2) != 0) fprintf(stderr, "%s f32->f16 n=%zu differs\n", name, n);
        CHECK(memcmp(ha, hr, n * 2) == 0);
        to32(n, hr, y);
        rto32(n, hr, r);
        CHECK(memcmp(y, r, n * sizeof(float)) == 0);
    }
    pml_aligned_free(a), pml_aligned_free(y), pml_aligned_free(r), pml_aligned_free(ha), pml_aligned_free(hr);
}

/* ---- logic: compare (with equal elements and a NaN) and select ------------------------------------------ */

static void test_vcmp(const char *name, size_t tile, pml_f32_compare_fn fn, pml_f32_compare_fn ref) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *b = buf(LARGE);
    uint8_t *ya = (uint8_t *)pml_aligned_alloc(LARGE + 16), *yr = (uint8_t *)pml_aligned_alloc(LARGE + 16);
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, -2.0f, 2.0f);
        test_fill(b, n, -2.0f, 2.0f);
        for (size_t i = 0; i < n; i += 5) b[i] = a[i];
        if (n > 3) a[3] = NAN;
        for (int cmp = 0; cmp < PML_CMP_COUNT; cmp++)
            for (int st = 0; st < 3; st++) {
                const size_t sa = st == 1 ? 0 : 1, sb = st == 2 ? 0 : 1;
                fn(cmp, n, a, sa, b, sb, ya);
                ref(cmp, n, a, sa, b, sb, yr);
                if (memcmp(ya, yr, n) != 0) fprintf(stderr, "%s %d strides %zu,%zu n=%zu\n", name, cmp, sa, sb, n);
                CHECK(memcmp(ya, yr, n) == 0);
            }
    }
    pml_aligned_free(a), pml_aligned_free(b), pml_aligned_free(ya), pml_aligned_free(yr);
}

static void test_select(const char *name, size_t tile, pml_x32_select_fn fn, pml_x32_select_fn ref) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *b = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    uint8_t *c = (uint8_t *)pml_aligned_alloc(LARGE + 16);
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, -2.0f, 2.0f);
        test_fill(b, n, -2.0f, 2.0f);
        for (size_t i = 0; i < n; i++) c[i] = (uint8_t)((i * 7 + n) % 3 == 0);
        for (int st = 0; st < 4; st++) {
            const size_t sc = st == 1 ? 0 : 1, sx = st == 2 ? 0 : 1, sz = st == 3 ? 0 : 1;
            fn(n, c, sc, (const uint32_t *)a, sx, (const uint32_t *)b, sz, (uint32_t *)y);
            ref(n, c, sc, (const uint32_t *)a, sx, (const uint32_t *)b, sz, (uint32_t *)r);
            if (memcmp(y, r, n * sizeof(float)) != 0) fprintf(stderr, "%s n=%zu differs\n", name, n);
            CHECK(memcmp(y, r, n * sizeof(float)) == 0);
        }
    }
    pml_aligned_free(a), pml_aligned_free(b), pml_aligned_free(y), pml_aligned_free(r), pml_aligned_free(c);
}

/* ---- reduce: sum, max, accumulation --------------------------------------------------------------------- */

typedef struct reduce_fns {
    pml_f32_sum_fn sum;
    pml_f32_max_fn max;
    pml_f32_acc_add_fn acc_add;
    pml_f32_acc_max_fn acc_max;
} reduce_fns;

static void test_reduce(const char *name, size_t tile, reduce_fns k, reduce_fns s) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    static double acc_k[LARGE], acc_s[LARGE];
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, -3.0f, 3.0f);
        /* float lanes: the error bound scales with the sum of magnitudes, not with the (cancelling) sum */
        double mag = 0.0;
        for (size_t i = 0; i < n; i++) mag += fabs((double)a[i]);
        const double sum_k = k.sum(n, a), sum_s = s.sum(n, a);
        if (!(fabs(sum_k - sum_s) <= 1e-7 * mag)) fprintf(stderr, "%s sum n=%zu: %.9g vs %.9g\n", name, n, sum_k, sum_s);
        CHECK(fabs(sum_k - sum_s) <= 1e-7 * mag);
        CHECK(k.max(n, a) == s.max(n, a));
        for (size_t i = 0; i < n; i++) acc_k[i] = acc_s[i] = (double)i;
        k.acc_add(n, a, acc_k);
        s.acc_add(n, a, acc_s);
        CHECK(memcmp(acc_k, acc_s, n * sizeof(double)) == 0);
        test_fill(y, n, -3.0f, 3.0f);
        memcpy(r, y, n * sizeof(float));
        k.acc_max(n, a, y);
        s.acc_max(n, a, r);
        CHECK(memcmp(y, r, n * sizeof(float)) == 0);
    }
    pml_aligned_free(a), pml_aligned_free(y), pml_aligned_free(r);
}

/* ---- norm: softmax (row, strided) and scale_shift -------------------------------------------------------- */

static void test_softmax(const char *name, size_t tile, pml_f32_softmax_row_fn row, pml_f32_softmax_strided_fn strided,
                         pml_f32_softmax_row_fn rrow, pml_f32_softmax_strided_fn rstrided) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *a = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    char what[96];
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(a, n, -10.0f, 10.0f);
        for (int is_log = 0; is_log < 2; is_log++) {
            row(n, a, y, is_log);
            rrow(n, a, r, is_log);
            snprintf(what, sizeof what, "%s row log=%d", name, is_log);
            /* log-softmax: (x - m) - log(s) cancels near the max; the error is relative to |x - m| <= 20 */
            CHECK(close_nan(y, r, n, 2e-6f, is_log ? 2e-6f : 1e-7f, what, n));
        }
    }
    /* [len, inner] at awkward sizes on both axes */
    const size_t dims[] = {1, tile - 1, tile, tile + 1, 13, 31};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            const size_t len = dims[i], inner = dims[j];
            if (!len || !inner) continue;
            test_fill(a, len * inner, -5.0f, 5.0f);
            for (int is_log = 0; is_log < 2; is_log++) {
                strided(len, inner, a, y, is_log);
                rstrided(len, inner, a, r, is_log);
                snprintf(what, sizeof what, "%s strided %zux%zu log=%d", name, len, inner, is_log);
                CHECK(close_nan(y, r, len * inner, 2e-6f, is_log ? 1e-6f : 1e-7f, what, len * inner));
            }
        }
    pml_aligned_free(a), pml_aligned_free(y), pml_aligned_free(r);
}

static void test_scale_shift(const char *name, size_t tile, pml_f32_scale_shift_fn fn, pml_f32_scale_shift_fn ref) {
    float *a = buf(LARGE), *b = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    char what[96];
    const size_t dims[] = {1, tile - 1, tile, tile + 1, 13, 31};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            const size_t rows = dims[i], c = dims[j];
            if (!rows || !c) continue;
            test_fill(a, rows * c, -5.0f, 5.0f);
            test_fill(b, 2 * c, -2.0f, 2.0f);
            fn(rows, c, a, b, b + c, y);
            ref(rows, c, a, b, b + c, r);
            snprintf(what, sizeof what, "%s %zux%zu", name, rows, c);
            CHECK(close_nan(y, r, rows * c, 1e-6f, 1e-6f, what, rows * c));
        }
    pml_aligned_free(a), pml_aligned_free(b), pml_aligned_free(y), pml_aligned_free(r);
}

/* ---- tensor: transpose by element size ------------------------------------------------------------------------ */

static void test_transpose(const char *name, size_t tile, size_t es, pml_transpose2d_fn fn, pml_transpose2d_fn ref) {
    const size_t dims[] = {1, tile - 1, tile, tile + 1, 13, 127};
    uint8_t *x = (uint8_t *)pml_aligned_alloc(LARGE * 8 * 8), *y = (uint8_t *)pml_aligned_alloc(LARGE * 8 * 8);
    uint8_t *r = (uint8_t *)pml_aligned_alloc(LARGE * 8 * 8);
    for (size_t i = 0; i < LARGE * 64; i++) x[i] = (uint8_t)(i * 131 + 7);
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 7; j++) {
            if (i == 6 && j == 6) continue;
            /* a LARGE side goes with 3 on the other (the buffers hold LARGE * 64 bytes) */
            const size_t rows = i < 6 ? (j < 6 ? dims[i] : 3) : LARGE, cols = j < 6 ? (i < 6 ? dims[j] : 3) : LARGE;
            fn(rows, cols, 0, rows, x, y);
            ref(rows, cols, 0, rows, x, r);
            if (memcmp(y, r, rows * cols * es) != 0) fprintf(stderr, "%s %zux%zu differs\n", name, rows, cols);
            CHECK(memcmp(y, r, rows * cols * es) == 0);
        }
    pml_aligned_free(x), pml_aligned_free(y), pml_aligned_free(r);
}


/* ---- matmul: gemm micro-kernels, the implicit-GEMM conv tile, epilogues ------------------------------------------- */

/* A register tile (gemm, or the implicit-GEMM conv tile when conv is set) at every mr <= mr_max
 * and awkward nr and kc, against the scalar GEMM one row at a time. */
static void test_gemm_tile(const char *name, size_t mr_max, pml_f32_gemm_ukernel gemm, pml_f32_conv_ukernel conv,
                           pml_f32_gemm_ukernel ref) {
    const size_t kcs[] = {1, 7, 8, 9, 13, 127, 256};
    float *a = buf(8 * 256), *w = buf(256 * 16), *init = buf(16), *c = buf(8 * 16), *want = buf(8 * 16);
    float *slope = buf(16);
    test_fill(slope, 16, 0.0f, 0.5f);
    char what[96];
    const int kind = conv ? 2 : 0;
    for (size_t ki = 0; ki < 7; ki++)
        for (size_t mr = 1; mr <= mr_max; mr++)
            for (size_t nr = 1; nr <= 16; nr += (nr == 1 ? 6 : nr == 7 ? 1 : nr == 8 ? 1 : 7)) {
                const size_t kc = kcs[ki];
                for (int variant = 0; variant < 3; variant++) { /* bias; accumulate; bias + prelu + sum */
                    test_fill(a, mr * kc, -1.0f, 1.0f);
                    test_fill(w, kc * 16, -1.0f, 1.0f);
                    test_fill(init, 16, -1.0f, 1.0f);
                    test_fill(c, mr * 16, -1.0f, 1.0f);
                    memcpy(want, c, mr * 16 * sizeof(float));
                    pml_activation act = {0};
                    act.kind = variant == 2 ? PML_ACT_PRELU : PML_ACT_RELU;
                    act.slope = slope;
                    const float *ini = variant == 1 ? NULL : init;
                    if (kind == 2) {
                        if (!ini) continue; /* the conv tile always starts from the bias */
                        const float *rows[8];
                        int64_t stride[8];
                        for (size_t r = 0; r < mr; r++) rows[r] = a + r * kc, stride[r] = 0;
                        conv(mr, nr, 1, kc, rows, stride, w, ini, c, 16, &act);
                    } else {
                        gemm(mr, nr, kc, a, kc, w, ini, c, 16, &act);
                    }
                    for (size_t r = 0; r < mr; r++) /* the scalar tile, one row at a time */
                        ref(1, nr, kc, a + r * kc, kc, w, ini, want + r * 16, 16, &act);
                    snprintf(what, sizeof what, "%s mr=%zu nr=%zu kc=%zu v=%d", name, mr, nr, kc, variant);
                    CHECK(close_nan(c, want, mr * 16, 1e-5f, 1e-5f, what, kc));
                }
            }
    pml_aligned_free(a), pml_aligned_free(w), pml_aligned_free(init), pml_aligned_free(c), pml_aligned_free(want);
    pml_aligned_free(slope);
}

/* bias_act and sum_act over awkward row/column counts */
static void test_epilogue(const char *name, pml_f32_bias_act_fn bias_act, pml_f32_sum_act_fn sum_act,
                          pml_f32_bias_act_fn rbias_act, pml_f32_sum_act_fn rsum_act) {
    char what[96];
    const int64_t cols[] = {1, 7, 8, 9, 13, 127};
    float *y = buf(5 * 127 * 2), *yr = buf(5 * 127 * 2), *bias = buf(127), *sl = buf(127);
    test_fill(bias, 127, -1.0f, 1.0f);
    test_fill(sl, 127, 0.0f, 0.5f);
    for (int ci = 0; ci < 6; ci++) {
        const int64_t n = cols[ci];
        test_fill(y, 5 * 127 * 2, -2.0f, 2.0f);
        memcpy(yr, y, 5 * 127 * 2 * sizeof(float));
        pml_activation act = {0};
        act.kind = PML_ACT_CLIP, act.alpha = -0.5f, act.beta = 0.5f;
        bias_act(y, 5, n, 127, bias, &act);
        rbias_act(yr, 5, n, 127, bias, &act);
        snprintf(what, sizeof what, "%s bias_act cols=%lld", name, (long long)n);
        CHECK(close_nan(y, yr, 5 * 127, 1e-6f, 1e-7f, what, (size_t)n));
        pml_activation sum = {0};
        sum.kind = PML_ACT_PRELU, sum.slope = sl, sum.has_sum = 1, sum.sum_offset = 5 * 127;
        sum_act(y, 5, n, 127, &sum);
        rsum_act(yr, 5, n, 127, &sum);
        snprintf(what, sizeof what, "%s sum_act cols=%lld", name, (long long)n);
        CHECK(close_nan(y, yr, 5 * 127, 1e-6f, 1e-7f, what, (size_t)n));
    }
    pml_aligned_free(y), pml_aligned_free(yr), pml_aligned_free(bias), pml_aligned_free(sl);
}

/* ---- conv: depthwise; pool: max/average windows ------------------------------------------------------------ */

/* dwconv (fn, ref) or, when dwconv is NULL, the pools (maxp, avgp against rmax, ravg) */
static void test_dwconv_pool(const char *name, pml_f32_dwconv_fn dwconv, pml_f32_dwconv_fn rdwconv, pml_f32_pool_fn maxp,
                             pml_f32_pool_fn avgp, pml_f32_pool_fn rmax, pml_f32_pool_fn ravg) {
    const int64_t chans[] = {1, 7, 8, 9, 13, 127, 1031};
    char what[96];
    for (int ci = 0; ci < 7; ci++)
        for (int shape = 0; shape < 3; shape++) {
            const int64_t C = chans[ci];
            pml_conv_geom g = {.n = 1, .h = 6, .w = 11, .cin = C, .cout = C, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
                               .dh = 1, .dw = 1, .pt = 1, .pl = 1, .pb = 1, .pr = 1, .group = C, .cg = 1, .coutg = 1};
            if (shape == 1) g.sh = g.sw = 2, g.kh = g.kw = 5, g.pt = g.pl = 2, g.pb = g.pr = 2;
            if (shape == 2) g.dh = g.dw = 2, g.pt = g.pl = 0, g.pb = g.pr = 0;
            g.oh = pml_window_out(g.h, g.kh, g.sh, g.dh, g.pt, g.pb, 0);
            g.ow = pml_window_out(g.w, g.kw, g.sw, g.dw, g.pl, g.pr, 0);
            const size_t nx = (size_t)(g.h * g.w * C), ny = (size_t)(g.oh * g.ow * C);
            float *x = buf(nx), *wt = buf((size_t)(g.kh * g.kw * C)), *bias = buf((size_t)C);
            float *packed = buf((size_t)((g.kh * g.kw + 1) * pml_dwconv_c_pad(C))), *y = buf(ny), *r = buf(ny);
            test_fill(x, nx, -1.0f, 1.0f);
            test_fill(wt, (size_t)(g.kh * g.kw * C), -1.0f, 1.0f);
            test_fill(bias, (size_t)C, -1.0f, 1.0f);
            pml_dwconv_pack(&g, wt, bias, packed);
            pml_activation act = {0};
            act.kind = PML_ACT_RELU;
            if (dwconv) {
                dwconv(&g, x, packed, y, 0, g.oh, &act);
                rdwconv(&g, x, packed, r, 0, g.oh, &act);
                snprintf(what, sizeof what, "%s C=%lld shape %d", name, (long long)C, shape);
                CHECK(close_nan(y, r, ny, 1e-5f, 1e-6f, what, (size_t)C));
            }
            pml_pool_geom p = {.n = 1, .h = g.h, .w = g.w, .c = C, .oh = g.oh, .ow = g.ow, .kh = g.kh, .kw = g.kw,
                               .sh = g.sh, .sw = g.sw, .dh = g.dh, .dw = g.dw, .pt = g.pt, .pl = g.pl, .pb = g.pb,
                               .pr = g.pr, .count_include_pad = shape == 1};
            if (maxp) {
                maxp(&p, x, y, 0, p.oh);
                rmax(&p, x, r, 0, p.oh);
                CHECK(memcmp(y, r, ny * sizeof(float)) == 0);
                avgp(&p, x, y, 0, p.oh);
                ravg(&p, x, r, 0, p.oh);
                snprintf(what, sizeof what, "%s avgpool C=%lld shape %d", name, (long long)C, shape);
                CHECK(close_nan(y, r, ny, 1e-5f, 1e-6f, what, (size_t)C));
            }
            pml_aligned_free(x), pml_aligned_free(wt), pml_aligned_free(bias), pml_aligned_free(packed);
            pml_aligned_free(y), pml_aligned_free(r);
        }
}

/* ---- norm row and attention row ------------------------------------------------------------------------ */

/* norm_row (fn, ref) or, when norm is NULL, attn_row (attn against rattn) */
static void test_rows(const char *name, size_t tile, pml_f32_norm_row_fn norm, pml_f32_norm_row_fn rnorm,
                      pml_f32_attn_row_fn attn, pml_f32_attn_row_fn rattn) {
    size_t sizes[7];
    int ns;
    sizes_for(tile, sizes, &ns);
    float *x = buf(LARGE), *sc = buf(LARGE), *bi = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE), *m = buf(LARGE);
    char what[96];
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(x, n, 2.0f, 6.0f); /* a large mean: the variance must not cancel */
        test_fill(sc, n, -1.0f, 1.0f);
        test_fill(bi, n, -1.0f, 1.0f);
        for (int rms = 0; norm && rms < 2; rms++) {
            float mk, ik, ms, is;
            norm(n, x, sc, rms ? NULL : bi, 1e-5f, rms, y, &mk, &ik);
            rnorm(n, x, sc, rms ? NULL : bi, 1e-5f, rms, r, &ms, &is);
            snprintf(what, sizeof what, "%s rms=%d", name, rms);
            CHECK(close_nan(y, r, n, 1e-5f, 1e-5f, what, n));
            CHECK(fabsf(mk - ms) <= 1e-5f * fabsf(ms) + 1e-6f && fabsf(ik - is) <= 1e-5f * fabsf(is));
        }
        for (int v = 0; !norm && v < 4; v++) { /* plain; softcap; mask with -inf; causal n_live < n */
            test_fill(x, n, -8.0f, 8.0f);
            test_fill(m, n, -1.0f, 1.0f);
            for (size_t j = 0; j < n; j += 4) m[j] = -INFINITY;
            const size_t live = v == 3 ? n / 2 + 1 : n;
            memcpy(y, x, n * sizeof(float));
            memcpy(r, x, n * sizeof(float));
            attn(n, live, y, v == 1 ? 30.0f : 0.0f, v >= 2 ? m : NULL);
            rattn(n, live, r, v == 1 ? 30.0f : 0.0f, v >= 2 ? m : NULL);
            snprintf(what, sizeof what, "%s variant %d", name, v);
            CHECK(close_nan(y, r, n, 1e-5f, 1e-7f, what, n));
        }
    }
    pml_aligned_free(x), pml_aligned_free(sc), pml_aligned_free(bi), pml_aligned_free(y), pml_aligned_free(r);
    pml_aligned_free(m);
}

/* ---- every listed variant against the scalar one -------------------------------------------------------- */

static void test_variants(void) {
#define PML_F32_VBINARY(op, isa, tile)                                                                     \
    if (RUNS(isa))                                                                                         \
        test_vbinary("f32_v" #op "__" #isa, #op, tile, pml_f32_v##op##__##isa, pml_f32_v##op##s__##isa,   \
                     pml_f32_s##op##v__##isa, pml_f32_v##op##__scalar, pml_f32_v##op##s__scalar,         \
                     pml_f32_s##op##v__scalar);
#include "kernels/elementwise/elementwise_variants.h"
#define PML_F32_VUNARY(op, isa, tile) \
    if (RUNS(isa)) test_vunary("f32_" #op "__" #isa, #op, tile, pml_f32_##op##__##isa, pml_f32_##op##__scalar);
#define PML_F16_VCVT(isa, tile)                                                                               \
    if (RUNS(isa))                                                                                            \
        test_vcvt("f16_vcvt__" #isa, tile, pml_f32_to_f16__##isa, pml_f16_to_f32__##isa, pml_f32_to_f16__scalar, \
                  pml_f16_to_f32__scalar);
#include "kernels/unary/unary_variants.h"
#define PML_F32_VCMP(isa, tile) \
    if (RUNS(isa)) test_vcmp("f32_compare__" #isa, tile, pml_f32_compare__##isa, pml_f32_compare__scalar);
#define PML_X32_SELECT(isa, tile) \
    if (RUNS(isa)) test_select("x32_select__" #isa, tile, pml_x32_select__##isa, pml_x32_select__scalar);
#include "kernels/logic/logic_variants.h"
#define PML_F32_REDUCE(isa, tile)                                                                                    \
    if (RUNS(isa))                                                                                                   \
        test_reduce("f32_reduce__" #isa, tile,                                                                       \
                    (reduce_fns){pml_f32_sum__##isa, pml_f32_max__##isa, pml_f32_acc_add__##isa, pml_f32_acc_max__##isa}, \
                    (reduce_fns){pml_f32_sum__scalar, pml_f32_max__scalar, pml_f32_acc_add__scalar,                  \
                                 pml_f32_acc_max__scalar});
#include "kernels/reduce/reduce_variants.h"
#define PML_F32_SCALE_SHIFT(isa, tile)                                                              \
    if (RUNS(isa))                                                                                  \
        test_scale_shift("f32_scale_shift__" #isa, tile, pml_f32_scale_shift__##isa, pml_f32_scale_shift__scalar);
#define PML_F32_SOFTMAX(isa, tile)                                                                                \
    if (RUNS(isa))                                                                                                \
        test_softmax("f32_softmax__" #isa, tile, pml_f32_softmax_row__##isa, pml_f32_softmax_strided__##isa,     \
                     pml_f32_softmax_row__scalar, pml_f32_softmax_strided__scalar);
#define PML_F32_NORM_ROW(isa, tile) \
    if (RUNS(isa)) test_rows("f32_norm_row__" #isa, tile, pml_f32_norm_row__##isa, pml_f32_norm_row__scalar, NULL, NULL);
#include "kernels/norm/norm_variants.h"
#define PML_F32_ATTN_ROW(isa, tile) \
    if (RUNS(isa)) test_rows("f32_attn_row__" #isa, tile, NULL, NULL, pml_f32_attn_row__##isa, pml_f32_attn_row__scalar);
#include "kernels/attention/attention_variants.h"
#define PML_TRANSPOSE(dtype, isa, tile)                                                                        \
    if (RUNS(isa))                                                                                             \
        test_transpose(#dtype "_transpose2d__" #isa, tile, (size_t)atoi(#dtype + 1) / 8 /* x8 -> 1 byte */, \
                       pml_##dtype##_transpose2d__##isa, pml_##dtype##_transpose2d__scalar);
#include "kernels/tensor/tensor_variants.h"
#define PML_F32_GEMM(tile, isa, mr, nr) \
    if (RUNS(isa)) test_gemm_tile("f32_gemm_" #tile "__" #isa, mr, pml_f32_gemm_##tile##__##isa, NULL, pml_f32_gemm_4x16__scalar);
#define PML_F32_CONV_TILE(tile, isa, mr, nr)                                                              \
    if (RUNS(isa))                                                                                        \
        test_gemm_tile("f32_conv_" #tile "__" #isa, mr, NULL, pml_f32_conv_##tile##__##isa, pml_f32_gemm_4x16__scalar);
#define PML_F32_EPILOGUE(isa)                                                                                 \
    if (RUNS(isa))                                                                                            \
        test_epilogue("f32_epilogue__" #isa, pml_f32_bias_act__##isa, pml_f32_sum_act__##isa, pml_f32_bias_act__scalar, \
                      pml_f32_sum_act__scalar);
#include "kernels/matmul/matmul_variants.h"
#define PML_F32_DWCONV(isa, tile) \
    if (RUNS(isa)) test_dwconv_pool("f32_dwconv__" #isa, pml_f32_dwconv__##isa, pml_f32_dwconv__scalar, NULL, NULL, NULL, NULL);
#include "kernels/conv/conv_variants.h"
#define PML_F32_POOL(isa, tile)                                                                               \
    if (RUNS(isa))                                                                                            \
        test_dwconv_pool("f32_pool__" #isa, NULL, NULL, pml_f32_maxpool__##isa, pml_f32_avgpool__##isa,       \
                         pml_f32_maxpool_ref, pml_f32_avgpool_ref);
#include "kernels/pool/pool_variants.h"
}

/* ---- every slot of a configuration against the scalar configuration's ------------------------------------ */

static const char *const g_bin_names[PML_BIN_COUNT] = {"add", "sub", "mul", "div", "pow", "max", "min", "prelu"};
#define PML_UN_NAME_(E, name, isa) #name,
static const char *const g_un_names[PML_UN_COUNT] = {PML_UNARY_OPS(PML_UN_NAME_)}; /* from the one unary op list */
#undef PML_UN_NAME_

static void test_config(const pml_kernel_config *c, const pml_kernel_config *s) {
    const pml_ew_kernels *k = c->f32.ew, *r = s->f32.ew;
    char what[96];
    for (int op = 0; op < PML_BIN_COUNT; op++) {
        snprintf(what, sizeof what, "%s table binary %s", c->name, g_bin_names[op]);
        test_vbinary(what, g_bin_names[op], 8, k->vv[op], k->vs[op], k->sv[op], r->vv[op], r->vs[op], r->sv[op]);
    }
    for (int u = 0; u < PML_UN_COUNT; u++) {
        snprintf(what, sizeof what, "%s table unary %s", c->name, g_un_names[u]);
        test_vunary(what, g_un_names[u], 8, k->unary[u], r->unary[u]);
    }
    test_vcvt("table f16 conversion", 8, k->f32_to_f16, k->f16_to_f32, r->f32_to_f16, r->f16_to_f32);
    test_vcvt("f16 table widen/narrow", 8, c->f16->narrow, c->f16->widen, s->f16->narrow, s->f16->widen);
    test_vcmp("table compare", 8, k->compare, r->compare);
    test_select("table select32", 8, k->select32, r->select32);
    test_reduce("table reductions", 8, (reduce_fns){k->sum, k->max, k->acc_add, k->acc_max},
                (reduce_fns){r->sum, r->max, r->acc_add, r->acc_max});
    test_softmax("table softmax", 8, k->softmax_row, k->softmax_strided, r->softmax_row, r->softmax_strided);
    test_scale_shift("table scale_shift", 8, k->scale_shift, r->scale_shift);
    for (int e = 0; e < 4; e++) test_transpose("table transpose", 8, (size_t)1 << e, c->x.transpose[e], s->x.transpose[e]);
    const pml_f32_kernels *m = c->f32.mm, *ms = s->f32.mm;
    test_gemm_tile("table gemm", m->gemm_mr, m->gemm, NULL, ms->gemm);
    test_gemm_tile("table gemm_1", 1, m->gemm_1, NULL, ms->gemm);
    test_gemm_tile("table conv", m->gemm_mr, NULL, m->conv, ms->gemm);
    test_epilogue("table epilogue", m->bias_act, m->sum_act, ms->bias_act, ms->sum_act);
    test_dwconv_pool("table dwconv/pool", m->dwconv, ms->dwconv, m->maxpool, m->avgpool, ms->maxpool, ms->avgpool);
    test_rows("table norm_row", 8, m->norm_row, ms->norm_row, NULL, NULL);
    test_rows("table attn_row", 8, NULL, NULL, m->attn_row, ms->attn_row);
}

int main(void) {
    pml_cpu_detect(&g_cpu);
    test_variants();
    printf("variants run against scalar: %d\n", g_variants);

    const pml_kernel_config *scalar = pml_kernel_config_scalar();
    char names[128];
    snprintf(names, sizeof names, "%s", pml_kernel_config_available(&g_cpu));
    printf("configurations: %s\n", names);
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const pml_kernel_config *c = NULL;
        CHECK_OK(pml_kernel_config_select(&g_cpu, name, &c));
        if (!c || c == scalar) continue;
        printf("testing configuration %s against scalar\n", c->name);
        test_config(c, scalar);
    }
    /* the scalar configuration is complete: no slot left NULL */
    CHECK(scalar->f32.mm->gemm && scalar->f32.mm->gemm_1 && scalar->f32.mm->conv && scalar->f32.mm->dwconv);
    CHECK(scalar->f32.ew->softmax_row && scalar->x.transpose[0] && scalar->x.transpose[3]);
    return test_finish("test_kernels");
}
