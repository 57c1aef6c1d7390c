/*
 * test_gemm.c — the GEMM engine (kernels/gemm.h) below the ops:
 *  - micro-kernels (portable 4x16, AVX2 6x16 and 1x16) for every mr x nr
 *    corner, with canaries around C proving nothing outside mr x nr is written;
 *  - the blocked driver (packing, K blocks, pack_a, batches, accumulate,
 *    threads 1 and 2) against the naive reference at awkward sizes;
 *  - the AVX2 activation epilogue against pml_activation_scalar;
 *  - the naive reference itself on a hand-computed case.
 */
#include "testutil.h"

#include "kernels/config.h"
#include "kernels/matmul/gemm.h"

#define CANARY 12345.0f

static pml_activation act_of(int kind) {
    static const float alpha[8] = {0, 0, -0.5f, 0, 0, 0.1f, 0, 0.2f}, beta[8] = {0, 0, 0.7f, 0, 0, 0, 0, 0.5f};
    pml_activation a = {kind, alpha[kind], beta[kind]};
    return a;
}

static void test_ref_hand(void) {
    const float a[6] = {1, 2, 3, 4, 5, 6};   /* 2x3 */
    const float b[6] = {1, 0, 0, 1, 1, 1};   /* 3x2 */
    const float bias[2] = {0.5f, -100};
    float c[4];
    pml_activation relu = act_of(PML_ACT_RELU);
    pml_f32_gemm_ref(2, 2, 3, a, 3, 1, b, 2, 1, 2.0f, bias, 0, c, 2, &relu);
    /* a@b = [4,5;10,11]; *2 + bias = [8.5,-90;20.5,-78]; relu */
    const float want[4] = {8.5f, 0, 20.5f, 0};
    CHECK(test_allclose(c, want, 4, 0, 1e-6f, "gemm_ref hand"));
}

static void test_ukernel(const char *name, pml_f32_gemm_ukernel uk, size_t mr_max) {
    const size_t kcs[] = {0, 1, 7, 64};
    for (size_t ki = 0; ki < 4; ki++)
        for (size_t mr = 1; mr <= mr_max; mr++)
            for (size_t nr = 1; nr <= 16; nr++) {
                const size_t kc = kcs[ki], lda = kc + 3, ldc = 16 + 5;
                float a[8 * 70], *w = (float *)pml_aligned_alloc(16 * (kc + 1) * sizeof(float));
                float init[16] __attribute__((aligned(64)));
                float c[8 * 21], want[8 * 21];
                test_fill(a, sizeof a / sizeof a[0], -1, 1);
                test_fill(w, 16 * kc, -1, 1);
                test_fill(init, 16, -1, 1);
                const int use_init = (mr + nr) % 2;
                const int kind = (int)((mr * 3 + nr + ki) % 8);
                pml_activation act = act_of(kind);
                for (size_t i = 0; i < 8 * ldc; i++) c[i] = CANARY;
                for (size_t r = 0; r < mr; r++)
                    for (size_t j = 0; j < nr; j++) c[r * ldc + j] = test_randf(-1, 1);
                memcpy(want, c, sizeof c);
                for (size_t r = 0; r < mr; r++)
                    for (size_t j = 0; j < nr; j++) {
                        double acc = use_init ? init[j] : c[r * ldc + j];
                        for (size_t k = 0; k < kc; k++) acc += (double)a[r * lda + k] * w[k * 16 + j];
                        want[r * ldc + j] = pml_activation_scalar(&act, (float)acc);
                    }
                uk(mr, nr, kc, a, lda, w, use_init ? init : NULL, c, ldc, &act);
                char what[96];
                snprintf(what, sizeof what, "%s mr=%zu nr=%zu kc=%zu act=%d init=%d", name, mr, nr, kc, kind, use_init);
                CHECK(test_allclose(c, want, 8 * ldc, 1e-5f, 1e-5f, what));
                pml_aligned_free(w);
            }
}

typedef struct batch_ctx {
    const float *a;
    const float *packed;
    float *c;
    int64_t m, k, n, ldc;
    size_t packed_floats;
    int trans;
} batch_ctx;

static void batch_ptrs(const void *arg, int64_t batch, const float **a, const float **b, float **c) {
    const batch_ctx *bc = (const batch_ctx *)arg;
    *a = bc->a + batch * bc->m * bc->k;
    *b = bc->packed + (size_t)batch * bc->packed_floats;
    *c = bc->c + batch * bc->m * bc->ldc;
}

/* A stored transposed ([K, M] per batch): the driver gets it through pack_a. */
static void pack_a_t(const void *arg, int64_t batch, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst,
                     int64_t ld) {
    const batch_ctx *bc = (const batch_ctx *)arg;
    const float *a = bc->a + batch * bc->m * bc->k;
    for (int64_t r = 0; r < mb; r++)
        for (int64_t kk = 0; kk < kcb; kk++) dst[r * ld + kk] = a[(k0 + kk) * bc->m + m0 + r];
}

static void test_driver(const pml_f32_kernels *kern) {
    const int64_t ms[] = {1, 5, 6, 7, 13, 127};
    const int64_t ns[] = {1, 15, 16, 17, 33};
    const int64_t ks[] = {0, 1, 13, 256, 257, 600};
    int iter = 0;
    for (size_t mi = 0; mi < 6; mi++)
        for (size_t ni = 0; ni < 5; ni++)
            for (size_t ki = 0; ki < 6; ki++, iter++) {
                const int64_t m = ms[mi], n = ns[ni], k = ks[ki], batch = 1 + iter % 3;
                const int trans = iter % 4 == 1, accumulate = iter % 5 == 2, threads = 1 + iter % 2;
                const int64_t lda = trans ? k : k + (iter % 3), ldc = n + iter % 2;
                const pml_activation act = act_of(iter % 8);
                float *a = (float *)malloc((size_t)(batch * m * (lda > 0 ? lda : 1) + 1) * sizeof(float));
                float *b = (float *)malloc((size_t)(batch * k * n + 1) * sizeof(float));
                float *bias = (float *)malloc((size_t)n * sizeof(float));
                float *c = (float *)malloc((size_t)(batch * m * ldc) * sizeof(float));
                float *want = (float *)malloc((size_t)(batch * m * ldc) * sizeof(float));
                const size_t pf = pml_gemm_packed_floats(k, n);
                float *packed = (float *)pml_aligned_alloc((size_t)batch * pf * sizeof(float));
                test_fill(a, (size_t)(batch * m * (lda > 0 ? lda : 1)), -1, 1);
                test_fill(b, (size_t)(batch * k * n), -1, 1);
                test_fill(bias, (size_t)n, -1, 1);
                test_fill(c, (size_t)(batch * m * ldc), -1, 1);
                for (int64_t i = 0; i < batch * m * ldc; i++)
                    if (i % ldc >= n) c[i] = CANARY;
                memcpy(want, c, (size_t)(batch * m * ldc) * sizeof(float));
                const float alpha = iter % 3 == 0 ? 0.5f : 1.0f;
                for (int64_t bt = 0; bt < batch; bt++) {
                    pml_gemm_pack_b(b + bt * k * n, k, n, n, 1, alpha, bias, 1, 1.0f, packed + (size_t)bt * pf);
                    /* the oracle: A as [M, K] with lda, or transposed [K, M] */
                    const float *ab = a + bt * m * (trans ? k : lda);
                    pml_f32_gemm_ref(m, n, k, ab, trans ? 1 : lda, trans ? m : 1, b + bt * k * n, n, 1, alpha,
                                     accumulate ? NULL : bias, accumulate, want + bt * m * ldc, ldc, &act);
                }
                batch_ctx bc = {a, packed, c, m, trans ? k : lda, n, ldc, pf, trans};
                pml_gemm_problem p = {.m = m, .n = n, .k = k, .batch = batch, .a = a, .lda = lda, .packed_b = packed,
                                      .c = c, .ldc = ldc, .batch_ptrs = batch_ptrs, .pack_a = trans ? pack_a_t : NULL,
                                      .cb_ctx = &bc, .accumulate = accumulate, .act = act};
                pml_threadpool *pool = threads > 1 ? pml_threadpool_create(threads) : NULL;
                const size_t sf = pml_gemm_scratch_floats(kern, &p);
                float *scratch = sf ? (float *)pml_aligned_alloc(sf * (size_t)threads * sizeof(float)) : NULL;
                pml_gemm_run(kern, &p, pool, scratch);
                char what[128];
                snprintf(what, sizeof what, "%s driver m=%lld n=%lld k=%lld batch=%lld trans=%d acc=%d act=%d thr=%d",
                         kern->isa, (long long)m, (long long)n, (long long)k, (long long)batch, trans, accumulate,
                         act.kind, threads);
                CHECK(test_allclose(c, want, (size_t)(batch * m * ldc), 1e-4f, 2e-6f * (float)(k + 8), what));
                pml_threadpool_destroy(pool);
                pml_aligned_free(scratch), pml_aligned_free(packed);
                free(a), free(b), free(bias), free(c), free(want);
            }
}

static void test_bias_act(const pml_f32_kernels *kern) {
    static const float special[] = {0.0f, -0.0f, 1e-4f, -1e-4f, 0.29f, -0.31f, 0.3f, 1.0f, -3.0f, 3.0f, 9.0f,
                                    -9.0f, 20.0f, -20.0f, 87.0f, -87.0f, 89.0f, -89.0f, 100.0f, -104.0f, 1e30f, -1e30f};
    const int64_t rows = 3, cols = 61, n = rows * cols;
    for (int kind = 0; kind < 8; kind++) {
        pml_activation act = act_of(kind);
        float x[3 * 61], y[3 * 61], bias[61];
        test_fill(x, (size_t)n, -12, 12);
        memcpy(x, special, sizeof special);
        test_fill(bias, (size_t)cols, -0.5f, 0.5f);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            memcpy(y, x, sizeof x);
            float want[3 * 61];
            for (int64_t i = 0; i < n; i++)
                want[i] = pml_activation_scalar(&act, x[i] + (with_bias ? bias[i % cols] : 0.0f));
            kern->bias_act(y, rows, cols, cols, with_bias ? bias : NULL, &act);
            char what[64];
            snprintf(what, sizeof what, "%s bias_act kind=%d bias=%d", kern->isa, kind, with_bias);
            CHECK(test_allclose(y, want, (size_t)n, 2e-6f, 1e-7f, what));
        }
    }
}

int main(void) {
    test_ref_hand();
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *best = NULL;
    CHECK_OK(pml_kernel_config_select(&cpu, NULL, &best));
    if (!best) return test_finish("test_gemm");
    const pml_f32_kernels *tables[2] = {pml_kernel_config_scalar()->f32.mm, best->f32.mm};
    const int n_tables = tables[1] != tables[0] ? 2 : 1;
    for (int t = 0; t < n_tables; t++) {
        printf("kernels: %s\n", tables[t]->isa);
        test_ukernel(tables[t]->isa, tables[t]->gemm, tables[t]->gemm_mr);
        test_ukernel(tables[t]->isa, tables[t]->gemm_1, 1);
        test_driver(tables[t]);
        test_bias_act(tables[t]);
    }
    return test_finish("test_gemm");
}
