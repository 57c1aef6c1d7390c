/*
 * test_logic.c — comparisons (every dtype the registry allows, exact: 64-bit
 * integers are not compared through doubles), And/Or/Xor, Where (3-way
 * broadcasting, every dtype), the bitwise ops and BitShift on every integer
 * dtype (broadcast, shift amounts around the width and negative): the reference kernels against naive loops, the
 * AVX2 kernels and two threads against the reference at awkward sizes; then
 * the error paths of the ops added for transformer graphs (comparisons,
 * logic, Where, Mod, Gelu, Erf, Floor).
 */
#include <float.h>

#include "ew_testutil.h"
#include "typed_values.h"

static const int64_t g_sizes[] = {1, 7, 8, 9, 13, 31, 32, 33, 127, 1000, 70001};
#define N_SIZES (int)(sizeof g_sizes / sizeof g_sizes[0])

/* ---- comparisons ------------------------------------------------------------------------------------ */

static const int g_cmp_ops[] = {PML_OP_EQUAL, PML_OP_LESS, PML_OP_LESSOREQUAL, PML_OP_GREATER,
                                PML_OP_GREATEROREQUAL};

/* -1, 0, 1 for a < b, a == b, a > b; 2 when unordered (NaN) */
static int order_of(pml_dtype dt, const void *a, int64_t ia, const void *b, int64_t ib) {
    if (tv_is_float(dt)) {
        float x = tv_get_f(dt, a, ia), y = tv_get_f(dt, b, ib);
        return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
    }
    if (tv_is_signed(dt)) {
        int64_t x = tv_get_i(dt, a, ia), y = tv_get_i(dt, b, ib);
        return x < y ? -1 : x > y;
    }
    uint64_t x = tv_get_u(dt, a, ia), y = tv_get_u(dt, b, ib);
    if (dt == PML_BOOL) x = x != 0, y = y != 0; /* any nonzero byte is true */
    return x < y ? -1 : x > y;
}

static int naive_cmp(int op, int order) {
    if (order == 2) return 0; /* anything against NaN is false */
    switch (op) {
    case PML_OP_EQUAL: return order == 0;
    case PML_OP_LESS: return order < 0;
    case PML_OP_LESSOREQUAL: return order <= 0;
    case PML_OP_GREATER: return order > 0;
    default: return order >= 0;
    }
}

/* small random values so equality happens often; a few NaNs in float */
static pml_tensor rand_of(pml_dtype dt, int rank, const int64_t *dims) {
    if (dt != PML_FLOAT32 && dt != PML_BOOL) return tv_rand(dt, rank, dims, 0, 1); /* edges, NaN */
    pml_tensor t = test_tensor(dt, rank, dims, 0);
    int64_t n = pml_shape_numel(rank, dims);
    for (int64_t i = 0; i < n; i++) {
        int v = (int)test_randf(-4, 4);
        switch (dt) {
        case PML_FLOAT32: ((float *)t.data)[i] = i % 17 == 5 ? NAN : (float)v * 0.5f; break;
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
            int64_t ia = tt_bcast_offset(i, y.rank, y.dims, ra, da), ib = tt_bcast_offset(i, y.rank, y.dims, rb, db);
            ok = ((uint8_t *)y.data)[i] == naive_cmp(op, order_of(dt, a.data, ia, b.data, ib));
            if (!ok) fprintf(stderr, "%s: element %lld: %g vs %g gave %d\n", what, (long long)i,
                             tv_get_d(dt, a.data, ia), tv_get_d(dt, b.data, ib), ((uint8_t *)y.data)[i]);
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
        /* every other dtype (typed kernels); bool only for Equal (ONNX orders numbers only) */
        for (int d = 0; d <= N_NUMERIC; d++) {
            pml_dtype dt = d < N_NUMERIC ? g_numeric[d] : PML_BOOL;
            if (dt == PML_BOOL && op != PML_OP_EQUAL) continue;
            static const int64_t sizes[] = {1, 7, 8, 9, 13, 127};
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                int64_t n[1] = {sizes[s]}, one[1] = {1}, rows[2] = {3, sizes[s]};
                check_compare(op, dt, 1, n, 1, n);
                check_compare(op, dt, 1, n, 1, one);
                check_compare(op, dt, 0, NULL, 1, n);
                check_compare(op, dt, 2, rows, 1, n);
            }
            int64_t a3[3] = {4, 1, 37}, b3[2] = {5, 1}, big[2] = {70, 1001}, last[1] = {1001};
            check_compare(op, dt, 3, a3, 2, b3);
            check_compare(op, dt, 2, big, 1, last); /* threaded */
        }
        int64_t mask[4] = {2, 1, 1, 45}, scores[4] = {2, 3, 45, 45}; /* attention-mask style */
        check_compare(op, PML_FLOAT32, 4, mask, 4, scores);
    }
}

/* The float32 typed comparisons agree with the fast ones of every configuration. */
static void test_f32_typed_vs_fast(void) {
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *best = NULL, *configs[2] = {pml_kernel_config_scalar(), NULL};
    CHECK_OK(pml_kernel_config_select(&cpu, NULL, &best));
    configs[1] = best;
    int64_t n = 131;
    pml_tensor a = rand_of(PML_FLOAT32, 1, &n), b = rand_of(PML_FLOAT32, 1, &n);
    uint8_t fast[131], typed[131];
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < PML_CMP_COUNT; k++) {
            configs[c]->f32.ew->compare(k, (size_t)n, a.data, 1, b.data, 1, fast);
            configs[c]->typed.logic[PML_FLOAT32]->cmp[k]((size_t)n, a.data, 1, b.data, 1, typed);
            CHECK(memcmp(fast, typed, (size_t)n) == 0);
        }
    tt_free(&a);
    tt_free(&b);
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

static void test_not(void) {
    for (int s = 0; s < N_SIZES; s++) {
        int64_t n[1] = {g_sizes[s]};
        pml_tensor x = rand_of(PML_BOOL, 1, n), y; /* nonzero bytes other than 1 are true */
        pml_tensor *in[1] = {&x};
        tt_check_isa("not", PML_OP_NOT, NULL, 0, in, 1, -1, 0, &y);
        int ok = y.data != NULL && y.dtype == PML_BOOL;
        for (int64_t i = 0; ok && i < n[0]; i++) ok = ((uint8_t *)y.data)[i] == (((uint8_t *)x.data)[i] == 0);
        CHECK(ok);
        tt_free(&y);
        tt_free(&x);
    }
}

/* ---- bitwise ops --------------------------------------------------------------------------------------- */

static const pml_dtype g_integers[] = {PML_INT8, PML_UINT8, PML_INT16, PML_UINT16,
                                       PML_INT32, PML_UINT32, PML_INT64, PML_UINT64};

/* op (PML_OP_BITWISE*, or PML_OP_BITSHIFT with left = 1/0) of a and b, naive, as the bits of the result */
static uint64_t naive_bits(int op, int left, pml_dtype dt, const void *a, int64_t ia, const void *b, int64_t ib) {
    const uint64_t x = tv_get_u(dt, a, ia), y = tv_get_u(dt, b, ib);
    const int64_t width = 8 * (int64_t)pml_dtype_size(dt);
    const int64_t amount = tv_is_signed(dt) ? tv_get_i(dt, b, ib) : (y > 64 ? 64 : (int64_t)y);
    const int negative = tv_is_signed(dt) && tv_get_i(dt, a, ia) < 0;
    switch (op) {
    case PML_OP_BITWISEAND: return x & y;
    case PML_OP_BITWISEOR: return x | y;
    case PML_OP_BITWISEXOR: return x ^ y;
    default: break;
    }
    if (amount < 0 || amount >= width) return !left && negative ? ~0ull : 0; /* the sign fill alone */
    if (left) return x << amount;
    if (negative) return ~(~x >> amount); /* x sign-extended to 64 bits: arithmetic shift */
    return (x & (width == 64 ? ~0ull : (1ull << width) - 1)) >> amount;
}

static void check_bitwise(int op, int left, pml_dtype dt, int ra, const int64_t *da, int rb, const int64_t *db) {
    pml_tensor a = tv_rand(dt, ra, da, 0, 0), b = tv_rand(dt, rb, db, 0, 0), y;
    const int64_t nb = pml_shape_numel(rb, db), width = 8 * (int64_t)pml_dtype_size(dt);
    if (op == PML_OP_BITSHIFT) /* amounts around the width, a few negative ones (signed) */
        for (int64_t i = 0; i < nb; i++)
            tv_put_bits(dt, b.data, i, (uint64_t)(int64_t)test_randf(tv_is_signed(dt) ? -3.0f : 0.0f, (float)width + 3));
    pml_attr dir = {0};
    dir.name = "direction", dir.type = PML_ATTR_STRING, dir.s = left ? "LEFT" : "RIGHT";
    pml_tensor *in[2] = {&a, &b};
    char what[96];
    snprintf(what, sizeof what, "bitwise op %d%s %s ranks %d/%d", op, left ? " left" : "", pml_dtype_name(dt), ra, rb);
    tt_check_isa(what, op, &dir, op == PML_OP_BITSHIFT, in, 2, -1, 0, &y);
    if (y.data) {
        CHECK(y.dtype == dt);
        const int64_t n = pml_shape_numel(y.rank, y.dims);
        pml_tensor want = test_tensor(dt, y.rank, y.dims, 0);
        for (int64_t i = 0; i < n; i++)
            tv_put_bits(dt, want.data, i, naive_bits(op, left, dt, a.data, tt_bcast_offset(i, y.rank, y.dims, ra, da),
                                                     b.data, tt_bcast_offset(i, y.rank, y.dims, rb, db)));
        int ok = memcmp(y.data, want.data, want.nbytes) == 0;
        if (!ok) fprintf(stderr, "%s: wrong element\n", what);
        CHECK(ok);
        tt_free(&want);
        tt_free(&y);
    }
    tt_free(&a);
    tt_free(&b);
}

static void test_bitwise(void) {
    static const int ops[][2] = {{PML_OP_BITWISEAND, 0}, {PML_OP_BITWISEOR, 0}, {PML_OP_BITWISEXOR, 0},
                                 {PML_OP_BITSHIFT, 1},   {PML_OP_BITSHIFT, 0}};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t d = 0; d < sizeof g_integers / sizeof g_integers[0]; d++) {
            for (int s = 0; s < N_SIZES; s++) {
                int64_t n[1] = {g_sizes[s]}, one[1] = {1}, rows[2] = {3, g_sizes[s]};
                check_bitwise(ops[o][0], ops[o][1], g_integers[d], 1, n, 1, n);
                check_bitwise(ops[o][0], ops[o][1], g_integers[d], 1, n, 1, one);
                check_bitwise(ops[o][0], ops[o][1], g_integers[d], 0, NULL, 1, n);
                check_bitwise(ops[o][0], ops[o][1], g_integers[d], 1, n, 2, rows);
            }
            int64_t a3[3] = {4, 1, 37}, b2[2] = {5, 1};
            check_bitwise(ops[o][0], ops[o][1], g_integers[d], 3, a3, 2, b2);
        }
    /* BitwiseNot */
    for (size_t d = 0; d < sizeof g_integers / sizeof g_integers[0]; d++)
        for (int s = 0; s < N_SIZES; s++) {
            int64_t n[1] = {g_sizes[s]};
            pml_tensor x = tv_rand(g_integers[d], 1, n, 0, 0), y;
            pml_tensor *in[1] = {&x};
            tt_check_isa("bitwise not", PML_OP_BITWISENOT, NULL, 0, in, 1, -1, 0, &y);
            int ok = y.data != NULL && y.dtype == g_integers[d];
            for (size_t i = 0; ok && i < x.nbytes; i++) ok = ((uint8_t *)y.data)[i] == (uint8_t)~((uint8_t *)x.data)[i];
            CHECK(ok);
            tt_free(&y);
            tt_free(&x);
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
    static const pml_dtype dts[] = {PML_FLOAT32, PML_INT64, PML_BOOL, PML_FLOAT16, PML_INT32, PML_UINT8,
                                    PML_INT8, PML_INT16, PML_UINT16, PML_UINT32, PML_UINT64};
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

/* ---- errors --------------------------------------------------------------------------------------------- */

static void test_errors(void) {
    int64_t d3[1] = {3}, d4[1] = {4};
    pml_tensor f = tt_rand(1, d3, 0, 1), f4 = tt_rand(1, d4, 0, 1), i32 = tt_make(PML_INT32, 1, d3, NULL);
    pml_tensor h = tt_make(PML_FLOAT16, 1, d3, NULL), b = tt_make(PML_BOOL, 1, d3, NULL);
    pml_tensor *fi[2] = {&f, &i32}, *ff4[2] = {&f, &f4}, *hh[2] = {&h, &h}, *ff[2] = {&f, &f};
    pml_tensor *hf[2] = {&h, &f};
    tt_expect_error("compare dtypes differ", PML_ERR_DTYPE, PML_OP_LESS, NULL, 0, fi, 2, 1);
    tt_expect_error("compare shapes", PML_ERR_SHAPE, PML_OP_EQUAL, NULL, 0, ff4, 2, 1);
    tt_expect_error("compare float16 and float32", PML_ERR_DTYPE, PML_OP_GREATER, NULL, 0, hf, 2, 1);
    pml_tensor *bb2[2] = {&b, &b};
    tt_expect_error("less on bool", PML_ERR_DTYPE, PML_OP_LESS, NULL, 0, bb2, 2, 1); /* ONNX: numbers only */
    tt_expect_error("and on float16", PML_ERR_DTYPE, PML_OP_AND, NULL, 0, hh, 2, 1);
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
    pml_tensor *ii[2] = {&i32, &i32}, *if_[2] = {&i32, &f};
    tt_expect_error("bitwise and float", PML_ERR_DTYPE, PML_OP_BITWISEAND, NULL, 0, ff, 2, 1);
    tt_expect_error("bitwise or bool", PML_ERR_DTYPE, PML_OP_BITWISEOR, NULL, 0, bb, 2, 1);
    tt_expect_error("bitwise xor mixed", PML_ERR_DTYPE, PML_OP_BITWISEXOR, NULL, 0, if_, 2, 1);
    tt_expect_error("bitwise not float", PML_ERR_DTYPE, PML_OP_BITWISENOT, NULL, 0, x1, 1, 1);
    pml_tensor i4 = tt_make(PML_INT32, 1, d4, NULL), *ii4[2] = {&i32, &i4};
    pml_attr dir = {0};
    dir.name = "direction", dir.type = PML_ATTR_STRING, dir.s = "UP";
    tt_expect_error("bitshift direction", PML_ERR_INVALID_MODEL, PML_OP_BITSHIFT, &dir, 1, ii, 2, 1);
    tt_expect_error("bitshift without direction", PML_ERR_INVALID_MODEL, PML_OP_BITSHIFT, NULL, 0, ii, 2, 1);
    dir.type = PML_ATTR_INT;
    tt_expect_error("bitshift direction type", PML_ERR_INVALID_MODEL, PML_OP_BITSHIFT, &dir, 1, ii, 2, 1);
    dir.type = PML_ATTR_STRING, dir.s = "LEFT";
    tt_expect_error("bitshift shapes", PML_ERR_SHAPE, PML_OP_BITSHIFT, &dir, 1, ii4, 2, 1);
    tt_expect_error("bitwise and shapes", PML_ERR_SHAPE, PML_OP_BITWISEAND, NULL, 0, ii4, 2, 1);
    tt_free(&i4);
    tt_free(&f);
    tt_free(&f4);
    tt_free(&i32);
    tt_free(&h);
    tt_free(&b);
}

int main(void) {
    test_compare();
    test_f32_typed_vs_fast();
    test_logical();
    test_not();
    test_bitwise();
    test_where();
    test_errors();
    return test_finish("test_logic");
}
