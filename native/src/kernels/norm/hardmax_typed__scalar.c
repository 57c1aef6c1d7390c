/*
 * kernels/norm/hardmax_typed__scalar.c — Hardmax, one macro template instantiated
 * for float32 and float16 (elements load as float32; see norm_typed.h).
 */
#include "kernels/norm/norm_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)

#define PML_HARDMAX(D, T, ONE)                                                                          \
    void pml_##D##_hardmax__scalar(size_t outer, size_t len, size_t inner, const void *xv, void *yv) { \
        const T *x = (const T *)xv;                                                                     \
        T *y = (T *)yv;                                                                                 \
        memset(y, 0, outer * len * inner * sizeof(T));                                                  \
        for (size_t o = 0; o < outer; o++)                                                              \
            for (size_t i = 0; i < inner && len; i++) {                                                 \
                const T *xo = x + o * len * inner + i;                                                  \
                size_t best = 0;                                                                        \
                float m = PML_LD_##D(xo[0]);                                                            \
                for (size_t k = 1; k < len && m == m; k++) {                                            \
                    float v = PML_LD_##D(xo[k * inner]);                                                \
                    if (v > m || v != v) m = v, best = k;                                               \
                }                                                                                       \
                y[o * len * inner + best * inner + i] = ONE;                                            \
            }                                                                                           \
    }

PML_HARDMAX(f32, float, 1.0f)
PML_HARDMAX(f16, uint16_t, 0x3C00u)
