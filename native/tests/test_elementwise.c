/*
 * test_elementwise.c — binary arithmetic: broadcast patterns, int semantics,
 * fused activations, PRelu and Mod (both fmod modes, integer edge cases): the
 * reference kernels against independent naive loops / libm in double /
 * hand-computed values, the AVX2 kernels and 2 threads against the reference
 * at awkward sizes, and the error paths.
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

int main(void) {
    test_binary_float();
    test_binary_special();
    test_binary_int();
    test_prelu();
    test_binary_errors();
    test_mod();
    return test_finish("test_elementwise");
}
