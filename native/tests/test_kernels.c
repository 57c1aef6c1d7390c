/*
 * test_kernels.c — every microkernel of every kernel configuration this CPU
 * can run, against the scalar configuration's kernel of the same slot, at
 * awkward sizes: 1, tile-1, tile, tile+1, 13, 127 and a large one (4099), so
 * every vector body and every tail runs. Families: unary, binary (vv/vs/sv),
 * compare, select, scale_shift, softmax (row/strided), reductions, f16
 * conversion, transpose (x8..x64), gemm micro-kernels, implicit-GEMM conv
 * tile, depthwise conv, pools, norm row, attention row.
 *
 * The configurations come from pml_kernel_config_available, so a new ISA
 * configuration is tested here without touching this file; the scalar ones
 * are checked against independent oracles by the op tests.
 */
#include "kernels/config.h"
#include "kernels/conv/conv.h"
#include "kernels/pool/pool.h"
#include "testutil.h"

#define LARGE 4099

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

/* ---- elementwise table ------------------------------------------------------------------------------- */

static void test_ew(const char *isa, const pml_ew_kernels *k, const pml_ew_kernels *s) {
    size_t sizes[7];
    int ns;
    sizes_for(8, sizes, &ns);
    float *a = buf(LARGE), *b = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE);
    uint8_t *ya = (uint8_t *)pml_aligned_alloc(LARGE + 16), *yr = (uint8_t *)pml_aligned_alloc(LARGE + 16);
    char what[96];
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        /* unary */
        for (int u = 0; u < PML_UN_COUNT; u++) {
            test_fill(a, n, -6.0f, 6.0f);
            if (u == PML_UN_SQRT || u == PML_UN_LOG)
                for (size_t i = 0; i < n; i++) a[i] = fabsf(a[i]) + 1e-3f;
            if (n > 2) a[n / 2] = 0.0f;
            pml_unary_params p = {u == PML_UN_CLIP ? -0.5f : 0.2f, u == PML_UN_CLIP ? 0.75f : 0.5f, 1.05f};
            k->unary[u](n, a, y, &p);
            s->unary[u](n, a, r, &p);
            snprintf(what, sizeof what, "%s unary %d", isa, u);
            CHECK(close_nan(y, r, n, 2e-6f, 2e-7f, what, n));
        }
        /* binary: vector-vector, vector-scalar, scalar-vector */
        for (int op = 0; op < PML_BIN_COUNT; op++) {
            const int pow = op == PML_BIN_POW;
            test_fill(a, n, pow ? 0.25f : -4.0f, 4.0f);
            test_fill(b, n, pow ? -2.0f : 0.5f, 2.0f);
            if (!pow && op != PML_BIN_DIV)
                for (size_t i = 0; i < n; i += 3) b[i] = -b[i];
            const float rtol = pow ? 1e-6f : 0.0f;
            k->vv[op](n, a, b, y);
            s->vv[op](n, a, b, r);
            snprintf(what, sizeof what, "%s binary vv %d", isa, op);
            CHECK(close_nan(y, r, n, rtol, 0.0f, what, n));
            k->vs[op](n, a, b[0], y);
            s->vs[op](n, a, b[0], r);
            snprintf(what, sizeof what, "%s binary vs %d", isa, op);
            CHECK(close_nan(y, r, n, rtol, 0.0f, what, n));
            k->sv[op](n, a[0], b, y);
            s->sv[op](n, a[0], b, r);
            snprintf(what, sizeof what, "%s binary sv %d", isa, op);
            CHECK(close_nan(y, r, n, rtol, 0.0f, what, n));
        }
        /* compare (with equal elements and a NaN) and select */
        test_fill(a, n, -2.0f, 2.0f);
        test_fill(b, n, -2.0f, 2.0f);
        for (size_t i = 0; i < n; i += 5) b[i] = a[i];
        if (n > 3) a[3] = NAN;
        for (int cmp = 0; cmp < PML_CMP_COUNT; cmp++)
            for (int st = 0; st < 3; st++) {
                const size_t sa = st == 1 ? 0 : 1, sb = st == 2 ? 0 : 1;
                k->compare(cmp, n, a, sa, b, sb, ya);
                s->compare(cmp, n, a, sa, b, sb, yr);
                if (memcmp(ya, yr, n) != 0) fprintf(stderr, "%s compare %d strides %zu,%zu n=%zu\n", isa, cmp, sa, sb, n);
                CHECK(memcmp(ya, yr, n) == 0);
            }
        for (size_t i = 0; i < n; i++) ya[i] = (uint8_t)((i * 7 + n) % 3 == 0);
        for (int st = 0; st < 4; st++) {
            const size_t sc = st == 1 ? 0 : 1, sx = st == 2 ? 0 : 1, sz = st == 3 ? 0 : 1;
            k->select32(n, ya, sc, (const uint32_t *)a, sx, (const uint32_t *)b, sz, (uint32_t *)y);
            s->select32(n, ya, sc, (const uint32_t *)a, sx, (const uint32_t *)b, sz, (uint32_t *)r);
            CHECK(memcmp(y, r, n * sizeof(float)) == 0);
        }
        /* reductions and accumulation */
        test_fill(a, n, -3.0f, 3.0f);
        const double sum_k = k->sum(n, a), sum_s = s->sum(n, a);
        /* float partial sums (before the double total) round at ~6e-8 of each |a[i]| <= 3 */
        CHECK(fabs(sum_k - sum_s) <= 2e-7 * (double)n + 1e-7 * fabs(sum_s));
        CHECK(k->max(n, a) == s->max(n, a));
        double acc_k[LARGE], acc_s[LARGE];
        for (size_t i = 0; i < n; i++) acc_k[i] = acc_s[i] = (double)i;
        k->acc_add(n, a, acc_k);
        s->acc_add(n, a, acc_s);
        CHECK(memcmp(acc_k, acc_s, n * sizeof(double)) == 0);
        test_fill(y, n, -3.0f, 3.0f);
        memcpy(r, y, n * sizeof(float));
        k->acc_max(n, a, y);
        s->acc_max(n, a, r);
        CHECK(memcmp(y, r, n * sizeof(float)) == 0);
        /* softmax and log-softmax over a row */
        test_fill(a, n, -10.0f, 10.0f);
        for (int is_log = 0; is_log < 2; is_log++) {
            k->softmax_row(n, a, y, is_log);
            s->softmax_row(n, a, r, is_log);
            snprintf(what, sizeof what, "%s softmax_row log=%d", isa, is_log);
            CHECK(close_nan(y, r, n, 2e-6f, 1e-7f, what, n));
        }
        /* f16 conversion: rounding of arbitrary floats, and back */
        uint16_t *ha = (uint16_t *)ya, *hr = (uint16_t *)yr;
        if (n <= LARGE / 2) {
            test_fill(a, n, -70000.0f, 70000.0f);
            for (size_t i = 0; i < n; i += 4) a[i] *= 1e-6f;
            k->f32_to_f16(n, a, ha);
            s->f32_to_f16(n, a, hr);
            CHECK(memcmp(ha, hr, n * 2) == 0);
            k->f16_to_f32(n, hr, y);
            s->f16_to_f32(n, hr, r);
            CHECK(memcmp(y, r, n * sizeof(float)) == 0);
        }
    }
    /* strided softmax and scale_shift: [len, inner] and [rows, c] at awkward sizes */
    const size_t dims[] = {1, 7, 8, 9, 13, 31};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            const size_t len = dims[i], inner = dims[j];
            test_fill(a, len * inner, -5.0f, 5.0f);
            test_fill(b, 2 * inner, -2.0f, 2.0f);
            for (int is_log = 0; is_log < 2; is_log++) {
                k->softmax_strided(len, inner, a, y, is_log);
                s->softmax_strided(len, inner, a, r, is_log);
                snprintf(what, sizeof what, "%s softmax_strided %zux%zu log=%d", isa, len, inner, is_log);
                CHECK(close_nan(y, r, len * inner, 2e-6f, 1e-7f, what, len * inner));
            }
            k->scale_shift(len, inner, a, b, b + inner, y);
            s->scale_shift(len, inner, a, b, b + inner, r);
            snprintf(what, sizeof what, "%s scale_shift %zux%zu", isa, len, inner);
            CHECK(close_nan(y, r, len * inner, 1e-6f, 1e-6f, what, len * inner));
        }
    pml_aligned_free(a), pml_aligned_free(b), pml_aligned_free(y), pml_aligned_free(r);
    pml_aligned_free(ya), pml_aligned_free(yr);
}

/* ---- transpose by element size ------------------------------------------------------------------------ */

static void test_transpose(const char *isa, const pml_kernel_config *c, const pml_kernel_config *s) {
    const size_t dims[] = {1, 7, 8, 9, 13, 127};
    uint8_t *x = (uint8_t *)pml_aligned_alloc(LARGE * 8 * 8), *y = (uint8_t *)pml_aligned_alloc(LARGE * 8 * 8);
    uint8_t *r = (uint8_t *)pml_aligned_alloc(LARGE * 8 * 8);
    for (size_t i = 0; i < LARGE * 64; i++) x[i] = (uint8_t)(i * 131 + 7);
    for (int e = 0; e < 4; e++) {
        const size_t es = (size_t)1 << e;
        for (size_t i = 0; i < 7; i++)
            for (size_t j = 0; j < 7; j++) {
                if (i == 6 && j == 6) continue;
                /* a LARGE side goes with 3 on the other (the buffers hold LARGE * 64 bytes) */
                const size_t rows = i < 6 ? (j < 6 ? dims[i] : 3) : LARGE, cols = j < 6 ? (i < 6 ? dims[j] : 3) : LARGE;
                c->x.transpose[e](rows, cols, 0, rows, x, y);
                s->x.transpose[e](rows, cols, 0, rows, x, r);
                if (memcmp(y, r, rows * cols * es) != 0)
                    fprintf(stderr, "%s transpose x%zu %zux%zu differs\n", isa, es * 8, rows, cols);
                CHECK(memcmp(y, r, rows * cols * es) == 0);
            }
    }
    pml_aligned_free(x), pml_aligned_free(y), pml_aligned_free(r);
}

/* ---- matmul: gemm micro-kernels and the implicit-GEMM conv tile ------------------------------------------- */

static void test_gemm(const char *isa, const pml_f32_kernels *k, const pml_f32_kernels *s) {
    const size_t kcs[] = {1, 7, 8, 9, 13, 127, 256};
    float *a = buf(8 * 256), *w = buf(256 * 16), *init = buf(16), *c = buf(8 * 16), *ref = buf(8 * 16);
    float *slope = buf(16);
    test_fill(slope, 16, 0.0f, 0.5f);
    char what[96];
    for (int kind = 0; kind < 3; kind++) /* 0: gemm, 1: gemm_1, 2: conv tile */
        for (size_t ki = 0; ki < 7; ki++)
            for (size_t mr = 1; mr <= (kind == 1 ? 1 : k->gemm_mr); mr++)
                for (size_t nr = 1; nr <= 16; nr += (nr == 1 ? 6 : nr == 7 ? 1 : nr == 8 ? 1 : 7)) {
                    const size_t kc = kcs[ki];
                    for (int variant = 0; variant < 3; variant++) { /* bias; accumulate; bias + prelu + sum */
                        test_fill(a, mr * kc, -1.0f, 1.0f);
                        test_fill(w, kc * 16, -1.0f, 1.0f);
                        test_fill(init, 16, -1.0f, 1.0f);
                        test_fill(c, mr * 16, -1.0f, 1.0f);
                        memcpy(ref, c, mr * 16 * sizeof(float));
                        pml_activation act = {0};
                        act.kind = variant == 2 ? PML_ACT_PRELU : PML_ACT_RELU;
                        act.slope = slope;
                        const float *ini = variant == 1 ? NULL : init;
                        if (kind == 2) {
                            if (!ini) continue; /* the conv tile always starts from the bias */
                            const float *rows[8];
                            int64_t stride[8];
                            for (size_t r = 0; r < mr; r++) rows[r] = a + r * kc, stride[r] = 0;
                            k->conv(mr, nr, 1, kc, rows, stride, w, ini, c, 16, &act);
                        } else {
                            (kind ? k->gemm_1 : k->gemm)(mr, nr, kc, a, kc, w, ini, c, 16, &act);
                        }
                        for (size_t r = 0; r < mr; r++) /* the scalar tile, one row at a time */
                            s->gemm(1, nr, kc, a + r * kc, kc, w, ini, ref + r * 16, 16, &act);
                        snprintf(what, sizeof what, "%s %s mr=%zu nr=%zu kc=%zu v=%d", isa,
                                 kind == 0 ? "gemm" : kind == 1 ? "gemm_1" : "conv", mr, nr, kc, variant);
                        CHECK(close_nan(c, ref, mr * 16, 1e-5f, 1e-5f, what, kc));
                    }
                }
    /* bias_act and sum_act over awkward row/column counts */
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
        k->bias_act(y, 5, n, 127, bias, &act);
        s->bias_act(yr, 5, n, 127, bias, &act);
        snprintf(what, sizeof what, "%s bias_act cols=%lld", isa, (long long)n);
        CHECK(close_nan(y, yr, 5 * 127, 1e-6f, 1e-7f, what, (size_t)n));
        pml_activation sum = {0};
        sum.kind = PML_ACT_PRELU, sum.slope = sl, sum.has_sum = 1, sum.sum_offset = 5 * 127;
        k->sum_act(y, 5, n, 127, &sum);
        s->sum_act(yr, 5, n, 127, &sum);
        snprintf(what, sizeof what, "%s sum_act cols=%lld", isa, (long long)n);
        CHECK(close_nan(y, yr, 5 * 127, 1e-6f, 1e-7f, what, (size_t)n));
    }
    pml_aligned_free(a), pml_aligned_free(w), pml_aligned_free(init), pml_aligned_free(c), pml_aligned_free(ref);
    pml_aligned_free(slope), pml_aligned_free(y), pml_aligned_free(yr), pml_aligned_free(bias), pml_aligned_free(sl);
}

/* ---- conv: depthwise; pool: max/average windows ------------------------------------------------------------ */

static void test_dwconv_pool(const char *isa, const pml_f32_kernels *k, const pml_f32_kernels *s) {
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
            k->dwconv(&g, x, packed, y, 0, g.oh, &act);
            s->dwconv(&g, x, packed, r, 0, g.oh, &act);
            snprintf(what, sizeof what, "%s dwconv C=%lld shape %d", isa, (long long)C, shape);
            CHECK(close_nan(y, r, ny, 1e-5f, 1e-6f, what, (size_t)C));
            pml_pool_geom p = {.n = 1, .h = g.h, .w = g.w, .c = C, .oh = g.oh, .ow = g.ow, .kh = g.kh, .kw = g.kw,
                               .sh = g.sh, .sw = g.sw, .dh = g.dh, .dw = g.dw, .pt = g.pt, .pl = g.pl, .pb = g.pb,
                               .pr = g.pr, .count_include_pad = shape == 1};
            k->maxpool(&p, x, y, 0, p.oh);
            s->maxpool(&p, x, r, 0, p.oh);
            CHECK(memcmp(y, r, ny * sizeof(float)) == 0);
            k->avgpool(&p, x, y, 0, p.oh);
            s->avgpool(&p, x, r, 0, p.oh);
            snprintf(what, sizeof what, "%s avgpool C=%lld shape %d", isa, (long long)C, shape);
            CHECK(close_nan(y, r, ny, 1e-5f, 1e-6f, what, (size_t)C));
            pml_aligned_free(x), pml_aligned_free(wt), pml_aligned_free(bias), pml_aligned_free(packed);
            pml_aligned_free(y), pml_aligned_free(r);
        }
}

/* ---- norm row and attention row ------------------------------------------------------------------------ */

static void test_rows(const char *isa, const pml_f32_kernels *k, const pml_f32_kernels *s) {
    size_t sizes[7];
    int ns;
    sizes_for(8, sizes, &ns);
    float *x = buf(LARGE), *sc = buf(LARGE), *bi = buf(LARGE), *y = buf(LARGE), *r = buf(LARGE), *m = buf(LARGE);
    char what[96];
    for (int si = 0; si < ns; si++) {
        const size_t n = sizes[si];
        test_fill(x, n, 2.0f, 6.0f); /* a large mean: the variance must not cancel */
        test_fill(sc, n, -1.0f, 1.0f);
        test_fill(bi, n, -1.0f, 1.0f);
        for (int rms = 0; rms < 2; rms++) {
            float mk, ik, ms, is;
            k->norm_row(n, x, sc, rms ? NULL : bi, 1e-5f, rms, y, &mk, &ik);
            s->norm_row(n, x, sc, rms ? NULL : bi, 1e-5f, rms, r, &ms, &is);
            snprintf(what, sizeof what, "%s norm_row rms=%d", isa, rms);
            CHECK(close_nan(y, r, n, 1e-5f, 1e-5f, what, n));
            CHECK(fabsf(mk - ms) <= 1e-5f * fabsf(ms) + 1e-6f && fabsf(ik - is) <= 1e-5f * fabsf(is));
        }
        for (int v = 0; v < 4; v++) { /* plain; softcap; mask with -inf; causal n_live < n */
            test_fill(x, n, -8.0f, 8.0f);
            test_fill(m, n, -1.0f, 1.0f);
            for (size_t j = 0; j < n; j += 4) m[j] = -INFINITY;
            const size_t live = v == 3 ? n / 2 + 1 : n;
            memcpy(y, x, n * sizeof(float));
            memcpy(r, x, n * sizeof(float));
            k->attn_row(n, live, y, v == 1 ? 30.0f : 0.0f, v >= 2 ? m : NULL);
            s->attn_row(n, live, r, v == 1 ? 30.0f : 0.0f, v >= 2 ? m : NULL);
            snprintf(what, sizeof what, "%s attn_row variant %d", isa, v);
            CHECK(close_nan(y, r, n, 1e-5f, 1e-7f, what, n));
        }
    }
    pml_aligned_free(x), pml_aligned_free(sc), pml_aligned_free(bi), pml_aligned_free(y), pml_aligned_free(r);
    pml_aligned_free(m);
}

int main(void) {
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *scalar = pml_kernel_config_scalar();
    char names[128];
    snprintf(names, sizeof names, "%s", pml_kernel_config_available(&cpu));
    printf("configurations: %s\n", names);
    int tested = 0;
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const pml_kernel_config *c = NULL;
        CHECK_OK(pml_kernel_config_select(&cpu, name, &c));
        if (!c || c == scalar) continue;
        printf("testing %s against scalar\n", c->name);
        test_ew(c->name, c->f32.ew, scalar->f32.ew);
        test_transpose(c->name, c, scalar);
        test_gemm(c->name, c->f32.mm, scalar->f32.mm);
        test_dwconv_pool(c->name, c->f32.mm, scalar->f32.mm);
        test_rows(c->name, c->f32.mm, scalar->f32.mm);
        tested++;
    }
    /* the scalar configuration is complete: no slot left NULL */
    CHECK(scalar->f32.mm->gemm && scalar->f32.mm->gemm_1 && scalar->f32.mm->conv && scalar->f32.mm->dwconv);
    CHECK(scalar->f32.ew->softmax_row && scalar->x.transpose[0] && scalar->x.transpose[3]);
    if (!tested) printf("only the scalar configuration on this CPU\n");
    return test_finish("test_kernels");
}
