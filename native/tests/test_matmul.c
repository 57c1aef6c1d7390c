/*
 * test_matmul.c — MatMul (numpy semantics) and Gemm ops.
 *  - hand-computed cases (1-D promotion, Gemm with alpha/beta/trans);
 *  - reference kernels vs an oracle written here (explicit broadcasting by
 *    index arithmetic, double accumulation);
 *  - best ISA vs reference at awkward sizes: batch broadcasting, constant and
 *    run-time B, every c shape, transA/transB, activations, threads 1 and 2;
 *  - infer errors;
 *  - Det: matrices of known determinant (a row-reversed L * U) at sizes 1, 2, 3,
 *    4, 13 and 127, batched, threads 1 and 2, float16 on exact values, and errors.
 */
#include "testutil.h"

static pml_activation act_of(int kind) {
    static const float alpha[8] = {0, 0, -0.5f, 0, 0, 0.1f, 0, 0.2f}, beta[8] = {0, 0, 0.7f, 0, 0, 0, 0, 0.5f};
    pml_activation a = {kind, alpha[kind], beta[kind]};
    return a;
}

typedef struct mm_case {
    int ra, rb;
    int64_t ad[6], bd[6];
    int b_const, act;
} mm_case;

static pml_tensor run_matmul(const mm_case *mc, const float *a, const float *b, int scalar_only, int threads,
                             pml_status *st) {
    pml_tensor ta = test_tensor(PML_FLOAT32, mc->ra, mc->ad, 0), tb = test_tensor(PML_FLOAT32, mc->rb, mc->bd, mc->b_const);
    memcpy(ta.data, a, ta.nbytes);
    memcpy(tb.data, b, tb.nbytes);
    pml_activation act = act_of(mc->act);
    pml_attr attrs[3] = {attr_int("act", act.kind), attr_float("act_alpha", act.alpha), attr_float("act_beta", act.beta)};
    pml_tensor *in[2] = {&ta, &tb};
    pml_tensor out;
    *st = pml_test_op(PML_OP_MATMUL, attrs, 3, in, 2, &out, 1, scalar_only, threads);
    pml_aligned_free(ta.data), pml_aligned_free(tb.data);
    if (*st != PML_OK) pml_aligned_free(out.data), out.data = NULL;
    return out;
}

/* numpy matmul oracle: promote 1-D, broadcast batch dims by coordinates. */
static int64_t oracle_matmul(const mm_case *mc, const float *a, const float *b, float *y, int64_t *ydims) {
    const int ra = mc->ra, rb = mc->rb;
    const int64_t k = mc->ad[ra - 1], m = ra >= 2 ? mc->ad[ra - 2] : 1, n = rb >= 2 ? mc->bd[rb - 1] : 1;
    const int na = ra >= 2 ? ra - 2 : 0, nb = rb >= 2 ? rb - 2 : 0, nr = na > nb ? na : nb;
    int64_t bdims[6], count = 1;
    for (int i = 0; i < nr; i++) {
        const int ia = i - (nr - na), ib = i - (nr - nb);
        const int64_t da = ia >= 0 ? mc->ad[ia] : 1, db = ib >= 0 ? mc->bd[ib] : 1;
        bdims[i] = da > db ? da : db;
        count *= bdims[i];
    }
    int r = 0;
    for (int i = 0; i < nr; i++) ydims[r++] = bdims[i];
    if (ra >= 2) ydims[r++] = m;
    if (rb >= 2) ydims[r++] = n;
    pml_activation act = act_of(mc->act);
    for (int64_t bi = 0; bi < count; bi++) {
        int64_t coord[6], rem = bi;
        for (int i = nr - 1; i >= 0; i--) coord[i] = rem % bdims[i], rem /= bdims[i];
        int64_t aoff = 0, boff = 0;
        for (int i = 0; i < na; i++) aoff = aoff * mc->ad[i] + (mc->ad[i] == 1 ? 0 : coord[i + nr - na]);
        for (int i = 0; i < nb; i++) boff = boff * mc->bd[i] + (mc->bd[i] == 1 ? 0 : coord[i + nr - nb]);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double acc = 0;
                for (int64_t kk = 0; kk < k; kk++)
                    acc += (double)a[aoff * m * k + i * k + kk] * b[boff * k * n + kk * n + j];
                y[(bi * m + i) * n + j] = pml_activation_scalar(&act, (float)acc);
            }
    }
    return r;
}

static void check_matmul(const mm_case *mc) {
    const size_t na = (size_t)pml_shape_numel(mc->ra, mc->ad), nb = (size_t)pml_shape_numel(mc->rb, mc->bd);
    float *a = (float *)malloc(na * sizeof(float) + 4), *b = (float *)malloc(nb * sizeof(float) + 4);
    test_fill(a, na, -1, 1);
    test_fill(b, nb, -1, 1);
    int64_t ydims[8];
    float *want = (float *)malloc(4 * (size_t)1 << 20);
    const int yr = (int)oracle_matmul(mc, a, b, want, ydims);
    const size_t ny = (size_t)pml_shape_numel(yr, ydims);
    char what[160];
    int n = snprintf(what, sizeof what, "MatMul a%s", "");
    n += (int)strlen(pml_shape_str(mc->ra, mc->ad, what + n, sizeof what - (size_t)n));
    n += snprintf(what + n, sizeof what - (size_t)n, " b");
    n += (int)strlen(pml_shape_str(mc->rb, mc->bd, what + n, sizeof what - (size_t)n));
    snprintf(what + n, sizeof what - (size_t)n, " const=%d act=%d", mc->b_const, mc->act);
    const float atol = 2e-6f * (float)(mc->ad[mc->ra - 1] + 8);
    for (int mode = 0; mode < 3; mode++) {
        pml_status s;
        pml_tensor y = run_matmul(mc, a, b, mode == 0, mode == 2 ? 2 : 1, &s);
        CHECK_OK(s);
        if (!y.data) continue;
        int shape_ok = y.rank == yr;
        for (int i = 0; shape_ok && i < yr; i++) shape_ok = y.dims[i] == ydims[i];
        CHECK(shape_ok);
        if (!shape_ok) fprintf(stderr, "%s: wrong output shape\n", what);
        else CHECK(test_allclose((const float *)y.data, want, ny, 1e-4f, atol, what));
        pml_aligned_free(y.data);
    }
    free(a), free(b), free(want);
}

static void test_matmul_cases(void) {
    /* hand: [1,2] @ [[1,2],[3,4]] = [7,10] (1-D a); [[1,2],[3,4]] @ [1,1] = [3,7] (1-D b); [1,2].[3,4] = 11 */
    {
        mm_case mc = {1, 2, {2}, {2, 2}, 1, 0};
        float a[2] = {1, 2}, b[4] = {1, 2, 3, 4};
        pml_status s;
        pml_tensor y = run_matmul(&mc, a, b, 1, 1, &s);
        CHECK_OK(s);
        const float want[2] = {7, 10};
        if (y.data) CHECK(y.rank == 1 && y.dims[0] == 2 && test_allclose((const float *)y.data, want, 2, 0, 1e-6f, "1-D a"));
        pml_aligned_free(y.data);
        mm_case mc2 = {2, 1, {2, 2}, {2}, 0, 0};
        float b2[2] = {1, 1};
        y = run_matmul(&mc2, b, b2, 0, 1, &s);
        CHECK_OK(s);
        const float want2[2] = {3, 7};
        if (y.data) CHECK(y.rank == 1 && y.dims[0] == 2 && test_allclose((const float *)y.data, want2, 2, 0, 1e-6f, "1-D b"));
        pml_aligned_free(y.data);
        mm_case mc3 = {1, 1, {2}, {2}, 1, 0};
        float b3[2] = {3, 4};
        y = run_matmul(&mc3, a, b3, 0, 1, &s);
        CHECK_OK(s);
        if (y.data) CHECK(y.rank == 0 && ((const float *)y.data)[0] == 11.0f);
        pml_aligned_free(y.data);
    }
    const int64_t sizes[] = {1, 5, 6, 7, 13, 127};
    const int64_t ns[] = {1, 15, 16, 17, 40};
    int it = 0;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 5; j++, it++) {
            mm_case mc = {2, 2, {sizes[i], 1 + (it * 37) % 300}, {0, ns[j]}, it % 2, it % 8};
            mc.bd[0] = mc.ad[1];
            check_matmul(&mc);
        }
    /* batched, broadcast, 1-D mixes, K = 0 */
    const mm_case cases[] = {
        {3, 2, {4, 7, 9}, {9, 5}, 1, 1},             /* flattened batches, constant B */
        {3, 2, {4, 7, 9}, {9, 5}, 0, 2},             /* flattened, run-time B */
        {4, 3, {2, 1, 6, 8}, {3, 8, 17}, 1, 3},      /* broadcast both ways */
        {2, 3, {6, 8}, {5, 8, 3}, 0, 0},             /* A broadcast over B's batch */
        {3, 3, {3, 13, 31}, {3, 31, 16}, 1, 5},      /* batched B, constant */
        {1, 3, {8}, {4, 8, 6}, 0, 4},                /* 1-D a, batched b */
        {3, 1, {2, 5, 8}, {8}, 1, 6},                /* batched a, 1-D b */
        {2, 2, {5, 0}, {0, 7}, 1, 7},                /* K = 0: y = act(0) */
        {2, 2, {1, 700}, {700, 33}, 1, 0},           /* GEMV, several K blocks */
        {5, 5, {2, 1, 2, 3, 4}, {1, 3, 1, 4, 5}, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_matmul(&cases[i]);
}

/* ---- Gemm ------------------------------------------------------------------------ */

typedef struct gemm_case {
    int64_t m, n, k;
    int ta, tb;
    float alpha, beta;
    int c_rank;
    int64_t cd[2];
    int b_const, c_const, act;
} gemm_case;

static pml_tensor run_gemm(const gemm_case *g, const float *a, const float *b, const float *c, int scalar_only,
                           int threads, pml_status *st) {
    const int64_t ad[2] = {g->ta ? g->k : g->m, g->ta ? g->m : g->k}, bd[2] = {g->tb ? g->n : g->k, g->tb ? g->k : g->n};
    pml_tensor ta = test_tensor(PML_FLOAT32, 2, ad, 0), tb = test_tensor(PML_FLOAT32, 2, bd, g->b_const);
    pml_tensor tc = test_tensor(PML_FLOAT32, g->c_rank, g->cd, g->c_const);
    memcpy(ta.data, a, ta.nbytes);
    memcpy(tb.data, b, tb.nbytes);
    if (c) memcpy(tc.data, c, tc.nbytes);
    pml_activation act = act_of(g->act);
    pml_attr attrs[7] = {attr_int("transA", g->ta), attr_int("transB", g->tb), attr_float("alpha", g->alpha),
                         attr_float("beta", g->beta), attr_int("act", act.kind), attr_float("act_alpha", act.alpha),
                         attr_float("act_beta", act.beta)};
    pml_tensor *in[3] = {&ta, &tb, c ? &tc : NULL};
    pml_tensor out;
    *st = pml_test_op(PML_OP_GEMM, attrs, 7, in, 3, &out, 1, scalar_only, threads);
    pml_aligned_free(ta.data), pml_aligned_free(tb.data), pml_aligned_free(tc.data);
    if (*st != PML_OK) pml_aligned_free(out.data), out.data = NULL;
    return out;
}

static void check_gemm(const gemm_case *g, int with_c) {
    const size_t na = (size_t)(g->m * g->k), nb = (size_t)(g->k * g->n), nc = (size_t)pml_shape_numel(g->c_rank, g->cd);
    float *a = (float *)malloc(na * 4 + 4), *b = (float *)malloc(nb * 4 + 4), *c = (float *)malloc(nc * 4 + 4);
    float *want = (float *)malloc((size_t)(g->m * g->n) * 4 + 4);
    test_fill(a, na, -1, 1);
    test_fill(b, nb, -1, 1);
    test_fill(c, nc, -1, 1);
    pml_activation act = act_of(g->act);
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < g->n; j++) {
            double acc = 0;
            for (int64_t kk = 0; kk < g->k; kk++)
                acc += (double)(g->ta ? a[kk * g->m + i] : a[i * g->k + kk]) *
                       (g->tb ? b[j * g->k + kk] : b[kk * g->n + j]);
            double cv = 0;
            if (with_c) {
                const int64_t c0 = g->c_rank == 2 ? g->cd[0] : 1, c1 = g->c_rank >= 1 ? g->cd[g->c_rank - 1] : 1;
                cv = c[(c0 == 1 ? 0 : i) * c1 + (c1 == 1 ? 0 : j)];
            }
            want[i * g->n + j] = pml_activation_scalar(&act, (float)(g->alpha * acc + g->beta * cv));
        }
    char what[160];
    snprintf(what, sizeof what, "Gemm m=%lld n=%lld k=%lld tA=%d tB=%d c_rank=%d [%lld,%lld] with_c=%d const=%d,%d act=%d",
             (long long)g->m, (long long)g->n, (long long)g->k, g->ta, g->tb, g->c_rank, (long long)g->cd[0],
             (long long)g->cd[1], with_c, g->b_const, g->c_const, g->act);
    for (int mode = 0; mode < 3; mode++) {
        pml_status s;
        pml_tensor y = run_gemm(g, a, b, with_c ? c : NULL, mode == 0, mode == 2 ? 2 : 1, &s);
        CHECK_OK(s);
        if (!y.data) continue;
        CHECK(y.rank == 2 && y.dims[0] == g->m && y.dims[1] == g->n);
        CHECK(test_allclose((const float *)y.data, want, (size_t)(g->m * g->n), 1e-4f, 2e-6f * (float)(g->k + 8), what));
        pml_aligned_free(y.data);
    }
    free(a), free(b), free(c), free(want);
}

static void test_gemm_cases(void) {
    /* hand: a=[1,2;3,4], b=I, c=[10,20], alpha 2, beta 0.5 -> [2+5, 4+10; 6+5, 8+10] */
    {
        gemm_case g = {2, 2, 2, 0, 0, 2.0f, 0.5f, 1, {2, 0}, 1, 1, 0};
        float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[2] = {10, 20};
        pml_status s;
        pml_tensor y = run_gemm(&g, a, b, c, 1, 1, &s);
        CHECK_OK(s);
        const float want[4] = {7, 14, 11, 18};
        if (y.data) CHECK(test_allclose((const float *)y.data, want, 4, 0, 1e-6f, "Gemm hand"));
        pml_aligned_free(y.data);
    }
    const int64_t ms[] = {1, 5, 6, 7, 13, 127}, ns[] = {1, 15, 16, 17, 33}, ks[] = {1, 13, 256, 257, 600};
    int it = 0;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 5; j++, it++) {
            gemm_case g = {ms[i], ns[j], ks[(i + j) % 5], it % 2, (it / 2) % 2, it % 3 ? 1.0f : 0.75f,
                           it % 4 ? 1.0f : -0.5f, 0, {0, 0}, it % 3 != 1, it % 5 != 3, it % 8};
            /* every c shape: none, [], [1], [N], [1,N], [M,1], [M,N], [1,1] */
            const int shape = it % 8;
            const int64_t shapes[8][3] = {{0, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, g.n, 0}, {2, 1, g.n},
                                          {2, g.m, 1}, {2, g.m, g.n}, {2, 1, 1}};
            g.c_rank = (int)shapes[shape][0];
            g.cd[0] = shapes[shape][1], g.cd[1] = shapes[shape][2];
            check_gemm(&g, shape != 0);
        }
}

static void test_errors(void) {
    const int64_t ad[2] = {3, 4}, bd[2] = {5, 6}, cd[2] = {2, 6}, bd_ok[2] = {4, 6};
    pml_tensor a = test_tensor(PML_FLOAT32, 2, ad, 0), b = test_tensor(PML_FLOAT32, 2, bd, 1);
    pml_tensor b_ok = test_tensor(PML_FLOAT32, 2, bd_ok, 1), c = test_tensor(PML_FLOAT32, 2, cd, 1);
    pml_tensor out;
    pml_tensor *in[3] = {&a, &b, NULL};
    CHECK(pml_test_op(PML_OP_MATMUL, NULL, 0, in, 2, &out, 1, 0, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "contraction") != NULL);
    pml_aligned_free(out.data);
    CHECK(pml_test_op(PML_OP_GEMM, NULL, 0, in, 3, &out, 1, 0, 1) == PML_ERR_SHAPE);
    pml_aligned_free(out.data);
    in[1] = &b_ok, in[2] = &c;
    CHECK(pml_test_op(PML_OP_GEMM, NULL, 0, in, 3, &out, 1, 0, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "does not broadcast") != NULL);
    pml_aligned_free(out.data);
    pml_attr bad = attr_int("transA", 2);
    in[2] = NULL;
    CHECK(pml_test_op(PML_OP_GEMM, &bad, 1, in, 3, &out, 1, 0, 1) == PML_ERR_INVALID_MODEL);
    CHECK(strstr(pml_last_error(), "transA") != NULL);
    pml_aligned_free(out.data);
    /* batch dims that do not broadcast */
    const int64_t a3[3] = {2, 3, 4}, b3[3] = {3, 4, 5};
    pml_tensor ta3 = test_tensor(PML_FLOAT32, 3, a3, 0), tb3 = test_tensor(PML_FLOAT32, 3, b3, 0);
    pml_tensor *in3[2] = {&ta3, &tb3};
    CHECK(pml_test_op(PML_OP_MATMUL, NULL, 0, in3, 2, &out, 1, 0, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "do not broadcast") != NULL);
    pml_aligned_free(out.data);
    tb3.dtype = PML_INT64;
    CHECK(pml_test_op(PML_OP_MATMUL, NULL, 0, in3, 2, &out, 1, 0, 1) == PML_ERR_DTYPE);
    pml_aligned_free(out.data);
    pml_aligned_free(a.data), pml_aligned_free(b.data), pml_aligned_free(b_ok.data), pml_aligned_free(c.data);
    pml_aligned_free(ta3.data), pml_aligned_free(tb3.data);
}

/* x[b] = rows of L * U reversed: L unit lower triangular with off-diagonal entries in
 * [-1/m, 1/m], U upper triangular with its diagonal in [0.95, 1.05] and the rest in [-1/m, 1/m];
 * det = (-1)^(m(m-1)/2) * prod(diag U), computed in double. The reversal makes every step pivot. */
static double det_fill(int64_t m, float *x, unsigned *seed) {
    double *l = calloc((size_t)(m * m), sizeof(double)), *u = calloc((size_t)(m * m), sizeof(double)), det = 1.0;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < m; j++) {
            double r = ((double)(*seed = *seed * 1103515245u + 12345u) / 4294967296.0) * 2.0 - 1.0;
            if (j < i) l[i * m + j] = r / (double)m;
            if (j == i) l[i * m + j] = 1.0, u[i * m + j] = 1.0 + 0.05 * r, det *= u[i * m + j];
            if (j > i) u[i * m + j] = r / (double)m;
        }
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < m; j++) {
            double acc = 0.0;
            for (int64_t k = 0; k < m; k++) acc += l[i * m + k] * u[k * m + j];
            x[(m - 1 - i) * m + j] = (float)acc;
        }
    free(l), free(u);
    return (m * (m - 1) / 2) % 2 ? -det : det;
}

static void test_det(void) {
    const int64_t sizes[6] = {1, 2, 3, 4, 13, 127};
    unsigned seed = 7;
    for (int k = 0; k < 6; k++) {
        int64_t m = sizes[k], dims[3] = {3, m, m}, od[1] = {3};
        pml_tensor x = test_tensor(PML_FLOAT32, 3, dims, 0), out;
        float want[3];
        for (int b = 0; b < 3; b++) want[b] = (float)det_fill(m, (float *)x.data + b * m * m, &seed);
        pml_tensor *in[1] = {&x};
        for (int threads = 1; threads <= 2; threads++) {
            CHECK_OK(pml_test_op(PML_OP_DET, NULL, 0, in, 1, &out, 1, 1, threads));
            CHECK(out.rank == 1 && out.dims[0] == od[0]);
            CHECK(test_allclose((const float *)out.data, want, 3, m > 13 ? 1e-3f : 1e-5f, 1e-6f, "det"));
            pml_aligned_free(out.data);
        }
        pml_aligned_free(x.data);
    }
    /* float16 on exactly representable values: [[0,2,1],[3,1,0],[1,1,1]] -> -4 (a pivot swap first) */
    const int64_t d3[2] = {3, 3};
    const float v[9] = {0, 2, 1, 3, 1, 0, 1, 1, 1};
    pml_tensor h = test_tensor(PML_FLOAT16, 2, d3, 0), out;
    for (int i = 0; i < 9; i++) ((uint16_t *)h.data)[i] = pml_f32_to_f16_scalar(v[i]);
    pml_tensor *hin[1] = {&h};
    CHECK_OK(pml_test_op(PML_OP_DET, NULL, 0, hin, 1, &out, 1, 1, 1));
    CHECK(out.rank == 0 && pml_f16_to_f32_scalar(*(const uint16_t *)out.data) == -4.0f);
    pml_aligned_free(out.data);
    pml_aligned_free(h.data);
    /* errors: not square, rank 1, an integer dtype */
    const int64_t d23[2] = {2, 3}, d4[1] = {4};
    pml_tensor ns = test_tensor(PML_FLOAT32, 2, d23, 0), r1 = test_tensor(PML_FLOAT32, 1, d4, 0);
    pml_tensor *e1[1] = {&ns}, *e2[1] = {&r1};
    CHECK(pml_test_op(PML_OP_DET, NULL, 0, e1, 1, &out, 1, 1, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "square") != NULL);
    pml_aligned_free(out.data);
    CHECK(pml_test_op(PML_OP_DET, NULL, 0, e2, 1, &out, 1, 1, 1) == PML_ERR_SHAPE);
    pml_aligned_free(out.data);
    ns.dtype = PML_INT32;
    CHECK(pml_test_op(PML_OP_DET, NULL, 0, e1, 1, &out, 1, 1, 1) == PML_ERR_DTYPE);
    pml_aligned_free(out.data);
    pml_aligned_free(ns.data), pml_aligned_free(r1.data);
}

int main(void) {
    test_matmul_cases();
    test_gemm_cases();
    test_errors();
    test_det();
    return test_finish("test_matmul");
}
