/*
 * kernels/unary/unary_variants.h — every float32 unary kernel variant and every
 * half <-> float32 conversion variant. Include it (after kernels/unary/unary.h, which
 * defines PML_UNARY_OPS) once the entry macros you need are defined (unset ones are
 * ignored); it #undefs them afterwards:
 *   PML_F32_VUNARY(op, isa, tile): pml_f32_<op>__<isa>(n, x, y, params)
 *   PML_F16_VCVT(isa, tile): pml_f32_to_f16__<isa> and pml_f16_to_f32__<isa>
 * tile = elements per main-loop step. The unary ops and the ISA of their vector kernel
 * come from PML_UNARY_OPS (unary.h), the one list per unary op: every op has a scalar
 * variant, and the one its column names (an op whose column says scalar has no other).
 * unary.h declares the conversions from this list and native/tests/test_kernels.c runs
 * every non-scalar variant the CPU supports against the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_VUNARY
#define PML_F32_VUNARY(op, isa, tile)
#endif
#ifndef PML_F16_VCVT
#define PML_F16_VCVT(isa, tile)
#endif

#define PML_VUNARY_TILE_scalar 1
#define PML_VUNARY_TILE_avx2 8
#define PML_VUNARY_SCALAR_(E, op, isa) PML_F32_VUNARY(op, scalar, 1)
#define PML_VUNARY_ISA_(E, op, isa) PML_ISA_##isa(PML_F32_VUNARY(op, isa, PML_VUNARY_TILE_##isa))
PML_UNARY_OPS(PML_VUNARY_SCALAR_)
PML_UNARY_OPS(PML_VUNARY_ISA_)
#undef PML_VUNARY_SCALAR_
#undef PML_VUNARY_ISA_

PML_F16_VCVT(scalar, 1)
PML_ISA_avx2(PML_F16_VCVT(avx2, 8))

#undef PML_F32_VUNARY
#undef PML_F16_VCVT
