/*
 * kernels/norm/norm_variants.h — every norm-family kernel variant, one line each.
 * Include it after defining the entry macros you need (unset ones are ignored); it
 * #undefs them afterwards:
 *   PML_F32_SCALE_SHIFT(isa, tile): pml_f32_scale_shift__<isa>
 *   PML_F32_SOFTMAX(isa, tile): pml_f32_softmax_row__<isa> and pml_f32_softmax_strided__<isa>
 *   PML_F32_NORM_ROW(isa, tile): pml_f32_norm_row__<isa> (declared in kernels/matmul/gemm.h)
 * norm.h generates the declarations from it and native/tests/test_kernels.c runs every
 * non-scalar variant the CPU supports against the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_SCALE_SHIFT
#define PML_F32_SCALE_SHIFT(isa, tile)
#endif
#ifndef PML_F32_SOFTMAX
#define PML_F32_SOFTMAX(isa, tile)
#endif
#ifndef PML_F32_NORM_ROW
#define PML_F32_NORM_ROW(isa, tile)
#endif

PML_F32_SCALE_SHIFT(scalar, 1)
PML_ISA_avx2(PML_F32_SCALE_SHIFT(avx2, 8))
PML_F32_SOFTMAX(scalar, 1)
PML_ISA_avx2(PML_F32_SOFTMAX(avx2, 8))
PML_F32_NORM_ROW(scalar, 1)
PML_ISA_avx2_fma(PML_F32_NORM_ROW(avx2_fma, 8))

#undef PML_F32_SCALE_SHIFT
#undef PML_F32_SOFTMAX
#undef PML_F32_NORM_ROW
