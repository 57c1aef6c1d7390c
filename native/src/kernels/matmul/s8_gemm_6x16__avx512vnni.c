/*
 * kernels/matmul/s8_gemm_6x16__avx512vnni.c — the exact int8 GEMM micro-kernel for
 * 6 rows x 16 columns, AVX-512 VNNI (vpdpwssd on the AVX2 tiles' int16 packing; the pieces and their
 * rationale are in s8_gemm_tile__avx512vnni.h).
 */
#include "kernels/matmul/s8_gemm_tile__avx512vnni.h"

void pml_s8_gemm_6x16__avx512vnni(size_t mr, size_t nr, size_t kp, const int16_t *a, size_t lda, const int16_t *w,
                                  const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    PML_QS8_VNNI_TILE_BEGIN;
    PML_QS8_VNNI_ROW_INIT(0);
    PML_QS8_VNNI_ROW_INIT(1);
    PML_QS8_VNNI_ROW_INIT(2);
    PML_QS8_VNNI_ROW_INIT(3);
    PML_QS8_VNNI_ROW_INIT(4);
    PML_QS8_VNNI_ROW_INIT(5);
    for (size_t q = 0; q < kp; q += 2) {
        PML_QS8_VNNI_LOAD_W;
        PML_QS8_VNNI_ROW_STEP(0)
        PML_QS8_VNNI_ROW_STEP(1)
        PML_QS8_VNNI_ROW_STEP(2)
        PML_QS8_VNNI_ROW_STEP(3)
        PML_QS8_VNNI_ROW_STEP(4)
        PML_QS8_VNNI_ROW_STEP(5)
    }
    PML_QS8_VNNI_STORE_RAW6
    PML_QS8_VNNI_STORE6;
}
