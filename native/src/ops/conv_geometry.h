/*
 * ops/conv_geometry.h — the window geometry of Conv-like nodes (strides, dilations, pads,
 * auto_pad, group, output size), validated once in ops/conv.c for Conv, ConvTranspose and
 * ConvInteger.
 */
#ifndef PML_OPS_CONV_GEOMETRY_H
#define PML_OPS_CONV_GEOMETRY_H

#include "../internal.h"
#include "kernels/conv/conv.h"

/* x = input 0 (NHWC) and w = input 1 (OHWI), checked sane and of rank 4 (Conv's integer paths). */
pml_status pml_conv_nhwc_inputs(const pml_kernel_ctx *ctx, const pml_tensor **x, const pml_tensor **w);

/* x = input 0 (NHWC), w = input 1 (Conv: OHWI; transpose: [Cin,KH,KW,Cout/g]), both rank 4
 * with dims already checked; fills g or reports the bad attribute or shape. */
pml_status pml_conv_geometry(const pml_kernel_ctx *ctx, int transpose, pml_conv_geom *g);

#endif /* PML_OPS_CONV_GEOMETRY_H */
