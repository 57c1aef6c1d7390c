/*
 * kernels/attention/attention_variants.h — every attention-row kernel variant, one line
 * each. Include it after defining the entry macro (unset: ignored); it #undefs it:
 *   PML_F32_ATTN_ROW(isa, tile): pml_f32_attn_row__<isa> (pml_f32_attn_row_fn)
 * kernels/matmul/gemm.h generates the declarations from it and native/tests/test_kernels.c
 * runs every non-scalar variant the CPU supports against the scalar one.
 */
#include "kernels/isa.h"

#ifndef PML_F32_ATTN_ROW
#define PML_F32_ATTN_ROW(isa, tile)
#endif

PML_F32_ATTN_ROW(scalar, 1)
PML_ISA_avx2_fma(PML_F32_ATTN_ROW(avx2_fma, 8))

#undef PML_F32_ATTN_ROW
