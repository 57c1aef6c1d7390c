/*
 * kernels/resize/roi_align_typed__scalar.c — RoiAlign, channels last, one macro template
 * instantiated for float32 and float16 (x and rois loaded as float32, computed in float32,
 * stored rounding once).
 *
 * One task row is one roi's output row (r, ph). The roi's geometry and each sample's two
 * taps per axis are float32 in onnxruntime's order, so results match it to rounding. A
 * sample's taps and weights are computed once and applied to the C contiguous channels of
 * its four corners, accumulated in a float32 chunk on the stack (run never allocates).
 * avg adds w1*v1 + w2*v2 + w3*v3 + w4*v4 per sample and divides by the sample count; max
 * keeps the largest of those four products over the samples (onnxruntime's definition). A
 * sample outside [-1, size] has zero weights on element 0, as onnxruntime's.
 */
#include <math.h>

#include "kernels/resize/resize_typed_io.h"

#define ROI_CHUNK 128 /* channels accumulated at a time */

/* Start and bin size of one axis and its samples per bin. */
typedef struct roi_axis {
    float start, bin;
    int64_t grid;
} roi_axis;

/* The two taps of a sample at coordinate v on an axis of `extent` elements. */
typedef struct roi_tap {
    int64_t lo, hi;
    float wlo, whi;
} roi_tap;

static roi_axis roi_axis_of(const pml_roi_align_params *p, float a, float b, int64_t bins) {
    const float shift = p->half_pixel ? 0.5f : 0.0f;
    roi_axis ax;
    ax.start = a * p->spatial_scale - shift;
    float size = (b * p->spatial_scale - shift) - ax.start;
    if (!p->half_pixel && !(size >= 1.0f)) size = 1.0f; /* output_half_pixel: at least one pixel */
    ax.bin = size / (float)bins;
    if (p->sampling_ratio > 0) {
        ax.grid = p->sampling_ratio;
    } else { /* ceil of the bin size; NaN, negative or empty -> no sample, huge -> clamped */
        float g = ceilf(size / (float)bins);
        ax.grid = g >= 1.0f ? (g < (float)PML_ROI_MAX_GRID ? (int64_t)g : PML_ROI_MAX_GRID) : 0;
    }
    return ax;
}

static roi_tap roi_tap_at(float v, int64_t extent) {
    roi_tap t = {0, 0, 0.0f, 0.0f};
    if (!(v >= -1.0f && v <= (float)extent)) return t; /* outside (or NaN): reads nothing */
    if (v <= 0.0f) v = 0.0f;
    t.lo = (int64_t)v;
    if (t.lo >= extent - 1) {
        t.lo = t.hi = extent - 1;
        v = (float)t.lo;
    } else {
        t.hi = t.lo + 1;
    }
    t.whi = v - (float)t.lo;
    t.wlo = 1.0f - t.whi;
    return t;
}

static float roi_coord(const roi_axis *ax, int64_t bin, int64_t i) {
    return ax->start + (float)bin * ax->bin + ((float)i + 0.5f) * ax->bin / (float)ax->grid;
}

#define PML_ROI_ALIGN(D, T)                                                                                          \
    void pml_##D##_roi_align__scalar(const pml_roi_align_params *p, const void *xv, const void *rv,                  \
                                     const int64_t *batch, void *yv, int64_t r0, int64_t r1) {                       \
        const T *x = (const T *)xv, *rois = (const T *)rv;                                                           \
        T *y = (T *)yv;                                                                                              \
        const int64_t C = p->c, W = p->w;                                                                            \
        float acc[ROI_CHUNK];                                                                                        \
        for (int64_t row = r0; row < r1; row++) {                                                                    \
            const int64_t r = row / p->oh, ph = row % p->oh;                                                         \
            const T *roi = rois + r * 4;                                                                             \
            const roi_axis ax = roi_axis_of(p, PML_LD_##D(roi[0]), PML_LD_##D(roi[2]), p->ow);                      \
            const roi_axis ay = roi_axis_of(p, PML_LD_##D(roi[1]), PML_LD_##D(roi[3]), p->oh);                      \
            const int64_t n_samples = ax.grid * ay.grid;                                                             \
            const float count = (float)(n_samples > 1 ? n_samples : 1);                                              \
            const T *img = x + batch[r] * p->h * W * C;                                                              \
            T *out = y + row * p->ow * C;                                                                            \
            for (int64_t pw = 0; pw < p->ow; pw++)                                                                   \
                for (int64_t c0 = 0; c0 < C; c0 += ROI_CHUNK) {                                                      \
                    const int64_t nc = C - c0 < ROI_CHUNK ? C - c0 : ROI_CHUNK;                                      \
                    for (int64_t k = 0; k < nc; k++) acc[k] = 0.0f;                                                  \
                    int first = 1;                                                                                   \
                    for (int64_t iy = 0; iy < ay.grid; iy++) {                                                       \
                        const roi_tap ty = roi_tap_at(roi_coord(&ay, ph, iy), p->h);                                 \
                        for (int64_t ix = 0; ix < ax.grid; ix++) {                                                   \
                            const roi_tap tx = roi_tap_at(roi_coord(&ax, pw, ix), W);                                \
                            const float w1 = ty.wlo * tx.wlo, w2 = ty.wlo * tx.whi, w3 = ty.whi * tx.wlo,            \
                                        w4 = ty.whi * tx.whi;                                                        \
                            const T *a = img + (ty.lo * W + tx.lo) * C + c0, *b = img + (ty.lo * W + tx.hi) * C + c0; \
                            const T *c = img + (ty.hi * W + tx.lo) * C + c0, *d = img + (ty.hi * W + tx.hi) * C + c0; \
                            if (!p->max_mode) {                                                                      \
                                for (int64_t k = 0; k < nc; k++)                                                     \
                                    acc[k] += w1 * PML_LD_##D(a[k]) + w2 * PML_LD_##D(b[k]) + w3 * PML_LD_##D(c[k]) + \
                                              w4 * PML_LD_##D(d[k]);                                                 \
                                continue;                                                                            \
                            }                                                                                        \
                            for (int64_t k = 0; k < nc; k++) {                                                       \
                                float v = w1 * PML_LD_##D(a[k]), t;                                                  \
                                t = w2 * PML_LD_##D(b[k]), v = v < t ? t : v;                                        \
                                t = w3 * PML_LD_##D(c[k]), v = v < t ? t : v;                                        \
                                t = w4 * PML_LD_##D(d[k]), v = v < t ? t : v;                                        \
                                acc[k] = first || acc[k] < v ? v : acc[k];                                           \
                            }                                                                                        \
                            first = 0;                                                                               \
                        }                                                                                            \
                    }                                                                                                \
                    for (int64_t k = 0; k < nc; k++)                                                                 \
                        out[pw * C + c0 + k] = PML_ST_##D(p->max_mode ? acc[k] : acc[k] / count);                    \
                }                                                                                                    \
        }                                                                                                            \
    }

PML_ROI_ALIGN(f32, float)
PML_ROI_ALIGN(f16, uint16_t)
