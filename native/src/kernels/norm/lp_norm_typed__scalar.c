/*
 * kernels/norm/lp_norm_typed__scalar.c — LpNormalization (p = 1 or 2) on a tile of inner
 * positions of a [len, inner] block, one macro template instantiated for float32 and
 * float16 (see norm_typed.h). Norms accumulate in double; y = x * (1 / norm).
 */
#include <math.h>

#include "kernels/norm/norm_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

#define PML_LP_NORM(D, T)                                                                                    \
    void pml_##D##_lp_norm__scalar(size_t len, size_t inner, size_t i0, size_t i1, int p, const void *xv,   \
                                   void *yv) {                                                               \
        const T *x = (const T *)xv;                                                                          \
        T *y = (T *)yv;                                                                                      \
        const size_t w = i1 - i0;                                                                            \
        double acc[PML_LP_TILE] = {0};                                                                       \
        float inv[PML_LP_TILE];                                                                              \
        for (size_t k = 0; k < len; k++)                                                                     \
            for (size_t i = 0; i < w; i++) {                                                                 \
                const double v = PML_LD_##D(x[k * inner + i0 + i]);                                          \
                acc[i] += p == 1 ? fabs(v) : v * v;                                                          \
            }                                                                                                \
        for (size_t i = 0; i < w; i++) {                                                                     \
            const double norm = p == 1 ? acc[i] : sqrt(acc[i]);                                              \
            inv[i] = norm > 0 ? (float)(1.0 / norm) : 0.0f; /* ONNX: a zero norm gives 0 */                 \
        }                                                                                                    \
        for (size_t k = 0; k < len; k++)                                                                     \
            for (size_t i = 0; i < w; i++)                                                                   \
                y[k * inner + i0 + i] = PML_ST_##D(PML_LD_##D(x[k * inner + i0 + i]) * inv[i]);              \
    }

PML_LP_NORM(f32, float)
PML_LP_NORM(f16, uint16_t)
