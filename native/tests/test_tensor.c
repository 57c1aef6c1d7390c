/*
 * test_tensor.c — Concat, Reshape, Transpose, Slice, Split, Pad, Resize and
 * Gather: reference kernels against naive index arithmetic and (Resize)
 * values produced by the ONNX reference implementation, the AVX2 transpose
 * and 2 threads against the reference, several dtypes, and the error paths
 * (bad axes, mismatched shapes, Gather index out of range).
 */
#include "ew_testutil.h"

static int64_t numel(int r, const int64_t *d) { return pml_shape_numel(r, d); }

/* fills 4-byte elements with their own index (float or int) */
static pml_tensor iota(pml_dtype dt, int rank, const int64_t *dims) {
    pml_tensor t = tt_make(dt, rank, dims, NULL);
    int64_t n = numel(rank, dims);
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case PML_FLOAT32: ((float *)t.data)[i] = (float)i; break;
        case PML_INT64: ((int64_t *)t.data)[i] = i * 1000003; break;
        case PML_INT32: ((int32_t *)t.data)[i] = (int32_t)i; break;
        case PML_FLOAT16: ((uint16_t *)t.data)[i] = (uint16_t)i; break;
        default: ((uint8_t *)t.data)[i] = (uint8_t)(i * 7); break;
        }
    }
    return t;
}

/* ---- Concat / Split ------------------------------------------------------------------------------------- */

static void test_concat_split(void) {
    for (int axis = -3; axis < 3; axis++) {
        int ax = axis < 0 ? axis + 3 : axis;
        int64_t d0[3] = {2, 3, 4}, d1[3] = {2, 3, 4}, d2[3] = {2, 3, 4};
        d1[ax] = 1, d2[ax] = 5;
        pml_tensor a = iota(PML_INT64, 3, d0), b = iota(PML_INT64, 3, d1), c = iota(PML_INT64, 3, d2), y;
        pml_tensor *in[3] = {&a, &b, &c};
        pml_attr at = attr_int("axis", axis);
        tt_check_isa("concat", PML_OP_CONCAT, &at, 1, in, 3, -1, 0, &y);
        int64_t dy[3] = {2, 3, 4}, na = d0[ax];
        dy[ax] = na + 6;
        CHECK(tt_shape_is(&y, 3, dy));
        int ok = 1;
        for (int64_t i = 0; i < numel(3, dy); i++) {
            int64_t idx[3] = {i / (dy[1] * dy[2]), (i / dy[2]) % dy[1], i % dy[2]};
            const pml_tensor *src = idx[ax] < na ? &a : (idx[ax] < na + 1 ? &b : &c);
            idx[ax] -= idx[ax] < na ? 0 : (idx[ax] < na + 1 ? na : na + 1);
            int64_t off = (idx[0] * src->dims[1] + idx[1]) * src->dims[2] + idx[2];
            ok &= ((int64_t *)y.data)[i] == ((int64_t *)src->data)[off];
        }
        CHECK(ok);
        /* Split undoes it */
        int64_t sizes[3] = {na, 1, 5};
        pml_attr sat[2] = {attr_int("axis", axis), attr_ints("split", sizes, 3)};
        pml_tensor parts[3];
        pml_tensor *yin[1] = {&y};
        CHECK_OK(pml_test_op(PML_OP_SPLIT, sat, 2, yin, 1, parts, 3, 1, 1));
        CHECK(tt_same_bytes(&parts[0], &a) && tt_same_bytes(&parts[1], &b) && tt_same_bytes(&parts[2], &c));
        for (int i = 0; i < 3; i++) tt_free(&parts[i]);
        CHECK_OK(pml_test_op(PML_OP_SPLIT, sat, 2, yin, 1, parts, 3, 0, 2));
        CHECK(tt_same_bytes(&parts[0], &a) && tt_same_bytes(&parts[1], &b) && tt_same_bytes(&parts[2], &c));
        for (int i = 0; i < 3; i++) tt_free(&parts[i]);
        tt_free(&y), tt_free(&a), tt_free(&b), tt_free(&c);
    }
    /* equal split without sizes (last part smaller, ONNX 18) */
    int64_t d[2] = {7, 2};
    pml_tensor x = iota(PML_FLOAT32, 2, d), parts[3];
    pml_tensor *xin[1] = {&x};
    CHECK_OK(pml_test_op(PML_OP_SPLIT, NULL, 0, xin, 1, parts, 3, 1, 1));
    CHECK(parts[0].dims[0] == 3 && parts[1].dims[0] == 3 && parts[2].dims[0] == 1 &&
          ((float *)parts[2].data)[1] == 13.0f);
    for (int i = 0; i < 3; i++) tt_free(&parts[i]);
    int64_t bad_sizes[2] = {3, 3};
    pml_attr bad = attr_ints("split", bad_sizes, 2);
    tt_expect_error("split sizes do not sum", PML_ERR_SHAPE, PML_OP_SPLIT, &bad, 1, xin, 1, 2);
    tt_expect_error("split count mismatch", PML_ERR_INVALID_MODEL, PML_OP_SPLIT, &bad, 1, xin, 1, 3);
    pml_attr bad_axis = attr_int("axis", 2);
    tt_expect_error("split bad axis", PML_ERR_INVALID_MODEL, PML_OP_SPLIT, &bad_axis, 1, xin, 1, 2);
    /* Concat errors */
    int64_t e[2] = {7, 3};
    pml_tensor z = iota(PML_FLOAT32, 2, e), zi = iota(PML_INT32, 2, d);
    pml_tensor *cin[2] = {&x, &z};
    pml_attr a0 = attr_int("axis", 0);
    tt_expect_error("concat mismatched dims", PML_ERR_SHAPE, PML_OP_CONCAT, &a0, 1, cin, 2, 1);
    cin[1] = &zi;
    tt_expect_error("concat mismatched dtypes", PML_ERR_DTYPE, PML_OP_CONCAT, &a0, 1, cin, 2, 1);
    pml_attr a5 = attr_int("axis", 5);
    tt_expect_error("concat bad axis", PML_ERR_INVALID_MODEL, PML_OP_CONCAT, &a5, 1, cin, 1, 1);
    tt_expect_error("concat without axis", PML_ERR_INVALID_MODEL, PML_OP_CONCAT, NULL, 0, cin, 1, 1);
    /* large threaded concat */
    int64_t bd[3] = {64, 100, 40};
    pml_tensor b1 = tt_rand(3, bd, 0, 1), b2 = tt_rand(3, bd, 0, 1);
    pml_tensor *bin[2] = {&b1, &b2};
    pml_attr a2 = attr_int("axis", 2);
    tt_check_isa("concat large", PML_OP_CONCAT, &a2, 1, bin, 2, -1, 0, NULL);
    tt_free(&b1), tt_free(&b2), tt_free(&x), tt_free(&z), tt_free(&zi);
}

/* ---- Reshape ---------------------------------------------------------------------------------------------- */

static void test_reshape(void) {
    int64_t d[3] = {2, 3, 4};
    pml_tensor x = iota(PML_FLOAT32, 3, d), y;
    pml_tensor *in[1] = {&x};
    int64_t s1[3] = {0, -1, 2}, w1[3] = {2, 6, 2};
    pml_attr a = attr_ints("shape", s1, 3);
    CHECK_OK(tt_ref(PML_OP_RESHAPE, &a, 1, in, 1, &y));
    CHECK(tt_shape_is(&y, 3, w1) && memcmp(y.data, x.data, x.nbytes) == 0);
    tt_free(&y);
    int64_t s2[1] = {-1}, w2[1] = {24};
    a = attr_ints("shape", s2, 1);
    CHECK_OK(tt_ref(PML_OP_RESHAPE, &a, 1, in, 1, &y));
    CHECK(tt_shape_is(&y, 1, w2));
    tt_free(&y);
    /* errors: two -1, size mismatch, -2, 0 past the input rank */
    int64_t e1[2] = {-1, -1}, e2[2] = {5, 5}, e3[2] = {-2, 12}, e4[4] = {2, 3, 4, 0};
    a = attr_ints("shape", e1, 2);
    tt_expect_error("two -1", PML_ERR_INVALID_MODEL, PML_OP_RESHAPE, &a, 1, in, 1, 1);
    a = attr_ints("shape", e2, 2);
    tt_expect_error("size mismatch", PML_ERR_SHAPE, PML_OP_RESHAPE, &a, 1, in, 1, 1);
    a = attr_ints("shape", e3, 2);
    tt_expect_error("-2", PML_ERR_INVALID_MODEL, PML_OP_RESHAPE, &a, 1, in, 1, 1);
    a = attr_ints("shape", e4, 4);
    tt_expect_error("0 past rank", PML_ERR_SHAPE, PML_OP_RESHAPE, &a, 1, in, 1, 1);
    tt_expect_error("no shape", PML_ERR_INVALID_MODEL, PML_OP_RESHAPE, NULL, 0, in, 1, 1);
    int64_t huge[3] = {1LL << 62, 4, -1};
    a = attr_ints("shape", huge, 3);
    tt_expect_error("overflowing shape", PML_ERR_SHAPE, PML_OP_RESHAPE, &a, 1, in, 1, 1);
    tt_free(&x);
    /* allowzero: 0 is a real zero dim */
    int64_t dz[2] = {0, 3};
    x = tt_make(PML_FLOAT32, 2, dz, NULL);
    int64_t sz[2] = {3, 0};
    pml_attr az[2] = {attr_ints("shape", sz, 2), attr_int("allowzero", 1)};
    CHECK_OK(tt_ref(PML_OP_RESHAPE, az, 2, in, 1, &y));
    CHECK(tt_shape_is(&y, 2, sz));
    tt_free(&y);
    int64_t szm[2] = {0, -1};
    az[0] = attr_ints("shape", szm, 2);
    tt_expect_error("allowzero with 0 and -1", PML_ERR_INVALID_MODEL, PML_OP_RESHAPE, az, 2, in, 1, 1);
    tt_free(&x);
}

/* ---- Transpose ------------------------------------------------------------------------------------------- */

static void naive_transpose(const pml_tensor *x, const int *perm, pml_tensor *expect) {
    int r = x->rank;
    int64_t od[PML_MAX_RANK], n = numel(r, x->dims);
    for (int i = 0; i < r; i++) od[i] = x->dims[perm[i]];
    *expect = tt_make(x->dtype, r, od, NULL);
    size_t es = pml_dtype_size(x->dtype);
    for (int64_t o = 0; o < n; o++) {
        int64_t t = o, idx[PML_MAX_RANK], src = 0, stride = 1;
        for (int i = r - 1; i >= 0; i--) idx[i] = t % od[i], t /= od[i];
        int64_t in_idx[PML_MAX_RANK];
        for (int i = 0; i < r; i++) in_idx[perm[i]] = idx[i];
        for (int a = r - 1; a >= 0; a--) src += in_idx[a] * stride, stride *= x->dims[a];
        memcpy((char *)expect->data + o * (int64_t)es, (char *)x->data + src * (int64_t)es, es);
    }
}

static void check_transpose(pml_dtype dt, int r, const int64_t *dims, const int *perm) {
    pml_tensor x = iota(dt, r, dims), y, e;
    if (dt == PML_FLOAT32) test_fill(x.data, x.nbytes / 4, -1, 1);
    pml_tensor *in[1] = {&x};
    int64_t p[PML_MAX_RANK];
    for (int i = 0; i < r; i++) p[i] = perm[i];
    pml_attr a = attr_ints("perm", p, r);
    tt_check_isa("transpose", PML_OP_TRANSPOSE, &a, 1, in, 1, -1, 0, &y);
    naive_transpose(&x, perm, &e);
    int ok = tt_same_bytes(&y, &e);
    if (!ok) {
        char buf[64];
        fprintf(stderr, "transpose %s of %s perm %d%d%d%d... differs from naive\n", pml_dtype_name(dt),
                pml_shape_str(r, dims, buf, sizeof buf), perm[0], r > 1 ? perm[1] : 0, r > 2 ? perm[2] : 0,
                r > 3 ? perm[3] : 0);
    }
    CHECK(ok);
    tt_free(&x), tt_free(&y), tt_free(&e);
}

static void test_transpose(void) {
    static const int to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2}, odd[4] = {2, 0, 3, 1};
    static const int64_t cs[] = {1, 3, 7, 8, 9, 13, 33};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof cs / sizeof cs[0]; j += 2) {
            int64_t d[4] = {2, cs[i], cs[j], 5};
            check_transpose(PML_FLOAT32, 4, d, to_nhwc);
            check_transpose(PML_FLOAT32, 4, d, to_nchw);
            check_transpose(PML_FLOAT32, 4, d, odd);
        }
    static const pml_dtype dts[] = {PML_UINT8, PML_FLOAT16, PML_INT32, PML_INT64, PML_BOOL};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        int64_t d[4] = {1, 17, 9, 11};
        check_transpose(dts[k], 4, d, to_nhwc);
        check_transpose(dts[k], 4, d, odd);
    }
    int64_t d2[2] = {67, 45}, d5[5] = {2, 3, 1, 4, 5}, d1[1] = {9}, big[4] = {1, 64, 56, 56};
    static const int p2[2] = {1, 0}, p5[5] = {4, 2, 0, 3, 1}, p1[1] = {0}, id4[4] = {0, 1, 2, 3};
    check_transpose(PML_FLOAT32, 2, d2, p2);
    check_transpose(PML_FLOAT32, 5, d5, p5);
    check_transpose(PML_FLOAT32, 1, d1, p1);
    check_transpose(PML_FLOAT32, 4, big, to_nhwc); /* threaded */
    check_transpose(PML_FLOAT32, 4, big, id4);
    int64_t dsq[4] = {2, 1, 1, 6};                  /* size-1 axes only: a copy */
    check_transpose(PML_INT64, 4, dsq, odd);
    /* default perm reverses */
    int64_t d3[3] = {2, 3, 4};
    pml_tensor x = iota(PML_FLOAT32, 3, d3), y;
    pml_tensor *in[1] = {&x};
    CHECK_OK(tt_ref(PML_OP_TRANSPOSE, NULL, 0, in, 1, &y));
    int64_t rev[3] = {4, 3, 2};
    CHECK(tt_shape_is(&y, 3, rev) && ((float *)y.data)[1] == 12.0f);
    tt_free(&y);
    int64_t bad1[3] = {0, 0, 1}, bad2[2] = {0, 1}, bad3[3] = {0, 1, 3};
    pml_attr a = attr_ints("perm", bad1, 3);
    tt_expect_error("perm repeats", PML_ERR_INVALID_MODEL, PML_OP_TRANSPOSE, &a, 1, in, 1, 1);
    a = attr_ints("perm", bad2, 2);
    tt_expect_error("perm too short", PML_ERR_INVALID_MODEL, PML_OP_TRANSPOSE, &a, 1, in, 1, 1);
    a = attr_ints("perm", bad3, 3);
    tt_expect_error("perm out of range", PML_ERR_INVALID_MODEL, PML_OP_TRANSPOSE, &a, 1, in, 1, 1);
    tt_free(&x);
}

/* ---- Slice ------------------------------------------------------------------------------------------------ */

typedef struct slice_case {
    int64_t starts[3], ends[3], axes[3], steps[3];
    int n, has_axes, has_steps;
    int64_t want[3]; /* output dims of a [10, 8, 6] input */
} slice_case;

static void test_slice(void) {
    const slice_case cases[] = {
        {{1, 0, 0}, {5, 8, 6}, {0}, {0}, 3, 0, 0, {4, 8, 6}},
        {{-3}, {INT64_MAX}, {1}, {1}, 1, 1, 1, {10, 3, 6}},          /* negative start, huge end */
        {{9}, {INT64_MIN}, {0}, {-1}, 1, 1, 1, {10, 8, 6}},          /* full reverse */
        {{20, -100}, {-20, 100}, {0, 2}, {-3, 2}, 2, 1, 1, {4, 8, 3}}, /* clamping both ways */
        {{5}, {5}, {-1}, {1}, 1, 1, 1, {10, 8, 0}},                  /* empty */
        {{-1, 1}, {-9, 7}, {-2, 0}, {-2, 5}, 2, 1, 1, {2, 4, 6}},
        {{0}, {8}, {1}, {INT64_MAX}, 1, 1, 1, {10, 1, 6}},           /* step past the end */
        {{7}, {0}, {1}, {INT64_MIN}, 1, 1, 1, {10, 1, 6}},
    };
    int64_t d[3] = {10, 8, 6};
    pml_tensor x = iota(PML_INT32, 3, d);
    pml_tensor *in[1] = {&x};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const slice_case *sc = &cases[c];
        pml_attr attrs[4];
        int na = 0;
        attrs[na++] = attr_ints("starts", sc->starts, sc->n);
        attrs[na++] = attr_ints("ends", sc->ends, sc->n);
        if (sc->has_axes) attrs[na++] = attr_ints("axes", sc->axes, sc->n);
        if (sc->has_steps) attrs[na++] = attr_ints("steps", sc->steps, sc->n);
        pml_tensor y;
        tt_check_isa("slice", PML_OP_SLICE, attrs, na, in, 1, -1, 0, &y);
        CHECK(tt_shape_is(&y, 3, sc->want));
        if (!y.data && numel(3, sc->want)) continue;
        /* naive: recompute start/step per axis the ONNX way and compare every element */
        int64_t st[3] = {0, 0, 0}, sp[3] = {1, 1, 1};
        for (int k = 0; k < sc->n; k++) {
            int ax = (int)(sc->has_axes ? (sc->axes[k] < 0 ? sc->axes[k] + 3 : sc->axes[k]) : k);
            int64_t step = sc->has_steps ? sc->steps[k] : 1, s = sc->starts[k], dim = d[ax];
            if (s < 0) s += dim;
            s = step > 0 ? (s < 0 ? 0 : (s > dim ? dim : s)) : (s < 0 ? 0 : (s > dim - 1 ? dim - 1 : s));
            st[ax] = s, sp[ax] = step;
        }
        int ok = 1;
        for (int64_t i = 0; i < sc->want[0]; i++)
            for (int64_t j = 0; j < sc->want[1]; j++)
                for (int64_t k = 0; k < sc->want[2]; k++) {
                    int64_t src = ((st[0] + i * sp[0]) * 8 + st[1] + j * sp[1]) * 6 + st[2] + k * sp[2];
                    ok &= ((int32_t *)y.data)[(i * sc->want[1] + j) * sc->want[2] + k] == (int32_t)src;
                }
        if (!ok) fprintf(stderr, "slice case %zu differs from naive\n", c);
        CHECK(ok);
        tt_free(&y);
    }
    int64_t s0[1] = {0}, e0[1] = {1}, ax[2] = {0, 0}, st0[1] = {0}, s2[2] = {0, 0};
    pml_attr bad[3] = {attr_ints("starts", s0, 1), attr_ints("ends", e0, 1), attr_ints("steps", st0, 1)};
    tt_expect_error("slice step 0", PML_ERR_INVALID_MODEL, PML_OP_SLICE, bad, 3, in, 1, 1);
    pml_attr dup[3] = {attr_ints("starts", s2, 2), attr_ints("ends", s2, 2), attr_ints("axes", ax, 2)};
    tt_expect_error("slice duplicate axes", PML_ERR_INVALID_MODEL, PML_OP_SLICE, dup, 3, in, 1, 1);
    int64_t ax9[1] = {9};
    pml_attr badax[3] = {attr_ints("starts", s0, 1), attr_ints("ends", e0, 1), attr_ints("axes", ax9, 1)};
    tt_expect_error("slice bad axis", PML_ERR_INVALID_MODEL, PML_OP_SLICE, badax, 3, in, 1, 1);
    pml_attr mism[2] = {attr_ints("starts", s2, 2), attr_ints("ends", e0, 1)};
    tt_expect_error("slice starts/ends lengths", PML_ERR_INVALID_MODEL, PML_OP_SLICE, mism, 2, in, 1, 1);
    tt_free(&x);
    /* threaded float slice */
    int64_t bd[3] = {4, 300, 100}, bs[1] = {1}, be[1] = {-1};
    pml_tensor b = tt_rand(3, bd, 0, 1);
    pml_tensor *bin[1] = {&b};
    pml_attr ba[2] = {attr_ints("starts", bs, 1), attr_ints("ends", be, 1)};
    tt_check_isa("slice large", PML_OP_SLICE, ba, 2, bin, 1, -1, 0, NULL);
    tt_free(&b);
}

/* ---- Pad -------------------------------------------------------------------------------------------------- */

static int64_t naive_pad_index(int mode, int64_t i, int64_t d) {
    if (i >= 0 && i < d) return i;
    if (mode == 0) return -1;
    if (mode == 2) return i < 0 ? 0 : d - 1;
    if (d == 1) return 0;
    while (i < 0 || i >= d) { /* fold back and forth, as numpy's repeated reflection does */
        if (i < 0) i = -i;
        if (i >= d) i = 2 * (d - 1) - i;
    }
    return i;
}

static void check_pad(pml_dtype dt, int r, const int64_t *dims, const int64_t *pads, int mode, float value) {
    pml_tensor x = iota(dt, r, dims), y;
    pml_tensor *in[1] = {&x};
    pml_attr at[3] = {attr_ints("pads", pads, 2 * r), attr_int("mode", mode), attr_float("value", value)};
    tt_check_isa("pad", PML_OP_PAD, at, 3, in, 1, -1, 0, &y);
    if (!y.data && y.nbytes) return;
    int64_t od[PML_MAX_RANK];
    for (int a = 0; a < r; a++) od[a] = dims[a] + pads[a] + pads[a + r];
    CHECK(tt_shape_is(&y, r, od));
    size_t es = pml_dtype_size(dt);
    int ok = 1;
    for (int64_t o = 0; o < numel(r, od); o++) {
        int64_t t = o, src = 0, stride = 1;
        int outside = 0;
        for (int a = r - 1; a >= 0; a--) {
            int64_t i = naive_pad_index(mode, t % od[a] - pads[a], dims[a]);
            t /= od[a];
            if (i < 0) outside = 1;
            src += i * stride;
            stride *= dims[a];
        }
        const char *got = (const char *)y.data + o * (int64_t)es;
        if (outside) {
            if (dt == PML_FLOAT32) ok &= *(const float *)got == value;
            else ok &= *(const int32_t *)got == (int32_t)value;
        } else {
            ok &= memcmp(got, (const char *)x.data + src * (int64_t)es, es) == 0;
        }
    }
    if (!ok) fprintf(stderr, "pad mode %d differs from naive\n", mode);
    CHECK(ok);
    tt_free(&x), tt_free(&y);
}

static void test_pad(void) {
    for (int mode = 0; mode < 3; mode++) {
        int64_t d4[4] = {1, 3, 4, 5}, p4[8] = {0, 1, 2, 3, 0, 2, 1, 4};
        check_pad(PML_FLOAT32, 4, d4, p4, mode, 1.5f);
        int64_t crop[8] = {0, -1, 2, -2, 0, 0, -1, 3}; /* negative pads crop */
        check_pad(PML_INT32, 4, d4, crop, mode, 7.0f);
        int64_t d1[1] = {3}, far[2] = {7, 9}; /* pads longer than the axis */
        check_pad(PML_FLOAT32, 1, d1, far, mode, -2.0f);
        int64_t one[2] = {1, 1}, p1[2] = {2, 3};
        check_pad(PML_FLOAT32, 1, one, p1, mode, 0.0f);
        int64_t d2[2] = {300, 200}, p2[4] = {1, 2, 3, 4}; /* threaded */
        check_pad(PML_FLOAT32, 2, d2, p2, mode, 0.5f);
    }
    int64_t d[2] = {2, 3}, p[4] = {0, -4, 0, 0}, pz[2] = {0, 0};
    pml_tensor x = iota(PML_FLOAT32, 2, d);
    pml_tensor *in[1] = {&x};
    pml_attr at = attr_ints("pads", p, 4);
    tt_expect_error("pad negative size", PML_ERR_SHAPE, PML_OP_PAD, &at, 1, in, 1, 1);
    at = attr_ints("pads", pz, 2);
    tt_expect_error("pad wrong count", PML_ERR_INVALID_MODEL, PML_OP_PAD, &at, 1, in, 1, 1);
    pml_attr m[2] = {attr_ints("pads", p, 4), attr_int("mode", 3)};
    tt_expect_error("pad bad mode", PML_ERR_UNSUPPORTED, PML_OP_PAD, m, 2, in, 1, 1);
    tt_free(&x);
}

/* ---- Resize ----------------------------------------------------------------------------------------------- */

typedef struct resize_case {
    int rank;
    int64_t in[4], out[4];
    float scales[4];
    int mode, ctm, nearest;
    float cubic_a;
    int exclude;
    const float *expect;
} resize_case;

/*
 * Expected outputs from onnx.reference.ReferenceEvaluator (onnx 1.23, opset
 * 19 Resize) for x[i] = (0.37 i - 1.5)^2 in float32, with the listed scales
 * (or, for the sizes cases, scales = out/in).
 */
static const float rs0_y[] = {1.29745567f, 0.557866693f, 2.53736639f, 4.83999968f};
static const float rs1_y[] = {2.25f, 0.516814351f};
static const float rs2_y[] = {2.60207677f, 2.26926994f, 1.73122799f, 1.11825335f, 0.787237167f, 0.375334382f, 0.136761129f, -0.0142252687f, 1.74592245f, 1.50964093f, 1.12654722f, 0.718053639f, 0.519124448f, 0.311702698f, 0.228077859f, 0.173616692f, 0.310774952f, 0.229441836f, 0.0950810984f, 0.0148332827f, 0.0279386099f, 0.148762718f, 0.313870817f, 0.41435805f, -0.0301195513f, 0.0930282697f, 0.286913276f, 0.639842272f, 0.932763755f, 1.48676491f, 1.98011899f, 2.28508735f, 0.788754821f, 1.04398966f, 1.44990909f, 2.08265424f, 2.55632663f, 3.39014387f, 4.09553242f, 4.53258801f, 3.66501045f, 4.1247263f, 4.85889101f, 5.92481327f, 6.67830229f, 7.94529676f, 8.97893143f, 9.62046719f, 7.02136326f, 7.63602734f, 8.61892509f, 10.013093f, 10.9786177f, 12.5738583f, 13.856225f, 14.652709f, 9.07433414f, 9.78552341f, 10.9233694f, 12.5220184f, 13.6196299f, 15.4193516f, 16.8566666f, 17.7496758f};
static const float rs3_y[] = {1.98829877f, 0.899242043f, 0.285549492f, 0.323666394f, 1.089414f, 2.3910439f, 6.77907848f, 9.46014786f, 12.7395935f};
static const float rs4_y[] = {2.25f, 1.82900929f, 1.27689993f, 0.875912488f, 0.577600002f, 0.299290627f, 0.152099982f, 0.112209357f, 0.925399959f, 0.68516016f, 0.397225022f, 0.218699992f, 0.142849997f, 0.128714889f, 0.162275106f, 0.164096221f, 0.000399999233f, 0.0243343841f, 0.122500017f, 0.269112498f, 0.518400013f, 0.890365779f, 1.18810034f, 1.25088477f, 0.244600043f, 0.490996808f, 0.914299846f, 1.33471227f, 1.85779989f, 2.55490327f, 3.07510042f, 3.18922234f, 2.13160014f, 2.6004591f, 3.3488996f, 4.04311228f, 4.84000015f, 5.86224127f, 6.60490084f, 6.77036047f, 5.58740044f, 6.32043314f, 7.45497465f, 8.47432518f, 9.59635162f, 11.004693f, 12.0115261f, 12.2379494f, 8.64360046f, 9.55738449f, 10.9560995f, 12.1979132f, 13.5424023f, 15.2149181f, 16.4025021f, 16.6706371f, 9.2541008f, 10.2095957f, 11.6692743f, 12.9624262f, 14.3582525f, 16.091732f, 17.3210278f, 17.5987873f};
static const float rs5_y[] = {2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 0.152099982f, 0.152099982f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f};
static const float rs6_y[] = {2.25f, 0.577600002f, 0.000399999233f, 0.518400013f, 8.64360046f, 13.5424023f};
static const float rs7_y[] = {2.25f, 2.25f, 2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 2.25f, 2.25f, 2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 2.25f, 2.25f, 2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 0.000399999233f, 0.000399999233f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 0.000399999233f, 0.000399999233f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 2.13160014f, 2.13160014f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 2.13160014f, 2.13160014f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 8.64360046f, 8.64360046f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f};
static const float rs8_y[] = {2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 0.152099982f, 0.152099982f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f};
static const float rs9_y[] = {1.87506664f, 1.0660001f, 7.55826712f};
static const float rs10_y[] = {2.22137928f, 1.64896762f, 1.13292646f, 0.721573532f, 0.414908826f, 0.164614707f, 1.11268532f, 0.862391174f, 0.668467641f, 0.579232335f, 0.594685376f, 0.666508973f, 0.364559829f, 0.543755889f, 0.779322505f, 1.11957741f, 1.56452072f, 2.06583476f, 1.80683446f, 2.41552043f, 3.08057714f, 3.85032248f, 4.72475624f, 5.65556049f, 5.43950939f, 6.47768497f, 7.57223225f, 8.77146816f, 10.0753927f, 11.4356871f, 8.71161556f, 10.071909f, 11.488574f, 13.0099277f, 14.6359701f, 16.3183823f};
static const float rs11_y[] = {2.25f, 1.27689993f, 1.4138f, 0.71449995f, 0.481400013f, 0.147166654f, 0.0965999961f, 0.127433345f, 1.81710005f, 1.25470006f, 1.39160001f, 1.10299993f, 1.00680006f, 1.08326662f, 1.16960001f, 1.61113346f, 0.951300025f, 1.21030021f, 1.34720004f, 1.88f, 2.05760002f, 2.95546651f, 3.31560016f, 4.57853365f, 2.54970002f, 3.63010025f, 3.76700044f, 5.12120008f, 5.57260036f, 7.29186678f, 7.92580032f, 10.0101337f, 6.6123004f, 8.51410007f, 8.65100098f, 10.826601f, 11.5518017f, 14.0924683f, 15.0002003f, 17.9059334f, 8.64360046f, 10.9560995f, 11.0930014f, 13.6793003f, 14.5414019f, 17.4927673f, 18.5373993f, 21.8538322f};
static const float rs12_y[] = {2.25f, 1.75882769f, 1.1212728f, 0.766074777f, 0.395512253f, 0.206348807f, 0.0437535718f, 0.000399595272f, 0.122500017f, 0.281902164f, 0.618213892f, 0.925561607f, 1.45702636f, 1.93040872f, 2.741678f, 3.3488996f};
static const float rs13_y[] = {2.25f, 1.27689993f, 0.577600002f, 0.152099982f, 0.577600002f, 0.152099982f, 0.000399999233f, 0.122500017f, 2.25f, 1.27689993f, 0.577600002f, 0.152099982f, 0.577600002f, 0.152099982f, 0.000399999233f, 0.122500017f, 0.518400013f, 1.18810034f, 2.13160014f, 3.3488996f, 2.13160014f, 3.3488996f, 4.84000015f, 6.60490084f, 0.518400013f, 1.18810034f, 2.13160014f, 3.3488996f, 2.13160014f, 3.3488996f, 4.84000015f, 6.60490084f, 8.64360046f, 10.9560995f, 13.5424023f, 16.4025021f, 13.5424023f, 16.4025021f, 19.5363998f, 22.9440994f, 8.64360046f, 10.9560995f, 13.5424023f, 16.4025021f, 13.5424023f, 16.4025021f, 19.5363998f, 22.9440994f};
static const resize_case g_resize_cases[] = {
    {4, {1, 1, 4, 4}, {1, 1, 2, 2}, {1.0f, 1.0f, 0.600000024f, 0.600000024f}, 1, 0, 0, -0.75f, 0, rs0_y},
    {4, {1, 1, 2, 4}, {1, 1, 1, 2}, {1.0f, 1.0f, 0.600000024f, 0.600000024f}, 1, 2, 0, -0.75f, 0, rs1_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 2, 0, 0, -0.75f, 0, rs2_y},
    {4, {1, 1, 4, 4}, {1, 1, 3, 3}, {1.0f, 1.0f, 0.800000012f, 0.800000012f}, 2, 0, 0, -0.5f, 1, rs3_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 2, 1, 0, -0.75f, 0, rs4_y},
    {4, {1, 1, 4, 4}, {1, 1, 7, 8}, {1.0f, 1.0f, 1.75f, 2.0f}, 0, 1, 1, -0.75f, 0, rs5_y},
    {4, {1, 1, 4, 4}, {1, 1, 3, 2}, {1.0f, 1.0f, 0.75f, 0.5f}, 0, 0, 0, -0.75f, 0, rs6_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 0, 2, 2, -0.75f, 0, rs7_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 0, 0, 3, -0.75f, 0, rs8_y},
    {4, {1, 1, 4, 4}, {1, 1, 3, 1}, {1.0f, 1.0f, 0.75f, 0.25f}, 1, 3, 0, -0.75f, 0, rs9_y},
    {4, {1, 1, 4, 4}, {1, 1, 6, 6}, {1.0f, 1.0f, 1.5f, 1.70000005f}, 1, 4, 0, -0.75f, 0, rs10_y},
    {4, {1, 3, 3, 2}, {1, 6, 4, 2}, {1.0f, 2.0f, 1.5f, 1.0f}, 1, 0, 0, -0.75f, 0, rs11_y},
    {2, {2, 5}, {2, 8}, {1.0f, 1.60000002f}, 2, 2, 0, -0.75f, 0, rs12_y},
    {4, {1, 3, 3, 2}, {1, 6, 4, 2}, {1.0f, 2.0f, 1.5f, 1.0f}, 0, 1, 0, -0.75f, 0, rs13_y},
};


static void test_resize(void) {
    for (size_t c = 0; c < sizeof g_resize_cases / sizeof g_resize_cases[0]; c++) {
        const resize_case *rc = &g_resize_cases[c];
        pml_tensor x = tt_make(PML_FLOAT32, rc->rank, rc->in, NULL), y;
        for (int64_t i = 0; i < numel(rc->rank, rc->in); i++) {
            float v = (float)i * 0.37f - 1.5f;
            ((float *)x.data)[i] = v * v;
        }
        pml_tensor *in[1] = {&x};
        pml_attr at[7] = {attr_floats("scales", rc->scales, rc->rank), attr_ints("sizes", rc->out, rc->rank),
                          attr_int("mode", rc->mode), attr_int("coordinate_transformation_mode", rc->ctm),
                          attr_int("nearest_mode", rc->nearest), attr_float("cubic_coeff_a", rc->cubic_a),
                          attr_int("exclude_outside", rc->exclude)};
        char what[64];
        snprintf(what, sizeof what, "resize case %zu", c);
        tt_check_isa(what, PML_OP_RESIZE, at, 7, in, 1, 1e-6f, 1e-6f, &y);
        CHECK(tt_shape_is(&y, rc->rank, rc->out));
        CHECK(y.data && test_allclose(y.data, rc->expect, (size_t)numel(rc->rank, rc->out), 1e-5f, 1e-5f, what));
        tt_free(&y);
        /* sizes only (scale = out/in in double): the same result when the scales were exactly out/in */
        int exact = 1;
        for (int a = 0; a < rc->rank; a++) exact &= (double)rc->scales[a] * (double)rc->in[a] == (double)rc->out[a];
        if (exact) {
            CHECK_OK(tt_ref(PML_OP_RESIZE, at + 1, 6, in, 1, &y));
            CHECK(y.data && test_allclose(y.data, rc->expect, (size_t)numel(rc->rank, rc->out), 1e-5f, 1e-5f, what));
            tt_free(&y);
        }
        tt_free(&x);
    }
    /* nearest on int64, tf_half_pixel_for_nn: x_in = (i + 0.5) / 2 -> floor -> 0,0,1,1,2,2 */
    int64_t d[1] = {3}, o[1] = {6};
    int64_t v[3] = {10, 20, 30};
    float s2[1] = {2.0f};
    pml_tensor x = tt_make(PML_INT64, 1, d, v), y;
    pml_tensor *in[1] = {&x};
    pml_attr at[4] = {attr_floats("scales", s2, 1), attr_ints("sizes", o, 1),
                      attr_int("coordinate_transformation_mode", 5), attr_int("nearest_mode", 2)};
    CHECK_OK(tt_ref(PML_OP_RESIZE, at, 4, in, 1, &y));
    int64_t want[6] = {10, 10, 20, 20, 30, 30};
    CHECK(y.data && memcmp(y.data, want, sizeof want) == 0);
    tt_free(&y);
    /* sizes -1 keeps a (formerly symbolic) axis */
    int64_t keep[1] = {-1};
    float one[1] = {1.0f};
    pml_attr kat[2] = {attr_floats("scales", one, 1), attr_ints("sizes", keep, 1)};
    CHECK_OK(tt_ref(PML_OP_RESIZE, kat, 2, in, 1, &y));
    CHECK(y.data && y.dims[0] == 3 && memcmp(y.data, v, sizeof v) == 0);
    tt_free(&y);
    /* errors */
    pml_attr lin[3] = {attr_floats("scales", s2, 1), attr_ints("sizes", o, 1), attr_int("mode", 1)};
    tt_expect_error("linear on int64", PML_ERR_DTYPE, PML_OP_RESIZE, lin, 3, in, 1, 1);
    int64_t o9[1] = {9};
    pml_attr inc[2] = {attr_floats("scales", s2, 1), attr_ints("sizes", o9, 1)};
    tt_expect_error("sizes vs scales", PML_ERR_SHAPE, PML_OP_RESIZE, inc, 2, in, 1, 1);
    float neg[1] = {-1.0f};
    pml_attr ng = attr_floats("scales", neg, 1);
    tt_expect_error("negative scale", PML_ERR_INVALID_MODEL, PML_OP_RESIZE, &ng, 1, in, 1, 1);
    tt_expect_error("no scales or sizes", PML_ERR_INVALID_MODEL, PML_OP_RESIZE, NULL, 0, in, 1, 1);
    pml_attr ctm[2] = {attr_floats("scales", s2, 1), attr_int("coordinate_transformation_mode", 6)};
    tt_expect_error("tf_crop_and_resize", PML_ERR_UNSUPPORTED, PML_OP_RESIZE, ctm, 2, in, 1, 1);
    tt_free(&x);
    /* large NHWC bilinear, threaded */
    int64_t bd[4] = {1, 40, 40, 16}, bo[4] = {1, 80, 80, 16};
    float bs[4] = {1, 2, 2, 1};
    pml_tensor b = tt_rand(4, bd, -1, 1);
    pml_tensor *bin[1] = {&b};
    pml_attr bat[3] = {attr_floats("scales", bs, 4), attr_ints("sizes", bo, 4), attr_int("mode", 1)};
    tt_check_isa("resize large", PML_OP_RESIZE, bat, 3, bin, 1, 0, 0, NULL);
    tt_free(&b);
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

int main(void) {
    test_concat_split();
    test_reshape();
    test_transpose();
    test_slice();
    test_pad();
    test_resize();
    test_gather();
    return test_finish("test_tensor");
}
