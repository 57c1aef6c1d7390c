/*
 * kernels/matmul/s8_gemm_ref.c — naive references of the int8 GEMM (the oracles of the
 * packed kernels and the definition of what they compute): one output at a time, zero
 * points subtracted inside the sum, then pml_requantize. Sums are kept in uint32_t so they
 * wrap modulo 2^32 (defined behaviour) as an int32 accumulator would; the int16x8 variant
 * mirrors TFLite's int64 accumulator and int64 requantization.
 */
#include "kernels/matmul/s8_gemm.h"

void pml_qs8_gemm_ref(int64_t m, int64_t n, int64_t k, const int8_t *a, int64_t lda, const int8_t *w,
                      int64_t stride_k, int64_t stride_n, const pml_qs8_quant *q, void *y, int64_t ldy) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            const int32_t zw = q->w_zero_point ? q->w_zero_point[q->w_zp_per_channel ? j : 0] : 0;
            uint32_t acc = q->bias ? (uint32_t)q->bias[j] : 0u;
            for (int64_t kk = 0; kk < k; kk++) {
                const int32_t av = (int32_t)a[i * lda + kk] - q->a_zero_point;
                const int32_t wv = (int32_t)w[kk * stride_k + j * stride_n] - zw;
                acc += (uint32_t)(av * wv);
            }
            pml_qs8_store(q->out_dtype, y, i * ldy + j, pml_requantize(&q->rq, (size_t)j, (int32_t)acc));
        }
}

void pml_qs16_gemm_ref(int64_t m, int64_t n, int64_t k, const int16_t *a, int64_t lda, const int8_t *w,
                       int64_t stride_k, int64_t stride_n, const int64_t *bias, const pml_requant *rq, int16_t *y,
                       int64_t ldy) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            int64_t acc = 0;
            for (int64_t kk = 0; kk < k; kk++) acc += (int64_t)a[i * lda + kk] * (int64_t)w[kk * stride_k + j * stride_n];
            if (bias) acc += bias[j];
            y[i * ldy + j] = (int16_t)pml_requantize_s64(rq, (size_t)j, acc);
        }
}
