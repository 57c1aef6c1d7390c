/*
 * kernels/conv/f32_conv_4x16__scalar.c — the scalar configuration's 4x16
 * implicit-GEMM conv tile (the portable twin of the 6x16 AVX2/FMA tile, same
 * contract: pml_f32_conv_ukernel in kernels/matmul/gemm.h). Plain C.
 */
#include "kernels/conv/conv.h"
#include "kernels/matmul/gemm.h"

void pml_f32_conv_4x16__scalar(size_t mr, size_t nr, size_t nseg, size_t seglen, const float *const *rows,
                               const int64_t *row_stride, const float *w, const float *init, float *c, size_t ldc,
                               const pml_activation *act) {
    float acc[4][PML_GEMM_NR];
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < PML_GEMM_NR; j++) acc[r][j] = init[j];
    for (size_t s = 0; s < nseg; s++)
        for (size_t kk = 0; kk < seglen; kk++) {
            const float *wk = w + (s * seglen + kk) * PML_GEMM_NR;
            for (size_t r = 0; r < mr; r++) {
                const float ar = rows[r][(int64_t)s * row_stride[r] + (int64_t)kk];
                for (size_t j = 0; j < PML_GEMM_NR; j++) acc[r][j] += ar * wk[j];
            }
        }
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nr; j++)
            c[r * ldc + j] = act ? pml_epilogue_scalar(act, acc[r][j], &c[r * ldc + j], j) : acc[r][j];
}
