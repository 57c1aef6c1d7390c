/*
 * test_unary.c — unary ops: activations and math against libm in double
 * (with their attributes), Identity, Cast (every dtype pair, float16 both
 * ways bit-exact), the rounding, sign, trigonometric and erf ops, both Gelus
 * (standalone and as a fused activation of Add and MatMul) and the
 * IsNaN/IsInf/Not predicates. The reference kernels are checked against
 * naive loops / hand-computed values; the AVX2 kernels and two threads
 * against the reference at awkward sizes; then the error paths.
 */
#include <float.h>

#include "ew_testutil.h"

static const int64_t g_sizes[] = {1, 7, 8, 9, 13, 127, 1000, 70001};
#define N_SIZES (int)(sizeof g_sizes / sizeof g_sizes[0])
/* the math ops also run the sizes around an AVX2 register multiple */
static const int64_t g_math_sizes[] = {1, 7, 8, 9, 13, 31, 32, 33, 127, 1000, 70001};
#define N_MATH_SIZES (int)(sizeof g_math_sizes / sizeof g_math_sizes[0])

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
static double u_shrink(double x, double a, double b) { return x < -b ? x + a : (x > b ? x - a : 0); }
static double u_softsign(double x, double a, double b) { return x / (1 + fabs(x)); }
static double u_thresholded(double x, double a, double b) { return x > a ? x : 0; }
static double u_mish(double x, double a, double b) { return x * tanh(log1p(exp(x))); }
static double u_celu(double x, double a, double b) { return x > 0 ? x : a * expm1(x / a); }
static double u_tan(double x, double a, double b) { return tan(x); }
static double u_asin(double x, double a, double b) { return asin(x); }
static double u_acos(double x, double a, double b) { return acos(x); }
static double u_atan(double x, double a, double b) { return atan(x); }
static double u_sinh(double x, double a, double b) { return sinh(x); }
static double u_cosh(double x, double a, double b) { return cosh(x); }
static double u_asinh(double x, double a, double b) { return asinh(x); }
static double u_acosh(double x, double a, double b) { return acosh(x); }
static double u_atanh(double x, double a, double b) { return atanh(x); }
static double u_swish(double x, double a, double b) { return x / (1 + exp(-a * x)); }

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
        {PML_OP_SHRINK, -5, 5, u_shrink, 0.3f, 1.1f, "bias", "lambd"},
        {PML_OP_SOFTSIGN, -50, 50, u_softsign, 0, 0, NULL, NULL},
        {PML_OP_THRESHOLDEDRELU, -5, 5, u_thresholded, 0.5f, 0, "alpha", NULL},
        {PML_OP_MISH, -20, 20, u_mish, 0, 0, NULL, NULL},
        {PML_OP_CELU, -5, 5, u_celu, 0.6f, 0, "alpha", NULL},
        {PML_OP_TAN, -1.5f, 1.5f, u_tan, 0, 0, NULL, NULL},
        {PML_OP_ASIN, -1, 1, u_asin, 0, 0, NULL, NULL},
        {PML_OP_ACOS, -1, 1, u_acos, 0, 0, NULL, NULL},
        {PML_OP_ATAN, -50, 50, u_atan, 0, 0, NULL, NULL},
        {PML_OP_SINH, -20, 20, u_sinh, 0, 0, NULL, NULL},
        {PML_OP_COSH, -20, 20, u_cosh, 0, 0, NULL, NULL},
        {PML_OP_ASINH, -100, 100, u_asinh, 0, 0, NULL, NULL},
        {PML_OP_ACOSH, 1, 100, u_acosh, 0, 0, NULL, NULL},
        {PML_OP_ATANH, -0.999f, 0.999f, u_atanh, 0, 0, NULL, NULL},
        {PML_OP_SWISH, -30, 30, u_swish, 1.0f, 0, "alpha", NULL},
        {PML_OP_SWISH, -30, 30, u_swish, -0.7f, 0, "alpha", NULL},
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
        for (int s = 0; s < N_MATH_SIZES; s++) {
            int64_t n[1] = {g_math_sizes[s]};
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

int main(void) {
    test_unary();
    test_identity();
    test_cast();
    test_unary_math();
    test_predicates();
    test_fused_gelu();
    return test_finish("test_unary");
}
