/*
 * kernels/signal/signal_typed__scalar.c — the signal family's per-dtype tables
 * (signal.h): line loads to and stores from float32 (re, im) pairs, one macro
 * template instantiated for float32 and float16 (float16 computes in float32
 * and rounds to nearest even once, when stored).
 */
#include "kernels/signal/signal.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

#define PML_SIGNAL_LINES(D, T)                                                                                  \
    static void pml_##D##_signal_load__scalar(const void *xv, size_t n, size_t stride, int c, float *dst) {     \
        const T *x = (const T *)xv;                                                                             \
        for (size_t j = 0; j < n; j++) {                                                                        \
            dst[2 * j] = PML_LD_##D(x[j * stride]);                                                             \
            dst[2 * j + 1] = c == 2 ? PML_LD_##D(x[j * stride + 1]) : 0.0f;                                     \
        }                                                                                                       \
    }                                                                                                           \
    static void pml_##D##_signal_store__scalar(const float *src, size_t n, size_t stride, int c, float scale,  \
                                               void *yv) {                                                      \
        T *y = (T *)yv;                                                                                         \
        for (size_t j = 0; j < n; j++) {                                                                        \
            y[j * stride] = PML_ST_##D(src[2 * j] * scale);                                                     \
            if (c == 2) y[j * stride + 1] = PML_ST_##D(src[2 * j + 1] * scale);                                \
        }                                                                                                       \
    }                                                                                                           \
    static void pml_##D##_signal_load_real__scalar(const void *xv, size_t n, size_t stride, float *dst) {       \
        const T *x = (const T *)xv;                                                                             \
        for (size_t j = 0; j < n; j++) dst[j] = PML_LD_##D(x[j * stride]);                                      \
    }                                                                                                           \
    const pml_signal_typed pml_##D##_signal_typed__scalar = {                                                   \
        .load = pml_##D##_signal_load__scalar,                                                                  \
        .store = pml_##D##_signal_store__scalar,                                                                \
        .load_real = pml_##D##_signal_load_real__scalar,                                                        \
        .fft = pml_f32_fft__scalar,                                                                             \
        .rfft = pml_f32_rfft__scalar};

PML_SIGNAL_LINES(f32, float)
PML_SIGNAL_LINES(f16, uint16_t)
