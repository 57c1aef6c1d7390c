/*
 * kernels/conv/s8_conv_variants.h — every int8 depthwise-conv kernel variant, one line each.
 * Include it after defining the entry macro (unset: ignored); it #undefs it:
 *   PML_S8_DWCONV(isa, tile): pml_s8_dwconv__<isa> (pml_qs8_dwconv_fn), tile = channels per
 *       vector step
 * s8_conv.h generates the declarations from it and native/tests/test_qgemm.c runs every
 * variant the CPU supports against the naive reference (exact equality).
 */
#include "kernels/isa.h"

#ifndef PML_S8_DWCONV
#define PML_S8_DWCONV(isa, tile)
#endif

PML_S8_DWCONV(scalar, 1)
PML_ISA_avx2(PML_S8_DWCONV(avx2, 16))
PML_ISA_avx512vnni(PML_S8_DWCONV(avx512vnni, 32))

#undef PML_S8_DWCONV
