/*
 * kernels/unary/unary_variants.h — every float32 unary kernel variant and every
 * half <-> float32 conversion variant, one line each. Include it after defining the entry
 * macros you need (unset ones are ignored); it #undefs them afterwards:
 *   PML_F32_VUNARY(op, isa, tile): pml_f32_<op>__<isa>(n, x, y, params)
 *   PML_F16_VCVT(isa, tile): pml_f32_to_f16__<isa> and pml_f16_to_f32__<isa>
 * tile = elements per main-loop step. unary.h generates the declarations from it and
 * native/tests/test_kernels.c runs every non-scalar variant the CPU supports against
 * the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_VUNARY
#define PML_F32_VUNARY(op, isa, tile)
#endif
#ifndef PML_F16_VCVT
#define PML_F16_VCVT(isa, tile)
#endif

PML_F32_VUNARY(relu, scalar, 1)
PML_F32_VUNARY(leaky_relu, scalar, 1)
PML_F32_VUNARY(clip, scalar, 1)
PML_F32_VUNARY(sigmoid, scalar, 1)
PML_F32_VUNARY(tanh, scalar, 1)
PML_F32_VUNARY(hardsigmoid, scalar, 1)
PML_F32_VUNARY(hardswish, scalar, 1)
PML_F32_VUNARY(elu, scalar, 1)
PML_F32_VUNARY(selu, scalar, 1)
PML_F32_VUNARY(softplus, scalar, 1)
PML_F32_VUNARY(sqrt, scalar, 1)
PML_F32_VUNARY(exp, scalar, 1)
PML_F32_VUNARY(log, scalar, 1)
PML_F32_VUNARY(abs, scalar, 1)
PML_F32_VUNARY(neg, scalar, 1)
PML_F32_VUNARY(reciprocal, scalar, 1)
PML_F32_VUNARY(floor, scalar, 1)
PML_F32_VUNARY(ceil, scalar, 1)
PML_F32_VUNARY(round, scalar, 1)
PML_F32_VUNARY(sign, scalar, 1)
PML_F32_VUNARY(sin, scalar, 1)
PML_F32_VUNARY(cos, scalar, 1)
PML_F32_VUNARY(erf, scalar, 1)
PML_F32_VUNARY(gelu_erf, scalar, 1)
PML_F32_VUNARY(gelu_tanh, scalar, 1)
PML_ISA_avx2(PML_F32_VUNARY(relu, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(leaky_relu, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(clip, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(sigmoid, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(tanh, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(hardsigmoid, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(hardswish, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(sqrt, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(exp, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(abs, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(neg, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(reciprocal, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(floor, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(ceil, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(round, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(sign, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(erf, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(gelu_erf, avx2, 8))
PML_ISA_avx2(PML_F32_VUNARY(gelu_tanh, avx2, 8))

PML_F16_VCVT(scalar, 1)
PML_ISA_avx2(PML_F16_VCVT(avx2, 8))

#undef PML_F32_VUNARY
#undef PML_F16_VCVT
