/*
 * kernels/conv/conv_variants.h — every depthwise-conv kernel variant, one line each.
 * Include it after defining the entry macro (unset: ignored); it #undefs it:
 *   PML_F32_DWCONV(isa, tile): pml_f32_dwconv__<isa> (pml_f32_dwconv_fn), tile = channels
 *       per vector step
 * conv.h generates the declarations from it and native/tests/test_kernels.c runs every
 * non-scalar variant the CPU supports against the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_DWCONV
#define PML_F32_DWCONV(isa, tile)
#endif

PML_F32_DWCONV(scalar, 1)
PML_ISA_avx2_fma(PML_F32_DWCONV(avx2_fma, 8))

#undef PML_F32_DWCONV
