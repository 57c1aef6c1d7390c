/*
 * kernels/resize/resize_typed_io.h — element loads and stores of the resize family's
 * typed templates: float16 loads as float32 and stores rounding to nearest even once.
 */
#ifndef PML_KERNELS_RESIZE_TYPED_IO_H
#define PML_KERNELS_RESIZE_TYPED_IO_H

#include "kernels/resize/resize_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

/* AffineGrid kernels (affine_grid_typed__scalar.c), referenced by the family's tables. */
void pml_f32_affine_grid__scalar(const pml_affine_grid_params *p, const void *theta, void *grid, int64_t r0, int64_t r1);
void pml_f16_affine_grid__scalar(const pml_affine_grid_params *p, const void *theta, void *grid, int64_t r0, int64_t r1);

/* RoiAlign kernels (roi_align_typed__scalar.c). */
void pml_f32_roi_align__scalar(const pml_roi_align_params *p, const void *x, const void *rois, const int64_t *batch,
                               void *y, int64_t r0, int64_t r1);
void pml_f16_roi_align__scalar(const pml_roi_align_params *p, const void *x, const void *rois, const int64_t *batch,
                               void *y, int64_t r0, int64_t r1);

#endif /* PML_KERNELS_RESIZE_TYPED_IO_H */
