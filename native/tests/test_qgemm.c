/*
 * test_qgemm.c — the exact int8 GEMM, convolution and depthwise kernels.
 *
 * 1. The naive references (pml_qs8_gemm_ref, pml_qs8_conv_ref, the int16x8 ones) against
 *    hand-computed values and against each other through an im2col written here.
 * 2. Every listed micro-kernel, widening and depthwise variant this CPU runs (the scalar ones
 *    included), through the driver, against the references at awkward sizes (M = 1, MR-1,
 *    MR, MR+1, 13, 127, 300, and 1..13; N = 1, 15, 16, 17, 33; K = 1, 3, 4, 5, 7, 8, 9, 27, 31, 33, 64, 127, 255, 256,
 *    257), both requantization modes, int8 and uint8 outputs, zero points at the ends of
 *    their ranges and operands at -128/127 everywhere (any 16-bit saturation would show):
 *    exact equality, never a tolerance.
 * 3. The requantizing store alone (K = 0, so the accumulator is the bias) over the whole
 *    int32 range and every shift, against pml_requantize.
 *    The u8 x s8 tiles (weights quad-packed, activations flipped by 0x80 and the +128 folded
 *    into the bias) the same way, with zero weight zero points three times in four and the
 *    fallback to the pair tiles (a nonzero weight zero point) the fourth; the packing's
 *    choice is checked too.
 * 4. Every configuration's qs8 slots, threaded, on convolutions of every kind, with and
 *    without zero weight zero points.
 */
#include <pthread.h>

#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "testutil.h"

static pml_cpu g_cpu;
static int g_variants;
static pml_threadpool *g_pool2;

#define RUNS(isa) (pml_kernel_isa_available(&g_cpu, #isa) && ++g_variants)

#define rnd test_rand_u32 /* testutil.h's shared xorshift state */
#define rnd_range test_rand_range

/* int8 data: random, or (extreme) only -128 and 127 */
static void fill_s8(int8_t *p, size_t n, int extreme) {
    for (size_t i = 0; i < n; i++) p[i] = (int8_t)(extreme ? (rnd() & 1 ? 127 : -128) : rnd_range(-128, 127));
}

/* ---- quantization parameters ---------------------------------------------------------------------- */

#define MAXC 1024

typedef struct qparams {
    int32_t wzp[MAXC], bias[MAXC], mult[MAXC], shift[MAXC];
    float scale[MAXC];
    pml_qs8_quant q;
} qparams;

/* variant v picks the modes (bit 128: int32-edge biases; bit 256: weight zero points all 0, the
 * u8 x s8 quad packing's case, unless bit 16 drops them anyway); extreme: zero points at the ends
 * of their ranges */
static void make_quant(qparams *qp, int64_t n, int64_t k, int v, int extreme) {
    memset(qp, 0, sizeof *qp);
    pml_qs8_quant *q = &qp->q;
    const int per_channel = v & 1, float_mode = (v >> 1) & 1, out_u8 = (v >> 2) & 1;
    q->a_zero_point = extreme ? (v & 8 ? -128 : 127) : rnd_range(-128, 127);
    q->w_zero_point = v & 16 ? NULL : qp->wzp;
    q->w_zp_per_channel = per_channel;
    q->bias = v & 32 ? NULL : qp->bias;
    const double base = 1.0 / (64.0 * (double)(k > 0 ? k : 1));
    for (int64_t j = 0; j < n; j++) {
        qp->wzp[j] = v & 256 ? 0 : extreme ? (j & 1 ? 127 : -128) : rnd_range(-128, 127);
        qp->bias[j] = rnd_range(-100000, 100000);
        if (v & 128) /* biases at the ends of int32: the accumulator must wrap, never saturate */
            qp->bias[j] = j & 1 ? INT32_MIN + rnd_range(0, 1000) : INT32_MAX - rnd_range(0, 1000);
        const double real = base * (0.25 + (rnd() % 1000) / 250.0);
        pml_quantize_multiplier(real, &qp->mult[j], &qp->shift[j]);
        qp->scale[j] = (float)real;
    }
    q->rq.mode = float_mode ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT;
    q->rq.per_channel = per_channel;
    q->rq.multiplier = qp->mult;
    q->rq.shift = qp->shift;
    q->rq.scale = qp->scale;
    q->out_dtype = out_u8 ? PML_UINT8 : PML_INT8;
    const int32_t lo = out_u8 ? 0 : -128, hi = out_u8 ? 255 : 127;
    q->rq.zero_point = extreme ? (v & 8 ? lo : hi) : rnd_range(lo, hi);
    q->rq.qmin = lo;
    q->rq.qmax = hi;
    if (v & 64) q->rq.qmin = q->rq.zero_point; /* a fused ReLU */
}

/* ---- 1. references against hand-computed values and each other -------------------------------------- */

static void test_reference_values(void) {
    /* y = requant(bias + sum (a - za)(w - zw)): a = [3, -2], za = 1, w = [4, 5], zw = 2, bias = 10
     * -> (2)(2) + (-3)(3) + 10 = 5 */
    const int8_t a[2] = {3, -2}, w[2] = {4, 5};
    int32_t zw = 2, bias = 10, mult, shift;
    float scale = 0.5f;
    pml_quantize_multiplier(0.5, &mult, &shift);
    CHECK(mult == (1 << 30) && shift == 0);
    pml_qs8_quant q = {.a_zero_point = 1, .w_zero_point = &zw, .bias = &bias, .out_dtype = PML_INT8};
    q.rq = (pml_requant){.mode = PML_REQUANT_FLOAT, .scale = &scale, .zero_point = 3, .qmin = -128, .qmax = 127};
    int8_t y = 0;
    pml_qs8_gemm_ref(1, 1, 2, a, 2, w, 1, 1, &q, &y, 1);
    CHECK(y == 5); /* 2.5 rounds half to even: 2, + 3 */
    q.rq = (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .multiplier = &mult, .shift = &shift, .zero_point = 3,
                         .qmin = -128, .qmax = 127};
    pml_qs8_gemm_ref(1, 1, 2, a, 2, w, 1, 1, &q, &y, 1);
    CHECK(y == 6); /* gemmlowp rounds 2.5 up: 3, + 3 */
    q.rq.qmax = 4;
    pml_qs8_gemm_ref(1, 1, 2, a, 2, w, 1, 1, &q, &y, 1);
    CHECK(y == 4); /* the clamp */
    /* uint8 output 200 + 3 = 203, stored as a byte */
    uint8_t yu = 0;
    q.out_dtype = PML_UINT8;
    q.rq.zero_point = 200, q.rq.qmin = 0, q.rq.qmax = 255;
    pml_qs8_gemm_ref(1, 1, 2, a, 2, w, 1, 1, &q, &yu, 1);
    CHECK(yu == 203);

    /* int16x8 (TFLite): a = [1000, -2000], w = [3, 4], bias 7: -4993 * 0.25 = -1248.25 -> -1248
     * (reduced multiplier 2^14, total shift 16: (-4993 * 16384 + 32768) >> 16 = -1248) */
    const int16_t a16[2] = {1000, -2000};
    const int8_t w8[2] = {3, 4};
    const int64_t b64 = 7;
    int32_t m16, s16;
    pml_quantize_multiplier(0.25, &m16, &s16);
    CHECK(m16 == (1 << 30) && s16 == -1);
    pml_requant rq16 = {.mode = PML_REQUANT_FIXED_POINT, .multiplier = &m16, .shift = &s16, .qmin = -32768, .qmax = 32767};
    int16_t y16 = 0;
    pml_qs16_gemm_ref(1, 1, 2, a16, 2, w8, 1, 1, &b64, &rq16, &y16, 1);
    CHECK(y16 == -1248);
    CHECK(pml_multiply_by_quantized_multiplier_s64(-4993, 1 << 30, -1) == -1248);
    CHECK(pml_multiply_by_quantized_multiplier_s64(5, 1 << 30, 0) == 3);           /* 2.5 rounds up */
    CHECK(pml_multiply_by_quantized_multiplier_s64(-5, 1 << 30, 0) == -2);         /* -2.5 rounds up too */
    CHECK(pml_multiply_by_quantized_multiplier_s64(1, 0x7FFFFFFF, 0) == 1);        /* reduced to 0x7FFF */
    CHECK(pml_multiply_by_quantized_multiplier_s64((int64_t)1 << 40, 1 << 30, -20) == 1 << 19);
}

/* im2col written here: the patch row of output pixel m, group grp, padded taps = pad */
static void test_im2col_row(const pml_conv_geom *g, const int8_t *x, int64_t m, int64_t grp, int pad, int8_t *row) {
    const int64_t ow = m % g->ow, oh = m / g->ow % g->oh, n = m / g->ow / g->oh;
    int64_t i = 0;
    for (int64_t kh = 0; kh < g->kh; kh++)
        for (int64_t kw = 0; kw < g->kw; kw++)
            for (int64_t c = 0; c < g->cg; c++, i++) {
                const int64_t ih = oh * g->sh - g->pt + kh * g->dh, iw = ow * g->sw - g->pl + kw * g->dw;
                row[i] = ih < 0 || ih >= g->h || iw < 0 || iw >= g->w ? (int8_t)pad
                                                                       : x[((n * g->h + ih) * g->w + iw) * g->cin + grp * g->cg + c];
            }
}

static pml_conv_geom geom(int64_t n, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t group, int64_t k,
                          int64_t stride, int64_t pad, int64_t dil) {
    pml_conv_geom g = {.n = n, .h = h, .w = w, .cin = cin, .cout = cout, .kh = k, .kw = k, .sh = stride, .sw = stride,
                       .dh = dil, .dw = dil, .pt = pad, .pl = pad, .pb = pad, .pr = pad, .group = group,
                       .cg = cin / group, .coutg = cout / group};
    g.oh = pml_window_out(h, k, stride, dil, pad, pad, 0);
    g.ow = pml_window_out(w, k, stride, dil, pad, pad, 0);
    return g;
}

/* the conv references against the GEMM references over an im2col of this file */
static void test_conv_reference(void) {
    const pml_conv_geom gs[] = {geom(2, 5, 6, 6, 4, 1, 3, 1, 1, 1), geom(1, 7, 5, 4, 6, 2, 3, 2, 1, 1),
                                geom(1, 6, 6, 3, 6, 3, 3, 1, 2, 2), geom(1, 5, 5, 3, 3, 1, 1, 2, 0, 1)};
    for (size_t gi = 0; gi < sizeof gs / sizeof gs[0]; gi++) {
        const pml_conv_geom *g = &gs[gi];
        const int64_t k = g->kh * g->kw * g->cg, m = g->n * g->oh * g->ow;
        const size_t nx = (size_t)(g->n * g->h * g->w * g->cin), nw = (size_t)(g->cout * k), ny = (size_t)(m * g->cout);
        int8_t *x = malloc(nx), *w = malloc(nw), *col = malloc((size_t)(m * k)), *y = malloc(ny), *r = malloc(ny);
        int16_t *x16 = malloc(nx * 2), *col16 = malloc((size_t)(m * k) * 2), *y16 = malloc(ny * 2), *r16 = malloc(ny * 2);
        int64_t b64[MAXC];
        qparams qp;
        make_quant(&qp, g->cout, k, (int)gi * 3, 0);
        fill_s8(x, nx, 0);
        fill_s8(w, nw, 0);
        pml_qs8_conv_ref(g, x, w, &qp.q, y);
        for (int64_t i = 0; i < nx; i++) x16[i] = (int16_t)rnd_range(-32768, 32767);
        for (int64_t j = 0; j < g->cout; j++) b64[j] = rnd_range(-1000000, 1000000) * 1000ll;
        pml_requant rq16 = qp.q.rq;
        rq16.mode = PML_REQUANT_FIXED_POINT, rq16.zero_point = 0, rq16.qmin = -32768, rq16.qmax = 32767;
        pml_qs16_conv_ref(g, x16, w, b64, &rq16, y16);
        for (int64_t grp = 0; grp < g->group; grp++) {
            for (int64_t i = 0; i < m; i++) test_im2col_row(g, x, i, grp, qp.q.a_zero_point, col + i * k);
            pml_qs8_quant qg = qp.q; /* the group's channels */
            qg.bias = qg.bias ? qg.bias + grp * g->coutg : NULL;
            if (qg.w_zero_point && qg.w_zp_per_channel) qg.w_zero_point += grp * g->coutg;
            if (qg.rq.per_channel) qg.rq.multiplier += grp * g->coutg, qg.rq.shift += grp * g->coutg, qg.rq.scale += grp * g->coutg;
            pml_qs8_gemm_ref(m, g->coutg, k, col, k, w + grp * g->coutg * k, 1, k, &qg, r + grp * g->coutg, g->cout);
            /* int16: padding is zero */
            for (int64_t i = 0; i < m; i++) {
                const int64_t ow = i % g->ow, oh = i / g->ow % g->oh, n = i / g->ow / g->oh;
                int64_t t = 0;
                for (int64_t kh = 0; kh < g->kh; kh++)
                    for (int64_t kw = 0; kw < g->kw; kw++)
                        for (int64_t c = 0; c < g->cg; c++, t++) {
                            const int64_t ih = oh * g->sh - g->pt + kh * g->dh, iw = ow * g->sw - g->pl + kw * g->dw;
                            col16[i * k + t] = ih < 0 || ih >= g->h || iw < 0 || iw >= g->w
                                                   ? 0
                                                   : x16[((n * g->h + ih) * g->w + iw) * g->cin + grp * g->cg + c];
                        }
            }
            pml_requant rqg = rq16;
            if (rqg.per_channel) rqg.multiplier += grp * g->coutg, rqg.shift += grp * g->coutg;
            pml_qs16_gemm_ref(m, g->coutg, k, col16, k, w + grp * g->coutg * k, 1, k, b64 + grp * g->coutg, &rqg,
                              r16 + grp * g->coutg, g->cout);
        }
        CHECK(memcmp(y, r, ny) == 0);
        CHECK(memcmp(y16, r16, ny * 2) == 0);
        free(x), free(w), free(col), free(y), free(r), free(x16), free(col16), free(y16), free(r16);
    }
}

/* ---- 2. GEMM variants through the driver against the reference --------------------------------------- */

/* one GEMM: pack, run with kern (on pool), compare with the reference */
static int check_gemm(const pml_qs8_gemm_kernels *kern, pml_threadpool *pool, int64_t m, int64_t n, int64_t k, int v,
                      int extreme, const char *name) {
    qparams qp;
    make_quant(&qp, n, k, v, extreme);
    int8_t *a = malloc((size_t)(m * k + 1)), *w = malloc((size_t)(k * n + 1));
    uint8_t *y = malloc((size_t)(m * n)), *r = malloc((size_t)(m * n));
    fill_s8(a, (size_t)(m * k), extreme);
    fill_s8(w, (size_t)(k * n), extreme);
    void *packed = pml_aligned_alloc(pml_qs8_gemm_packed_bytes(k, n));
    pml_qs8_gemm_pack(kern, k, n, w, n, 1, &qp.q, 0, packed); /* w as [K][N] */
    /* quads exactly when the kernels have the u8 x s8 tile and no weight zero point is nonzero */
    int zps_zero = 1;
    for (int64_t j = 0; qp.q.w_zero_point && j < (qp.q.w_zp_per_channel ? n : 1); j++) zps_zero &= qp.wzp[j] == 0;
    const int want_quads = kern->u8_gemm && zps_zero;
    CHECK(pml_qs8_header(packed)->quads == want_quads);
    pml_qs8_gemm_problem p = {.m = m, .n = n, .k = k, .batch = 1, .a = a, .lda = k, .packed = packed, .c = y, .ldc = n};
    const int threads = pool ? pml_threadpool_size(pool) : 1;
    const size_t sb = pml_qs8_gemm_scratch_bytes(kern, &p);
    void *scratch = pml_aligned_alloc(sb * (size_t)threads + 64);
    memset(y, 0xA5, (size_t)(m * n));
    pml_qs8_gemm_run(kern, &p, pool, scratch);
    pml_qs8_gemm_ref(m, n, k, a, k, w, n, 1, &qp.q, r, n);
    int ok = memcmp(y, r, (size_t)(m * n)) == 0;
    /* the same A as a uint8 tensor (bytes a ^ 0x80, the same int8-view zero point): read in
     * place by the quad tiles when K % 4 == 0, copied unflipped otherwise; exact on the pair
     * tiles too */
    uint8_t *ua = malloc((size_t)(m * k + 1));
    for (int64_t i = 0; i < m * k; i++) ua[i] = (uint8_t)a[i] ^ 0x80u;
    p.a = (const int8_t *)ua, p.a_u8 = 1;
    memset(y, 0xA5, (size_t)(m * n));
    pml_qs8_gemm_run(kern, &p, pool, scratch);
    const int ok_u8 = memcmp(y, r, (size_t)(m * n)) == 0;
    if (!ok || !ok_u8)
        fprintf(stderr, "%s: m=%lld n=%lld k=%lld v=%d extreme=%d differs%s\n", name, (long long)m, (long long)n,
                (long long)k, v, extreme, ok ? " (uint8 A)" : "");
    ok = ok && ok_u8;
    free(a), free(ua), free(w), free(y), free(r);
    pml_aligned_free(packed), pml_aligned_free(scratch);
    return ok;
}

/* Runs kern's tile at awkward sizes; for a u8 x s8 tile (kern.u8_gemm set) three cases in
 * four have zero weight zero points (the quad path), the fourth falls back to kern's pair
 * tile. */
static void test_gemm_kernels(const char *name, const pml_qs8_gemm_kernels kern) {
    const int64_t mr = (int64_t)(kern.u8_gemm ? kern.u8_mr : kern.gemm_mr);
    const int zero_zp = kern.u8_gemm ? 256 : 0;
    const int64_t ms[] = {1, mr - 1, mr, mr + 1, 13, 127, 300};
    const int64_t ns[] = {1, 15, 16, 17, 33};
    const int64_t ks[] = {1, 3, 7, 8, 9, 31, 33, 255, 256, 257};
    int combo = 0;
    for (size_t mi = 0; mi < 7; mi++)
        for (size_t ni = 0; ni < 5; ni++)
            for (size_t ki = 0; ki < 10; ki++, combo++) {
                if (ms[mi] < 1) continue;
                const int v = (int)(rnd() & 127) | (combo % 4 != 3 ? zero_zp : 0);
                CHECK(check_gemm(&kern, NULL, ms[mi], ns[ni], ks[ki], v, combo % 4 == 0, name));
            }
    /* every small M (each tile height's row tail) against awkward N and K (K % 4 in 0..3, the
     * lengths of quad- or pair-packed K), half of them with operands and zero points at their
     * ends, a quarter with biases that make the accumulator wrap */
    const int64_t ks4[] = {1, 3, 4, 5, 27, 64, 127};
    for (int64_t m = 1; m <= 13; m++)
        for (size_t ni = 0; ni < 5; ni++)
            for (size_t ki = 0; ki < 7; ki++, combo++) {
                const int v = (int)(rnd() & 127) | (combo % 4 == 1 ? 128 : 0) | (combo % 8 != 7 ? zero_zp : 0);
                CHECK(check_gemm(&kern, NULL, m, ns[ni], ks4[ki], v, combo & 1, name));
            }
    /* a large one, and every mode with every operand at -128/127 and zero points at the ends */
    CHECK(check_gemm(&kern, NULL, 1031, 150, 700, 5 | zero_zp, 0, name));
    for (int v = 0; v < 128; v += 3) CHECK(check_gemm(&kern, g_pool2, 37, 33, 257, v | (v & 4 ? zero_zp : 0), 1, name));
}

static void test_gemm_variant(const char *name, size_t mr, pml_qs8_gemm_ukernel gemm, pml_s8_widen_fn widen) {
    test_gemm_kernels(name, (pml_qs8_gemm_kernels){.isa = name, .gemm_mr = mr, .gemm = gemm, .gemm_1 = gemm,
                                                   .widen = widen});
}

/* a u8 x s8 tile, falling back to the scalar pair tile when a weight zero point is nonzero */
static void test_u8s8_variant(const char *name, size_t mr, pml_qu8_gemm_ukernel u8) {
    test_gemm_kernels(name, (pml_qs8_gemm_kernels){.isa = name, .gemm_mr = 4, .gemm = pml_s8_gemm_4x16__scalar,
                                                   .gemm_1 = pml_s8_gemm_4x16__scalar, .widen = pml_s8_widen__scalar,
                                                   .u8_mr = mr, .u8_gemm = u8, .u8_gemm_1 = u8});
}

/* widening alone at awkward lengths */
static void test_widen(const char *name, pml_s8_widen_fn widen) {
    int8_t x[300];
    int16_t y[300];
    fill_s8(x, 300, 0);
    const size_t ns[] = {1, 15, 16, 17, 31, 32, 33, 299};
    for (size_t i = 0; i < 8; i++) {
        memset(y, 0x55, sizeof y);
        widen(ns[i], x, y);
        int ok = y[ns[i]] == 0x5555;
        for (size_t j = 0; j < ns[i]; j++) ok &= y[j] == x[j];
        if (!ok) fprintf(stderr, "%s n=%zu\n", name, ns[i]);
        CHECK(ok);
    }
}

/* ---- 3. the requantizing store over the whole accumulator range ---------------------------------------- */

/* gemm or (NULL) quad: the pair or quad tile, whose stores are checked */
static void test_requant_store(const char *name, size_t mr, pml_qs8_gemm_ukernel gemm, pml_qu8_gemm_ukernel quad) {
    int32_t *bias = pml_aligned_alloc(16 * 4), *mult = pml_aligned_alloc(16 * 4), *lsh = pml_aligned_alloc(16 * 4);
    int32_t *rsh = pml_aligned_alloc(16 * 4), *rmask = pml_aligned_alloc(16 * 4), *rhalf = pml_aligned_alloc(16 * 4);
    int32_t shift[16];
    float *scale = pml_aligned_alloc(16 * 4);
    uint8_t y[16 * 16]; /* up to 16 rows */
    int bad = 0;
    for (int iter = 0; iter < 4000; iter++) {
        for (int j = 0; j < 16; j++) {
            const uint32_t pick = rnd() % 8;
            bias[j] = pick == 0 ? INT32_MIN : pick == 1 ? INT32_MAX : pick == 2 ? rnd_range(-300, 300) : (int32_t)rnd();
            const double real = ldexp(0.5 + (rnd() % 100000) / 200000.0, rnd_range(-40, 34));
            pml_quantize_multiplier(real, &mult[j], &shift[j]);
            if (iter % 7 == 0) mult[j] = j & 1 ? 0x7FFFFFFF : 1 << 30;
            if (iter % 11 == 0) shift[j] = j & 1 ? -31 : 30;
            lsh[j] = shift[j] > 0 ? shift[j] : 0;
            rsh[j] = shift[j] > 0 ? 0 : -shift[j];
            rmask[j] = (int32_t)(((int64_t)1 << rsh[j]) - 1);
            rhalf[j] = rmask[j] >> 1;
            scale[j] = (float)ldexp(0.5 + (rnd() % 1000) / 2000.0, rnd_range(-30, 2));
        }
        const int fl = iter & 1, u8 = (iter >> 1) & 1;
        pml_qs8_epilogue ep = {.bias = bias, .multiplier = mult, .lshift = lsh, .rshift = rsh, .rmask = rmask,
                               .rhalf = rhalf, .scale = scale,
                               .mode = fl ? PML_REQUANT_FLOAT : PML_REQUANT_FIXED_POINT, .out_u8 = u8};
        ep.qmin = u8 ? 0 : -128, ep.qmax = u8 ? 255 : 127;
        ep.zero_point = rnd_range(ep.qmin, ep.qmax);
        if (iter % 5 == 0) ep.qmin = ep.zero_point;
        const int16_t none[2] = {0, 0};
        const uint8_t none_u8[4] = {0, 0, 0, 0};
        if (gemm) gemm(mr, 16, 0, none, 0, none, &ep, y, 16);
        else quad(mr, 16, 0, none_u8, 0, (const int8_t *)none_u8, &ep, y, 16);
        pml_requant rq = {.mode = ep.mode, .per_channel = 1, .multiplier = mult, .shift = shift, .scale = scale,
                          .zero_point = ep.zero_point, .qmin = ep.qmin, .qmax = ep.qmax};
        for (size_t r = 0; r < mr; r++)
            for (int j = 0; j < 16; j++) {
                const uint8_t want = (uint8_t)pml_requantize(&rq, (size_t)j, bias[j]);
                if (y[r * 16 + j] != want && bad++ < 5)
                    fprintf(stderr, "%s requant: acc %d mult %d shift %d mode %d: got %d want %d\n", name, bias[j],
                            mult[j], shift[j], ep.mode, y[r * 16 + j], want);
            }
    }
    CHECK(bad == 0);
    pml_aligned_free(bias), pml_aligned_free(mult), pml_aligned_free(lsh), pml_aligned_free(rsh), pml_aligned_free(scale);
    pml_aligned_free(rmask), pml_aligned_free(rhalf);
}

/* ---- 4. convolutions: depthwise variants, and every configuration's slots ------------------------------ */

static int check_conv(const pml_qs8_gemm_kernels *kern, pml_qs8_dwconv_fn dw, pml_threadpool *pool,
                      const pml_conv_geom *g, int v, int extreme, const char *name) {
    const int64_t k = g->kh * g->kw * g->cg;
    const size_t nx = (size_t)(g->n * g->h * g->w * g->cin), nw = (size_t)(g->cout * k);
    const size_t ny = (size_t)(g->n * g->oh * g->ow * g->cout);
    qparams qp;
    make_quant(&qp, g->cout, k, v, extreme);
    int8_t *x = malloc(nx), *w = malloc(nw);
    uint8_t *y = malloc(ny + 64), *r = malloc(ny); /* 64 guard bytes: no store past y's end */
    fill_s8(x, nx, extreme);
    fill_s8(w, nw, extreme);
    memset(y, 0xA5, ny + 64);
    void *packed, *scratch = NULL;
    pml_qs8_gemm_kernels dk = {.dwconv = dw, .dwconv_rows = kern ? kern->dwconv_rows : 0};
    if (dw) {
        packed = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(g));
        pml_qs8_dwconv_pack(g, w, &qp.q, packed);
        const int threads = pool ? pml_threadpool_size(pool) : 1;
        scratch = pml_aligned_alloc(pml_qs8_dwconv_scratch_bytes(&dk, g, packed) * (size_t)threads + 64);
        pml_qs8_dwconv_run(&dk, g, x, packed, y, pool, scratch);
    } else {
        packed = pml_aligned_alloc(pml_qs8_conv_packed_bytes(g));
        pml_qs8_conv_pack(kern, g, w, &qp.q, packed);
        const int threads = pool ? pml_threadpool_size(pool) : 1;
        scratch = pml_aligned_alloc(pml_qs8_conv_scratch_bytes(kern, g) * (size_t)threads + 64);
        pml_qs8_conv_run(kern, g, x, packed, y, pool, scratch);
    }
    pml_qs8_conv_ref(g, x, w, &qp.q, r);
    int ok = memcmp(y, r, ny) == 0;
    for (size_t i = ny; i < ny + 64; i++)
        if (y[i] != 0xA5) ok = 0;
    /* x as a uint8 tensor, unflipped into the quad tiles or the row depthwise kernel */
    if (dw ? pml_qs8_dwconv_take_u8(&dk, g, packed) : pml_qs8_conv_takes_u8(g, packed)) {
        uint8_t *ux = malloc(nx);
        for (size_t i = 0; i < nx; i++) ux[i] = (uint8_t)x[i] ^ 0x80u;
        memset(y, 0xA5, ny);
        if (dw) pml_qs8_dwconv_run(&dk, g, (const int8_t *)ux, packed, y, pool, scratch);
        else pml_qu8_conv_run(kern, g, ux, packed, y, pool, scratch);
        if (memcmp(y, r, ny) != 0) ok = 0, fprintf(stderr, "%s: uint8 x:", name);
        free(ux);
    }
    if (!ok)
        fprintf(stderr, "%s: conv %lldx%lld s%lld d%lld p%lld C %lld->%lld group %lld v=%d differs\n", name,
                (long long)g->kh, (long long)g->kw, (long long)g->sh, (long long)g->dh, (long long)g->pt,
                (long long)g->cin, (long long)g->cout, (long long)g->group, v);
    free(x), free(w), free(y), free(r);
    pml_aligned_free(packed);
    if (scratch) pml_aligned_free(scratch);
    return ok;
}

/* g with TFLite SAME's uneven padding (the extra pixel at the bottom and right) */
static pml_conv_geom same_pads(pml_conv_geom g) {
    const int64_t ph = (g.h + g.sh - 1) / g.sh, pw = (g.w + g.sw - 1) / g.sw;
    const int64_t th = (ph - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.h, tw = (pw - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.w;
    g.pt = th > 0 ? th / 2 : 0, g.pb = th > 0 ? th - th / 2 : 0, g.pl = tw > 0 ? tw / 2 : 0, g.pr = tw > 0 ? tw - tw / 2 : 0;
    g.oh = pml_window_out(g.h, g.kh, g.sh, g.dh, g.pt, g.pb, 0);
    g.ow = pml_window_out(g.w, g.kw, g.sw, g.dw, g.pl, g.pr, 0);
    return g;
}

/* The MobileNet/BlazeFace channel counts and the tails around them: 32-channel blocks' masked
 * tails (the channel-vectorised AVX-512 kernel), chunk phases C mod 16 (the row-vectorised one) */
static const int64_t dw_chans[] = {1, 3, 7, 8, 9, 15, 16, 17, 24, 28, 31, 33, 36, 40, 42, 48, 56, 88, 96, 127};

/* dw as its configuration runs it (rows: it takes the row layout, with scratch and a uint8 x) */
static void test_dwconv_variant(const char *name, pml_qs8_dwconv_fn dw, int rows) {
    const pml_qs8_gemm_kernels kern = {.dwconv = dw, .dwconv_rows = rows};
    /* 9, 17, 24, 33: channel tails (the AVX2 kernel's over-reads must stop at x's end) */
    const int64_t shapes[][4] = {{3, 1, 1, 1}, {3, 2, 1, 1}, {5, 1, 2, 1}, {5, 2, 2, 1}, {3, 1, 2, 2}, {3, 2, 0, 1}, {1, 1, 0, 1}};
    int v = 0;
    for (size_t ci = 0; ci < sizeof dw_chans / sizeof dw_chans[0]; ci++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++, v++) {
            const int64_t C = dw_chans[ci];
            const pml_conv_geom g = geom(2, 7, 9, C, C, C, shapes[si][0], shapes[si][1], shapes[si][2], shapes[si][3]);
            CHECK(check_conv(&kern, dw, NULL, &g, (int)(rnd() & 127), v % 3 == 0, name));
        }
    /* awkward widths and channel counts, windows wider than the image, every requant mode */
    const int64_t widths[] = {1, 2, 3, 4, 5, 7, 9, 16, 17};
    const int64_t kinds[][3] = {{3, 1, 1}, {3, 2, 1}, {5, 1, 2}, {5, 2, 2}, {3, 2, 0}};
    for (size_t ci = 0; ci < sizeof dw_chans / sizeof dw_chans[0]; ci++)
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
            for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++, v++) {
                const int64_t C = dw_chans[ci];
                const pml_conv_geom g = geom(1, 5, widths[wi], C, C, C, kinds[ki][0], kinds[ki][1], kinds[ki][2], 1);
                if (g.ow <= 0) continue;
                CHECK(check_conv(&kern, dw, NULL, &g, (int)(rnd() & 255), v % 4 == 0, name));
            }
    const pml_conv_geom wide = geom(1, 12, 12, 19, 19, 19, 9, 1, 4, 1); /* 81 taps: past the AVX2 kernel's tap table */
    CHECK(check_conv(&kern, dw, NULL, &wide, 7, 0, name));
    const pml_conv_geom big = geom(1, 13, 11, 40, 40, 40, 3, 1, 1, 1);
    for (int e = 0; e < 8; e++) CHECK(check_conv(&kern, dw, g_pool2, &big, e * 17, 1, name));
    /* layers the driver splits over two threads (2 and 4 tasks of uneven row counts, a task
     * crossing images) */
    const pml_conv_geom split[] = {geom(2, 23, 30, 64, 64, 64, 3, 1, 1, 1), geom(1, 45, 20, 48, 48, 48, 5, 2, 2, 1),
                                   same_pads(geom(3, 33, 33, 72, 72, 72, 3, 2, 0, 1))};
    for (size_t i = 0; i < sizeof split / sizeof split[0]; i++)
        CHECK(check_conv(&kern, dw, g_pool2, &split[i], (int)(rnd() & 255), 0, name));
}

#ifdef PML_ARCH_X86
/* The row-vectorised kernels at every stride they support (AVX-512's quads: its configuration
 * takes it at strides 1-4; AVX2's pairs: at stride 1, and 2 on few channels); counts the calls
 * they declined. */
typedef int (*dwconv_rows_fn)(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                              int64_t row1, void *scratch);
static dwconv_rows_fn g_rows;
static int g_rows_declined;
static void dwconv_rows_counted(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                                int64_t row1, void *scratch) {
    if (!g_rows(g, x, packed, y, row0, row1, scratch)) g_rows_declined++;
}

/* layout: the row layout the kernel reads (PML_DW_LAYOUT_*; its scratch, and a uint8 x for the
 * quads). any_zw: the kernel takes any weight zero point (AVX2's int16 pairs), else only weights
 * whose w' fits int8 (v bit 256: zero point 0) */
static void test_dwconv_rows(const char *name, dwconv_rows_fn rows, int layout, int any_zw) {
    const pml_qs8_gemm_kernels rows_kern = {.dwconv = dwconv_rows_counted, .dwconv_rows = layout};
    const int64_t kinds[][4] = {{3, 1, 1, 1}, {3, 2, 1, 1}, {5, 1, 2, 1}, {5, 2, 2, 1}, {3, 1, 2, 2}, {5, 1, 0, 1},
                                {3, 3, 1, 1}, {7, 1, 3, 1}, {3, 1, 1, 3}, {5, 2, 0, 1}, {7, 2, 3, 1}};
    const int zw_bits = any_zw ? 0 : 256;
    int v = 0;
    g_rows = rows;
    for (size_t ci = 0; ci < sizeof dw_chans / sizeof dw_chans[0]; ci++)
        for (int64_t w = 1; w <= 17; w += 1 + (int64_t)(rnd() % 3))
            for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++, v++) {
                const int64_t C = dw_chans[ci], *k = kinds[ki];
                pml_conv_geom g = geom(1 + v % 2, 6, w, C, C, C, k[0], k[1], k[2], k[3]);
                if (v % 4 == 1) g = same_pads(g);
                if (g.ow <= 0 || g.oh <= 0) continue;
                g_rows_declined = 0;
                CHECK(check_conv(&rows_kern, dwconv_rows_counted, v % 3 ? NULL : g_pool2, &g,
                                 (int)(rnd() & 255 & ~16) | zw_bits, v % 5 == 0, name));
                CHECK(g_rows_declined == 0);
            }
    const pml_conv_geom wide_c[] = {geom(1, 5, 4, 512, 512, 512, 3, 1, 1, 1), geom(1, 4, 5, 200, 200, 200, 5, 2, 2, 1),
                                     geom(2, 3, 3, 1024, 1024, 1024, 3, 1, 1, 1),
                                     /* rows too wide for the ring: column segments */
                                     geom(1, 6, 60, 240, 240, 240, 5, 1, 2, 1), geom(1, 7, 70, 96, 96, 96, 5, 2, 2, 1),
                                     geom(1, 4, 300, 64, 64, 64, 3, 1, 1, 1), geom(1, 5, 200, 100, 100, 100, 3, 1, 2, 2)};
    for (size_t i = 0; i < sizeof wide_c / sizeof wide_c[0]; i++, v++) {
        g_rows_declined = 0;
        CHECK(check_conv(&rows_kern, dwconv_rows_counted, NULL, &wide_c[i], (int)(rnd() & 255 & ~16) | zw_bits, 0,
                         name));
        CHECK(g_rows_declined == 0);
    }
    if (any_zw) return;
    /* weights past int8 once their zero point is subtracted: declined, nothing written */
    const pml_conv_geom g = geom(1, 5, 6, 24, 24, 24, 3, 1, 1, 1);
    const int8_t x[5 * 6 * 24] = {0};
    int8_t w[24 * 9];
    for (int i = 0; i < 24 * 9; i++) w[i] = (int8_t)(i % 2 ? 127 : -128);
    int32_t zw = -100, bias[24] = {0}, mult[24], shift[24];
    for (int j = 0; j < 24; j++) pml_quantize_multiplier(0.01, &mult[j], &shift[j]);
    pml_qs8_quant q = {.a_zero_point = 0, .w_zero_point = &zw, .bias = bias, .out_dtype = PML_INT8};
    q.rq = (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .multiplier = mult, .shift = shift, .qmin = -128, .qmax = 127};
    void *packed = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(&g));
    pml_qs8_dwconv_pack(&g, w, &q, packed);
    uint8_t y[5 * 6 * 24];
    memset(y, 0xA5, sizeof y);
    CHECK(pml_s8_dwconv_rows__avx512vnni(&g, x, packed, y, 0, g.oh, NULL) == 0);
    CHECK(pml_qs8_dwconv_scratch_bytes(&rows_kern, &g, packed) == 0 && !pml_qs8_dwconv_take_u8(&rows_kern, &g, packed));
    CHECK(y[0] == 0xA5 && y[sizeof y - 1] == 0xA5);
    pml_aligned_free(packed);
}

/* The depthwise kernels on a thread with a small stack (an embedding program's worker): the row
 * kernel's buffers are the caller's scratch, not 80 KB of stack. */
#define SMALL_STACK (96 * 1024) /* check_conv's own frame is ~20 KB */
static void *dwconv_on_small_stack(void *arg) {
    const pml_qs8_gemm_kernels *kern = (const pml_qs8_gemm_kernels *)((void **)arg)[0];
    int *ok = (int *)((void **)arg)[1];
    const pml_conv_geom gs[] = {geom(1, 40, 40, 64, 64, 64, 5, 1, 2, 1), same_pads(geom(1, 64, 64, 96, 96, 96, 3, 2, 0, 1)),
                                geom(1, 30, 30, 24, 24, 24, 5, 2, 2, 1)};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++)
        if (!check_conv(kern, kern->dwconv, NULL, &gs[i], 256 | 4, 0, "a row depthwise kernel on a small stack")) *ok = 0;
    return NULL;
}

static void test_dwconv_small_stack(const pml_qs8_gemm_kernels *kern) {
    pthread_attr_t attr;
    pthread_t t;
    int ok = 1;
    void *arg[2] = {(void *)kern, &ok};
    CHECK(pthread_attr_init(&attr) == 0);
    CHECK(pthread_attr_setstacksize(&attr, SMALL_STACK) == 0);
    CHECK(pthread_create(&t, &attr, dwconv_on_small_stack, arg) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    pthread_attr_destroy(&attr);
    CHECK(ok);
}
#endif

static void test_config_conv(const pml_kernel_config *c) {
    CHECK(c->qs8 && c->qs8->mm && c->qs8->mm->gemm && c->qs8->mm->gemm_1 && c->qs8->mm->widen && c->qs8->mm->dwconv &&
          c->qs8->mm->gemm_mr);
    if (!c->qs8 || !c->qs8->mm) return;
    const pml_qs8_gemm_kernels *kern = c->qs8->mm;
    const pml_conv_geom gs[] = {
        geom(2, 6, 7, 16, 24, 1, 1, 1, 0, 1),  /* pointwise: A read in place */
        geom(1, 9, 9, 13, 17, 1, 1, 2, 0, 1),  /* strided 1x1 */
        geom(1, 8, 7, 5, 33, 1, 3, 1, 1, 1),   /* 3x3, K = 45 odd */
        geom(2, 9, 8, 8, 16, 1, 3, 2, 1, 1),   /* 3x3 stride 2 */
        geom(1, 11, 10, 6, 8, 2, 5, 1, 4, 2),  /* 5x5 dilated, 2 groups */
        geom(1, 7, 7, 8, 16, 8, 3, 1, 1, 1),   /* depthwise with multiplier 2, as grouped GEMMs */
        geom(1, 5, 5, 3, 7, 1, 7, 1, 3, 1),    /* a window wider than the image */
        geom(1, 11, 12, 3, 16, 1, 3, 2, 1, 1), /* 3-channel stems: 9- and 15-byte window rows */
        geom(2, 13, 10, 3, 24, 1, 5, 2, 2, 1),
    };
    for (size_t gi = 0; gi < sizeof gs / sizeof gs[0]; gi++)
        for (int v = 0; v < 6; v++) {
            /* v odd: zero weight zero points (the quad path where the configuration has it) */
            CHECK(check_conv(kern, NULL, gi & 1 ? g_pool2 : NULL, &gs[gi], (int)(rnd() & 127) | (v & 1 ? 256 : 0),
                             v == 0, c->name));
        }
    const pml_conv_geom dwg = geom(1, 10, 12, 35, 35, 35, 3, 2, 1, 1);
    CHECK(check_conv(kern, kern->dwconv, g_pool2, &dwg, 3, 0, c->name));
    for (int zz = 0; zz <= 256; zz += 256) { /* the pair tiles, then (where there is one) the quad tiles */
        CHECK(check_gemm(kern, g_pool2, 211, 70, 129, 9 | zz, 0, c->name));
        CHECK(check_gemm(kern, NULL, 1, 1000, 1280, 5 | zz, 0, c->name)); /* batch-1 fully connected: gemm_1 */
        CHECK(check_gemm(kern, g_pool2, 7, 45, 77, 12 | zz, 1, c->name));   /* a single-row tail tile */
    }
}

int main(void) {
    pml_cpu_detect(&g_cpu);
    g_pool2 = pml_threadpool_create(2);
    test_reference_values();
    test_conv_reference();

#define PML_S8_GEMM(tile, isa, mr, nr)                                                              \
    if (RUNS(isa)) {                                                                                \
        test_requant_store("s8_gemm_" #tile "__" #isa, mr, pml_s8_gemm_##tile##__##isa, NULL);      \
        test_gemm_variant("s8_gemm_" #tile "__" #isa, mr, pml_s8_gemm_##tile##__##isa, pml_s8_widen__scalar); \
    }
#define PML_S8_WIDEN(isa, tile) \
    if (RUNS(isa)) test_widen("s8_widen__" #isa, pml_s8_widen__##isa);
#define PML_U8S8_GEMM(tile, isa, mr, nr)                                                            \
    if (RUNS(isa)) {                                                                                \
        test_requant_store("u8s8_gemm_" #tile "__" #isa, mr, NULL, pml_u8s8_gemm_##tile##__##isa);  \
        test_u8s8_variant("u8s8_gemm_" #tile "__" #isa, mr, pml_u8s8_gemm_##tile##__##isa);         \
    }
#include "kernels/matmul/s8_gemm_variants.h"
#define PML_S8_DWCONV(isa, tile) \
    if (RUNS(isa)) test_dwconv_variant("s8_dwconv__" #isa, pml_s8_dwconv__##isa, \
                                       !strcmp(#isa, "avx512vnni") ? PML_DW_LAYOUT_QUADS : PML_DW_LAYOUT_NONE);
#include "kernels/conv/s8_conv_variants.h"
#ifdef PML_ARCH_X86
    if (RUNS(avx512vnni)) {
        static const pml_qs8_gemm_kernels quads = {.dwconv = pml_s8_dwconv__avx512vnni, .dwconv_rows = PML_DW_LAYOUT_QUADS};
        test_dwconv_rows("s8_dwconv_rows__avx512vnni", pml_s8_dwconv_rows__avx512vnni, PML_DW_LAYOUT_QUADS, 0);
        test_dwconv_small_stack(&quads);
    }
    if (RUNS(avx2)) {
        static const pml_qs8_gemm_kernels pairs = {.dwconv = pml_s8_dwconv_rows_or_channels__avx2,
                                                   .dwconv_rows = PML_DW_LAYOUT_PAIRS};
        test_dwconv_rows("s8_dwconv_rows__avx2", pml_s8_dwconv_rows__avx2, PML_DW_LAYOUT_PAIRS, 1);
        test_dwconv_variant("s8_dwconv_rows_or_channels__avx2", pml_s8_dwconv_rows_or_channels__avx2,
                            PML_DW_LAYOUT_PAIRS);
        test_dwconv_small_stack(&pairs);
    }
#endif
    printf("variants run against the references: %d\n", g_variants);

    char names[128];
    snprintf(names, sizeof names, "%s", pml_kernel_config_available(&g_cpu));
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const pml_kernel_config *c = NULL;
        CHECK_OK(pml_kernel_config_select(&g_cpu, name, &c));
        if (!c) continue;
        printf("testing configuration %s's qs8 slots\n", c->name);
        test_config_conv(c);
    }
    pml_threadpool_destroy(g_pool2);
    return test_finish("test_qgemm");
}
