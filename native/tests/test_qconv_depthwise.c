/*
 * test_qconv_depthwise.c — the exact int8 depthwise conv kernels: every listed variant this CPU
 * runs (PML_S8_DWCONV) as its configuration runs it, and the row-vectorised kernels (AVX-512's
 * tap quads, AVX2's tap pairs) at every stride they support, against pml_qs8_conv_ref byte for
 * byte at the MobileNet/BlazeFace channel counts and the tails around them, awkward widths,
 * SAME's uneven pads, every requantization mode, extreme operands, one and two threads; the
 * row kernels also on a thread with a small stack (their buffers are the caller's scratch).
 */
#include <pthread.h>

#include "qconv_testutil.h"
#include "kernels/conv/s8_dwconv_rows.h"

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

/* Small layers split by channel blocks over two threads (the driver's dw_blocks: C in 16s,
 * fewer row tasks than threads), against the reference; counts that the blocks ran, and a direct call
 * on a window writes its channels and nothing else. */
static int g_cols_calls;
static int dwconv_cols_counted(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                               int64_t row1, int64_t c0, int64_t c1, void *scratch) {
    __atomic_add_fetch(&g_cols_calls, 1, __ATOMIC_RELAXED);
    return pml_s8_dwconv_rows_cols__avx512vnni(g, x, packed, y, row0, row1, c0, c1, scratch);
}

static void test_dwconv_cols(void) {
    const pml_qs8_gemm_kernels kern = {.dwconv = pml_s8_dwconv__avx512vnni, .dwconv_rows = PML_DW_LAYOUT_QUADS,
                                       .dwconv_cols = dwconv_cols_counted};
    const pml_conv_geom gs[] = {geom(1, 8, 8, 256, 256, 256, 3, 1, 1, 1), same_pads(geom(1, 16, 16, 256, 256, 256, 3, 2, 0, 1)),
                                same_pads(geom(1, 8, 8, 512, 512, 512, 3, 2, 0, 1)), geom(1, 4, 4, 1024, 1024, 1024, 3, 1, 1, 1),
                                geom(2, 4, 24, 48, 48, 48, 3, 1, 1, 1), geom(1, 6, 7, 80, 80, 80, 5, 1, 2, 1),
                                geom(1, 16, 20, 208, 208, 208, 3, 3, 1, 1), geom(1, 8, 16, 96, 96, 96, 3, 1, 1, 2)};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++)
        for (int v = 0; v < 4; v++) {
            g_cols_calls = 0;
            CHECK(check_conv(&kern, kern.dwconv, g_pool2, &gs[i], (int)(rnd() & 255 & ~16) | 256, v == 3,
                             "s8_dwconv_rows_cols__avx512vnni"));
            CHECK(g_cols_calls >= 2);
        }
    /* a window alone: channels 16..47 of 64 written, the others untouched */
    const pml_conv_geom g = geom(1, 5, 6, 64, 64, 64, 3, 1, 1, 1);
    int8_t x[5 * 6 * 64], w[64 * 9];
    fill_s8(x, sizeof x, 0);
    fill_s8(w, sizeof w, 0);
    int32_t bias[64], mult[64], shift[64];
    for (int j = 0; j < 64; j++) bias[j] = rnd_range(-5000, 5000), pml_quantize_multiplier(0.003, &mult[j], &shift[j]);
    pml_qs8_quant q = {.a_zero_point = 3, .bias = bias, .out_dtype = PML_INT8};
    q.rq = (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .per_channel = 1, .multiplier = mult, .shift = shift,
                         .zero_point = -7, .qmin = -128, .qmax = 127};
    void *packed = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(&g));
    pml_qs8_dwconv_pack(&g, w, &q, packed);
    void *scratch = pml_aligned_alloc(pml_dwrows_scratch_bytes(&g, packed) + 64);
    uint8_t y[5 * 6 * 64], r[5 * 6 * 64];
    memset(y, 0xA5, sizeof y);
    pml_qs8_conv_ref(&g, x, w, &q, r);
    CHECK(pml_s8_dwconv_rows_cols__avx512vnni(&g, x, packed, y, 0, g.oh, 16, 48, scratch) == 1);
    int ok = 1;
    for (size_t i = 0; i < sizeof y; i++) {
        const int64_t c = (int64_t)(i % 64);
        if (c >= 16 && c < 48 ? y[i] != r[i] : y[i] != 0xA5) ok = 0;
    }
    CHECK(ok);
    CHECK(pml_s8_dwconv_rows_cols__avx512vnni(&g, x, packed, y, 0, g.oh, 8, 48, scratch) == 0); /* not in 16s */
    pml_aligned_free(packed), pml_aligned_free(scratch);
}

/* The AVX-512 row kernel's requantization at its edges, against pml_qs8_conv_ref: multipliers
 * 2^30 (every product a tie of the doubling high multiply), 2^30 + 1, 2^31 - 1; right shifts 1
 * to 22 (the one-step path's range; tiny weights keep results off the clamp), then a layer
 * with one shift of 23 or 0 or a left shift (the general path); zero points at the ends of
 * int8 and uint8, with and without a fused ReLU (qmin = zp: the path without the negative
 * accumulators' correction), biases up to 2^29. Checks which path the layout chose. */
static void test_dwrows_requant_edges(void) {
    static const int32_t mults[] = {1 << 30, (1 << 30) + 1, INT32_MAX, 1518500250};
    static const int32_t shifts[] = {-1, -2, -5, -9, -13, -22};
    static const int32_t zps[][3] = {{-128, -128, 127}, {127, -128, 127}, {0, -128, 127},
                                     {-5, -128, 127},   {0, 0, 255},      {255, 0, 255}}; /* zp, lo, hi */
    const pml_conv_geom geoms[] = {geom(1, 9, 11, 40, 40, 40, 3, 1, 1, 1), geom(1, 9, 11, 17, 17, 17, 3, 2, 1, 1),
                                   geom(1, 6, 9, 24, 24, 24, 5, 1, 2, 1)};
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++)
        for (int shift_case = 0; shift_case < 4; shift_case++) /* 0: fast; 1: a shift -23; 2: 0; 3: +1 */
            for (size_t zi = 0; zi < sizeof zps / sizeof zps[0]; zi++)
                for (int relu = 0; relu < 2; relu++)
                    for (int small_w = 0; small_w < 2; small_w++) {
                        const pml_conv_geom *g = &geoms[gi];
                        const int64_t C = g->cout, taps = g->kh * g->kw;
                        const size_t nx = (size_t)(g->h * g->w * C), ny = (size_t)(g->oh * g->ow * C);
                        int32_t bias[40], mult[40], shift[40];
                        for (int64_t c = 0; c < C; c++) {
                            mult[c] = mults[(c + zi) % 4];
                            shift[c] = shifts[(c + shift_case + relu) % 6];
                            bias[c] = c % 5 == 0 ? (int32_t)(c & 1 ? -1 : 1) * ((1 << 29) + rnd_range(0, 1000))
                                                 : rnd_range(-3000, 3000);
                        }
                        if (shift_case) shift[C / 2] = shift_case == 1 ? -23 : shift_case == 2 ? 0 : 1;
                        const int32_t zp = zps[zi][0], lo = zps[zi][1], hi = zps[zi][2];
                        pml_qs8_quant q = {.a_zero_point = rnd_range(-128, 127), .bias = bias,
                                           .out_dtype = lo == 0 ? PML_UINT8 : PML_INT8};
                        q.rq = (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .per_channel = 1, .multiplier = mult,
                                             .shift = shift, .zero_point = zp, .qmin = relu ? zp : lo, .qmax = hi};
                        int8_t *x = malloc(nx), *w = malloc((size_t)(C * taps));
                        uint8_t *y = malloc(ny), *r = malloc(ny);
                        fill_s8(x, nx, 0);
                        for (int64_t i = 0; i < C * taps; i++)
                            w[i] = (int8_t)(small_w ? rnd_range(-2, 2) : rnd_range(-128, 127));
                        void *packed = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(g));
                        pml_qs8_dwconv_pack(g, w, &q, packed);
                        const pml_dwrows_packed *lay =
                            (const pml_dwrows_packed *)((const uint8_t *)packed + pml_dwrows_offset(g));
                        CHECK(lay->fast_rq == (shift_case ? 0 : q.rq.qmin >= zp ? PML_QS8_FLOOR64_RELU : PML_QS8_FLOOR64_SIGNED));
                        void *scratch = pml_aligned_alloc(pml_dwrows_scratch_bytes(g, packed) + 64);
                        CHECK(pml_s8_dwconv_rows__avx512vnni(g, x, packed, y, 0, g->oh, scratch) == 1);
                        pml_qs8_conv_ref(g, x, w, &q, r);
                        if (memcmp(y, r, ny) != 0) {
                            fprintf(stderr, "dwrows requant edges: geom %zu shifts %d zp %d relu %d small_w %d differ\n",
                                    gi, shift_case, zp, relu, small_w);
                            CHECK(0);
                        }
                        free(x), free(w), free(y), free(r);
                        pml_aligned_free(packed), pml_aligned_free(scratch);
                    }
}

/* The requantization's short rounding (small accumulators, no left shift) is taken only where
 * the packing proved it exact: a scale above 1 (a left shift) and biases near 2^31 with
 * multipliers near 2^31 and right shift 29 (where h + 2^(right - 1) would wrap) must take the
 * general one. Small weights and inputs keep the outputs inside the range: a wrong rounding shows.
 * Each case fails if the packing's bound is dropped. */
static void test_dwconv_requant_bounds(const pml_qs8_gemm_kernels *kern, const char *name) {
    /* stride 1, 32 channels: the AVX2 rows kernel; stride 2, 64 channels: its channel kernel */
    const pml_conv_geom gs[2] = {geom(1, 4, 9, 32, 32, 32, 3, 1, 1, 1), geom(1, 5, 9, 64, 64, 64, 3, 2, 1, 1)};
    for (int gi = 0; gi < 4; gi++) {
        const pml_conv_geom g = gs[gi / 2];
        const int c = gi % 2;
        const size_t nx = (size_t)(g.h * g.w * g.cin), ny = (size_t)(g.oh * g.ow * g.cout);
        int8_t x[5 * 9 * 64], w[64 * 9];
        for (size_t i = 0; i < nx; i++) x[i] = (int8_t)rnd_range(-2, 2);
        for (size_t i = 0; i < sizeof w; i++) w[i] = (int8_t)rnd_range(-3, 3);
        int32_t zw = 0, bias[64], mult[64], shift[64];
        for (int j = 0; j < 64; j++) {
            bias[j] = c == 0 ? rnd_range(-20, 20) : (j & 1 ? -2000000000 : 2000000000) + rnd_range(-500, 500);
            pml_quantize_multiplier(c == 0 ? 1.5 + 0.05 * j : 1.84e-9 + 1e-13 * j, &mult[j], &shift[j]);
        }
        pml_qs8_quant q = {.a_zero_point = rnd_range(-3, 3), .w_zero_point = &zw, .bias = bias, .out_dtype = PML_INT8};
        q.rq = (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .multiplier = mult, .shift = shift, .per_channel = 1,
                             .zero_point = 5, .qmin = -128, .qmax = 127};
        void *packed = pml_aligned_alloc(pml_qs8_dwconv_packed_bytes(&g));
        pml_qs8_dwconv_pack(&g, w, &q, packed);
        void *scratch = pml_aligned_alloc(pml_qs8_dwconv_scratch_bytes(kern, &g, packed) + 64);
        uint8_t y[5 * 9 * 64], r[5 * 9 * 64];
        pml_qs8_dwconv_run(kern, &g, x, packed, y, NULL, pml_thread_scratch_of(scratch, 0));
        pml_qs8_conv_ref(&g, x, w, &q, r);
        if (memcmp(y, r, ny) != 0) fprintf(stderr, "%s: %s differs\n", name, c == 0 ? "a left shift" : "biases near 2^31");
        CHECK(memcmp(y, r, ny) == 0);
        pml_aligned_free(packed), pml_aligned_free(scratch);
    }
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

int main(void) {
    pml_cpu_detect(&g_cpu);
    g_pool2 = pml_threadpool_create(2);
#define PML_S8_DWCONV(isa, tile) \
    if (RUNS(isa)) test_dwconv_variant("s8_dwconv__" #isa, pml_s8_dwconv__##isa, \
                                       !strcmp(#isa, "avx512vnni") ? PML_DW_LAYOUT_QUADS : PML_DW_LAYOUT_NONE);
#include "kernels/conv/s8_conv_variants.h"
#ifdef PML_ARCH_X86
    if (RUNS(avx512vnni)) {
        static const pml_qs8_gemm_kernels quads = {.dwconv = pml_s8_dwconv__avx512vnni, .dwconv_rows = PML_DW_LAYOUT_QUADS};
        test_dwconv_rows("s8_dwconv_rows__avx512vnni", pml_s8_dwconv_rows__avx512vnni, PML_DW_LAYOUT_QUADS, 0);
        test_dwrows_requant_edges();
        test_dwconv_cols();
        test_dwconv_small_stack(&quads);
    }
    if (RUNS(avx2)) {
        static const pml_qs8_gemm_kernels pairs = {.dwconv = pml_s8_dwconv_rows_or_channels__avx2,
                                                   .dwconv_rows = PML_DW_LAYOUT_PAIRS};
        test_dwconv_rows("s8_dwconv_rows__avx2", pml_s8_dwconv_rows__avx2, PML_DW_LAYOUT_PAIRS, 1);
        test_dwconv_variant("s8_dwconv_rows_or_channels__avx2", pml_s8_dwconv_rows_or_channels__avx2,
                            PML_DW_LAYOUT_PAIRS);
        test_dwconv_small_stack(&pairs);
        test_dwconv_requant_bounds(&pairs, "s8_dwconv_rows__avx2");
    }
#endif
    printf("depthwise variants run against the reference: %d\n", g_variants);
    pml_threadpool_destroy(g_pool2);
    return test_finish("test_qconv_depthwise");
}
