/*
 * kernels/matmul/matmul_variants.h — every GEMM-engine micro-kernel variant, one line
 * each. Include it after defining the entry macros you need (unset ones are ignored);
 * it #undefs them afterwards:
 *   PML_F32_GEMM(tile, isa, mr, nr): pml_f32_gemm_<tile>__<isa>, an mr x nr register tile
 *       (pml_f32_gemm_ukernel)
 *   PML_F32_CONV_TILE(tile, isa, mr, nr): pml_f32_conv_<tile>__<isa>, the implicit-GEMM
 *       conv tile (pml_f32_conv_ukernel)
 *   PML_F32_EPILOGUE(isa): pml_f32_bias_act__<isa> and pml_f32_sum_act__<isa>
 * gemm.h generates the declarations from it and native/tests/test_kernels.c runs every
 * non-scalar variant the CPU supports against the scalar one (the first scalar GEMM).
 */
#include "kernels/isa.h"

#ifndef PML_F32_GEMM
#define PML_F32_GEMM(tile, isa, mr, nr)
#endif
#ifndef PML_F32_CONV_TILE
#define PML_F32_CONV_TILE(tile, isa, mr, nr)
#endif
#ifndef PML_F32_EPILOGUE
#define PML_F32_EPILOGUE(isa)
#endif

PML_F32_GEMM(4x16, scalar, 4, 16)
PML_ISA_avx2_fma(PML_F32_GEMM(6x16, avx2_fma, 6, 16))
PML_ISA_avx2_fma(PML_F32_GEMM(1x16, avx2_fma, 1, 16))
PML_F32_CONV_TILE(4x16, scalar, 4, 16)
PML_ISA_avx2_fma(PML_F32_CONV_TILE(6x16, avx2_fma, 6, 16))
PML_F32_EPILOGUE(scalar)
PML_ISA_avx2_fma(PML_F32_EPILOGUE(avx2_fma))

#undef PML_F32_GEMM
#undef PML_F32_CONV_TILE
#undef PML_F32_EPILOGUE
