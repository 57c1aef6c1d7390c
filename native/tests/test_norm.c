/*
 * test_norm.c — ScaleShift (with fused activations), BatchNormalization,
 * LRN (odd and even sizes), Softmax/LogSoftmax and Hardmax (last, middle and
 * first axis; Hardmax also float16), LayerNormalization/RMSNormalization (several axes, broadcast
 * scale/bias, Mean/InvStdDev outputs), GroupNormalization (float32 and float16, groups of 1 to C
 * channels, a large mean, enough rows for several parallel chunks), LpNormalization (p 1 and 2,
 * inner tiles of 1, 63, 64, 65 positions, zero norms): reference kernels against naive
 * double-precision loops, AVX2 and 2 threads against the reference at awkward
 * sizes, and the error paths.
 */
#include "ew_testutil.h"

static const int64_t g_channels[] = {1, 3, 7, 8, 9, 13, 127, 1000};
#define N_CH (int)(sizeof g_channels / sizeof g_channels[0])

static void test_scale_shift(void) {
    for (int k = 0; k < N_CH; k++)
        for (int act = 0; act <= 7; act++) {
            int64_t c = g_channels[k], xd[3] = {2, 37, c}, cd[1] = {c};
            pml_tensor x = tt_rand(3, xd, -4, 4), s = tt_rand(1, cd, -2, 2), b = tt_rand(1, cd, -1, 1), y;
            pml_tensor *in[3] = {&x, &s, &b};
            pml_attr attrs[3] = {attr_int("act", act), attr_float("act_alpha", act == 2 ? -1.0f : 0.1f),
                                 attr_float("act_beta", act == 2 ? 1.5f : 0.5f)};
            pml_activation pa = {act, attrs[1].f, attrs[2].f};
            char what[64];
            snprintf(what, sizeof what, "ScaleShift c=%lld act=%d", (long long)c, act);
            tt_check_isa(what, PML_OP_SCALESHIFT, attrs, 3, in, 3, 2e-6f, 1e-6f, &y);
            int64_t n = 2 * 37 * c;
            float *e = malloc((size_t)n * sizeof(float));
            for (int64_t i = 0; i < n; i++)
                e[i] = pml_activation_scalar(&pa, ((float *)x.data)[i] * ((float *)s.data)[i % c] +
                                                      ((float *)b.data)[i % c]);
            CHECK(y.data && test_allclose(y.data, e, (size_t)n, 1e-5f, 1e-6f, what));
            free(e);
            tt_free(&y), tt_free(&x), tt_free(&s), tt_free(&b);
        }
    /* threaded size */
    int64_t xd[4] = {1, 64, 64, 24}, cd[1] = {24};
    pml_tensor x = tt_rand(4, xd, -4, 4), s = tt_rand(1, cd, -2, 2), b = tt_rand(1, cd, -1, 1);
    pml_tensor *in[3] = {&x, &s, &b};
    tt_check_isa("ScaleShift large", PML_OP_SCALESHIFT, NULL, 0, in, 3, 2e-6f, 1e-6f, NULL);
    tt_free(&s);
    int64_t bad[1] = {23};
    s = tt_rand(1, bad, 0, 1);
    tt_expect_error("ScaleShift wrong C", PML_ERR_SHAPE, PML_OP_SCALESHIFT, NULL, 0, in, 3, 1);
    tt_free(&x), tt_free(&s), tt_free(&b);
}

static void test_batchnorm(void) {
    int64_t xd[4] = {2, 5, 3, 13}, cd[1] = {13};
    pml_tensor x = tt_rand(4, xd, -4, 4), sc = tt_rand(1, cd, 0.5f, 2), bi = tt_rand(1, cd, -1, 1),
               mu = tt_rand(1, cd, -1, 1), var = tt_rand(1, cd, 0.1f, 3), y;
    pml_tensor *in[5] = {&x, &sc, &bi, &mu, &var};
    pml_attr eps = attr_float("epsilon", 1e-3f);
    tt_check_isa("BatchNormalization", PML_OP_BATCHNORMALIZATION, &eps, 1, in, 5, 2e-6f, 1e-6f, &y);
    int n = 2 * 5 * 3 * 13, ok = y.data != NULL;
    for (int i = 0; i < n && ok; i++) {
        int c = i % 13;
        double e = ((double)((float *)x.data)[i] - ((float *)mu.data)[c]) /
                       sqrt((double)((float *)var.data)[c] + 1e-3) * ((float *)sc.data)[c] +
                   ((float *)bi.data)[c];
        ok &= fabs(((float *)y.data)[i] - e) <= 1e-5 + 1e-5 * fabs(e);
    }
    CHECK(ok);
    tt_free(&y);
    tt_free(&var);
    int64_t bad[2] = {2, 13};
    var = tt_rand(2, bad, 0.1f, 1);
    tt_expect_error("BN var not a vector", PML_ERR_SHAPE, PML_OP_BATCHNORMALIZATION, &eps, 1, in, 5, 1);
    tt_free(&x), tt_free(&sc), tt_free(&bi), tt_free(&mu), tt_free(&var);
}

static void test_lrn(void) {
    static const int sizes[] = {1, 2, 3, 4, 5};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int k = 0; k < 5; k++) {
            int size = sizes[si];
            int64_t c = g_channels[k], xd[3] = {2, 3, c};
            pml_tensor x = tt_rand(3, xd, -3, 3), y;
            pml_tensor *in[1] = {&x};
            pml_attr attrs[4] = {attr_int("size", size), attr_float("alpha", 0.3f), attr_float("beta", 0.6f),
                                 attr_float("bias", 1.5f)};
            CHECK_OK(tt_ref(PML_OP_LRN, attrs, 4, in, 1, &y));
            tt_check_isa("LRN", PML_OP_LRN, attrs, 4, in, 1, 1e-6f, 1e-7f, NULL);
            int ok = y.data != NULL;
            const float *xv = x.data;
            for (int64_t r = 0; r < 6 && ok; r++)
                for (int64_t ch = 0; ch < c; ch++) {
                    double sq = 0;
                    /* ONNX window: [c - floor((size-1)/2), c + ceil((size-1)/2)] */
                    for (int64_t t = ch - (size - 1) / 2; t <= ch + (size - 1 + 1) / 2; t++)
                        if (t >= 0 && t < c) sq += (double)xv[r * c + t] * xv[r * c + t];
                    double e = xv[r * c + ch] / pow(1.5 + 0.3 / size * sq, 0.6);
                    ok &= fabs(((float *)y.data)[r * c + ch] - e) <= 1e-5 * fabs(e) + 1e-6;
                }
            CHECK(ok);
            tt_free(&y), tt_free(&x);
        }
    int64_t xd[2] = {2, 3};
    pml_tensor x = tt_rand(2, xd, 0, 1);
    pml_tensor *in[1] = {&x};
    tt_expect_error("LRN without size", PML_ERR_INVALID_MODEL, PML_OP_LRN, NULL, 0, in, 1, 1);
    pml_attr zero = attr_int("size", 0);
    tt_expect_error("LRN size 0", PML_ERR_INVALID_MODEL, PML_OP_LRN, &zero, 1, in, 1, 1);
    tt_free(&x);
}

static void naive_softmax(const float *x, float *y, int64_t outer, int64_t len, int64_t inner, int is_log) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *xs = x + o * len * inner + j;
            float *ys = y + o * len * inner + j;
            double m = -INFINITY, s = 0;
            for (int64_t k = 0; k < len; k++) m = xs[k * inner] > m ? xs[k * inner] : m;
            for (int64_t k = 0; k < len; k++) s += exp(xs[k * inner] - m);
            for (int64_t k = 0; k < len; k++)
                ys[k * inner] = (float)(is_log ? xs[k * inner] - m - log(s) : exp(xs[k * inner] - m) / s);
        }
}

static void test_softmax(void) {
    for (int is_log = 0; is_log < 2; is_log++) {
        int op = is_log ? PML_OP_LOGSOFTMAX : PML_OP_SOFTMAX;
        for (int k = 0; k < N_CH; k++)
            for (int axis = -3; axis < 3; axis++) {
                int64_t d[3] = {3, g_channels[k], 5};
                if (axis == 0 || axis == -3) d[0] = 11;
                pml_tensor x = tt_rand(3, d, -20, 20), y;
                pml_tensor *in[1] = {&x};
                pml_attr a = attr_int("axis", axis);
                char what[64];
                snprintf(what, sizeof what, "%s axis=%d c=%lld", is_log ? "LogSoftmax" : "Softmax", axis,
                         (long long)d[1]);
                tt_check_isa(what, op, &a, 1, in, 1, 1e-5f, 1e-6f, &y);
                int ax = axis < 0 ? axis + 3 : axis;
                int64_t outer = 1, inner = 1, n = d[0] * d[1] * d[2];
                for (int i = 0; i < ax; i++) outer *= d[i];
                for (int i = ax + 1; i < 3; i++) inner *= d[i];
                float *e = malloc((size_t)n * sizeof(float));
                naive_softmax(x.data, e, outer, d[ax], inner, is_log);
                CHECK(y.data && test_allclose(y.data, e, (size_t)n, 1e-5f, 1e-6f, what));
                free(e);
                tt_free(&y), tt_free(&x);
            }
        /* large threaded last-axis case and a default axis */
        int64_t d[2] = {400, 1000};
        pml_tensor x = tt_rand(2, d, -50, 50);
        pml_tensor *in[1] = {&x};
        tt_check_isa("softmax large", op, NULL, 0, in, 1, 1e-5f, 1e-6f, NULL);
        pml_attr bad = attr_int("axis", 2);
        tt_expect_error("softmax bad axis", PML_ERR_INVALID_MODEL, op, &bad, 1, in, 1, 1);
        tt_free(&x);
    }
    /* huge logits do not overflow: softmax([1000, 0]) = [1, 0] */
    float v[2] = {1000, 0};
    int64_t d[1] = {2};
    pml_tensor x = tt_make(PML_FLOAT32, 1, d, v), y;
    pml_tensor *in[1] = {&x};
    for (int best = 0; best < 2; best++) {
        CHECK_OK(pml_test_op(PML_OP_SOFTMAX, NULL, 0, in, 1, &y, 1, !best, 1));
        CHECK(y.data && ((float *)y.data)[0] == 1.0f && ((float *)y.data)[1] == 0.0f);
        tt_free(&y);
        CHECK_OK(pml_test_op(PML_OP_LOGSOFTMAX, NULL, 0, in, 1, &y, 1, !best, 1));
        CHECK(y.data && ((float *)y.data)[0] == 0.0f && ((float *)y.data)[1] == -1000.0f);
        tt_free(&y);
    }
    tt_free(&x);
}

/* naive LayerNorm/RMSNorm over rows of n with scale/bias already expanded */
static void naive_lnorm(const float *x, const float *sc, const float *bi, int64_t outer, int64_t n, float eps, int rms,
                        float *y, float *mean, float *inv) {
    for (int64_t r = 0; r < outer; r++) {
        const float *xr = x + r * n;
        double m = 0, v = 0;
        if (!rms) {
            for (int64_t i = 0; i < n; i++) m += xr[i];
            m /= (double)n;
        }
        for (int64_t i = 0; i < n; i++) v += (xr[i] - m) * (xr[i] - m);
        const double iv = 1.0 / sqrt(v / (double)n + eps);
        for (int64_t i = 0; i < n; i++) y[r * n + i] = (float)((xr[i] - m) * iv * sc[i] + (bi ? bi[i] : 0.0f));
        mean[r] = (float)m, inv[r] = (float)iv;
    }
}

static void test_layer_norm(void) {
    for (int rms = 0; rms < 2; rms++)
        for (int k = 0; k < N_CH; k++)
            for (int axis = 1; axis <= 2; axis++)
                for (int bcast = 0; bcast < 2; bcast++) {
                    const int64_t c = g_channels[k], xd[3] = {3, 5, c};
                    /* scale: full normalised shape, or broadcast [1, c] / [c] over axis 1 */
                    int64_t sd[2] = {axis == 1 && !bcast ? 5 : 1, c};
                    const int srank = axis == 2 ? 1 : 2;
                    const int64_t *sdims = axis == 2 ? sd + 1 : sd;
                    pml_tensor x = tt_rand(3, xd, -3, 5), sc = tt_rand(srank, sdims, 0.5f, 2),
                               bi = tt_rand(srank, sdims, -1, 1), out[3], ref[3];
                    pml_attr at[2] = {attr_int("axis", axis), attr_float("epsilon", 1e-3f)};
                    pml_tensor *ins[3] = {&x, &sc, rms ? NULL : &bi};
                    const int op = rms ? PML_OP_RMSNORMALIZATION : PML_OP_LAYERNORMALIZATION;
                    const int n_in = rms ? 2 : 3, n_out = rms ? 1 : 3;
                    CHECK_OK(pml_test_op(op, at, 2, ins, n_in, ref, n_out, 1, 1));
                    CHECK_OK(pml_test_op(op, at, 2, ins, n_in, out, n_out, 0, 2));
                    const int64_t n = axis == 1 ? 5 * c : c, outer = 15 / (axis == 1 ? 5 : 1);
                    float *esc = malloc((size_t)n * 4), *ebi = malloc((size_t)n * 4), *y = malloc((size_t)(15 * c) * 4);
                    float mean[15], inv[15];
                    for (int64_t i = 0; i < n; i++) {
                        const int64_t src = sc.nbytes / 4 == (size_t)n ? i : i % c;
                        esc[i] = ((float *)sc.data)[src], ebi[i] = ((float *)bi.data)[src];
                    }
                    naive_lnorm((float *)x.data, esc, rms ? NULL : ebi, outer, n, 1e-3f, rms, y, mean, inv);
                    CHECK(test_allclose((float *)ref[0].data, y, (size_t)(15 * c), 1e-5f, 1e-5f, "lnorm ref"));
                    CHECK(test_allclose((float *)out[0].data, y, (size_t)(15 * c), 1e-4f, 1e-4f, "lnorm avx2"));
                    if (!rms) {
                        CHECK(ref[1].rank == 3 && ref[1].dims[axis] == 1 && ref[1].dims[0] == 3);
                        CHECK(test_allclose((float *)ref[1].data, mean, (size_t)outer, 1e-5f, 1e-5f, "mean ref"));
                        CHECK(test_allclose((float *)out[1].data, mean, (size_t)outer, 1e-4f, 1e-5f, "mean avx2"));
                        CHECK(test_allclose((float *)out[2].data, inv, (size_t)outer, 1e-4f, 1e-5f, "inv avx2"));
                    }
                    for (int o = 0; o < n_out; o++) tt_free(&out[o]), tt_free(&ref[o]);
                    free(esc), free(ebi), free(y);
                    tt_free(&x), tt_free(&sc), tt_free(&bi);
                }
    /* errors: scale that does not broadcast, axis out of range, int input */
    int64_t xd[2] = {4, 6}, bad[1] = {5}, good[1] = {6};
    pml_tensor x = tt_rand(2, xd, -1, 1), sc = tt_rand(1, bad, 1, 2), sg = tt_rand(1, good, 1, 2), y;
    pml_attr ax = attr_int("axis", -1), ax_bad = attr_int("axis", 2);
    pml_tensor *ins[2] = {&x, &sc};
    CHECK(pml_test_op(PML_OP_LAYERNORMALIZATION, &ax, 1, ins, 2, &y, 1, 1, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "scale") != NULL);
    ins[1] = &sg;
    CHECK(pml_test_op(PML_OP_RMSNORMALIZATION, &ax_bad, 1, ins, 2, &y, 1, 1, 1) != PML_OK);
    CHECK_OK(pml_test_op(PML_OP_RMSNORMALIZATION, &ax, 1, ins, 2, &y, 1, 0, 1));
    tt_free(&y);
    tt_free(&x), tt_free(&sc), tt_free(&sg);
}

/* Hardmax over the last, middle and first axis, float32 and float16, against a naive first-argmax loop. */
static void test_hardmax(void) {
    static const int64_t lens[] = {1, 7, 8, 9, 13, 127};
    for (int li = 0; li < 6; li++)
        for (int axis = 0; axis < 3; axis++)
            for (int half = 0; half < 2; half++) {
                int64_t d[3] = {3, 5, 4};
                d[axis] = lens[li];
                pml_tensor xf = tt_rand(3, d, -2, 2), x = half ? tt_make(PML_FLOAT16, 3, d, NULL) : xf, y;
                int64_t n = d[0] * d[1] * d[2];
                for (int64_t i = 0; i < n; i += 3) ((float *)xf.data)[i] = 1.5f; /* ties */
                if (half)
                    for (int64_t i = 0; i < n; i++) { /* the float32 copy holds the half values exactly */
                        ((uint16_t *)x.data)[i] = pml_f32_to_f16_scalar(((float *)xf.data)[i]);
                        ((float *)xf.data)[i] = pml_f16_to_f32_scalar(((uint16_t *)x.data)[i]);
                    }
                pml_tensor *in[1] = {&x};
                pml_attr at = attr_int("axis", axis);
                char what[64];
                snprintf(what, sizeof what, "hardmax axis=%d len=%lld f16=%d", axis, (long long)lens[li], half);
                tt_check_isa(what, PML_OP_HARDMAX, &at, 1, in, 1, -1, 0, &y);
                int64_t outer = 1, inner = 1, len = d[axis];
                for (int k = 0; k < axis; k++) outer *= d[k];
                for (int k = axis + 1; k < 3; k++) inner *= d[k];
                int ok = y.data != NULL && y.dtype == x.dtype;
                for (int64_t o = 0; ok && o < outer; o++)
                    for (int64_t i = 0; ok && i < inner; i++) {
                        int64_t best = 0;
                        for (int64_t k = 1; k < len; k++)
                            if (((float *)xf.data)[(o * len + k) * inner + i] > ((float *)xf.data)[(o * len + best) * inner + i])
                                best = k;
                        for (int64_t k = 0; ok && k < len; k++) {
                            int64_t at_k = (o * len + k) * inner + i;
                            float v = half ? pml_f16_to_f32_scalar(((uint16_t *)y.data)[at_k]) : ((float *)y.data)[at_k];
                            ok = v == (k == best ? 1.0f : 0.0f);
                        }
                    }
                if (!ok) fprintf(stderr, "%s: differs from the naive loop\n", what);
                CHECK(ok);
                tt_free(&y);
                if (half) tt_free(&x);
                tt_free(&xf);
            }
}

/* GroupNormalization on x [2, rows, c] (NHWC) against a naive double loop; threads and
 * configurations must agree bit for bit (the chunking depends on the shape only). */
static void test_group_norm(void) {
    static const int64_t rows_list[] = {1, 7, 13, 127, 4099};
    /* channels, groups; 2051 channels widen from float16 in pieces of a row (few rows only) */
    static const int64_t cg[][2] = {{1, 1}, {3, 3}, {8, 2}, {8, 4}, {13, 1}, {13, 13}, {2051, 7}};
    for (int ri = 0; ri < 5; ri++)
        for (int ci = 0; ci < 7; ci++)
            for (int half = 0; half < 2; half++) {
                const int64_t rows = rows_list[ri], c = cg[ci][0], groups = cg[ci][1], d[3] = {2, rows, c};
                if (c > 1000 && rows > 13) continue;
                const int64_t n = 2 * rows * c, per = rows * (c / groups);
                pml_tensor xf = tt_rand(3, d, 5, 9), sf = tt_rand(1, d + 2, 0.5f, 2), bf = tt_rand(1, d + 2, -1, 1);
                const pml_dtype dt = half ? PML_FLOAT16 : PML_FLOAT32;
                pml_tensor x = tt_make(dt, 3, d, NULL), sc = tt_make(dt, 1, d + 2, NULL);
                pml_tensor bi = tt_make(dt, 1, d + 2, NULL);
                pml_tensor *src[3] = {&xf, &sf, &bf}, *dst[3] = {&x, &sc, &bi};
                for (int t = 0; t < 3; t++) /* the float32 copies hold the values the op sees */
                    for (int64_t i = 0; i < pml_shape_numel(src[t]->rank, src[t]->dims); i++) {
                        float *f = (float *)src[t]->data + i;
                        uint16_t h = pml_f32_to_f16_scalar(*f);
                        if (half) ((uint16_t *)dst[t]->data)[i] = h, *f = pml_f16_to_f32_scalar(h);
                        else ((float *)dst[t]->data)[i] = *f;
                    }
                pml_tensor *in[3] = {&x, &sc, &bi}, y;
                pml_attr at[2] = {attr_int("num_groups", groups), attr_float("epsilon", 1e-3f)};
                char what[96];
                snprintf(what, sizeof what, "group_norm rows=%lld c=%lld groups=%lld f16=%d", (long long)rows,
                         (long long)c, (long long)groups, half);
                tt_check_isa(what, PML_OP_GROUPNORMALIZATION, at, 2, in, 3, -1, 0, &y);
                float *want = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
                const float *xv = (const float *)xf.data, *sv = (const float *)sf.data, *bv = (const float *)bf.data;
                for (int64_t b = 0; b < 2; b++)
                    for (int64_t g = 0; g < groups; g++) {
                        double m = 0, v = 0;
                        for (int64_t r = 0; r < rows; r++)
                            for (int64_t k = g * (c / groups); k < (g + 1) * (c / groups); k++)
                                m += xv[(b * rows + r) * c + k];
                        m /= (double)per;
                        for (int64_t r = 0; r < rows; r++)
                            for (int64_t k = g * (c / groups); k < (g + 1) * (c / groups); k++) {
                                const double e = xv[(b * rows + r) * c + k] - m;
                                v += e * e;
                            }
                        const double inv = 1.0 / sqrt(v / (double)per + 1e-3f);
                        for (int64_t r = 0; r < rows; r++)
                            for (int64_t k = g * (c / groups); k < (g + 1) * (c / groups); k++) {
                                const int64_t i = (b * rows + r) * c + k;
                                want[i] = (float)((xv[i] - m) * inv * sv[k] + bv[k]);
                            }
                    }
                for (int64_t i = 0; i < n; i++)
                    got[i] = half ? pml_f16_to_f32_scalar(((uint16_t *)y.data)[i]) : ((float *)y.data)[i];
                const float tol = half ? 2e-3f : 1e-4f;
                CHECK(y.dtype == dt && test_allclose(got, want, (size_t)n, tol, 2 * tol, what));
                free(want), free(got);
                tt_free(&y), tt_free(&x), tt_free(&sc), tt_free(&bi), tt_free(&xf), tt_free(&sf), tt_free(&bf);
            }
    /* errors: groups that do not divide C, scale of the wrong length, rank 1, negative epsilon */
    int64_t xd[3] = {1, 4, 6}, bad[1] = {5}, good[1] = {6};
    pml_tensor x = tt_rand(3, xd, -1, 1), sb = tt_rand(1, bad, 1, 2), sg = tt_rand(1, good, 1, 2);
    pml_tensor x1 = tt_rand(1, good, -1, 1);
    pml_tensor *ins[3] = {&x, &sg, &sg}, *bad_in[3] = {&x, &sg, &sb}, *r1[3] = {&x1, &sg, &sg};
    pml_attr g4 = attr_int("num_groups", 4), g3[2] = {attr_int("num_groups", 3), attr_float("epsilon", -1.0f)};
    tt_expect_error("group norm 4 groups of 6", PML_ERR_INVALID_MODEL, PML_OP_GROUPNORMALIZATION, &g4, 1, ins, 3, 1);
    tt_expect_error("group norm no num_groups", PML_ERR_INVALID_MODEL, PML_OP_GROUPNORMALIZATION, NULL, 0, ins, 3, 1);
    tt_expect_error("group norm bias [5]", PML_ERR_SHAPE, PML_OP_GROUPNORMALIZATION, g3, 1, bad_in, 3, 1);
    tt_expect_error("group norm rank 1", PML_ERR_SHAPE, PML_OP_GROUPNORMALIZATION, g3, 1, r1, 3, 1);
    tt_expect_error("group norm epsilon -1", PML_ERR_INVALID_MODEL, PML_OP_GROUPNORMALIZATION, g3, 2, ins, 3, 1);
    tt_free(&x), tt_free(&sb), tt_free(&sg), tt_free(&x1);
}

/* LpNormalization over the middle axis of [2, len, inner], float32 and float16, against a naive double loop. */
static void test_lp_norm(void) {
    static const int64_t lens[] = {1, 7, 8, 9, 13, 127}, inners[] = {1, 63, 64, 65, 130};
    for (int li = 0; li < 6; li++)
        for (int ii = 0; ii < 5; ii++)
            for (int p = 1; p <= 2; p++)
                for (int half = 0; half < 2; half++) {
                    const int64_t len = lens[li], inner = inners[ii], d[3] = {2, len, inner}, n = 2 * len * inner;
                    pml_tensor xf = tt_rand(3, d, -2, 2), x = half ? tt_make(PML_FLOAT16, 3, d, NULL) : xf, y;
                    float *xv = (float *)xf.data;
                    for (int64_t k = 0; k < len; k++) xv[k * inner] = 0.0f; /* column 0 of instance 0: norm 0 */
                    if (half)
                        for (int64_t i = 0; i < n; i++) {
                            ((uint16_t *)x.data)[i] = pml_f32_to_f16_scalar(xv[i]);
                            xv[i] = pml_f16_to_f32_scalar(((uint16_t *)x.data)[i]);
                        }
                    pml_tensor *in[1] = {&x};
                    pml_attr at[2] = {attr_int("axis", 1), attr_int("p", p)};
                    char what[80];
                    snprintf(what, sizeof what, "lp_norm p=%d len=%lld inner=%lld f16=%d", p, (long long)len,
                             (long long)inner, half);
                    tt_check_isa(what, PML_OP_LPNORMALIZATION, at, 2, in, 1, -1, 0, &y);
                    float *want = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
                    for (int64_t o = 0; o < 2; o++)
                        for (int64_t i = 0; i < inner; i++) {
                            double norm = 0;
                            for (int64_t k = 0; k < len; k++) {
                                const double v = xv[(o * len + k) * inner + i];
                                norm += p == 1 ? fabs(v) : v * v;
                            }
                            norm = p == 1 ? norm : sqrt(norm);
                            for (int64_t k = 0; k < len; k++) {
                                const int64_t e = (o * len + k) * inner + i;
                                want[e] = norm > 0 ? (float)(xv[e] / norm) : 0.0f;
                            }
                        }
                    for (int64_t i = 0; i < n; i++)
                        got[i] = half ? pml_f16_to_f32_scalar(((uint16_t *)y.data)[i]) : ((float *)y.data)[i];
                    const float tol = half ? 1e-3f : 1e-6f;
                    CHECK(test_allclose(got, want, (size_t)n, tol, tol, what));
                    free(want), free(got);
                    tt_free(&y);
                    if (half) tt_free(&x);
                    tt_free(&xf);
                }
    int64_t d[2] = {3, 4};
    pml_tensor x = tt_rand(2, d, -1, 1);
    pml_tensor *in[1] = {&x};
    pml_attr p3 = attr_int("p", 3), ax = attr_int("axis", 2);
    tt_expect_error("lp_norm p=3", PML_ERR_UNSUPPORTED, PML_OP_LPNORMALIZATION, &p3, 1, in, 1, 1);
    tt_expect_error("lp_norm axis 2 of rank 2", PML_ERR_INVALID_MODEL, PML_OP_LPNORMALIZATION, &ax, 1, in, 1, 1);
    tt_free(&x);
}

int main(void) {
    test_lp_norm();
    test_group_norm();
    test_layer_norm();
    test_scale_shift();
    test_batchnorm();
    test_lrn();
    test_softmax();
    test_hardmax();
    return test_finish("test_norm");
}
