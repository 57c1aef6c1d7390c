/*
 * kernels/resize/grid_sample_typed__scalar.c — GridSample, channels last, one macro
 * template instantiated per (data dtype, grid dtype) pair of float32 and float16.
 *
 * Per output point the grid gives one coordinate per axis; grid_taps turns them
 * into at most 4^k (element offset, weight) pairs (taps the zeros padding drops
 * are left out), computed once and applied to all C channels of the point, which
 * are contiguous in x and y: the channel loop is a chain of axpy's into a float32
 * accumulator (float16 rounds once when stored). Coordinate and weight arithmetic
 * is float32 in onnxruntime's order, so results match it to rounding. The resize
 * family's tables (with affine_grid_typed__scalar.c's and roi_align_typed__scalar.c's kernels) are defined here.
 */
#include <math.h>

#include "kernels/resize/resize_typed_io.h"

#define GS_MAX_TAPS 64 /* 4 taps (cubic) ^ 3 axes */
#define GS_CHUNK 128   /* channels accumulated at a time on the stack */
#define GS_FEW 4       /* up to this many channels, the channel loop is outermost */

/* Reflect by the near border until inside [lo, hi] (onnxruntime's GsReflect, float32). */
static float gs_reflect(float x, float lo, float hi) {
    float range = hi - lo;
    if (range <= 0.0f) return lo;
    if (x >= lo && x <= hi) return x;
    float d = x < lo ? lo - x : x - hi;
    float n = floorf(d / range), r = d - n * range;
    int even = fmodf(n, 2.0f) == 0.0f;
    float v = x < lo ? (even ? lo + r : hi - r) : (even ? hi - r : lo + r);
    return v < lo ? lo : (v > hi ? hi : v); /* rounding of huge d must not leave the range */
}

/* Keys cubic weights (a = -0.75) of the taps at -1, 0, 1, 2 from floor(x); t = x - floor(x). */
static void gs_cubic(float t, float *w) {
    const float a = -0.75f;
    float s = t + 1.0f, u = 1.0f - t, v = 2.0f - t;
    w[0] = ((a * s - 5.0f * a) * s + 8.0f * a) * s - 4.0f * a;
    w[1] = ((a + 2.0f) * t - (a + 3.0f)) * t * t + 1.0f;
    w[2] = ((a + 2.0f) * u - (a + 3.0f)) * u * u + 1.0f;
    w[3] = ((a * v - 5.0f * a) * v + 8.0f * a) * v - 4.0f * a;
}

/* Taps of one axis from the normalised coordinate g: element offsets (index * stride) and
 * weights of the taps that read x (the zeros padding drops the others); returns their count. */
PML_INLINE int gs_axis_taps(const pml_grid_sample_params *p, int axis, float g, int64_t *off, float *w) {
    const int64_t n = p->in[axis], stride = p->stride[axis];
    const float len = (float)n;
    float x = p->align_corners ? (g + 1.0f) / 2.0f * (len - 1.0f) : ((g + 1.0f) * len - 1.0f) / 2.0f;
    float lo = p->align_corners ? 0.0f : -0.5f, hi = p->align_corners ? len - 1.0f : len - 0.5f;
    if (p->mode == PML_GRID_NEAREST) x = nearbyintf(x); /* half to even, as onnxruntime and PyTorch */
    if (x < lo || x > hi) {
        if (p->padding == PML_GRID_BORDER && p->mode != PML_GRID_CUBIC) x = x < 0.0f ? 0.0f : (x > len - 1.0f ? len - 1.0f : x);
        else if (p->padding == PML_GRID_REFLECTION) x = gs_reflect(x, lo, hi);
    }
    /* Far outside, every tap reads the same edge (or zero): bounding x keeps the integer
     * conversion defined (a NaN coordinate samples as one far below the input). */
    if (!(x >= -8.0f)) x = -8.0f;
    if (x > len + 8.0f) x = len + 8.0f;
    int64_t first = (int64_t)x;
    first -= (float)first > x; /* floor: x is bounded */
    float t = x - (float)first, wk[4];
    int ntap;
    if (p->mode == PML_GRID_NEAREST) {
        ntap = 1, wk[0] = 1.0f;
    } else if (p->mode == PML_GRID_LINEAR) {
        ntap = 2, wk[0] = 1.0f - t, wk[1] = t;
    } else {
        ntap = 4, first -= 1;
        gs_cubic(t, wk);
    }
    int m = 0;
    for (int k = 0; k < ntap; k++) {
        int64_t i = first + k;
        if (p->padding == PML_GRID_BORDER) i = i < 0 ? 0 : (i >= n ? n - 1 : i);
        else if (p->padding == PML_GRID_REFLECTION) {
            i = (int64_t)gs_reflect((float)i, lo, hi);
            i = i < 0 ? 0 : (i >= n ? n - 1 : i);
        } else if (i < 0 || i >= n) continue;
        off[m] = i * stride, w[m++] = wk[k];
    }
    return m;
}

/* The (offset, weight) pairs of one output point: the tensor product of the axes' taps,
 * expanded in place (entry i's products land at i * na.. and later, never below an unread entry). */
PML_INLINE int gs_point_taps(const pml_grid_sample_params *p, const float *g, int64_t *off, float *w) {
    if (p->axes == 2) { /* the common image case: one direct product, no in-place expansion */
        int64_t oy[4], ox[4];
        float wy[4], wx[4];
        int ny = gs_axis_taps(p, 0, g[1], oy, wy), nx = gs_axis_taps(p, 1, g[0], ox, wx), m = 0;
        for (int i = 0; i < ny; i++)
            for (int j = 0; j < nx; j++) off[m] = oy[i] + ox[j], w[m++] = wy[i] * wx[j];
        return m;
    }
    int n = 1;
    off[0] = 0, w[0] = 1.0f;
    for (int a = 0; a < p->axes; a++) {
        int64_t oa[4];
        float wa[4];
        int na = gs_axis_taps(p, a, g[p->axes - 1 - a], oa, wa);
        for (int i = n - 1; i >= 0; i--) {
            const int64_t o = off[i];
            const float wi = w[i];
            for (int k = na - 1; k >= 0; k--) off[i * na + k] = o + oa[k], w[i * na + k] = wi * wa[k];
        }
        n *= na;
    }
    return n;
}

/* The loop over output points [q0, q1) of every kernel below: per point the grid values,
 * the taps (off, w, nt), the image xb it reads and the output row yq; then the body. */
#define PML_GS_FOR_POINTS(XT, GD, GT, ...)                                                                    \
    const XT *x = (const XT *)xv;                                                                           \
    const GT *grid = (const GT *)gv;                                                                        \
    XT *y = (XT *)yv;                                                                                       \
    const int64_t C = p->channels, image = p->in[0] * p->stride[0];                                        \
    int64_t batch = q0 / p->points, next = (batch + 1) * p->points; /* image of q, without a division */  \
    for (int64_t q = q0; q < q1; q++) {                                                                     \
        if (q == next) batch++, next += p->points;                                                          \
        float g[PML_GRID_MAX_AXES];                                                                         \
        int64_t off[GS_MAX_TAPS];                                                                           \
        float w[GS_MAX_TAPS];                                                                               \
        for (int a = 0; a < p->axes; a++) g[a] = PML_LD_##GD(grid[q * p->axes + a]);                        \
        const int nt = gs_point_taps(p, g, off, w);                                                         \
        const XT *xb = x + batch * image;                                                                   \
        XT *yq = y + q * C;                                                                                 \
        __VA_ARGS__                                                                                         \
    }

#define PML_GS_SIGNATURE(XD, GD)                                                                            \
    static void pml_##XD##_grid_sample_##GD##__scalar(const pml_grid_sample_params *p, const void *xv,     \
                                                       const void *gv, void *yv, int64_t q0, int64_t q1)

/* float32 / float16 data: every mode. */
#define PML_GRID_SAMPLE(XD, XT, GD, GT)                                                                     \
    PML_GS_SIGNATURE(XD, GD) {                                                                              \
        PML_GS_FOR_POINTS(XT, GD, GT, {                                                                     \
            if (nt == 1 && p->mode == PML_GRID_NEAREST) { /* a copy: exact, signed zeros kept */           \
                for (int64_t i = 0; i < C; i++) yq[i] = xb[off[0] + i];                                     \
                continue;                                                                                   \
            }                                                                                               \
            if (C <= GS_FEW) { /* few channels (a mask, RGB, flow): one sum per channel, no accumulator row */ \
                for (int64_t c = 0; c < C; c++) {                                                           \
                    float acc = 0.0f;                                                                       \
                    for (int t = 0; t < nt; t++) acc += w[t] * PML_LD_##XD(xb[off[t] + c]);                 \
                    yq[c] = PML_ST_##XD(acc);                                                               \
                }                                                                                           \
                continue;                                                                                   \
            }                                                                                               \
            for (int64_t c0 = 0; c0 < C; c0 += GS_CHUNK) {                                                  \
                const int64_t nc = C - c0 < GS_CHUNK ? C - c0 : GS_CHUNK;                                   \
                float acc[GS_CHUNK];                                                                        \
                for (int64_t i = 0; i < nc; i++) acc[i] = 0.0f;                                             \
                for (int t = 0; t < nt; t++) {                                                              \
                    const XT *PML_RESTRICT xs = xb + off[t] + c0;                                           \
                    const float wt = w[t];                                                                  \
                    for (int64_t i = 0; i < nc; i++) acc[i] += wt * PML_LD_##XD(xs[i]);                     \
                }                                                                                           \
                for (int64_t i = 0; i < nc; i++) yq[c0 + i] = PML_ST_##XD(acc[i]);                          \
            }                                                                                               \
        })                                                                                                  \
    }

/* Any other dtype, by element size: nearest only (the op rejects the other modes), a copy of
 * the C channels of the picked pixel, zeros where the zeros padding drops it. */
#define PML_GRID_NEAREST(XD, XT, GD, GT)                                                                    \
    PML_GS_SIGNATURE(XD, GD) {                                                                              \
        PML_GS_FOR_POINTS(XT, GD, GT, {                                                                     \
            for (int64_t i = 0; i < C; i++) yq[i] = nt ? xb[off[0] + i] : (XT)0;                            \
        })                                                                                                  \
    }

PML_GRID_SAMPLE(f32, float, f32, float)
PML_GRID_SAMPLE(f32, float, f16, uint16_t)
PML_GRID_SAMPLE(f16, uint16_t, f32, float)
PML_GRID_SAMPLE(f16, uint16_t, f16, uint16_t)
PML_GRID_NEAREST(x8, uint8_t, f32, float)
PML_GRID_NEAREST(x8, uint8_t, f16, uint16_t)
PML_GRID_NEAREST(x16, uint16_t, f32, float)
PML_GRID_NEAREST(x16, uint16_t, f16, uint16_t)
PML_GRID_NEAREST(x32, uint32_t, f32, float)
PML_GRID_NEAREST(x32, uint32_t, f16, uint16_t)
PML_GRID_NEAREST(x64, uint64_t, f32, float)
PML_GRID_NEAREST(x64, uint64_t, f16, uint16_t)

const pml_resize_typed pml_f32_resize_typed__scalar = {
    .grid_sample = {pml_f32_grid_sample_f32__scalar, pml_f32_grid_sample_f16__scalar},
    .affine_grid = pml_f32_affine_grid__scalar,
    .roi_align = pml_f32_roi_align__scalar};
const pml_resize_typed pml_f16_resize_typed__scalar = {
    .grid_sample = {pml_f16_grid_sample_f32__scalar, pml_f16_grid_sample_f16__scalar},
    .affine_grid = pml_f16_affine_grid__scalar,
    .roi_align = pml_f16_roi_align__scalar};
/* nearest GridSample only (AffineGrid is float32/float16) */
const pml_resize_typed pml_x8_resize_typed__scalar = {
    .grid_sample = {pml_x8_grid_sample_f32__scalar, pml_x8_grid_sample_f16__scalar}};
const pml_resize_typed pml_x16_resize_typed__scalar = {
    .grid_sample = {pml_x16_grid_sample_f32__scalar, pml_x16_grid_sample_f16__scalar}};
const pml_resize_typed pml_x32_resize_typed__scalar = {
    .grid_sample = {pml_x32_grid_sample_f32__scalar, pml_x32_grid_sample_f16__scalar}};
const pml_resize_typed pml_x64_resize_typed__scalar = {
    .grid_sample = {pml_x64_grid_sample_f32__scalar, pml_x64_grid_sample_f16__scalar}};
