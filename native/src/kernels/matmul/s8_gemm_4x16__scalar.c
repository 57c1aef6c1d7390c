/*
 * kernels/matmul/s8_gemm_4x16__scalar.c — the scalar configuration's int8 GEMM: the portable
 * 4x16 micro-kernel over packed int16 k-pairs (layout in s8_gemm.h) with the requantization
 * in its epilogue, and the int8 -> int16 widening of A. Sums wrap modulo 2^32 (uint32_t)
 * like the int32 accumulators of the references and of the SIMD kernels.
 */
#include <string.h>

#include "kernels/matmul/s8_gemm.h"

void pml_s8_gemm_4x16__scalar(size_t mr, size_t nr, size_t kp, const int16_t *a, size_t lda, const int16_t *w,
                              const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    uint32_t acc[4][PML_QS8_NR];
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < PML_QS8_NR; j++) acc[r][j] = (uint32_t)ep->bias[j];
    for (size_t q = 0; q < kp / 2; q++) {
        const int16_t *wq = w + q * 2 * PML_QS8_NR;
        for (size_t r = 0; r < mr; r++) {
            const int32_t a0 = a[r * lda + 2 * q], a1 = a[r * lda + 2 * q + 1];
            for (size_t j = 0; j < PML_QS8_NR; j++) {
                const int16_t *wj = wq + (j / 8) * 16 + (j % 8) * 2;
                acc[r][j] += (uint32_t)(a0 * wj[0]) + (uint32_t)(a1 * wj[1]);
            }
        }
    }
    if (ep->raw) { /* the int32 accumulators, for the driver's dense store */
        for (size_t r = 0; r < mr; r++) memcpy(c + r * ldc, acc[r], nr * sizeof(int32_t));
        return;
    }
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nr; j++)
            c[r * ldc + j] = (uint8_t)pml_qs8_epilogue_scalar(ep, j, (int32_t)acc[r][j], c + r * ldc + j);
}

void pml_s8_widen__scalar(size_t n, const int8_t *x, int16_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = x[i];
}
