/*
 * test_tensor_typed.c — the data-movement ops of the tensor and index families on all
 * eleven dtypes (elements moved by size: x8/x16/x32/x64) against naive index arithmetic
 * at sizes 1, 7, 8, 9, 13, 127: Transpose (best ISA and two threads against the
 * reference), Concat, Slice with a negative step, Gather, Tile, Expand, and the fills
 * whose value is converted to the dtype (Pad's constant, ConstantOfShape); DepthToSpace
 * and SpaceToDepth (DCR, CRD) against their definition's index arithmetic; EyeLike into
 * every dtype; and BitCast
 * between every pair of dtypes (same size: the bytes; else an error).
 */
#include "typed_testutil.h"

static void cp(pml_tensor *dst, int64_t di, const pml_tensor *src, int64_t si) {
    size_t es = pml_dtype_size(src->dtype);
    memcpy((char *)dst->data + (size_t)di * es, (const char *)src->data + (size_t)si * es, es);
}

static void expect_same(const char *what, pml_dtype dt, int64_t n, const pml_tensor *y, const pml_tensor *want) {
    int ok = tt_same_bytes(y, want);
    if (!ok) fprintf(stderr, "%s on %s, n %lld: differs from naive\n", what, pml_dtype_name(dt), (long long)n);
    CHECK(ok);
}

/* BitCast x [2, n, 3] to every dtype: the same bytes under a same-size one, an error otherwise. */
static void check_bitcast(pml_dtype dt, int64_t n) {
    int64_t xd[3] = {2, n, 3};
    pml_tensor x = tt_typed_rand(dt, 3, xd, (unsigned)(n * 7 + dt)), y;
    pml_tensor *in[1] = {&x};
    for (int d = 0; d < TT_N_DTYPES; d++) {
        const pml_dtype to = tt_all_dtypes[d];
        pml_attr at = attr_int("to", to);
        if (pml_dtype_size(to) != pml_dtype_size(dt)) {
            CHECK(tt_ref(PML_OP_BITCAST, &at, 1, in, 1, &y) == PML_ERR_INVALID_MODEL);
            CHECK(strstr(pml_last_error(), "element size") != NULL);
            continue;
        }
        CHECK_OK(tt_ref(PML_OP_BITCAST, &at, 1, in, 1, &y));
        CHECK(y.dtype == to && y.rank == 3 && y.dims[1] == n && y.nbytes == x.nbytes);
        CHECK(memcmp(y.data, x.data, x.nbytes) == 0);
        tt_free(&y);
    }
    pml_attr bad = attr_int("to", 99);
    CHECK(tt_ref(PML_OP_BITCAST, &bad, 1, in, 1, &y) == PML_ERR_UNSUPPORTED);
    tt_free(&x);
}

/* x [2, n, 3]: every op below, one dtype, one size. */
static void check_moves(pml_dtype dt, int64_t n) {
    int64_t xd[3] = {2, n, 3};
    pml_tensor x = tt_typed_rand(dt, 3, xd, (unsigned)(n * 11 + dt)), y, want;
    pml_tensor *in[2] = {&x, NULL};

    /* Transpose [2, n, 3] -> [3, 2, n] */
    int64_t perm[3] = {2, 0, 1}, td[3] = {3, 2, n};
    pml_attr pa = attr_ints("perm", perm, 3);
    tt_check_isa("transpose", PML_OP_TRANSPOSE, &pa, 1, in, 1, -1, 0, &y);
    want = tt_make(dt, 3, td, NULL);
    for (int64_t a = 0; a < 2; a++)
        for (int64_t b = 0; b < n; b++)
            for (int64_t c = 0; c < 3; c++) cp(&want, (c * 2 + a) * n + b, &x, (a * n + b) * 3 + c);
    expect_same("Transpose", dt, n, &y, &want);
    tt_free(&y), tt_free(&want);

    /* Concat along axis 1 with a [2, 1, 3] part */
    int64_t pd[3] = {2, 1, 3}, cd[3] = {2, n + 1, 3};
    pml_tensor part = tt_typed_rand(dt, 3, pd, 99);
    in[1] = &part;
    pml_attr ca = attr_int("axis", 1);
    CHECK_OK(tt_ref(PML_OP_CONCAT, &ca, 1, in, 2, &y));
    want = tt_make(dt, 3, cd, NULL);
    for (int64_t a = 0; a < 2; a++)
        for (int64_t b = 0; b <= n; b++)
            for (int64_t c = 0; c < 3; c++)
                cp(&want, (a * (n + 1) + b) * 3 + c, b < n ? &x : &part, b < n ? (a * n + b) * 3 + c : a * 3 + c);
    expect_same("Concat", dt, n, &y, &want);
    tt_free(&y), tt_free(&want);

    /* Expand [2, 1, 3] -> [2, n, 3]; Tile [2, 1, 3] x [1, n, 2] */
    int64_t ed[3] = {2, n, 3}, reps[3] = {1, n, 2}, tdd[3] = {2, n, 6};
    in[0] = &part;
    pml_attr ea = attr_ints("shape", ed, 3), ta = attr_ints("repeats", reps, 3);
    CHECK_OK(tt_ref(PML_OP_EXPAND, &ea, 1, in, 1, &y));
    want = tt_make(dt, 3, ed, NULL);
    for (int64_t e = 0; e < 2 * n * 3; e++) cp(&want, e, &part, (e / (n * 3)) * 3 + e % 3);
    expect_same("Expand", dt, n, &y, &want);
    tt_free(&y), tt_free(&want);
    CHECK_OK(tt_ref(PML_OP_TILE, &ta, 1, in, 1, &y));
    want = tt_make(dt, 3, tdd, NULL);
    for (int64_t e = 0; e < 2 * n * 6; e++) cp(&want, e, &part, (e / (n * 6)) * 3 + e % 3);
    expect_same("Tile", dt, n, &y, &want);
    tt_free(&y), tt_free(&want);
    in[0] = &x;

    /* Slice axis 1 backwards by 2 */
    int64_t st[1] = {-1}, en[1] = {-1000}, ax[1] = {1}, sp[1] = {-2}, m = (n + 1) / 2, sd[3] = {2, m, 3};
    pml_attr sa[4] = {attr_ints("starts", st, 1), attr_ints("ends", en, 1), attr_ints("axes", ax, 1),
                      attr_ints("steps", sp, 1)};
    CHECK_OK(tt_ref(PML_OP_SLICE, sa, 4, in, 1, &y));
    want = tt_make(dt, 3, sd, NULL);
    for (int64_t a = 0; a < 2; a++)
        for (int64_t b = 0; b < m; b++)
            for (int64_t c = 0; c < 3; c++) cp(&want, (a * m + b) * 3 + c, &x, (a * n + n - 1 - 2 * b) * 3 + c);
    expect_same("Slice", dt, n, &y, &want);
    tt_free(&y), tt_free(&want);

    /* Gather axis 1 with indices [n-1, 0, -1] */
    int64_t three = 3, iv[3] = {n - 1, 0, -1}, gd[3] = {2, 3, 3};
    pml_tensor idx = tt_make(PML_INT64, 1, &three, iv);
    in[1] = &idx;
    pml_attr ga = attr_int("axis", 1);
    CHECK_OK(tt_ref(PML_OP_GATHER, &ga, 1, in, 2, &y));
    want = tt_make(dt, 3, gd, NULL);
    for (int64_t a = 0; a < 2; a++)
        for (int64_t k = 0; k < 3; k++)
            for (int64_t c = 0; c < 3; c++) cp(&want, (a * 3 + k) * 3 + c, &x, (a * n + (iv[k] + n) % n) * 3 + c);
    expect_same("Gather", dt, n, &y, &want);
    tt_free(&y), tt_free(&want), tt_free(&idx);

    /* Pad axis 1 by [1, 2] with the dtype's value of -2 (3 for unsigned and bool) */
    float value = tt_is_float(dt) || tt_is_signed(dt) ? -2.0f : 3.0f;
    int64_t pads[6] = {0, 1, 0, 0, 2, 0}, pdd[3] = {2, n + 3, 3};
    pml_attr pda[3] = {attr_ints("pads", pads, 6), attr_int("mode", 0), attr_float("value", value)};
    CHECK_OK(tt_ref(PML_OP_PAD, pda, 3, in, 1, &y));
    want = tt_make(dt, 3, pdd, NULL);
    for (int64_t a = 0; a < 2; a++)
        for (int64_t b = 0; b < n + 3; b++)
            for (int64_t c = 0; c < 3; c++) {
                int64_t o = (a * (n + 3) + b) * 3 + c;
                if (b >= 1 && b <= n) cp(&want, o, &x, (a * n + b - 1) * 3 + c);
                else tt_set(&want, o, value);
            }
    expect_same("Pad", dt, n, &y, &want);
    tt_free(&y), tt_free(&want);

    /* ConstantOfShape [2, n, 3] of the same value */
    pml_tensor shape = tt_make(PML_INT64, 1, &three, xd);
    shape.value_known = 1;
    pml_tensor *sin[1] = {&shape};
    pml_attr csa[2] = {attr_floats("value", &value, 1), attr_int("dtype", dt)};
    CHECK_OK(tt_ref(PML_OP_CONSTANTOFSHAPE, csa, 2, sin, 1, &y));
    want = tt_make(dt, 3, xd, NULL);
    for (int64_t e = 0; e < 2 * n * 3; e++) tt_set(&want, e, value);
    expect_same("ConstantOfShape", dt, n, &y, &want);
    tt_free(&y), tt_free(&want), tt_free(&shape);
    tt_free(&part), tt_free(&x);
    check_bitcast(dt, n);
}

/* NHWC x [2, 2, n, bs*bs*c] <-> y [2, 2*bs, n*bs, c]: element (n, h*bs+b1, w*bs+b2, k) of the
 * space side is channel (b1*bs + b2)*c + k (DCR) or (k*bs + b1)*bs + b2 (CRD) of the depth side. */
static void check_space_depth(pml_dtype dt, int64_t n, int64_t bs, int64_t c, int mode) {
    int64_t dd[4] = {2, 2, n, bs * bs * c}, sd[4] = {2, 2 * bs, n * bs, c};
    pml_tensor depth = tt_typed_rand(dt, 4, dd, (unsigned)(n * 7 + dt)), space = tt_typed_rand(dt, 4, sd, 5), y;
    pml_attr a[2] = {attr_int("blocksize", bs), attr_int("mode", mode)};
    pml_tensor *din[1] = {&depth}, *sin[1] = {&space};
    pml_tensor want_space = tt_make(dt, 4, sd, NULL), want_depth = tt_make(dt, 4, dd, NULL);
    for (int64_t b = 0; b < 2; b++)
        for (int64_t h = 0; h < 2 * bs; h++)
            for (int64_t w = 0; w < n * bs; w++)
                for (int64_t k = 0; k < c; k++) {
                    int64_t b1 = h % bs, b2 = w % bs;
                    int64_t ch = mode == 0 ? (b1 * bs + b2) * c + k : (k * bs + b1) * bs + b2;
                    int64_t di = ((b * 2 + h / bs) * n + w / bs) * bs * bs * c + ch;
                    int64_t si = ((b * 2 * bs + h) * n * bs + w) * c + k;
                    cp(&want_space, si, &depth, di);
                    cp(&want_depth, di, &space, si);
                }
    tt_check_isa("depth_to_space", PML_OP_DEPTHTOSPACE, a, 2, din, 1, -1, 0, &y);
    expect_same(mode ? "DepthToSpace CRD" : "DepthToSpace DCR", dt, n, &y, &want_space);
    tt_free(&y);
    tt_check_isa("space_to_depth", PML_OP_SPACETODEPTH, a, 2, sin, 1, -1, 0, &y);
    expect_same(mode ? "SpaceToDepth CRD" : "SpaceToDepth DCR", dt, n, &y, &want_depth);
    tt_free(&y), tt_free(&want_space), tt_free(&want_depth), tt_free(&depth), tt_free(&space);
}

/* EyeLike of an [n, 5] shape into dt: 1 at [i, i + k], 0 elsewhere. */
static void check_eye_like(pml_dtype dt, int64_t n, int64_t k) {
    int64_t d[2] = {n, 5};
    pml_tensor x = tt_typed_rand(PML_INT8, 2, d, 3), y, want = tt_make(dt, 2, d, NULL);
    pml_tensor *in[1] = {&x};
    pml_attr a[2] = {attr_int("k", k), attr_int("dtype", dt)};
    CHECK_OK(tt_ref(PML_OP_EYELIKE, a, 2, in, 1, &y));
    for (int64_t i = 0; i < n * 5; i++) tt_set(&want, i, i % 5 - i / 5 == k ? 1 : 0);
    expect_same(k ? "EyeLike k != 0" : "EyeLike", dt, n, &y, &want);
    tt_free(&x), tt_free(&y), tt_free(&want);
}

int main(void) {
    for (int d = 0; d < TT_N_DTYPES; d++)
        for (int s = 0; s < TT_N_SIZES; s++) {
            check_moves(tt_all_dtypes[d], tt_sizes[s]);
            for (int64_t k = -7; k <= 5; k += 3) check_eye_like(tt_all_dtypes[d], tt_sizes[s], k);
            for (int mode = 0; mode < 2; mode++) {
                check_space_depth(tt_all_dtypes[d], tt_sizes[s], 2, 3, mode);
                check_space_depth(tt_all_dtypes[d], tt_sizes[s], 3, 1, mode);
                check_space_depth(tt_all_dtypes[d], tt_sizes[s], 1, 2, mode);
            }
        }
    return test_finish("test_tensor_typed");
}
