/*
 * kernels/pool.h — geometry and kernels of the pool family (NHWC).
 *
 * x [N,H,W,C] -> y [N,OH,OW,C]. A window tap (kh, kw) of output (oh, ow)
 * reads input row ih = oh*sh - pt + kh*dh (likewise columns); taps outside
 * the input are skipped. AveragePool divides by the number of real taps, or
 * with count_include_pad by the taps inside the padded extent
 * [-pt, H + pb) x [-pl, W + pr) (ONNX/onnxruntime: with ceil_mode a window
 * may reach past the padding, and those taps never count). LpPool is
 * (sum of |x|^p over the real taps)^(1/p): padding adds zeros, so nothing.
 * MaxPool's optional Indices output is ONNX's: NCHW flat indices (pml_pool_index), computed
 * by the typed kernels (kernels/pool/pool_typed.h).
 */
#ifndef PML_KERNELS_POOL_H
#define PML_KERNELS_POOL_H

#include <stdint.h>

#include "kernels/conv/window.h" /* pml_window_taps */

typedef struct pml_pool_geom {
    int64_t n, h, w, c;
    int64_t oh, ow;
    int64_t kh, kw;
    int64_t sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;
    int count_include_pad;
    float p; /* LpPool/GlobalLpPool: the norm's exponent, > 0 */
    int storage_order; /* MaxPool's Indices: 0 row major, 1 column major (see pml_pool_index) */
} pml_pool_geom;

/* MaxPool's Indices value of input element (n, ih, iw, c): its flat index into the input seen as
 * NCHW [N, C, H, W] (ONNX's), H and W swapped with storage_order 1 (column major). */
static inline int64_t pml_pool_index(const pml_pool_geom *g, int64_t n, int64_t c, int64_t ih, int64_t iw) {
    const int64_t plane = (n * g->c + c) * g->h * g->w;
    return plane + (g->storage_order ? iw * g->h + ih : ih * g->w + iw);
}

/* Divisor of an average window (see the header comment). */
int64_t pml_pool_avg_count(const pml_pool_geom *g, int64_t oh, int64_t ow, int64_t kh0, int64_t kh1, int64_t kw0,
                           int64_t kw1);

void pml_f32_maxpool_ref(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1);
void pml_f32_avgpool_ref(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1);

void pml_f32_maxpool__avx2(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1);
void pml_f32_avgpool__avx2(const pml_pool_geom *g, const float *x, float *y, int64_t row0, int64_t row1);

#endif /* PML_KERNELS_POOL_H */
