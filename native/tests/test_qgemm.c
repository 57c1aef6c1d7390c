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
 *    The one-floor store (pml_qs8_set_floor64's constants, packed for real) at the multipliers
 *    where its rounding terms matter (2^30: every product a tie; 2^30 + 1; 2^31 - 1), every
 *    right shift 1..22 and the fall-backs (23..31, 0, a left shift), zero points at the ends
 *    of int8 and uint8, with and without a ReLU clamp, biases near +-2^29, every tile height
 *    and N not a multiple of 16; the packing's choice of the path is checked too.
 * 4. Every configuration's qs8 slots, threaded, on convolutions of every kind, with and
 *    without zero weight zero points.
 * The depthwise kernels have their own tests (test_qconv_depthwise.c).
 */
#include "qconv_testutil.h"



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
    pml_qs8_gemm_run(kern, &p, pool, pml_thread_scratch_of(scratch, sb));
    pml_qs8_gemm_ref(m, n, k, a, k, w, n, 1, &qp.q, r, n);
    int ok = memcmp(y, r, (size_t)(m * n)) == 0;
    /* the same A as a uint8 tensor (bytes a ^ 0x80, the same int8-view zero point): read in
     * place by the quad tiles when K % 4 == 0, copied unflipped otherwise; exact on the pair
     * tiles too */
    uint8_t *ua = malloc((size_t)(m * k + 1));
    for (int64_t i = 0; i < m * k; i++) ua[i] = (uint8_t)a[i] ^ 0x80u;
    p.a = (const int8_t *)ua, p.a_u8 = 1;
    memset(y, 0xA5, (size_t)(m * n));
    pml_qs8_gemm_run(kern, &p, pool, pml_thread_scratch_of(scratch, sb));
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

/* The one-floor store: columns' multipliers, shifts and biases (the accumulators: K = 0) chosen
 * where its rounding terms and sign correction decide the byte, packed by pml_qs8_gemm_pack
 * (which sets header.floor64 and its constants), each tile height, against pml_requantize. */
static void test_floor64_store(const char *name, size_t mr_max, pml_qs8_gemm_ukernel gemm, pml_qu8_gemm_ukernel quad) {
    enum { N_MAX = 32 };
    int32_t bias[N_MAX], mult[N_MAX], shift[N_MAX];
    uint8_t y[16 * N_MAX];
    const int32_t extreme_mult[] = {1 << 30, (1 << 30) + 1, 0x7FFFFFFF, 0x40000001 + 12345};
    const pml_qs8_gemm_kernels kern = {.isa = name, .gemm_mr = mr_max, .gemm = gemm, .gemm_1 = gemm,
                                       .u8_mr = mr_max, .u8_gemm = quad, .u8_gemm_1 = quad};
    int bad = 0, seen[3] = {0, 0, 0};
    for (int iter = 0; iter < 3000; iter++) {
        const int64_t n = iter % 3 == 0 ? 16 : iter % 3 == 1 ? 13 : 29;
        /* the shifts: 1..22 (the path), else one column falls back (23..31, 0, a left shift) */
        const int fallback = iter % 6 == 5;
        for (int j = 0; j < n; j++) {
            const uint32_t pick = rnd() % 8;
            bias[j] = pick == 0 ? (1 << 29) - rnd_range(0, 300) : pick == 1 ? -(1 << 29) + rnd_range(0, 300)
                    : pick == 2 ? (1 << 30) - 1 : pick == 3 ? -(1 << 30) + 1 : pick == 4 ? rnd_range(-4096, 4096)
                    : rnd_range(-(1 << 29), 1 << 29);
            mult[j] = rnd() % 2 ? extreme_mult[rnd() % 4] : (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFF));
            shift[j] = -(int32_t)(1 + (iter + j) % 22);
        }
        if (fallback) {
            const int32_t fb[] = {-23, -24, -31, 0, 1, 5};
            shift[rnd() % n] = fb[(iter / 6) % 6];
        }
        const int u8 = (iter >> 1) & 1;
        const int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
        const int32_t zp = iter % 4 == 0 ? lo : iter % 4 == 1 ? hi : rnd_range(lo, hi);
        const int relu = (iter / 3) % 2;
        pml_requant rq = {.mode = PML_REQUANT_FIXED_POINT, .per_channel = 1, .multiplier = mult, .shift = shift,
                          .zero_point = zp, .qmin = relu ? zp : lo, .qmax = relu && zp + 6 <= hi ? zp + 6 : hi};
        pml_qs8_quant q = {.a_zero_point = 0, .bias = bias, .rq = rq, .out_dtype = u8 ? PML_UINT8 : PML_INT8};
        void *packed = pml_aligned_alloc(pml_qs8_gemm_packed_bytes(0, n));
        pml_qs8_gemm_pack(&kern, 0, n, NULL, n, 1, &q, 0, packed);
        /* the path exactly where it is exact: small accumulators, no left shift, shifts 1..22 */
        int want_floor = 1;
        for (int j = 0; j < n; j++)
            want_floor &= shift[j] <= -1 && shift[j] >= -22 && bias[j] < (1 << 30) && bias[j] > -(1 << 30);
        const int want_kind = !want_floor ? PML_QS8_FLOOR64_NONE : rq.qmin >= zp ? PML_QS8_FLOOR64_RELU
                                                                                  : PML_QS8_FLOOR64_SIGNED;
        const int kind = pml_qs8_header(packed)->floor64;
        if (kind != want_kind && bad++ < 5) fprintf(stderr, "%s floor64: %d, want %d\n", name, kind, want_kind);
        seen[kind]++;
        const size_t mr = 1 + (size_t)iter % mr_max;
        memset(y, 0xA5, sizeof y);
        for (int64_t pn = 0; pn * 16 < n; pn++) {
            const pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, 0, pn);
            const size_t nr = (size_t)(n - pn * 16 < 16 ? n - pn * 16 : 16);
            const int16_t none[2] = {0, 0};
            const uint8_t none_u8[4] = {0, 0, 0, 0};
            if (pml_qs8_gemm_takes_u8(packed)) quad(mr, nr, 0, none_u8, 0, (const int8_t *)none_u8, &ep, y + pn * 16, N_MAX);
            else gemm(mr, nr, 0, none, 0, none, &ep, y + pn * 16, N_MAX);
        }
        for (size_t r = 0; r < 16; r++)
            for (int j = 0; j < N_MAX; j++) {
                const uint8_t want = r < mr && j < n ? (uint8_t)pml_requantize(&rq, (size_t)j, bias[j]) : 0xA5;
                if (y[r * N_MAX + j] != want && bad++ < 5)
                    fprintf(stderr, "%s floor64 (kind %d) row %zu col %d: acc %d mult %d shift %d zp %d qmin %d: got %d want %d\n",
                            name, kind, r, j, bias[j], mult[j], shift[j], zp, rq.qmin, y[r * N_MAX + j], want);
            }
        pml_aligned_free(packed);
    }
    CHECK(bad == 0);
    CHECK(seen[PML_QS8_FLOOR64_NONE] > 0 && seen[PML_QS8_FLOOR64_SIGNED] > 0 && seen[PML_QS8_FLOOR64_RELU] > 0);
}


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
        test_floor64_store("s8_gemm_" #tile "__" #isa, mr, pml_s8_gemm_##tile##__##isa, NULL);      \
        test_gemm_variant("s8_gemm_" #tile "__" #isa, mr, pml_s8_gemm_##tile##__##isa, pml_s8_widen__scalar); \
    }
#define PML_S8_WIDEN(isa, tile) \
    if (RUNS(isa)) test_widen("s8_widen__" #isa, pml_s8_widen__##isa);
#define PML_U8S8_GEMM(tile, isa, mr, nr)                                                            \
    if (RUNS(isa)) {                                                                                \
        test_requant_store("u8s8_gemm_" #tile "__" #isa, mr, NULL, pml_u8s8_gemm_##tile##__##isa);  \
        test_floor64_store("u8s8_gemm_" #tile "__" #isa, mr, pml_s8_gemm_4x16__scalar,              \
                           pml_u8s8_gemm_##tile##__##isa);                                          \
        test_u8s8_variant("u8s8_gemm_" #tile "__" #isa, mr, pml_u8s8_gemm_##tile##__##isa);         \
    }
#include "kernels/matmul/s8_gemm_variants.h"
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
