/*
 * kernels/pool/pool_typed__scalar.c — MaxPool and AveragePool on every dtype they take
 * (contracts in kernels/pool/pool_typed.h), each written once as a macro template over
 * (T, compute type V, load, store) and instantiated per dtype. The maximum is one of the
 * window's elements, so it is stored as it was read (float16 needs no rounding); a float
 * NaN wins as in the float32 kernels. The average and the Lp norm share one sum-pool
 * template: the average sums in V (float32 for float16), divides by the window's count
 * (pml_pool_avg_count's rule) and rounds once; LpPool sums |x|^p in float32 and takes
 * the 1/p-th power, rounding once. MaxPool's Indices output comes from the same max template;
 * MaxUnpool's scatter moves elements by size.
 * infer guarantees every window has at least one real tap.
 */
#include <math.h>

#include "kernels/pool/pool_typed.h"

/* The max pool with, when idx is not NULL, the position of each maximum as its flat index into the
 * NCHW input (pml_pool_index): the first maximum of the window in row-major tap order, or its first
 * NaN, which is also the value stored. */
#define PML_MAXPOOL_IDX(NAME, T, V, LOAD)                                                                            \
    static void NAME##_maxpool_idx(const pml_pool_geom *g, const void *xv, void *yv, int64_t *idx, int64_t row0,    \
                                   int64_t row1) {                                                                  \
        const T *x = (const T *)xv;                                                                                   \
        T *y = (T *)yv;                                                                                               \
        for (int64_t row = row0; row < row1; row++) {                                                                 \
            const int64_t n = row / g->oh, oh = row % g->oh;                                                          \
            int64_t kh0, kh1;                                                                                         \
            pml_window_taps(oh * g->sh - g->pt, g->dh, g->kh, g->h, &kh0, &kh1);                                      \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                                                  \
                int64_t kw0, kw1;                                                                                     \
                pml_window_taps(ow * g->sw - g->pl, g->dw, g->kw, g->w, &kw0, &kw1);                                  \
                for (int64_t c = 0; c < g->c; c++) {                                                                  \
                    T best = 0;                                                                                       \
                    V bv = 0;                                                                                         \
                    int64_t bh = 0, bw = 0;                                                                           \
                    int first = 1;                                                                                    \
                    for (int64_t kh = kh0; kh < kh1; kh++) {                                                          \
                        const int64_t ih = oh * g->sh - g->pt + kh * g->dh;                                           \
                        for (int64_t kw = kw0; kw < kw1; kw++) {                                                      \
                            const int64_t iw = ow * g->sw - g->pl + kw * g->dw;                                       \
                            const T t = x[((n * g->h + ih) * g->w + iw) * g->c + c];                                  \
                            const V v = LOAD(t);                                                                      \
                            if (first || v > bv || (v != v && bv == bv)) best = t, bv = v, bh = ih, bw = iw, first = 0; \
                        }                                                                                             \
                    }                                                                                                 \
                    y[(row * g->ow + ow) * g->c + c] = best;                                                          \
                    if (idx) idx[(row * g->ow + ow) * g->c + c] = pml_pool_index(g, n, c, bh, bw);                    \
                }                                                                                                     \
            }                                                                                                         \
        }                                                                                                             \
    }
#define PML_MAXPOOL(NAME, T, V, LOAD)                                                                                \
    PML_MAXPOOL_IDX(NAME, T, V, LOAD)                                                                                \
    static void NAME##_maxpool(const pml_pool_geom *g, const void *xv, void *yv, int64_t row0, int64_t row1) {      \
        NAME##_maxpool_idx(g, xv, yv, NULL, row0, row1);                                                              \
    }

/* the sum pools: y = FINISH(sum of TERM(v) over the window's real taps, count), v = LOAD(x);
 * FINISH and TERM also see the geometry g (LpPool's p) */
#define PML_SUMPOOL(NAME, T, V, LOAD, STORE, TERM, FINISH)                                                           \
    static void NAME(const pml_pool_geom *g, const void *xv, void *yv, int64_t row0, int64_t row1) {                \
        const T *x = (const T *)xv;                                                                                   \
        T *y = (T *)yv;                                                                                               \
        for (int64_t row = row0; row < row1; row++) {                                                                 \
            const int64_t n = row / g->oh, oh = row % g->oh;                                                          \
            int64_t kh0, kh1;                                                                                         \
            pml_window_taps(oh * g->sh - g->pt, g->dh, g->kh, g->h, &kh0, &kh1);                                      \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                                                  \
                int64_t kw0, kw1;                                                                                     \
                pml_window_taps(ow * g->sw - g->pl, g->dw, g->kw, g->w, &kw0, &kw1);                                  \
                const V count = (V)pml_pool_avg_count(g, oh, ow, kh0, kh1, kw0, kw1);                                 \
                for (int64_t c = 0; c < g->c; c++) {                                                                  \
                    V sum = 0;                                                                                        \
                    for (int64_t kh = kh0; kh < kh1; kh++) {                                                          \
                        const int64_t ih = oh * g->sh - g->pt + kh * g->dh;                                           \
                        for (int64_t kw = kw0; kw < kw1; kw++) {                                                      \
                            const int64_t iw = ow * g->sw - g->pl + kw * g->dw;                                       \
                            sum += TERM(g, LOAD(x[((n * g->h + ih) * g->w + iw) * g->c + c]));                        \
                        }                                                                                             \
                    }                                                                                                 \
                    y[(row * g->ow + ow) * g->c + c] = STORE(FINISH(g, sum, count));                                  \
                }                                                                                                     \
            }                                                                                                         \
        }                                                                                                             \
    }

/* AveragePool: the plain sum over the count */
#define PML_AVG_TERM(g, v) (v)
#define PML_AVG_FINISH(g, sum, count) ((sum) / (count))
/* LpPool in float: |v|^p summed, then the 1/p-th power; p = 1 and 2 without pow (exact |v| and v*v) */
static inline float lp_term(const pml_pool_geom *g, float v) {
    return g->p == 1.0f ? fabsf(v) : g->p == 2.0f ? v * v : powf(fabsf(v), g->p);
}
static inline float lp_finish(const pml_pool_geom *g, float sum, float count) {
    (void)count;
    return g->p == 1.0f ? sum : g->p == 2.0f ? sqrtf(sum) : powf(sum, 1.0f / g->p);
}
#define PML_AVGPOOL(NAME, T, V, LOAD, STORE) \
    PML_SUMPOOL(NAME##_avgpool, T, V, LOAD, STORE, PML_AVG_TERM, PML_AVG_FINISH)
#define PML_LPPOOL(NAME, T, LOAD, STORE) PML_SUMPOOL(NAME##_lppool, T, float, LOAD, STORE, lp_term, lp_finish)

#define PML_ID(v) (v)
#define PML_LOAD_F16(v) pml_f16_to_f32_scalar(v)
#define PML_STORE_F16(v) pml_f32_to_f16_scalar(v)

PML_MAXPOOL(f32, float, float, PML_ID)
PML_MAXPOOL(f16, uint16_t, float, PML_LOAD_F16)
PML_MAXPOOL_IDX(s8, int8_t, int8_t, PML_ID)
PML_MAXPOOL_IDX(u8, uint8_t, uint8_t, PML_ID)

/* The 8-bit max pool without Indices (int8 CNNs): integers have no NaN and the maximum is the
 * same whichever tap gives it, so each output pixel takes the max over its taps of whole channel
 * rows, a loop over contiguous channels that the compiler vectorizes (the template above walks
 * the taps per channel, strided, ~10x slower). */
#define PML_MAXPOOL_CHANNELS(NAME, T)                                                                               \
    static void NAME##_maxpool_rows(const pml_pool_geom *g, const void *xv, void *yv, int64_t row0, int64_t row1) { \
        const T *x = (const T *)xv;                                                                                 \
        T *y = (T *)yv;                                                                                             \
        const int64_t channels = g->c; /* a local: stores through T (a char type) could alias g */                  \
        for (int64_t row = row0; row < row1; row++) {                                                               \
            const int64_t n = row / g->oh, oh = row % g->oh;                                                        \
            int64_t kh0, kh1;                                                                                       \
            pml_window_taps(oh * g->sh - g->pt, g->dh, g->kh, g->h, &kh0, &kh1);                                    \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                                                \
                int64_t kw0, kw1;                                                                                   \
                pml_window_taps(ow * g->sw - g->pl, g->dw, g->kw, g->w, &kw0, &kw1);                                \
                T *restrict out = y + (row * g->ow + ow) * channels;                                                \
                int first = 1;                                                                                      \
                for (int64_t kh = kh0; kh < kh1; kh++) {                                                            \
                    const int64_t ih = oh * g->sh - g->pt + kh * g->dh;                                             \
                    for (int64_t kw = kw0; kw < kw1; kw++) {                                                        \
                        const int64_t iw = ow * g->sw - g->pl + kw * g->dw;                                         \
                        const T *restrict in = x + ((n * g->h + ih) * g->w + iw) * channels;                        \
                        if (first) {                                                                                \
                            for (int64_t c = 0; c < channels; c++) out[c] = in[c];                                  \
                            first = 0;                                                                              \
                        } else {                                                                                    \
                            for (int64_t c = 0; c < channels; c++) out[c] = in[c] > out[c] ? in[c] : out[c];        \
                        }                                                                                           \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }
PML_MAXPOOL_CHANNELS(s8, int8_t)
PML_MAXPOOL_CHANNELS(u8, uint8_t)
PML_AVGPOOL(f32, float, float, PML_ID, PML_ID)
PML_AVGPOOL(f16, uint16_t, float, PML_LOAD_F16, PML_STORE_F16)
PML_LPPOOL(f32, float, PML_ID, PML_ID)
PML_LPPOOL(f16, uint16_t, PML_LOAD_F16, PML_STORE_F16)

/* MaxUnpool: data movement by element size */
#define PML_MAXUNPOOL(NAME, T)                                                                                       \
    static void NAME##_maxunpool(const void *xv, const int64_t *idx, int64_t n, void *yv) {                         \
        const T *x = (const T *)xv;                                                                                   \
        T *y = (T *)yv;                                                                                               \
        for (int64_t k = 0; k < n; k++) y[idx[k]] = x[k];                                                             \
    }
PML_MAXUNPOOL(x32, uint32_t)
PML_MAXUNPOOL(x16, uint16_t)

const pml_pool_typed pml_f32_pool_typed__scalar = {f32_maxpool, f32_avgpool, f32_lppool, f32_maxpool_idx, x32_maxunpool};
const pml_pool_typed pml_f16_pool_typed__scalar = {f16_maxpool, f16_avgpool, f16_lppool, f16_maxpool_idx, x16_maxunpool};
const pml_pool_typed pml_s8_pool_typed__scalar = {s8_maxpool_rows, NULL, NULL, s8_maxpool_idx, NULL};
const pml_pool_typed pml_u8_pool_typed__scalar = {u8_maxpool_rows, NULL, NULL, u8_maxpool_idx, NULL};
