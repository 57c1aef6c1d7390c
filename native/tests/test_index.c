/*
 * test_index.c — the shape, index and extra reduction ops of issue 3:
 * Shape, Size, ConstantOfShape, Range, Expand, Tile, parameters read from
 * inputs known while planning (Reshape, Slice, Split: value_known set by
 * hand, as the session does for shape subgraphs, and a clear error when the
 * value is unknown), GatherElements, GatherND, ScatterElements, ScatterND,
 * OneHot, TopK, Trilu, CumSum, ArgMax/ArgMin and ReduceMin/Prod/L1/L2/
 * SumSquare/LogSumExp against naive loops at awkward sizes, with the
 * best ISA and two threads against the reference, and every out-of-range
 * index as a PML_ERR_RUNTIME error naming the value and the bound.
 */
#include "ew_testutil.h"

static pml_tensor t_i64(int rank, const int64_t *dims, const int64_t *vals, int known) {
    pml_tensor t = tt_make(PML_INT64, rank, dims, vals);
    t.value_known = known;
    return t;
}

static int64_t *as_i64(const pml_tensor *t) { return (int64_t *)t->data; }
static float *as_f32(const pml_tensor *t) { return (float *)t->data; }

static void expect_runtime_error(const char *what, int op, const pml_attr *at, int n_at, pml_tensor **in, int n_in,
                                 const char *needle) {
    pml_tensor out[2];
    pml_status s = pml_test_op(op, at, n_at, in, n_in, out, 1, 1, 1);
    int ok = s == PML_ERR_RUNTIME && strstr(pml_last_error(), needle) != NULL;
    if (!ok) fprintf(stderr, "%s: got %s: %s\n", what, pml_status_string(s), pml_last_error());
    CHECK(ok);
    pml_aligned_free(out[0].data);
}

/* ---- shape ops and parameters known while planning ---------------------------------------------------- */

static void test_shape_size_constant_of_shape(void) {
    int64_t d[3] = {2, 7, 13}, n3 = 3;
    pml_tensor x = tt_rand(3, d, -1, 1), y;
    pml_tensor *in[1] = {&x};
    pml_attr at[2] = {attr_int("start", 1), attr_int("end", -0)};
    CHECK_OK(tt_ref(PML_OP_SHAPE, at, 1, in, 1, &y));
    CHECK(y.rank == 1 && y.dims[0] == 2 && as_i64(&y)[0] == 7 && as_i64(&y)[1] == 13);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_SHAPE, at + 1, 1, in, 1, &y)); /* end 0: empty */
    CHECK(y.rank == 1 && y.dims[0] == 0);
    tt_free(&y);
    CHECK_OK(tt_ref(PML_OP_SIZE, NULL, 0, in, 1, &y));
    CHECK(y.rank == 0 && as_i64(&y)[0] == 2 * 7 * 13);
    tt_free(&y);

    int64_t dims[3] = {3, 1, 9};
    pml_tensor shape = t_i64(1, &n3, dims, 1);
    pml_tensor *sin[1] = {&shape};
    float v = 2.5f;
    pml_attr cat[2] = {attr_floats("value", &v, 1), attr_int("dtype", PML_INT32)};
    CHECK_OK(tt_ref(PML_OP_CONSTANTOFSHAPE, cat, 2, sin, 1, &y));
    CHECK(tt_shape_is(&y, 3, dims) && y.dtype == PML_INT32 && ((int32_t *)y.data)[26] == 2);
    tt_free(&y);
    shape.value_known = 0; /* computed only at run time: a clear error in infer */
    tt_expect_error("ConstantOfShape unknown shape", PML_ERR_UNSUPPORTED, PML_OP_CONSTANTOFSHAPE, cat, 2, sin, 1, 1);
    CHECK(strstr(pml_last_error(), "known while planning") != NULL);
    int64_t neg[3] = {3, -1, 2};
    pml_tensor bad = t_i64(1, &n3, neg, 1);
    pml_tensor *bin[1] = {&bad};
    tt_expect_error("ConstantOfShape negative dim", PML_ERR_SHAPE, PML_OP_CONSTANTOFSHAPE, cat, 2, bin, 1, 1);
    tt_free(&bad), tt_free(&shape), tt_free(&x);
}

static void test_params_from_inputs(void) {
    int64_t d[2] = {6, 4}, n2 = 2, n1 = 1;
    pml_tensor x = tt_rand(2, d, -1, 1), y;
    /* Reshape to [-1, 3] given as an input */
    int64_t target[2] = {-1, 3};
    pml_tensor shape = t_i64(1, &n2, target, 1);
    pml_tensor *in[2] = {&x, &shape};
    CHECK_OK(tt_ref(PML_OP_RESHAPE, NULL, 0, in, 2, &y));
    int64_t want[2] = {8, 3};
    CHECK(tt_shape_is(&y, 2, want) && memcmp(y.data, x.data, x.nbytes) == 0);
    tt_free(&y);
    shape.value_known = 0;
    tt_expect_error("Reshape unknown shape", PML_ERR_UNSUPPORTED, PML_OP_RESHAPE, NULL, 0, in, 2, 1);
    CHECK(strstr(pml_last_error(), "Reshape") != NULL);

    /* Slice x[1:5:2, -1:] with bounds as inputs */
    int64_t st[2] = {1, -1}, en[2] = {5, 100}, ax[2] = {0, 1}, sp[2] = {2, 1};
    pml_tensor ts = t_i64(1, &n2, st, 1), te = t_i64(1, &n2, en, 1), ta = t_i64(1, &n2, ax, 1),
               tp = t_i64(1, &n2, sp, 1);
    pml_tensor *sin[5] = {&x, &ts, &te, &ta, &tp};
    CHECK_OK(tt_ref(PML_OP_SLICE, NULL, 0, sin, 5, &y));
    int64_t sw[2] = {2, 1};
    CHECK(tt_shape_is(&y, 2, sw) && as_f32(&y)[0] == as_f32(&x)[1 * 4 + 3] && as_f32(&y)[1] == as_f32(&x)[3 * 4 + 3]);
    tt_free(&y);
    te.value_known = 0;
    tt_expect_error("Slice unknown ends", PML_ERR_UNSUPPORTED, PML_OP_SLICE, NULL, 0, sin, 5, 1);

    /* Split [6,4] on axis 0 into sizes {1, 5} from an input */
    int64_t sizes[2] = {1, 5};
    pml_tensor tsz = t_i64(1, &n2, sizes, 1);
    pml_tensor *pin[2] = {&x, &tsz}, outs[2];
    pml_attr at[1] = {attr_int("axis", 0)};
    CHECK_OK(pml_test_op(PML_OP_SPLIT, at, 1, pin, 2, outs, 2, 1, 1));
    CHECK(outs[0].dims[0] == 1 && outs[1].dims[0] == 5 && as_f32(&outs[1])[0] == as_f32(&x)[4]);
    tt_free(&outs[0]), tt_free(&outs[1]);

    /* Range: int64 and float32, bounds known while planning */
    int64_t r0 = 10, r1 = -3, r2 = -4;
    pml_tensor a = t_i64(0, NULL, &r0, 1), b = t_i64(0, NULL, &r1, 1), c = t_i64(0, NULL, &r2, 1);
    pml_tensor *rin[3] = {&a, &b, &c};
    CHECK_OK(tt_ref(PML_OP_RANGE, NULL, 0, rin, 3, &y));
    CHECK(y.dims[0] == 4 && as_i64(&y)[3] == -2);
    tt_free(&y);
    as_i64(&c)[0] = 0;
    tt_expect_error("Range delta 0", PML_ERR_INVALID_MODEL, PML_OP_RANGE, NULL, 0, rin, 3, 1);
    as_i64(&c)[0] = -4;
    b.value_known = 0;
    tt_expect_error("Range unknown limit", PML_ERR_UNSUPPORTED, PML_OP_RANGE, NULL, 0, rin, 3, 1);
    float f0 = 0.5f, f1 = 3.2f, f2 = 0.7f;
    pml_tensor fa = tt_make(PML_FLOAT32, 1, &n1, &f0), fb = tt_make(PML_FLOAT32, 1, &n1, &f1),
               fc = tt_make(PML_FLOAT32, 1, &n1, &f2);
    fa.value_known = fb.value_known = fc.value_known = 1;
    pml_tensor *fin[3] = {&fa, &fb, &fc};
    CHECK_OK(tt_ref(PML_OP_RANGE, NULL, 0, fin, 3, &y));
    CHECK(y.dims[0] == 4 && fabsf(as_f32(&y)[3] - 2.6f) < 1e-6f);
    tt_free(&y);
    tt_free(&fa), tt_free(&fb), tt_free(&fc), tt_free(&a), tt_free(&b), tt_free(&c);
    tt_free(&tsz), tt_free(&ts), tt_free(&te), tt_free(&ta), tt_free(&tp), tt_free(&shape), tt_free(&x);
}

/* ---- Expand, Tile --------------------------------------------------------------------------------------- */

static void test_expand_tile(void) {
    static const int64_t sizes[] = {1, 7, 8, 9, 13, 127};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t n = sizes[i], xd[3] = {n, 1, 3}, shape[2] = {5, 1}, n2 = 2;
        pml_tensor x = tt_rand(3, xd, -1, 1), y, sh = t_i64(1, &n2, shape, 1);
        pml_tensor *in[2] = {&x, &sh};
        tt_check_isa("Expand", PML_OP_EXPAND, NULL, 0, in, 2, 0, 0, &y);
        int64_t want[3] = {n, 5, 3};
        CHECK(tt_shape_is(&y, 3, want));
        int ok = 1;
        for (int64_t a = 0; a < n; a++)
            for (int64_t b = 0; b < 5; b++)
                for (int64_t c = 0; c < 3; c++) ok &= as_f32(&y)[(a * 5 + b) * 3 + c] == as_f32(&x)[a * 3 + c];
        CHECK(ok);
        tt_free(&y), tt_free(&x), tt_free(&sh);
    }
    /* Expand that only broadcasts: [n] -> [4, n] */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t n = sizes[i], shape[2] = {4, n};
        pml_tensor x = tt_rand(1, &n, -1, 1), y;
        pml_tensor *in[1] = {&x};
        pml_attr at[1] = {attr_ints("shape", shape, 2)};
        tt_check_isa("Expand row", PML_OP_EXPAND, at, 1, in, 1, 0, 0, &y);
        CHECK(tt_shape_is(&y, 2, shape) && memcmp(as_f32(&y) + 3 * n, x.data, x.nbytes) == 0);
        tt_free(&y), tt_free(&x);
    }
    int64_t bad_shape[2] = {3, 5};
    int64_t xd[2] = {2, 5};
    pml_tensor x = tt_rand(2, xd, -1, 1);
    pml_tensor *in[1] = {&x};
    pml_attr at[1] = {attr_ints("shape", bad_shape, 2)};
    tt_expect_error("Expand not broadcastable", PML_ERR_SHAPE, PML_OP_EXPAND, at, 1, in, 1, 1);

    /* Tile [2,5] by {3, 1}, {1, 2}, {0, 4} */
    static const int64_t reps[][2] = {{3, 1}, {1, 2}, {2, 3}, {0, 4}};
    for (int r = 0; r < 4; r++) {
        pml_tensor y;
        pml_attr ta[1] = {attr_ints("repeats", reps[r], 2)};
        tt_check_isa("Tile", PML_OP_TILE, ta, 1, in, 1, 0, 0, &y);
        int64_t want[2] = {2 * reps[r][0], 5 * reps[r][1]};
        CHECK(tt_shape_is(&y, 2, want));
        int ok = 1;
        for (int64_t a = 0; a < want[0]; a++)
            for (int64_t b = 0; b < want[1]; b++) ok &= as_f32(&y)[a * want[1] + b] == as_f32(&x)[(a % 2) * 5 + b % 5];
        CHECK(ok);
        tt_free(&y);
    }
    int64_t wrong[1] = {2};
    pml_attr ta[1] = {attr_ints("repeats", wrong, 1)};
    tt_expect_error("Tile repeats rank", PML_ERR_SHAPE, PML_OP_TILE, ta, 1, in, 1, 1);
    tt_free(&x);
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
    tt_expect_error("ReduceL2 on int64", PML_ERR_DTYPE, PML_OP_REDUCEL2, at, 2, in, 1, 1);
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

int main(void) {
    test_shape_size_constant_of_shape();
    test_params_from_inputs();
    test_expand_tile();
    test_gather_scatter_elements();
    test_gather_scatter_nd();
    test_onehot_topk();
    test_trilu_cumsum();
    test_reductions();
    return test_finish("test_index");
}
