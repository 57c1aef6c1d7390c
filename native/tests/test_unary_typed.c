/*
 * test_unary_typed.c — the unary family on every dtype but float32's fast
 * path (kernels/unary/unary_typed__scalar.c through the ops): integer
 * Abs/Neg/Sign/Relu/Clip/Shrink against naive loops in 64-bit arithmetic, every
 * float op on float16 against the float32 op rounded to half once, the
 * float16 predicates, and Cast between all 11 dtypes against a naive
 * converter, at sizes 1, 7, 8, 9, 13 and 127 (reference, best ISA and two
 * threads agree bit for bit); then the dtypes the schema rejects.
 */
#include "ew_testutil.h"

static const int64_t g_sizes[] = {1, 7, 8, 9, 13, 127};
#define N_SIZES (int)(sizeof g_sizes / sizeof g_sizes[0])

static const pml_dtype g_all[] = {PML_FLOAT32, PML_FLOAT16, PML_INT8,  PML_UINT8,  PML_INT16, PML_UINT16,
                                  PML_INT32,   PML_UINT32,  PML_INT64, PML_UINT64, PML_BOOL};
#define N_ALL (int)(sizeof g_all / sizeof g_all[0])

static uint64_t next_rand(void) {
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return g_rng;
}

static int is_signed(pml_dtype t) { return t == PML_INT8 || t == PML_INT16 || t == PML_INT32 || t == PML_INT64; }
static int is_int(pml_dtype t) {
    return is_signed(t) || t == PML_UINT8 || t == PML_UINT16 || t == PML_UINT32 || t == PML_UINT64;
}

/* element i of an integer tensor, sign- or zero-extended */
static int64_t get_int(const pml_tensor *t, int64_t i) {
    switch (t->dtype) {
    case PML_INT8: return ((const int8_t *)t->data)[i];
    case PML_UINT8: return ((const uint8_t *)t->data)[i];
    case PML_INT16: return ((const int16_t *)t->data)[i];
    case PML_UINT16: return ((const uint16_t *)t->data)[i];
    case PML_INT32: return ((const int32_t *)t->data)[i];
    case PML_UINT32: return ((const uint32_t *)t->data)[i];
    case PML_BOOL: return ((const uint8_t *)t->data)[i] != 0;
    default: return ((const int64_t *)t->data)[i]; /* int64, uint64 (bits) */
    }
}

/* low bits of v stored as element i */
static void put_int(pml_tensor *t, int64_t i, uint64_t v) {
    size_t es = pml_dtype_size(t->dtype);
    for (size_t b = 0; b < es; b++) ((uint8_t *)t->data)[(size_t)i * es + b] = (uint8_t)(v >> (8 * b)); /* LE */
}

static double get_num(const pml_tensor *t, int64_t i) {
    if (t->dtype == PML_FLOAT32) return ((const float *)t->data)[i];
    if (t->dtype == PML_FLOAT16) return pml_f16_to_f32_scalar(((const uint16_t *)t->data)[i]);
    if (t->dtype == PML_UINT64) return (double)(uint64_t)get_int(t, i);
    return (double)get_int(t, i);
}

/* random bits, plus the dtype's minimum, maximum and zero up front */
static pml_tensor rand_int(pml_dtype dtype, int64_t n) {
    pml_tensor t = tt_make(dtype, 1, &n, NULL);
    for (int64_t i = 0; i < n; i++) put_int(&t, i, next_rand());
    size_t bits = 8 * pml_dtype_size(dtype);
    uint64_t top = bits == 64 ? ~0ull : (1ull << bits) - 1;
    if (n > 3) {
        put_int(&t, 0, is_signed(dtype) ? 1ull << (bits - 1) : 0);        /* minimum */
        put_int(&t, 1, is_signed(dtype) ? top >> 1 : top);                 /* maximum */
        put_int(&t, 2, 0);
    }
    return t;
}

/* ---- integers ---------------------------------------------------------------------------------------------- */

static int64_t clamp_bound(pml_dtype t, double b, int is_lo) {
    size_t bits = 8 * pml_dtype_size(t);
    double lo = is_signed(t) ? -ldexp(1, (int)bits - 1) : 0, hi = is_signed(t) ? ldexp(1, (int)bits - 1) : ldexp(1, (int)bits);
    if (b != b) return is_lo ? (int64_t)lo : (int64_t)(hi - 1);
    double r = is_lo ? ceil(b) : floor(b);
    if (r <= lo) return (int64_t)lo;
    if (r >= hi) return t == PML_UINT64 ? -1 : (int64_t)(hi - 1); /* uint64 max as bits */
    return t == PML_UINT64 && r >= ldexp(1, 63) ? (int64_t)(uint64_t)r : (int64_t)r;
}

static void test_integer_ops(void) {
    static const int ops[] = {PML_OP_ABS, PML_OP_NEG, PML_OP_SIGN, PML_OP_RELU, PML_OP_CLIP, PML_OP_SHRINK};
    for (int d = 0; d < N_ALL; d++) {
        pml_dtype dt = g_all[d];
        if (!is_int(dt)) continue;
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            int op = ops[o];
            if ((op == PML_OP_NEG || op == PML_OP_RELU) && !is_signed(dt)) continue;
            pml_attr at[2] = {attr_float("min", is_signed(dt) ? -37.5f : 20.0f), attr_float("max", 99.0f)};
            if (op == PML_OP_SHRINK) at[0] = attr_float("bias", 2.0f), at[1] = attr_float("lambd", 3.0f);
            for (int s = 0; s < N_SIZES; s++) {
                int64_t n = g_sizes[s];
                pml_tensor x = rand_int(dt, n), y;
                pml_tensor *in[1] = {&x};
                char what[80];
                snprintf(what, sizeof what, "%s op %d n=%lld", pml_dtype_name(dt), op, (long long)n);
                tt_check_isa(what, op, at, op == PML_OP_CLIP || op == PML_OP_SHRINK ? 2 : 0, in, 1, -1, 0, &y);
                int ok = y.data != NULL && y.dtype == dt;
                int64_t lo = clamp_bound(dt, -37.5, 1), hi = clamp_bound(dt, 99.0, 0);
                if (!is_signed(dt)) lo = clamp_bound(dt, 20.0, 1);
                for (int64_t i = 0; ok && i < n; i++) {
                    int64_t v = get_int(&x, i), want;
                    uint64_t u = (uint64_t)v;
                    int neg = is_signed(dt) && v < 0;
                    switch (op) {
                    case PML_OP_ABS: want = neg ? (int64_t)(0 - u) : v; break;
                    case PML_OP_NEG: want = (int64_t)(0 - u); break;
                    case PML_OP_SIGN: want = neg ? -1 : v != 0; break;
                    case PML_OP_RELU: want = neg ? 0 : v; break;
                    case PML_OP_SHRINK: { /* in float32, as onnxruntime; small values only (exact) */
                        if (is_signed(dt) ? (v < -1000 || v > 1000) : u > 1000) continue;
                        want = v < -3 ? v + 2 : v > 3 ? v - 2 : 0;
                        break;
                    }
                    default:
                        if (is_signed(dt)) want = v < lo ? lo : v > hi ? hi : v;
                        else want = u < (uint64_t)lo ? lo : u > (uint64_t)hi ? hi : v;
                        break;
                    }
                    pml_tensor w = tt_make(dt, 1, &n, NULL);
                    put_int(&w, 0, (uint64_t)want);
                    ok = get_int(&w, 0) == get_int(&y, i);
                    tt_free(&w);
                    if (!ok) fprintf(stderr, "%s: element %lld of %lld\n", what, (long long)i, (long long)v);
                }
                CHECK(ok);
                tt_free(&y);
                tt_free(&x);
            }
        }
    }
}

/* ---- float16: the float32 op on the widened input, rounded once ------------------------------------------------ */

typedef struct f16_case {
    int op;
    float lo, hi;
    const char *an;
    float a;
} f16_case;

static void test_float16_ops(void) {
    static const f16_case cases[] = {
        {PML_OP_RELU, -5, 5, NULL, 0},        {PML_OP_LEAKYRELU, -5, 5, "alpha", 0.1f},
        {PML_OP_CLIP, -5, 5, "min", -1.5f},  {PML_OP_SIGMOID, -9, 9, NULL, 0},
        {PML_OP_TANH, -4, 4, NULL, 0},        {PML_OP_HARDSIGMOID, -6, 6, "alpha", 0.3f},
        {PML_OP_HARDSWISH, -5, 5, NULL, 0},   {PML_OP_ELU, -5, 5, "alpha", 0.7f},
        {PML_OP_SELU, -5, 5, NULL, 0},        {PML_OP_SOFTPLUS, -9, 9, NULL, 0},
        {PML_OP_SQRT, 0, 100, NULL, 0},       {PML_OP_EXP, -9, 9, NULL, 0},
        {PML_OP_LOG, 0.01f, 100, NULL, 0},    {PML_OP_ABS, -5, 5, NULL, 0},
        {PML_OP_NEG, -5, 5, NULL, 0},         {PML_OP_RECIPROCAL, 0.1f, 10, NULL, 0},
        {PML_OP_FLOOR, -5, 5, NULL, 0},       {PML_OP_CEIL, -5, 5, NULL, 0},
        {PML_OP_ROUND, -5, 5, NULL, 0},       {PML_OP_SIGN, -5, 5, NULL, 0},
        {PML_OP_SIN, -6, 6, NULL, 0},         {PML_OP_COS, -6, 6, NULL, 0},
        {PML_OP_ERF, -3, 3, NULL, 0},         {PML_OP_GELU, -5, 5, NULL, 0},
        {PML_OP_TAN, -1.4f, 1.4f, NULL, 0},   {PML_OP_ASIN, -1, 1, NULL, 0},
        {PML_OP_ACOS, -1, 1, NULL, 0},        {PML_OP_ATAN, -20, 20, NULL, 0},
        {PML_OP_SINH, -8, 8, NULL, 0},        {PML_OP_COSH, -8, 8, NULL, 0},
        {PML_OP_ASINH, -50, 50, NULL, 0},     {PML_OP_ACOSH, 1, 50, NULL, 0},
        {PML_OP_ATANH, -0.99f, 0.99f, NULL, 0}, {PML_OP_SWISH, -9, 9, "alpha", 0.7f},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const f16_case *fc = &cases[c];
        pml_attr at[1];
        int na = 0;
        if (fc->an) at[na++] = attr_float(fc->an, fc->a);
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n = g_sizes[s];
            pml_tensor xf = tt_rand(1, &n, fc->lo, fc->hi), xh = tt_make(PML_FLOAT16, 1, &n, NULL), yf, yh;
            for (int64_t i = 0; i < n; i++) { /* the float32 input holds exactly the half values */
                ((uint16_t *)xh.data)[i] = pml_f32_to_f16_scalar(((float *)xf.data)[i]);
                ((float *)xf.data)[i] = pml_f16_to_f32_scalar(((uint16_t *)xh.data)[i]);
            }
            pml_tensor *inf[1] = {&xf}, *inh[1] = {&xh};
            char what[80];
            snprintf(what, sizeof what, "float16 op %d n=%lld", fc->op, (long long)n);
            CHECK_OK(tt_ref(fc->op, at, na, inf, 1, &yf));
            tt_check_isa(what, fc->op, at, na, inh, 1, -1, 0, &yh);
            int ok = yh.data && yf.data && yh.dtype == PML_FLOAT16;
            for (int64_t i = 0; ok && i < n; i++) {
                uint16_t want = pml_f32_to_f16_scalar(((float *)yf.data)[i]), got = ((uint16_t *)yh.data)[i];
                ok = want == got;
                if (!ok) fprintf(stderr, "%s: x=%g want %04x got %04x\n", what, ((float *)xf.data)[i], want, got);
            }
            CHECK(ok);
            tt_free(&yf);
            tt_free(&yh);
            tt_free(&xf);
            tt_free(&xh);
        }
    }
    /* predicates on half specials: inf, -inf, NaN, 0, max */
    uint16_t hv[6] = {0x7C00, 0xFC00, 0x7E01, 0x0000, 0x7BFF, 0xFBFF};
    int64_t d6 = 6;
    pml_tensor x = tt_make(PML_FLOAT16, 1, &d6, hv), y;
    pml_tensor *in[1] = {&x};
    CHECK_OK(tt_ref(PML_OP_ISNAN, NULL, 0, in, 1, &y));
    uint8_t wn[6] = {0, 0, 1, 0, 0, 0};
    CHECK(y.data && memcmp(y.data, wn, 6) == 0);
    tt_free(&y);
    pml_attr at[2] = {attr_int("detect_positive", 0), attr_int("detect_negative", 1)};
    CHECK_OK(tt_ref(PML_OP_ISINF, at, 2, in, 1, &y));
    uint8_t wi[6] = {0, 1, 0, 0, 0, 0};
    CHECK(y.data && memcmp(y.data, wi, 6) == 0);
    tt_free(&y);
    tt_free(&x);
}

/* ---- Cast: every pair, against a naive converter ---------------------------------------------------------------- */

/* a value every dtype holds exactly: integers in [0, 100] (negative ones too when signed), fractions for floats */
static void fill_cast_input(pml_tensor *x, int negative) {
    int64_t n = pml_shape_numel(x->rank, x->dims);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = (int64_t)(next_rand() % 101) - (negative ? 50 : 0);
        double f = (double)v + (negative && v < 0 ? -0.25 : 0.25) * (double)(next_rand() % 4);
        switch (x->dtype) {
        case PML_FLOAT32: ((float *)x->data)[i] = (float)f; break;
        case PML_FLOAT16: ((uint16_t *)x->data)[i] = pml_f32_to_f16_scalar((float)f); break;
        case PML_BOOL: ((uint8_t *)x->data)[i] = (uint8_t)(v % 3 ? v & 0xFF : 0); break; /* any nonzero byte is true */
        default: put_int(x, i, (uint64_t)v); break;
        }
    }
}

static void test_cast_pairs(void) {
    for (int a = 0; a < N_ALL; a++) {
        for (int b = 0; b < N_ALL; b++) {
            pml_dtype from = g_all[a], to = g_all[b];
            int negative = !(from == PML_BOOL || (is_int(from) && !is_signed(from))) &&
                           (to == PML_FLOAT32 || to == PML_FLOAT16 || to == PML_BOOL || is_signed(to));
            pml_attr at = attr_int("to", to);
            for (int s = 0; s < N_SIZES; s++) {
                int64_t n = g_sizes[s];
                pml_tensor x = tt_make(from, 1, &n, NULL), y;
                fill_cast_input(&x, negative);
                pml_tensor *in[1] = {&x};
                char what[80];
                snprintf(what, sizeof what, "cast %s -> %s n=%lld", pml_dtype_name(from), pml_dtype_name(to),
                         (long long)n);
                tt_check_isa(what, PML_OP_CAST, &at, 1, in, 1, -1, 0, &y);
                int ok = y.data != NULL && y.dtype == to;
                for (int64_t i = 0; ok && i < n; i++) {
                    double v = get_num(&x, i);
                    if (from == PML_BOOL) v = v != 0;
                    double got = get_num(&y, i), want;
                    if (to == PML_BOOL) /* a cast writes 0/1; bool -> bool copies the bytes */
                        want = v != 0, got = got != 0 && (from == PML_BOOL || ((uint8_t *)y.data)[i] == 1);
                    else if (to == PML_FLOAT16) want = pml_f16_to_f32_scalar(pml_f32_to_f16_scalar((float)v));
                    else if (to == PML_FLOAT32) want = (float)v;
                    else want = trunc(v);
                    ok = got == want;
                    if (!ok) fprintf(stderr, "%s: %g -> %g, want %g\n", what, v, got, want);
                }
                CHECK(ok);
                tt_free(&y);
                tt_free(&x);
            }
        }
    }
    /* integer narrowing keeps the low bits; wide integers round to float */
    int64_t lv[4] = {-1, 300, 65537, 16777217};
    int64_t d4 = 4;
    pml_tensor x = tt_make(PML_INT64, 1, &d4, lv), y;
    pml_tensor *in[1] = {&x};
    pml_attr at = attr_int("to", PML_UINT16);
    CHECK_OK(tt_ref(PML_OP_CAST, &at, 1, in, 1, &y));
    uint16_t w16[4] = {65535, 300, 1, 1};
    CHECK(y.data && memcmp(y.data, w16, sizeof w16) == 0);
    tt_free(&y);
    at = attr_int("to", PML_INT16);
    CHECK_OK(tt_ref(PML_OP_CAST, &at, 1, in, 1, &y));
    CHECK(y.data && ((int16_t *)y.data)[0] == -1 && ((int16_t *)y.data)[2] == 1);
    tt_free(&y);
    tt_free(&x);
    /* float -> uint32 goes through int64 (3e9 fits), float -> uint64 keeps [2^63, 2^64) */
    float fv[3] = {3e9f, 1.5e19f, -1.0f};
    int64_t d3 = 3;
    x = tt_make(PML_FLOAT32, 1, &d3, fv);
    at = attr_int("to", PML_UINT32);
    CHECK_OK(tt_ref(PML_OP_CAST, &at, 1, in, 1, &y));
    CHECK(y.data && ((uint32_t *)y.data)[0] == 3000000000u && ((uint32_t *)y.data)[2] == 0xFFFFFFFFu);
    tt_free(&y);
    at = attr_int("to", PML_UINT64);
    CHECK_OK(tt_ref(PML_OP_CAST, &at, 1, in, 1, &y));
    CHECK(y.data && ((uint64_t *)y.data)[1] == (uint64_t)1.5e19f && ((uint64_t *)y.data)[2] == ~0ull);
    tt_free(&y);
    tt_free(&x);
}

/* ---- what the schema rejects ---------------------------------------------------------------------------------- */

static void test_rejected(void) {
    int64_t d = 4;
    pml_tensor u = tt_make(PML_UINT8, 1, &d, NULL), b = tt_make(PML_BOOL, 1, &d, NULL), i = tt_make(PML_INT32, 1, &d, NULL);
    pml_tensor *in[1] = {&u};
    tt_expect_error("neg of uint8", PML_ERR_DTYPE, PML_OP_NEG, NULL, 0, in, 1, 1);
    tt_expect_error("relu of uint8", PML_ERR_DTYPE, PML_OP_RELU, NULL, 0, in, 1, 1);
    in[0] = &i;
    tt_expect_error("sigmoid of int32", PML_ERR_DTYPE, PML_OP_SIGMOID, NULL, 0, in, 1, 1);
    tt_expect_error("isnan of int32", PML_ERR_DTYPE, PML_OP_ISNAN, NULL, 0, in, 1, 1);
    in[0] = &b;
    tt_expect_error("abs of bool", PML_ERR_DTYPE, PML_OP_ABS, NULL, 0, in, 1, 1);
    tt_expect_error("clip of bool", PML_ERR_DTYPE, PML_OP_CLIP, NULL, 0, in, 1, 1);
    tt_free(&u);
    tt_free(&b);
    tt_free(&i);
}

int main(void) {
    test_integer_ops();
    test_float16_ops();
    test_cast_pairs();
    test_rejected();
    return test_finish("test_unary_typed");
}
