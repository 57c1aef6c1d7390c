/*
 * test_quant_elementwise.c — the fixed-point helpers of kernels/requant.h and the
 * quantized Add/Sub/Mul, requantize, TFLite Quantize and clamp kernels (qelementwise.h):
 * hand-derived values (rounding ties of both semantics: TFLite/gemmlowp round half away
 * from zero in RoundingDivideByPOT but half up in SaturatingRoundingDoublingHighMul, ONNX
 * half to even), multipliers above 1 and below 2^-31, saturation at both ends, extreme zero
 * points, the real-valued closed form within one step (exact away from ties), the vs/sv runs
 * against vv at lengths 1, 7, 8, 9, 127, and uint8 through the sign-bit flip.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* pml_cpu_detect */
#include "kernels/config.h"
#include "kernels/quant/qelementwise.h"
#include "quant_testutil.h"

static const size_t k_lengths[] = {1, 7, 8, 9, 127};

static void test_fixed_point_helpers(void) {
    QCHECK_EQ(pml_srdhm(INT32_MIN, INT32_MIN), INT32_MAX, "saturating case");
    QCHECK_EQ(pml_srdhm(1 << 30, 1 << 30), 1 << 29, "exact product");
    QCHECK_EQ(pml_srdhm(1, 1 << 30), 1, "+0.5 rounds up");
    QCHECK_EQ(pml_srdhm(-1, 1 << 30), 0, "-0.5 rounds up (gemmlowp's nudge)");
    QCHECK_EQ(pml_srdhm(-3, 1 << 30), -1, "-1.5 rounds up");
    QCHECK_EQ(pml_rounding_divide_by_pot(5, 1), 3, "2.5 away from zero");
    QCHECK_EQ(pml_rounding_divide_by_pot(-5, 1), -3, "-2.5 away from zero");
    QCHECK_EQ(pml_rounding_divide_by_pot(-6, 2), -2, "-1.5 away from zero");
    QCHECK_EQ(pml_rounding_divide_by_pot(-5, 2), -1, "-1.25");
    QCHECK_EQ(pml_rounding_divide_by_pot(INT32_MAX, 31), 1, "largest shift");

    int32_t m, s;
    pml_quantize_multiplier(0.5, &m, &s);
    QCHECK(m == (1 << 30) && s == 0);
    pml_quantize_multiplier(1.0, &m, &s);
    QCHECK(m == (1 << 30) && s == 1);
    pml_quantize_multiplier(0.75, &m, &s);
    QCHECK(m == 3 * (1 << 29) && s == 0);
    pml_quantize_multiplier(1e-12, &m, &s); /* below 2^-31 * 2^-1: flushed */
    QCHECK(m == 0 && s == 0);
    pml_quantize_multiplier(ldexp(1.0, 40), &m, &s); /* saturates */
    QCHECK(m == INT32_MAX && s == 30);
    pml_quantize_multiplier_signed(-0.75, &m, &s);
    QCHECK(m == -3 * (1 << 29) && s == 0);

    /* MultiplyByQuantizedMultiplier against x * real: one step at most, exact unless the
     * first rounding (at 2^-31) can cross a tie of the second, i.e. within 0.5 / 2^right. */
    for (int t = 0; t < 20000; t++) {
        const double real = ldexp(0.5 + 0.5 * qrand_unit(), qrand_range(-20, 8));
        const int32_t x = qrand_range(-(1 << 20), 1 << 20);
        pml_quantize_multiplier(real, &m, &s);
        const double v = (double)x * (double)m * ldexp(1.0, s - 31); /* the quantized multiplier, exactly */
        if (fabs(v) > 2e9 || (s > 0 && fabs((double)x * ldexp(1.0, s)) > 2e9)) continue;
        const int right = s > 0 ? 0 : -s;
        const int32_t got = pml_multiply_by_quantized_multiplier(x, m, s);
        if (!qcheck_near(got, v, INT32_MIN, INT32_MAX, right ? 0.5 / ldexp(1.0, right) + 1e-9 : 1e-9))
            fprintf(stderr, "MBQM(%d, %d, %d) = %d, real %.6f\n", x, m, s, got, v);
    }

    /* int16 fixed point (HardSwish) */
    QCHECK_EQ(pml_srdhm16(INT16_MIN, INT16_MIN), INT16_MAX, "int16 saturating case");
    QCHECK_EQ(pml_srdhm16(1 << 14, 1 << 14), 1 << 13, "int16 exact");
    QCHECK_EQ(pml_sdhm16(-3, 1 << 14), -1, "truncates toward zero");
    QCHECK_EQ(pml_rounding_divide_by_pot16(-5, 1), -3, "int16 away from zero");
    QCHECK_EQ(pml_saturating_left_shift16(20000, 1), INT16_MAX, "saturates");
    QCHECK_EQ(pml_downscale_multiplier16(1 << 30), 1 << 14, "Q31 -> Q15");
    QCHECK_EQ(pml_downscale_multiplier16(INT32_MAX), INT16_MAX, "rounding would overflow");
}

/* One element through the vv kernel. */
static int32_t binary1(int op, int mode, float sa, int32_t za, float sb, int32_t zb, float sy, int32_t zy, int32_t a,
                       int32_t b) {
    pml_qbinary_params p;
    QCHECK(pml_qbinary_params_init(&p, op, mode, 0, sa, za, sb, zb, sy, zy, -128, 127) == 0);
    int8_t av = (int8_t)a, bv = (int8_t)b, y = 0;
    pml_s8_qbinary__scalar[op].vv(1, &av, &bv, &y, &p);
    return y;
}

static void test_binary_ties(void) {
    const int F = PML_REQUANT_FIXED_POINT, O = PML_REQUANT_FLOAT;
    /* (a + b) / 2: ties at odd sums */
    const int32_t a[] = {1, 3, 5, -1, -3, -5};
    const int32_t tfl[] = {1, 2, 3, -1, -2, -3};   /* half away from zero (the last shift) */
    const int32_t onnx[] = {0, 2, 2, 0, -2, -2};   /* half to even */
    for (int i = 0; i < 6; i++) {
        QCHECK_EQ(binary1(PML_QBIN_ADD, F, 1, 0, 1, 0, 2, 0, a[i], 0), tfl[i], "TFLite Add %d / 2", a[i]);
        QCHECK_EQ(binary1(PML_QBIN_ADD, O, 1, 0, 1, 0, 2, 0, a[i], 0), onnx[i], "ONNX Add %d / 2", a[i]);
        QCHECK_EQ(binary1(PML_QBIN_SUB, F, 1, 0, 1, 0, 2, 0, 0, -a[i]), tfl[i], "TFLite Sub %d / 2", a[i]);
        QCHECK_EQ(binary1(PML_QBIN_SUB, O, 1, 0, 1, 0, 2, 0, 0, -a[i]), onnx[i], "ONNX Sub %d / 2", a[i]);
    }
    /* a * b / 2: TFLite's Mul has one rounding, SaturatingRoundingDoublingHighMul's (half up) */
    const int32_t mt[] = {1, 2, 3, 0, -1, -2};
    for (int i = 0; i < 6; i++) {
        QCHECK_EQ(binary1(PML_QBIN_MUL, F, 1, 0, 1, 0, 2, 0, a[i], 1), mt[i], "TFLite Mul %d / 2", a[i]);
        QCHECK_EQ(binary1(PML_QBIN_MUL, O, 1, 0, 1, 0, 2, 0, a[i], 1), onnx[i], "ONNX Mul %d / 2", a[i]);
    }
    /* zero points at the ends of the range, exact scales: y = (a - za) + (b - zb) + zy */
    for (int mode = 0; mode < 2; mode++) {
        QCHECK_EQ(binary1(PML_QBIN_ADD, mode, 0.5f, -128, 0.5f, 127, 0.5f, 0, -100, 100), 28 + -27, "zp ends");
        QCHECK_EQ(binary1(PML_QBIN_ADD, mode, 0.5f, 0, 0.5f, 0, 0.5f, 0, 100, 100), 127, "saturates high");
        QCHECK_EQ(binary1(PML_QBIN_SUB, mode, 0.5f, 0, 0.5f, 0, 0.5f, 0, -100, 100), -128, "saturates low");
        QCHECK_EQ(binary1(PML_QBIN_MUL, mode, 1, 0, 1, 0, 0.25f, -128, 3, 5), 60 - 128, "multiplier 4 (> 1)");
        QCHECK_EQ(binary1(PML_QBIN_MUL, mode, 1, 0, 1, 0, 0.25f, 0, 127, 127), 127, "multiplier > 1 saturates");
        QCHECK_EQ(binary1(PML_QBIN_MUL, mode, 1e-10f, 0, 1e-10f, 0, 1, 7, 127, -128), 7, "multiplier < 2^-31");
        QCHECK_EQ(binary1(PML_QBIN_ADD, mode, 1e-6f, 0, 1e-6f, 0, 1, -3, 127, 127), -3, "tiny add");
    }
    pml_qbinary_params p;
    QCHECK(pml_qbinary_params_init(&p, PML_QBIN_ADD, F, 0, 0.0f, 0, 1, 0, 1, 0, -128, 127) == -1);
    QCHECK(pml_qbinary_params_init(&p, PML_QBIN_ADD, F, 0, 1, 0, NAN, 0, 1, 0, -128, 127) == -1);
    QCHECK(pml_qbinary_params_init(&p, PML_QBIN_MUL, O, 0, 1, 0, 1, 0, INFINITY, 0, -128, 127) == -1);
}

/* The closed form over random scales and zero points (clamp narrowed like a fused Relu6). */
static void test_binary_closed_form(void) {
    for (int t = 0; t < 300; t++) {
        const int op = t % 3, mode = (t / 3) % 2;
        const float sa = (float)ldexp(0.5 + qrand_unit(), qrand_range(-9, -2));
        const float sb = (float)ldexp(0.5 + qrand_unit(), qrand_range(-9, -2));
        const float sy = (float)ldexp(0.5 + qrand_unit(), op == PML_QBIN_MUL ? qrand_range(-14, -6) : qrand_range(-9, -2));
        const int32_t za = qrand_range(-128, 127), zb = qrand_range(-128, 127), zy = qrand_range(-128, 127);
        const int32_t qmin = t % 5 == 0 ? zy : -128, qmax = 127;
        pml_qbinary_params p;
        QCHECK(pml_qbinary_params_init(&p, op, mode, 0, sa, za, sb, zb, sy, zy, qmin, qmax) == 0);
        int8_t a[64], b[64], y[64];
        for (int i = 0; i < 64; i++) {
            a[i] = (int8_t)qrand_range(-128, 127);
            b[i] = (int8_t)qrand_range(-128, 127);
        }
        pml_s8_qbinary__scalar[op].vv(64, a, b, y, &p);
        for (int i = 0; i < 64; i++) {
            const double ra = (double)sa * (a[i] - za), rb = (double)sb * (b[i] - zb);
            const double r = op == PML_QBIN_ADD ? ra + rb : op == PML_QBIN_SUB ? ra - rb : ra * rb;
            /* float evaluation and TFLite's 2^-20 input scaling stay below 5e-3 of a step;
             * TFLite's Mul rounds the unshifted product once before its right shift, which
             * moves the value by up to 0.5 / 2^right */
            double eps = 5e-3;
            if (op == PML_QBIN_MUL && mode == PML_REQUANT_FIXED_POINT && p.y_shift < 0) eps += ldexp(0.5, p.y_shift);
            if (!qcheck_near(y[i], r / sy + zy, qmin, qmax, eps))
                fprintf(stderr, "op %d mode %d: a %d b %d -> %d, real %.5f\n", op, mode, a[i], b[i], y[i], r / sy + zy);
        }
    }
}

/* vs/sv equal vv with the scalar replicated; every length runs the loop tails. */
static void test_binary_shapes(void) {
    int8_t a[127], b[127], rep[127], y0[127], y1[127];
    for (int op = 0; op < PML_QBIN_COUNT; op++)
        for (int mode = 0; mode < 2; mode++) {
            pml_qbinary_params p;
            pml_qbinary_params_init(&p, op, mode, 0, 0.03f, 5, 0.07f, -9, op == PML_QBIN_MUL ? 0.01f : 0.05f, 3, -128, 127);
            for (size_t li = 0; li < sizeof k_lengths / sizeof k_lengths[0]; li++) {
                const size_t n = k_lengths[li];
                for (size_t i = 0; i < n; i++) {
                    a[i] = (int8_t)qrand_range(-128, 127);
                    b[i] = (int8_t)qrand_range(-128, 127);
                }
                const int8_t s = (int8_t)qrand_range(-128, 127);
                memset(rep, s, n);
                pml_s8_qbinary__scalar[op].vs(n, a, s, y0, &p);
                pml_s8_qbinary__scalar[op].vv(n, a, rep, y1, &p);
                QCHECK(memcmp(y0, y1, n) == 0);
                pml_s8_qbinary__scalar[op].sv(n, s, b, y0, &p);
                pml_s8_qbinary__scalar[op].vv(n, rep, b, y1, &p);
                QCHECK(memcmp(y0, y1, n) == 0);
            }
        }
}

/* Every configuration's int8 Add/Sub/Mul table (AVX2's vectorizes TFLite's Add/Sub) equals the
 * scalar kernels exactly: random scales (ratios from 2^-8 to 2^8), zero points at the ends,
 * narrowed clamps, operands at -128/127, every length up to 67 and 127 (vector steps + tails),
 * vv, vs and sv. */
static void test_binary_configs(void) {
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const char *names[] = {"avx512vnni", "avx2", "scalar"};
    int8_t a[127], b[127], y0[127], y1[127];
    for (size_t ci = 0; ci < sizeof names / sizeof names[0]; ci++) {
        const pml_kernel_config *c = NULL;
        if (pml_kernel_config_select(&cpu, names[ci], &c) != PML_OK) continue;
        const pml_qbinary_kernels *k = c->qs8->binary;
        for (int t = 0; t < 240; t++) {
            const int op = t % 3, mode = (t / 3) % 2;
            const float sa = (float)ldexp(0.5 + qrand_unit(), qrand_range(-12, -4));
            const float sb = (float)ldexp(0.5 + qrand_unit(), qrand_range(-12, -4));
            const float sy = (float)ldexp(0.5 + qrand_unit(), op == PML_QBIN_MUL ? qrand_range(-18, -6) : qrand_range(-12, -4));
            const int32_t za = t % 7 == 0 ? -128 : qrand_range(-128, 127), zb = t % 11 == 0 ? 127 : qrand_range(-128, 127);
            /* qmin <= qmax as an op's clamp always is (a narrowed qmax above a qmin = zy > 100 would
             * not be a clamp: the kernels may order max and min either way) */
            const int32_t zy = qrand_range(-128, 127), qmin = t % 5 == 0 ? zy : -128;
            const int32_t qmax = t % 4 == 0 && qmin <= 100 ? 100 : 127;
            pml_qbinary_params p;
            QCHECK(pml_qbinary_params_init(&p, op, mode, 0, sa, za, sb, zb, sy, zy, qmin, qmax) == 0);
            const size_t n = t < 68 ? (size_t)t : 127;
            for (size_t i = 0; i < n; i++) {
                a[i] = (int8_t)(t % 9 == 0 ? (i % 2 ? 127 : -128) : qrand_range(-128, 127));
                b[i] = (int8_t)(t % 13 == 0 ? (i % 3 ? -128 : 127) : qrand_range(-128, 127));
            }
            const int32_t s = qrand_range(-128, 127);
            k[op].vv(n, a, b, y0, &p);
            pml_s8_qbinary__scalar[op].vv(n, a, b, y1, &p);
            QCHECK(memcmp(y0, y1, n) == 0);
            k[op].vs(n, a, s, y0, &p);
            pml_s8_qbinary__scalar[op].vs(n, a, s, y1, &p);
            QCHECK(memcmp(y0, y1, n) == 0);
            k[op].sv(n, s, b, y0, &p);
            pml_s8_qbinary__scalar[op].sv(n, s, b, y1, &p);
            QCHECK(memcmp(y0, y1, n) == 0);
        }
    }
}

/* The identity behind the AVX2 Add/Sub's input scaling (s8_qbinary__avx2.c): for |d| <= 255 and
 * 0 <= M < 2^31, SaturatingRoundingDoublingHighMul(d << 20, M) = d * (M >> 11) +
 * ((d * (M & 0x7FF) + 2^10) >> 11), every d against multipliers at the ends and at random. (The
 * kernels' outputs rarely show this intermediate's last unit: the rounding divide after it
 * hides it unless it lands on a tie, so it is checked here on its own.) */
static void test_addsub_input_identity(void) {
    for (int t = 0; t < 4000; t++) {
        const int32_t m = t == 0 ? 0 : t == 1 ? 1 << 30 : t == 2 ? INT32_MAX : t == 3 ? 0x7FF
                        : t < 2048 ? (int32_t)(qrand_u32() & 0x7FFFFFFF) : (int32_t)((1u << 30) | (qrand_u32() & 0x3FFFFFFF));
        for (int32_t d = -255; d <= 255; d++) {
            const int32_t shortcut = d * (m >> 11) + ((d * (m & 0x7FF) + (1 << 10)) >> 11);
            if (shortcut != pml_srdhm(d * (1 << 20), m)) {
                QCHECK_EQ(shortcut, pml_srdhm(d * (1 << 20), m), "d * M shortcut");
                return;
            }
        }
    }
}

/* TFLite's int8 Add/Sub of every configuration on every (a, b) pair equals the scalar kernel:
 * the vector inputs' 32-bit multiplier shortcut (s8_qbinary__avx2.c) is exact for every
 * operand, checked exhaustively under scale ratios from 1 (a multiplier of exactly 2^30, shift
 * 0) down to 2^-24 (a multiplier shift near -31), zero points at both ends. In the last
 * cases b's scaled value is a few units per step and the output multiplier near 1, so where
 * a = za the output shows b's scaled value to the last unit (a rounding slip there fails). */
static void test_addsub_all_pairs(void) {
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const char *names[] = {"avx512vnni", "avx2"};
    static int8_t a[256 * 256], b[256 * 256], y0[256 * 256], y1[256 * 256];
    for (int i = 0; i < 256 * 256; i++) a[i] = (int8_t)(i & 0xFF), b[i] = (int8_t)(i >> 8);
    for (size_t ci = 0; ci < sizeof names / sizeof names[0]; ci++) {
        const pml_kernel_config *c = NULL;
        if (pml_kernel_config_select(&cpu, names[ci], &c) != PML_OK) continue;
        for (int t = 0; t < 40; t++) {
            const int op = t % 2 ? PML_QBIN_SUB : PML_QBIN_ADD, fine = t >= 24;
            const float sa = t < 2 ? 0.02f : (float)ldexp(0.5 + qrand_unit(), qrand_range(-12, -4));
            const float sb = t < 2 ? 0.02f : t < 4 ? sa * (float)ldexp(1.0, -24)
                           : fine ? sa * (float)ldexp(0.25 + 0.75 * qrand_unit(), -16)
                                  : (float)ldexp(0.5 + qrand_unit(), qrand_range(-12, -4));
            const float sy = fine ? 2 * sa / (float)ldexp(0.5 + qrand_unit(), 20)
                                  : (float)ldexp(0.5 + qrand_unit(), qrand_range(-12, -2));
            const int32_t za = t % 3 == 0 ? -128 : t % 3 == 1 ? 127 : qrand_range(-128, 127);
            const int32_t zb = t % 5 == 0 ? 127 : t % 5 == 1 ? -128 : qrand_range(-128, 127);
            pml_qbinary_params p;
            QCHECK(pml_qbinary_params_init(&p, op, PML_REQUANT_FIXED_POINT, 0, sa, za, sb, zb, sy,
                                           qrand_range(-128, 127), -128, 127) == 0);
            c->qs8->binary[op].vv(256 * 256, a, b, y0, &p);
            pml_s8_qbinary__scalar[op].vv(256 * 256, a, b, y1, &p);
            QCHECK(memcmp(y0, y1, sizeof y0) == 0);
        }
    }
}

/* uint8 operands through the int8 kernels with the sign bit flipped equal the same
 * arithmetic on the unflipped values (the int16 kernel with the same parameters). */
static void test_uint8_flip(void) {
    for (int op = 0; op < PML_QBIN_COUNT; op++)
        for (int mode = 0; mode < 2; mode++) {
            const int32_t za = 0, zb = 255, zy = 128; /* uint8 zero points at the ends */
            pml_qbinary_params pu, ps;
            const float sy = op == PML_QBIN_MUL ? 0.002f : 0.04f;
            pml_qbinary_params_init(&pu, op, mode, 0, 0.02f, za, 0.03f, zb, sy, zy, 0, 255);
            pml_qbinary_params_init(&ps, op, mode, 0, 0.02f, za - 128, 0.03f, zb - 128, sy, zy - 128, -128, 127);
            int16_t a16[127], b16[127], y16[127];
            int8_t a8[127], b8[127], y8[127];
            for (int i = 0; i < 127; i++) {
                a16[i] = (int16_t)qrand_range(0, 255);
                b16[i] = (int16_t)qrand_range(0, 255);
                a8[i] = (int8_t)(uint8_t)(a16[i] ^ 0x80);
                b8[i] = (int8_t)(uint8_t)(b16[i] ^ 0x80);
            }
            pml_s16_qbinary__scalar[op].vv(127, a16, b16, y16, &pu);
            pml_s8_qbinary__scalar[op].vv(127, a8, b8, y8, &ps);
            for (int i = 0; i < 127; i++)
                QCHECK_EQ((uint8_t)y8[i] ^ 0x80, y16[i], "op %d mode %d a %d b %d", op, mode, a16[i], b16[i]);
        }
}

/* int16 (TFLite int16x8: zero points 0, left shift 15) */
static void test_binary_s16(void) {
    pml_qbinary_params p;
    pml_qbinary_params_init(&p, PML_QBIN_ADD, PML_REQUANT_FIXED_POINT, 1, 1.0f / 1024, 0, 1.0f / 2048, 0, 1.0f / 1024,
                            0, INT16_MIN, INT16_MAX);
    QCHECK(p.left_shift == 15);
    const int16_t a[4] = {1000, -1000, 32767, 3}, b[4] = {2000, -2000, 32767, 1};
    int16_t y[4];
    pml_s16_qbinary__scalar[PML_QBIN_ADD].vv(4, a, b, y, &p);
    QCHECK_EQ(y[0], 2000, "1000 + 2000/2");
    QCHECK_EQ(y[1], -2000, "negative");
    QCHECK_EQ(y[2], 32767, "saturates");
    QCHECK_EQ(y[3], 4, "3 + 0.5 rounds away");
    pml_qbinary_params_init(&p, PML_QBIN_MUL, PML_REQUANT_FIXED_POINT, 1, 1.0f / 256, 0, 1.0f / 256, 0, 1.0f / 256, 0,
                            INT16_MIN, INT16_MAX);
    pml_s16_qbinary__scalar[PML_QBIN_MUL].vs(4, a, 512, y, &p); /* x * 2 */
    QCHECK(y[0] == 2000 && y[1] == -2000 && y[2] == 32767 && y[3] == 6);
}

static void test_requantize(void) {
    const int F = PML_REQUANT_FIXED_POINT, O = PML_REQUANT_FLOAT;
    pml_qrequant_params p;
    /* halving: ties */
    const int8_t x[6] = {1, 3, 5, -1, -3, -5};
    const int8_t tfl[6] = {1, 2, 3, 0, -1, -2}; /* one SRDHM rounding: half up */
    const int8_t onnx[6] = {0, 2, 2, 0, -2, -2};
    int8_t y[6];
    pml_qrequant_params_init(&p, F, 0, 1, 0, 2, 0, -128, 127);
    pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](6, x, y, &p);
    for (int i = 0; i < 6; i++) QCHECK_EQ(y[i], tfl[i], "TFLite requantize %d / 2", x[i]);
    pml_qrequant_params_init(&p, O, PML_QREQUANT_ONNX, 1, 0, 2, 0, -128, 127);
    pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](6, x, y, &p);
    for (int i = 0; i < 6; i++) QCHECK_EQ(y[i], onnx[i], "ONNX requantize %d / 2", x[i]);
    /* whole blocks of 16 round LiteRT's vectorized way: -2 / 4 = -0.5 goes up to 0 there
     * (vrshl), away from zero to -1 in the 17th element (RoundingDivideByPOT) */
    {
        int8_t xb[17], yb[17];
        memset(xb, -2, sizeof xb);
        pml_qrequant_params_init(&p, F, 0, 1, 0, 4, 0, -128, 127);
        pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](17, xb, yb, &p);
        QCHECK(yb[0] == 0 && yb[15] == 0 && yb[16] == -1);
        pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](15, xb, yb, &p); /* no whole block */
        QCHECK(yb[0] == -1 && yb[14] == -1);
        memset(xb, -6, sizeof xb); /* -1.5 */
        pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](17, xb, yb, &p);
        QCHECK(yb[0] == -1 && yb[16] == -2);
        QCHECK_EQ(pml_multiply_by_quantized_multiplier_rows(2, 1 << 30, -1), 1, "+0.5 up");
        QCHECK_EQ(pml_multiply_by_quantized_multiplier_rows(-2, 1 << 30, -1), 0, "-0.5 up");
        QCHECK_EQ(pml_multiply_by_quantized_multiplier_rows(3, 1 << 30, 2), 6, "left shift");
    }
    /* TFLite's float ConcatenationWithScaling: round half away of x * 0.5 - 0.5 */
    const uint8_t xu[4] = {2, 0, 4, 255};
    uint8_t yu[4];
    pml_qrequant_params_init(&p, O, PML_QREQUANT_TFLITE_FLOAT, 1, 1, 2, 10, 0, 255);
    pml_qrequant__scalar[PML_Q8_U8][PML_Q8_U8](4, xu, yu, &p);
    QCHECK(yu[0] == 11 && yu[1] == 9 && yu[2] == 12 && yu[3] == 137);

    /* the float modes' 256-entry table (runs of 512 and more) gives the element-wise results:
     * every input value, every 8-bit pair, both float variants, awkward scales */
    {
        enum { N = 600 };
        int8_t xs[N], ys_table[N], ys_one[N];
        const float scales[3][2] = {{0.0123f, 0.0371f}, {0.5f, 0.25f}, {3.3e-3f, 7.7e-1f}};
        for (int i = 0; i < N; i++) xs[i] = (int8_t)((i * 37 + 11) & 255);
        for (int variant = 0; variant < 2; variant++)
            for (int sc = 0; sc < 3; sc++)
                for (int xt = 0; xt < 2; xt++)
                    for (int yt = 0; yt < 2; yt++) {
                        const int32_t yzp = yt == PML_Q8_U8 ? 131 : -5, xzp = xt == PML_Q8_U8 ? 120 : 7;
                        pml_qrequant_params_init(&p, O, variant, scales[sc][0], xzp, scales[sc][1], yzp,
                                                 yt == PML_Q8_U8 ? 0 : -128, yt == PML_Q8_U8 ? 255 : 127);
                        pml_qrequant__scalar[xt][yt](N, xs, ys_table, &p);
                        for (int i = 0; i < N; i += 100) /* the same elements in runs of 100: no table */
                            pml_qrequant__scalar[xt][yt](100, xs + i, ys_one + i, &p);
                        QCHECK(memcmp(ys_table, ys_one, N) == 0);
                    }
    }

    /* int8 <-> uint8 with the same scale: the sign bit, every value, both semantics */
    for (int mode = 0; mode < 2; mode++) {
        int8_t all[256];
        uint8_t u[256];
        int8_t back[256];
        for (int i = 0; i < 256; i++) all[i] = (int8_t)(i - 128);
        pml_qrequant_params_init(&p, mode, PML_QREQUANT_ONNX, 0.1f, -3, 0.1f, 125, 0, 255);
        pml_qrequant__scalar[PML_Q8_S8][PML_Q8_U8](256, all, u, &p);
        for (int i = 0; i < 256; i++) QCHECK_EQ(u[i], (uint8_t)(all[i] ^ 0x80), "int8 -> uint8 %d", all[i]);
        pml_qrequant_params_init(&p, mode, PML_QREQUANT_ONNX, 0.1f, 125, 0.1f, -3, -128, 127);
        pml_qrequant__scalar[PML_Q8_U8][PML_Q8_S8](256, u, back, &p);
        QCHECK(memcmp(back, all, 256) == 0);
    }
    /* multiplier > 1 into int16, < 2^-31 into int8, saturation at both ends */
    const int8_t xs[3] = {-128, 0, 127};
    int16_t y16[3];
    pml_qrequant_params_init(&p, F, 0, 1.0f, 0, 1.0f / 200, 0, INT16_MIN, INT16_MAX);
    pml_qrequant__scalar[PML_Q8_S8][PML_Q16_S16](3, xs, y16, &p);
    QCHECK(y16[0] == -25600 && y16[1] == 0 && y16[2] == 25400);
    pml_qrequant_params_init(&p, F, 0, 1.0f, 0, 1.0f / 300, 0, INT16_MIN, INT16_MAX);
    pml_qrequant__scalar[PML_Q8_S8][PML_Q16_S16](3, xs, y16, &p);
    QCHECK(y16[0] == INT16_MIN && y16[1] == 0 && y16[2] == INT16_MAX);
    pml_qrequant_params_init(&p, F, 0, 1e-12f, 5, 1.0f, -7, -128, 127);
    pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](3, xs, y, &p);
    QCHECK(y[0] == -7 && y[1] == -7 && y[2] == -7);
    for (int mode = 0; mode < 2; mode++) {
        pml_qrequant_params_init(&p, mode, PML_QREQUANT_ONNX, 1.0f, 0, 0.5f, 0, -128, 127);
        pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](3, xs, y, &p);
        QCHECK(y[0] == -128 && y[1] == 0 && y[2] == 127);
    }
    /* closed form, in place */
    for (int t = 0; t < 200; t++) {
        const float sx = (float)ldexp(0.5 + qrand_unit(), qrand_range(-10, 0));
        const float sy = (float)ldexp(0.5 + qrand_unit(), qrand_range(-10, 0));
        const int32_t zx = qrand_range(-128, 127), zy = qrand_range(-128, 127);
        pml_qrequant_params_init(&p, t % 2, PML_QREQUANT_ONNX, sx, zx, sy, zy, -128, 127);
        int8_t v[127], orig[127];
        for (int i = 0; i < 127; i++) orig[i] = v[i] = (int8_t)qrand_range(-128, 127);
        pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](127, v, v, &p);
        /* TFLite: one SRDHM rounding before the right shift (see test_binary_closed_form) */
        const double eps = 1e-4 + (t % 2 == 0 && p.shift < 0 ? ldexp(0.5, p.shift) : 0.0);
        for (int i = 0; i < 127; i++)
            if (!qcheck_near(v[i], (double)sx * (orig[i] - zx) / sy + zy, -128, 127, eps))
                fprintf(stderr, "requantize mode %d: %d -> %d, real %.5f\n", t % 2, orig[i], v[i],
                        (double)sx * (orig[i] - zx) / sy + zy);
    }
    QCHECK(pml_qrequant_params_init(&p, F, 0, -1.0f, 0, 1.0f, 0, -128, 127) == -1);
}

/* LiteRT's x86 QUANTIZE (values observed from its interpreter): whole blocks of 8 round half
 * to even, the tail half away from zero; NaN, infinities and out-of-range values end at the
 * minimum through x86's integer indefinite. */
static void test_quantize_tflite(void) {
    const float x[8] = {0.25f, -0.25f, 0.75f, 1.25f, NAN, INFINITY, -INFINITY, 1e30f};
    int8_t y[11];
    pml_s8_quantize_tflite__scalar(8, x, 0.5f, 0, y);
    const int8_t want[8] = {0, 0, 2, 2, -128, -128, -128, -128};
    for (int i = 0; i < 8; i++) QCHECK_EQ(y[i], want[i], "block quantize %g", x[i]);
    const float t[11] = {0.5f, -0.5f, 1.5f, 2.5f, 3.5f, -1.5f, -2.5f, 0.49999997f, 0.5f, -0.5f, 2.5f};
    const int8_t want_t[11] = {0, 0, 2, 2, 4, -2, -2, 0, 1, -1, 3};
    pml_s8_quantize_tflite__scalar(11, t, 1.0f, 0, y);
    for (int i = 0; i < 11; i++) QCHECK_EQ(y[i], want_t[i], "quantize %g at %d", t[i], i);
    pml_s8_quantize_tflite__scalar(3, t + 8, 1.0f, 0, y); /* shorter than a block: all tail */
    QCHECK(y[0] == 1 && y[1] == -1 && y[2] == 3);
    uint8_t yu[8];
    pml_u8_quantize_tflite__scalar(8, x, 0.5f, 128, yu);
    QCHECK(yu[0] == 128 && yu[2] == 130 && yu[4] == 0 && yu[5] == 0);
    int16_t y16[8];
    pml_s16_quantize_tflite__scalar(8, x, 1.0f / 32768, 0, y16);
    QCHECK(y16[0] == 8192 && y16[1] == -8192 && y16[2] == 24576 && y16[3] == 32767 && y16[5] == INT16_MIN);
    /* a negative zero point wraps INT32_MIN to a large positive int32, as LiteRT's vaddq_s32 */
    pml_s8_quantize_tflite__scalar(8, x, 0.5f, -5, y);
    QCHECK(y[4] == 127 && y[0] == -5);
}

/* LiteRT's x86 DEQUANTIZE: in whole blocks of 8, -124 at scale 0.1, zero point 3 comes out
 * one ulp below the correctly rounded -12.7 (two float roundings); in the tail it is -12.7. */
static void test_dequantize_tflite(void) {
    int8_t x[9];
    float y[9];
    memset(x, -124, sizeof x);
    pml_s8_dequantize_tflite__scalar(9, x, 0.1f, 3, y);
    QCHECK_EQ(pml_f32_bits(y[0]), 3242930996u, "block element");
    QCHECK_EQ(pml_f32_bits(y[7]), 3242930996u, "last block element");
    QCHECK_EQ(pml_f32_bits(y[8]), 3242930995u, "tail element: -12.7f");
    pml_s8_dequantize_tflite__scalar(7, x, 0.1f, 3, y); /* shorter than a block */
    QCHECK_EQ(pml_f32_bits(y[0]), 3242930995u, "tail only");
    const uint8_t xu[8] = {0, 255, 128, 1, 2, 3, 4, 5};
    pml_u8_dequantize_tflite__scalar(8, xu, 0.5f, 128, y);
    QCHECK(y[0] == -64.0f && y[1] == 63.5f && y[2] == 0.0f);
    const int16_t x16[1] = {-32768};
    pml_s16_dequantize_tflite__scalar(1, x16, 1.0f / 32768, 0, y);
    QCHECK(y[0] == -1.0f);
}

static void test_clamp(void) {
    int8_t x[9] = {-128, -7, -6, 0, 5, 6, 7, 100, 127}, y[9];
    pml_s8_clamp__scalar(9, x, y, -6, 6);
    const int8_t want[9] = {-6, -6, -6, 0, 5, 6, 6, 6, 6};
    QCHECK(memcmp(y, want, 9) == 0);
}

int main(void) {
    test_fixed_point_helpers();
    test_binary_ties();
    test_binary_closed_form();
    test_binary_shapes();
    test_binary_configs();
    test_addsub_input_identity();
    test_addsub_all_pairs();
    test_uint8_flip();
    test_binary_s16();
    test_requantize();
    test_quantize_tflite();
    test_dequantize_tflite();
    test_clamp();
    return qtest_finish("test_quant_elementwise");
}
