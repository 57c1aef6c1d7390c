/*
 * kernels/conv_direct.h — implicit-GEMM convolution (no im2col) for convs
 * with one group, no horizontal dilation and a patch of at most one GEMM K
 * block; weights packed by pml_gemm_pack_b exactly as for the GEMM path.
 */
#ifndef PML_KERNELS_CONV_DIRECT_H
#define PML_KERNELS_CONV_DIRECT_H

#include "kernels/conv/conv.h"
#include "kernels/matmul/gemm.h"

/* 1 if the direct path can run this geometry with this kernel table. */
int pml_conv_direct_eligible(const pml_f32_kernels *kern, const pml_conv_geom *g);
/* Per-thread scratch (floats) for the zero-padded border patches. */
size_t pml_conv_direct_scratch_floats(const pml_f32_kernels *kern, const pml_conv_geom *g);
/* Output rows [row0, row1) of the flattened [N*OH] space; act (never NULL) is the tiles' whole epilogue:
 * activation, PRelu slopes of channel 0 on, Conv's residual (see pml_activation). */
void pml_f32_conv_direct_rows(const pml_f32_kernels *kern, const pml_conv_geom *g, const float *x,
                              const float *packed, float *y, int64_t row0, int64_t row1, float *patches,
                              const pml_activation *act);

#endif /* PML_KERNELS_CONV_DIRECT_H */
