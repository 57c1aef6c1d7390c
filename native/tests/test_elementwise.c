/*
 * test_elementwise.c — binary arithmetic: broadcast patterns, int semantics,
 * fused activations, PRelu and Mod (both fmod modes, integer edge cases): the
 * reference kernels against independent naive loops / libm in double /
 * hand-computed values, the AVX2 kernels and 2 threads against the reference
 * at awkward sizes, and the error paths. The dtype matrix: every op on every
 * dtype the registry allows (Pow: every base x exponent pair) against one
 * naive loop written for all dtypes (wrapping integers, float16 computed in
 * float32 and rounded once), at sizes 1, 7, 8, 9, 13, 127 and broadcasts.
 */
#include <float.h>

#include "ew_testutil.h"
#include "typed_values.h"

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
    pml_tensor u8 = tt_make(PML_UINT8, 1, d3, NULL), bl = tt_make(PML_BOOL, 1, d3, NULL);
    pml_tensor *uu[2] = {&u8, &u8}, *bb[2] = {&bl, &bl}, *ub[2] = {&b, &bl};
    tt_expect_error("uint8 pow base", PML_ERR_DTYPE, PML_OP_POW, NULL, 0, uu, 2, 1);
    tt_expect_error("bool pow exponent", PML_ERR_DTYPE, PML_OP_POW, NULL, 0, ub, 2, 1);
    tt_expect_error("bool add", PML_ERR_DTYPE, PML_OP_ADD, NULL, 0, bb, 2, 1);
    tt_expect_error("uint8 prelu", PML_ERR_DTYPE, PML_OP_PRELU, NULL, 0, uu, 2, 1);
    pml_attr act = attr_int("act", 1);
    tt_expect_error("int fused act", PML_ERR_UNSUPPORTED, PML_OP_ADD, &act, 1, ii, 2, 1);
    pml_attr bad_act = attr_int("act", 42);
    pml_tensor *ff[2] = {&a, &a};
    tt_expect_error("unknown act", PML_ERR_UNSUPPORTED, PML_OP_ADD, &bad_act, 1, ff, 2, 1);
    pml_tensor *missing[2] = {&a, NULL};
    tt_expect_error("missing input", PML_ERR_INVALID_MODEL, PML_OP_ADD, NULL, 0, missing, 2, 1);
    tt_free(&u8);
    tt_free(&bl);
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

/* ---- the dtype matrix ------------------------------------------------------------------------------ */

/* Is y[i] = a[ia] op b[ib] (the naive definition for every dtype)? fmod: Mod's attribute. */
static int naive_typed_ok(int op, int fmod, pml_dtype dt, const void *a, int64_t ia, const void *b, int64_t ib,
                          const void *y, int64_t i) {
    if (tv_is_float(dt)) { /* float32 arithmetic, rounded once to the dtype */
        float A = tv_get_f(dt, a, ia), B = tv_get_f(dt, b, ib), r;
        switch (op) {
        case PML_OP_ADD: r = A + B; break;
        case PML_OP_SUB: r = A - B; break;
        case PML_OP_MUL: r = A * B; break;
        case PML_OP_DIV: r = A / B; break;
        case PML_OP_MAX: r = isnan(A) || isnan(B) ? NAN : A > B ? A : B; break;
        case PML_OP_MIN: r = isnan(A) || isnan(B) ? NAN : A < B ? A : B; break;
        case PML_OP_PRELU: r = A < 0 ? A * B : A; break;
        default: /* Mod: numpy's floor remainder (fmod=0) or C's fmod */
            r = fmodf(A, B);
            if (!fmod && r != 0 && ((r < 0) != (B < 0))) r += B;
            else if (!fmod && r == 0) r = copysignf(0.0f, B);
        }
        return tv_same_float(dt, y, i, r);
    }
    uint64_t r, mask = pml_dtype_size(dt) == 8 ? ~0ull : (1ull << (8 * pml_dtype_size(dt))) - 1;
    if (tv_is_signed(dt)) {
        int64_t A = tv_get_i(dt, a, ia), B = tv_get_i(dt, b, ib), m;
        switch (op) {
        case PML_OP_ADD: r = (uint64_t)A + (uint64_t)B; break;
        case PML_OP_SUB: r = (uint64_t)A - (uint64_t)B; break;
        case PML_OP_MUL: r = (uint64_t)A * (uint64_t)B; break;
        case PML_OP_DIV: r = B == -1 ? 0 - (uint64_t)A : (uint64_t)(A / B); break; /* MIN / -1 wraps */
        case PML_OP_MAX: r = (uint64_t)(A > B ? A : B); break;
        case PML_OP_MIN: r = (uint64_t)(A < B ? A : B); break;
        case PML_OP_PRELU: r = A < 0 ? (uint64_t)A * (uint64_t)B : (uint64_t)A; break;
        default:
            m = B == -1 ? 0 : A % B;
            if (!fmod && m != 0 && ((m < 0) != (B < 0))) m += B;
            r = (uint64_t)m;
        }
    } else {
        uint64_t A = tv_get_u(dt, a, ia), B = tv_get_u(dt, b, ib);
        switch (op) {
        case PML_OP_ADD: r = A + B; break;
        case PML_OP_SUB: r = A - B; break;
        case PML_OP_MUL: r = A * B; break;
        case PML_OP_DIV: r = A / B; break;
        case PML_OP_MAX: r = A > B ? A : B; break;
        case PML_OP_MIN: r = A < B ? A : B; break;
        case PML_OP_PRELU: r = A; break;
        default: r = A % B;
        }
    }
    return (tv_get_u(dt, y, i) & mask) == (r & mask);
}

static int g_typed_ops[] = {PML_OP_ADD, PML_OP_SUB, PML_OP_MUL, PML_OP_DIV, PML_OP_MAX, PML_OP_MIN, PML_OP_MOD,
                            PML_OP_MOD, PML_OP_PRELU};

static void check_typed(int op, int fmod, pml_dtype dt, int ra, const int64_t *da, int rb, const int64_t *db) {
    int divides = op == PML_OP_DIV || op == PML_OP_MOD;
    pml_tensor a = tv_rand(dt, ra, da, 0, 1), b = tv_rand(dt, rb, db, divides && !tv_is_float(dt), 1), y;
    pml_tensor *in[2] = {&a, &b};
    pml_attr at = attr_int("fmod", fmod);
    char what[96];
    snprintf(what, sizeof what, "%s op %d fmod %d ranks %d/%d", pml_dtype_name(dt), op, fmod, ra, rb);
    tt_check_isa(what, op, &at, op == PML_OP_MOD, in, 2, -1, 0, &y);
    if (y.data) {
        CHECK(y.dtype == dt);
        int64_t n = pml_shape_numel(y.rank, y.dims), bad = -1;
        for (int64_t i = 0; i < n && bad < 0; i++)
            if (!naive_typed_ok(op, fmod, dt, a.data, tt_bcast_offset(i, y.rank, y.dims, ra, da), b.data,
                                tt_bcast_offset(i, y.rank, y.dims, rb, db), y.data, i))
                bad = i;
        if (bad >= 0) fprintf(stderr, "%s: element %lld differs from the naive loop\n", what, (long long)bad);
        CHECK(bad < 0);
        tt_free(&y);
    }
    tt_free(&a);
    tt_free(&b);
}

static const int64_t g_typed_sizes[] = {1, 7, 8, 9, 13, 127};

static void test_binary_typed(void) {
    for (int d = 0; d < N_NUMERIC; d++) {
        pml_dtype dt = g_numeric[d];
        for (size_t o = 0; o < sizeof g_typed_ops / sizeof g_typed_ops[0]; o++) {
            int op = g_typed_ops[o], fmod = o == 7;
            /* PRelu: ONNX's float32/float16/int32/int64/uint32/uint64 (the schema rejects the rest) */
            if (op == PML_OP_PRELU && pml_dtype_size(dt) < 4 && dt != PML_FLOAT16) continue;
            /* float32 Add..Min run the fast table (test_binary_float); float32 Mod/PRelu are typed here too */
            for (size_t s = 0; s < sizeof g_typed_sizes / sizeof g_typed_sizes[0]; s++) {
                int64_t n[1] = {g_typed_sizes[s]}, one[1] = {1}, rows[2] = {3, g_typed_sizes[s]};
                check_typed(op, fmod, dt, 1, n, 1, n);
                check_typed(op, fmod, dt, 1, n, 1, one);
                if (op != PML_OP_PRELU) check_typed(op, fmod, dt, 0, NULL, 1, n);
                check_typed(op, fmod, dt, 2, rows, 1, n);
            }
            int64_t big[3] = {3, 200, 131}, bigc[3] = {3, 1, 131};
            check_typed(op, fmod, dt, 3, big, 3, bigc); /* threaded */
        }
        if (!tv_is_float(dt)) { /* integer Div/Mod by zero: a run-time error, never a trap */
            int64_t d4[1] = {4};
            pml_tensor a = tv_rand(dt, 1, d4, 0, 0), b = tv_rand(dt, 1, d4, 1, 0);
            tv_put_bits(dt, b.data, 2, 0);
            pml_tensor *in[2] = {&a, &b};
            tt_expect_error("integer div by zero", PML_ERR_RUNTIME, PML_OP_DIV, NULL, 0, in, 2, 1);
            tt_expect_error("integer mod by zero", PML_ERR_RUNTIME, PML_OP_MOD, NULL, 0, in, 2, 1);
            tt_free(&a);
            tt_free(&b);
        }
    }
}

/* Pow: base float32/float16/int32/int64 (ONNX's T) x exponent of every numeric dtype (T1),
 * computed in double (float16 base: float) like onnxruntime's std::pow; integer results
 * out of range (or NaN) give the dtype's minimum */
static void test_pow_typed(void) {
    static const pml_dtype bases[] = {PML_FLOAT32, PML_FLOAT16, PML_INT32, PML_INT64};
    for (int bi = 0; bi < 4; bi++) {
        for (int e = 0; e < N_NUMERIC; e++) {
            pml_dtype dt = bases[bi], de = g_numeric[e];
            for (size_t s = 0; s < sizeof g_typed_sizes / sizeof g_typed_sizes[0]; s++) {
                int64_t n[1] = {g_typed_sizes[s]}, rows[2] = {2, g_typed_sizes[s]};
                pml_tensor a = test_tensor(dt, 2, rows, 0), b = test_tensor(de, 1, n, 0), y;
                for (int64_t i = 0; i < 2 * n[0]; i++) {
                    int v = (int)test_randf(-6, 6);
                    if (i == 0 && !tv_is_float(dt)) v = 46341; /* 46341^2 > INT32_MAX */
                    if (tv_is_float(dt)) tv_put_f(dt, a.data, i, (float)v * 0.75f);
                    else tv_put_bits(dt, a.data, i, (uint64_t)(int64_t)v);
                }
                for (int64_t i = 0; i < n[0]; i++) {
                    int v = (int)test_randf(tv_is_signed(de) || tv_is_float(de) ? -3 : 0, 7);
                    if (tv_is_float(de)) tv_put_f(de, b.data, i, (float)v * (i % 3 ? 1.0f : 0.5f));
                    else tv_put_bits(de, b.data, i, (uint64_t)(int64_t)v);
                }
                if (n[0] > 3 && !tv_is_float(dt)) tv_put_bits(de, b.data, 0, 40); /* overflows: MIN */
                pml_tensor *in[2] = {&a, &b};
                char what[64];
                snprintf(what, sizeof what, "pow %s ^ %s n %lld", pml_dtype_name(dt), pml_dtype_name(de),
                         (long long)n[0]);
                tt_check_isa(what, PML_OP_POW, NULL, 0, in, 2, -1, 0, &y);
                int ok = y.data != NULL && y.dtype == dt;
                for (int64_t i = 0; ok && i < 2 * n[0]; i++) {
                    double x = tv_get_d(dt, a.data, i), ex = tv_get_d(de, b.data, i % n[0]);
                    if (dt == PML_FLOAT32) ok = tv_same_float(dt, y.data, i, (float)pow(x, ex));
                    else if (dt == PML_FLOAT16) ok = tv_same_float(dt, y.data, i, powf((float)x, (float)ex));
                    else {
                        double r = pow(x, ex), lim = dt == PML_INT32 ? 2147483648.0 : 9223372036854775808.0;
                        int64_t want = r >= -lim && r < lim ? (int64_t)r : (dt == PML_INT32 ? INT32_MIN : INT64_MIN);
                        ok = tv_get_i(dt, y.data, i) == want;
                    }
                    if (!ok) fprintf(stderr, "%s: element %lld: %g ^ %g\n", what, (long long)i, x, ex);
                }
                CHECK(ok);
                tt_free(&y);
                tt_free(&a);
                tt_free(&b);
            }
        }
    }
}

/* The float32 typed table (float32 Mod and mixed Pow run it) agrees with the fast tables of
 * every configuration on the ops they share (Pow: double vs float pow, within 1e-6). */
static void test_f32_typed_vs_fast(void) {
    static const int ops[] = {PML_BIN_ADD, PML_BIN_SUB, PML_BIN_MUL, PML_BIN_DIV, PML_BIN_POW,
                              PML_BIN_MAX, PML_BIN_MIN, PML_BIN_PRELU};
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *best = NULL, *configs[2] = {pml_kernel_config_scalar(), NULL};
    CHECK_OK(pml_kernel_config_select(&cpu, NULL, &best));
    configs[1] = best;
    const int64_t n = 131;
    pml_tensor a = tv_rand(PML_FLOAT32, 1, &n, 0, 1), b = tv_rand(PML_FLOAT32, 1, &n, 0, 1);
    float *x = a.data, *z = b.data, fast[131], typed[131];
    for (int c = 0; c < 2; c++) {
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            int op = ops[o];
            if (op == PML_BIN_POW)
                for (int64_t i = 0; i < n; i++) x[i] = fabsf(x[i]) + 0.5f;
            configs[c]->f32.ew->vv[op]((size_t)n, x, z, fast);
            configs[c]->typed.binary[PML_FLOAT32]->op[op]((size_t)n, x, 1, z, 1, typed);
            int ok = 1;
            for (int64_t i = 0; i < n && ok; i++)
                ok = isnan(fast[i]) ? isnan(typed[i])
                                    : fast[i] == typed[i] || (op == PML_BIN_POW && fabsf(fast[i] - typed[i]) <=
                                                                                       1e-6f * fabsf(typed[i]));
            if (!ok) fprintf(stderr, "%s: float32 op %d: fast and typed tables differ\n", configs[c]->name, op);
            CHECK(ok);
        }
    }
    tt_free(&a);
    tt_free(&b);
}

int main(void) {
    test_f32_typed_vs_fast();
    test_binary_typed();
    test_pow_typed();
    test_binary_float();
    test_binary_special();
    test_binary_int();
    test_prelu();
    test_binary_errors();
    test_mod();
    return test_finish("test_elementwise");
}
