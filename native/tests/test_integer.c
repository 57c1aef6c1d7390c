/*
 * test_integer.c — MatMulInteger and ConvInteger (the integer GEMM of
 * kernels/matmul/igemm_typed__scalar.c, and __avx2.c in the best configuration) against naive
 * int64 loops, for every pairing of
 * int8 and uint8 operands: M, N, K at 1, 7, 8, 9, 13, 127 and K = 4096 with values at the
 * ends of their range (a float32 accumulator would round there), batch broadcasting, per-row
 * and per-column zero points; ConvInteger with pads holding a non-zero x zero point, strides,
 * dilations, groups and per-output-channel w zero points. Each case runs with the reference
 * configuration, the best one and two threads (tt_check_isa), half of them with constant
 * weights (packed once by pack), half fed. Then the shape errors a hostile file reaches
 * infer with.
 */
#include "typed_testutil.h"

static const pml_dtype i8s[2] = {PML_INT8, PML_UINT8};

static int64_t iv(const pml_tensor *t, int64_t i) { return t ? (int64_t)tt_get(t, i) : 0; }

/* Operand values at the ends of the dtype's range (255 / -128 / 127 mostly), or random. */
static pml_tensor int_operand(pml_dtype dt, int rank, const int64_t *d, unsigned seed, int extreme) {
    pml_tensor t = tt_typed_rand(dt, rank, d, seed);
    uint32_t r = seed * 747796405u + 1u;
    for (int64_t i = 0; i < pml_shape_numel(rank, d); i++) {
        r = r * 1664525u + 1013904223u;
        const int64_t lo = dt == PML_INT8 ? -128 : 0, hi = dt == PML_INT8 ? 127 : 255;
        tt_set(&t, i, (double)(extreme ? ((r >> 9) % 8 ? (dt == PML_INT8 ? -128 + (int64_t)(r >> 20) % 3 : hi)
                                                         : lo)
                                        : lo + (int64_t)(r >> 8) % (hi - lo + 1)));
    }
    return t;
}

/* ---- MatMulInteger ------------------------------------------------------------------------------ */

/* a [ab, M, K] (ab: 1 or 3), b [3, K, N] or [K, N], zero points: za per row ([M]) or one value,
 * zb per column ([N]) or one value. */
static void mmi_case_zb(pml_dtype ta, pml_dtype tb, int64_t m, int64_t n, int64_t k, int ab, int bb, int per_row,
                        int per_col, int extreme, int zb_form) {
    const int64_t ad[3] = {ab, m, k}, bd[3] = {bb, k, n}, zad[1] = {m}, zbd[1] = {n};
    pml_tensor a = int_operand(ta, 3, ad, (unsigned)(m * 7 + k), extreme);
    pml_tensor b = int_operand(tb, bb > 1 ? 3 : 2, bb > 1 ? bd : bd + 1, (unsigned)(n * 13 + k), extreme);
    pml_tensor za = int_operand(ta, per_row, zad, 5, 0), zb = int_operand(tb, per_col, zbd, 6, 0), y = {0};
    pml_tensor *in[4] = {&a, &b, &za, &zb};
    b.is_const = zb.is_const = zb_form ? 1 : (int)((m + n) % 2); /* constant: packed once by pack */
    if (zb_form == 1) memset(zb.data, 0, (size_t)pml_shape_numel(zb.rank, zb.dims)); /* one byte per element */
    char what[160];
    snprintf(what, sizeof what, "MatMulInteger %s x %s M=%lld N=%lld K=%lld batch %d/%d zp %d%d const %d zb %s",
             pml_dtype_name(ta), pml_dtype_name(tb), (long long)m, (long long)n, (long long)k, ab, bb, per_row,
             per_col, b.is_const, zb_form == 0 ? "random" : zb_form == 1 ? "zeros" : "absent");
    tt_check_isa(what, PML_OP_MATMULINTEGER, NULL, 0, in, zb_form == 2 ? 3 : 4, -1, 0, &y);
    const int64_t batch = ab > bb ? ab : bb;
    int bad = !y.data || y.dtype != PML_INT32 || y.rank != 3 || y.dims[0] != batch;
    for (int64_t p = 0; p < batch && !bad; p++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                int64_t acc = 0;
                for (int64_t q = 0; q < k; q++)
                    acc += (iv(&a, ((ab > 1 ? p : 0) * m + i) * k + q) - iv(&za, per_row ? i : 0)) *
                           (iv(&b, ((bb > 1 ? p : 0) * k + q) * n + j) - (zb_form == 2 ? 0 : iv(&zb, per_col ? j : 0)));
                if (((int32_t *)y.data)[(p * m + i) * n + j] != (int32_t)(uint32_t)(uint64_t)acc) bad = 1;
            }
    if (bad) fprintf(stderr, "%s: differs from the naive loop\n", what);
    CHECK(!bad);
    tt_free(&a), tt_free(&b), tt_free(&za), tt_free(&zb), tt_free(&y);
}

static void mmi_case(pml_dtype ta, pml_dtype tb, int64_t m, int64_t n, int64_t k, int ab, int bb, int per_row,
                     int per_col, int extreme) {
    mmi_case_zb(ta, tb, m, n, k, ab, bb, per_row, per_col, extreme, 0);
}

/* Constant int8 weights with a zero point of 0 (or none): the configuration's quad form where
 * it has one (vpdpbusd), at sizes around its 4-row x 32-column tile and 4-byte K quads, for
 * int8 and uint8 A with extreme values and per-row zero points. */
static void test_matmul_integer_quads(void) {
    static const int64_t ms[] = {1, 3, 4, 5, 13}, ns[] = {1, 15, 16, 17, 31, 32, 33, 100}, ks[] = {1, 3, 4, 5, 63, 64, 65};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 8; i++) {
            const int64_t m = ms[i % 5], n = ns[i], k = ks[i % 7];
            mmi_case_zb(i8s[p], PML_INT8, m, n, k, 1, 1, i % 2, 0, i % 3 == 0, i % 2 ? 1 : 2);
            mmi_case_zb(i8s[p], PML_INT8, 2 * m + 1, n, k + 8, 3, 1, 1, 1, 1, 1); /* batched A, shared B */
        }
    for (int p = 0; p < 2; p++) mmi_case_zb(i8s[p], PML_INT8, 6, 40, 4096, 1, 1, 1, 0, 1, 2); /* past 2^24 */
}

static void test_matmul_integer(void) {
    static const int64_t sizes[] = {1, 7, 8, 9, 13, 127};
    for (int p = 0; p < 4; p++) {
        const pml_dtype ta = i8s[p / 2], tb = i8s[p % 2];
        for (int s = 0; s < 6; s++) {
            mmi_case(ta, tb, sizes[s], sizes[(s + 2) % 6], sizes[(s + 4) % 6], 1, 1, s % 2, 1 - s % 2, 0);
            mmi_case(ta, tb, sizes[(s + 1) % 6], sizes[s], 5, 3, 1, 1, 1, 0);  /* b shared by the batch */
            mmi_case(ta, tb, 4, 3, sizes[s], 1, 3, 0, 1, 0);                    /* a broadcast */
        }
        mmi_case(ta, tb, 3, 5, 4096, 1, 1, 0, 0, 1); /* sums past 2^24: exact only in int32 */
        mmi_case(ta, tb, 2, 3, 4096, 1, 1, 1, 1, 1);
    }
}

/* MatMulIntegerToFloat: the quad form's product, converted in place: y = float(acc) *
 * (a_scale * b_scale_j) + bias_j, rounded as the Cast -> Mul -> Add it replaces. */
static void mmitf_case(pml_dtype ta, pml_dtype tb, int64_t m, int64_t n, int64_t k, int col_scale, int with_bias) {
    const int64_t ad[2] = {m, k}, bd[2] = {k, n}, nd[1] = {n};
    pml_tensor a = int_operand(ta, 2, ad, (unsigned)(m * 3 + k), 1), b = int_operand(tb, 2, bd, (unsigned)(n + k), 0);
    pml_tensor za = int_operand(ta, 0, NULL, 9, 0), zb = int_operand(tb, 0, NULL, 4, 0), y = {0};
    memset(zb.data, 0, 1); /* zero point 0: the quad form where the configuration has it */
    float as = 0.0123f;
    pml_tensor a_scale = tt_make(PML_FLOAT32, 0, NULL, &as);
    pml_tensor b_scale = tt_make(PML_FLOAT32, col_scale, nd, NULL), bias = tt_make(PML_FLOAT32, 1, nd, NULL);
    for (int64_t j = 0; j < n; j++) {
        if (col_scale) ((float *)b_scale.data)[j] = 0.001f * (float)(j % 7 + 1);
        ((float *)bias.data)[j] = 0.25f * (float)(j % 5) - 0.5f;
    }
    if (!col_scale) ((float *)b_scale.data)[0] = 0.0031f;
    pml_tensor *in[7] = {&a, &b, &a_scale, &b_scale, &za, &zb, with_bias ? &bias : NULL};
    b.is_const = zb.is_const = 1;
    char what[128];
    snprintf(what, sizeof what, "MatMulIntegerToFloat %s x %s M=%lld N=%lld K=%lld col %d bias %d", pml_dtype_name(ta),
             pml_dtype_name(tb), (long long)m, (long long)n, (long long)k, col_scale, with_bias);
    tt_check_isa(what, PML_OP_MATMULINTEGERTOFLOAT, NULL, 0, in, 7, -1, 0, &y);
    int bad = !y.data || y.dtype != PML_FLOAT32;
    for (int64_t i = 0; i < m && !bad; i++)
        for (int64_t j = 0; j < n; j++) {
            int64_t acc = 0;
            for (int64_t q = 0; q < k; q++) acc += (iv(&a, i * k + q) - iv(&za, 0)) * (iv(&b, q * n + j) - iv(&zb, 0));
            volatile float mult = as * ((float *)b_scale.data)[col_scale ? j : 0]; /* volatile: no contraction */
            volatile float prod = (float)(int32_t)acc * mult;
            const float want = with_bias ? prod + ((float *)bias.data)[j] : prod;
            if (((float *)y.data)[i * n + j] != want) bad = 1;
        }
    if (bad) fprintf(stderr, "%s: differs from the naive loop\n", what);
    CHECK(!bad);
    tt_free(&a), tt_free(&b), tt_free(&za), tt_free(&zb), tt_free(&a_scale), tt_free(&b_scale), tt_free(&bias),
        tt_free(&y);
}

static void test_matmul_integer_to_float(void) {
    static const int64_t sizes[][3] = {{1, 1, 1}, {3, 17, 5}, {4, 32, 64}, {5, 33, 63}, {13, 100, 65}};
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < 5; s++) {
            mmitf_case(i8s[p], PML_INT8, sizes[s][0], sizes[s][1], sizes[s][2], s % 2, 1);
            mmitf_case(i8s[p], i8s[s % 2], sizes[s][0], sizes[s][1], sizes[s][2], 1 - s % 2, s % 3 == 0);
        }
}

/* ---- ConvInteger -------------------------------------------------------------------------------- */

typedef struct ci_case {
    int64_t n, h, w, cin, cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
} ci_case;

static const ci_case ci_cases[] = {
    {1, 5, 5, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  {2, 7, 6, 4, 6, 3, 2, 2, 1, 1, 2, 2, 0, 1, 1, 2},
    {1, 1, 13, 5, 7, 1, 3, 1, 2, 1, 1, 0, 2, 0, 1, 1}, {1, 4, 4, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},
    {2, 3, 5, 8, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},  {1, 9, 9, 2, 3, 5, 5, 3, 3, 1, 1, 2, 2, 2, 2, 1},
};

static void ci_run_case(const ci_case *c, pml_dtype tx, pml_dtype tw, int per_channel) {
    const int64_t cg = c->cin / c->group, coutg = c->cout / c->group;
    const int64_t xd[4] = {c->n, c->h, c->w, c->cin}, wd[4] = {c->cout, c->kh, c->kw, cg}, zwd[1] = {c->cout};
    pml_tensor x = int_operand(tx, 4, xd, (unsigned)c->h, 0), w = int_operand(tw, 4, wd, (unsigned)c->cout, 0);
    pml_tensor zx = int_operand(tx, 0, NULL, 11, 0), zw = int_operand(tw, per_channel, zwd, 12, 0), y = {0};
    const int64_t st[2] = {c->sh, c->sw}, dl[2] = {c->dh, c->dw}, pd[4] = {c->pt, c->pl, c->pb, c->pr};
    pml_attr at[4] = {attr_ints("strides", st, 2), attr_ints("dilations", dl, 2), attr_ints("pads", pd, 4),
                      attr_int("group", c->group)};
    pml_tensor *in[4] = {&x, &w, &zx, &zw};
    w.is_const = zw.is_const = (tx == tw) ^ per_channel; /* constant: packed once by pack */
    char what[128];
    snprintf(what, sizeof what, "ConvInteger %s x %s case %d per_channel=%d const %d", pml_dtype_name(tx),
             pml_dtype_name(tw), (int)(c - ci_cases), per_channel, w.is_const);
    tt_check_isa(what, PML_OP_CONVINTEGER, at, 4, in, 4, -1, 0, &y);
    const int64_t oh = (c->h + c->pt + c->pb - c->dh * (c->kh - 1) - 1) / c->sh + 1;
    const int64_t ow = (c->w + c->pl + c->pr - c->dw * (c->kw - 1) - 1) / c->sw + 1;
    int bad = !y.data || y.dtype != PML_INT32 || y.dims[1] != oh || y.dims[2] != ow || y.dims[3] != c->cout;
    for (int64_t i = 0; i < c->n * oh * ow * c->cout && !bad; i++) {
        const int64_t co = i % c->cout, px = i / c->cout, o_w = px % ow, o_h = px / ow % oh, b = px / ow / oh;
        const int64_t grp = co / coutg;
        int64_t acc = 0;
        for (int64_t kh = 0; kh < c->kh; kh++)
            for (int64_t kw = 0; kw < c->kw; kw++)
                for (int64_t ci = 0; ci < cg; ci++) {
                    const int64_t ih = o_h * c->sh - c->pt + kh * c->dh, iw = o_w * c->sw - c->pl + kw * c->dw;
                    const int64_t xv = ih < 0 || ih >= c->h || iw < 0 || iw >= c->w
                                           ? iv(&zx, 0) /* the padding holds the zero point */
                                           : iv(&x, ((b * c->h + ih) * c->w + iw) * c->cin + grp * cg + ci);
                    acc += (xv - iv(&zx, 0)) *
                           (iv(&w, ((co * c->kh + kh) * c->kw + kw) * cg + ci) - iv(&zw, per_channel ? co : 0));
                }
        if (((int32_t *)y.data)[i] != (int32_t)acc) bad = 1;
    }
    if (bad) fprintf(stderr, "%s: differs from the naive loop\n", what);
    CHECK(!bad);
    tt_free(&x), tt_free(&w), tt_free(&zx), tt_free(&zw), tt_free(&y);
}

static void test_conv_integer(void) {
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < (int)(sizeof ci_cases / sizeof ci_cases[0]); c++)
            ci_run_case(&ci_cases[c], i8s[p / 2], i8s[p % 2], c % 2);
}

/* ---- errors a hostile file reaches infer with --------------------------------------------------- */

static void test_errors(void) {
    const int64_t ad[2] = {3, 4}, bd[2] = {4, 5}, bad_k[2] = {6, 5}, two[1] = {2}, col[2] = {5, 1};
    const int64_t xd[4] = {1, 5, 5, 4}, wd[4] = {6, 3, 3, 2}, wbad[4] = {6, 3, 3, 3}, six[1] = {6};
    pml_tensor a = tt_make(PML_UINT8, 2, ad, NULL), b = tt_make(PML_INT8, 2, bd, NULL),
               bk = tt_make(PML_INT8, 2, bad_k, NULL), za2 = tt_make(PML_UINT8, 1, two, NULL),
               zbc = tt_make(PML_INT8, 2, col, NULL), x = tt_make(PML_UINT8, 4, xd, NULL),
               w = tt_make(PML_INT8, 4, wd, NULL), wb = tt_make(PML_INT8, 4, wbad, NULL),
               zx6 = tt_make(PML_UINT8, 1, six, NULL), zw2 = tt_make(PML_INT8, 1, two, NULL);
    pml_tensor *inner[2] = {&a, &bk}, *za_bad[3] = {&a, &b, &za2}, *zb_bad[4] = {&a, &b, NULL, &zbc};
    tt_expect_error("MatMulInteger inner dims differ", PML_ERR_SHAPE, PML_OP_MATMULINTEGER, NULL, 0, inner, 2, 1);
    tt_expect_error("MatMulInteger a zero point of 2 rows for 3", PML_ERR_SHAPE, PML_OP_MATMULINTEGER, NULL, 0,
                    za_bad, 3, 1);
    tt_expect_error("MatMulInteger b zero point [N, 1]", PML_ERR_SHAPE, PML_OP_MATMULINTEGER, NULL, 0, zb_bad, 4, 1);
    pml_attr g2 = attr_int("group", 2), g4 = attr_int("group", 4);
    pml_tensor *cw_bad[2] = {&x, &wb}, *zx_bad[3] = {&x, &w, &zx6}, *zw_bad[4] = {&x, &w, NULL, &zw2},
               *cg_ok[2] = {&x, &w};
    tt_expect_error("ConvInteger weight channels differ", PML_ERR_SHAPE, PML_OP_CONVINTEGER, &g2, 1, cw_bad, 2, 1);
    tt_expect_error("ConvInteger x zero point not one value", PML_ERR_SHAPE, PML_OP_CONVINTEGER, &g2, 1, zx_bad, 3, 1);
    tt_expect_error("ConvInteger w zero point of the wrong length", PML_ERR_SHAPE, PML_OP_CONVINTEGER, &g2, 1, zw_bad,
                    4, 1);
    tt_expect_error("ConvInteger group does not divide", PML_ERR_SHAPE, PML_OP_CONVINTEGER, &g4, 1, cg_ok, 2, 1);
    tt_free(&a), tt_free(&b), tt_free(&bk), tt_free(&za2), tt_free(&zbc), tt_free(&x), tt_free(&w), tt_free(&wb);
    tt_free(&zx6), tt_free(&zw2);
}

int main(void) {
    test_matmul_integer();
    test_matmul_integer_quads();
    test_matmul_integer_to_float();
    test_conv_integer();
    test_errors();
    return test_finish("test_integer");
}
