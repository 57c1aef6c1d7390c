/*
 * kernels/elementwise/elementwise_variants.h — every float32 binary kernel variant, one
 * line each. Include it after defining the entry macro you need (unset ones are
 * ignored); it #undefs them afterwards:
 *   PML_F32_VBINARY(op, isa, tile): pml_f32_v<op>__<isa> (vector-vector),
 *       pml_f32_v<op>s__<isa> (vector-scalar), pml_f32_s<op>v__<isa> (scalar-vector);
 *       tile = elements per main-loop step.
 * elementwise.h generates the declarations from it and native/tests/test_kernels.c runs
 * every non-scalar variant the CPU supports against the scalar one of the same op.
 */
#include "kernels/isa.h"

#ifndef PML_F32_VBINARY
#define PML_F32_VBINARY(op, isa, tile)
#endif

PML_F32_VBINARY(add, scalar, 1)
PML_F32_VBINARY(sub, scalar, 1)
PML_F32_VBINARY(mul, scalar, 1)
PML_F32_VBINARY(div, scalar, 1)
PML_F32_VBINARY(pow, scalar, 1)
PML_F32_VBINARY(max, scalar, 1)
PML_F32_VBINARY(min, scalar, 1)
PML_F32_VBINARY(prelu, scalar, 1)
PML_ISA_avx2(PML_F32_VBINARY(add, avx2, 16))
PML_ISA_avx2(PML_F32_VBINARY(sub, avx2, 16))
PML_ISA_avx2(PML_F32_VBINARY(mul, avx2, 16))
PML_ISA_avx2(PML_F32_VBINARY(div, avx2, 16))
PML_ISA_avx2(PML_F32_VBINARY(max, avx2, 16))
PML_ISA_avx2(PML_F32_VBINARY(min, avx2, 16))
PML_ISA_avx2(PML_F32_VBINARY(prelu, avx2, 16))

#undef PML_F32_VBINARY
