/*
 * kernels/tensor/x32_transpose_8x8__avx2.c — 2-D transpose of 4-byte elements with AVX2: full 8x8
 * blocks are transposed in registers (unpack/shuffle/permute), edges of the
 * matrix that do not fill a block fall back to element copies. Blocks are
 * visited in 32-row x 32-column tiles like the scalar kernel.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/tensor/transpose.h"

static inline void transpose8x8(const float *x, size_t ldx, float *y, size_t ldy) {
    __m256 r0 = _mm256_loadu_ps(x + 0 * ldx), r1 = _mm256_loadu_ps(x + 1 * ldx);
    __m256 r2 = _mm256_loadu_ps(x + 2 * ldx), r3 = _mm256_loadu_ps(x + 3 * ldx);
    __m256 r4 = _mm256_loadu_ps(x + 4 * ldx), r5 = _mm256_loadu_ps(x + 5 * ldx);
    __m256 r6 = _mm256_loadu_ps(x + 6 * ldx), r7 = _mm256_loadu_ps(x + 7 * ldx);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(y + 0 * ldy, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(y + 1 * ldy, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(y + 2 * ldy, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(y + 3 * ldy, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(y + 4 * ldy, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(y + 5 * ldy, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(y + 6 * ldy, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(y + 7 * ldy, _mm256_permute2f128_ps(s3, s7, 0x31));
}

void pml_x32_transpose2d__avx2(size_t rows, size_t cols, size_t r0, size_t r1, const void *xv, void *yv) {
    /* moved as float bit patterns: unpack/shuffle never alter the bits */
    const float *x = (const float *)xv;
    float *y = (float *)yv;
    const uint32_t *xi = (const uint32_t *)xv; /* edges copy integers: bit-exact for any payload */
    uint32_t *yi = (uint32_t *)yv;
    for (size_t rb = r0; rb < r1; rb += 32) {
        size_t re = rb + 32 < r1 ? rb + 32 : r1;
        for (size_t cb = 0; cb < cols; cb += 32) {
            size_t ce = cb + 32 < cols ? cb + 32 : cols;
            size_t r = rb;
            for (; r + 8 <= re; r += 8) {
                size_t c = cb;
                for (; c + 8 <= ce; c += 8) transpose8x8(x + r * cols + c, cols, y + c * rows + r, rows);
                for (; c < ce; c++)
                    for (size_t k = r; k < r + 8; k++) yi[c * rows + k] = xi[k * cols + c];
            }
            for (; r < re; r++)
                for (size_t c = cb; c < ce; c++) yi[c * rows + r] = xi[r * cols + c];
        }
    }
}
