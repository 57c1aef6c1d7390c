/*
 * kernels/tensor/tensor_variants.h — every 2-D transpose kernel variant, one line each.
 * Include it after defining the entry macro (unset: ignored); it #undefs it:
 *   PML_TRANSPOSE(dtype, isa, tile): pml_<dtype>_transpose2d__<isa> (pml_transpose2d_fn),
 *       dtype x8/x16/x32/x64 (element size only), tile the block edge
 * transpose.h generates the declarations from it and native/tests/test_kernels.c runs
 * every non-scalar variant the CPU supports against the scalar one of the same size.
 */
#include "kernels/isa.h"

#ifndef PML_TRANSPOSE
#define PML_TRANSPOSE(dtype, isa, tile)
#endif

PML_TRANSPOSE(x8, scalar, 32)
PML_TRANSPOSE(x16, scalar, 32)
PML_TRANSPOSE(x32, scalar, 32)
PML_TRANSPOSE(x64, scalar, 32)
PML_ISA_avx2(PML_TRANSPOSE(x32, avx2, 8))

#undef PML_TRANSPOSE
