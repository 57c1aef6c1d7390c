/*
 * quant_testutil.h — helpers of the quantized kernel tests (test_quant_*.c): a deterministic
 * random byte source, and the comparison of an integer result with a real-valued closed
 * form: within one step everywhere, and exactly equal wherever the real value is not close
 * to a rounding tie (double rounding and float evaluation can only move a result across a
 * tie, never elsewhere).
 */
#ifndef PML_QUANT_TESTUTIL_H
#define PML_QUANT_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

static int g_qfail = 0, g_qchecks = 0;

#define QCHECK(cond)                                                                   \
    do {                                                                               \
        g_qchecks++;                                                                   \
        if (!(cond)) {                                                                 \
            g_qfail++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

/* CHECK that got == want, printing both and a context line when not. */
#define QCHECK_EQ(got, want, ...)                                                             \
    do {                                                                                      \
        g_qchecks++;                                                                          \
        long long _g = (long long)(got), _w = (long long)(want);                              \
        if (_g != _w) {                                                                       \
            g_qfail++;                                                                        \
            fprintf(stderr, "%s:%d: %s = %lld, want %lld: ", __FILE__, __LINE__, #got, _g, _w); \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fprintf(stderr, "\n");                                                            \
        }                                                                                     \
    } while (0)

static int qtest_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, g_qchecks - g_qfail, g_qfail);
    return g_qfail ? 1 : 0;
}

static uint64_t g_qrng = 0x243F6A8885A308D3ull;
static uint32_t qrand_u32(void) {
    g_qrng ^= g_qrng << 13;
    g_qrng ^= g_qrng >> 7;
    g_qrng ^= g_qrng << 17;
    return (uint32_t)(g_qrng >> 16);
}
static int32_t qrand_range(int32_t lo, int32_t hi) { return lo + (int32_t)(qrand_u32() % (uint32_t)(hi - lo + 1)); }
static double qrand_unit(void) { return (double)(qrand_u32() & 0xFFFFFF) / (double)0x1000000; }

/* Distance of v from the nearest x.5 tie. */
static double qtie_distance(double v) {
    double f = v - floor(v);
    return fabs(f - 0.5);
}

/* Check an integer result against the real value v (already including the zero point),
 * clamped to [lo, hi]: |got - round(v)| <= 1, and got == round(v) when v is farther than
 * tie_eps from a tie. Returns 1 when it held. */
static int qcheck_near(long long got, double v, long long lo, long long hi, double tie_eps) {
    double c = v < (double)lo ? (double)lo : (v > (double)hi ? (double)hi : v);
    long long want = (long long)floor(c + 0.5);
    long long d = got > want ? got - want : want - got;
    g_qchecks++;
    if (d > 1 || (d == 1 && qtie_distance(c) > tie_eps)) {
        g_qfail++;
        return 0;
    }
    return 1;
}

#endif /* PML_QUANT_TESTUTIL_H */
