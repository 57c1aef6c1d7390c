/*
 * kernels/resize/resize_typed.h — the resize family's type-generic scalar kernels,
 * reached through ctx->config->typed.resize[x dtype] (see kernels/config.h):
 * GridSample over float32 and float16 data (nearest over every dtype, by element
 * size), with a float32 or float16 grid, and
 * AffineGrid over float32 and float16 (loaded as float32, computed in float32,
 * stored rounding once).
 */
#ifndef PML_KERNELS_RESIZE_TYPED_H
#define PML_KERNELS_RESIZE_TYPED_H

#include "kernels/common.h"

#define PML_GRID_MAX_AXES 3

enum { PML_GRID_LINEAR, PML_GRID_NEAREST, PML_GRID_CUBIC };
enum { PML_GRID_ZEROS, PML_GRID_BORDER, PML_GRID_REFLECTION };

/* Channels-last GridSample: x [N, d1..dk, C], grid [N, o1..ok, k], y [N, o1..ok, C]
 * (k = axes; grid[..., 0] indexes dk, the innermost spatial axis, as ONNX). */
typedef struct pml_grid_sample_params {
    int axes;                        /* spatial axes k, 1..3 */
    int mode;                        /* PML_GRID_LINEAR, _NEAREST, _CUBIC */
    int padding;                     /* PML_GRID_ZEROS, _BORDER, _REFLECTION */
    int align_corners;
    int64_t in[PML_GRID_MAX_AXES];   /* d1..dk, each >= 1 */
    int64_t stride[PML_GRID_MAX_AXES]; /* elements between neighbours along each axis of x */
    int64_t channels;                /* C */
    int64_t points;                  /* o1 * ... * ok: output points of one image */
} pml_grid_sample_params;

/* Output points [q0, q1) of the flattened [N * points] output: y[q, :] for each. */
typedef void (*pml_grid_sample_fn)(const pml_grid_sample_params *p, const void *x, const void *grid, void *y,
                                   int64_t q0, int64_t q1);

/* AffineGrid: grid [N, d1..dk, k] from theta [N, k, k+1]. */
typedef struct pml_affine_grid_params {
    int axes;                      /* k, 2 or 3 */
    int align_corners;
    int64_t size[PML_GRID_MAX_AXES]; /* d1..dk */
} pml_affine_grid_params;

/* Rows [r0, r1) of the [N * d1 * ... * d(k-1)] rows of dk points each. */
typedef void (*pml_affine_grid_fn)(const pml_affine_grid_params *p, const void *theta, void *grid, int64_t r0,
                                   int64_t r1);

/* RoiAlign, channels last: x [N, H, W, C], rois [R, 4] (x1, y1, x2, y2), batch_indices [R]
 * (checked in [0, N) by the op), y [R, OH, OW, C]; semantics in src/pocketml/ops/grid.py. */
#define PML_ROI_MAX_GRID 1024 /* adaptive samples per bin axis are clamped to this */
typedef struct pml_roi_align_params {
    int64_t h, w, c;        /* x's H, W, C */
    int64_t oh, ow;         /* output_height, output_width, >= 1 */
    int64_t sampling_ratio; /* samples per bin axis; 0: ceil(bin size), at most PML_ROI_MAX_GRID */
    float spatial_scale;
    int max_mode;           /* 0 avg, 1 max */
    int half_pixel;         /* 1 half_pixel, 0 output_half_pixel */
} pml_roi_align_params;

/* Output rows [r0, r1) of the flattened [R * OH] rows. */
typedef void (*pml_roi_align_fn)(const pml_roi_align_params *p, const void *x, const void *rois,
                                 const int64_t *batch_indices, void *y, int64_t r0, int64_t r1);

typedef struct pml_resize_typed {
    pml_grid_sample_fn grid_sample[2]; /* index: the grid's dtype, 0 float32, 1 float16 */
    pml_affine_grid_fn affine_grid;
    pml_roi_align_fn roi_align;        /* float32 and float16 */
} pml_resize_typed;

extern const pml_resize_typed pml_f32_resize_typed__scalar, pml_f16_resize_typed__scalar,
    pml_x8_resize_typed__scalar, pml_x16_resize_typed__scalar, pml_x32_resize_typed__scalar, pml_x64_resize_typed__scalar;

/* The initialiser of pml_typed_config.resize (every configuration uses the scalar tables): the
 * other dtypes take the nearest-only GridSample of their element size. */
#define PML_RESIZE_TYPED__SCALAR                                                                              \
    {[PML_FLOAT32] = &pml_f32_resize_typed__scalar, [PML_FLOAT16] = &pml_f16_resize_typed__scalar,             \
     [PML_INT8] = &pml_x8_resize_typed__scalar,     [PML_UINT8] = &pml_x8_resize_typed__scalar,                \
     [PML_BOOL] = &pml_x8_resize_typed__scalar,     [PML_INT16] = &pml_x16_resize_typed__scalar,               \
     [PML_UINT16] = &pml_x16_resize_typed__scalar,  [PML_INT32] = &pml_x32_resize_typed__scalar,               \
     [PML_UINT32] = &pml_x32_resize_typed__scalar,  [PML_INT64] = &pml_x64_resize_typed__scalar,               \
     [PML_UINT64] = &pml_x64_resize_typed__scalar}

#endif /* PML_KERNELS_RESIZE_TYPED_H */
