/*
 * kernels/quant/s8_resize_bilinear__scalar.c — TFLite's integer bilinear resize
 * (tflite::reference_ops::ResizeBilinearInteger with ComputeInterpolationValuesInteger,
 * double-rounding build): source coordinates in 1/1024 steps, the four taps weighted in
 * 1/2^20, the sum rounded half away from zero. Stored values are interpolated directly (no
 * zero point: the weights sum to one), so input and output share quantization.
 */
#include "kernels/quant/qpool.h"

static void source_coord(int64_t out_index, int32_t scale_10, int half_pixel_centers, int64_t in_size,
                         int32_t *scaled, int32_t *lower, int32_t *upper) {
    *scaled = half_pixel_centers ? (int32_t)out_index * scale_10 + scale_10 / 2 - (1 << 9)
                                 : (int32_t)out_index * scale_10;
    const int32_t lo = *scaled / (1 << 10); /* truncating division, as TFLite's */
    *lower = lo > 0 ? lo : 0;
    const int32_t hi = (*scaled + (1 << 10) - 1) / (1 << 10);
    *upper = hi < (int32_t)in_size - 1 ? hi : (int32_t)in_size - 1;
}

static int32_t scale_10(int64_t in_size, int64_t out_size, int align_corners) {
    if (align_corners && out_size > 1)
        return (int32_t)(((1 << 10) * (in_size - 1) + (out_size - 1) / 2) / (out_size - 1));
    return (int32_t)(((1 << 10) * in_size + out_size / 2) / out_size);
}

#define PML_QRESIZE(Q, T)                                                                                      \
    void pml_##Q##_resize_bilinear__scalar(int64_t batches, int64_t ih, int64_t iw, int64_t c, int64_t oh, int64_t ow,         \
                           int align_corners, int half_pixel_centers, const void *xv, void *yv) {              \
        const T *x = (const T *)xv;                                                                            \
        T *y = (T *)yv;                                                                                        \
        const int32_t hs = scale_10(ih, oh, align_corners), ws = scale_10(iw, ow, align_corners);              \
        for (int64_t b = 0; b < batches; b++)                                                                  \
            for (int64_t oy = 0; oy < oh; oy++) {                                                              \
                int32_t in_y, y0, y1;                                                                          \
                source_coord(oy, hs, half_pixel_centers, ih, &in_y, &y0, &y1);                                 \
                const int64_t wy1 = in_y - (1 << 10) * y0, wy0 = (1 << 10) - wy1;                              \
                for (int64_t ox = 0; ox < ow; ox++) {                                                          \
                    int32_t in_x, x0, x1;                                                                      \
                    source_coord(ox, ws, half_pixel_centers, iw, &in_x, &x0, &x1);                             \
                    const int64_t wx1 = in_x - (1 << 10) * x0, wx0 = (1 << 10) - wx1;                          \
                    const T *r0 = x + (b * ih + y0) * iw * c, *r1 = x + (b * ih + y1) * iw * c;                \
                    T *out = y + ((b * oh + oy) * ow + ox) * c;                                                \
                    for (int64_t ch = 0; ch < c; ch++) {                                                       \
                        const int64_t s = (int64_t)r0[x0 * c + ch] * wy0 * wx0 +                               \
                                          (int64_t)r1[x0 * c + ch] * wy1 * wx0 +                               \
                                          (int64_t)r0[x1 * c + ch] * wy0 * wx1 +                               \
                                          (int64_t)r1[x1 * c + ch] * wy1 * wx1;                                \
                        const int64_t round = s > 0 ? (1 << 19) : -(1 << 19);                                  \
                        out[ch] = (T)((s + round) / (1 << 20));                                                \
                    }                                                                                          \
                }                                                                                              \
            }                                                                                                  \
    }
PML_QRESIZE(s8, int8_t)
PML_QRESIZE(u8, uint8_t)
PML_QRESIZE(s16, int16_t)
