/*
 * test_qgemm_dense.c — the int8 GEMM's dense store (kernels/matmul/s8_gemm.h,
 * pml_qs8_dense_store_fn: raw accumulator tiles, then 16 outputs a vector across C's
 * back-to-back rows with cycling column parameters) against its oracle: the naive reference
 * GEMM (pml_qs8_gemm_ref), then, with a residual, the standalone scalar int8 Add
 * (pml_s8_qbinary__scalar; uint8 through the sign flip). Exact equality, never a tolerance.
 *
 * Every configuration with a dense store, and its store behind the scalar tiles, the AVX2
 * pair tiles and its own u8 x s8 tiles one panel a call (every tile's raw store), at K and N
 * in {1, 3, 8, 9, 15, 16, 17, 24, 28, 32, 33, 41, 48, 64} (N not a multiple of 16 takes the
 * dense store; the others check the driver leaves it), M in {1, 5, 6, 7, 13, 300} (row tails;
 * 300 rows span several accumulator blocks), with and without the residual Add in every Add
 * case (both requantizations, inputs of ratio 1/2, a fused ReLU), per-tensor and per-channel,
 * int8 and uint8, both requantization modes, small and large accumulators (the small_acc
 * rounding and the general one), zero and nonzero weight zero points (the quad and the pair
 * packing), operands and zero points at the ends of their ranges, one and two threads.
 */
#include "kernels/config.h"
#include "kernels/quant/qelementwise.h"
#include "testutil.h"

static pml_cpu g_cpu;
static pml_threadpool *g_pool2;

#define rnd test_rand_u32
#define rnd_range test_rand_range

#define MAXN 64

typedef struct dcase {
    int32_t wzp[MAXN], bias[MAXN], mult[MAXN], shift[MAXN];
    float scale[MAXN];
    pml_qs8_quant q;
    pml_qbinary_params add, add_s8; /* the tensors' own domain; the int8 view the scalar Add runs */
} dcase;

/* v's bits: 1 per channel, 2 float requantization, 4 uint8, 8 extreme operands and zero points,
 * 16 large biases (no small_acc), 32 the Add in float mode, 64 the Add's ReLU, 128 the residual
 * of the conv's own scale (the fixed-point Add's inputs of ratio 1/2), 256 nonzero weight zero
 * points (the int16 pair packing and its tiles) */
static void make_case(dcase *c, int64_t n, int64_t k, int v) {
    memset(c, 0, sizeof *c);
    const int u8 = (v & 4) != 0, extreme = (v & 8) != 0;
    const int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127, off = u8 ? 128 : 0;
    c->q.a_zero_point = extreme ? (v & 1 ? -128 : 127) : rnd_range(-128, 127); /* int8 view */
    c->q.w_zero_point = v & 256 ? c->wzp : NULL; /* NULL: the quad packing where the configuration has it */
    c->q.w_zp_per_channel = 1;
    c->q.bias = c->bias;
    for (int64_t j = 0; j < n; j++) {
        c->wzp[j] = j % 3 == 2 ? 0 : rnd_range(-20, 20);
        c->bias[j] = v & 16 ? (j & 1 ? INT32_MIN + rnd_range(0, 1000) : INT32_MAX - rnd_range(0, 1000))
                            : rnd_range(-20000, 20000);
        const double real = (0.2 + (rnd() % 1000) / 400.0) / (32.0 * (double)k);
        pml_quantize_multiplier(real, &c->mult[j], &c->shift[j]);
        c->scale[j] = (float)real;
    }
    c->q.rq.mode = v & 2 ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    c->q.rq.per_channel = v & 1;
    c->q.rq.multiplier = c->mult, c->q.rq.shift = c->shift, c->q.rq.scale = c->scale;
    c->q.rq.zero_point = extreme ? (v & 1 ? lo : hi) : rnd_range(lo, hi);
    c->q.rq.qmin = lo, c->q.rq.qmax = hi;
    c->q.out_dtype = u8 ? PML_UINT8 : PML_INT8;
    const float sa = 0.01f + (float)(rnd() % 1000) / 10000.0f, sb = v & 128 ? sa : 0.01f + (float)(rnd() % 1000) / 10000.0f;
    const float sy = 0.02f + (float)(rnd() % 1000) / 7000.0f;
    const int32_t za = c->q.rq.zero_point, zb = rnd_range(lo, hi), zy = rnd_range(lo, hi);
    const int32_t qmin = v & 64 ? zy : lo, mode = v & 32 ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    CHECK(pml_qbinary_params_init(&c->add, PML_QBIN_ADD, mode, 0, sa, za, sb, zb, sy, zy, qmin, hi) == 0);
    CHECK(pml_qbinary_params_init(&c->add_s8, PML_QBIN_ADD, mode, 0, sa, za - off, sb, zb - off, sy, zy - off,
                                  qmin - off, hi - off) == 0);
}

static void flip(const uint8_t *src, uint8_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i] ^ 0x80u;
}

static int check_case(const pml_qs8_gemm_kernels *kern, pml_threadpool *pool, int64_t m, int64_t n, int64_t k, int v,
                      int with_add, const char *name) {
    dcase c;
    make_case(&c, n, k, v);
    const int u8 = c.q.out_dtype == PML_UINT8;
    const size_t ny = (size_t)(m * n);
    int8_t *a = malloc((size_t)(m * k)), *w = malloc((size_t)(k * n));
    uint8_t *y = malloc(ny), *want = malloc(ny), *res = malloc(ny), *r8 = malloc(ny);
    for (int64_t i = 0; i < m * k; i++) a[i] = (int8_t)(v & 8 ? (rnd() & 1 ? 127 : -128) : rnd_range(-128, 127));
    for (int64_t i = 0; i < k * n; i++) w[i] = (int8_t)(v & 8 ? (rnd() & 1 ? 127 : -128) : rnd_range(-128, 127));
    for (size_t i = 0; i < ny; i++) res[i] = (uint8_t)rnd();
    pml_qs8_gemm_ref(m, n, k, a, k, w, n, 1, &c.q, want, n);
    if (with_add) { /* the standalone Add on the int8 view */
        if (u8) flip(want, want, ny), flip(res, r8, ny);
        else memcpy(r8, res, ny);
        pml_s8_qbinary__scalar[PML_QBIN_ADD].vv(ny, want, r8, want, &c.add_s8);
        if (u8) flip(want, want, ny);
    }
    void *packed = pml_aligned_alloc(pml_qs8_gemm_packed_bytes(k, n));
    pml_qs8_gemm_pack(kern, k, n, w, n, 1, &c.q, 0, packed);
    pml_qs8_gemm_problem p = {.m = m, .n = n, .k = k, .batch = 1, .a = a, .lda = k, .packed = packed, .c = y, .ldc = n};
    if (with_add) p.add = &c.add, p.residual = res;
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    const size_t sb = pml_qs8_gemm_scratch_bytes(kern, &p);
    void *scratch = pml_aligned_alloc(sb * (size_t)threads + 64);
    memset(y, 0xA5, ny);
    pml_qs8_gemm_run(kern, &p, pool, pml_thread_scratch_of(scratch, sb));
    size_t i = 0;
    while (i < ny && y[i] == want[i]) i++;
    if (i < ny)
        fprintf(stderr, "%s: m=%lld n=%lld k=%lld v=%d add=%d: element %zu (row %lld col %lld) is %d, want %d\n", name,
                (long long)m, (long long)n, (long long)k, v, with_add, i, (long long)(i / (size_t)n),
                (long long)(i % (size_t)n), y[i], want[i]);
    free(a), free(w), free(y), free(want), free(res), free(r8);
    pml_aligned_free(packed), pml_aligned_free(scratch);
    return i == ny;
}

static int g_cases;

static void test_kernels(const char *name, const pml_qs8_gemm_kernels *kern) {
    static const int64_t kn[] = {1, 3, 8, 9, 15, 16, 17, 24, 28, 32, 33, 41, 48, 64};
    static const int64_t ms[] = {1, 5, 6, 7, 13, 300};
    const size_t nk = sizeof kn / sizeof kn[0], nm = sizeof ms / sizeof ms[0];
    int combo = 0;
    for (size_t ki = 0; ki < nk; ki++)
        for (size_t ni = 0; ni < nk; ni++, combo++) {
            const int64_t m = ms[(size_t)combo % nm];
            for (int with_add = 0; with_add < 2; with_add++, g_cases++) {
                const int v = (int)(rnd() & 511);
                CHECK(check_case(kern, combo & 1 ? g_pool2 : NULL, m, kn[ni], kn[ki], v, with_add, name));
            }
        }
    /* every mode bit combination on the awkward N, a few rows past one accumulator block */
    for (int v = 0; v < 512; v++, g_cases++)
        CHECK(check_case(kern, v & 1 ? g_pool2 : NULL, 151 + v % 7, v & 16 ? 24 : 28, 24 + v % 9, v, (v >> 1) & 1, name));
}

int main(void) {
    pml_cpu_detect(&g_cpu);
    g_pool2 = pml_threadpool_create(2);
    char names[128];
    snprintf(names, sizeof names, "%s", pml_kernel_config_available(&g_cpu));
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const pml_kernel_config *c = NULL;
        CHECK_OK(pml_kernel_config_select(&g_cpu, name, &c));
        if (!c || !c->qs8->mm->dense_store) continue;
        test_kernels(c->name, c->qs8->mm);
        /* the dense store behind the scalar tiles, and behind the u8 x s8 tiles one panel a call */
        pml_qs8_gemm_kernels scalar_tiles = *pml_kernel_config_scalar()->qs8->mm;
        scalar_tiles.dense_store = c->qs8->mm->dense_store;
        test_kernels("dense store behind scalar tiles", &scalar_tiles);
        pml_qs8_gemm_kernels one_panel = *c->qs8->mm;
        one_panel.u8_gemm_raw2 = NULL;
        test_kernels("dense store, one panel a call", &one_panel);
#ifdef PML_ARCH_X86 /* (an aarch64/armv7 build has no AVX2 kernels to name) */
        /* ... and behind the AVX2 pair tiles, 6 and 4 rows (their raw stores) */
        if (pml_kernel_isa_available(&g_cpu, "avx2")) {
            pml_qs8_gemm_kernels avx2 = {.isa = "avx2", .gemm_mr = 6, .gemm = pml_s8_gemm_6x16__avx2,
                                         .gemm_1 = pml_s8_gemm_1x16__avx2, .widen = pml_s8_widen__avx2,
                                         .dense_store = c->qs8->mm->dense_store};
            test_kernels("dense store behind avx2 6x16 tiles", &avx2);
            avx2.gemm_mr = 4, avx2.gemm = pml_s8_gemm_4x16__avx2;
            test_kernels("dense store behind avx2 4x16 tiles", &avx2);
        }
#endif
    }
    printf("%d dense-store GEMMs against the reference GEMM (+ reference Add)\n", g_cases);
    pml_threadpool_destroy(g_pool2);
    return test_finish("test_qgemm_dense");
}
