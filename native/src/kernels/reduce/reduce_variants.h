/*
 * kernels/reduce/reduce_variants.h — every float32 reduction kernel variant, one line
 * each. Include it after defining the entry macro (unset: ignored); it #undefs it:
 *   PML_F32_REDUCE(isa, tile): pml_f32_sum__<isa>, pml_f32_max__<isa>,
 *       pml_f32_acc_add__<isa>, pml_f32_acc_max__<isa>
 * reduce.h generates the declarations from it and native/tests/test_kernels.c runs every
 * non-scalar variant the CPU supports against the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_REDUCE
#define PML_F32_REDUCE(isa, tile)
#endif

PML_F32_REDUCE(scalar, 1)
PML_ISA_avx2(PML_F32_REDUCE(avx2, 8))

#undef PML_F32_REDUCE
