/*
 * kernels/resize/affine_grid_typed__scalar.c — AffineGrid, one macro template
 * instantiated for float32 and float16 theta/grid (computed in float32, rounded once):
 * each output point is theta's [k, k+1] matrix applied to the point's base
 * coordinates (x, y[, z], 1), x along the innermost axis.
 */
#include "kernels/resize/resize_typed_io.h"

/* Base coordinate of index i on an axis of length d: linspace(-1, 1, d), scaled by
 * (d - 1) / d to the pixel centres without align_corners; -1 (or 0) when d == 1. */
static float ag_base(int64_t i, int64_t d, int align_corners) {
    if (d <= 1) return align_corners ? -1.0f : 0.0f;
    float v = -1.0f + 2.0f * (float)i / (float)(d - 1);
    return align_corners ? v : v * (float)(d - 1) / (float)d;
}

#define PML_AFFINE_GRID(D, T)                                                                                 \
    void pml_##D##_affine_grid__scalar(const pml_affine_grid_params *p, const void *tv, void *gv, int64_t r0, \
                                       int64_t r1) {                                                          \
        const int k = p->axes;                                                                                \
        const int64_t W = p->size[k - 1], H = p->size[k - 2], D3 = k == 3 ? p->size[0] : 1;                   \
        const T *theta = (const T *)tv;                                                                       \
        T *grid = (T *)gv;                                                                                    \
        for (int64_t r = r0; r < r1; r++) {                                                                   \
            const int64_t h = r % H, z = (r / H) % D3, n = r / (H * D3);                                      \
            float m[3][4];                                                                                    \
            for (int j = 0; j < k; j++)                                                                       \
                for (int i = 0; i <= k; i++) m[j][i] = PML_LD_##D(theta[(n * k + j) * (k + 1) + i]);          \
            const float y = ag_base(h, H, p->align_corners), zc = k == 3 ? ag_base(z, D3, p->align_corners) : 0.0f; \
            T *out = grid + r * W * k;                                                                        \
            for (int64_t w = 0; w < W; w++) {                                                                 \
                const float x = ag_base(w, W, p->align_corners);                                              \
                for (int j = 0; j < k; j++) {                                                                 \
                    float v = m[j][0] * x + m[j][1] * y + (k == 3 ? m[j][2] * zc : 0.0f) + m[j][k];           \
                    out[w * k + j] = PML_ST_##D(v);                                                           \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }

PML_AFFINE_GRID(f32, float)
PML_AFFINE_GRID(f16, uint16_t)
