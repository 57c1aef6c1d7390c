/*
 * kernels/quant/s8_qmatmul__scalar.c — the quantized matrix product of two run-time operands
 * (qmatmul.h): int32 accumulator of (a - za) (b - zb) over k (wrapping, as TFLite's int32
 * sum), then pml_requantize. int8 and uint8 (zero points taken in the operands' own range).
 */
#include "kernels/quant/qmatmul.h"

#define PML_QMATMUL(Q, T)                                                                                  \
    void pml_##Q##_qmatmul__scalar(int64_t m, int64_t n, int64_t k, const void *av, int32_t za, const void *bv, \
                                   int32_t zb, const pml_requant *rq, void *yv) {                          \
        const T *a = (const T *)av, *b = (const T *)bv;                                                    \
        T *y = (T *)yv;                                                                                    \
        for (int64_t i = 0; i < m; i++)                                                                    \
            for (int64_t j = 0; j < n; j++) {                                                              \
                uint32_t acc = 0; /* int32 arithmetic that wraps instead of overflowing */                 \
                for (int64_t p = 0; p < k; p++)                                                            \
                    acc += (uint32_t)(((int32_t)a[i * k + p] - za) * ((int32_t)b[p * n + j] - zb));        \
                y[i * n + j] = (T)pml_requantize(rq, 0, (int32_t)acc);                                     \
            }                                                                                              \
    }
PML_QMATMUL(s8, int8_t)
PML_QMATMUL(u8, uint8_t)
