/*
 * kernels/pool/pool_variants.h — every SIMD window-pool kernel variant, one line each.
 * Include it after defining the entry macro (unset: ignored); it #undefs it:
 *   PML_F32_POOL(isa, tile): pml_f32_maxpool__<isa> and pml_f32_avgpool__<isa>
 *       (pml_f32_pool_fn), tile = channels per vector step
 * The scalar ones are the references pml_f32_maxpool_ref / pml_f32_avgpool_ref
 * (kernels/pool/pool.h); native/tests/test_kernels.c runs every variant the CPU supports
 * against them.
 */
#include "kernels/isa.h"

#ifndef PML_F32_POOL
#define PML_F32_POOL(isa, tile)
#endif

PML_ISA_avx2(PML_F32_POOL(avx2, 8))

#undef PML_F32_POOL
