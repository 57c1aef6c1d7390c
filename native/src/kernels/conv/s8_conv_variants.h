/*
 * kernels/conv/s8_conv_variants.h — every int8 depthwise-conv and stem-conv kernel variant,
 * one line each. Include it after defining the entry macros (unset: ignored); it #undefs them:
 *   PML_S8_DWCONV(isa, tile): pml_s8_dwconv__<isa> (pml_qs8_dwconv_fn), tile = channels per
 *       vector step
 *   PML_U8S8_CONV_STEM(isa): pml_u8s8_conv_stem__<isa> (pml_qu8_stem_fn)
 * s8_conv.h generates the declarations from it; native/tests/test_qgemm.c (depthwise) and
 * test_qconv_stem.c (stems) run every variant the CPU supports against the naive reference
 * (exact equality).
 */
#include "kernels/isa.h"

#ifndef PML_S8_DWCONV
#define PML_S8_DWCONV(isa, tile)
#endif
#ifndef PML_U8S8_CONV_STEM
#define PML_U8S8_CONV_STEM(isa)
#endif

PML_S8_DWCONV(scalar, 1)
PML_ISA_avx2(PML_S8_DWCONV(avx2, 16))
PML_ISA_avx512vnni(PML_S8_DWCONV(avx512vnni, 32))

PML_U8S8_CONV_STEM(scalar)
PML_ISA_avx2(PML_U8S8_CONV_STEM(avx2))
PML_ISA_avx512vnni(PML_U8S8_CONV_STEM(avx512vnni))

#undef PML_S8_DWCONV
#undef PML_U8S8_CONV_STEM
