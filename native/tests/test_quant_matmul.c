/*
 * test_quant_matmul.c — the quantized product of two run-time operands (kernels/quant/qmatmul.h)
 * on hand-computed cases: zero points subtracted from both operands, the multiplier and the
 * output zero point applied once per element, the clamp, uint8 operands, and the float
 * (onnxruntime) requantization rounding half to even.
 */
#include <math.h>

#include "kernels/quant/qmatmul.h"
#include "quant_testutil.h"

static pml_requant fixed(double real, int32_t *m, int32_t *s, int32_t zp, int32_t lo, int32_t hi) {
    pml_quantize_multiplier(real, m, s);
    return (pml_requant){.mode = PML_REQUANT_FIXED_POINT, .multiplier = m, .shift = s, .zero_point = zp,
                         .qmin = lo, .qmax = hi};
}

static void test_int8_by_hand(void) {
    /* a = [[1, 2, 3], [-4, 5, -6]] + za (za = 2); b = [[1, 0], [0, 1], [2, -1]] + zb (zb = -3)
     * (a - za) @ (b - zb) = [[7, -1], [-16, 11]]; times 0.5: [[3.5, -0.5], [-8, 5.5]]. TFLite's fixed
     * point with the multiplier 2^30 (0.5, shift 0) rounds inside its doubling high multiply:
     * 3.5 -> 4, 5.5 -> 6, and -0.5 -> 0 (the nudge rounds ties up, toward +inf); + zy 10 */
    const int8_t a[6] = {3, 4, 5, -2, 7, -4};
    const int8_t b[6] = {-2, -3, -3, -2, -1, -4};
    int32_t m, s;
    pml_requant rq = fixed(0.5, &m, &s, 10, -128, 127);
    int8_t y[4];
    pml_s8_qmatmul__scalar(2, 2, 3, a, 2, b, -3, &rq, y);
    const int8_t want[4] = {14, 10, 2, 16};
    for (int i = 0; i < 4; i++) QCHECK_EQ(y[i], want[i], "int8 element %d", i);
    rq = fixed(0.5, &m, &s, 10, 5, 12); /* a fused clamp [5, 12] */
    pml_s8_qmatmul__scalar(2, 2, 3, a, 2, b, -3, &rq, y);
    const int8_t clamped[4] = {12, 10, 5, 12};
    for (int i = 0; i < 4; i++) QCHECK_EQ(y[i], clamped[i], "clamped element %d", i);
    float scale = 0.5f;
    rq = (pml_requant){.mode = PML_REQUANT_FLOAT, .scale = &scale, .zero_point = 10, .qmin = -128, .qmax = 127};
    pml_s8_qmatmul__scalar(2, 2, 3, a, 2, b, -3, &rq, y);
    const int8_t even[4] = {14, 10, 2, 16}; /* 3.5 -> 4, -0.5 -> -0, 5.5 -> 6: ties to even */
    for (int i = 0; i < 4; i++) QCHECK_EQ(y[i], even[i], "ONNX element %d", i);
    scale = 0.25f; /* [[1.75, -0.25], [-4, 2.75]] -> [[2, 0], [-4, 3]] */
    pml_s8_qmatmul__scalar(2, 2, 3, a, 2, b, -3, &rq, y);
    const int8_t quarter[4] = {12, 10, 6, 13};
    for (int i = 0; i < 4; i++) QCHECK_EQ(y[i], quarter[i], "ONNX quarter element %d", i);
}

static void test_uint8_extremes(void) {
    /* 255 - 0 and 0 - 255 over k = 4: +-65025 * 4 = +-260100, times 1/1024 = +-254.00... */
    const uint8_t a[4] = {255, 255, 255, 255}, b[8] = {255, 0, 255, 0, 255, 0, 255, 0};
    int32_t m, s;
    pml_requant rq = fixed(1.0 / 2048, &m, &s, 128, 0, 255);
    uint8_t y[2];
    pml_u8_qmatmul__scalar(1, 2, 4, a, 0, b, 0, &rq, y);
    QCHECK_EQ(y[0], 255, "260100 / 2048 = 127.002 + 128 clamps");
    QCHECK_EQ(y[1], 128, "a zero column");
    pml_u8_qmatmul__scalar(1, 2, 4, a, 0, b, 255, &rq, y);
    QCHECK_EQ(y[0], 128, "b at its zero point");
    QCHECK_EQ(y[1], 1, "-260100 / 2048 = -127.002 -> -127 + 128");
}

int main(void) {
    test_int8_by_hand();
    test_uint8_extremes();
    return qtest_finish("test_quant_matmul");
}
