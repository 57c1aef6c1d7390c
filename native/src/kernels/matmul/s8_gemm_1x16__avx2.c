/*
 * kernels/matmul/s8_gemm_1x16__avx2.c — the exact int8 GEMM micro-kernel for single-row tiles
 * (a fully connected layer at batch 1, the last row of a block): the MR-row kernels would
 * compute their missing rows anyway. Same pieces as s8_gemm_tile__avx2.h.
 */
#include "kernels/matmul/s8_gemm_tile__avx2.h"

void pml_s8_gemm_1x16__avx2(size_t mr, size_t nr, size_t kp, const int16_t *a, size_t lda, const int16_t *w,
                            const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    PML_QS8_TILE_BEGIN;
    PML_QS8_ROW_INIT(0);
    for (size_t q = 0; q < kp; q += 2) {
        PML_QS8_LOAD_W;
        PML_QS8_ROW_STEP(0)
    }
    PML_QS8_STORE_RAW1
    PML_QS8_STORE_ADD1
    PML_QS8_STORE_ROWS(PML_QS8_ROWS1)
}
