/*
 * test_elementwise.c — binary ops (broadcast patterns, int semantics, fused
 * activations, PRelu), unary ops, Identity and Cast: the reference kernels
 * against independent naive loops / libm in double / hand-computed values,
 * the AVX2 kernels and 2 threads against the reference at awkward sizes,
 * and the error paths.
 */
#include <float.h>

#include "ew_testutil.h"

static const int64_t g_sizes[] = {1, 7, 8, 9, 13, 127, 1000, 70001};
#define N_SIZES (int)(sizeof g_sizes / sizeof g_sizes[0])

/* ---- naive broadcasting reference ---------------------------------------------------------- */

static double naive_bin(int op, double a, double b) {
    switch (op) {
    case PML_OP_ADD: return a + b;
    case PML_OP_SUB: return a - b;
    case PML_OP_MUL: return a * b;
    case PML_OP_DIV: return a / b;
    case PML_OP_POW: return pow(a, b);
    case PML_OP_MAX: return a > b ? a : b;
    case PML_OP_MIN: return a < b ? a : b;
    default: return a < 0 ? a * b : a; /* PRelu */
    }
}

static void check_binary_f32(int op, int ra, const int64_t *da, int rb, const int64_t *db) {
    pml_tensor a = tt_rand(ra, da, -3, 3), b = tt_rand(rb, db, op == PML_OP_POW ? 0.5f : -3, 3), y;
    if (op == PML_OP_POW) test_fill(a.data, a.nbytes / 4, 0.1f, 3.0f);
    if (op == PML_OP_DIV)
        for (size_t i = 0; i < b.nbytes / 4; i++)
            if (fabsf(((float *)b.data)[i]) < 0.1f) ((float *)b.data)[i] = 0.5f;
    pml_tensor *in[2] = {&a, &b};
    char what[96];
    snprintf(what, sizeof what, "binary op %d ranks %d/%d", op, ra, rb);
    tt_check_isa(what, op, NULL, 0, in, 2, 1e-6f, 1e-6f, &y);
    if (y.data) {
        int64_t n = pml_shape_numel(y.rank, y.dims);
        float *expect = malloc((size_t)n * sizeof(float) + 4);
        for (int64_t i = 0; i < n; i++) {
            double va = ((float *)a.data)[tt_bcast_offset(i, y.rank, y.dims, ra, da)];
            double vb = ((float *)b.data)[tt_bcast_offset(i, y.rank, y.dims, rb, db)];
            expect[i] = (float)naive_bin(op, va, vb);
        }
        CHECK(test_allclose(y.data, expect, (size_t)n, 1e-5f, 1e-6f, what));
        free(expect);
        tt_free(&y);
    }
    tt_free(&a);
    tt_free(&b);
}

static void test_binary_float(void) {
    static const int ops[] = {PML_OP_ADD, PML_OP_SUB, PML_OP_MUL, PML_OP_DIV, PML_OP_POW, PML_OP_MAX, PML_OP_MIN};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        int op = ops[o];
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n[1] = {g_sizes[s]}, one[1] = {1};
            check_binary_f32(op, 1, n, 1, n);       /* same shape */
            check_binary_f32(op, 1, n, 1, one);     /* vector op scalar */
            check_binary_f32(op, 0, NULL, 1, n);    /* rank-0 scalar op vector */
            int64_t rows[2] = {5, g_sizes[s]};
            check_binary_f32(op, 2, rows, 1, n);    /* last-axis broadcast (bias) */
        }
        int64_t nchw[4] = {2, 3, 4, 5}, c11[3] = {3, 1, 1}, nhwc[4] = {2, 4, 5, 13}, c[1] = {13};
        check_binary_f32(op, 4, nchw, 3, c11);      /* per-channel, NCHW */
        check_binary_f32(op, 3, c11, 4, nchw);      /* same, swapped */
        check_binary_f32(op, 4, nhwc, 1, c);
        int64_t a3[3] = {4, 1, 6}, b3[3] = {1, 5, 1}, a5[5] = {2, 1, 3, 1, 9}, b5[4] = {7, 3, 8, 1};
        check_binary_f32(op, 3, a3, 3, b3);         /* both broadcast */
        check_binary_f32(op, 5, a5, 4, b5);
        int64_t big[3] = {3, 200, 131}, bigc[3] = {3, 1, 131};
        check_binary_f32(op, 3, big, 3, bigc);      /* threaded, mixed */
        check_binary_f32(op, 0, NULL, 0, NULL);     /* scalar op scalar */
    }
}

static void test_binary_special(void) {
    /* NaN propagates through Max/Min in both kernels */
    float av[9] = {NAN, 1, 2, 3, 4, 5, 6, 7, NAN}, bv[9] = {0, NAN, 1, 1, 1, 1, 1, 1, 2};
    int64_t d[1] = {9};
    pml_tensor a = tt_make(PML_FLOAT32, 1, d, av), b = tt_make(PML_FLOAT32, 1, d, bv), y;
    pml_tensor *in[2] = {&a, &b};
    for (int best = 0; best < 2; best++) {
        CHECK_OK(pml_test_op(PML_OP_MAX, NULL, 0, in, 2, &y, 1, !best, 1));
        float *r = y.data;
        CHECK(isnan(r[0]) && isnan(r[1]) && r[2] == 2 && isnan(r[8]));
        tt_free(&y);
        CHECK_OK(pml_test_op(PML_OP_MIN, NULL, 0, in, 2, &y, 1, !best, 1));
        r = y.data;
        CHECK(isnan(r[0]) && isnan(r[1]) && r[2] == 1 && isnan(r[8]));
        tt_free(&y);
    }
    tt_free(&a);
    tt_free(&b);

    /* fused activations on Add: relu, clip, sigmoid, hardswish, leaky, tanh, hardsigmoid */
    for (int act = 1; act <= 7; act++) {
        int64_t shape[2] = {3, 333}, bias[1] = {333};
        pml_tensor x = tt_rand(2, shape, -6, 6), c = tt_rand(1, bias, -1, 1), out;
        pml_attr attrs[3] = {attr_int("act", act), attr_float("act_alpha", act == 2 ? -0.5f : 0.2f),
                             attr_float("act_beta", act == 2 ? 0.7f : 0.5f)};
        pml_tensor *ins[2] = {&x, &c};
        pml_activation pa = {act, attrs[1].f, attrs[2].f};
        tt_check_isa("fused act", PML_OP_ADD, attrs, 3, ins, 2, 1e-5f, 1e-6f, &out);
        float *expect = malloc(sizeof(float) * 999);
        for (int i = 0; i < 999; i++)
            expect[i] = pml_activation_scalar(&pa, ((float *)x.data)[i] + ((float *)c.data)[i % 333]);
        CHECK(test_allclose(out.data, expect, 999, 1e-5f, 1e-6f, "fused act vs common reference"));
        free(expect);
        tt_free(&out);
        tt_free(&x);
        tt_free(&c);
    }
}

static void test_binary_int(void) {
    int32_t a32[8] = {7, -7, 7, -7, INT32_MIN, INT32_MAX, 0, 5};
    int32_t b32[8] = {2, 2, -2, -2, -1, 1, 3, -5};
    int64_t d[1] = {8}, one[1] = {1};
    pml_tensor a = tt_make(PML_INT32, 1, d, a32), b = tt_make(PML_INT32, 1, d, b32), y;
    pml_tensor *in[2] = {&a, &b};
    CHECK_OK(tt_ref(PML_OP_DIV, NULL, 0, in, 2, &y));
    int32_t want_div[8] = {3, -3, -3, 3, INT32_MIN, INT32_MAX, 0, -1}; /* truncation toward zero; MIN/-1 wraps */
    CHECK(y.data && memcmp(y.data, want_div, sizeof want_div) == 0);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_ADD, NULL, 0, in, 2, &y));
    CHECK(y.data && ((int32_t *)y.data)[5] == INT32_MIN && ((int32_t *)y.data)[0] == 9); /* wraps */
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_MAX, NULL, 0, in, 2, &y));
    CHECK(y.data && ((int32_t *)y.data)[1] == 2 && ((int32_t *)y.data)[4] == -1);
    tt_free(&y);
    tt_check_isa("int32 mul", PML_OP_MUL, NULL, 0, in, 2, -1, 0, NULL);
    tt_check_isa("int32 sub", PML_OP_SUB, NULL, 0, in, 2, -1, 0, NULL);
    tt_check_isa("int32 min", PML_OP_MIN, NULL, 0, in, 2, -1, 0, NULL);
    /* division by zero is a runtime error, not a trap */
    ((int32_t *)b.data)[3] = 0;
    tt_expect_error("int32 div by zero", PML_ERR_RUNTIME, PML_OP_DIV, NULL, 0, in, 2, 1);
    tt_free(&a);
    tt_free(&b);

    int64_t a64[3] = {-9, 9, INT64_MIN}, b64[1] = {-4};
    int64_t d3[1] = {3};
    a = tt_make(PML_INT64, 1, d3, a64), b = tt_make(PML_INT64, 1, one, b64);
    CHECK_OK(tt_ref(PML_OP_DIV, NULL, 0, in, 2, &y));
    CHECK(y.data && ((int64_t *)y.data)[0] == 2 && ((int64_t *)y.data)[1] == -2 &&
          ((int64_t *)y.data)[2] == INT64_MIN / -4);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_SUB, NULL, 0, in, 2, &y));
    CHECK(y.data && ((int64_t *)y.data)[0] == -5 && ((int64_t *)y.data)[2] == INT64_MIN + 4);
    tt_free(&y);
    ((int64_t *)b.data)[0] = 0;
    tt_expect_error("int64 div by zero", PML_ERR_RUNTIME, PML_OP_DIV, NULL, 0, in, 2, 1);
    tt_free(&a);
    tt_free(&b);
}

static void test_prelu(void) {
    int64_t x4[4] = {2, 3, 4, 5}, s1[1] = {5}, s3[3] = {3, 1, 1};
    pml_tensor x = tt_rand(4, x4, -2, 2), s = tt_rand(1, s1, 0, 1), y;
    pml_tensor *in[2] = {&x, &s};
    tt_check_isa("prelu last axis", PML_OP_PRELU, NULL, 0, in, 2, 0, 0, &y);
    int ok = 1;
    for (int i = 0; i < 120; i++) {
        float v = ((float *)x.data)[i], e = v < 0 ? v * ((float *)s.data)[i % 5] : v;
        ok &= ((float *)y.data)[i] == e;
    }
    CHECK(ok);
    tt_free(&y);
    tt_free(&s);
    s = tt_rand(3, s3, 0, 1);
    tt_check_isa("prelu channel", PML_OP_PRELU, NULL, 0, in, 2, 0, 0, NULL);
    tt_free(&s);
    int64_t bad[2] = {2, 5}; /* would broadcast x up: not allowed */
    int64_t xs[2] = {1, 5};
    tt_free(&x);
    x = tt_rand(2, xs, -1, 1);
    s = tt_rand(2, bad, 0, 1);
    tt_expect_error("prelu slope larger than x", PML_ERR_SHAPE, PML_OP_PRELU, NULL, 0, in, 2, 1);
    tt_free(&x);
    tt_free(&s);
}

static void test_binary_errors(void) {
    int64_t d3[1] = {3}, d4[1] = {4};
    pml_tensor a = tt_rand(1, d3, 0, 1), b = tt_rand(1, d4, 0, 1);
    pml_tensor *in[2] = {&a, &b};
    tt_expect_error("mismatched shapes", PML_ERR_SHAPE, PML_OP_ADD, NULL, 0, in, 2, 1);
    tt_free(&b);
    b = tt_make(PML_INT32, 1, d3, NULL);
    tt_expect_error("mismatched dtypes", PML_ERR_DTYPE, PML_OP_ADD, NULL, 0, in, 2, 1);
    pml_tensor *ii[2] = {&b, &b};
    tt_expect_error("int pow", PML_ERR_DTYPE, PML_OP_POW, NULL, 0, ii, 2, 1);
    pml_attr act = attr_int("act", 1);
    tt_expect_error("int fused act", PML_ERR_UNSUPPORTED, PML_OP_ADD, &act, 1, ii, 2, 1);
    pml_attr bad_act = attr_int("act", 42);
    pml_tensor *ff[2] = {&a, &a};
    tt_expect_error("unknown act", PML_ERR_UNSUPPORTED, PML_OP_ADD, &bad_act, 1, ff, 2, 1);
    pml_tensor *missing[2] = {&a, NULL};
    tt_expect_error("missing input", PML_ERR_INVALID_MODEL, PML_OP_ADD, NULL, 0, missing, 2, 1);
    pml_tensor u8 = tt_make(PML_UINT8, 1, d3, NULL);
    pml_tensor *uu[2] = {&u8, &u8};
    tt_expect_error("uint8 add", PML_ERR_DTYPE, PML_OP_ADD, NULL, 0, uu, 2, 1);
    tt_free(&u8);
    tt_free(&a);
    tt_free(&b);
}

/* ---- unary --------------------------------------------------------------------------------------- */

typedef struct unary_case {
    int op;
    float lo, hi;
    double (*fn)(double x, double a, double b);
    float alpha, beta;
    const char *an, *bn;
} unary_case;

static double u_relu(double x, double a, double b) { return x < 0 ? 0 : x; }
static double u_leaky(double x, double a, double b) { return x < 0 ? a * x : x; }
static double u_clip(double x, double a, double b) { return x < a ? a : (x > b ? b : x); }
static double u_sigmoid(double x, double a, double b) { return 1 / (1 + exp(-x)); }
static double u_tanh(double x, double a, double b) { return tanh(x); }
static double u_hsig(double x, double a, double b) { return fmax(0, fmin(1, a * x + b)); }
static double u_hswish(double x, double a, double b) { return x * fmax(0, fmin(1, x / 6 + 0.5)); }
static double u_elu(double x, double a, double b) { return x < 0 ? a * (exp(x) - 1) : x; }
static double u_selu(double x, double a, double b) { return x <= 0 ? b * a * (exp(x) - 1) : b * x; }
static double u_softplus(double x, double a, double b) { return log1p(exp(x)); }
static double u_sqrt(double x, double a, double b) { return sqrt(x); }
static double u_exp(double x, double a, double b) { return exp(x); }
static double u_log(double x, double a, double b) { return log(x); }
static double u_abs(double x, double a, double b) { return fabs(x); }
static double u_neg(double x, double a, double b) { return -x; }
static double u_recip(double x, double a, double b) { return 1 / x; }

static void test_unary(void) {
    const unary_case cases[] = {
        {PML_OP_RELU, -5, 5, u_relu, 0, 0, NULL, NULL},
        {PML_OP_LEAKYRELU, -5, 5, u_leaky, 0.1f, 0, "alpha", NULL},
        {PML_OP_CLIP, -5, 5, u_clip, -1.5f, 2.5f, "min", "max"},
        {PML_OP_SIGMOID, -30, 30, u_sigmoid, 0, 0, NULL, NULL},
        {PML_OP_SIGMOID, -100, 100, u_sigmoid, 0, 0, NULL, NULL},
        {PML_OP_TANH, -1, 1, u_tanh, 0, 0, NULL, NULL},
        {PML_OP_TANH, -12, 12, u_tanh, 0, 0, NULL, NULL},
        {PML_OP_HARDSIGMOID, -6, 6, u_hsig, 0.3f, 0.4f, "alpha", "beta"},
        {PML_OP_HARDSWISH, -5, 5, u_hswish, 0, 0, NULL, NULL},
        {PML_OP_ELU, -5, 5, u_elu, 0.7f, 0, "alpha", NULL},
        {PML_OP_SELU, -5, 5, u_selu, 1.6732632f, 1.0507010f, "alpha", "gamma"},
        {PML_OP_SOFTPLUS, -20, 20, u_softplus, 0, 0, NULL, NULL},
        {PML_OP_SQRT, 0, 100, u_sqrt, 0, 0, NULL, NULL},
        {PML_OP_EXP, -20, 20, u_exp, 0, 0, NULL, NULL},
        {PML_OP_EXP, -100, 88, u_exp, 0, 0, NULL, NULL},
        {PML_OP_LOG, 0.001f, 100, u_log, 0, 0, NULL, NULL},
        {PML_OP_ABS, -5, 5, u_abs, 0, 0, NULL, NULL},
        {PML_OP_NEG, -5, 5, u_neg, 0, 0, NULL, NULL},
        {PML_OP_RECIPROCAL, 0.1f, 10, u_recip, 0, 0, NULL, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const unary_case *uc = &cases[c];
        pml_attr attrs[2];
        int na = 0;
        if (uc->an) attrs[na++] = attr_float(uc->an, uc->alpha);
        if (uc->bn) attrs[na++] = attr_float(uc->bn, uc->beta);
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n[1] = {g_sizes[s]};
            pml_tensor x = tt_rand(1, n, uc->lo, uc->hi), y;
            pml_tensor *in[1] = {&x};
            char what[64];
            snprintf(what, sizeof what, "unary op %d n=%lld", uc->op, (long long)n[0]);
            tt_check_isa(what, uc->op, attrs, na, in, 1, 3e-6f, 1e-6f, &y);
            if (y.data) {
                float *expect = malloc((size_t)n[0] * sizeof(float));
                for (int64_t i = 0; i < n[0]; i++)
                    expect[i] = (float)uc->fn(((float *)x.data)[i], uc->alpha, uc->beta);
                CHECK(test_allclose(y.data, expect, (size_t)n[0], 2e-6f, 1e-7f, what));
                free(expect);
                tt_free(&y);
            }
            tt_free(&x);
        }
    }
    /* default attributes: LeakyRelu 0.01, HardSigmoid 0.2/0.5, Clip unbounded */
    float xv[4] = {-10, -1, 1, 10};
    int64_t d[1] = {4};
    pml_tensor x = tt_make(PML_FLOAT32, 1, d, xv), y;
    pml_tensor *in[1] = {&x};
    CHECK_OK(tt_ref(PML_OP_LEAKYRELU, NULL, 0, in, 1, &y));
    CHECK(y.data && fabsf(((float *)y.data)[0] + 0.1f) < 1e-7f);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_HARDSIGMOID, NULL, 0, in, 1, &y));
    CHECK(y.data && ((float *)y.data)[0] == 0 && fabsf(((float *)y.data)[1] - 0.3f) < 1e-7f);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_CLIP, NULL, 0, in, 1, &y));
    CHECK(y.data && memcmp(y.data, xv, sizeof xv) == 0);
    tt_free(&y);
    /* special values through the AVX2 math: inf, -inf, NaN */
    float sv[9] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 89.0f, -104.0f, 1e-30f, -1e-30f};
    int64_t d9[1] = {9};
    pml_tensor xs = tt_make(PML_FLOAT32, 1, d9, sv);
    pml_tensor *ins[1] = {&xs};
    static const int special_ops[] = {PML_OP_EXP, PML_OP_SIGMOID, PML_OP_TANH, PML_OP_RELU, PML_OP_CLIP};
    for (size_t k = 0; k < sizeof special_ops / sizeof special_ops[0]; k++) {
        pml_tensor r, b;
        CHECK_OK(pml_test_op(special_ops[k], NULL, 0, ins, 1, &r, 1, 1, 1));
        CHECK_OK(pml_test_op(special_ops[k], NULL, 0, ins, 1, &b, 1, 0, 1));
        int ok = 1;
        for (int i = 0; i < 9; i++) {
            float u = ((float *)r.data)[i], v = ((float *)b.data)[i];
            ok &= (isnan(u) && isnan(v)) || u == v || fabsf(u - v) <= 1e-6f * fabsf(u) + 1e-37f;
            if (!ok) {
                fprintf(stderr, "special op %d x=%g: ref %g best %g\n", special_ops[k], sv[i], u, v);
                break;
            }
        }
        CHECK(ok);
        tt_free(&r);
        tt_free(&b);
    }
    tt_free(&xs);
    tt_free(&x);

    /* integer Abs/Neg wrap at the minimum instead of trapping */
    int32_t iv[3] = {-5, INT32_MIN, 7};
    int64_t d3[1] = {3};
    pml_tensor xi = tt_make(PML_INT32, 1, d3, iv);
    pml_tensor *ii[1] = {&xi};
    CHECK_OK(tt_ref(PML_OP_ABS, NULL, 0, ii, 1, &y));
    CHECK(y.data && ((int32_t *)y.data)[0] == 5 && ((int32_t *)y.data)[1] == INT32_MIN && ((int32_t *)y.data)[2] == 7);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_NEG, NULL, 0, ii, 1, &y));
    CHECK(y.data && ((int32_t *)y.data)[0] == 5 && ((int32_t *)y.data)[2] == -7);
    tt_free(&y);
    tt_expect_error("int sigmoid", PML_ERR_DTYPE, PML_OP_SIGMOID, NULL, 0, ii, 1, 1);
    tt_free(&xi);
    int64_t lv[2] = {INT64_MIN + 1, -3};
    int64_t d2[1] = {2};
    pml_tensor xl = tt_make(PML_INT64, 1, d2, lv);
    ii[0] = &xl;
    CHECK_OK(tt_ref(PML_OP_ABS, NULL, 0, ii, 1, &y));
    CHECK(y.data && ((int64_t *)y.data)[0] == INT64_MAX && ((int64_t *)y.data)[1] == 3);
    tt_free(&y);
    tt_free(&xl);
}

/* ---- Identity / Cast ------------------------------------------------------------------------------ */

static void test_identity(void) {
    uint8_t b[5] = {1, 0, 1, 1, 0};
    int64_t d[2] = {5, 1};
    pml_tensor x = tt_make(PML_BOOL, 2, d, b), y;
    pml_tensor *in[1] = {&x};
    CHECK_OK(tt_ref(PML_OP_IDENTITY, NULL, 0, in, 1, &y));
    CHECK(y.dtype == PML_BOOL && tt_shape_is(&y, 2, d) && memcmp(y.data, b, 5) == 0);
    tt_free(&y);
    tt_free(&x);
}

static void test_cast(void) {
    /* float -> every dtype, hand-computed */
    float fv[10] = {1.7f, -1.7f, 0.0f, -0.0f, 300.0f, -129.5f, 65520.0f, 1e10f, NAN, 2.5f};
    int64_t d[1] = {10};
    pml_tensor x = tt_make(PML_FLOAT32, 1, d, fv), y;
    pml_tensor *in[1] = {&x};
    pml_attr to;
    to = attr_int("to", PML_INT32);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    int32_t want32[10] = {1, -1, 0, 0, 300, -129, 65520, INT32_MIN, INT32_MIN, 2};
    CHECK(y.data && memcmp(y.data, want32, sizeof want32) == 0);
    tt_free(&y);
    to = attr_int("to", PML_INT64);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    CHECK(y.data && ((int64_t *)y.data)[7] == 10000000000LL && ((int64_t *)y.data)[8] == INT64_MIN);
    tt_free(&y);
    to = attr_int("to", PML_INT8);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    int8_t want8[10] = {1, -1, 0, 0, 44, 127, -16, 0, 0, 2}; /* low 8 bits of the int32 conversion */
    CHECK(y.data && memcmp(y.data, want8, sizeof want8) == 0);
    tt_free(&y);
    to = attr_int("to", PML_UINT8);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    CHECK(y.data && ((uint8_t *)y.data)[1] == 255 && ((uint8_t *)y.data)[4] == 44);
    tt_free(&y);
    to = attr_int("to", PML_BOOL);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    uint8_t wantb[10] = {1, 1, 0, 0, 1, 1, 1, 1, 1, 1}; /* NaN != 0 */
    CHECK(y.data && memcmp(y.data, wantb, sizeof wantb) == 0);
    tt_free(&y);
    to = attr_int("to", PML_FLOAT16);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    uint16_t *h = y.data;
    /* 1.7 -> 0x3ECD, 65520 rounds to inf, 2.5 exact, 1e10 -> inf, NaN stays NaN */
    CHECK(h && h[0] == 0x3ECD && h[1] == 0xBECD && h[2] == 0 && h[3] == 0x8000 && h[6] == 0x7C00 && h[7] == 0x7C00 &&
          (h[8] & 0x7C00) == 0x7C00 && (h[8] & 0x3FF) && h[9] == 0x4100);
    tt_free(&y);
    tt_free(&x);

    /* ints and bools -> others */
    int64_t lv[6] = {-1, 256, 300, 1LL << 40, 0, 16777217};
    int64_t d6[1] = {6};
    x = tt_make(PML_INT64, 1, d6, lv);
    to = attr_int("to", PML_UINT8);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    uint8_t wu8[6] = {255, 0, 44, 0, 0, 1};
    CHECK(y.data && memcmp(y.data, wu8, 6) == 0);
    tt_free(&y);
    to = attr_int("to", PML_FLOAT32);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    CHECK(y.data && ((float *)y.data)[0] == -1.0f && ((float *)y.data)[5] == 16777216.0f);
    tt_free(&y);
    to = attr_int("to", PML_INT32);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    CHECK(y.data && ((int32_t *)y.data)[3] == 0 && ((int32_t *)y.data)[1] == 256);
    tt_free(&y);
    tt_free(&x);
    uint8_t bv[3] = {0, 1, 7};
    int64_t d3[1] = {3};
    x = tt_make(PML_BOOL, 1, d3, bv);
    to = attr_int("to", PML_FLOAT32);
    CHECK_OK(tt_ref(PML_OP_CAST, &to, 1, in, 1, &y));
    CHECK(y.data && ((float *)y.data)[0] == 0 && ((float *)y.data)[1] == 1 && ((float *)y.data)[2] == 1);
    tt_free(&y);
    tt_free(&x);

    /* every half value -> float: reference vs F16C, and round trip back to the same bits */
    int64_t dh[1] = {65536};
    x = tt_make(PML_FLOAT16, 1, dh, NULL);
    for (int i = 0; i < 65536; i++) ((uint16_t *)x.data)[i] = (uint16_t)i;
    to = attr_int("to", PML_FLOAT32);
    pml_tensor f;
    tt_check_isa("f16->f32 all", PML_OP_CAST, &to, 1, in, 1, -1, 0, &f);
    int ok = 1;
    for (int i = 0; i < 65536 && f.data; i++) {
        float v = ((float *)f.data)[i];
        int e = (i >> 10) & 31, m = i & 1023;
        double want = e == 0 ? ldexp(m, -24) : (e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25));
        if (i & 0x8000) want = -want;
        ok &= isnan(want) ? isnan(v) : (double)v == want;
    }
    CHECK(ok);
    pml_tensor *fin[1] = {&f};
    to = attr_int("to", PML_FLOAT16);
    pml_tensor back;
    tt_check_isa("f32->f16 round trip", PML_OP_CAST, &to, 1, fin, 1, -1, 0, &back);
    ok = back.data != NULL;
    for (int i = 0; i < 65536 && ok; i++) {
        uint16_t v = ((uint16_t *)back.data)[i];
        int nan_in = ((i >> 10) & 31) == 31 && (i & 1023);
        ok &= nan_in ? ((v & 0x7C00) == 0x7C00 && (v & 0x3FF)) : v == i;
    }
    CHECK(ok);
    tt_free(&back);
    tt_free(&f);
    tt_free(&x);

    /* random float bit patterns (all exponents, incl. subnormal/rounding ties) -> f16: reference == F16C */
    int64_t dr[1] = {200003};
    x = tt_make(PML_FLOAT32, 1, dr, NULL);
    uint32_t *bits = x.data;
    for (int i = 0; i < 200003; i++) {
        g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
        uint32_t r = (uint32_t)(g_rng >> 20);
        /* bias toward the half range and exact ties (low 13 bits 0x1000) */
        if (i % 3 == 0) r = (r & 0x807FFFFFu) | ((uint32_t)(100 + (i / 3) % 50) << 23);
        if (i % 7 == 0) r = (r & ~0x1FFFu) | 0x1000u;
        bits[i] = r;
    }
    to = attr_int("to", PML_FLOAT16);
    tt_check_isa("f32->f16 random bits", PML_OP_CAST, &to, 1, in, 1, -1, 0, NULL);
    tt_free(&x);

    tt_expect_error("cast to=0", PML_ERR_UNSUPPORTED, PML_OP_CAST, &(pml_attr){.name = "to", .type = PML_ATTR_INT}, 1,
                    in, 1, 1);
    tt_expect_error("cast without to", PML_ERR_INVALID_MODEL, PML_OP_CAST, NULL, 0, in, 1, 1);
}

int main(void) {
    test_binary_float();
    test_binary_special();
    test_binary_int();
    test_prelu();
    test_binary_errors();
    test_unary();
    test_identity();
    test_cast();
    return test_finish("test_elementwise");
}
