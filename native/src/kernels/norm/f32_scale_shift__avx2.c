/*
 * kernels/norm/f32_scale_shift__avx2.c — y = x * scale + shift per column with FMA,
 * masked column tail. Compiled with -mavx2 -mfma -mf16c.
 */
#include <immintrin.h>

#include "kernels/f32_common__avx2.h"
#include "kernels/norm/norm.h"

void pml_f32_scale_shift__avx2(size_t rows, size_t c, const float *x, const float *scale, const float *shift,
                                      float *y) {
    size_t cv = c & ~(size_t)7, rem = c - cv;
    __m256i m = rem ? pml_tail_mask8(rem) : _mm256_setzero_si256();
    for (size_t r = 0; r < rows; r++, x += c, y += c) {
        for (size_t j = 0; j < cv; j += 8)
            _mm256_storeu_ps(y + j, _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(scale + j),
                                                    _mm256_loadu_ps(shift + j)));
        if (rem)
            _mm256_maskstore_ps(y + cv, m,
                                _mm256_fmadd_ps(_mm256_maskload_ps(x + cv, m), _mm256_maskload_ps(scale + cv, m),
                                                _mm256_maskload_ps(shift + cv, m)));
    }
}
