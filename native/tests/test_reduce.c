/*
 * test_reduce.c — ReduceMean/Sum/Max over every subset of axes of small
 * tensors (negative axes, keepdims on and off), empty axes with and
 * without noop_with_empty_axes, zero-size reductions, against a naive
 * double-precision reduction; AVX2 and 2 threads against the reference at
 * awkward sizes; integer Sum/Max; error paths. ArgMax/ArgMin and
 * ReduceMin/Prod/L1/L2/SumSquare/LogSumExp against naive loops at awkward
 * sizes, with the best ISA and two threads against the reference. Every
 * (reduction, dtype) ONNX allows and ArgMax/ArgMin on every number type
 * against naive loops (double for floats, wrapping uint64 for integers) at
 * sizes 1, 7, 8, 9, 13, 127.
 */
#include "typed_testutil.h"


static void naive_reduce(int op, const pml_tensor *x, int mask, float *out) {
    int r = x->rank;
    int64_t od[PML_MAX_RANK], n = pml_shape_numel(r, x->dims), n_out = 1, count = 1;
    for (int a = 0; a < r; a++) {
        od[a] = (mask >> a) & 1 ? 1 : x->dims[a];
        n_out *= od[a];
        if ((mask >> a) & 1) count *= x->dims[a];
    }
    double *acc = malloc(sizeof(double) * (size_t)(n_out + 1));
    for (int64_t i = 0; i < n_out; i++) acc[i] = op == PML_OP_REDUCEMAX ? -INFINITY : 0.0;
    for (int64_t i = 0; i < n; i++) {
        int64_t t = i, o = 0, stride = 1;
        for (int a = r - 1; a >= 0; a--) {
            int64_t c = t % x->dims[a];
            t /= x->dims[a];
            if (!((mask >> a) & 1)) o += c * stride;
            stride *= od[a];
        }
        double v = ((const float *)x->data)[i];
        if (op == PML_OP_REDUCEMAX) acc[o] = v > acc[o] ? v : acc[o];
        else acc[o] += v;
    }
    for (int64_t i = 0; i < n_out; i++) out[i] = (float)(op == PML_OP_REDUCEMEAN ? acc[i] / (double)count : acc[i]);
    free(acc);
}

static void check_reduce(int op, int rank, const int64_t *dims, int mask, int keepdims, int negative) {
    pml_tensor x = tt_rand(rank, dims, -2, 2), y;
    pml_tensor *in[1] = {&x};
    int64_t axes[PML_MAX_RANK];
    int n = 0;
    for (int a = 0; a < rank; a++)
        if ((mask >> a) & 1) axes[n++] = negative ? a - rank : a;
    pml_attr at[2] = {attr_int("keepdims", keepdims), attr_ints("axes", axes, n)};
    char what[96];
    snprintf(what, sizeof what, "reduce op %d rank %d mask %x keepdims %d", op, rank, mask, keepdims);
    tt_check_isa(what, op, at, n ? 2 : 1, in, 1, 1e-5f, 1e-5f, &y);
    int64_t od[PML_MAX_RANK];
    int r = 0;
    int full = n ? mask : (1 << rank) - 1; /* no axes: reduce all */
    for (int a = 0; a < rank; a++) {
        if (!((full >> a) & 1)) od[r++] = dims[a];
        else if (keepdims) od[r++] = 1;
    }
    CHECK(tt_shape_is(&y, r, od));
    int64_t n_out = pml_shape_numel(r, od);
    float *e = malloc(sizeof(float) * (size_t)(n_out + 1));
    naive_reduce(op, &x, full, e);
    CHECK(y.data || n_out == 0);
    if (y.data) CHECK(test_allclose(y.data, e, (size_t)n_out, 1e-5f, 1e-5f, what));
    free(e);
    tt_free(&y), tt_free(&x);
}

/* ---- reductions ---------------------------------------------------------------------------------------- */

/* noinline + no loop vectorisation: gcc 12 for aarch64 crashes (ICE in
 * vect_transform_reduction) vectorising this switch-in-loop reduction at -O3. */
__attribute__((noinline, optimize("no-tree-loop-vectorize")))
static double naive_one(int op, const float *x, int64_t n, int64_t stride) {
    double acc = op == PML_OP_REDUCEMIN ? INFINITY : op == PML_OP_REDUCEPROD ? 1.0 : 0.0, m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = fmax(m, x[i * stride]);
    for (int64_t i = 0; i < n; i++) {
        double v = x[i * stride];
        switch (op) {
        case PML_OP_REDUCEMIN: acc = fmin(acc, v); break;
        case PML_OP_REDUCEPROD: acc *= v; break;
        case PML_OP_REDUCEL1: acc += fabs(v); break;
        case PML_OP_REDUCELOGSUMEXP: acc += exp(v - m); break;
        default: acc += v * v; break;
        }
    }
    if (op == PML_OP_REDUCEL2) return sqrt(acc);
    if (op == PML_OP_REDUCELOGSUMEXP) return n ? log(acc) + m : -INFINITY;
    return acc;
}

static void test_reductions(void) {
    static const int ops[] = {PML_OP_REDUCEMIN, PML_OP_REDUCEPROD, PML_OP_REDUCEL1, PML_OP_REDUCEL2,
                              PML_OP_REDUCESUMSQUARE, PML_OP_REDUCELOGSUMEXP};
    static const int64_t sizes[] = {0, 1, 7, 8, 9, 13, 127};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int axis = 0; axis < 2; axis++) {
                int64_t n = sizes[i], xd[2] = {3, n}, ax = axis;
                pml_tensor x = tt_rand(2, xd, 0.5f, 1.5f), y;
                pml_tensor *in[1] = {&x};
                pml_attr at[2] = {attr_ints("axes", &ax, 1), attr_int("keepdims", 0)};
                tt_check_isa("reduce", ops[o], at, 2, in, 1, -1, 0, &y); /* one scalar kernel: bit-exact */
                int64_t n_out = axis ? 3 : n;
                int ok = y.rank == 1 && y.dims[0] == n_out;
                for (int64_t j = 0; ok && j < n_out; j++) {
                    double e = axis ? naive_one(ops[o], as_f32(&x) + j * n, n, 1) : naive_one(ops[o], as_f32(&x) + j, 3, n);
                    float got = as_f32(&y)[j];
                    ok &= isinf(e) ? got == (float)e : fabs(got - e) <= 1e-5 * (1 + fabs(e));
                }
                if (!ok) fprintf(stderr, "reduce op %d n %lld axis %d mismatch\n", ops[o], (long long)n, axis);
                CHECK(ok);
                tt_free(&y), tt_free(&x);
            }
    /* integer Min/Prod/L1/SumSquare */
    int64_t xd[2] = {2, 3}, iv[6] = {3, -2, 5, 4, 4, -7};
    pml_tensor xi = tt_make(PML_INT64, 2, xd, iv), y;
    pml_tensor *in[1] = {&xi};
    int64_t ax = 1;
    pml_attr at[2] = {attr_ints("axes", &ax, 1), attr_int("keepdims", 1)};
    static const int iops[] = {PML_OP_REDUCEMIN, PML_OP_REDUCEPROD, PML_OP_REDUCEL1, PML_OP_REDUCESUMSQUARE};
    static const int64_t want[4][2] = {{-2, -7}, {-30, -112}, {10, 15}, {38, 81}};
    for (int k = 0; k < 4; k++) {
        CHECK_OK(tt_ref(iops[k], at, 2, in, 1, &y));
        CHECK(y.rank == 2 && y.dims[1] == 1 && as_i64(&y)[0] == want[k][0] && as_i64(&y)[1] == want[k][1]);
        tt_free(&y);
    }
    tt_expect_error("ReduceLogSumExp on int64", PML_ERR_DTYPE, PML_OP_REDUCELOGSUMEXP, at, 2, in, 1, 1);
    /* noop_with_empty_axes: the op on each element alone */
    pml_attr noop[1] = {attr_int("noop_with_empty_axes", 1)};
    CHECK_OK(tt_ref(PML_OP_REDUCEL1, noop, 1, in, 1, &y));
    CHECK(tt_shape_is(&y, 2, xd) && as_i64(&y)[1] == 2 && as_i64(&y)[5] == 7);
    tt_free(&y);

    /* ArgMax / ArgMin with ties, first and last index */
    float av[8] = {1, 3, 3, 0, 5, 5, -1, -1};
    int64_t ad[2] = {2, 4};
    pml_tensor xa = tt_make(PML_FLOAT32, 2, ad, av);
    pml_tensor *ain[1] = {&xa};
    for (int last = 0; last < 2; last++) {
        pml_attr aa[3] = {attr_int("axis", 1), attr_int("keepdims", 0), attr_int("select_last_index", last)};
        CHECK_OK(tt_ref(PML_OP_ARGMAX, aa, 3, ain, 1, &y));
        CHECK(y.rank == 1 && as_i64(&y)[0] == (last ? 2 : 1) && as_i64(&y)[1] == (last ? 1 : 0));
        tt_free(&y);
        CHECK_OK(tt_ref(PML_OP_ARGMIN, aa, 3, ain, 1, &y));
        CHECK(as_i64(&y)[0] == 3 && as_i64(&y)[1] == (last ? 3 : 2));
        tt_free(&y);
    }
    int64_t zd[2] = {2, 0};
    pml_tensor xz = tt_make(PML_FLOAT32, 2, zd, NULL);
    pml_tensor *zin[1] = {&xz};
    pml_attr za[1] = {attr_int("axis", 1)};
    tt_expect_error("ArgMax over an empty axis", PML_ERR_SHAPE, PML_OP_ARGMAX, za, 1, zin, 1, 1);
    tt_free(&xz), tt_free(&xa), tt_free(&xi);
}

/* ---- every dtype: the type-generic kernels against naive loops ---------------------------------------------- */

static int typed_op_allowed(int op, pml_dtype dt) {
    int sums = dt == PML_FLOAT32 || dt == PML_FLOAT16 || dt == PML_INT32 || dt == PML_INT64 || dt == PML_UINT32 ||
               dt == PML_UINT64;
    if (op == PML_OP_REDUCEMAX || op == PML_OP_REDUCEMIN) return sums || dt == PML_INT8 || dt == PML_UINT8 || dt == PML_BOOL;
    if (op == PML_OP_REDUCELOGSUMEXP) return tt_is_float(dt);
    return sums;
}

/* Output of element e of x (dims, rank 3) reduced over mask (keepdims or not: same order). */
static int64_t typed_out_index(const int64_t *dims, int mask, int64_t e) {
    int64_t o = 0, stride = 1;
    for (int a = 2; a >= 0; a--) {
        int64_t c = e % dims[a];
        e /= dims[a];
        if (!((mask >> a) & 1)) o += c * stride, stride *= dims[a];
    }
    return o;
}

static void check_typed_reduce(int op, pml_dtype dt, int64_t n, int mask) {
    int64_t dims[3] = {2, n, 3};
    pml_tensor x = tt_typed_rand(dt, 3, dims, (unsigned)(op * 131 + dt * 7 + n)), y;
    pml_tensor *in[1] = {&x};
    int64_t axes[3], na = 0, count = 1, n_out = 1;
    for (int a = 0; a < 3; a++) {
        if ((mask >> a) & 1) axes[na++] = a, count *= dims[a];
        else n_out *= dims[a];
    }
    pml_attr at[2] = {attr_ints("axes", axes, (int)na), attr_int("keepdims", 0)};
    char what[96];
    snprintf(what, sizeof what, "op %d on %s, n %lld, mask %d", op, pml_dtype_name(dt), (long long)n, mask);
    pml_status s = tt_ref(op, at, 2, in, 1, &y);
    CHECK_OK(s);
    if (s != PML_OK) {
        fprintf(stderr, "  (%s)\n", what);
        tt_free(&x);
        return;
    }
    double *d = calloc((size_t)n_out * 2, sizeof(double));
    uint64_t *u = calloc((size_t)n_out, sizeof(uint64_t));
    for (int64_t o = 0; o < n_out; o++) {
        d[o] = op == PML_OP_REDUCEMAX || op == PML_OP_REDUCELOGSUMEXP ? -INFINITY : op == PML_OP_REDUCEMIN ? INFINITY
               : op == PML_OP_REDUCEPROD ? 1.0 : 0.0;
        u[o] = op == PML_OP_REDUCEPROD;
    }
    int64_t numel = pml_shape_numel(3, dims);
    for (int64_t e = 0; e < numel; e++) {
        int64_t o = typed_out_index(dims, mask, e);
        double v = tt_get(&x, e);
        uint64_t b = tt_is_float(dt) ? 0 : tt_bits(&x, e);
        switch (op) {
        case PML_OP_REDUCEMAX: case PML_OP_REDUCELOGSUMEXP: d[o] = v > d[o] ? v : d[o]; break;
        case PML_OP_REDUCEMIN: d[o] = v < d[o] ? v : d[o]; break;
        case PML_OP_REDUCEPROD: d[o] *= v, u[o] *= b; break;
        case PML_OP_REDUCEL1: d[o] += fabs(v), u[o] += (uint64_t)fabs(v); break;
        case PML_OP_REDUCEL2: case PML_OP_REDUCESUMSQUARE: d[o] += v * v, u[o] += b * b; break;
        default: d[o] += v, u[o] += b; break; /* Sum, Mean */
        }
    }
    if (op == PML_OP_REDUCELOGSUMEXP)
        for (int64_t e = 0; e < numel; e++) {
            int64_t o = typed_out_index(dims, mask, e);
            d[n_out + o] += exp(tt_get(&x, e) - d[o]);
        }
    int bad = 0;
    for (int64_t o = 0; o < n_out && !bad; o++) {
        double want = d[o];
        if (op == PML_OP_REDUCEMEAN) want /= (double)count;
        if (op == PML_OP_REDUCEL2) want = sqrt(want);
        if (op == PML_OP_REDUCELOGSUMEXP) want += log(d[n_out + o]);
        if (tt_is_float(dt)) {
            double got = tt_get(&y, o), tol = dt == PML_FLOAT16 ? 2e-3 * fabs(want) + 2e-3 : 1e-5 * fabs(want) + 1e-5;
            if (dt == PML_FLOAT16) want = pml_f16_to_f32_scalar(pml_f32_to_f16_scalar((float)want));
            bad = !(got == want || fabs(got - want) <= tol);
            if (bad) fprintf(stderr, "%s: output %lld is %g, want %g\n", what, (long long)o, got, want);
            continue;
        }
        uint64_t w = u[o];
        if (op == PML_OP_REDUCEMAX || op == PML_OP_REDUCEMIN) w = (uint64_t)(int64_t)want;
        if (op == PML_OP_REDUCEMEAN) w = tt_is_signed(dt) ? (uint64_t)((int64_t)u[o] / count) : u[o] / (uint64_t)count;
        if (op == PML_OP_REDUCEL2) w = (uint64_t)want;
        bad = tt_bits(&y, o) != tt_wrap(dt, w);
        if (bad) fprintf(stderr, "%s: output %lld is %llu, want %llu\n", what, (long long)o,
                         (unsigned long long)tt_bits(&y, o), (unsigned long long)tt_wrap(dt, w));
    }
    CHECK(!bad && y.dtype == dt && pml_shape_numel(y.rank, y.dims) == n_out);
    free(d), free(u);
    tt_free(&x), tt_free(&y);
}

static void check_typed_arg(int op, pml_dtype dt, int64_t n, int last) {
    int64_t dims[3] = {2, n, 3};
    pml_tensor x = tt_typed_rand(dt, 3, dims, (unsigned)(op + dt * 5 + n * 3)), y;
    pml_tensor *in[1] = {&x};
    pml_attr at[3] = {attr_int("axis", 1), attr_int("keepdims", 0), attr_int("select_last_index", last)};
    CHECK_OK(tt_ref(op, at, 3, in, 1, &y));
    int bad = 0;
    for (int64_t o = 0; o < 2 && !bad; o++)
        for (int64_t i = 0; i < 3 && !bad; i++) {
            int64_t best = 0;
            for (int64_t k = 1; k < n; k++) {
                double a = tt_get(&x, (o * n + k) * 3 + i), b = tt_get(&x, (o * n + best) * 3 + i);
                if ((op == PML_OP_ARGMAX ? a > b : a < b) || (last && a == b)) best = k;
            }
            bad = ((int64_t *)y.data)[o * 3 + i] != best;
        }
    if (bad) fprintf(stderr, "arg op %d on %s, n %lld, last %d: wrong index\n", op, pml_dtype_name(dt), (long long)n, last);
    CHECK(!bad);
    tt_free(&x), tt_free(&y);
}

static void test_typed_reductions(void) {
    static const int ops[] = {PML_OP_REDUCESUM,  PML_OP_REDUCEMEAN, PML_OP_REDUCEMAX,       PML_OP_REDUCEMIN,
                              PML_OP_REDUCEPROD, PML_OP_REDUCEL1,   PML_OP_REDUCEL2,        PML_OP_REDUCESUMSQUARE,
                              PML_OP_REDUCELOGSUMEXP};
    for (int t = 0; t < TT_N_DTYPES; t++) {
        pml_dtype dt = tt_all_dtypes[t];
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            int64_t d[2] = {2, 3};
            pml_tensor x = tt_typed_rand(dt, 2, d, 1);
            pml_tensor *in[1] = {&x};
            if (!typed_op_allowed(ops[k], dt)) { /* the schema refuses what ONNX does not allow */
                /* ReduceMean admits 8/16-bit integers, but only quantized (refused at prepare) */
                int q_only = ops[k] == PML_OP_REDUCEMEAN && (dt == PML_INT8 || dt == PML_UINT8 || dt == PML_INT16);
                tt_expect_error("reduce outside its types", q_only ? PML_ERR_UNSUPPORTED : PML_ERR_DTYPE, ops[k], NULL,
                                0, in, 1, 1);
                tt_free(&x);
                continue;
            }
            tt_free(&x);
            for (int s = 0; s < TT_N_SIZES; s++) {
                check_typed_reduce(ops[k], dt, tt_sizes[s], 2); /* the middle axis */
                check_typed_reduce(ops[k], dt, tt_sizes[s], 5); /* the outer two: alternating groups */
            }
        }
        if (dt == PML_BOOL) continue;
        for (int s = 0; s < TT_N_SIZES; s++)
            for (int last = 0; last < 2; last++) {
                check_typed_arg(PML_OP_ARGMAX, dt, tt_sizes[s], last);
                check_typed_arg(PML_OP_ARGMIN, dt, tt_sizes[s], last);
            }
    }
}

int main(void) {
    static const int ops[] = {PML_OP_REDUCEMEAN, PML_OP_REDUCESUM, PML_OP_REDUCEMAX};
    for (size_t o = 0; o < 3; o++) {
        int op = ops[o];
        int64_t d4[4] = {2, 3, 5, 7};
        for (int mask = 0; mask < 16; mask++)
            for (int keep = 0; keep < 2; keep++) check_reduce(op, 4, d4, mask, keep, mask & 1);
        int64_t d3[3] = {4, 1, 13};
        for (int mask = 1; mask < 8; mask++) check_reduce(op, 3, d3, mask, 1, 0);
        static const int64_t sizes[] = {1, 7, 8, 9, 13, 127, 1000};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int64_t d2[2] = {5, sizes[s]};
            check_reduce(op, 2, d2, 1, 0, 0);
            check_reduce(op, 2, d2, 2, 0, 1);
            check_reduce(op, 2, d2, 3, 1, 0);
        }
        int64_t big[3] = {16, 3000, 3}, wide[2] = {4, 100000};
        check_reduce(op, 3, big, 2, 0, 0); /* threaded over the kept first axis */
        check_reduce(op, 3, big, 5, 1, 0);
        check_reduce(op, 2, wide, 2, 1, 0);

        /* noop_with_empty_axes copies; rank-0 input */
        int64_t d[2] = {3, 4};
        pml_tensor x = tt_rand(2, d, -1, 1), y;
        pml_tensor *in[1] = {&x};
        pml_attr noop = attr_int("noop_with_empty_axes", 1);
        CHECK_OK(tt_ref(op, &noop, 1, in, 1, &y));
        CHECK(tt_same_bytes(&y, &x));
        tt_free(&y);
        /* errors: axis out of range, duplicate axis, int16 input */
        int64_t bad[1] = {2}, dup[2] = {1, -1};
        pml_attr ab = attr_ints("axes", bad, 1);
        tt_expect_error("reduce bad axis", PML_ERR_INVALID_MODEL, op, &ab, 1, in, 1, 1);
        pml_attr ad = attr_ints("axes", dup, 2);
        tt_expect_error("reduce duplicate axis", PML_ERR_INVALID_MODEL, op, &ad, 1, in, 1, 1);
        pml_tensor xi = tt_make(PML_INT16, 2, d, NULL); /* outside ONNX's Sum/Mean/Max types */
        in[0] = &xi;
        tt_expect_error("reduce int16", op == PML_OP_REDUCEMEAN ? PML_ERR_UNSUPPORTED : PML_ERR_DTYPE, op, NULL, 0, in,
                        1, 1);
        tt_free(&xi), tt_free(&x);

        /* reducing a zero-size axis: sum 0, mean NaN, max -inf */
        int64_t dz[2] = {3, 0};
        x = tt_make(PML_FLOAT32, 2, dz, NULL);
        in[0] = &x;
        int64_t ax1[1] = {1};
        pml_attr az = attr_ints("axes", ax1, 1);
        CHECK_OK(tt_ref(op, &az, 1, in, 1, &y));
        float v = y.data ? ((float *)y.data)[2] : 0;
        CHECK(y.rank == 2 && y.dims[0] == 3 && y.dims[1] == 1);
        CHECK(op == PML_OP_REDUCESUM ? v == 0.0f : (op == PML_OP_REDUCEMAX ? v == -INFINITY : isnan(v)));
        tt_free(&y), tt_free(&x);
    }
    /* integer ReduceSum/ReduceMax: exact, sums wrap, an empty max is the type minimum */
    for (int is_max = 0; is_max < 2; is_max++) {
        int op = is_max ? PML_OP_REDUCEMAX : PML_OP_REDUCESUM;
        int64_t d[3] = {3, 4, 5};
        int32_t v32[60];
        int64_t v64[60];
        for (int i = 0; i < 60; i++) v32[i] = (int32_t)((i * 7919) % 201 - 100), v64[i] = (int64_t)v32[i] * ((int64_t)1 << 33);
        pml_tensor x32 = tt_make(PML_INT32, 3, d, v32), x64 = tt_make(PML_INT64, 3, d, v64), y;
        int64_t axes[2] = {0, 2};
        pml_attr at[2] = {attr_ints("axes", axes, 2), attr_int("keepdims", 0)};
        pml_tensor *in[1] = {&x32};
        tt_check_isa("int32 reduce", op, at, 2, in, 1, -1, 0, &y);
        int ok = y.dtype == PML_INT32 && y.rank == 1 && y.dims[0] == 4;
        for (int j = 0; j < 4 && ok; j++) {
            int64_t e = is_max ? INT64_MIN : 0;
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 5; k++) {
                    int64_t v = v32[(i * 4 + j) * 5 + k];
                    e = is_max ? (v > e ? v : e) : e + v;
                }
            ok &= ((int32_t *)y.data)[j] == (int32_t)e && ((int32_t *)y.data)[j] == (int32_t)e;
        }
        CHECK(ok);
        tt_free(&y);
        in[0] = &x64;
        CHECK_OK(tt_ref(op, at, 2, in, 1, &y));
        ok = y.dtype == PML_INT64;
        for (int j = 0; j < 4 && ok; j++) {
            int64_t e = is_max ? INT64_MIN : 0;
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 5; k++) {
                    int64_t v = v64[(i * 4 + j) * 5 + k];
                    e = is_max ? (v > e ? v : e) : e + v;
                }
            ok &= ((int64_t *)y.data)[j] == e;
        }
        CHECK(ok);
        tt_free(&y);
        int32_t big[2] = {INT32_MAX, 1};
        int64_t d2[1] = {2}, dz[2] = {2, 0};
        pml_tensor xb = tt_make(PML_INT32, 1, d2, big), xz = tt_make(PML_INT32, 2, dz, NULL);
        in[0] = &xb;
        CHECK_OK(tt_ref(op, NULL, 0, in, 1, &y));
        CHECK(y.data && ((int32_t *)y.data)[0] == (is_max ? INT32_MAX : INT32_MIN));
        tt_free(&y);
        in[0] = &xz;
        int64_t ax1[1] = {1};
        pml_attr a1 = attr_ints("axes", ax1, 1);
        CHECK_OK(tt_ref(op, &a1, 1, in, 1, &y));
        CHECK(y.data && ((int32_t *)y.data)[1] == (is_max ? INT32_MIN : 0));
        tt_free(&y);
        tt_free(&xb), tt_free(&xz), tt_free(&x32), tt_free(&x64);
    }
    test_reductions();
    test_typed_reductions();
    return test_finish("test_reduce");
}
