/*
 * kernels/conv/deform_sample.h — DeformConv's bilinear tap, shared by the sampling im2col and
 * the reference so both weigh the four neighbours identically.
 */
#ifndef PML_KERNELS_DEFORM_SAMPLE_H
#define PML_KERNELS_DEFORM_SAMPLE_H

#include <math.h>
#include <stdint.h>

/* The four neighbours of (py, px) in an h x w image: pixel index (iy*w + ix) and weight
 * (bilinear weight times scale; 0 for a neighbour outside, whose index is then 0). Returns 0 when
 * the point is outside (-1, h) x (-1, w), where every weight is 0 (also for NaN). */
typedef struct pml_deform_tap {
    int64_t at[4];
    float wt[4];
} pml_deform_tap;

static inline int pml_deform_tap_at(float py, float px, int64_t h, int64_t w, float scale, pml_deform_tap *t) {
    if (!(py > -1.0f && px > -1.0f && py < (float)h && px < (float)w)) return 0;
    const float fy = floorf(py), fx = floorf(px), ly = py - fy, lx = px - fx;
    const int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
    const float wy[2] = {1.0f - ly, ly}, wx[2] = {1.0f - lx, lx};
    for (int k = 0; k < 4; k++) {
        const int64_t yy = y0 + (k >> 1), xx = x0 + (k & 1);
        const int in = yy >= 0 && yy < h && xx >= 0 && xx < w;
        t->at[k] = in ? yy * w + xx : 0;
        t->wt[k] = in ? wy[k >> 1] * wx[k & 1] * scale : 0.0f;
    }
    return 1;
}

#endif /* PML_KERNELS_DEFORM_SAMPLE_H */
