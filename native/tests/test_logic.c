/*
 * test_logic.c — the ops added for transformer graphs:
 * comparisons, And/Or/Xor, Where (3-way broadcasting, every element size),
 * Mod (both fmod modes, integer edge cases), Not/IsNaN/IsInf, the rounding,
 * sign and trigonometric ops, Erf and both Gelus (standalone and as a fused
 * activation of Add and MatMul). The reference kernels are checked against
 * naive loops and libm in double; the AVX2 kernels and two threads against
 * the reference at awkward sizes; then the error paths.
 */
#include <float.h>

#include "ew_testutil.h"

static const int64_t g_sizes[] = {1, 7, 8, 9, 13, 31, 32, 33, 127, 1000, 70001};
#define N_SIZES (int)(sizeof g_sizes / sizeof g_sizes[0])

/* ---- comparisons ------------------------------------------------------------------------------------ */

static const int g_cmp_ops[] = {PML_OP_EQUAL, PML_OP_LESS, PML_OP_LESSOREQUAL, PML_OP_GREATER,
                                PML_OP_GREATEROREQUAL};

static int naive_cmp(int op, double a, double b) {
    switch (op) {
    case PML_OP_EQUAL: return a == b;
    case PML_OP_LESS: return a < b;
    case PML_OP_LESSOREQUAL: return a <= b;
    case PML_OP_GREATER: return a > b;
    default: return a >= b;
    }
}

static double load_as_double(pml_dtype dt, const void *p, int64_t i) {
    switch (dt) {
    case PML_FLOAT32: return ((const float *)p)[i];
    case PML_INT8: return ((const int8_t *)p)[i];
    case PML_UINT8: return ((const uint8_t *)p)[i];
    case PML_INT32: return ((const int32_t *)p)[i];
    case PML_INT64: return (double)((const int64_t *)p)[i];
    default: return ((const uint8_t *)p)[i] != 0;
    }
}

/* small random values so equality happens often; a few NaNs in float */
static pml_tensor rand_of(pml_dtype dt, int rank, const int64_t *dims) {
    pml_tensor t = test_tensor(dt, rank, dims, 0);
    int64_t n = pml_shape_numel(rank, dims);
    for (int64_t i = 0; i < n; i++) {
        int v = (int)test_randf(-4, 4);
        switch (dt) {
        case PML_FLOAT32: ((float *)t.data)[i] = i % 17 == 5 ? NAN : (float)v * 0.5f; break;
        case PML_INT8: ((int8_t *)t.data)[i] = (int8_t)(v * 30); break;
        case PML_UINT8: ((uint8_t *)t.data)[i] = (uint8_t)(v * 60 + 128); break;
        case PML_INT32: ((int32_t *)t.data)[i] = v * 100000; break;
        case PML_INT64: ((int64_t *)t.data)[i] = (int64_t)v * ((int64_t)1 << 40); break;
        default: ((uint8_t *)t.data)[i] = (uint8_t)(v > 0 ? v : 0); break; /* nonzero bytes other than 1 */
        }
    }
    return t;
}

static void check_compare(int op, pml_dtype dt, int ra, const int64_t *da, int rb, const int64_t *db) {
    pml_tensor a = rand_of(dt, ra, da), b = rand_of(dt, rb, db), y;
    pml_tensor *in[2] = {&a, &b};
    char what[96];
    snprintf(what, sizeof what, "compare op %d %s ranks %d/%d", op, pml_dtype_name(dt), ra, rb);
    tt_check_isa(what, op, NULL, 0, in, 2, -1, 0, &y);
    if (y.data) {
        CHECK(y.dtype == PML_BOOL);
        int64_t n = pml_shape_numel(y.rank, y.dims);
        int ok = 1;
        for (int64_t i = 0; i < n && ok; i++) {
            double va = load_as_double(dt, a.data, tt_bcast_offset(i, y.rank, y.dims, ra, da));
            double vb = load_as_double(dt, b.data, tt_bcast_offset(i, y.rank, y.dims, rb, db));
            ok = ((uint8_t *)y.data)[i] == naive_cmp(op, va, vb);
            if (!ok) fprintf(stderr, "%s: element %lld: %g vs %g gave %d\n", what, (long long)i, va, vb,
                             ((uint8_t *)y.data)[i]);
        }
        CHECK(ok);
        tt_free(&y);
    }
    tt_free(&a);
    tt_free(&b);
}

static void test_compare(void) {
    for (size_t o = 0; o < 5; o++) {
        int op = g_cmp_ops[o];
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n[1] = {g_sizes[s]}, one[1] = {1}, rows[2] = {3, g_sizes[s]};
            check_compare(op, PML_FLOAT32, 1, n, 1, n);
            check_compare(op, PML_FLOAT32, 1, n, 1, one);
            check_compare(op, PML_FLOAT32, 0, NULL, 1, n);
            check_compare(op, PML_FLOAT32, 2, rows, 1, n);
        }
        static const pml_dtype dts[] = {PML_INT8, PML_UINT8, PML_INT32, PML_INT64, PML_BOOL};
        for (size_t d = 0; d < 5; d++) {
            int64_t a3[3] = {4, 1, 37}, b3[2] = {5, 1}, n[1] = {129};
            check_compare(op, dts[d], 3, a3, 2, b3);
            check_compare(op, dts[d], 1, n, 1, n);
        }
        int64_t mask[4] = {2, 1, 1, 45}, scores[4] = {2, 3, 45, 45}; /* attention-mask style */
        check_compare(op, PML_FLOAT32, 4, mask, 4, scores);
    }
}

static void test_logical(void) {
    static const int ops[] = {PML_OP_AND, PML_OP_OR, PML_OP_XOR};
    int64_t a3[3] = {3, 1, 67}, b2[2] = {4, 1}, n[1] = {1001};
    for (int o = 0; o < 3; o++) {
        for (int shape = 0; shape < 2; shape++) {
            pml_tensor a = rand_of(PML_BOOL, shape ? 1 : 3, shape ? n : a3);
            pml_tensor b = rand_of(PML_BOOL, shape ? 1 : 2, shape ? n : b2), y;
            pml_tensor *in[2] = {&a, &b};
            tt_check_isa("logical", ops[o], NULL, 0, in, 2, -1, 0, &y);
            int64_t cnt = pml_shape_numel(y.rank, y.dims);
            int ok = y.data != NULL && y.dtype == PML_BOOL;
            for (int64_t i = 0; ok && i < cnt; i++) {
                int va = ((uint8_t *)a.data)[tt_bcast_offset(i, y.rank, y.dims, a.rank, a.dims)] != 0;
                int vb = ((uint8_t *)b.data)[tt_bcast_offset(i, y.rank, y.dims, b.rank, b.dims)] != 0;
                int want = ops[o] == PML_OP_AND ? (va & vb) : ops[o] == PML_OP_OR ? (va | vb) : (va ^ vb);
                ok = ((uint8_t *)y.data)[i] == want;
            }
            CHECK(ok);
            tt_free(&y);
            tt_free(&a);
            tt_free(&b);
        }
    }
}

/* ---- Where ------------------------------------------------------------------------------------------ */

static void check_where(pml_dtype dt, int rc, const int64_t *dc, int rx, const int64_t *dx, int ry, const int64_t *dy) {
    pml_tensor c = rand_of(PML_BOOL, rc, dc);
    pml_tensor x = test_tensor(dt, rx, dx, 0), z = test_tensor(dt, ry, dy, 0), out;
    for (size_t i = 0; i < x.nbytes; i++) ((uint8_t *)x.data)[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < z.nbytes; i++) ((uint8_t *)z.data)[i] = (uint8_t)(i * 13 + 200);
    pml_tensor *in[3] = {&c, &x, &z};
    char what[96];
    snprintf(what, sizeof what, "where %s ranks %d/%d/%d", pml_dtype_name(dt), rc, rx, ry);
    tt_check_isa(what, PML_OP_WHERE, NULL, 0, in, 3, -1, 0, &out);
    if (out.data) {
        CHECK(out.dtype == dt);
        size_t es = pml_dtype_size(dt);
        int64_t n = pml_shape_numel(out.rank, out.dims);
        int ok = 1;
        for (int64_t i = 0; i < n && ok; i++) {
            int cv = ((uint8_t *)c.data)[tt_bcast_offset(i, out.rank, out.dims, rc, dc)] != 0;
            const uint8_t *src = cv ? (const uint8_t *)x.data + es * tt_bcast_offset(i, out.rank, out.dims, rx, dx)
                                    : (const uint8_t *)z.data + es * tt_bcast_offset(i, out.rank, out.dims, ry, dy);
            ok = memcmp((uint8_t *)out.data + es * i, src, es) == 0;
        }
        if (!ok) fprintf(stderr, "%s: wrong element\n", what);
        CHECK(ok);
        tt_free(&out);
    }
    tt_free(&c);
    tt_free(&x);
    tt_free(&z);
}

static void test_where(void) {
    static const pml_dtype dts[] = {PML_FLOAT32, PML_INT64, PML_BOOL, PML_FLOAT16, PML_INT32, PML_UINT8};
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n[1] = {g_sizes[s]}, one[1] = {1};
            check_where(dts[d], 1, n, 1, n, 1, n);
            check_where(dts[d], 1, n, 1, one, 1, n);    /* masked_fill: scalar x */
            check_where(dts[d], 1, n, 1, n, 0, NULL);   /* scalar y */
            check_where(dts[d], 0, NULL, 1, n, 1, n);   /* scalar condition */
        }
        int64_t c4[4] = {2, 1, 1, 37}, x4[4] = {2, 3, 37, 37}, y1[1] = {1};
        check_where(dts[d], 4, c4, 4, x4, 1, y1);       /* attention mask [B,1,1,S] over scores [B,H,S,S] */
        int64_t c2[2] = {5, 1}, x3[3] = {3, 1, 9}, yy[1] = {9};
        check_where(dts[d], 2, c2, 3, x3, 1, yy);       /* all three broadcast */
        int64_t big[3] = {3, 200, 131}, bc[3] = {3, 1, 131};
        check_where(dts[d], 3, bc, 3, big, 3, bc);      /* threaded */
    }
}

/* ---- Mod ---------------------------------------------------------------------------------------------- */

static void test_mod(void) {
    /* integer: fmod=0 takes the divisor's sign (Python %), fmod=1 the dividend's (C %) */
    int32_t a32[8] = {-4, 7, 5, 4, -7, 8, INT32_MIN, INT32_MIN};
    int32_t b32[8] = {2, -3, 8, -2, 3, 5, -1, 3};
    int32_t want0[8] = {0, -2, 5, 0, 2, 3, 0, 1}, want1[8] = {0, 1, 5, 0, -1, 3, 0, -2};
    int64_t d[1] = {8};
    pml_tensor a = tt_make(PML_INT32, 1, d, a32), b = tt_make(PML_INT32, 1, d, b32), y;
    pml_tensor *in[2] = {&a, &b};
    pml_attr f0 = attr_int("fmod", 0), f1 = attr_int("fmod", 1);
    CHECK_OK(tt_ref(PML_OP_MOD, &f0, 1, in, 2, &y));
    CHECK(y.data && memcmp(y.data, want0, sizeof want0) == 0);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_MOD, NULL, 0, in, 2, &y)); /* fmod defaults to 0 */
    CHECK(y.data && memcmp(y.data, want0, sizeof want0) == 0);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_MOD, &f1, 1, in, 2, &y));
    CHECK(y.data && memcmp(y.data, want1, sizeof want1) == 0);
    tt_free(&y);
    ((int32_t *)b.data)[5] = 0;
    tt_expect_error("int32 mod by zero", PML_ERR_RUNTIME, PML_OP_MOD, &f0, 1, in, 2, 1);
    tt_free(&a);
    tt_free(&b);

    int64_t a64[4] = {INT64_MIN, -9, 9, INT64_MAX}, b64[1] = {-4};
    int64_t d4[1] = {4}, one[1] = {1};
    a = tt_make(PML_INT64, 1, d4, a64), b = tt_make(PML_INT64, 1, one, b64);
    CHECK_OK(tt_ref(PML_OP_MOD, &f0, 1, in, 2, &y));
    CHECK(y.data && ((int64_t *)y.data)[0] == 0 && ((int64_t *)y.data)[1] == -1 && ((int64_t *)y.data)[2] == -3 &&
          ((int64_t *)y.data)[3] == -1);
    tt_free(&y);
    tt_check_isa("int64 mod threads", PML_OP_MOD, &f1, 1, in, 2, -1, 0, NULL);
    tt_free(&a);
    tt_free(&b);

    /* float: numpy's mod for fmod=0 (signed zeros, infinities, NaN), C fmod for fmod=1 */
    float fa[14] = {0, -0.0f, 0, -0.0f, -3, 3, -1, 1, INFINITY, -INFINITY, 1, 1, NAN, 1};
    float fb[14] = {-2, 2, 2, -2, INFINITY, INFINITY, -INFINITY, -INFINITY, 2, 2, 0, -0.0f, 2, NAN};
    float fw[14] = {-0.0f, 0, 0, -0.0f, INFINITY, 3, -1, -INFINITY, NAN, NAN, NAN, NAN, NAN, NAN};
    int64_t d14[1] = {14};
    a = tt_make(PML_FLOAT32, 1, d14, fa), b = tt_make(PML_FLOAT32, 1, d14, fb);
    CHECK_OK(tt_ref(PML_OP_MOD, &f0, 1, in, 2, &y));
    int ok = y.data != NULL;
    for (int i = 0; ok && i < 14; i++) {
        float v = ((float *)y.data)[i];
        ok = isnan(fw[i]) ? isnan(v) : (v == fw[i] && signbit(v) == signbit(fw[i]));
        if (!ok) fprintf(stderr, "float mod %g %% %g = %g, want %g\n", fa[i], fb[i], v, fw[i]);
    }
    CHECK(ok);
    tt_free(&y);
    tt_free(&a);
    tt_free(&b);
    float ga[4] = {-4.3f, 7.2f, 5.0f, 4.3f}, gb[4] = {2.1f, -3.4f, 8.0f, -2.1f};
    int64_t d4f[1] = {4};
    a = tt_make(PML_FLOAT32, 1, d4f, ga), b = tt_make(PML_FLOAT32, 1, d4f, gb);
    CHECK_OK(tt_ref(PML_OP_MOD, &f1, 1, in, 2, &y));
    ok = y.data != NULL;
    for (int i = 0; ok && i < 4; i++) ok = ((float *)y.data)[i] == fmodf(ga[i], gb[i]);
    CHECK(ok);
    tt_free(&y);
    tt_free(&a);
    tt_free(&b);
}

/* ---- unary math ------------------------------------------------------------------------------------------- */

static double gelu_erf_d(double x) { return 0.5 * x * erfc(-x / sqrt(2.0)); }
static double gelu_tanh_d(double x) {
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}
static double round_even_d(double x) {
    double r = round(x);
    return fabs(r - x) == 0.5 ? 2.0 * round(x / 2.0) : r;
}
static double sign_d(double x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); }

typedef struct math_case {
    int op;
    const char *approx; /* Gelu's approximate attribute */
    float lo, hi;
    double (*fn)(double);
    float rtol, atol; /* vs libm in double */
} math_case;

static void test_unary_math(void) {
    const math_case cases[] = {
        {PML_OP_FLOOR, NULL, -50, 50, floor, 0, 0},
        {PML_OP_CEIL, NULL, -50, 50, ceil, 0, 0},
        {PML_OP_ROUND, NULL, -50, 50, round_even_d, 0, 0},
        {PML_OP_SIGN, NULL, -5, 5, sign_d, 0, 0},
        {PML_OP_SIN, NULL, -10, 10, sin, 1e-6f, 1e-7f},
        {PML_OP_COS, NULL, -10, 10, cos, 1e-6f, 1e-7f},
        {PML_OP_ERF, NULL, -1, 1, erf, 1e-6f, 0},
        {PML_OP_ERF, NULL, -6, 6, erf, 1e-6f, 0},
        {PML_OP_GELU, NULL, -1.5f, 1.5f, gelu_erf_d, 1e-6f, 1e-9f},
        {PML_OP_GELU, "none", -8, 8, gelu_erf_d, 2e-6f, 5e-8f},
        {PML_OP_GELU, "tanh", -8, 8, gelu_tanh_d, 2e-6f, 5e-8f},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const math_case *mc = &cases[c];
        pml_attr at = {0};
        at.name = "approximate", at.type = PML_ATTR_STRING, at.s = mc->approx;
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n[1] = {g_sizes[s]};
            pml_tensor x = tt_rand(1, n, mc->lo, mc->hi), y;
            if (mc->op == PML_OP_ROUND) /* plenty of exact ties */
                for (int64_t i = 0; i < n[0]; i += 3) ((float *)x.data)[i] = (float)(int)((float *)x.data)[i] + 0.5f;
            pml_tensor *in[1] = {&x};
            char what[64];
            snprintf(what, sizeof what, "unary op %d%s n=%lld", mc->op, mc->approx ? mc->approx : "",
                     (long long)n[0]);
            /* atol: the AVX2 Gelu returns -0 below x = -5.66, where the true value is under 4.4e-8 */
            tt_check_isa(what, mc->op, &at, mc->approx ? 1 : 0, in, 1, mc->rtol > 0 ? 1e-6f : -1,
                         mc->rtol > 0 ? 5e-8f : 0, &y);
            if (y.data) {
                float *expect = malloc((size_t)n[0] * sizeof(float));
                for (int64_t i = 0; i < n[0]; i++) expect[i] = (float)mc->fn(((float *)x.data)[i]);
                CHECK(test_allclose(y.data, expect, (size_t)n[0], mc->rtol, mc->atol, what));
                free(expect);
                tt_free(&y);
            }
            tt_free(&x);
        }
    }
    /* the AVX2 erf/Gelu against libm in double on a fine grid over the interesting range */
    int64_t grid[1] = {40001};
    pml_tensor x = test_tensor(PML_FLOAT32, 1, grid, 0);
    for (int i = 0; i < 40001; i++) ((float *)x.data)[i] = -10.0f + (float)i * 5e-4f;
    pml_tensor *in[1] = {&x};
    for (int k = 0; k < 3; k++) {
        pml_attr at = {0};
        at.name = "approximate", at.type = PML_ATTR_STRING, at.s = k == 2 ? "tanh" : "none";
        int op = k == 0 ? PML_OP_ERF : PML_OP_GELU;
        pml_tensor y;
        CHECK_OK(pml_test_op(op, &at, k ? 1 : 0, in, 1, &y, 1, 0, 1));
        int ok = y.data != NULL;
        for (int i = 0; ok && i < 40001; i++) {
            double v = ((float *)x.data)[i];
            double want = k == 0 ? erf(v) : k == 1 ? gelu_erf_d(v) : gelu_tanh_d(v);
            double got = ((float *)y.data)[i];
            /* erf: relative; Gelu: relative, or absolute below 5e-8 where x < -5.6 rounds erfc to 0 */
            ok = fabs(got - want) <= 1e-6 * fabs(want) + (k == 0 ? 1e-30 : 5e-8);
            if (!ok) fprintf(stderr, "grid op %d k=%d x=%.9g: got %.9g want %.9g\n", op, k, v, got, want);
        }
        CHECK(ok);
        tt_free(&y);
    }
    tt_free(&x);

    /* special values: reference and AVX2 agree (NaN stays NaN, infinities saturate) */
    float sv[12] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 1e-30f, 3e38f};
    int64_t d12[1] = {12};
    pml_tensor xs = tt_make(PML_FLOAT32, 1, d12, sv);
    pml_tensor *ins[1] = {&xs};
    static const int ops[] = {PML_OP_FLOOR, PML_OP_CEIL, PML_OP_ROUND, PML_OP_SIGN, PML_OP_ERF, PML_OP_GELU};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        pml_tensor r, b;
        CHECK_OK(pml_test_op(ops[k], NULL, 0, ins, 1, &r, 1, 1, 1));
        CHECK_OK(pml_test_op(ops[k], NULL, 0, ins, 1, &b, 1, 0, 1));
        int ok = r.data && b.data;
        for (int i = 0; ok && i < 12; i++) {
            float u = ((float *)r.data)[i], v = ((float *)b.data)[i];
            ok = (isnan(u) && isnan(v)) || u == v || fabsf(u - v) <= 1e-6f * fabsf(u);
            if (!ok) fprintf(stderr, "special op %d x=%g: ref %g best %g\n", ops[k], sv[i], u, v);
        }
        CHECK(ok);
        tt_free(&r);
        tt_free(&b);
    }
    pml_tensor r;
    CHECK_OK(tt_ref(PML_OP_ROUND, NULL, 0, ins, 1, &r));
    CHECK(r.data && ((float *)r.data)[5] == 0.0f && ((float *)r.data)[7] == 2.0f && ((float *)r.data)[8] == 2.0f &&
          ((float *)r.data)[9] == -2.0f);
    tt_free(&r);
    tt_free(&xs);

    /* integer Sign */
    int64_t iv[5] = {INT64_MIN, -3, 0, 5, INT64_MAX};
    int64_t d5[1] = {5};
    pml_tensor xi = tt_make(PML_INT64, 1, d5, iv);
    ins[0] = &xi;
    CHECK_OK(tt_ref(PML_OP_SIGN, NULL, 0, ins, 1, &r));
    int64_t want[5] = {-1, -1, 0, 1, 1};
    CHECK(r.data && memcmp(r.data, want, sizeof want) == 0);
    tt_free(&r);
    tt_free(&xi);
}

/* ---- predicates ------------------------------------------------------------------------------------------ */

static void test_predicates(void) {
    float fv[6] = {INFINITY, -INFINITY, NAN, 0.0f, -1.0f, FLT_MAX};
    int64_t d[1] = {6};
    pml_tensor x = tt_make(PML_FLOAT32, 1, d, fv), y;
    pml_tensor *in[1] = {&x};
    CHECK_OK(tt_ref(PML_OP_ISNAN, NULL, 0, in, 1, &y));
    uint8_t wn[6] = {0, 0, 1, 0, 0, 0};
    CHECK(y.data && y.dtype == PML_BOOL && memcmp(y.data, wn, 6) == 0);
    tt_free(&y);
    uint8_t wi[3][6] = {{1, 1, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0}};
    for (int k = 0; k < 3; k++) {
        pml_attr at[2] = {attr_int("detect_positive", k != 2), attr_int("detect_negative", k != 1)};
        CHECK_OK(tt_ref(PML_OP_ISINF, at, k ? 2 : 0, in, 1, &y));
        CHECK(y.data && memcmp(y.data, wi[k], 6) == 0);
        tt_free(&y);
    }
    tt_free(&x);
    uint8_t bv[4] = {0, 1, 2, 255};
    int64_t d4[1] = {4};
    x = tt_make(PML_BOOL, 1, d4, bv);
    CHECK_OK(tt_ref(PML_OP_NOT, NULL, 0, in, 1, &y));
    uint8_t wnot[4] = {1, 0, 0, 0};
    CHECK(y.data && memcmp(y.data, wnot, 4) == 0);
    tt_free(&y);
    tt_expect_error("isnan of bool", PML_ERR_DTYPE, PML_OP_ISNAN, NULL, 0, in, 1, 1);
    tt_free(&x);
    x = tt_make(PML_FLOAT32, 1, d4, NULL);
    tt_expect_error("not of float", PML_ERR_DTYPE, PML_OP_NOT, NULL, 0, in, 1, 1);
    tt_free(&x);
}

/* ---- Gelu as a fused activation ------------------------------------------------------------------------- */

static void test_fused_gelu(void) {
    for (int act = PML_ACT_GELU_ERF; act <= PML_ACT_GELU_TANH; act++) {
        pml_activation pa = {act, 0, 0};
        /* Add + Gelu (bias then activation, as in a transformer MLP) */
        int64_t shape[2] = {3, 333}, bias[1] = {333};
        pml_tensor x = tt_rand(2, shape, -6, 6), c = tt_rand(1, bias, -1, 1), out;
        pml_attr attrs[1] = {attr_int("act", act)};
        pml_tensor *ins[2] = {&x, &c};
        tt_check_isa("fused gelu add", PML_OP_ADD, attrs, 1, ins, 2, 1e-6f, 1e-7f, &out);
        int ok = out.data != NULL;
        for (int i = 0; ok && i < 999; i++) {
            double v = (double)((float *)x.data)[i] + ((float *)c.data)[i % 333];
            double want = act == PML_ACT_GELU_ERF ? gelu_erf_d(v) : gelu_tanh_d(v);
            ok = fabs(((float *)out.data)[i] - want) <= 2e-6 * fabs(want) + 5e-8;
            ok &= fabsf(pml_activation_scalar(&pa, (float)v) - ((float *)out.data)[i]) <= 2e-6f * fabsf((float)want) + 5e-8f;
        }
        CHECK(ok);
        tt_free(&out);
        tt_free(&x);
        tt_free(&c);

        /* MatMul + Gelu: the GEMM kernels apply it in their store loop */
        int64_t da[2] = {13, 37}, db[2] = {37, 29};
        pml_tensor a = tt_rand(2, da, -1, 1), b = tt_rand(2, db, -1, 1);
        b.is_const = 1;
        pml_tensor *mm[2] = {&a, &b};
        pml_tensor plain;
        CHECK_OK(tt_ref(PML_OP_MATMUL, NULL, 0, mm, 2, &plain));
        tt_check_isa("fused gelu matmul", PML_OP_MATMUL, attrs, 1, mm, 2, 2e-5f, 1e-6f, &out);
        ok = out.data && plain.data;
        for (int i = 0; ok && i < 13 * 29; i++) {
            float want = pml_activation_scalar(&pa, ((float *)plain.data)[i]);
            ok = fabsf(((float *)out.data)[i] - want) <= 1e-5f * fabsf(want) + 1e-6f;
        }
        CHECK(ok);
        tt_free(&plain);
        tt_free(&out);
        tt_free(&a);
        tt_free(&b);
    }
    pml_attr bad = attr_int("act", PML_ACT_LAST + 1);
    int64_t d[1] = {4};
    pml_tensor x = tt_rand(1, d, 0, 1);
    pml_tensor *ins[2] = {&x, &x};
    tt_expect_error("act kind past the last", PML_ERR_UNSUPPORTED, PML_OP_ADD, &bad, 1, ins, 2, 1);
    tt_free(&x);
}

/* ---- errors --------------------------------------------------------------------------------------------- */

static void test_errors(void) {
    int64_t d3[1] = {3}, d4[1] = {4};
    pml_tensor f = tt_rand(1, d3, 0, 1), f4 = tt_rand(1, d4, 0, 1), i32 = tt_make(PML_INT32, 1, d3, NULL);
    pml_tensor h = tt_make(PML_FLOAT16, 1, d3, NULL), b = tt_make(PML_BOOL, 1, d3, NULL);
    pml_tensor *fi[2] = {&f, &i32}, *ff4[2] = {&f, &f4}, *hh[2] = {&h, &h}, *ff[2] = {&f, &f};
    tt_expect_error("compare dtypes differ", PML_ERR_DTYPE, PML_OP_LESS, NULL, 0, fi, 2, 1);
    tt_expect_error("compare shapes", PML_ERR_SHAPE, PML_OP_EQUAL, NULL, 0, ff4, 2, 1);
    tt_expect_error("compare float16", PML_ERR_DTYPE, PML_OP_GREATER, NULL, 0, hh, 2, 1);
    tt_expect_error("and on float", PML_ERR_DTYPE, PML_OP_AND, NULL, 0, ff, 2, 1);
    pml_tensor *w_nonbool[3] = {&f, &f, &f}, *w_mixed[3] = {&b, &f, &i32}, *w_shape[3] = {&b, &f4, &f};
    pml_tensor *w_missing[3] = {&b, &f, NULL};
    tt_expect_error("where float condition", PML_ERR_DTYPE, PML_OP_WHERE, NULL, 0, w_nonbool, 3, 1);
    tt_expect_error("where x/y dtypes", PML_ERR_DTYPE, PML_OP_WHERE, NULL, 0, w_mixed, 3, 1);
    tt_expect_error("where shapes", PML_ERR_SHAPE, PML_OP_WHERE, NULL, 0, w_shape, 3, 1);
    tt_expect_error("where missing y", PML_ERR_INVALID_MODEL, PML_OP_WHERE, NULL, 0, w_missing, 3, 1);
    pml_attr fmod2 = attr_int("fmod", 2);
    tt_expect_error("mod fmod=2", PML_ERR_INVALID_MODEL, PML_OP_MOD, &fmod2, 1, ff, 2, 1);
    pml_tensor *bb[2] = {&b, &b};
    tt_expect_error("mod bool", PML_ERR_DTYPE, PML_OP_MOD, NULL, 0, bb, 2, 1);
    pml_attr approx = {0};
    approx.name = "approximate", approx.type = PML_ATTR_STRING, approx.s = "sigmoid";
    pml_tensor *x1[1] = {&f};
    tt_expect_error("gelu approximate", PML_ERR_UNSUPPORTED, PML_OP_GELU, &approx, 1, x1, 1, 1);
    approx.type = PML_ATTR_INT;
    tt_expect_error("gelu approximate type", PML_ERR_UNSUPPORTED, PML_OP_GELU, &approx, 1, x1, 1, 1);
    pml_tensor *i1[1] = {&i32};
    tt_expect_error("erf int", PML_ERR_DTYPE, PML_OP_ERF, NULL, 0, i1, 1, 1);
    tt_expect_error("floor int", PML_ERR_DTYPE, PML_OP_FLOOR, NULL, 0, i1, 1, 1);
    tt_free(&f);
    tt_free(&f4);
    tt_free(&i32);
    tt_free(&h);
    tt_free(&b);
}

int main(void) {
    test_compare();
    test_logical();
    test_where();
    test_mod();
    test_unary_math();
    test_predicates();
    test_fused_gelu();
    test_errors();
    return test_finish("test_logic");
}
