/*
 * test_qconv_dwpw.c — a depthwise conv and the 1x1 conv after it run as one banded job
 * (pml_qs8_dwpw_run, kernels/conv/s8_conv.h) against the two convs run one after the other
 * by their own drivers: both outputs byte for byte, in every configuration, at awkward sizes
 * (rows not a multiple of the bands, more bands than rows, batches, stride 2, a uint8 middle
 * read as it is, a residual Add in the 1x1 conv's epilogue), on 1, 2 and 3 threads, with
 * 64 guard bytes after each output. The separate runs are themselves checked against the
 * reference kernels by test_qconv_depthwise.c and test_qgemm.c.
 */
#include "qconv_testutil.h"

static pml_threadpool *g_pool3;

/* One pair: dw (k x k, stride s) on an h x w x c map, then 1x1 c -> cout. */
static int check_pair(const pml_kernel_config *cfg, pml_threadpool *pool, int64_t n, int64_t h, int64_t w, int64_t c,
                      int64_t cout, int64_t k, int64_t s, int64_t bands, int v, int with_sum) {
    const pml_qs8_gemm_kernels *kern = cfg->qs8->mm;
    const pml_conv_geom dg = geom(n, h, w, c, c, c, k, s, k / 2, 1);
    const pml_conv_geom pg = geom(n, dg.oh, dg.ow, c, cout, 1, 1, 1, 0, 1);
    if (!pml_qs8_dwpw_eligible(&dg, &pg)) return 0;
    const size_t nx = (size_t)(n * h * w * c), nm = (size_t)(n * dg.oh * dg.ow * c), ny = (size_t)(n * pg.oh * pg.ow * cout);
    static qparams dq, pq;
    make_quant(&dq, c, k * k, v & ~16, 0);          /* depthwise: weight zero points in */
    make_quant(&pq, cout, c, v >> 1 | 256, 0);      /* 1x1: its own modes, uint8 x readable */
    pq.q.a_zero_point = dq.q.rq.zero_point;         /* it reads what the depthwise wrote */
    if (dq.q.out_dtype == PML_UINT8) pq.q.a_zero_point -= 128; /* the int8 view of a uint8 zero point */
    int8_t *x = malloc(nx), *dw_w = malloc((size_t)(k * k * c)), *pw_w = malloc((size_t)(c * cout));
    uint8_t *res = malloc(ny);
    fill_s8(x, nx, 0), fill_s8(dw_w, (size_t)(k * k * c), 0), fill_s8(pw_w, (size_t)(c * cout), 0);
    for (size_t i = 0; i < ny; i++) res[i] = (uint8_t)rnd();
    void *dp = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(&dg)), *pp = pml_aligned_alloc(pml_qs8_conv_packed_bytes(&pg));
    pml_qs8_dwconv_pack(&dg, dw_w, &dq.q, dp);
    pml_qs8_conv_pack(kern, &pg, pw_w, &pq.q, pp);
    const int mid_u8 = dq.q.out_dtype == PML_UINT8 && pml_qs8_conv_takes_u8(&pg, pp);
    if (dq.q.out_dtype == PML_UINT8 && !mid_u8) { /* the op flips it through scratch: not paired */
        free(x), free(dw_w), free(pw_w), free(res), pml_aligned_free(dp), pml_aligned_free(pp);
        return 0;
    }
    pml_qbinary_params add; /* y = conv + res, scales of its own: the same Add on both paths */
    memset(&add, 0, sizeof add);
    const int32_t lo = pq.q.out_dtype == PML_UINT8 ? 0 : -128, hi = lo + 255;
    if (with_sum)
        CHECK(pml_qbinary_params_init(&add, PML_QBIN_ADD, PML_REQUANT_FIXED_POINT, 0, 0.05f, pq.q.rq.zero_point, 0.07f,
                                      lo + 100, 0.09f, lo + 120, lo, hi) == 0);
    const pml_qs8_conv_sum sum = {res, &add};
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    size_t stride = pml_qs8_dwconv_scratch_bytes(kern, &dg, dp);
    if (pml_qs8_conv_scratch_bytes(kern, &pg) > stride) stride = pml_qs8_conv_scratch_bytes(kern, &pg);
    stride = (stride + 4095) / 4096 * 4096;
    void *buf = pml_aligned_alloc(stride * (size_t)threads);
    const pml_thread_scratch ts = pml_thread_scratch_of(buf, stride);
    uint8_t *mid = malloc(nm + 64), *y = malloc(ny + 64), *want_mid = malloc(nm), *want_y = malloc(ny);
    pml_qs8_dwconv_run(kern, &dg, x, dp, want_mid, pool, ts);
    pml_qs8_conv_run_sum(kern, &pg, (const int8_t *)want_mid, mid_u8, pp, with_sum ? &sum : NULL, want_y, pool, ts);
    memset(mid, 0xA5, nm + 64), memset(y, 0xA5, ny + 64);
    const pml_qs8_dwpw pair = {&dg, &pg, dp, pp, mid_u8, with_sum ? &sum : NULL};
    pml_qs8_dwpw_run(kern, &pair, bands, x, mid, y, pool, ts);
    int ok = memcmp(mid, want_mid, nm) == 0 && memcmp(y, want_y, ny) == 0;
    for (size_t i = 0; i < 64; i++) ok &= mid[nm + i] == 0xA5 && y[ny + i] == 0xA5;
    if (!ok)
        fprintf(stderr, "%s: dw %lldx%lld s%lld on %lldx%lldx%lldx%lld -> 1x1 %lld, %lld bands, %d threads, v=%d sum=%d differs\n",
                cfg->name, (long long)k, (long long)k, (long long)s, (long long)n, (long long)h, (long long)w,
                (long long)c, (long long)cout, (long long)bands, threads, v, with_sum);
    free(x), free(dw_w), free(pw_w), free(res), free(mid), free(y), free(want_mid), free(want_y);
    pml_aligned_free(dp), pml_aligned_free(pp), pml_aligned_free(buf);
    CHECK(ok);
    return 1;
}

static void test_config(const pml_kernel_config *cfg) {
    static const int64_t shapes[][7] = { /* n, h, w, c, cout, k, s */
        {1, 16, 16, 32, 64, 3, 1}, {1, 17, 9, 48, 40, 3, 2}, {2, 8, 8, 64, 24, 3, 1}, {1, 7, 5, 16, 16, 5, 1},
        {1, 3, 12, 32, 96, 3, 1},  {3, 5, 6, 24, 16, 3, 2},  {1, 33, 33, 16, 32, 3, 2}};
    pml_threadpool *pools[3] = {NULL, g_pool2, g_pool3};
    int cases = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
        for (int p = 0; p < 3; p++)
            for (int v = 0; v < 8; v++) {
                const int64_t *sh = shapes[si];
                const int64_t bands = 1 + (v + p + (int)si) % 5; /* 1..5: more bands than rows on small maps */
                cases += check_pair(cfg, pools[p], sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], sh[6], bands, v * 5 + 1,
                                    v & 1);
            }
    printf("%s: %d depthwise + 1x1 pairs against the two convs run apart\n", cfg->name, cases);
    CHECK(cases > 0);
}

/* Which pairs band: 32 pixels per band at least, at two threads or more, two bands per
 * thread where that keeps 32 pixels each. */
static void test_bands(void) {
    const pml_conv_geom dw64 = geom(1, 64, 64, 32, 32, 32, 3, 1, 1, 1), pw64 = geom(1, 64, 64, 32, 64, 1, 1, 1, 0, 1);
    const pml_conv_geom dw4 = geom(1, 8, 8, 512, 512, 512, 3, 2, 1, 1), pw4 = geom(1, 4, 4, 512, 512, 1, 1, 1, 0, 1);
    const pml_conv_geom dw8 = geom(1, 8, 8, 512, 512, 512, 3, 1, 1, 1), pw8 = geom(1, 8, 8, 512, 512, 1, 1, 1, 0, 1);
    CHECK(pml_qs8_dwpw_eligible(&dw64, &pw64) && pml_qs8_dwpw_eligible(&dw4, &pw4) &&
          pml_qs8_dwpw_eligible(&dw8, &pw8));
    CHECK(pml_qs8_dwpw_bands(&dw64, 1) == 0 && pml_qs8_dwpw_bands(&dw64, 2) == 4);
    CHECK(pml_qs8_dwpw_bands(&dw64, 3) == 6);
    CHECK(pml_qs8_dwpw_bands(&dw8, 2) == 2 && pml_qs8_dwpw_bands(&dw4, 2) == 0);
    const pml_conv_geom pw_pad = geom(1, 64, 64, 32, 64, 1, 1, 1, 1, 1); /* padded 1x1: not a pointwise GEMM */
    CHECK(!pml_qs8_dwpw_eligible(&dw64, &pw_pad));
}

int main(void) {
    pml_cpu_detect(&g_cpu);
    g_pool2 = pml_threadpool_create(2);
    g_pool3 = pml_threadpool_create(3);
    test_bands();
    char names[128];
    snprintf(names, sizeof names, "%s", pml_kernel_config_available(&g_cpu));
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const pml_kernel_config *c = NULL;
        CHECK_OK(pml_kernel_config_select(&g_cpu, name, &c));
        if (c) test_config(c);
    }
    pml_threadpool_destroy(g_pool2);
    pml_threadpool_destroy(g_pool3);
    return test_finish("test_qconv_dwpw");
}
