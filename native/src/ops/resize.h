/*
 * ops/resize.h — what the Resize op's files share: the mode codes and the
 * geometry (output shape, scales, roi) that ops/resize_geometry.c computes for
 * ops/resize.c.
 */
#ifndef PML_OPS_RESIZE_H
#define PML_OPS_RESIZE_H

#include "../internal.h"

enum { PML_RS_NEAREST, PML_RS_LINEAR, PML_RS_CUBIC };
#define PML_RS_TF_CROP 6 /* coordinate_transformation_mode tf_crop_and_resize */

/* Output dims and per-axis scales; validates every attribute and parameter input. */
pml_status pml_resize_geometry(pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *out, double *scale);

/* The axes that scales/sizes/roi inputs list ('axes', all axes when empty), validated. */
pml_status pml_resize_axes(pml_kernel_ctx *ctx, int r, int *axes, int *na);

/* roi of every axis, [start, end] in input fractions: (0, 1) unless the 'roi' attribute or
 * the roi input (its float32 values, or NULL while they are not known yet) says otherwise;
 * listed[a] marks the axes the roi input covers. Returns 0 when a roi input's values
 * were not given (the run reads them), else 1. */
int pml_resize_roi(pml_kernel_ctx *ctx, int r, const float *values, double *start, double *end, int *listed);

/* The quantized path (ops/resize_q8.c), when x carries quantization parameters: prepare checks
 * them and sets *handled when it runs the node itself (linear; its state starts with an int 1,
 * resize.c's with an int 0); nearest is left to resize.c (*handled 0, PML_OK). */
pml_status pml_q8_resize_prepare(pml_kernel_ctx *ctx, int *handled);
pml_status pml_q8_resize_run(pml_kernel_ctx *ctx);

#endif /* PML_OPS_RESIZE_H */
