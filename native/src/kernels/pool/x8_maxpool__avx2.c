/*
 * kernels/pool/x8_maxpool__avx2.c — MaxPool on int8 and uint8 (NHWC) in AVX2: per output
 * pixel, the window's real taps (pml_window_taps) folded with vpmaxsb / vpmaxub over 32
 * channels at a time, then 16, then the tail as the last 16 channels again (an overlapping
 * vector: the channels it repeats get the same value; BlazeFace's 28, 42, 88), scalar only
 * below 16 channels. The maximum is one of the inputs, so this
 * is exact whatever the quantization (MaxPool keeps its input's parameters). The Indices
 * variant, the average and Lp slots stay the scalar table's.
 */
#include <immintrin.h>

#include "kernels/pool/pool_typed.h"

#define X8_MAXPOOL(NAME, T, MAX256, MAX128)                                                                        \
    static void NAME(const pml_pool_geom *g, const void *xv, void *yv, int64_t row0, int64_t row1) {              \
        const T *x = (const T *)xv;                                                                                 \
        T *y = (T *)yv;                                                                                             \
        const int64_t C = g->c;                                                                                     \
        for (int64_t row = row0; row < row1; row++) {                                                               \
            const int64_t n = row / g->oh, oh = row % g->oh, ih0 = oh * g->sh - g->pt;                              \
            int64_t kh0, kh1;                                                                                       \
            pml_window_taps(ih0, g->dh, g->kh, g->h, &kh0, &kh1);                                                   \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                                                \
                const int64_t iw0 = ow * g->sw - g->pl;                                                             \
                int64_t kw0, kw1;                                                                                   \
                pml_window_taps(iw0, g->dw, g->kw, g->w, &kw0, &kw1);                                               \
                const T *first = x + ((n * g->h + ih0 + kh0 * g->dh) * g->w + iw0 + kw0 * g->dw) * C;               \
                T *yp = y + (row * g->ow + ow) * C;                                                                 \
                int64_t c = 0;                                                                                      \
                for (; c + 32 <= C; c += 32) {                                                                      \
                    __m256i m = _mm256_loadu_si256((const __m256i *)(first + c));                                   \
                    for (int64_t kh = kh0; kh < kh1; kh++)                                                          \
                        for (int64_t kw = kw0; kw < kw1; kw++) {                                                    \
                            const T *p = x + ((n * g->h + ih0 + kh * g->dh) * g->w + iw0 + kw * g->dw) * C + c;     \
                            m = MAX256(m, _mm256_loadu_si256((const __m256i *)p));                                  \
                        }                                                                                           \
                    _mm256_storeu_si256((__m256i *)(yp + c), m);                                                    \
                }                                                                                                   \
                for (; c < C && C >= 16; c += 16) {                                                                 \
                    if (c + 16 > C) c = C - 16; /* the tail: the last 16 channels, overlapping */                  \
                    __m128i m = _mm_loadu_si128((const __m128i *)(first + c));                                      \
                    for (int64_t kh = kh0; kh < kh1; kh++)                                                          \
                        for (int64_t kw = kw0; kw < kw1; kw++) {                                                    \
                            const T *p = x + ((n * g->h + ih0 + kh * g->dh) * g->w + iw0 + kw * g->dw) * C + c;     \
                            m = MAX128(m, _mm_loadu_si128((const __m128i *)p));                                     \
                        }                                                                                           \
                    _mm_storeu_si128((__m128i *)(yp + c), m);                                                       \
                }                                                                                                   \
                for (; c < C; c++) {                                                                                \
                    T m = first[c];                                                                                 \
                    for (int64_t kh = kh0; kh < kh1; kh++)                                                          \
                        for (int64_t kw = kw0; kw < kw1; kw++) {                                                    \
                            const T v = x[((n * g->h + ih0 + kh * g->dh) * g->w + iw0 + kw * g->dw) * C + c];       \
                            m = v > m ? v : m;                                                                      \
                        }                                                                                           \
                    yp[c] = m;                                                                                      \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

X8_MAXPOOL(s8_maxpool, int8_t, _mm256_max_epi8, _mm_max_epi8)
X8_MAXPOOL(u8_maxpool, uint8_t, _mm256_max_epu8, _mm_max_epu8)

/* the Indices variants: the scalar tables' (not constant expressions, so called through) */
static void s8_maxpool_idx(const pml_pool_geom *g, const void *x, void *y, int64_t *idx, int64_t row0, int64_t row1) {
    pml_s8_pool_typed__scalar.maxpool_idx(g, x, y, idx, row0, row1);
}
static void u8_maxpool_idx(const pml_pool_geom *g, const void *x, void *y, int64_t *idx, int64_t row0, int64_t row1) {
    pml_u8_pool_typed__scalar.maxpool_idx(g, x, y, idx, row0, row1);
}

const pml_pool_typed pml_s8_pool_typed__avx2 = {s8_maxpool, NULL, NULL, s8_maxpool_idx, NULL};
const pml_pool_typed pml_u8_pool_typed__avx2 = {u8_maxpool, NULL, NULL, u8_maxpool_idx, NULL};
