/*
 * kernels/quant/s16_qmatmul__scalar.c — TFLite int16x8 BATCH_MATMUL of two int16 activations
 * (qmatmul.h): int64 accumulator of (a - za) (b - zb) over k (TFLite requires the zero points
 * to be 0; they are honoured anyway), then the int64 requantization of the int16x8 kernels.
 */
#include "kernels/quant/qmatmul.h"

void pml_s16_qmatmul__scalar(int64_t m, int64_t n, int64_t k, const void *av, int32_t za, const void *bv, int32_t zb,
                             const pml_requant *rq, void *yv) {
    const int16_t *a = (const int16_t *)av, *b = (const int16_t *)bv;
    int16_t *y = (int16_t *)yv;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            int64_t acc = 0; /* |term| < 2^32: 2^31 of them before int64 could overflow */
            for (int64_t p = 0; p < k; p++)
                acc += ((int64_t)a[i * k + p] - za) * ((int64_t)b[p * n + j] - zb);
            y[i * n + j] = (int16_t)pml_requantize_s64(rq, 0, acc);
        }
}
