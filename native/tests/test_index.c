/*
 * test_index.c — Gather, GatherElements, GatherND, ScatterElements,
 * ScatterND, OneHot, TopK, Trilu, CumSum, CumProd and ReverseSequence against
 * naive loops at awkward sizes, with the best ISA and two threads against the reference, and every
 * out-of-range index as a PML_ERR_RUNTIME error naming the value and the
 * bound. The type-generic kernels (TopK, CumSum/CumProd, the scatter reductions,
 * Range, OneHot's indices) and ReverseSequence on every dtype ONNX allows against naive loops at sizes 1, 7, 8, 9,
 * 13, 127. TensorScatter (linear and circular, every dtype) against a naive loop, and its
 * run-time error for a write past the end of the cache in linear mode.
 */
#include "typed_testutil.h"

static void expect_runtime_error(const char *what, int op, const pml_attr *at, int n_at, pml_tensor **in, int n_in,
                                 const char *needle) {
    pml_tensor out[2];
    pml_status s = pml_test_op(op, at, n_at, in, n_in, out, 1, 1, 1);
    int ok = s == PML_ERR_RUNTIME && strstr(pml_last_error(), needle) != NULL;
    if (!ok) fprintf(stderr, "%s: got %s: %s\n", what, pml_status_string(s), pml_last_error());
    CHECK(ok);
    pml_aligned_free(out[0].data);
}

/* ---- Gather ----------------------------------------------------------------------------------------------- */

static void test_gather(void) {
    int64_t d[3] = {4, 5, 3};
    pml_tensor x = iota(PML_FLOAT32, 3, d), y;
    int64_t id[2] = {2, 2};
    int64_t iv64[4] = {0, -1, 2, 1};
    int32_t iv32[4] = {4, 0, -5, 2};
    for (int axis = 0; axis < 3; axis++)
        for (int w = 0; w < 2; w++) {
            pml_tensor idx = w ? tt_make(PML_INT32, 2, id, iv32) : tt_make(PML_INT64, 2, id, iv64);
            if (w && axis != 1) ((int32_t *)idx.data)[0] = 1, ((int32_t *)idx.data)[2] = -2;
            pml_tensor *in[2] = {&x, &idx};
            pml_attr a = attr_int("axis", axis - (w ? 3 : 0)); /* negative axis on the int32 runs */
            CHECK_OK(tt_ref(PML_OP_GATHER, &a, 1, in, 2, &y));
            int ok = y.rank == 4;
            for (int64_t o = 0; o < numel(y.rank, y.dims) && ok; o++) {
                /* output [d0.., 2, 2, ..d2] with the gathered axis replaced by the 2x2 indices */
                int64_t od[4], k = 0;
                for (int i = 0; i < axis; i++) od[k++] = d[i];
                od[k++] = 2, od[k++] = 2;
                for (int i = axis + 1; i < 3; i++) od[k++] = d[i];
                int64_t t = o, c[4];
                for (int i = 3; i >= 0; i--) c[i] = t % od[i], t /= od[i];
                int64_t src[3], j = 0;
                for (int i = 0; i < axis; i++) src[i] = c[j++];
                int64_t ii = c[j] * 2 + c[j + 1];
                int64_t v = w ? ((int32_t *)idx.data)[ii] : ((int64_t *)idx.data)[ii];
                src[axis] = v < 0 ? v + d[axis] : v;
                j += 2;
                for (int i = axis + 1; i < 3; i++) src[i] = c[j++];
                ok &= ((float *)y.data)[o] == (float)((src[0] * 5 + src[1]) * 3 + src[2]);
            }
            if (!ok) fprintf(stderr, "gather axis %d %s indices differs from naive\n", axis, w ? "int32" : "int64");
            CHECK(ok);
            tt_free(&y);
            tt_free(&idx);
        }
    /* scalar index drops the axis */
    int64_t sv = 2;
    pml_tensor sidx = tt_make(PML_INT64, 0, NULL, &sv);
    pml_tensor *sin[2] = {&x, &sidx};
    pml_attr a1 = attr_int("axis", 1);
    CHECK_OK(tt_ref(PML_OP_GATHER, &a1, 1, sin, 2, &y));
    int64_t wd[2] = {4, 3};
    CHECK(tt_shape_is(&y, 2, wd) && ((float *)y.data)[4] == (float)((1 * 5 + 2) * 3 + 1));
    tt_free(&y);
    /* out of range -> runtime error naming the index and the bound */
    ((int64_t *)sidx.data)[0] = 5;
    tt_expect_error("gather index 5 of 5", PML_ERR_RUNTIME, PML_OP_GATHER, &a1, 1, sin, 2, 1);
    CHECK(strstr(pml_last_error(), "index 5") != NULL && strstr(pml_last_error(), "size 5") != NULL);
    ((int64_t *)sidx.data)[0] = -6;
    tt_expect_error("gather index -6 of 5", PML_ERR_RUNTIME, PML_OP_GATHER, &a1, 1, sin, 2, 1);
    ((int64_t *)sidx.data)[0] = INT64_MIN;
    tt_expect_error("gather index INT64_MIN", PML_ERR_RUNTIME, PML_OP_GATHER, &a1, 1, sin, 2, 1);
    pml_attr a3 = attr_int("axis", 3);
    tt_expect_error("gather bad axis", PML_ERR_INVALID_MODEL, PML_OP_GATHER, &a3, 1, sin, 2, 1);
    pml_tensor fidx = tt_make(PML_FLOAT32, 0, NULL, NULL);
    sin[1] = &fidx;
    tt_expect_error("gather float indices", PML_ERR_DTYPE, PML_OP_GATHER, &a1, 1, sin, 2, 1);
    tt_free(&fidx), tt_free(&sidx), tt_free(&x);
}

/* ---- gathers and scatters -------------------------------------------------------------------------------- */

static void test_gather_scatter_elements(void) {
    static const int64_t sizes[] = {1, 7, 8, 9, 13, 127};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t n = sizes[i], dd[2] = {3, n}, id[2] = {3, 2 * n};
        pml_tensor data = tt_rand(2, dd, -1, 1), idx = tt_make(PML_INT64, 2, id, NULL), y;
        for (int64_t k = 0; k < 6 * n; k++) as_i64(&idx)[k] = (k * 7) % (2 * n) - n; /* in [-n, n) */
        pml_tensor *in[2] = {&data, &idx};
        pml_attr at[1] = {attr_int("axis", 1)};
        tt_check_isa("GatherElements", PML_OP_GATHERELEMENTS, at, 1, in, 2, 0, 0, &y);
        int ok = 1;
        for (int64_t r = 0; r < 3; r++)
            for (int64_t c = 0; c < 2 * n; c++) {
                int64_t v = as_i64(&idx)[r * 2 * n + c];
                ok &= as_f32(&y)[r * 2 * n + c] == as_f32(&data)[r * n + (v < 0 ? v + n : v)];
            }
        CHECK(ok);
        tt_free(&y);
        /* ScatterElements add of ones: every output counts the hits */
        pml_tensor upd = tt_make(PML_FLOAT32, 2, id, NULL);
        for (int64_t k = 0; k < 6 * n; k++) as_f32(&upd)[k] = 1.0f;
        pml_tensor zero = tt_make(PML_FLOAT32, 2, dd, NULL);
        pml_tensor *sin[3] = {&zero, &idx, &upd};
        pml_attr sat[2] = {attr_int("axis", 1), attr_int("reduction", 1)};
        CHECK_OK(tt_ref(PML_OP_SCATTERELEMENTS, sat, 2, sin, 3, &y));
        float total = 0;
        for (int64_t k = 0; k < 3 * n; k++) total += as_f32(&y)[k];
        CHECK(total == (float)(6 * n));
        tt_free(&y);
        as_i64(&idx)[6 * n - 1] = n; /* one past the end */
        expect_runtime_error("GatherElements out of range", PML_OP_GATHERELEMENTS, at, 1, in, 2, "index");
        CHECK(strstr(pml_last_error(), "out of range") != NULL);
        expect_runtime_error("ScatterElements out of range", PML_OP_SCATTERELEMENTS, sat, 2, sin, 3, "out of range");
        as_i64(&idx)[0] = -n - 1;
        as_i64(&idx)[6 * n - 1] = 0;
        expect_runtime_error("GatherElements negative out of range", PML_OP_GATHERELEMENTS, at, 1, in, 2, "out of range");
        tt_free(&upd), tt_free(&zero), tt_free(&data), tt_free(&idx);
    }
    /* indices larger than data off the axis: rejected in infer (no stray reads) */
    int64_t dd[2] = {2, 3}, id[2] = {3, 3};
    pml_tensor data = tt_rand(2, dd, -1, 1), idx = tt_make(PML_INT64, 2, id, NULL);
    pml_tensor *in[2] = {&data, &idx};
    pml_attr at[1] = {attr_int("axis", 1)};
    tt_expect_error("GatherElements indices too large", PML_ERR_SHAPE, PML_OP_GATHERELEMENTS, at, 1, in, 2, 1);
    tt_free(&data), tt_free(&idx);
}

static void test_gather_scatter_nd(void) {
    /* data [2,3,n], indices [2,1,2] with batch_dims 1: out [2,1,n] */
    static const int64_t sizes[] = {1, 7, 8, 13};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t n = sizes[i], dd[3] = {2, 3, n}, id[3] = {2, 1, 2}, iv[4] = {1, -1, 2, 0};
        pml_tensor data = tt_rand(3, dd, -1, 1), idx = tt_make(PML_INT64, 3, id, iv), y;
        (void)iv;
        /* with batch_dims 1 each index tuple has 1 component: use [2,1,1] */
        int64_t id1[3] = {2, 1, 1}, iv1[2] = {2, -3};
        pml_tensor idx1 = tt_make(PML_INT64, 3, id1, iv1);
        pml_tensor *in[2] = {&data, &idx1};
        pml_attr at[1] = {attr_int("batch_dims", 1)};
        tt_check_isa("GatherND batch", PML_OP_GATHERND, at, 1, in, 2, 0, 0, &y);
        int64_t want[3] = {2, 1, n};
        CHECK(tt_shape_is(&y, 3, want));
        CHECK(memcmp(as_f32(&y), as_f32(&data) + 2 * n, (size_t)n * 4) == 0);
        CHECK(memcmp(as_f32(&y) + n, as_f32(&data) + 3 * n + 0 * n, (size_t)n * 4) == 0);
        tt_free(&y);
        /* batch_dims 0 over a [3,n] view: indices [[1, k]] pick elements */
        int64_t d2[2] = {3, n}, i2d[2] = {2, 2}, i2v[4] = {1, n - 1, -3, 0};
        pml_tensor data2 = tt_rand(2, d2, -1, 1), idx2 = tt_make(PML_INT64, 2, i2d, i2v);
        pml_tensor *in2[2] = {&data2, &idx2};
        CHECK_OK(tt_ref(PML_OP_GATHERND, NULL, 0, in2, 2, &y));
        CHECK(y.dims[0] == 2 && as_f32(&y)[0] == as_f32(&data2)[n + n - 1] && as_f32(&y)[1] == as_f32(&data2)[0]);
        tt_free(&y);
        /* ScatterND: write rows 2 and 0 (index -3), with max reduction on a second run */
        int64_t ud[2] = {2, n}, ri[2] = {2, 1}, rv[2] = {2, -3};
        pml_tensor upd = tt_rand(2, ud, -1, 1), ridx = tt_make(PML_INT64, 2, ri, rv);
        pml_tensor *sin[3] = {&data2, &ridx, &upd};
        tt_check_isa("ScatterND", PML_OP_SCATTERND, NULL, 0, sin, 3, 0, 0, &y);
        CHECK(memcmp(as_f32(&y) + 2 * n, upd.data, (size_t)n * 4) == 0 && memcmp(y.data, as_f32(&upd) + n, (size_t)n * 4) == 0);
        CHECK(memcmp(as_f32(&y) + n, as_f32(&data2) + n, (size_t)n * 4) == 0);
        tt_free(&y);
        pml_attr mat[1] = {attr_int("reduction", 3)};
        CHECK_OK(tt_ref(PML_OP_SCATTERND, mat, 1, sin, 3, &y));
        CHECK(as_f32(&y)[2 * n] == fmaxf(as_f32(&data2)[2 * n], as_f32(&upd)[0]));
        tt_free(&y);
        as_i64(&ridx)[1] = 3;
        expect_runtime_error("ScatterND out of range", PML_OP_SCATTERND, NULL, 0, sin, 3, "index 3");
        as_i64(&idx2)[3] = n;
        expect_runtime_error("GatherND out of range", PML_OP_GATHERND, NULL, 0, in2, 2, "out of range");
        tt_free(&upd), tt_free(&ridx), tt_free(&data2), tt_free(&idx2), tt_free(&idx1), tt_free(&data), tt_free(&idx);
    }
    /* k larger than the data rank: infer error */
    int64_t dd[1] = {4}, id[2] = {1, 2};
    pml_tensor data = tt_rand(1, dd, -1, 1), idx = tt_make(PML_INT64, 2, id, NULL);
    pml_tensor *in[2] = {&data, &idx};
    tt_expect_error("GatherND k > rank", PML_ERR_SHAPE, PML_OP_GATHERND, NULL, 0, in, 2, 1);
    tt_free(&data), tt_free(&idx);
}

/* ---- OneHot, TopK, Trilu, CumSum ------------------------------------------------------------------------- */

static void test_onehot_topk(void) {
    int64_t id[1] = {5}, iv[5] = {0, 3, -1, 4, -5}, two = 2;
    float vals[2] = {-1.0f, 9.0f};
    pml_tensor idx = tt_make(PML_INT64, 1, id, iv), values = tt_make(PML_FLOAT32, 1, &two, vals), y;
    pml_tensor *in[2] = {&idx, &values};
    pml_attr at[2] = {attr_int("depth", 4), attr_int("axis", -1)};
    CHECK_OK(tt_ref(PML_OP_ONEHOT, at, 2, in, 2, &y));
    int64_t want[2] = {5, 4};
    CHECK(tt_shape_is(&y, 2, want));
    /* rows: 0 -> col 0; 3 -> col 3; -1 -> col 3; 4 and -5 are out of range: all off */
    float expect[20] = {9, -1, -1, -1, -1, -1, -1, 9, -1, -1, -1, 9, -1, -1, -1, -1, -1, -1, -1, -1};
    CHECK(memcmp(y.data, expect, sizeof expect) == 0);
    tt_free(&y);
    pml_attr bad[1] = {attr_int("depth", 0)};
    tt_expect_error("OneHot depth 0", PML_ERR_SHAPE, PML_OP_ONEHOT, bad, 1, in, 2, 1);
    tt_free(&idx), tt_free(&values);

    /* TopK with ties at awkward lengths: values in 0..4 so ties are everywhere */
    static const int64_t sizes[] = {1, 7, 8, 9, 13, 127};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t n = sizes[i], xd[2] = {3, n}, k = n < 5 ? n : 5;
        pml_tensor x = tt_make(PML_FLOAT32, 2, xd, NULL), outs[2];
        for (int64_t e = 0; e < 3 * n; e++) as_f32(&x)[e] = (float)((e * 7 + 3) % 5);
        pml_tensor *tin[1] = {&x};
        for (int largest = 0; largest < 2; largest++) {
            pml_attr ta[2] = {attr_int("k", k), attr_int("largest", largest)};
            CHECK_OK(pml_test_op(PML_OP_TOPK, ta, 2, tin, 1, outs, 2, 1, 1));
            int ok = outs[0].dims[1] == k && outs[1].dtype == PML_INT64;
            for (int64_t r = 0; ok && r < 3; r++) {
                /* naive: pick k times the best unused, lowest index first on ties */
                int used[128] = {0};
                for (int64_t t = 0; t < k; t++) {
                    int64_t best = -1;
                    for (int64_t c = 0; c < n; c++) {
                        if (used[c]) continue;
                        float v = as_f32(&x)[r * n + c], b = best < 0 ? 0 : as_f32(&x)[r * n + best];
                        if (best < 0 || (largest ? v > b : v < b)) best = c;
                    }
                    used[best] = 1;
                    ok &= as_i64(&outs[1])[r * k + t] == best && as_f32(&outs[0])[r * k + t] == as_f32(&x)[r * n + best];
                }
            }
            CHECK(ok);
            tt_free(&outs[0]), tt_free(&outs[1]);
        }
        int64_t big = n + 1;
        pml_attr ta[1] = {attr_int("k", big)};
        tt_expect_error("TopK k > n", PML_ERR_SHAPE, PML_OP_TOPK, ta, 1, tin, 1, 2);
        /* k as an input: known while planning works, unknown is a clear error */
        int64_t one = 1;
        pml_tensor kt = t_i64(1, &one, &k, 1);
        pml_tensor *kin[2] = {&x, &kt};
        CHECK_OK(pml_test_op(PML_OP_TOPK, NULL, 0, kin, 2, outs, 2, 1, 1));
        CHECK(outs[0].dims[1] == k);
        tt_free(&outs[0]), tt_free(&outs[1]);
        kt.value_known = 0;
        tt_expect_error("TopK unknown k", PML_ERR_UNSUPPORTED, PML_OP_TOPK, NULL, 0, kin, 2, 2);
        tt_free(&kt), tt_free(&x);
    }
}

static void test_trilu_cumsum(void) {
    static const int64_t sizes[] = {1, 7, 8, 9, 13};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t n = sizes[i], xd[3] = {2, n, n + 2};
        pml_tensor x = tt_rand(3, xd, 1, 2), y;
        pml_tensor *in[1] = {&x};
        for (int upper = 0; upper < 2; upper++)
            for (int64_t k = -3; k <= 3; k += 2) {
                pml_attr at[2] = {attr_int("upper", upper), attr_int("k", k)};
                CHECK_OK(tt_ref(PML_OP_TRILU, at, 2, in, 1, &y));
                int ok = 1;
                for (int64_t b = 0; b < 2; b++)
                    for (int64_t r = 0; r < n; r++)
                        for (int64_t c = 0; c < n + 2; c++) {
                            int64_t e = (b * n + r) * (n + 2) + c;
                            int keep = upper ? c - r >= k : c - r <= k;
                            ok &= as_f32(&y)[e] == (keep ? as_f32(&x)[e] : 0.0f);
                        }
                CHECK(ok);
                tt_free(&y);
            }
        /* CumSum along axis 1 (given as a run-time input: it only steers the loop) */
        int64_t axis = -2;
        pml_tensor at_axis = t_i64(0, NULL, &axis, 0);
        pml_tensor *cin[2] = {&x, &at_axis};
        for (int mode = 0; mode < 4; mode++) {
            pml_attr ca[2] = {attr_int("exclusive", mode & 1), attr_int("reverse", mode >> 1)};
            CHECK_OK(tt_ref(PML_OP_CUMSUM, ca, 2, cin, 2, &y));
            int ok = 1;
            for (int64_t b = 0; b < 2; b++)
                for (int64_t c = 0; c < n + 2; c++)
                    for (int64_t r = 0; r < n; r++) {
                        double s = 0;
                        for (int64_t t = 0; t < n; t++) {
                            int in_range = mode >> 1 ? t > r || (t == r && !(mode & 1)) : t < r || (t == r && !(mode & 1));
                            if (in_range) s += as_f32(&x)[(b * n + t) * (n + 2) + c];
                        }
                        ok &= fabs(as_f32(&y)[(b * n + r) * (n + 2) + c] - s) <= 1e-5 * (1 + fabs(s));
                    }
            CHECK(ok);
            tt_free(&y);
        }
        as_i64(&at_axis)[0] = 3;
        expect_runtime_error("CumSum axis out of range", PML_OP_CUMSUM, NULL, 0, cin, 2, "axis");
        tt_free(&at_axis), tt_free(&x);
    }
}

/* ---- every dtype: the type-generic kernels against naive loops ---------------------------------------------- */

/* Stores integer bits v (tt_bits' form) as element i. */
static void set_bits(pml_tensor *t, int64_t i, uint64_t v) {
    size_t es = pml_dtype_size(t->dtype);
    memcpy((char *)t->data + (size_t)i * es, &v, es); /* little-endian: the low bytes */
}

static int cumsum_allowed(pml_dtype dt) {
    return dt == PML_FLOAT32 || dt == PML_FLOAT16 || dt == PML_INT32 || dt == PML_INT64 || dt == PML_UINT32 ||
           dt == PML_UINT64;
}

static void check_typed_topk(pml_dtype dt, int64_t n, int largest) {
    int64_t xd[3] = {2, n, 3}, k = n < 4 ? n : 4;
    pml_tensor x = tt_typed_rand(dt, 3, xd, (unsigned)(n + dt)), kt = t_i64(1, (int64_t[]){1}, &k, 1), y[2];
    pml_tensor *in[2] = {&x, &kt};
    pml_attr at[2] = {attr_int("axis", 1), attr_int("largest", largest)};
    CHECK_OK(pml_test_op(PML_OP_TOPK, at, 2, in, 2, y, 2, 1, 1));
    int bad = y[0].dtype != dt;
    for (int64_t o = 0; o < 2 && !bad; o++)
        for (int64_t i = 0; i < 3 && !bad; i++) {
            int taken[128] = {0};
            for (int64_t t = 0; t < k && !bad; t++) { /* the best not yet taken, lower index on ties */
                int64_t best = -1;
                for (int64_t j = 0; j < n; j++) {
                    if (taken[j]) continue;
                    double v = tt_get(&x, (o * n + j) * 3 + i), b = best < 0 ? 0 : tt_get(&x, (o * n + best) * 3 + i);
                    if (best < 0 || (largest ? v > b : v < b)) best = j;
                }
                taken[best] = 1;
                int64_t at_y = (o * k + t) * 3 + i;
                bad = as_i64(&y[1])[at_y] != best || tt_get(&y[0], at_y) != tt_get(&x, (o * n + best) * 3 + i);
            }
        }
    if (bad) fprintf(stderr, "TopK %s n %lld largest %d: wrong\n", pml_dtype_name(dt), (long long)n, largest);
    CHECK(!bad);
    tt_free(&x), tt_free(&kt), pml_aligned_free(y[0].data), pml_aligned_free(y[1].data);
}

/* CumSum (prod 0) or CumProd (prod 1) along axis 1 of [2, n, 3]: the naive loop accumulates in
 * scan order in the kernel's compute type (float for floats, uint64 wrapping for integers). */
static void check_typed_cumulative(pml_dtype dt, int64_t n, int mode, int prod) {
    int64_t xd[3] = {2, n, 3}, axis = 1;
    pml_tensor x = tt_typed_rand(dt, 3, xd, (unsigned)(n * 3 + dt)), at_axis = t_i64(0, NULL, &axis, 1), y;
    pml_tensor *in[2] = {&x, &at_axis};
    const int excl = mode & 1, rev = mode >> 1;
    pml_attr ca[2] = {attr_int("exclusive", excl), attr_int("reverse", rev)};
    CHECK_OK(tt_ref(prod ? PML_OP_CUMPROD : PML_OP_CUMSUM, ca, 2, in, 2, &y));
    int bad = y.dtype != dt;
    for (int64_t b = 0; b < 2 && !bad; b++)
        for (int64_t c = 0; c < 3 && !bad; c++) {
            float f = prod ? 1.0f : 0.0f;
            uint64_t u = prod ? 1 : 0;
            for (int64_t k = 0; k < n && !bad; k++) {
                const int64_t e = (b * n + (rev ? n - 1 - k : k)) * 3 + c;
                const float v = (float)tt_get(&x, e);
                const uint64_t w = tt_is_float(dt) ? 0 : tt_bits(&x, e);
                if (!excl) f = prod ? f * v : f + v, u = prod ? u * w : u + w;
                float want = dt == PML_FLOAT16 ? pml_f16_to_f32_scalar(pml_f32_to_f16_scalar(f)) : f;
                bad = tt_is_float(dt) ? (float)tt_get(&y, e) != want : tt_bits(&y, e) != tt_wrap(dt, u);
                if (excl) f = prod ? f * v : f + v, u = prod ? u * w : u + w;
            }
        }
    if (bad)
        fprintf(stderr, "%s %s n %lld mode %d: wrong\n", prod ? "CumProd" : "CumSum", pml_dtype_name(dt), (long long)n,
                mode);
    CHECK(!bad);
    tt_free(&x), tt_free(&at_axis), tt_free(&y);
}

/* One reduction step of the oracle: out[at] = out[at] (red) upd[k]. */
static void scatter_step(pml_tensor *out, int64_t at, const pml_tensor *upd, int64_t k, int red) {
    double a = tt_get(out, at), b = tt_get(upd, k);
    if (tt_is_float(out->dtype) || out->dtype == PML_BOOL) {
        double r = red == 1 ? a + b : red == 2 ? a * b : red == 3 ? (b > a ? b : a) : (b < a ? b : a);
        tt_set(out, at, r);
        return;
    }
    uint64_t x = tt_bits(out, at), v = tt_bits(upd, k);
    set_bits(out, at, red == 1 ? x + v : red == 2 ? x * v : red == 3 ? (b > a ? v : x) : (b < a ? v : x));
}

static void check_typed_scatter(pml_dtype dt, int64_t n, int red) {
    int64_t dd[2] = {3, n}, id[2] = {3, 2 * n};
    pml_tensor data = tt_typed_rand(dt, 2, dd, (unsigned)(n + red)), upd = tt_typed_rand(dt, 2, id, (unsigned)(n * red + 1));
    pml_tensor idx = tt_make(PML_INT64, 2, id, NULL), y;
    for (int64_t k = 0; k < 6 * n; k++) as_i64(&idx)[k] = (k * 7) % n - (k & 1 ? n : 0); /* duplicates, negatives */
    pml_tensor *in[3] = {&data, &idx, &upd};
    pml_attr at[2] = {attr_int("axis", 1), attr_int("reduction", red)};
    CHECK_OK(tt_ref(PML_OP_SCATTERELEMENTS, at, 2, in, 3, &y));
    pml_tensor want = tt_make(dt, 2, dd, data.data);
    for (int64_t r = 0; r < 3; r++)
        for (int64_t c = 0; c < 2 * n; c++) {
            int64_t v = as_i64(&idx)[r * 2 * n + c];
            scatter_step(&want, r * n + (v < 0 ? v + n : v), &upd, r * 2 * n + c, red);
        }
    int ok = tt_same_bytes(&y, &want);
    if (!ok) fprintf(stderr, "ScatterElements %s n %lld reduction %d: wrong\n", pml_dtype_name(dt), (long long)n, red);
    CHECK(ok);
    tt_free(&y), tt_free(&want);
    /* ScatterND: rows of data [n, 3] by index tuples (slices of 3 elements) */
    int64_t nd_d[2] = {n, 3}, nd_i[2] = {4, 1}, nd_u[2] = {4, 3}, rows[4] = {0, n - 1, 0, n / 2};
    pml_tensor d2 = tt_typed_rand(dt, 2, nd_d, 5), i2 = tt_make(PML_INT64, 2, nd_i, rows), u2 = tt_typed_rand(dt, 2, nd_u, 6);
    pml_tensor *in2[3] = {&d2, &i2, &u2};
    pml_attr at2[1] = {attr_int("reduction", red)};
    CHECK_OK(tt_ref(PML_OP_SCATTERND, at2, 1, in2, 3, &y));
    want = tt_make(dt, 2, nd_d, d2.data);
    for (int64_t t = 0; t < 4; t++)
        for (int64_t e = 0; e < 3; e++) scatter_step(&want, rows[t] * 3 + e, &u2, t * 3 + e, red);
    ok = tt_same_bytes(&y, &want);
    if (!ok) fprintf(stderr, "ScatterND %s n %lld reduction %d: wrong\n", pml_dtype_name(dt), (long long)n, red);
    CHECK(ok);
    tt_free(&y), tt_free(&want), tt_free(&d2), tt_free(&i2), tt_free(&u2);
    tt_free(&data), tt_free(&upd), tt_free(&idx);
}

static void check_typed_range(pml_dtype dt, int64_t n) {
    int64_t one[1] = {1};
    pml_tensor t[3];
    double v[3] = {-3, -3 + 2.0 * (double)n - 1, 2}; /* n elements */
    for (int k = 0; k < 3; k++) {
        t[k] = tt_make(dt, 1, one, NULL);
        tt_set(&t[k], 0, v[k]);
        t[k].value_known = 1;
    }
    pml_tensor *in[3] = {&t[0], &t[1], &t[2]}, y;
    CHECK_OK(tt_ref(PML_OP_RANGE, NULL, 0, in, 3, &y));
    int bad = y.dtype != dt || y.dims[0] != n;
    for (int64_t k = 0; k < n && !bad; k++) bad = tt_get(&y, k) != -3 + 2.0 * (double)k;
    if (bad) fprintf(stderr, "Range %s n %lld: wrong\n", pml_dtype_name(dt), (long long)n);
    CHECK(!bad);
    tt_free(&y);
    for (int k = 0; k < 3; k++) tt_free(&t[k]);
}

/* OneHot with indices of dtype dt (values as typed_rand gives, so some are negative or out of range). */
static void check_typed_onehot(pml_dtype dt, int64_t n) {
    int64_t two = 2, depth = 5;
    float vals[2] = {-1.0f, 9.0f};
    pml_tensor idx = tt_typed_rand(dt, 1, &n, (unsigned)(n + 3 * dt)), values = tt_make(PML_FLOAT32, 1, &two, vals), y;
    pml_tensor *in[2] = {&idx, &values};
    pml_attr at[2] = {attr_int("depth", depth), attr_int("axis", -1)};
    CHECK_OK(tt_ref(PML_OP_ONEHOT, at, 2, in, 2, &y));
    int bad = y.dims[0] != n || y.dims[1] != depth;
    for (int64_t i = 0; i < n && !bad; i++) {
        int64_t v = (int64_t)tt_get(&idx, i); /* truncation toward zero */
        if (v < 0) v += depth;
        for (int64_t c = 0; c < depth && !bad; c++) bad = as_f32(&y)[i * depth + c] != (c == v ? 9.0f : -1.0f);
    }
    if (bad) fprintf(stderr, "OneHot with %s indices, n %lld: wrong\n", pml_dtype_name(dt), (long long)n);
    CHECK(!bad);
    tt_free(&idx), tt_free(&values), tt_free(&y);
}

/* ReverseSequence of x [n, 3, 2] (time 0, batch 1) and its transpose-like [3, n, 2] (batch 0,
 * time 1) with lengths n, 0, n / 2 + 1 clamped to n: rows compared bit for bit. */
static void check_typed_reverse_sequence(pml_dtype dt, int64_t n) {
    int64_t lens[3] = {n, 0, n / 2 + 1 > n ? n : n / 2 + 1}, three = 3;
    for (int batch = 0; batch < 2; batch++) {
        int64_t xd[3] = {batch ? n : 3, batch ? 3 : n, 2};
        pml_tensor x = tt_typed_rand(dt, 3, xd, (unsigned)(n * 5 + dt)), lt = t_i64(1, &three, lens, 0), y;
        pml_tensor *in[2] = {&x, &lt};
        pml_attr at[2] = {attr_int("batch_axis", batch), attr_int("time_axis", 1 - batch)};
        CHECK_OK(tt_ref(PML_OP_REVERSESEQUENCE, at, 2, in, 2, &y));
        int bad = y.dtype != dt;
        for (int64_t b = 0; b < 3 && !bad; b++)
            for (int64_t t = 0; t < n && !bad; t++)
                for (int64_t e = 0; e < 2 && !bad; e++) {
                    int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
                    const int64_t yo = (batch ? t * 3 + b : b * n + t) * 2 + e;
                    const int64_t xo = (batch ? from * 3 + b : b * n + from) * 2 + e;
                    const size_t es = pml_dtype_size(dt);
                    bad = memcmp((const char *)y.data + yo * es, (const char *)x.data + xo * es, es) != 0;
                }
        if (bad)
            fprintf(stderr, "ReverseSequence %s n %lld batch %d: wrong\n", pml_dtype_name(dt), (long long)n, batch);
        CHECK(!bad);
        tt_free(&x), tt_free(&lt), tt_free(&y);
    }
}

/* ReverseSequence: bad axes and lengths shape (infer), a length beyond the time steps (run). */
static void test_reverse_sequence_errors(void) {
    int64_t xd[2] = {4, 3}, three = 3, two = 2, ok[3] = {4, 0, 1}, bad[3] = {4, 5, 0};
    pml_tensor x = tt_typed_rand(PML_FLOAT32, 2, xd, 1), good = t_i64(1, &three, ok, 0);
    pml_tensor far = t_i64(1, &three, bad, 0), short_lens = t_i64(1, &two, ok, 0);
    pml_tensor *in[2] = {&x, &far}, *in_short[2] = {&x, &short_lens}, *in_ok[2] = {&x, &good};
    pml_attr same[2] = {attr_int("batch_axis", 0), attr_int("time_axis", 0)};
    expect_runtime_error("ReverseSequence length 5 of 4 steps", PML_OP_REVERSESEQUENCE, NULL, 0, in, 2,
                         "sequence_lens[1] = 5");
    tt_expect_error("ReverseSequence lens [2] for batch 3", PML_ERR_SHAPE, PML_OP_REVERSESEQUENCE, NULL, 0, in_short,
                    2, 1);
    tt_expect_error("ReverseSequence both axes 0", PML_ERR_INVALID_MODEL, PML_OP_REVERSESEQUENCE, same, 2, in_ok, 2,
                    1);
    tt_free(&x), tt_free(&good), tt_free(&far), tt_free(&short_lens);
}

static void test_typed_index(void) {
    for (int d = 0; d < TT_N_DTYPES; d++) {
        pml_dtype dt = tt_all_dtypes[d];
        for (int s = 0; s < TT_N_SIZES; s++) {
            int64_t n = tt_sizes[s];
            if (dt != PML_BOOL) check_typed_topk(dt, n, 1), check_typed_topk(dt, n, 0), check_typed_onehot(dt, n);
            if (cumsum_allowed(dt))
                for (int mode = 0; mode < 4; mode++)
                    check_typed_cumulative(dt, n, mode, 0), check_typed_cumulative(dt, n, mode, 1);
            for (int red = 1; red <= 4; red++) check_typed_scatter(dt, n, red);
            check_typed_reverse_sequence(dt, n);
            if (dt == PML_FLOAT32 || dt == PML_FLOAT16 || dt == PML_INT16 || dt == PML_INT32 || dt == PML_INT64)
                check_typed_range(dt, n);
        }
    }
    /* outside ONNX's types: CumSum on int8, Range on uint8, TopK on bool */
    int64_t one[1] = {1}, zero = 0;
    pml_tensor x8 = tt_make(PML_INT8, 1, one, NULL), xu = tt_make(PML_UINT8, 1, one, NULL);
    pml_tensor xb = tt_make(PML_BOOL, 1, one, NULL), kt = t_i64(0, NULL, &zero, 1);
    xu.value_known = 1;
    pml_tensor *in[3] = {&x8};
    tt_expect_error("CumSum int8", PML_ERR_DTYPE, PML_OP_CUMSUM, NULL, 0, in, 1, 1);
    tt_expect_error("CumProd int8", PML_ERR_DTYPE, PML_OP_CUMPROD, NULL, 0, in, 1, 1);
    in[0] = in[1] = in[2] = &xu;
    tt_expect_error("Range uint8", PML_ERR_DTYPE, PML_OP_RANGE, NULL, 0, in, 3, 1);
    in[0] = &xb, in[1] = &kt;
    tt_expect_error("TopK bool", PML_ERR_DTYPE, PML_OP_TOPK, NULL, 0, in, 2, 2);
    tt_free(&x8), tt_free(&xu), tt_free(&xb), tt_free(&kt);
}

/* ---- TensorScatter ------------------------------------------------------------------------------------ */

/* cache [2, 3, n+1, 2] updated by [2, 3, n, 2] along axis 2 (as -2), linear and circular */
static void check_tensor_scatter(pml_dtype dt, int64_t n) {
    const int64_t cd[4] = {2, 3, n + 1, 2}, ud[4] = {2, 3, n, 2}, wd[1] = {2};
    pml_tensor c = tt_typed_rand(dt, 4, cd, (unsigned)(n + dt)), u = tt_typed_rand(dt, 4, ud, (unsigned)(n * 3 + dt));
    const int64_t lin[2] = {1, 0}, circ[2] = {n + 4, -2};
    for (int mode = 0; mode < 2; mode++) {
        const int64_t *w = mode ? circ : lin;
        pml_tensor wi = tt_make(PML_INT64, 1, wd, w), y, want = tt_make(dt, 4, cd, c.data);
        pml_tensor *in[3] = {&c, &u, &wi};
        pml_attr at[2] = {attr_int("axis", -2), attr_int("circular", mode)};
        CHECK_OK(tt_ref(PML_OP_TENSORSCATTER, at, 2, in, 3, &y));
        const size_t es = pml_dtype_size(dt);
        for (int64_t b = 0; b < 2; b++)
            for (int64_t o = 0; o < 3; o++)
                for (int64_t t = 0; t < n; t++) {
                    const int64_t p = ((w[b] + t) % (n + 1) + (n + 1)) % (n + 1);
                    memcpy((char *)want.data + (size_t)(((b * 3 + o) * (n + 1) + p) * 2) * es,
                           (const char *)u.data + (size_t)(((b * 3 + o) * n + t) * 2) * es, 2 * es);
                }
        int ok = tt_same_bytes(&y, &want);
        if (!ok) fprintf(stderr, "TensorScatter mode %d on %s, n %lld\n", mode, pml_dtype_name(dt), (long long)n);
        CHECK(ok);
        tt_free(&y), tt_free(&want), tt_free(&wi);
    }
    tt_free(&c), tt_free(&u);
}

static void test_tensor_scatter(void) {
    for (int d = 0; d < TT_N_DTYPES; d++)
        for (int s = 0; s < TT_N_SIZES; s++) check_tensor_scatter(tt_all_dtypes[d], tt_sizes[s]);
    const int64_t cd[3] = {2, 4, 3}, ud[3] = {2, 2, 3}, wd[1] = {2}, over[2] = {0, 3}, big[3] = {2, 5, 3};
    pml_tensor c = tt_typed_rand(PML_FLOAT32, 3, cd, 1), u = tt_typed_rand(PML_FLOAT32, 3, ud, 2);
    pml_tensor wi = tt_make(PML_INT64, 1, wd, over), ub = tt_typed_rand(PML_FLOAT32, 3, big, 3), y;
    pml_tensor *in[3] = {&c, &u, &wi};
    pml_attr lin = attr_int("axis", 1);
    expect_runtime_error("TensorScatter past the end", PML_OP_TENSORSCATTER, &lin, 1, in, 3, "write_indices[1] = 3");
    pml_attr zero = attr_int("axis", 0);
    CHECK(tt_ref(PML_OP_TENSORSCATTER, &zero, 1, in, 2, &y) == PML_ERR_INVALID_MODEL);
    in[1] = &ub; /* update longer than the cache */
    CHECK(tt_ref(PML_OP_TENSORSCATTER, &lin, 1, in, 2, &y) == PML_ERR_SHAPE);
    tt_free(&c), tt_free(&u), tt_free(&wi), tt_free(&ub);
}

int main(void) {
    test_tensor_scatter();
    test_gather();
    test_gather_scatter_elements();
    test_gather_scatter_nd();
    test_onehot_topk();
    test_trilu_cumsum();
    test_typed_index();
    test_reverse_sequence_errors();
    return test_finish("test_index");
}
