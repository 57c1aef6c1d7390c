/*
 * test_quant_activation.c — quantized activation and Softmax kernels (qactivation.h,
 * qsoftmax.h): table entries against the real function in double (one step, exact away from
 * ties), hand-derived ties of both semantics (TFLite's roundf, ONNX's half to even), the byte
 * layout of int8 and uint8 tables and the lookup at lengths 1, 7, 8, 9, 127, TFLite's
 * fixed-point HardSwish/LeakyRelu/PRelu, and Softmax rows with known probabilities.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* pml_cpu_detect */
#include "kernels/config.h"
#include "kernels/quant/qactivation.h"
#include "kernels/quant/qsoftmax.h"
#include "quant_testutil.h"

static const size_t k_lengths[] = {1, 7, 8, 9, 127};

static double ref_function(int fn, double alpha, double v) {
    switch (fn) {
    case PML_QLUT_LOGISTIC: return 1.0 / (1.0 + exp(-v));
    case PML_QLUT_TANH: return tanh(v);
    case PML_QLUT_HARDSWISH: return v * fmin(6.0, fmax(0.0, v + 3.0)) / 6.0;
    case PML_QLUT_LEAKYRELU: return v >= 0 ? v : alpha * v;
    case PML_QLUT_GELU: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case PML_QLUT_GELU_TANH: return 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    default: return v < 0 ? alpha * expm1(v) : v; /* ELU */
    }
}

static void test_lut_closed_form(void) {
    for (int fn = 0; fn < PML_QLUT_COUNT; fn++)
        for (int mode = 0; mode < 2; mode++)
            for (int is_signed = 0; is_signed < 2; is_signed++) {
                const float alpha = (fn == PML_QLUT_ELU && mode == PML_REQUANT_FIXED_POINT) ? 1.0f : 0.3f;
                const float in_scale = 0.05f, out_scale = fn == PML_QLUT_LOGISTIC ? 1.0f / 256 : 0.03f;
                const int32_t in_zp = is_signed ? -7 : 121;
                const int32_t out_zp = fn == PML_QLUT_LOGISTIC ? (is_signed ? -128 : 0) : (is_signed ? 3 : 131);
                const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
                uint8_t table[256];
                QCHECK(pml_qlut_build(table, mode, is_signed, fn, alpha, in_scale, in_zp, out_scale, out_zp) == 0);
                for (int32_t x = lo; x <= hi; x++) {
                    const double v = ref_function(fn, alpha, (double)in_scale * (x - in_zp)) / out_scale + out_zp;
                    const int32_t got = is_signed ? (int32_t)(int8_t)table[(uint8_t)x] : (int32_t)table[x];
                    if (!qcheck_near(got, v, lo, hi, 1e-3))
                        fprintf(stderr, "fn %d mode %d signed %d: x %d -> %d, real %.5f\n", fn, mode, is_signed, x, got, v);
                }
            }
    uint8_t table[256];
    QCHECK(pml_qlut_build(table, 0, 1, PML_QLUT_COUNT, 0, 1, 0, 1, 0) == -1);
    QCHECK(pml_qlut_build(table, 0, 1, PML_QLUT_TANH, 0, 0.0f, 0, 1, 0) == -1);
}

/* LeakyRelu(0.5) with unit scales puts every odd negative input on a tie. */
static void test_lut_ties(void) {
    uint8_t tfl[256], onnx[256];
    pml_qlut_build(tfl, PML_REQUANT_FIXED_POINT, 1, PML_QLUT_LEAKYRELU, 0.5f, 1, 0, 1, 0);
    pml_qlut_build(onnx, PML_REQUANT_FLOAT, 1, PML_QLUT_LEAKYRELU, 0.5f, 1, 0, 1, 0);
    const int8_t x[5] = {-1, -3, -5, -128, 127};
    const int8_t want_tfl[5] = {-1, -2, -3, -64, 127}; /* roundf: half away from zero */
    const int8_t want_onnx[5] = {0, -2, -2, -64, 127}; /* nearbyintf: half to even */
    for (int i = 0; i < 5; i++) {
        QCHECK_EQ((int8_t)tfl[(uint8_t)x[i]], want_tfl[i], "TFLite leaky %d", x[i]);
        QCHECK_EQ((int8_t)onnx[(uint8_t)x[i]], want_onnx[i], "ONNX leaky %d", x[i]);
    }
    /* Logistic at the zero point is 1/2 exactly: 128 steps of 1/256 above -128 */
    uint8_t t[256];
    pml_qlut_build(t, PML_REQUANT_FIXED_POINT, 1, PML_QLUT_LOGISTIC, 0, 0.1f, 5, 1.0f / 256, -128);
    QCHECK_EQ((int8_t)t[5], 0, "sigmoid(0)");
    QCHECK_EQ((int8_t)t[(uint8_t)-128], -128, "sigmoid(-13.3) underflows to the bottom");
    QCHECK_EQ((int8_t)t[127], 127, "sigmoid(12.2) saturates at 255/256");
}

/* Every configuration's byte lookups (int8 and uint8 slots) against the table itself: a random
 * table (an off-by-one row in the AVX2 kernel's telescoping XORs shows), every byte value, the
 * awkward lengths and runs past the 32-byte vectors with tails, in place too. */
static void test_lut_apply(void) {
    static uint8_t table[256], x[4099], y[4099], z[4099];
    for (int i = 0; i < 256; i++) table[i] = (uint8_t)qrand_u32();
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const char *names[] = {"avx512vnni", "avx2", "scalar"};
    const size_t longer[] = {64, 255, 256, 257, 1000, 4099};
    for (size_t ci = 0; ci < sizeof names / sizeof *names; ci++) {
        const pml_kernel_config *c;
        if (pml_kernel_config_select(&cpu, names[ci], &c) != PML_OK) continue;
        const pml_x8_lut_fn luts[2] = {c->qs8->lut, c->qu8->lut};
        for (int u = 0; u < 2; u++) {
            for (size_t li = 0; li < sizeof k_lengths / sizeof k_lengths[0] + sizeof longer / sizeof *longer; li++) {
                const size_t n = li < sizeof k_lengths / sizeof k_lengths[0] ? k_lengths[li]
                                                                            : longer[li - sizeof k_lengths / sizeof k_lengths[0]];
                for (size_t i = 0; i < n; i++) x[i] = (uint8_t)(n >= 256 && i < 256 ? i : qrand_u32());
                luts[u](n, x, table, y);
                for (size_t i = 0; i < n; i++)
                    QCHECK_EQ(y[i], table[x[i]], "%s lut %d n %zu i %zu x %d", names[ci], u, n, i, x[i]);
                memcpy(z, x, n);
                luts[u](n, z, table, z); /* in place */
                QCHECK(memcmp(z, y, n) == 0);
            }
        }
    }
}

/* TFLite's int16 tables: an identity table reproduces every input within a step (the nodes
 * are 2^16 / 65535 apart), GELU stays within a few steps of the real function (linear
 * interpolation; the agreement with LiteRT is test_quant_runtimes.py's). */
static void test_lut16(void) {
    static int16_t table[513], x[65536], y[65536];
    for (int i = 0; i < 65536; i++) x[i] = (int16_t)(i - 32768);
    QCHECK(pml_qlut16_build(table, PML_QLUT_LEAKYRELU, 1.0f, 1.0f / 4096, 0, 1.0f / 4096, 0) == 0);
    pml_s16_lut__scalar(65536, x, table, y);
    int worst = 0;
    for (int i = 0; i < 65536; i++) worst = abs(y[i] - x[i]) > worst ? abs(y[i] - x[i]) : worst;
    QCHECK_EQ(worst, 1, "identity through the int16 table");
    const float si = 1.0f / 2048, so = 1.0f / 1024; /* outputs inside the int16 range */
    QCHECK(pml_qlut16_build(table, PML_QLUT_GELU, 0, si, 0, so, 0) == 0);
    pml_s16_lut__scalar(65536, x, table, y);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        const double v = (double)si * x[i];
        const double real = 0.5 * v * (1.0 + erf(v / sqrt(2.0))) / so;
        const double c = real > 32767 ? 32767 : real;
        bad += fabs(y[i] - c) > 3.0; /* nodes 1/16 apart: up to ~2.1 steps near its minimum */
    }
    QCHECK_EQ(bad, 0, "int16 GELU within three steps");
    QCHECK(pml_qlut16_build(table, PML_QLUT_COUNT, 0, 1, 0, 1, 0) == -1);
}

/* TFLite's HardSwish is fixed point with Q15 multipliers: within one step of the real
 * function (ties widened by the 16-bit intermediate precision), exact at its flat parts. */
static void test_hardswish(void) {
    const float in_scales[3] = {0.02f, 0.05f, 0.1f};
    const float out_scales[3] = {0.01f, 0.03f, 0.1f};
    for (int si = 0; si < 3; si++)
        for (int is_signed = 0; is_signed < 2; is_signed++) {
            const int32_t in_zp = is_signed ? -128 + 60 * si : 255 - 60 * si, out_zp = is_signed ? -100 : 20;
            pml_qhardswish_params p;
            QCHECK(pml_qhardswish_params_init(&p, in_scales[si], in_zp, out_scales[si], out_zp) == 0);
            const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
            uint8_t x[256], y[256];
            for (int32_t v = lo; v <= hi; v++) x[v - lo] = (uint8_t)v;
            if (is_signed) pml_s8_hardswish__scalar(256, x, y, &p);
            else pml_u8_hardswish__scalar(256, x, y, &p);
            for (int32_t v = lo; v <= hi; v++) {
                const double r = (double)in_scales[si] * (v - in_zp);
                const double real = r * fmin(6.0, fmax(0.0, r + 3.0)) / 6.0 / out_scales[si] + out_zp;
                const int32_t got = is_signed ? (int8_t)y[v - lo] : y[v - lo];
                if (!qcheck_near(got, real, lo, hi, 0.2))
                    fprintf(stderr, "hardswish scale %d signed %d: %d -> %d, real %.4f\n", si, is_signed, v, got, real);
                if (r <= -3.0) QCHECK_EQ(got, out_zp, "hardswish(%g) is 0", r);
            }
        }
    pml_qhardswish_params p;
    QCHECK(pml_qhardswish_params_init(&p, 1.0f, 0, 1.0f / 1024, 0) == -1); /* output multiplier > 1 */
}

static void test_leaky_relu(void) {
    pml_qleaky_params p;
    /* alpha 0.5, unit scales: one SRDHM rounding, half up */
    pml_qleaky_params_init(&p, 0.5f, 1, 0, 1, 0, -128, 127);
    const int8_t x[6] = {-1, -3, -5, 5, -128, 127};
    int8_t y[6];
    pml_s8_leaky_relu__scalar(6, x, y, &p);
    const int8_t want[6] = {0, -1, -2, 5, -64, 127};
    for (int i = 0; i < 6; i++) QCHECK_EQ(y[i], want[i], "leaky 0.5 of %d", x[i]);
    /* negative alpha: TFLite scales by |alpha| and negates the rounded value */
    pml_qleaky_params_init(&p, -0.5f, 1, 0, 1, 0, -128, 127);
    pml_s8_leaky_relu__scalar(6, x, y, &p);
    const int8_t want_neg[6] = {0, 1, 2, 5, 64, 127};
    for (int i = 0; i < 6; i++) QCHECK_EQ(y[i], want_neg[i], "leaky -0.5 of %d", x[i]);
    /* zero points: identity multiplier 2, slope multiplier 0.5 (0.2f is exactly 2 * 0.1f) */
    pml_qleaky_params_init(&p, 0.25f, 0.2f, 100, 0.1f, 0, -128, 127);
    const int8_t xz[6] = {-1, -3, -5, 5, -128, 127};
    pml_s8_leaky_relu__scalar(6, xz, y, &p);
    const int8_t want_zp[6] = {-50, -51, -52, -47, -114, 54}; /* -50.5, -51.5, -52.5, -47.5 round half up */
    for (int i = 0; i < 6; i++) QCHECK_EQ(y[i], want_zp[i], "leaky zp 100 of %d", xz[i]);
    /* closed form on every value, the three dtypes */
    for (int t = 0; t < 30; t++) {
        const float alpha = (float)(qrand_unit() * 2.0 - 1.0);
        const float si = (float)ldexp(0.5 + qrand_unit(), -4), so = (float)ldexp(0.5 + qrand_unit(), -4);
        const int32_t zi = qrand_range(-128, 127), zo = qrand_range(-128, 127);
        pml_qleaky_params_init(&p, alpha, si, zi, so, zo, -128, 127);
        int8_t all[256], out[256];
        for (int i = 0; i < 256; i++) all[i] = (int8_t)(i - 128);
        pml_s8_leaky_relu__scalar(256, all, out, &p);
        for (int i = 0; i < 256; i++) {
            const double v = (double)si * (all[i] - zi);
            const double real = (v >= 0 ? v : (double)alpha * v) / so + zo; /* TFLite: double rounding */
            if (!qcheck_near(out[i], real, -128, 127, 0.26))
                fprintf(stderr, "leaky alpha %g: %d -> %d, real %.4f\n", alpha, all[i], out[i], real);
        }
    }
    /* int16 (zero points 0) */
    pml_qleaky_params_init(&p, 0.1f, 1.0f / 4096, 0, 1.0f / 4096, 0, INT16_MIN, INT16_MAX);
    const int16_t x16[3] = {-32768, 1000, 32767};
    int16_t y16[3];
    pml_s16_leaky_relu__scalar(3, x16, y16, &p);
    QCHECK(y16[0] == -3277 && y16[1] == 1000 && y16[2] == 32767);
}

static void test_prelu(void) {
    pml_qprelu_params p;
    /* in 1, alpha 0.25 (alpha_zp 0), out 1: y = x * alpha_q / 4 for x < 0 */
    pml_qprelu_params_init(&p, 1, 0, 0.25f, 0, 1, 0, -128, 127);
    const int8_t x[5] = {-4, -2, -6, 7, -128}, a[5] = {2, 1, 1, 100, 4};
    int8_t y[5];
    pml_s8_prelu__scalar(5, x, a, 1, y, &p);
    const int8_t want[5] = {-2, -1 /* -0.5 away from zero */, -2 /* -1.5 */, 7, -128};
    for (int i = 0; i < 5; i++) QCHECK_EQ(y[i], want[i], "prelu %d * %d / 4", x[i], a[i]);
    /* one slope for the run equals the per-element slope replicated */
    const int8_t s = 3, rep[5] = {3, 3, 3, 3, 3};
    int8_t y0[5], y1[5];
    pml_s8_prelu__scalar(5, x, &s, 0, y0, &p);
    pml_s8_prelu__scalar(5, x, rep, 1, y1, &p);
    QCHECK(memcmp(y0, y1, 5) == 0);
    /* uint8 with zero points */
    pml_qprelu_params_init(&p, 0.5f, 128, 1.0f / 128, 128, 0.5f, 128, 0, 255);
    const uint8_t xu[3] = {120, 200, 0}, au[3] = {192, 192, 64};
    uint8_t yu[3];
    pml_u8_prelu__scalar(3, xu, au, 1, yu, &p);
    QCHECK(yu[0] == 124 && yu[1] == 200 && yu[2] == 192); /* -8 * 0.5 = -4; -128 * -0.5 = 64 */
}

static void softmax_row(int mode, int in_signed, int out, size_t n, const int32_t *x, float in_scale, float out_scale,
                        int32_t out_zp, int32_t *y) {
    pml_qsoftmax_params p;
    QCHECK(pml_qsoftmax_params_init(&p, mode, in_signed, in_scale, 1.0f, n, out_scale, out_zp) == 0);
    uint8_t xb[512];
    int16_t yb[512];
    for (size_t i = 0; i < n; i++) xb[i] = (uint8_t)x[i];
    pml_qsoftmax_fn fn = mode == PML_REQUANT_FIXED_POINT ? pml_qsoftmax_tflite__scalar[in_signed ? 0 : 1][out]
                         : in_signed                    ? pml_s8_softmax_onnx__scalar
                                                        : pml_u8_softmax_onnx__scalar;
    fn(n, xb, yb, &p);
    for (size_t i = 0; i < n; i++)
        y[i] = out == 0 ? ((int8_t *)yb)[i] : out == 1 ? ((uint8_t *)yb)[i] : yb[i];
}

static void test_softmax(void) {
    int32_t x[127], y[127];
    /* equal inputs: probability 1/n */
    for (int mode = 0; mode < 2; mode++)
        for (int in_signed = 0; in_signed < 2; in_signed++) {
            const size_t ns[4] = {1, 2, 3, 4};
            const int32_t s8_want[4] = {127 /* 128 saturates */, 0, 85 - 128, -64};
            const int32_t u8_want[4] = {255, 128, 85, 64};
            for (int k = 0; k < 4; k++) {
                for (size_t i = 0; i < ns[k]; i++) x[i] = in_signed ? -20 : 200;
                const int out = in_signed ? 0 : 1;
                softmax_row(mode, in_signed, out, ns[k], x, 0.1f, 1.0f / 256, in_signed ? -128 : 0, y);
                for (size_t i = 0; i < ns[k]; i++)
                    QCHECK_EQ(y[i], in_signed ? s8_want[k] : u8_want[k], "mode %d signed %d n %zu", mode, in_signed, ns[k]);
            }
        }
    /* 512 equal inputs: probability 1/512 = 0.5 steps of 1/256, a tie: TFLite's roundf
     * (int8) and + 0.5f (uint8) go up, ONNX's nearbyintf to even */
    {
        static int32_t x512[512], y512[512];
        for (int i = 0; i < 512; i++) x512[i] = 3;
        softmax_row(PML_REQUANT_FIXED_POINT, 1, 0, 512, x512, 0.1f, 1.0f / 256, -128, y512);
        QCHECK_EQ(y512[0], -127, "TFLite int8 0.5");
        softmax_row(PML_REQUANT_FIXED_POINT, 0, 1, 512, x512, 0.1f, 1.0f / 256, 0, y512);
        QCHECK_EQ(y512[511], 1, "TFLite uint8 0.5");
        softmax_row(PML_REQUANT_FLOAT, 1, 0, 512, x512, 0.1f, 1.0f / 256, -128, y512);
        QCHECK_EQ(y512[0], -128, "ONNX int8 0.5");
    }
    /* TFLite int16 output: 1/2 is 16384 steps of 2^-15, 1 saturates */
    x[0] = x[1] = 7;
    softmax_row(PML_REQUANT_FIXED_POINT, 1, 2, 2, x, 0.5f, 1.0f / 32768, 0, y);
    QCHECK(y[0] == 16384 && y[1] == 16384);
    softmax_row(PML_REQUANT_FIXED_POINT, 1, 2, 1, x, 0.5f, 1.0f / 32768, 0, y);
    QCHECK_EQ(y[0], 32767, "softmax of one element");
    /* random rows against the real softmax, every length and the int8 table's negative indices */
    for (size_t li = 0; li < sizeof k_lengths / sizeof k_lengths[0]; li++)
        for (int t = 0; t < 8; t++) {
            const size_t n = k_lengths[li];
            const int mode = t % 2, in_signed = (t / 2) % 2;
            const float in_scale = (float)ldexp(0.5 + qrand_unit(), -qrand_range(2, 6));
            for (size_t i = 0; i < n; i++) x[i] = in_signed ? qrand_range(-128, 127) : qrand_range(0, 255);
            const int out = in_signed ? 0 : 1;
            const int32_t zp = in_signed ? -128 : 0;
            softmax_row(mode, in_signed, out, n, x, in_scale, 1.0f / 256, zp, y);
            int32_t max = x[0];
            for (size_t i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
            double sum = 0;
            for (size_t i = 0; i < n; i++) sum += exp((double)in_scale * (x[i] - max));
            for (size_t i = 0; i < n; i++) {
                const double real = exp((double)in_scale * (x[i] - max)) / sum * 256.0 + zp;
                if (!qcheck_near(y[i], real, in_signed ? -128 : 0, in_signed ? 127 : 255, 1e-3))
                    fprintf(stderr, "softmax mode %d signed %d n %zu: x %d -> %d, real %.4f\n", mode, in_signed, n,
                            x[i], y[i], real);
            }
        }
    pml_qsoftmax_params p;
    QCHECK(pml_qsoftmax_params_init(&p, PML_REQUANT_FLOAT, 1, 0.1f, 1.0f, 0, 1.0f / 256, -128) == -1);
}

int main(void) {
    test_lut_closed_form();
    test_lut_ties();
    test_lut_apply();
    test_lut16();
    test_hardswish();
    test_leaky_relu();
    test_prelu();
    test_softmax();
    return qtest_finish("test_quant_activation");
}
