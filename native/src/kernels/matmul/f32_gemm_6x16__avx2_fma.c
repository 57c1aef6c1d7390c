/*
 * kernels/matmul/f32_gemm_6x16__avx2_fma.c — AVX2/FMA GEMM micro-kernels (6x16 and 1x16)
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
 * (see kernels/conv/conv_direct.c); sum_act: Conv's residual + activation epilogue.
 */
#include <immintrin.h>

#include "kernels/matmul/gemm.h"
#include "kernels/f32_act__avx2.h"

/* The epilogue of one micro-kernel call, set up once: Conv's residual (read
 * sum_offset floats away from each output element), then the activation or
 * the per-column PRelu (slopes of the tile's 16 columns in k0, k1). */
typedef struct tile_epi {
    pml_act_avx2 s;
    int prelu, has_sum, full;
    ptrdiff_t sum_offset;
    __m256i m0, m1; /* lanes of columns < nr, for the residual's loads */
    __m256 k0, k1;
} tile_epi;

static inline void tile_epi_init(tile_epi *e, const pml_activation *act, size_t nr) {
    e->prelu = act->kind == PML_ACT_PRELU;
    e->has_sum = act->has_sum;
    e->sum_offset = act->sum_offset;
    e->full = nr == 16;
    pml_act_avx2_init(&e->s, e->prelu ? NULL : act);
    /* called once per tile: set up only what this epilogue reads */
    if (e->prelu || (e->has_sum && !e->full)) {
        e->m0 = pml_mask8((int64_t)nr);
        e->m1 = pml_mask8((int64_t)nr - 8);
    } else {
        e->m0 = e->m1 = _mm256_setzero_si256();
    }
    if (e->prelu) {
        e->k0 = _mm256_maskload_ps(act->slope, e->m0);
        e->k1 = _mm256_maskload_ps(act->slope + 8, e->m1);
    } else {
        e->k0 = e->k1 = _mm256_setzero_ps();
    }
}

/* v: columns half*8 .. half*8+7 of a tile row whose output starts at c. */
static inline __attribute__((always_inline)) __m256 tile_epi8(const tile_epi *e, __m256 v, const float *c, int half) {
    if (e->has_sum) {
        const float *sp = c + e->sum_offset + half * 8;
        v = _mm256_add_ps(v, e->full ? _mm256_loadu_ps(sp) : _mm256_maskload_ps(sp, half ? e->m1 : e->m0));
    }
    if (e->prelu) /* v < 0 is false for NaN: NaN passes through unscaled */
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, half ? e->k1 : e->k0),
                                _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
    return pml_act8(&e->s, v);
}

/* One tile row (columns 0..15 in lo, hi) through the epilogue (e may be NULL)
 * into its first nr columns at c. */
static inline __attribute__((always_inline)) void store_row(float *c, __m256 lo, __m256 hi, size_t nr, const tile_epi *e) {
    if (e) {
        lo = tile_epi8(e, lo, c, 0);
        hi = tile_epi8(e, hi, c, 1);
    }
    if (nr == 16) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
    } else if (nr > 8) {
        _mm256_storeu_ps(c, lo);
        pml_store_partial8(c + 8, hi, nr - 8);
    } else {
        pml_store_partial8(c, lo, nr);
    }
}

/* The six rows of a 6x16 tile; rows beyond mr alias a real row (same C, same
 * values), so storing them again is harmless. */
#define STORE_TILE_6X16(c0, c1, c2, c3, c4, c5, nr, act)  \
    do {                                                  \
        tile_epi e_;                                      \
        const tile_epi *ep_ = NULL;                       \
        if (act) {                                        \
            tile_epi_init(&e_, act, nr);                  \
            ep_ = &e_;                                    \
        }                                                 \
        store_row(c5, v50, v51, nr, ep_);                 \
        store_row(c4, v40, v41, nr, ep_);                 \
        store_row(c3, v30, v31, nr, ep_);                 \
        store_row(c2, v20, v21, nr, ep_);                 \
        store_row(c1, v10, v11, nr, ep_);                 \
        store_row(c0, v00, v01, nr, ep_);                 \
    } while (0)

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

/* The same step for a panel whose columns 8..15 are all beyond nr (the tail
 * of Cout = 24, 40, 72...): half the loads and FMAs; v*1 keep their start. */
#define TILE_6X8_STEP(k)                                   \
    do {                                                   \
        const __m256 b0 = _mm256_load_ps(w);               \
        w += 16;                                           \
        v00 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + (k)), b0, v00); \
        v10 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + (k)), b0, v10); \
        v20 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + (k)), b0, v20); \
        v30 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + (k)), b0, v30); \
        v40 = _mm256_fmadd_ps(_mm256_broadcast_ss(a4 + (k)), b0, v40); \
        v50 = _mm256_fmadd_ps(_mm256_broadcast_ss(a5 + (k)), b0, v50); \
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

    if (nr <= 8)
        for (size_t k = 0; k < kc; k++) TILE_6X8_STEP(k);
    else
        for (size_t k = 0; k < kc; k++) TILE_6X16_STEP(k);

    STORE_TILE_6X16(c0, c1, c2, c3, c4, c5, nr, act);
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
    tile_epi e;
    if (act) tile_epi_init(&e, act, nr);
    store_row(c, _mm256_add_ps(_mm256_add_ps(lo0, lo1), _mm256_add_ps(lo2, lo3)),
              _mm256_add_ps(_mm256_add_ps(hi0, hi1), _mm256_add_ps(hi2, hi3)), nr, act ? &e : NULL);
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
        if (nr <= 8)
            for (size_t k = 0; k < seglen; k++) TILE_6X8_STEP(k);
        else
            for (size_t k = 0; k < seglen; k++) TILE_6X16_STEP(k);
    }
    float *c0 = c, *c1 = mr > 1 ? c0 + ldc : c0, *c2 = mr > 2 ? c1 + ldc : c1, *c3 = mr > 3 ? c2 + ldc : c2;
    float *c4 = mr > 4 ? c3 + ldc : c3, *c5 = mr > 5 ? c4 + ldc : c4;
    if (act && act->kind == PML_ACT_NONE && !act->has_sum) act = NULL;
    STORE_TILE_6X16(c0, c1, c2, c3, c4, c5, nr, act);
}

void pml_f32_sum_act__avx2_fma(float *y, int64_t rows, int64_t cols, int64_t ldy, const pml_activation *act) {
    /* 16-column blocks through the tile epilogue, so the residual/PRelu/
     * activation code is the micro-kernels' own */
    for (int64_t j = 0; j < cols; j += 16) {
        const size_t nr = (size_t)(cols - j < 16 ? cols - j : 16);
        pml_activation block = *act;
        if (block.slope) block.slope += j;
        tile_epi e;
        tile_epi_init(&e, &block, nr);
        for (int64_t r = 0; r < rows; r++) {
            float *c = y + r * ldy + j;
            __m256 lo, hi;
            load_c_row(nr, c, &lo, &hi);
            store_row(c, lo, hi, nr, &e);
        }
    }
}
