/*
 * test_signal.c — the signal family: the FFT kernel (complex, real, Bluestein)
 * against a naive double-precision DFT at awkward lengths (1, 2, 3, 5, 7, 8,
 * 13, 16, 31, 45, 67, 100, 127, 400, 512, 1000, 1009); DFT (every axis, real/complex input,
 * inverse, onesided, dft_length padding/truncation, float16) and STFT
 * through the op lifecycle against the same naive loop (and on 2 threads, bit
 * for bit against 1); the windows and the
 * mel filterbank against their formulas; and the error paths (bad axis,
 * lengths, shapes, dtypes, unknown plan-time inputs).
 */
#include "ew_testutil.h"
#include "kernels/signal/signal.h"

static const int64_t g_lens[] = {1, 2, 3, 5, 7, 8, 13, 16, 31, 45, 67, 100, 127, 400, 512, 1000, 1009};
#define N_LENS (int)(sizeof g_lens / sizeof g_lens[0])

/* y[k] = sum_j x[j] e^{sign 2 pi i j k / n}, complex (re, im) pairs in double. */
static void naive_dft(const double *x, double *y, int64_t n, int sign) {
    for (int64_t k = 0; k < n; k++) {
        double re = 0, im = 0;
        for (int64_t j = 0; j < n; j++) {
            double a = sign * 2.0 * 3.14159265358979323846 * (double)((j * k) % n) / (double)n;
            re += x[2 * j] * cos(a) - x[2 * j + 1] * sin(a);
            im += x[2 * j] * sin(a) + x[2 * j + 1] * cos(a);
        }
        y[2 * k] = re, y[2 * k + 1] = im;
    }
}

/* max |got - want| / max(1, max |want|). Plain branches, one loop: aarch64 gcc 12's
 * vectoriser crashes (an internal compiler error) on the two fmax reductions inlined here. */
static double rel_err(const float *got, const double *want, int64_t n) {
    double scale = 1, err = 0;
    for (int64_t i = 0; i < n; i++) {
        const double w = fabs(want[i]), e = fabs(got[i] - want[i]);
        if (w > scale) scale = w;
        if (e > err) err = e;
    }
    return err / scale;
}

static void test_fft_kernel(void) {
    for (int li = 0; li < N_LENS; li++)
        for (int real = 0; real < 2; real++)
            for (int inverse = 0; inverse < 2; inverse++) {
                const int64_t n = g_lens[li];
                if (real && (inverse || n % 2)) continue;
                pml_fft_plan p;
                float *mem = malloc(pml_fft_plan_floats((size_t)n, real) * sizeof(float));
                pml_fft_plan_init(&p, (size_t)n, real, mem);
                float *data = malloc((size_t)(2 * n + 2) * sizeof(float));
                float *work = malloc(pml_fft_work_floats(&p) * sizeof(float));
                double *x = calloc((size_t)(2 * n), sizeof(double)), *y = malloc((size_t)(2 * n) * sizeof(double));
                for (int64_t j = 0; j < n; j++) {
                    x[2 * j] = test_randf(-1, 1), x[2 * j + 1] = real ? 0 : test_randf(-1, 1);
                    if (real) data[j] = (float)x[2 * j];
                    else data[2 * j] = (float)x[2 * j], data[2 * j + 1] = (float)x[2 * j + 1];
                }
                naive_dft(x, y, n, inverse ? 1 : -1);
                if (real) pml_f32_rfft__scalar(&p, data, work);
                else pml_f32_fft__scalar(&p, data, inverse, work);
                const int64_t bins = real ? n / 2 + 1 : n;
                double err = rel_err(data, y, 2 * bins);
                if (err > 2e-6) fprintf(stderr, "fft n=%lld real=%d inverse=%d: error %g\n", (long long)n, real, inverse, err);
                CHECK(err <= 2e-6);
                if (real) CHECK(data[1] == 0.0f && data[2 * (n / 2) + 1] == 0.0f); /* DC and Nyquist exactly real */
                free(mem), free(data), free(work), free(x), free(y);
            }
}

/* DFT through the op: x [2, n, 3, c] along axis 1 against the naive loop. */
static void test_dft_op(void) {
    static const int64_t lens[] = {1, 2, 5, 8, 31, 100, 127};
    for (int li = 0; li < 7; li++)
        for (int c = 1; c <= 2; c++)
            for (int mode = 0; mode < 4; mode++) { /* forward, onesided, inverse, forward with dft_length n+3 */
                const int64_t n = lens[li], len = mode == 3 ? n + 3 : n, d[4] = {2, n, 3, c};
                const int onesided = mode == 1, inverse = mode == 2;
                pml_tensor x = tt_rand(4, d, -1, 1), y, lt = t_i64(0, NULL, &len, 1);
                pml_tensor *in[2] = {&x, &lt};
                pml_attr at[3] = {attr_int("axis", 1), attr_int("inverse", inverse), attr_int("onesided", onesided)};
                char what[64];
                snprintf(what, sizeof what, "DFT n=%lld c=%d mode=%d", (long long)n, c, mode);
                tt_check_isa(what, PML_OP_DFT, at, 3, in, mode == 3 ? 2 : 1, 1e-6f, 1e-6f, &y);
                const int64_t bins = onesided ? len / 2 + 1 : len;
                int ok = y.data && y.rank == 4 && y.dims[1] == bins && y.dims[3] == 2;
                double *line = calloc((size_t)(2 * len), sizeof(double)), *want = malloc((size_t)(2 * len) * sizeof(double));
                for (int64_t b = 0; ok && b < 2; b++)
                    for (int64_t i = 0; ok && i < 3; i++) {
                        for (int64_t j = 0; j < n; j++)
                            for (int64_t k = 0; k < c; k++) line[2 * j + k] = as_f32(&x)[((b * n + j) * 3 + i) * c + k];
                        naive_dft(line, want, len, inverse ? 1 : -1);
                        for (int64_t k = 0; k < bins; k++)
                            for (int v = 0; v < 2; v++) {
                                double e = want[2 * k + v] / (inverse ? (double)len : 1.0);
                                ok &= fabs(as_f32(&y)[((b * bins + k) * 3 + i) * 2 + v] - e) <= 2e-5 * (1 + fabs(e)) * sqrt((double)len);
                            }
                    }
                if (!ok) fprintf(stderr, "%s: differs from the naive DFT\n", what);
                CHECK(ok);
                free(line), free(want);
                tt_free(&x), tt_free(&lt);
                if (y.data) tt_free(&y);
            }
}

/* float16 computes in float32: the float16 result is the float32 one rounded once. */
static void test_dft_f16(void) {
    int64_t d[3] = {3, 12, 1};
    pml_tensor x = tt_make(PML_FLOAT16, 3, d, NULL), xf = tt_rand(3, d, -1, 1), y, yf;
    for (int i = 0; i < 36; i++) {
        ((uint16_t *)x.data)[i] = pml_f32_to_f16_scalar(as_f32(&xf)[i]);
        as_f32(&xf)[i] = pml_f16_to_f32_scalar(((uint16_t *)x.data)[i]);
    }
    pml_tensor *in[1] = {&x}, *inf[1] = {&xf};
    pml_attr at = attr_int("axis", 1);
    CHECK_OK(tt_ref(PML_OP_DFT, &at, 1, in, 1, &y));
    CHECK_OK(tt_ref(PML_OP_DFT, &at, 1, inf, 1, &yf));
    int ok = y.dtype == PML_FLOAT16 && y.nbytes * 2 == yf.nbytes;
    for (int i = 0; ok && i < 72; i++) ok = ((uint16_t *)y.data)[i] == pml_f32_to_f16_scalar(as_f32(&yf)[i]);
    CHECK(ok);
    tt_free(&x), tt_free(&xf), tt_free(&y), tt_free(&yf);
}

static void test_stft_op(void) {
    for (int c = 1; c <= 2; c++)
        for (int win = 0; win < 2; win++) {
            const int64_t t = 50, fl = 16, step = 7, frames = (t - fl) / step + 1, bins = fl / 2 + 1;
            int64_t d[3] = {2, t, c}, wd[1] = {fl};
            pml_tensor x = tt_rand(3, d, -1, 1), w = tt_rand(1, wd, 0, 1), st = t_i64(0, NULL, &step, 1), y;
            pml_tensor fln = t_i64(0, NULL, &fl, 1);
            pml_tensor *in[4] = {&x, &st, win ? &w : NULL, &fln};
            tt_check_isa("STFT", PML_OP_STFT, NULL, 0, in, 4, 1e-6f, 1e-6f, &y);
            int ok = y.data && y.rank == 4 && y.dims[1] == frames && y.dims[2] == bins;
            double line[32], want[32];
            for (int64_t b = 0; ok && b < 2; b++)
                for (int64_t f = 0; f < frames; f++) {
                    for (int64_t j = 0; j < fl; j++)
                        for (int k = 0; k < 2; k++)
                            line[2 * j + k] = k < c ? as_f32(&x)[(b * t + f * step + j) * c + k] * (win ? as_f32(&w)[j] : 1.0) : 0;
                    naive_dft(line, want, fl, -1);
                    for (int64_t k = 0; k < 2 * bins; k++)
                        ok &= fabs(as_f32(&y)[(b * frames + f) * bins * 2 + k] - want[k]) <= 1e-5 * (1 + fabs(want[k]));
                }
            CHECK(ok);
            tt_free(&x), tt_free(&w), tt_free(&st), tt_free(&fln);
            if (y.data) tt_free(&y);
        }
}

/* Enough lines to spread over threads: 2 threads must match the reference bit for bit. */
static void test_threaded(void) {
    int64_t d[3] = {64, 512, 1}, sd[3] = {2, 16000, 1}, wd[1] = {400}, step = 160;
    pml_tensor x = tt_rand(3, d, -1, 1), s = tt_rand(3, sd, -1, 1), w = tt_rand(1, wd, 0, 1);
    pml_tensor st = t_i64(0, NULL, &step, 1);
    pml_tensor *in[1] = {&x}, *sin_[3] = {&s, &st, &w};
    pml_attr at = attr_int("axis", 1);
    tt_check_isa("DFT threaded", PML_OP_DFT, &at, 1, in, 1, -1, 0, NULL);
    tt_check_isa("STFT threaded", PML_OP_STFT, NULL, 0, sin_, 3, -1, 0, NULL);
    tt_free(&x), tt_free(&s), tt_free(&w), tt_free(&st);
}

static void test_windows(void) {
    static const int ops[3] = {PML_OP_HANNWINDOW, PML_OP_HAMMINGWINDOW, PML_OP_BLACKMANWINDOW};
    static const double coef[3][3] = {{0.5, 0.5, 0}, {25.0 / 46, 21.0 / 46, 0}, {0.42, 0.5, 0.08}};
    static const int64_t sizes[] = {0, 1, 2, 7, 16, 127};
    for (int o = 0; o < 3; o++)
        for (int si = 0; si < 6; si++)
            for (int periodic = 0; periodic < 2; periodic++) {
                int64_t n = sizes[si];
                pml_tensor size = t_i64(0, NULL, &n, 1), y;
                pml_tensor *in[1] = {&size};
                pml_attr at[2] = {attr_int("periodic", periodic), attr_int("output_datatype", PML_FLOAT32)};
                CHECK_OK(tt_ref(ops[o], at, 2, in, 1, &y));
                int ok = y.rank == 1 && y.dims[0] == n && y.dtype == PML_FLOAT32;
                double denom = periodic ? (double)n : (double)n - 1;
                for (int64_t k = 0; ok && k < n; k++) {
                    double ph = 2 * 3.14159265358979323846 * (double)k / denom;
                    double e = coef[o][0] - coef[o][1] * cos(ph) + coef[o][2] * cos(2 * ph);
                    float g = as_f32(&y)[k];
                    ok = (e != e) ? g != g : fabs(g - e) <= 1e-6;
                }
                CHECK(ok);
                tt_free(&size), tt_free(&y);
            }
    /* another output dtype goes through Cast (truncation toward zero) */
    int64_t n = 9;
    pml_tensor size = t_i64(0, NULL, &n, 1), y;
    pml_tensor *in[1] = {&size};
    pml_attr at[2] = {attr_int("periodic", 0), attr_int("output_datatype", PML_INT32)};
    CHECK_OK(tt_ref(PML_OP_HANNWINDOW, at, 2, in, 1, &y));
    CHECK(y.dtype == PML_INT32 && ((int32_t *)y.data)[4] == 1 && ((int32_t *)y.data)[3] == 0);
    tt_free(&y);
    pml_attr bad[1] = {attr_int("output_datatype", PML_BOOL)};
    tt_expect_error("window to bool", PML_ERR_UNSUPPORTED, PML_OP_HANNWINDOW, bad, 1, in, 1, 1);
    tt_free(&size);
}

static void test_mel(void) {
    int64_t mels = 8, len = 16, rate = 8192, rd[1] = {1};
    float lo = 0, hi = 4096;
    pml_tensor m = t_i64(0, NULL, &mels, 1), l = t_i64(0, NULL, &len, 1), r = t_i64(0, NULL, &rate, 1);
    pml_tensor lt = tt_make(PML_FLOAT32, 0, rd, &lo), ht = tt_make(PML_FLOAT32, 0, rd, &hi), y;
    pml_tensor *in[5] = {&m, &l, &r, &lt, &ht};
    CHECK_OK(tt_ref(PML_OP_MELWEIGHTMATRIX, NULL, 0, in, 5, &y));
    CHECK(y.rank == 2 && y.dims[0] == 9 && y.dims[1] == 8);
    /* every filter peaks at 1 and its weights lie in [0, 1] */
    int ok = y.data != NULL;
    for (int i = 0; ok && i < 8; i++) {
        float peak = 0;
        for (int j = 0; j < 9; j++) {
            float v = as_f32(&y)[j * 8 + i];
            ok &= v >= 0 && v <= 1;
            peak = fmaxf(peak, v);
        }
        ok &= peak == 1.0f;
    }
    CHECK(ok);
    tt_free(&y);
    as_i64(&r)[0] = 0;
    tt_expect_error("mel rate 0", PML_ERR_RUNTIME, PML_OP_MELWEIGHTMATRIX, NULL, 0, in, 5, 1);
    tt_free(&m), tt_free(&l), tt_free(&r), tt_free(&lt), tt_free(&ht);
}

static void test_errors(void) {
    int64_t d[3] = {2, 8, 2}, d3[3] = {2, 8, 3}, len0 = 0, step = 2;
    pml_tensor x = tt_rand(3, d, -1, 1), x3 = tt_rand(3, d3, -1, 1), l0 = t_i64(0, NULL, &len0, 1);
    pml_tensor unknown = t_i64(0, NULL, &step, 0);
    pml_tensor *in[1] = {&x}, *in3[1] = {&x3}, *inl[2] = {&x, &l0}, *inu[2] = {&x, &unknown};
    pml_attr ax2 = attr_int("axis", 2), axm3 = attr_int("axis", -3), inv2 = attr_int("inverse", 2);
    tt_expect_error("DFT axis on re/im", PML_ERR_INVALID_MODEL, PML_OP_DFT, &ax2, 1, in, 1, 1);
    pml_tensor y;
    CHECK_OK(tt_ref(PML_OP_DFT, &axm3, 1, in, 1, &y)); /* -3 is axis 0 */
    tt_free(&y);
    tt_expect_error("DFT last dim 3", PML_ERR_SHAPE, PML_OP_DFT, NULL, 0, in3, 1, 1);
    tt_expect_error("DFT inverse=2", PML_ERR_INVALID_MODEL, PML_OP_DFT, &inv2, 1, in, 1, 1);
    tt_expect_error("DFT length 0", PML_ERR_INVALID_MODEL, PML_OP_DFT, NULL, 0, inl, 2, 1);
    tt_expect_error("DFT run-time length", PML_ERR_UNSUPPORTED, PML_OP_DFT, NULL, 0, inu, 2, 1);
    int64_t huge = (int64_t)1 << 39;
    pml_tensor lh = t_i64(0, NULL, &huge, 1);
    pml_tensor *inh[2] = {&x, &lh};
    tt_expect_error("DFT hostile length", PML_ERR_UNSUPPORTED, PML_OP_DFT, NULL, 0, inh, 2, 1);
    tt_free(&lh);
    pml_attr inv = attr_int("inverse", 1), one = attr_int("onesided", 1);
    int64_t d1[3] = {1, 1, 2};
    pml_tensor x1 = tt_rand(3, d1, -1, 1);
    pml_tensor *in1[1] = {&x1};
    pml_attr irfft0[3] = {inv, one, attr_int("axis", 1)};
    tt_expect_error("irfft of one bin", PML_ERR_INVALID_MODEL, PML_OP_DFT, irfft0, 3, in1, 1, 1);
    int64_t big = 9, zero = 0;
    pml_tensor s9 = t_i64(0, NULL, &big, 1), s0 = t_i64(0, NULL, &zero, 1), s2 = t_i64(0, NULL, &step, 1);
    pml_tensor *st_long[4] = {&x, &s2, NULL, &s9}, *st_zero[2] = {&x, &s0};
    tt_expect_error("STFT frame longer than signal", PML_ERR_INVALID_MODEL, PML_OP_STFT, NULL, 0, st_long, 4, 1);
    tt_expect_error("STFT step 0", PML_ERR_INVALID_MODEL, PML_OP_STFT, NULL, 0, st_zero, 2, 1);
    tt_free(&x), tt_free(&x3), tt_free(&l0), tt_free(&unknown), tt_free(&x1), tt_free(&s9), tt_free(&s0), tt_free(&s2);
}

int main(void) {
    test_fft_kernel();
    test_dft_op();
    test_dft_f16();
    test_stft_op();
    test_threaded();
    test_windows();
    test_mel();
    test_errors();
    return test_finish("test_signal");
}
