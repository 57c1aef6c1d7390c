/*
 * kernels/matmul/u8s8_gemm_4x16__scalar.c — the portable u8 x s8 GEMM micro-kernel over
 * quad-packed weights (layout in s8_gemm.h): what the vpdpbusd tiles compute, in plain C, so
 * the quad packing, the +128 compensation and the driver's u8 path are tested on any CPU.
 * Sums wrap modulo 2^32 (uint32_t) like the SIMD kernels' int32 lanes.
 */
#include <string.h>

#include "kernels/matmul/s8_gemm.h"

void pml_u8s8_gemm_4x16__scalar(size_t mr, size_t nr, size_t kq, const uint8_t *a, size_t lda, const int8_t *w,
                                const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    uint32_t acc[4][PML_QS8_NR];
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < PML_QS8_NR; j++) acc[r][j] = (uint32_t)ep->bias[j];
    for (size_t q = 0; q < kq / 4; q++) {
        const int8_t *wq = w + q * 4 * PML_QS8_NR;
        for (size_t r = 0; r < mr; r++) {
            const uint8_t *ar = a + r * lda + 4 * q;
            for (size_t j = 0; j < PML_QS8_NR; j++)
                for (size_t t = 0; t < 4; t++) acc[r][j] += (uint32_t)((int32_t)ar[t] * (int32_t)wq[4 * j + t]);
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
