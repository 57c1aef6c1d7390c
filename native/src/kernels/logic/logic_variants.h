/*
 * kernels/logic/logic_variants.h — every comparison and select kernel variant, one line
 * each. Include it after defining the entry macros you need (unset ones are ignored);
 * it #undefs them afterwards:
 *   PML_F32_VCMP(isa, tile): pml_f32_compare__<isa>
 *   PML_X32_SELECT(isa, tile): pml_x32_select__<isa>
 * logic.h generates the declarations from it and native/tests/test_kernels.c runs every
 * non-scalar variant the CPU supports against the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_VCMP
#define PML_F32_VCMP(isa, tile)
#endif
#ifndef PML_X32_SELECT
#define PML_X32_SELECT(isa, tile)
#endif

PML_F32_VCMP(scalar, 1)
PML_ISA_avx2(PML_F32_VCMP(avx2, 32))
PML_X32_SELECT(scalar, 1)
PML_ISA_avx2(PML_X32_SELECT(avx2, 8))

#undef PML_F32_VCMP
#undef PML_X32_SELECT
