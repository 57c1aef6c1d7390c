/*
 * test_pool.c — MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LpPool,
 * GlobalLpPool (NHWC).
 *  - hand cases, including ceil_mode + count_include_pad values checked
 *    against onnxruntime 1.31 (the window past the padding does not count);
 *  - the reference against an oracle written here that pads x with NaN up
 *    to the padded extent (as onnx's reference does) and skips NaN taps;
 *  - AVX2 vs reference at channels 1, 3, 8, 17, 33, 64, every window option,
 *    threads 1 and 2; NaN propagation of max;
 *  - infer errors (windows covering only padding, bad attributes);
 *  - MaxPool on float16/int8/uint8, the other pools on float16 (the
 *    type-generic kernels) against the oracle at channels 1, 7, 8, 9, 13, 127;
 *  - the Lp pools (p = 1, 2, 3, 0.5) on float32 and float16 against the oracle,
 *    which for them sums |x|^p in double over the real taps;
 *  - MaxPool's Indices output on every dtype MaxPool takes, both storage orders, against
 *    a naive first-maximum search written here (and y against the float32 kernels);
 *  - MaxUnpool (1-D to 3-D, float32 and float16, output_shape, repeated indices) against a
 *    scatter written here, and its shape and run-time index errors.
 */
#include "typed_testutil.h"

typedef struct pool_cfg {
    int op;
    int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int ceil_mode, cip;
    float p; /* the Lp pools */
} pool_cfg;

static int64_t pool_out(int64_t size, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1, int ceil_mode) {
    const int64_t span = size + p0 + p1 - d * (k - 1) - 1;
    if (span < 0) return -1;
    if (!ceil_mode) return span / s + 1;
    int64_t o = (span + s - 1) / s + 1;
    return (o - 1) * s >= size + p0 ? o - 1 : o;
}

static int is_global(const pool_cfg *p) {
    return p->op == PML_OP_GLOBALAVERAGEPOOL || p->op == PML_OP_GLOBALMAXPOOL || p->op == PML_OP_GLOBALLPPOOL;
}
static int is_lp(const pool_cfg *p) { return p->op == PML_OP_LPPOOL || p->op == PML_OP_GLOBALLPPOOL; }

/* The attributes of a configuration (k, s, d, pads: its arrays); returns how many. */
static int pool_attrs(const pool_cfg *p, int64_t k[2], int64_t s[2], int64_t d[2], int64_t pads[4], pml_attr attrs[6]) {
    k[0] = p->kh, k[1] = p->kw, s[0] = p->sh, s[1] = p->sw, d[0] = p->dh, d[1] = p->dw;
    pads[0] = p->pt, pads[1] = p->pl, pads[2] = p->pb, pads[3] = p->pr;
    int n = 0;
    if (!is_global(p)) {
        attrs[n++] = attr_ints("kernel", k, 2), attrs[n++] = attr_ints("strides", s, 2);
        attrs[n++] = attr_ints("dilations", d, 2), attrs[n++] = attr_ints("pads", pads, 4);
        attrs[n++] = attr_int("ceil_mode", p->ceil_mode);
    }
    if (p->op == PML_OP_AVERAGEPOOL) attrs[n++] = attr_int("count_include_pad", p->cip);
    if (is_lp(p)) attrs[n++] = attr_float("p", p->p);
    return n;
}
static int64_t cfg_oh(const pool_cfg *p) {
    return is_global(p) ? 1 : pool_out(p->h, p->kh, p->sh, p->dh, p->pt, p->pb, p->ceil_mode);
}
static int64_t cfg_ow(const pool_cfg *p) {
    return is_global(p) ? 1 : pool_out(p->w, p->kw, p->sw, p->dw, p->pl, p->pr, p->ceil_mode);
}

static pml_tensor run_pool(const pool_cfg *p, const float *x, int scalar_only, int threads, pml_status *st) {
    const int64_t xd[4] = {p->n, p->h, p->w, p->c};
    pml_tensor tx = test_tensor(PML_FLOAT32, 4, xd, 0);
    memcpy(tx.data, x, tx.nbytes);
    int64_t k[2], s[2], d[2], pads[4];
    pml_attr attrs[6];
    const int n_attrs = pool_attrs(p, k, s, d, pads, attrs);
    pml_tensor *in[1] = {&tx};
    pml_tensor out;
    *st = pml_test_op(p->op, attrs, n_attrs, in, 1, &out, 1, scalar_only, threads);
    pml_aligned_free(tx.data);
    if (*st != PML_OK) pml_aligned_free(out.data), out.data = NULL;
    return out;
}

/* Oracle: NaN-padded copy of x over [-pt, H+pb) x [-pl, W+pr); taps past
 * that extent (ceil_mode) are outside the window; NaN taps are padding.
 * Lp pools: (sum of |x|^p over the real taps)^(1/p), in double. */
static void oracle_pool(const pool_cfg *p, const float *x, float *y) {
    int64_t kh = p->kh, kw = p->kw, sh = p->sh, sw = p->sw, dh = p->dh, dw = p->dw;
    int64_t pt = p->pt, pl = p->pl, pb = p->pb, pr = p->pr;
    if (is_global(p)) kh = p->h, kw = p->w, sh = sw = dh = dw = 1, pt = pl = pb = pr = 0;
    const int64_t hp = p->h + pt + pb, wp = p->w + pl + pr, oh = cfg_oh(p), ow = cfg_ow(p);
    const int is_max = p->op == PML_OP_MAXPOOL || p->op == PML_OP_GLOBALMAXPOOL;
    for (int64_t n = 0; n < p->n; n++)
        for (int64_t ch = 0; ch < p->c; ch++) {
            float *xp = (float *)malloc((size_t)(hp * wp) * sizeof(float));
            for (int64_t i = 0; i < hp * wp; i++) xp[i] = NAN;
            for (int64_t i = 0; i < p->h; i++)
                for (int64_t j = 0; j < p->w; j++) xp[(i + pt) * wp + j + pl] = x[((n * p->h + i) * p->w + j) * p->c + ch];
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++) {
                    double sum = 0, mx = -INFINITY, lp = 0;
                    int64_t real = 0, in_extent = 0;
                    for (int64_t u = 0; u < kh; u++)
                        for (int64_t v = 0; v < kw; v++) {
                            const int64_t r = i * sh + u * dh, q = j * sw + v * dw;
                            if (r >= hp || q >= wp) continue;
                            in_extent++;
                            const float val = xp[r * wp + q];
                            if (isnan(val)) continue;
                            real++;
                            sum += val;
                            lp += pow(fabs((double)val), (double)p->p);
                            if (val > mx) mx = val;
                        }
                    float out = is_max ? (float)mx : (float)(sum / (double)(p->cip ? in_extent : real));
                    if (is_lp(p)) out = (float)pow(lp, 1.0 / (double)p->p);
                    y[((n * oh + i) * ow + j) * p->c + ch] = out;
                }
            free(xp);
        }
}

static void check_pool(const pool_cfg *p, int check_oracle) {
    const size_t nx = (size_t)(p->n * p->h * p->w * p->c), ny = (size_t)(p->n * cfg_oh(p) * cfg_ow(p) * p->c);
    float *x = (float *)malloc(nx * sizeof(float) + 4), *want = (float *)malloc(ny * sizeof(float) + 4);
    test_fill(x, nx, -2, 2);
    char what[200];
    snprintf(what, sizeof what, "op%d n%lld %lldx%lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld p%lld,%lld,%lld,%lld ceil%d cip%d",
             p->op, (long long)p->n, (long long)p->h, (long long)p->w, (long long)p->c, (long long)p->kh,
             (long long)p->kw, (long long)p->sh, (long long)p->sw, (long long)p->dh, (long long)p->dw,
             (long long)p->pt, (long long)p->pl, (long long)p->pb, (long long)p->pr, p->ceil_mode, p->cip);
    pml_status s;
    pml_tensor ref = run_pool(p, x, 1, 1, &s);
    CHECK_OK(s);
    if (!ref.data) {
        fprintf(stderr, "  in %s\n", what);
        free(x), free(want);
        return;
    }
    CHECK(ref.dims[1] == cfg_oh(p) && ref.dims[2] == cfg_ow(p) && ref.dims[3] == p->c);
    if (check_oracle) {
        oracle_pool(p, x, want);
        CHECK(test_allclose((const float *)ref.data, want, ny, 1e-5f, 1e-6f, what));
    }
    for (int threads = 1; threads <= 2; threads++) {
        pml_tensor y = run_pool(p, x, 0, threads, &s);
        CHECK_OK(s);
        if (y.data) CHECK(test_allclose((const float *)y.data, (const float *)ref.data, ny, 1e-5f, 1e-6f, what));
        pml_aligned_free(y.data);
    }
    pml_aligned_free(ref.data);
    free(x), free(want);
}

static pool_cfg pcfg(int op, int64_t h, int64_t w, int64_t c, int64_t k, int64_t s, int64_t p) {
    pool_cfg q;
    memset(&q, 0, sizeof q);
    q.op = op, q.n = 1, q.h = h, q.w = w, q.c = c, q.kh = q.kw = k, q.sh = q.sw = s, q.dh = q.dw = 1;
    q.pt = q.pl = q.pb = q.pr = p;
    return q;
}

static void test_hand(void) {
    /* onnxruntime 1.31: x = 1..36 as 6x6, AveragePool k3 s2 p1 ceil_mode=1 count_include_pad=1, last output row */
    float x[36];
    for (int i = 0; i < 36; i++) x[i] = (float)(i + 1);
    pool_cfg p = pcfg(PML_OP_AVERAGEPOOL, 6, 6, 1, 3, 2, 1);
    p.ceil_mode = 1, p.cip = 1;
    pml_status s;
    pml_tensor y = run_pool(&p, x, 1, 1, &s);
    CHECK_OK(s);
    const float want[4] = {10.5f, 16.5f, 17.5f, 9.0f};
    if (y.data) CHECK(y.dims[1] == 4 && y.dims[2] == 4 &&
                      test_allclose((const float *)y.data + 12, want, 4, 1e-6f, 1e-6f, "avgpool ceil cip (ort)"));
    pml_aligned_free(y.data);
    /* onnxruntime 1.31: 5x5, same attributes, last row */
    p.h = p.w = 5;
    y = run_pool(&p, x, 0, 1, &s);
    CHECK_OK(s);
    const float want5[3] = {8.444445f, 13.666667f, 9.777778f};
    if (y.data) CHECK(y.dims[1] == 3 && test_allclose((const float *)y.data + 6, want5, 3, 1e-6f, 1e-6f, "avgpool 5x5 (ort)"));
    pml_aligned_free(y.data);
    /* MaxPool 2x2 s2 on 4x4 = 1..16 -> [6,8;14,16]; GlobalAveragePool of 1..16 = 8.5 */
    p = pcfg(PML_OP_MAXPOOL, 4, 4, 1, 2, 2, 0);
    y = run_pool(&p, x, 1, 1, &s);
    CHECK_OK(s);
    const float wmax[4] = {6, 8, 14, 16};
    if (y.data) CHECK(test_allclose((const float *)y.data, wmax, 4, 0, 0, "maxpool hand"));
    pml_aligned_free(y.data);
    p.op = PML_OP_GLOBALAVERAGEPOOL;
    y = run_pool(&p, x, 0, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(y.dims[1] == 1 && y.dims[2] == 1 && ((const float *)y.data)[0] == 8.5f);
    pml_aligned_free(y.data);
}

static void test_random(void) {
    const int64_t chans[] = {1, 3, 8, 17, 33, 64};
    const int ops[2] = {PML_OP_MAXPOOL, PML_OP_AVERAGEPOOL};
    for (int i = 0; i < 96; i++) {
        pool_cfg p = pcfg(ops[i % 2], 4 + i % 9, 3 + (i / 2) % 8, chans[(i / 3) % 6], 1 + i % 4, 1 + (i / 4) % 3, 0);
        p.n = 1 + i % 2;
        p.kw = 1 + (i / 5) % 4;
        p.sw = 1 + (i / 7) % 3;
        p.dh = 1 + (i / 11) % 2, p.dw = 1 + (i / 13) % 2;
        p.pt = (i / 3) % 2, p.pl = (i / 5) % 2, p.pb = (i / 7) % 3, p.pr = (i / 2) % 2;
        if (p.pt >= p.kh) p.pt = 0;
        if (p.pb >= p.kh) p.pb = 0;
        if (p.pl >= p.kw) p.pl = 0;
        if (p.pr >= p.kw) p.pr = 0;
        p.ceil_mode = (i / 6) % 2;
        p.cip = (i / 8) % 2;
        if (cfg_oh(&p) < 1 || cfg_ow(&p) < 1) p.h += 6, p.w += 6;
        /* skip windows covering only padding (rejected by infer, tested below) */
        check_pool(&p, i < 48);
    }
    for (int i = 0; i < 12; i++) {
        pool_cfg p = pcfg(i % 2 ? PML_OP_GLOBALMAXPOOL : PML_OP_GLOBALAVERAGEPOOL, 1 + i % 7, 1 + i % 5, chans[i % 6], 1, 1, 0);
        p.n = 1 + i % 3;
        check_pool(&p, 1);
    }
    pool_cfg p = pcfg(PML_OP_MAXPOOL, 112, 112, 64, 3, 2, 1); /* ResNet stem pool */
    check_pool(&p, 0);
}

static void test_lp(void) {
    static const float ps[] = {2, 1, 3, 0.5f};
    const int64_t chans[] = {1, 3, 8, 17, 33, 64};
    for (int i = 0; i < 48; i++) {
        pool_cfg p = pcfg(PML_OP_LPPOOL, 4 + i % 7, 3 + (i / 2) % 6, chans[(i / 3) % 6], 1 + i % 3, 1 + (i / 4) % 3, 0);
        p.p = ps[i % 4];
        p.n = 1 + i % 2, p.kw = 1 + (i / 5) % 4, p.dh = 1 + (i / 11) % 2;
        p.pt = (i / 3) % 2 < p.kh ? (i / 3) % 2 : 0, p.pr = (i / 2) % 2 < p.kw ? (i / 2) % 2 : 0;
        p.ceil_mode = (i / 6) % 2;
        if (cfg_oh(&p) < 1 || cfg_ow(&p) < 1) p.h += 6, p.w += 6;
        check_pool(&p, 1);
    }
    for (int i = 0; i < 8; i++) {
        pool_cfg p = pcfg(PML_OP_GLOBALLPPOOL, 1 + i % 7, 1 + i % 5, chans[i % 6], 1, 1, 0);
        p.n = 1 + i % 3, p.p = ps[i % 4];
        check_pool(&p, 1);
    }
    /* hand: L2 of a 2x2 window of 1..4 = sqrt(30); L1 = 10; p = 3: 100^(1/3) */
    float x[4] = {1, -2, 3, -4};
    const float p_of[3] = {2, 1, 3}, want[3] = {5.4772256f, 10.0f, 4.6415888f};
    for (int k = 0; k < 3; k++) {
        pool_cfg p = pcfg(k % 2 ? PML_OP_LPPOOL : PML_OP_GLOBALLPPOOL, 2, 2, 1, 2, 1, 0);
        p.p = p_of[k];
        pml_status s;
        pml_tensor y = run_pool(&p, x, 0, 1, &s);
        CHECK_OK(s);
        if (y.data) CHECK(test_allclose((const float *)y.data, &want[k], 1, 1e-6f, 0, "lp pool hand"));
        pml_aligned_free(y.data);
    }
}

static void test_nan(void) {
    float x[2 * 2 * 9];
    for (int i = 0; i < 36; i++) x[i] = (float)i;
    x[4] = NAN; /* pixel 0, channel 4 */
    pool_cfg p = pcfg(PML_OP_MAXPOOL, 2, 2, 9, 2, 1, 0);
    for (int scalar = 0; scalar < 2; scalar++) {
        pml_status s;
        pml_tensor y = run_pool(&p, x, scalar, 1, &s);
        CHECK_OK(s);
        if (y.data) CHECK(isnan(((const float *)y.data)[4]) && ((const float *)y.data)[3] == 30.0f);
        pml_aligned_free(y.data);
    }
}

static void expect_error(pool_cfg p, const pml_attr *attrs, int n_attrs, const char *needle) {
    const int64_t xd[4] = {p.n, p.h, p.w, p.c};
    pml_tensor tx = test_tensor(PML_FLOAT32, 4, xd, 0);
    pml_tensor *in[1] = {&tx};
    pml_tensor out;
    pml_status s = pml_test_op(p.op, attrs, n_attrs, in, 1, &out, 1, 0, 1);
    CHECK(s != PML_OK && strstr(pml_last_error(), needle) != NULL);
    if (s == PML_OK || !strstr(pml_last_error(), needle))
        fprintf(stderr, "  expected error containing '%s', got '%s'\n", needle, pml_last_error());
    pml_aligned_free(out.data);
    pml_aligned_free(tx.data);
}

static void test_errors(void) {
    pool_cfg p = pcfg(PML_OP_MAXPOOL, 5, 5, 3, 2, 1, 0);
    const int64_t k2[2] = {2, 2}, k3[3] = {2, 2, 2}, k0[2] = {0, 2}, big[2] = {9, 9};
    const int64_t pads_big[4] = {3, 0, 0, 0}, dil3[2] = {3, 3}, pads_dil[4] = {2, 2, 1, 1};
    expect_error(p, NULL, 0, "'kernel' is missing");
    pml_attr a1[1] = {attr_ints("kernel", k3, 3)};
    expect_error(p, a1, 1, "'kernel'");
    pml_attr a2[1] = {attr_ints("kernel", k0, 2)};
    expect_error(p, a2, 1, "out of range");
    pml_attr a3[1] = {attr_ints("kernel", big, 2)};
    expect_error(p, a3, 1, "larger than the padded input");
    pml_attr a4[2] = {attr_ints("kernel", k2, 2), attr_ints("pads", pads_big, 4)};
    expect_error(p, a4, 2, "only padding");
    /* dilation 3 on a 1-pixel-wide input with pads: taps at -2 and 1 both miss */
    pool_cfg q = pcfg(PML_OP_AVERAGEPOOL, 1, 1, 2, 2, 1, 0);
    pml_attr a5[3] = {attr_ints("kernel", k2, 2), attr_ints("dilations", dil3, 2), attr_ints("pads", pads_dil, 4)};
    expect_error(q, a5, 3, "only padding");
    pml_attr a6[2] = {attr_ints("kernel", k2, 2), attr_int("ceil_mode", 2)};
    expect_error(p, a6, 2, "ceil_mode");
    const float bad_p[3] = {0.0f, -1.0f, NAN};
    for (int i = 0; i < 3; i++) {
        pml_attr a7[2] = {attr_ints("kernel", k2, 2), attr_float("p", bad_p[i])};
        pool_cfg lp = pcfg(PML_OP_LPPOOL, 5, 5, 3, 2, 1, 0);
        expect_error(lp, a7, 2, "attribute p=");
        lp.op = PML_OP_GLOBALLPPOOL;
        expect_error(lp, a7 + 1, 1, "attribute p=");
    }
    pool_cfg lp = pcfg(PML_OP_LPPOOL, 5, 5, 3, 2, 1, 0);
    expect_error(lp, NULL, 0, "'kernel' is missing");
}

/* A pool of dtype dt against the oracle run on the same (exact) values as float32: max bit for bit,
 * averages to float16's rounding of the oracle's mean. */
static void check_typed_pool(pml_dtype dt, pool_cfg p) {
    const int64_t xd[4] = {p.n, p.h, p.w, p.c};
    const int64_t nx = pml_shape_numel(4, xd), ny = p.n * cfg_oh(&p) * cfg_ow(&p) * p.c;
    pml_tensor tx = tt_typed_rand(dt, 4, xd, (unsigned)(p.c * 17 + dt + p.op));
    float *xf = malloc((size_t)nx * sizeof(float) + 4), *want = malloc((size_t)ny * sizeof(float) + 4);
    for (int64_t i = 0; i < nx; i++) xf[i] = (float)tt_get(&tx, i);
    oracle_pool(&p, xf, want);
    int64_t k[2], st[2], d[2], pads[4];
    pml_attr attrs[6];
    const int n_attrs = pool_attrs(&p, k, st, d, pads, attrs);
    const int is_avg = p.op == PML_OP_AVERAGEPOOL || p.op == PML_OP_GLOBALAVERAGEPOOL || is_lp(&p);
    pml_tensor *in[1] = {&tx}, y;
    for (int threads = 1; threads <= 2; threads++) {
        pml_status s = pml_test_op(p.op, attrs, n_attrs, in, 1, &y, 1, threads == 1, threads);
        CHECK_OK(s);
        if (s != PML_OK) break;
        int bad = y.dtype != dt || pml_shape_numel(4, y.dims) != ny;
        for (int64_t i = 0; i < ny && !bad; i++)
            bad = is_avg ? fabs(tt_get(&y, i) - want[i]) > 1e-3 * (1 + fabs(want[i])) : tt_get(&y, i) != want[i];
        if (bad) fprintf(stderr, "pool op %d %s c%lld: differs from the oracle\n", p.op, pml_dtype_name(dt), (long long)p.c);
        CHECK(!bad);
        pml_aligned_free(y.data);
    }
    tt_free(&tx), free(xf), free(want);
}

static void test_typed(void) {
    static const pml_dtype dts[] = {PML_FLOAT16, PML_INT8, PML_UINT8};
    for (int t = 0; t < 3; t++)
        for (int s = 0; s < TT_N_SIZES; s++) {
            pool_cfg p = pcfg(PML_OP_MAXPOOL, 5, 6, tt_sizes[s], 3, 2, 1);
            check_typed_pool(dts[t], p);
            p.dh = 2, p.ceil_mode = 1, p.pb = 0; /* dilated, ceil_mode: a last window past the padding */
            check_typed_pool(dts[t], p);
            if (dts[t] != PML_FLOAT16) continue;
            check_typed_pool(dts[t], pcfg(PML_OP_GLOBALMAXPOOL, 4, 3, tt_sizes[s], 1, 1, 0));
            pool_cfg a = pcfg(PML_OP_AVERAGEPOOL, 5, 6, tt_sizes[s], 3, 2, 1);
            check_typed_pool(dts[t], a);
            a.cip = 1, a.ceil_mode = 1;
            check_typed_pool(dts[t], a);
            check_typed_pool(dts[t], pcfg(PML_OP_GLOBALAVERAGEPOOL, 4, 3, tt_sizes[s], 1, 1, 0));
            pool_cfg l = pcfg(PML_OP_LPPOOL, 5, 6, tt_sizes[s], 3, 2, 1);
            l.p = s % 2 ? 3.0f : 2.0f, l.ceil_mode = 1;
            check_typed_pool(dts[t], l);
            l = pcfg(PML_OP_GLOBALLPPOOL, 4, 3, tt_sizes[s], 1, 1, 0);
            l.p = s % 2 ? 1.0f : 2.0f;
            check_typed_pool(dts[t], l);
        }
    /* 8-bit MaxPool's channel tails as one overlapping 16-channel vector (x8_maxpool__avx2.c):
     * just past 16 and 32, BlazeFace's 28 and 88, 2x2 stride 2 as in its shortcuts */
    static const int64_t tails[] = {15, 16, 17, 28, 40, 88};
    for (int t = 1; t < 3; t++)
        for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++)
            check_typed_pool(dts[t], pcfg(PML_OP_MAXPOOL, 6, 7, tails[i], 2, 2, 0));
    /* outside ONNX's types: MaxPool on int16; AveragePool on int8 only with quantization parameters */
    int64_t xd[4] = {1, 3, 3, 2}, k[2] = {2, 2};
    pml_attr ka = attr_ints("kernel", k, 2);
    pml_tensor x16 = tt_make(PML_INT16, 4, xd, NULL), xh = tt_make(PML_INT8, 4, xd, NULL);
    pml_tensor *in[1] = {&x16};
    tt_expect_error("MaxPool int16", PML_ERR_DTYPE, PML_OP_MAXPOOL, &ka, 1, in, 1, 1);
    in[0] = &xh;
    tt_expect_error("AveragePool int8", PML_ERR_UNSUPPORTED, PML_OP_AVERAGEPOOL, &ka, 1, in, 1, 1);
    tt_expect_error("LpPool int8", PML_ERR_DTYPE, PML_OP_LPPOOL, &ka, 1, in, 1, 1);
    tt_expect_error("GlobalLpPool int8", PML_ERR_DTYPE, PML_OP_GLOBALLPPOOL, NULL, 0, in, 1, 1);
    tt_free(&x16), tt_free(&xh);
}

/* MaxPool with Indices: y and each index against the first maximum of the window found here, as
 * ONNX's NCHW flat index (row or column major); y also equals the plain MaxPool's. */
static void check_indices(pml_dtype dt, pool_cfg p, int order) {
    const int64_t xd[4] = {p.n, p.h, p.w, p.c}, oh = cfg_oh(&p), ow = cfg_ow(&p);
    pml_tensor tx = tt_typed_rand(dt, 4, xd, (unsigned)(p.c * 31 + dt + order));
    int64_t k[2], st[2], d[2], pads[4];
    pml_attr attrs[7];
    int n_attrs = pool_attrs(&p, k, st, d, pads, attrs);
    attrs[n_attrs++] = attr_int("storage_order", order);
    pml_tensor *in[1] = {&tx}, out[2], plain;
    for (int threads = 1; threads <= 2; threads++) {
        pml_status s = pml_test_op(PML_OP_MAXPOOL, attrs, n_attrs, in, 1, out, 2, threads == 1, threads);
        CHECK_OK(s);
        if (s != PML_OK) break;
        CHECK_OK(pml_test_op(PML_OP_MAXPOOL, attrs, n_attrs - 1, in, 1, &plain, 1, 0, threads));
        CHECK(out[1].dtype == PML_INT64 && tt_same_bytes(&out[0], &plain));
        int bad = 0;
        for (int64_t n = 0; n < p.n && !bad; n++)
            for (int64_t i = 0; i < oh && !bad; i++)
                for (int64_t j = 0; j < ow && !bad; j++)
                    for (int64_t c = 0; c < p.c && !bad; c++) {
                        double best = 0;
                        int64_t want = -1;
                        for (int64_t a = 0; a < p.kh; a++)
                            for (int64_t b = 0; b < p.kw; b++) {
                                int64_t ih = i * p.sh - p.pt + a * p.dh, iw = j * p.sw - p.pl + b * p.dw;
                                if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                                double v = tt_get(&tx, ((n * p.h + ih) * p.w + iw) * p.c + c);
                                if (want < 0 || v > best)
                                    best = v, want = (n * p.c + c) * p.h * p.w + (order ? iw * p.h + ih : ih * p.w + iw);
                            }
                        const int64_t at = ((n * oh + i) * ow + j) * p.c + c;
                        bad = ((int64_t *)out[1].data)[at] != want || tt_get(&out[0], at) != best;
                        if (bad)
                            fprintf(stderr, "maxpool indices %s order %d c%lld: [%lld] = %lld, naive %lld\n",
                                    pml_dtype_name(dt), order, (long long)p.c, (long long)at,
                                    (long long)((int64_t *)out[1].data)[at], (long long)want);
                    }
        CHECK(!bad);
        pml_aligned_free(out[0].data), pml_aligned_free(out[1].data), pml_aligned_free(plain.data);
    }
    tt_free(&tx);
}

static void test_indices(void) {
    static const pml_dtype dts[] = {PML_FLOAT32, PML_FLOAT16, PML_INT8, PML_UINT8};
    for (int t = 0; t < 4; t++)
        for (int s = 0; s < TT_N_SIZES; s++)
            for (int order = 0; order < 2; order++) {
                pool_cfg p = pcfg(PML_OP_MAXPOOL, 5, 7, tt_sizes[s], 3, 2, 1);
                p.n = 2;
                check_indices(dts[t], p, order);
                p.dh = 2, p.ceil_mode = 1, p.pb = 0, p.kw = 2, p.sw = 1; /* dilated, a last window past the padding */
                check_indices(dts[t], p, order);
            }
    int64_t xd[4] = {1, 3, 3, 2}, k[2] = {2, 2};
    pml_attr bad[2] = {attr_ints("kernel", k, 2), attr_int("storage_order", 2)};
    pml_tensor x = tt_make(PML_FLOAT32, 4, xd, NULL);
    pml_tensor *in[1] = {&x};
    tt_expect_error("MaxPool storage_order 2", PML_ERR_INVALID_MODEL, PML_OP_MAXPOOL, bad, 2, in, 1, 2);
    tt_free(&x);
}

/* MaxUnpool of x [N, C, spatial...] with indices idx into the output (shape out) against a scatter here. */
static void check_unpool(pml_dtype dt, int rank, const int64_t *xd, const pml_attr *attrs, int n_attrs,
                         const int64_t *out, unsigned seed) {
    const int64_t n = pml_shape_numel(rank, xd), size = pml_shape_numel(rank, out);
    pml_tensor x = tt_typed_rand(dt, rank, xd, seed), idx = tt_make(PML_INT64, rank, xd, NULL), y;
    for (int64_t k = 0; k < n; k++) ((int64_t *)idx.data)[k] = (int64_t)((k * 7919 + seed) % (uint64_t)size);
    if (n > 1) ((int64_t *)idx.data)[n - 1] = ((int64_t *)idx.data)[0]; /* a repeated index: the last write wins */
    pml_tensor *in[2] = {&x, &idx};
    tt_check_isa("maxunpool", PML_OP_MAXUNPOOL, attrs, n_attrs, in, 2, -1, 0, &y);
    int bad = y.data == NULL || !tt_shape_is(&y, rank, out);
    double *want = calloc((size_t)size, sizeof(double));
    for (int64_t k = 0; k < n && !bad; k++) want[((int64_t *)idx.data)[k]] = tt_get(&x, k);
    for (int64_t i = 0; i < size && !bad; i++) bad = tt_get(&y, i) != want[i];
    if (bad) fprintf(stderr, "maxunpool %s rank %d: differs from the scatter\n", pml_dtype_name(dt), rank);
    CHECK(!bad);
    free(want), tt_free(&x), tt_free(&idx), tt_free(&y);
}

static void test_unpool(void) {
    const int64_t k2[2] = {2, 3}, s2[2] = {2, 2}, p2[4] = {1, 0, 0, 1}, k1[1] = {3}, s1[1] = {2}, k3[3] = {2, 2, 2};
    const int64_t x2[4] = {2, 13, 3, 4}, o2[4] = {2, 13, 5, 8}, x1[3] = {3, 5, 7}, o1[3] = {3, 5, 15};
    const int64_t x3[5] = {1, 3, 2, 3, 2}, o3[5] = {1, 3, 3, 4, 3}, big[4] = {2, 13, 6, 9};
    pml_attr a2[3] = {attr_ints("kernel", k2, 2), attr_ints("strides", s2, 2), attr_ints("pads", p2, 4)};
    pml_attr a1[2] = {attr_ints("kernel", k1, 1), attr_ints("strides", s1, 1)};
    pml_attr a3[2] = {attr_ints("kernel", k3, 3), attr_ints("strides", s2, 2)}; /* strides of 2 values: an error */
    pml_attr a3ok[1] = {attr_ints("kernel", k3, 3)};
    pml_attr abig[4] = {a2[0], a2[1], a2[2], attr_ints("output_shape", big, 4)};
    for (int t = 0; t < 2; t++) {
        pml_dtype dt = t ? PML_FLOAT16 : PML_FLOAT32;
        check_unpool(dt, 4, x2, a2, 3, o2, 11u + (unsigned)t);
        check_unpool(dt, 4, x2, abig, 4, big, 5u + (unsigned)t);
        check_unpool(dt, 3, x1, a1, 2, o1, 3u);
        check_unpool(dt, 5, x3, a3ok, 1, o3, 7u);
    }
    /* errors: strides of the wrong length, indices of another shape, output_shape too small, rank 2, an index
     * outside the output (a run-time error) */
    pml_tensor x = tt_rand(5, x3, -1, 1), i5 = tt_make(PML_INT64, 5, x3, NULL), i4 = tt_make(PML_INT64, 4, x2, NULL);
    pml_tensor *in[2] = {&x, &i5}, *mism[2] = {&x, &i4};
    tt_expect_error("maxunpool strides", PML_ERR_INVALID_MODEL, PML_OP_MAXUNPOOL, a3, 2, in, 2, 1);
    tt_expect_error("maxunpool indices shape", PML_ERR_SHAPE, PML_OP_MAXUNPOOL, a3ok, 1, mism, 2, 1);
    const int64_t small_out[5] = {1, 3, 3, 4, 2}, r2[2] = {3, 4};
    pml_attr small_attrs[2] = {a3ok[0], attr_ints("output_shape", small_out, 5)};
    tt_expect_error("maxunpool output_shape too small", PML_ERR_SHAPE, PML_OP_MAXUNPOOL, small_attrs, 2, in, 2, 1);
    pml_tensor xr2 = tt_rand(2, r2, -1, 1), ir2 = tt_make(PML_INT64, 2, r2, NULL);
    pml_tensor *in2[2] = {&xr2, &ir2};
    tt_expect_error("maxunpool rank 2", PML_ERR_UNSUPPORTED, PML_OP_MAXUNPOOL, a1, 2, in2, 2, 1);
    ((int64_t *)i5.data)[3] = 36; /* the output has 1*3*3*4*3 = 108 elements; 108 is one past */
    ((int64_t *)i5.data)[4] = 108;
    tt_expect_error("maxunpool index out of range", PML_ERR_RUNTIME, PML_OP_MAXUNPOOL, a3ok, 1, in, 2, 1);
    tt_free(&x), tt_free(&i5), tt_free(&i4), tt_free(&xr2), tt_free(&ir2);
}

int main(void) {
    test_indices();
    test_unpool();
    test_hand();
    test_random();
    test_lp();
    test_nan();
    test_errors();
    test_typed();
    return test_finish("test_pool");
}
