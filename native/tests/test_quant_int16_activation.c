/*
 * test_quant_int16_activation.c — TFLite int16x8 LOGISTIC/TANH/SOFTMAX kernels (qsigmoid16.h,
 * qsoftmax16.h) against hand-derived values and the real functions: the sigmoid table's
 * known entries, the path each input scale takes, the fixed-point and table results over
 * every int16 input within a few steps of sigmoid/tanh in double (and their symmetries),
 * Softmax rows with known probabilities. Bit-exactness against LiteRT itself is
 * tests/ops/test_quant_int16_activations.py.
 */
#include <math.h>
#include <stdlib.h>

#include "kernels/quant/qsigmoid16.h"
#include "kernels/quant/qsoftmax16.h"
#include "quant_testutil.h"

static void test_paths_and_table(void) {
    static pml_qsigmoid16_params p;
    QCHECK(pml_qsigmoid16_params_init(&p, 0, 1.0f / 4096) == 0); /* Q3.12: gemmlowp */
    QCHECK(p.fixed_point == 1 && p.shift == 0);
    QCHECK(pml_qsigmoid16_params_init(&p, 1, 1.0f / 2048) == 0); /* tanh also doubles Q4.11 */
    QCHECK(p.fixed_point == 1 && p.shift == 1);
    QCHECK(pml_qsigmoid16_params_init(&p, 0, 1.0f / 2048) == 0); /* logistic: the table */
    /* 2^-11 * 12288 = 6, doubled 12 times to 24576 > 16383.5 */
    QCHECK(p.fixed_point == 0 && p.multiplier == 24576 && p.shift == 12);
    QCHECK_EQ(p.table[0], 32768, "sigmoid(0)");
    QCHECK_EQ(p.table[24], 47911, "sigmoid(1) * 65536 = 47910.9");
    QCHECK_EQ(p.table[255], 65535, "the saturated last entry");
    for (int i = 1; i < 256; i++) QCHECK(p.table[i] >= p.table[i - 1]);
    QCHECK(pml_qsigmoid16_params_init(&p, 0, 0.0f) == -1);
    QCHECK(pml_qsigmoid16_params_init(&p, 0, NAN) == -1);
    QCHECK(pml_qsigmoid16_output_ok(0, 1.0f / 32768, 0) && !pml_qsigmoid16_output_ok(0, 1.0f / 256, 0));
    QCHECK(!pml_qsigmoid16_output_ok(1, 1.0f / 32768, 1) && pml_qsigmoid16_output_ok(1, 1.0f / 32768, 0));
}

/* Every int16 input within tol steps of the real function; logistic(x) + logistic(-x) and
 * tanh(x) + tanh(-x) within two steps of 32768 and 0. */
static void check_sweep(int is_tanh, float scale, int tol) {
    static pml_qsigmoid16_params p;
    static int16_t x[65536], y[65536];
    QCHECK(pml_qsigmoid16_params_init(&p, is_tanh, scale) == 0);
    for (int i = 0; i < 65536; i++) x[i] = (int16_t)(i - 32768);
    pml_s16_sigmoid__scalar(65536, x, y, &p);
    int worst = 0;
    for (int i = 0; i < 65536; i++) {
        const double v = (double)scale * x[i];
        const double real = 32768.0 * (is_tanh ? tanh(v) : 1.0 / (1.0 + exp(-v)));
        const double clamped = fmin(real, 32767.0);
        const int d = (int)fabs(y[i] - clamped);
        worst = d > worst ? d : worst;
    }
    if (worst > tol) fprintf(stderr, "tanh %d scale %g: %d steps from the real function\n", is_tanh, scale, worst);
    QCHECK(worst <= tol);
    for (int i = 1; i < 65536; i++) {
        const int sym = y[i] + y[65536 - i]; /* x and -x */
        if (abs(sym - (is_tanh ? 0 : 32768)) > 2) fprintf(stderr, "tanh %d x %d: %d %d\n", is_tanh, x[i], y[i], y[65536 - i]);
        QCHECK(abs(sym - (is_tanh ? 0 : 32768)) <= 2);
    }
}

static void test_sigmoid_tanh(void) {
    QCHECK_EQ(pml_s16_logistic_q3(0), 16384, "logistic(0)");
    QCHECK_EQ(pml_s16_tanh_q3(0), 0, "tanh(0)");
    /* gemmlowp's 16-bit evaluation (exp series, three Newton steps, all rounded to 16 bits)
     * strays further than the tables: measured 6 steps for logistic, 11 for tanh */
    check_sweep(0, 1.0f / 4096, 8);
    check_sweep(1, 1.0f / 4096, 12);
    check_sweep(1, 1.0f / 2048, 12);
    check_sweep(0, 1.8296258e-4f, 4);    /* table */
    check_sweep(1, 9.0336776e-05f, 4);
    check_sweep(0, 1.0f / 2048, 4);
}

static void test_softmax(void) {
    static pml_qsoftmax16_params p;
    QCHECK(pml_qsoftmax16_params_init(&p, 1.0f / 4096, 1.0f) == 0);
    int16_t x[8] = {100, 100}, y[8];
    pml_s16_softmax__scalar(2, x, y, &p);
    QCHECK(abs(y[0] - 16384) <= 2 && y[0] == y[1]);
    const int16_t far[2] = {0, -32768}; /* exp(-8) = 0.00034: 11 steps */
    pml_s16_softmax__scalar(2, far, y, &p);
    QCHECK(abs(y[0] - 32756) <= 3 && abs(y[1] - 11) <= 3);
    for (int n = 1; n <= 8; n++) {
        int16_t row[8];
        double sum = 0;
        for (int i = 0; i < n; i++) row[i] = (int16_t)qrand_range(-8000, 8000);
        int16_t m = row[0];
        for (int i = 1; i < n; i++) m = row[i] > m ? row[i] : m;
        for (int i = 0; i < n; i++) sum += exp((row[i] - m) / 4096.0);
        pml_s16_softmax__scalar((size_t)n, row, y, &p);
        for (int i = 0; i < n; i++) {
            const double want = fmin(32768.0 * exp((row[i] - m) / 4096.0) / sum, 32767.0);
            QCHECK(fabs(y[i] - want) <= 24); /* the 513-entry exp table's interpolation error */
        }
    }
    QCHECK(pml_qsoftmax16_params_init(&p, 0.0f, 1.0f) == -1);
}

int main(void) {
    test_paths_and_table();
    test_sigmoid_tanh();
    test_softmax();
    return qtest_finish("test_quant_int16_activation");
}
