/*
 * test_quant_pool.c — quantized AveragePool, Mean and TFLite's integer bilinear Resize
 * (qpool.h): window averages at their rounding ties (TFLite's (sum +- count/2) / count, the
 * uint8 (sum + count/2) / count, ONNX's half to even), padding and count_include_pad,
 * the three Mean rescales against hand values and the real mean, and resize outputs derived
 * by hand from ResizeBilinearInteger's 10-bit coordinates plus a closed-form check.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/quant/qpool.h"
#include "quant_testutil.h"

static pml_pool_geom geom(int64_t h, int64_t w, int64_t c, int64_t k, int64_t s, int64_t pad, int include_pad) {
    pml_pool_geom g;
    memset(&g, 0, sizeof g);
    g.n = 1, g.h = h, g.w = w, g.c = c, g.kh = g.kw = k, g.sh = g.sw = s, g.dh = g.dw = 1;
    g.pt = g.pl = g.pb = g.pr = pad;
    g.oh = (h + 2 * pad - k) / s + 1;
    g.ow = (w + 2 * pad - k) / s + 1;
    g.count_include_pad = include_pad;
    return g;
}

/* One 2x2 window over a 2x2 single-channel image: the average of four values. */
static int32_t avg4(int mode, int is_unsigned, const int32_t v[4]) {
    pml_pool_geom g = geom(2, 2, 1, 2, 1, 0, 0);
    pml_qavgpool_params p = {mode, is_unsigned ? 0 : -128, is_unsigned ? 255 : 127, 1.0f, 1.0f, 0, 0};
    uint8_t x[4], y = 0;
    for (int i = 0; i < 4; i++) x[i] = (uint8_t)v[i];
    if (is_unsigned) pml_u8_avgpool__scalar(&g, x, &y, 0, 1, &p);
    else pml_s8_avgpool__scalar(&g, x, &y, 0, 1, &p);
    return is_unsigned ? (int32_t)y : (int32_t)(int8_t)y;
}

static void test_avgpool_ties(void) {
    const int32_t sums[6][4] = {{1, 1, 0, 0}, {3, 3, 0, 0}, {5, 5, 0, 0}, {-1, -1, 0, 0}, {-3, -3, 0, 0}, {3, 0, 0, 0}};
    /* averages 0.5, 1.5, 2.5, -0.5, -1.5, 0.75 */
    const int32_t tfl[6] = {1, 2, 3, -1, -2, 1};
    const int32_t onnx[6] = {0, 2, 2, 0, -2, 1};
    for (int i = 0; i < 6; i++) {
        QCHECK_EQ(avg4(PML_REQUANT_FIXED_POINT, 0, sums[i]), tfl[i], "TFLite int8 average %d", i);
        QCHECK_EQ(avg4(PML_REQUANT_FLOAT, 0, sums[i]), onnx[i], "ONNX int8 average %d", i);
    }
    /* uint8: TFLite rounds half up on the unsigned sum; 128 + 0.5 -> 129 */
    const int32_t u[4] = {129, 129, 128, 128}, u2[4] = {255, 255, 255, 254};
    QCHECK_EQ(avg4(PML_REQUANT_FIXED_POINT, 1, u), 129, "uint8 128.5");
    QCHECK_EQ(avg4(PML_REQUANT_FLOAT, 1, u), 128, "uint8 ONNX 128.5 to even");
    QCHECK_EQ(avg4(PML_REQUANT_FIXED_POINT, 1, u2), 255, "uint8 254.75");
    /* uint8 127.5 rounds up to 128; the window flipped to int8 averages -0.5, which rounds
     * away from zero to -1, i.e. 127: why uint8 has its own kernel */
    const int32_t w[4] = {127, 127, 128, 128}, f[4] = {-1, -1, 0, 0};
    QCHECK_EQ(avg4(PML_REQUANT_FIXED_POINT, 1, w), 128, "uint8 127.5");
    QCHECK_EQ((avg4(PML_REQUANT_FIXED_POINT, 0, f) & 0xFF) ^ 0x80, 127, "the flipped window in int8");
}

/* 3x3 image, 3x3 window, pad 1, stride 2: corner windows have 4 real taps of 9. */
static void test_avgpool_padding(void) {
    const int8_t x[9] = {10, 20, 30, 40, 50, 60, 70, 80, 90};
    int8_t y[4];
    pml_pool_geom g = geom(3, 3, 1, 3, 2, 1, 0);
    QCHECK(g.oh == 2 && g.ow == 2);
    pml_qavgpool_params p = {PML_REQUANT_FIXED_POINT, -128, 127, 1, 1, 0, 0};
    pml_s8_avgpool__scalar(&g, x, y, 0, 2, &p);
    QCHECK(y[0] == 30 && y[1] == 40 && y[2] == 60 && y[3] == 70); /* (10+20+40+50)/4 = 30 ... */
    /* ONNX, count_include_pad: divided by 9; scales 0.5 -> 0.25 double the value */
    g = geom(3, 3, 1, 3, 2, 1, 1);
    pml_qavgpool_params q = {PML_REQUANT_FLOAT, -128, 127, 0.5f, 0.25f, 0, 5};
    pml_s8_avgpool__scalar(&g, x, y, 0, 2, &q);
    /* 120 / 9 * 0.5 / 0.25 = 26.67 -> 27, + 5 */
    QCHECK_EQ(y[0], 32, "count_include_pad corner");
    QCHECK_EQ(y[3], (int32_t)nearbyint(280.0 / 9 * 2) + 5, "last corner");
    /* zero points of the ONNX semantics; clamp of a fused activation */
    q = (pml_qavgpool_params){PML_REQUANT_FLOAT, -128, 127, 1.0f, 1.0f, -100, 0};
    g = geom(3, 3, 1, 3, 2, 1, 0);
    pml_s8_avgpool__scalar(&g, x, y, 0, 2, &q);
    QCHECK(y[0] == 127 && y[3] == 127);
    q = (pml_qavgpool_params){PML_REQUANT_FIXED_POINT, 0, 50, 1, 1, 0, 0};
    pml_s8_avgpool__scalar(&g, x, y, 0, 2, &q);
    QCHECK(y[0] == 30 && y[3] == 50);
    /* rows: computing row 1 alone gives row 1 of the whole */
    int8_t y1[4] = {0};
    pml_s8_avgpool__scalar(&g, x, y1, 1, 2, &q);
    QCHECK(y1[2] == y[2] && y1[3] == y[3] && y1[0] == 0);
}

static void test_mean(void) {
    /* sums over 2 of {1,2} = 3 -> 1.5, {-1,-2} -> -1.5, {2,3} -> 2.5 */
    const int8_t x[6] = {1, 2, -1, -2, 2, 3};
    int32_t sum[3];
    pml_s8_qsum_rows__scalar(3, 2, 1, x, sum);
    QCHECK(sum[0] == 3 && sum[1] == -3 && sum[2] == 5);
    const int variants[3] = {PML_QMEAN_TFLITE_HW, PML_QMEAN_TFLITE, PML_QMEAN_ONNX};
    const int32_t want[3][3] = {
        {2, -1, 3}, /* one SRDHM rounding: half up */
        {2, -1, 3}, /* (x - 0) * 0.5 through the folded multiplier: half up */
        {2, -2, 2}, /* half to even */
    };
    for (int v = 0; v < 3; v++) {
        pml_qmean_params p;
        QCHECK(pml_qmean_params_init(&p, variants[v], 2, 1, 0, 1, 0, -128, 127) == 0);
        int8_t y[3];
        pml_s8_qmean__scalar(3, sum, y, &p);
        for (int i = 0; i < 3; i++) QCHECK_EQ(y[i], want[v][i], "mean variant %d of sum %d", v, sum[i]);
    }
    /* the H x W path rounds its zero-point bias (in_zp * in_scale / out_scale = 0.5) half away
     * from zero on its own, then the sum: mean of {1} with zero point 1 is exactly 0 */
    {
        pml_qmean_params p;
        pml_qmean_params_init(&p, PML_QMEAN_TFLITE_HW, 1, 1, 1, 2, 0, -128, 127);
        const int32_t one = 1, minus = -1;
        int8_t y;
        QCHECK(p.bias == -1);
        pml_s8_qmean__scalar(1, &one, &y, &p);
        QCHECK_EQ(y, 0, "(1 - 1) / 2 through the rounded bias");
        pml_s8_qmean__scalar(1, &minus, &y, &p);
        QCHECK_EQ(y, -1, "-0.5 (sum) rounds up, then the bias -1: -1 (exact -1)");
    }
    /* LiteRT's blocks of 16 channels: a mean of -0.5 (sum -2 over 4) rounds up to 0 in them,
     * away from zero to -1 in the 17th channel */
    {
        pml_qmean_params p;
        pml_qmean_params_init(&p, PML_QMEAN_TFLITE_HW, 4, 1, 0, 1, 0, -128, 127);
        int32_t s17[17];
        int8_t y17[17];
        for (int i = 0; i < 17; i++) s17[i] = -2;
        pml_s8_qmean__scalar(17, s17, y17, &p);
        QCHECK(y17[0] == 0 && y17[15] == 0 && y17[16] == -1);
        pml_qmean_params_init(&p, PML_QMEAN_TFLITE, 4, 1, 0, 1, 0, -128, 127);
        pml_s8_qmean__scalar(17, s17, y17, &p); /* the reference path has no blocks */
        QCHECK(y17[0] == -1 && y17[16] == -1);
    }
    /* inner > 1: sums down the middle axis */
    const int8_t m[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; /* [2, 3, 2] */
    int32_t s2[4];
    pml_s8_qsum_rows__scalar(2, 3, 2, m, s2);
    QCHECK(s2[0] == 9 && s2[1] == 12 && s2[2] == 27 && s2[3] == 30);
    /* closed form over random scales and zero points, count 49 (a 7x7 global pool) */
    for (int t = 0; t < 60; t++) {
        const int variant = variants[t % 3];
        const float si = (float)ldexp(0.5 + qrand_unit(), -qrand_range(2, 7));
        const float so = (float)ldexp(0.5 + qrand_unit(), -qrand_range(2, 7));
        const int32_t zi = qrand_range(-128, 127), zo = qrand_range(-128, 127);
        pml_qmean_params p;
        pml_qmean_params_init(&p, variant, 49, si, zi, so, zo, -128, 127);
        int8_t in[49 * 5];
        for (int i = 0; i < 49 * 5; i++) in[i] = (int8_t)qrand_range(-128, 127);
        int32_t acc[5];
        int8_t out[5];
        pml_s8_qsum_rows__scalar(1, 49, 5, in, acc);
        pml_s8_qmean__scalar(5, acc, out, &p);
        for (int c = 0; c < 5; c++) {
            const double real = (double)si * ((double)acc[c] / 49 - zi) / so + zo;
            /* the H x W path rounds its bias separately: up to one more half step */
            const double eps = variant == PML_QMEAN_TFLITE_HW ? 0.5 : variant == PML_QMEAN_TFLITE ? 0.26 : 1e-3;
            if (!qcheck_near(out[c], real, -128, 127, eps))
                fprintf(stderr, "mean variant %d: sum %d -> %d, real %.4f\n", variant, acc[c], out[c], real);
        }
    }
    /* uint8 and int16 instantiations */
    const uint8_t xu[2] = {255, 254};
    int32_t su;
    pml_u8_qsum_rows__scalar(1, 2, 1, xu, &su);
    uint8_t yu;
    pml_qmean_params p;
    pml_qmean_params_init(&p, PML_QMEAN_ONNX, 2, 1, 128, 1, 128, 0, 255);
    pml_u8_qmean__scalar(1, &su, &yu, &p);
    QCHECK(su == 509 && yu == 254); /* 254.5 to even */
    const int16_t x16[2] = {30000, 30001};
    int32_t s16;
    int16_t y16;
    pml_s16_qsum_rows__scalar(1, 2, 1, x16, &s16);
    pml_qmean_params_init(&p, PML_QMEAN_TFLITE, 2, 1, 0, 1, 0, INT16_MIN, INT16_MAX);
    pml_s16_qmean__scalar(1, &s16, &y16, &p);
    QCHECK(s16 == 60001 && y16 == 30001);
    QCHECK(pml_qmean_params_init(&p, PML_QMEAN_ONNX, 0, 1, 0, 1, 0, -128, 127) == -1);
}

static void test_resize_bilinear(void) {
    /* width 2 -> 4, no pixel-center shift: scale 512/1024, sources 0, 0.5, 1, 1.5 (clamped) */
    const int8_t row[4][2] = {{0, 100}, {-100, 0}, {0, 1}, {-1, 0}};
    const int8_t want[4][4] = {{0, 50, 100, 100}, {-100, -50, 0, 0}, {0, 1, 1, 1}, {-1, -1, 0, 0}};
    for (int r = 0; r < 4; r++) {
        int8_t y[4];
        pml_s8_resize_bilinear__scalar(1, 1, 2, 1, 1, 4, 0, 0, row[r], y);
        for (int i = 0; i < 4; i++) QCHECK_EQ(y[i], want[r][i], "row %d out %d (0.5 ties away from zero)", r, i);
    }
    /* align_corners: 2 -> 3 puts the middle at 0.5 exactly; 3 channels interleaved */
    const int8_t xc[6] = {10, -20, 0, 30, 20, 1};
    int8_t yc[9];
    pml_s8_resize_bilinear__scalar(1, 1, 2, 3, 1, 3, 1, 0, xc, yc);
    const int8_t wc[9] = {10, -20, 0, 20, 0, 1 /* 0.5 away */, 30, 20, 1};
    QCHECK(memcmp(yc, wc, 9) == 0);
    /* half-pixel centers: 2 -> 4 samples at -0.25 (clamped to 0), 0.25, 0.75, 1.25 */
    const int8_t xh[2] = {0, 40};
    int8_t yh[4];
    pml_s8_resize_bilinear__scalar(1, 1, 2, 1, 1, 4, 0, 1, xh, yh);
    QCHECK(yh[0] == 0 && yh[1] == 10 && yh[2] == 30 && yh[3] == 40);
    /* 2-D: 2x2 -> 3x3 align_corners, the centre averages the four corners */
    const uint8_t q[4] = {0, 100, 200, 255};
    uint8_t yq[9];
    pml_u8_resize_bilinear__scalar(1, 2, 2, 1, 3, 3, 1, 0, q, yq);
    QCHECK(yq[0] == 0 && yq[2] == 100 && yq[6] == 200 && yq[8] == 255);
    QCHECK_EQ(yq[4], 139, "(0 + 100 + 200 + 255) / 4 = 138.75");
    QCHECK_EQ(yq[1], 50, "top edge");
    /* closed form: a random downscale and upscale against float bilinear with the same
     * source coordinates (10-bit quantized, so a step's tolerance) */
    for (int t = 0; t < 6; t++) {
        const int64_t ih = qrand_range(1, 9), iw = qrand_range(1, 9), c = qrand_range(1, 3);
        const int64_t oh = qrand_range(1, 12), ow = qrand_range(1, 12);
        int16_t x[9 * 9 * 3], y[12 * 12 * 3];
        for (int64_t i = 0; i < ih * iw * c; i++) x[i] = (int16_t)qrand_range(-30000, 30000);
        pml_s16_resize_bilinear__scalar(1, ih, iw, c, oh, ow, 0, 0, x, y);
        for (int64_t yy = 0; yy < oh; yy++)
            for (int64_t xx = 0; xx < ow; xx++)
                for (int64_t ch = 0; ch < c; ch++) {
                    const double sy = (double)(int32_t)(((1 << 10) * ih + oh / 2) / oh) / 1024 * yy;
                    const double sx = (double)(int32_t)(((1 << 10) * iw + ow / 2) / ow) / 1024 * xx;
                    const int64_t y0 = (int64_t)sy, x0 = (int64_t)sx;
                    const int64_t y1 = y0 + 1 < ih ? y0 + 1 : ih - 1, x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
                    const double fy = sy - y0, fx = sx - x0;
                    const double v = x[(y0 * iw + x0) * c + ch] * (1 - fy) * (1 - fx) +
                                     x[(y1 * iw + x0) * c + ch] * fy * (1 - fx) +
                                     x[(y0 * iw + x1) * c + ch] * (1 - fy) * fx + x[(y1 * iw + x1) * c + ch] * fy * fx;
                    if (!qcheck_near(y[(yy * ow + xx) * c + ch], v, INT16_MIN, INT16_MAX, 1e-6))
                        fprintf(stderr, "resize %lldx%lld -> %lldx%lld at %lld,%lld: %d, real %.3f\n", (long long)ih,
                                (long long)iw, (long long)oh, (long long)ow, (long long)yy, (long long)xx,
                                y[(yy * ow + xx) * c + ch], v);
                }
    }
}

int main(void) {
    test_avgpool_ties();
    test_avgpool_padding();
    test_mean();
    test_resize_bilinear();
    return qtest_finish("test_quant_pool");
}
