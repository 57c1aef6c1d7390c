/*
 * kernels/matmul/f32_gemm_4x16__scalar.c — scalar GEMM code: the naive reference GEMM (the
 * oracle and scalar_only kernel of MatMul/Gemm), and the portable 4x16
 * micro-kernel and bias+activation epilogue that the blocked driver uses on
 * CPUs without AVX2/FMA (plain C the compiler may auto-vectorise).
 */
#include "kernels/matmul/gemm.h"

void pml_f32_gemm_ref(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda_m, int64_t lda_k,
                      const float *b, int64_t ldb_k, int64_t ldb_n, float alpha, const float *bias, int accumulate,
                      float *c, int64_t ldc, const pml_activation *act) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float sum = 0.0f;
            for (int64_t kk = 0; kk < k; kk++) sum += a[i * lda_m + kk * lda_k] * b[kk * ldb_k + j * ldb_n];
            float init = accumulate ? c[i * ldc + j] : (bias ? bias[j] : 0.0f);
            const float v = init + alpha * sum;
            c[i * ldc + j] = act ? pml_activation_scalar(act, v) : v;
        }
}

void pml_f32_gemm_4x16__scalar(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                               const float *init, float *c, size_t ldc, const pml_activation *act) {
    float acc[4][PML_GEMM_NR];
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < PML_GEMM_NR; j++)
            acc[r][j] = init ? init[j] : (j < nr ? c[r * ldc + j] : 0.0f);
    for (size_t kk = 0; kk < kc; kk++) {
        const float *wk = w + kk * PML_GEMM_NR;
        for (size_t r = 0; r < mr; r++) {
            const float ar = a[r * lda + kk];
            for (size_t j = 0; j < PML_GEMM_NR; j++) acc[r][j] += ar * wk[j];
        }
    }
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nr; j++)
            c[r * ldc + j] = act ? pml_epilogue_scalar(act, acc[r][j], &c[r * ldc + j], j) : acc[r][j];
}

void pml_f32_bias_act__scalar(float *y, int64_t rows, int64_t cols, int64_t ldy, const float *bias,
                              const pml_activation *act) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) {
            float v = y[r * ldy + j] + (bias ? bias[j] : 0.0f);
            y[r * ldy + j] = act ? pml_activation_scalar(act, v) : v;
        }
}

void pml_f32_sum_act__scalar(float *y, int64_t rows, int64_t cols, int64_t ldy, const pml_activation *act) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) y[r * ldy + j] = pml_epilogue_scalar(act, y[r * ldy + j], &y[r * ldy + j], (size_t)j);
}
