/*
 * kernels/f32_gemm_6x16_avx2.c — AVX2/FMA GEMM micro-kernels (6x16 and 1x16)
 * and the bias+activation epilogue pass.
 *
 * 6x16: twelve ymm accumulators (6 rows x 2 vectors of 8 columns), two for
 * the B row and one for the A broadcast: 15 of 16 registers. Per k: 2 aligned
 * loads of the packed panel row (one 64-byte line), 6 broadcasts, 12 FMAs;
 * Zen 3 / Haswell+ retire 2 FMAs per cycle with 4-5 cycles latency, so 12
 * independent chains keep both FMA pipes busy.
 * Rows beyond mr alias the last valid row (same A row, same C row): they
 * compute identical values and store them to the same place, so one kernel
 * serves every mr <= 6 without tail code. Columns beyond nr go through a
 * masked load/store and are never touched in C.
 *
 * 1x16: four k-interleaved accumulator pairs hide the FMA latency when only
 * one row is available (GEMV-like shapes: batch-1 fully connected layers).
 *
 * conv 6x16: the same tile with A rows gathered from conv patches in place
 * (see kernels/conv_direct.c); sum_act: Conv's residual + activation epilogue.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "gemm.h"
#include "gemm_act_avx2.h"

/* Applies the activation (if any) to an mr x 16 tile in registers' image and
 * stores its first nr columns to C. */
static inline void store_tile(size_t mr, size_t nr, __m256 *v, float *c, size_t ldc, const pml_activation *act) {
    if (act) {
        pml_act_avx2 s;
        pml_act_avx2_init(&s, act);
        for (size_t i = 0; i < 2 * mr; i++) v[i] = pml_act8(&s, v[i]);
    }
    if (nr == 16) {
        for (size_t r = 0; r < mr; r++) {
            _mm256_storeu_ps(c + r * ldc, v[2 * r]);
            _mm256_storeu_ps(c + r * ldc + 8, v[2 * r + 1]);
        }
    } else {
        const __m256i m0 = pml_mask8((int64_t)nr), m1 = pml_mask8((int64_t)nr - 8);
        for (size_t r = 0; r < mr; r++) {
            _mm256_maskstore_ps(c + r * ldc, m0, v[2 * r]);
            _mm256_maskstore_ps(c + r * ldc + 8, m1, v[2 * r + 1]);
        }
    }
}

static inline void load_c_row(size_t nr, const float *c, __m256 *lo, __m256 *hi) {
    if (nr == 16) {
        *lo = _mm256_loadu_ps(c);
        *hi = _mm256_loadu_ps(c + 8);
    } else {
        *lo = _mm256_maskload_ps(c, pml_mask8((int64_t)nr));
        *hi = _mm256_maskload_ps(c + 8, pml_mask8((int64_t)nr - 8));
    }
}

/* One k step of the 6x16 tile: the packed B row at w (advanced by 16), the A
 * element k of rows a0..a5 broadcast, 12 FMAs into v00..v51 (all locals of
 * the kernel using it). */
#define TILE_6X16_STEP(k)                                  \
    do {                                                   \
        const __m256 b0 = _mm256_load_ps(w);               \
        const __m256 b1 = _mm256_load_ps(w + 8);           \
        w += 16;                                           \
        __m256 va = _mm256_broadcast_ss(a0 + (k));         \
        v00 = _mm256_fmadd_ps(va, b0, v00);                \
        v01 = _mm256_fmadd_ps(va, b1, v01);                \
        va = _mm256_broadcast_ss(a1 + (k));                \
        v10 = _mm256_fmadd_ps(va, b0, v10);                \
        v11 = _mm256_fmadd_ps(va, b1, v11);                \
        va = _mm256_broadcast_ss(a2 + (k));                \
        v20 = _mm256_fmadd_ps(va, b0, v20);                \
        v21 = _mm256_fmadd_ps(va, b1, v21);                \
        va = _mm256_broadcast_ss(a3 + (k));                \
        v30 = _mm256_fmadd_ps(va, b0, v30);                \
        v31 = _mm256_fmadd_ps(va, b1, v31);                \
        va = _mm256_broadcast_ss(a4 + (k));                \
        v40 = _mm256_fmadd_ps(va, b0, v40);                \
        v41 = _mm256_fmadd_ps(va, b1, v41);                \
        va = _mm256_broadcast_ss(a5 + (k));                \
        v50 = _mm256_fmadd_ps(va, b0, v50);                \
        v51 = _mm256_fmadd_ps(va, b1, v51);                \
    } while (0)

void pml_f32_gemm_6x16__avx2_fma(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                 const float *init, float *c, size_t ldc, const pml_activation *act) {
    const float *a0 = a, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda, *a4 = a3 + lda, *a5 = a4 + lda;
    float *c0 = c, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc, *c4 = c3 + ldc, *c5 = c4 + ldc;
    if (mr < 2) a1 = a0, c1 = c0;
    if (mr < 3) a2 = a1, c2 = c1;
    if (mr < 4) a3 = a2, c3 = c2;
    if (mr < 5) a4 = a3, c4 = c3;
    if (mr < 6) a5 = a4, c5 = c4;

    __m256 v00, v01, v10, v11, v20, v21, v30, v31, v40, v41, v50, v51;
    if (init) {
        v00 = _mm256_load_ps(init);
        v01 = _mm256_load_ps(init + 8);
        v10 = v20 = v30 = v40 = v50 = v00;
        v11 = v21 = v31 = v41 = v51 = v01;
    } else {
        load_c_row(nr, c0, &v00, &v01);
        load_c_row(nr, c1, &v10, &v11);
        load_c_row(nr, c2, &v20, &v21);
        load_c_row(nr, c3, &v30, &v31);
        load_c_row(nr, c4, &v40, &v41);
        load_c_row(nr, c5, &v50, &v51);
    }

    for (size_t k = 0; k < kc; k++) {
        TILE_6X16_STEP(k);
    }

    /* aliased rows (mr < 6) hold the same values as the row they alias, so
     * storing them again is harmless */
    if (!act && nr == 16) {
        _mm256_storeu_ps(c5, v50), _mm256_storeu_ps(c5 + 8, v51);
        _mm256_storeu_ps(c4, v40), _mm256_storeu_ps(c4 + 8, v41);
        _mm256_storeu_ps(c3, v30), _mm256_storeu_ps(c3 + 8, v31);
        _mm256_storeu_ps(c2, v20), _mm256_storeu_ps(c2 + 8, v21);
        _mm256_storeu_ps(c1, v10), _mm256_storeu_ps(c1 + 8, v11);
        _mm256_storeu_ps(c0, v00), _mm256_storeu_ps(c0 + 8, v01);
        return;
    }
    __m256 v[12] = {v00, v01, v10, v11, v20, v21, v30, v31, v40, v41, v50, v51};
    /* v[2r], v[2r+1] is real row r for r < mr */
    store_tile(mr, nr, v, c, ldc, act);
}

void pml_f32_gemm_1x16__avx2_fma(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                 const float *init, float *c, size_t ldc, const pml_activation *act) {
    (void)mr, (void)lda, (void)ldc;
    __m256 lo0, hi0;
    if (init) {
        lo0 = _mm256_load_ps(init);
        hi0 = _mm256_load_ps(init + 8);
    } else {
        load_c_row(nr, c, &lo0, &hi0);
    }
    __m256 lo1 = _mm256_setzero_ps(), hi1 = lo1, lo2 = lo1, hi2 = lo1, lo3 = lo1, hi3 = lo1;
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, w += 64) {
        lo0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_load_ps(w), lo0);
        hi0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_load_ps(w + 8), hi0);
        lo1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 1), _mm256_load_ps(w + 16), lo1);
        hi1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 1), _mm256_load_ps(w + 24), hi1);
        lo2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 2), _mm256_load_ps(w + 32), lo2);
        hi2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 2), _mm256_load_ps(w + 40), hi2);
        lo3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 3), _mm256_load_ps(w + 48), lo3);
        hi3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 3), _mm256_load_ps(w + 56), hi3);
    }
    for (; k < kc; k++, w += 16) {
        lo0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_load_ps(w), lo0);
        hi0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_load_ps(w + 8), hi0);
    }
    __m256 v[2] = {_mm256_add_ps(_mm256_add_ps(lo0, lo1), _mm256_add_ps(lo2, lo3)),
                   _mm256_add_ps(_mm256_add_ps(hi0, hi1), _mm256_add_ps(hi2, hi3))};
    store_tile(1, nr, v, c, 0, act);
}

void pml_f32_bias_act__avx2_fma(float *y, int64_t rows, int64_t cols, int64_t ldy, const float *bias,
                                const pml_activation *act) {
    pml_act_avx2 s;
    pml_act_avx2_init(&s, act);
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ldy;
        int64_t j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 v = _mm256_loadu_ps(yr + j);
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
            _mm256_storeu_ps(yr + j, pml_act8(&s, v));
        }
        if (j < cols) {
            const __m256i m = pml_mask8(cols - j);
            __m256 v = _mm256_maskload_ps(yr + j, m);
            if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + j, m));
            _mm256_maskstore_ps(yr + j, m, pml_act8(&s, v));
        }
    }
}

/* Implicit-GEMM conv tile: like the 6x16 GEMM kernel, but row r of A is not
 * one contiguous run: it is nseg segments of seglen floats, segment s at
 * rows[r] + s * row_stride[r] (a conv patch: one segment per kernel row,
 * read straight from the NHWC input, or from a zero-padded copy at borders). */
void pml_f32_conv_6x16__avx2_fma(size_t mr, size_t nr, size_t nseg, size_t seglen, const float *const *rows,
                                 const int64_t *row_stride, const float *w, const float *init, float *c, size_t ldc,
                                 const pml_activation *act) {
    const float *a[6];
    int64_t st[6];
    for (size_t r = 0; r < 6; r++) {
        const size_t q = r < mr ? r : mr - 1; /* rows beyond mr alias the last real row */
        a[r] = rows[q], st[r] = row_stride[q];
    }
    __m256 v00 = _mm256_load_ps(init), v01 = _mm256_load_ps(init + 8);
    __m256 v10 = v00, v11 = v01, v20 = v00, v21 = v01, v30 = v00, v31 = v01, v40 = v00, v41 = v01, v50 = v00,
           v51 = v01;
    for (size_t s = 0; s < nseg; s++) {
        const float *a0 = a[0] + (int64_t)s * st[0], *a1 = a[1] + (int64_t)s * st[1], *a2 = a[2] + (int64_t)s * st[2];
        const float *a3 = a[3] + (int64_t)s * st[3], *a4 = a[4] + (int64_t)s * st[4], *a5 = a[5] + (int64_t)s * st[5];
        for (size_t k = 0; k < seglen; k++) {
            TILE_6X16_STEP(k);
        }
    }
    __m256 v[12] = {v00, v01, v10, v11, v20, v21, v30, v31, v40, v41, v50, v51};
    store_tile(mr, nr, v, c, ldc, act && act->kind != PML_ACT_NONE ? act : NULL);
}

void pml_f32_sum_act__avx2_fma(float *y, int64_t rows, int64_t cols, int64_t ldy, const float *sum, int64_t lds,
                               const pml_activation *act) {
    const int prelu = act->kind == PML_ACT_PRELU;
    pml_act_avx2 s;
    pml_act_avx2_init(&s, prelu ? NULL : act);
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ldy;
        const float *sr = sum ? sum + r * lds : NULL;
        for (int64_t j = 0; j < cols; j += 8) {
            const int full = j + 8 <= cols;
            const __m256i m = full ? _mm256_set1_epi32(-1) : pml_mask8(cols - j);
            __m256 v = full ? _mm256_loadu_ps(yr + j) : _mm256_maskload_ps(yr + j, m);
            if (sr) v = _mm256_add_ps(v, full ? _mm256_loadu_ps(sr + j) : _mm256_maskload_ps(sr + j, m));
            if (prelu) {
                /* v < 0 is false for NaN: NaN passes through unscaled */
                const __m256 k = full ? _mm256_loadu_ps(act->slope + j) : _mm256_maskload_ps(act->slope + j, m);
                v = _mm256_blendv_ps(v, _mm256_mul_ps(v, k), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
            } else {
                v = pml_act8(&s, v);
            }
            if (full) _mm256_storeu_ps(yr + j, v);
            else _mm256_maskstore_ps(yr + j, m, v);
        }
    }
}
#endif
