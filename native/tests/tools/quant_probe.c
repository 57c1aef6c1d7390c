/*
 * quant_probe.c — a test-only command-line front end of the quantized kernels, so that
 * tests/ops/test_quant_oracles.py can compare them with the numpy oracles of
 * tests/ops/quant_oracles.py. It reads whitespace-separated commands on stdin (floats as
 * the decimal value of their IEEE bits, so nothing is rounded on the way) and prints each
 * result as one line of integers. The pytest builds it with the C compiler directly from the
 * kernel sources (pure C, no runtime needed); CMake does not build it.
 *
 *   binary MODE OP SA ZA SB ZB SY ZY QMIN QMAX N a[N] b[N]      int8 Add/Sub/Mul (vv)
 *   binary16 MODE OP SA SB SY N a[N] b[N]                         int16 (zero points 0)
 *   requant MODE VARIANT SX ZX SY ZY N x[N]                      int8 -> int8
 *   requant_u8 MODE VARIANT SX ZX SY ZY N x[N]                   uint8 -> uint8
 *   quantize SCALE ZP N xbits[N]                                 float32 -> int8 (TFLite)
 *   dequantize SCALE ZP N x[N]                                   int8 -> float32 bits (TFLite)
 *   lut MODE SIGNED FN ALPHA SI ZI SO ZO                         the table, x from low to high
 *   lut16 FN ALPHA SI ZI SO ZO N x[N]                            TFLite int16 table, applied
 *   hardswish SIGNED SI ZI SO ZO                                 every input, low to high
 *   leaky ALPHA SI ZI SO ZO                                      every int8 input
 *   prelu SI ZI SA ZA SO ZO N x[N] alpha[N]                      int8, a slope per element
 *   softmax MODE INSIGNED OUT SI BETA SO ZO N x[N]               one row
 *   sigmoid16 TANH SI                                            TFLite int16 LOGISTIC/TANH, every input
 *   softmax16 SI BETA N x[N]                                     TFLite int16 SOFTMAX, one row
 *   avgpool MODE UNSIGNED H W C K S PAD INCLUDE XS XZ YS YZ x[]  one image, NHWC
 *   mean VARIANT COUNT SI ZI SO ZO INNER x[COUNT * INNER]        int8, over the middle axis
 *   mean_u8 VARIANT COUNT SI ZI SO ZO INNER x[COUNT * INNER]     the same on uint8
 *   resize H W C OH OW ALIGN HALF x[H * W * C]                   int8 bilinear
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/quant/qactivation.h"
#include "kernels/quant/qelementwise.h"
#include "kernels/quant/qpool.h"
#include "kernels/quant/qsigmoid16.h"
#include "kernels/quant/qsoftmax.h"
#include "kernels/quant/qsoftmax16.h"

static long next_int(void) {
    long v;
    if (scanf("%ld", &v) != 1) {
        fprintf(stderr, "quant_probe: expected an integer\n");
        exit(2);
    }
    return v;
}
/* A count that must fit the probe's buffers (4096 elements). */
static long next_count(void) {
    long v = next_int();
    if (v < 1 || v > 4096) {
        fprintf(stderr, "quant_probe: count %ld outside [1, 4096]\n", v);
        exit(2);
    }
    return v;
}
static float next_float(void) {
    uint32_t u = (uint32_t)next_int();
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static void print_ints(size_t n, const int32_t *v) {
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", v[i]);
    printf("\n");
}

static int32_t g_out[1 << 16];
static int8_t g_a[1 << 16], g_b[1 << 16], g_y[1 << 16];

static void run_binary(void) {
    const int mode = (int)next_int(), op = (int)next_int();
    const float sa = next_float();
    const int32_t za = (int32_t)next_int();
    const float sb = next_float();
    const int32_t zb = (int32_t)next_int();
    const float sy = next_float();
    const int32_t zy = (int32_t)next_int(), qmin = (int32_t)next_int(), qmax = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    for (size_t i = 0; i < n; i++) g_a[i] = (int8_t)next_int();
    for (size_t i = 0; i < n; i++) g_b[i] = (int8_t)next_int();
    pml_qbinary_params p;
    if (pml_qbinary_params_init(&p, op, mode, 0, sa, za, sb, zb, sy, zy, qmin, qmax)) exit(3);
    pml_s8_qbinary__scalar[op].vv(n, g_a, g_b, g_y, &p);
    for (size_t i = 0; i < n; i++) g_out[i] = g_y[i];
    print_ints(n, g_out);
}

static void run_binary16(void) {
    const int mode = (int)next_int(), op = (int)next_int();
    const float sa = next_float(), sb = next_float(), sy = next_float();
    const size_t n = (size_t)next_count();
    static int16_t a[4096], b[4096], y[4096];
    for (size_t i = 0; i < n; i++) a[i] = (int16_t)next_int();
    for (size_t i = 0; i < n; i++) b[i] = (int16_t)next_int();
    pml_qbinary_params p;
    if (pml_qbinary_params_init(&p, op, mode, 1, sa, 0, sb, 0, sy, 0, INT16_MIN, INT16_MAX)) exit(3);
    pml_s16_qbinary__scalar[op].vv(n, a, b, y, &p);
    for (size_t i = 0; i < n; i++) g_out[i] = y[i];
    print_ints(n, g_out);
}

static void run_requant(void) {
    const int mode = (int)next_int(), variant = (int)next_int();
    const float sx = next_float();
    const int32_t zx = (int32_t)next_int();
    const float sy = next_float();
    const int32_t zy = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    for (size_t i = 0; i < n; i++) g_a[i] = (int8_t)next_int();
    pml_qrequant_params p;
    if (pml_qrequant_params_init(&p, mode, variant, sx, zx, sy, zy, -128, 127)) exit(3);
    pml_qrequant__scalar[PML_Q8_S8][PML_Q8_S8](n, g_a, g_y, &p);
    for (size_t i = 0; i < n; i++) g_out[i] = g_y[i];
    print_ints(n, g_out);
}

static void run_requant_u8(void) {
    const int mode = (int)next_int(), variant = (int)next_int();
    const float sx = next_float();
    const int32_t zx = (int32_t)next_int();
    const float sy = next_float();
    const int32_t zy = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    static uint8_t x[4096], y[4096];
    for (size_t i = 0; i < n; i++) x[i] = (uint8_t)next_int();
    pml_qrequant_params p;
    if (pml_qrequant_params_init(&p, mode, variant, sx, zx, sy, zy, 0, 255)) exit(3);
    pml_qrequant__scalar[PML_Q8_U8][PML_Q8_U8](n, x, y, &p);
    for (size_t i = 0; i < n; i++) g_out[i] = y[i];
    print_ints(n, g_out);
}

static void run_quantize(void) {
    const float scale = next_float();
    const int32_t zp = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    static float x[1 << 16];
    for (size_t i = 0; i < n; i++) x[i] = next_float();
    pml_s8_quantize_tflite__scalar(n, x, scale, zp, g_y);
    for (size_t i = 0; i < n; i++) g_out[i] = g_y[i];
    print_ints(n, g_out);
}

static void run_dequantize(void) {
    const float scale = next_float();
    const int8_t zp = (int8_t)next_int();
    const size_t n = (size_t)next_count();
    static float y[4096];
    for (size_t i = 0; i < n; i++) g_a[i] = (int8_t)next_int();
    pml_s8_dequantize_tflite__scalar(n, g_a, scale, zp, y);
    for (size_t i = 0; i < n; i++) memcpy(&g_out[i], &y[i], 4);
    print_ints(n, g_out);
}

static void run_lut(void) {
    const int mode = (int)next_int(), is_signed = (int)next_int(), fn = (int)next_int();
    const float alpha = next_float(), si = next_float();
    const int32_t zi = (int32_t)next_int();
    const float so = next_float();
    const int32_t zo = (int32_t)next_int();
    uint8_t table[256];
    if (pml_qlut_build(table, mode, is_signed, fn, alpha, si, zi, so, zo)) exit(3);
    for (int i = 0; i < 256; i++) {
        const int32_t x = is_signed ? i - 128 : i;
        g_out[i] = is_signed ? (int32_t)(int8_t)table[(uint8_t)x] : (int32_t)table[x];
    }
    print_ints(256, g_out);
}

static void run_lut16(void) {
    const int fn = (int)next_int();
    const float alpha = next_float(), si = next_float();
    const int32_t zi = (int32_t)next_int();
    const float so = next_float();
    const int32_t zo = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    static int16_t table[513], x[4096], y[4096];
    for (size_t i = 0; i < n; i++) x[i] = (int16_t)next_int();
    if (pml_qlut16_build(table, fn, alpha, si, zi, so, zo)) exit(3);
    pml_s16_lut__scalar(n, x, table, y);
    for (size_t i = 0; i < n; i++) g_out[i] = y[i];
    print_ints(n, g_out);
}

static void run_hardswish(void) {
    const int is_signed = (int)next_int();
    const float si = next_float();
    const int32_t zi = (int32_t)next_int();
    const float so = next_float();
    const int32_t zo = (int32_t)next_int();
    pml_qhardswish_params p;
    if (pml_qhardswish_params_init(&p, si, zi, so, zo)) exit(3);
    uint8_t x[256], y[256];
    for (int i = 0; i < 256; i++) x[i] = (uint8_t)(is_signed ? i - 128 : i);
    if (is_signed) pml_s8_hardswish__scalar(256, x, y, &p);
    else pml_u8_hardswish__scalar(256, x, y, &p);
    for (int i = 0; i < 256; i++) g_out[i] = is_signed ? (int32_t)(int8_t)y[i] : (int32_t)y[i];
    print_ints(256, g_out);
}

static void run_leaky(void) {
    const float alpha = next_float(), si = next_float();
    const int32_t zi = (int32_t)next_int();
    const float so = next_float();
    const int32_t zo = (int32_t)next_int();
    pml_qleaky_params p;
    if (pml_qleaky_params_init(&p, alpha, si, zi, so, zo, -128, 127)) exit(3);
    for (int i = 0; i < 256; i++) g_a[i] = (int8_t)(i - 128);
    pml_s8_leaky_relu__scalar(256, g_a, g_y, &p);
    for (int i = 0; i < 256; i++) g_out[i] = g_y[i];
    print_ints(256, g_out);
}

static void run_prelu(void) {
    const float si = next_float();
    const int32_t zi = (int32_t)next_int();
    const float sa = next_float();
    const int32_t za = (int32_t)next_int();
    const float so = next_float();
    const int32_t zo = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    for (size_t i = 0; i < n; i++) g_a[i] = (int8_t)next_int();
    for (size_t i = 0; i < n; i++) g_b[i] = (int8_t)next_int();
    pml_qprelu_params p;
    if (pml_qprelu_params_init(&p, si, zi, sa, za, so, zo, -128, 127)) exit(3);
    pml_s8_prelu__scalar(n, g_a, g_b, 1, g_y, &p);
    for (size_t i = 0; i < n; i++) g_out[i] = g_y[i];
    print_ints(n, g_out);
}

static void run_softmax(void) {
    const int mode = (int)next_int(), in_signed = (int)next_int(), out = (int)next_int();
    const float si = next_float(), beta = next_float(), so = next_float();
    const int32_t zo = (int32_t)next_int();
    const size_t n = (size_t)next_count();
    uint8_t x[4096];
    int16_t y[4096];
    for (size_t i = 0; i < n; i++) x[i] = (uint8_t)next_int();
    pml_qsoftmax_params p;
    if (pml_qsoftmax_params_init(&p, mode, in_signed, si, beta, n, so, zo)) exit(3);
    if (mode == PML_REQUANT_FIXED_POINT) pml_qsoftmax_tflite__scalar[in_signed ? 0 : 1][out](n, x, y, &p);
    else if (in_signed) pml_s8_softmax_onnx__scalar(n, x, y, &p);
    else pml_u8_softmax_onnx__scalar(n, x, y, &p);
    for (size_t i = 0; i < n; i++)
        g_out[i] = out == 0 ? ((int8_t *)y)[i] : out == 1 ? ((uint8_t *)y)[i] : y[i];
    print_ints(n, g_out);
}

static void run_sigmoid16(void) {
    const int is_tanh = (int)next_int();
    const float si = next_float();
    static pml_qsigmoid16_params p;
    static int16_t x[1 << 16], y[1 << 16];
    if (pml_qsigmoid16_params_init(&p, is_tanh, si)) exit(3);
    for (int i = 0; i < (1 << 16); i++) x[i] = (int16_t)(i - 32768);
    pml_s16_sigmoid__scalar(1 << 16, x, y, &p);
    for (int i = 0; i < (1 << 16); i++) g_out[i] = y[i];
    print_ints(1 << 16, g_out);
}

static void run_softmax16(void) {
    const float si = next_float(), beta = next_float();
    const size_t n = (size_t)next_count();
    static pml_qsoftmax16_params p;
    int16_t x[4096], y[4096];
    for (size_t i = 0; i < n; i++) x[i] = (int16_t)next_int();
    if (pml_qsoftmax16_params_init(&p, si, beta)) exit(3);
    pml_s16_softmax__scalar(n, x, y, &p);
    for (size_t i = 0; i < n; i++) g_out[i] = y[i];
    print_ints(n, g_out);
}

static void run_avgpool(void) {
    const int mode = (int)next_int(), is_unsigned = (int)next_int();
    pml_pool_geom g;
    memset(&g, 0, sizeof g);
    g.n = 1;
    g.h = next_count(), g.w = next_count(), g.c = next_count();
    g.kh = g.kw = next_int();
    g.sh = g.sw = next_int();
    g.pt = g.pl = g.pb = g.pr = next_int();
    g.count_include_pad = (int)next_int();
    g.dh = g.dw = 1;
    g.oh = (g.h + 2 * g.pt - g.kh) / g.sh + 1;
    g.ow = (g.w + 2 * g.pl - g.kw) / g.sw + 1;
    pml_qavgpool_params p = {mode, is_unsigned ? 0 : -128, is_unsigned ? 255 : 127, 0, 0, 0, 0};
    p.x_scale = next_float();
    p.x_zp = (int32_t)next_int();
    p.y_scale = next_float();
    p.y_zp = (int32_t)next_int();
    uint8_t x[4096], y[4096];
    if (g.h * g.w * g.c > 4096 || g.kh < 1 || g.sh < 1 || g.oh < 1 || g.ow < 1) exit(2);
    for (int64_t i = 0; i < g.h * g.w * g.c; i++) x[i] = (uint8_t)next_int();
    if (is_unsigned) pml_u8_avgpool__scalar(&g, x, y, 0, g.oh, &p);
    else pml_s8_avgpool__scalar(&g, x, y, 0, g.oh, &p);
    const size_t n = (size_t)(g.oh * g.ow * g.c);
    for (size_t i = 0; i < n; i++) g_out[i] = is_unsigned ? (int32_t)y[i] : (int32_t)(int8_t)y[i];
    print_ints(n, g_out);
}

static void run_mean(int is_unsigned) {
    const int variant = (int)next_int();
    const int64_t count = next_count();
    const float si = next_float();
    const int32_t zi = (int32_t)next_int();
    const float so = next_float();
    const int32_t zo = (int32_t)next_int();
    const size_t inner = (size_t)next_count();
    if (count * (int64_t)inner > (1 << 16)) exit(2);
    for (int64_t i = 0; i < count * (int64_t)inner; i++) g_a[i] = (int8_t)next_int();
    pml_qmean_params p;
    if (pml_qmean_params_init(&p, variant, count, si, zi, so, zo, is_unsigned ? 0 : -128, is_unsigned ? 255 : 127))
        exit(3);
    int32_t acc[4096];
    if (is_unsigned) {
        pml_u8_qsum_rows__scalar(1, (size_t)count, inner, g_a, acc);
        pml_u8_qmean__scalar(inner, acc, g_y, &p);
    } else {
        pml_s8_qsum_rows__scalar(1, (size_t)count, inner, g_a, acc);
        pml_s8_qmean__scalar(inner, acc, g_y, &p);
    }
    for (size_t i = 0; i < inner; i++) g_out[i] = is_unsigned ? (int32_t)(uint8_t)g_y[i] : (int32_t)g_y[i];
    print_ints(inner, g_out);
}

static void run_resize(void) {
    const int64_t h = next_count(), w = next_count(), c = next_count(), oh = next_count(), ow = next_count();
    const int align = (int)next_int(), half = (int)next_int();
    if (h * w * c > (1 << 16) || oh * ow * c > (1 << 16)) exit(2);
    for (int64_t i = 0; i < h * w * c; i++) g_a[i] = (int8_t)next_int();
    pml_s8_resize_bilinear__scalar(1, h, w, c, oh, ow, align, half, g_a, g_y);
    for (int64_t i = 0; i < oh * ow * c; i++) g_out[i] = g_y[i];
    print_ints((size_t)(oh * ow * c), g_out);
}

int main(void) {
    char cmd[32];
    while (scanf("%31s", cmd) == 1) {
        if (!strcmp(cmd, "binary")) run_binary();
        else if (!strcmp(cmd, "binary16")) run_binary16();
        else if (!strcmp(cmd, "requant")) run_requant();
        else if (!strcmp(cmd, "requant_u8")) run_requant_u8();
        else if (!strcmp(cmd, "quantize")) run_quantize();
        else if (!strcmp(cmd, "dequantize")) run_dequantize();
        else if (!strcmp(cmd, "lut")) run_lut();
        else if (!strcmp(cmd, "lut16")) run_lut16();
        else if (!strcmp(cmd, "hardswish")) run_hardswish();
        else if (!strcmp(cmd, "leaky")) run_leaky();
        else if (!strcmp(cmd, "prelu")) run_prelu();
        else if (!strcmp(cmd, "softmax")) run_softmax();
        else if (!strcmp(cmd, "sigmoid16")) run_sigmoid16();
        else if (!strcmp(cmd, "softmax16")) run_softmax16();
        else if (!strcmp(cmd, "avgpool")) run_avgpool();
        else if (!strcmp(cmd, "mean")) run_mean(0);
        else if (!strcmp(cmd, "mean_u8")) run_mean(1);
        else if (!strcmp(cmd, "resize")) run_resize();
        else {
            fprintf(stderr, "quant_probe: unknown command %s\n", cmd);
            return 2;
        }
        fflush(stdout);
    }
    return 0;
}
