/*
 * kernels/matmul/s8_gemm_6x16__avx2.c — the exact int8 GEMM micro-kernel, 6 rows x 16
 * columns, AVX2 without VNNI (sign-extended int16 operands through vpmaddwd; the body and
 * its rationale are in s8_gemm_tile__avx2.h).
 */
#include "kernels/matmul/s8_gemm_tile__avx2.h"

void pml_s8_gemm_6x16__avx2(size_t mr, size_t nr, size_t kp, const int16_t *a, size_t lda, const int16_t *w,
                              const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    pml_qs8_gemm_tile__avx2(6, mr, nr, kp, a, lda, w, ep, c, ldc);
}
