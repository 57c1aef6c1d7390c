/*
 * kernels/matmul/s8_gemm_variants.h — every int8 GEMM micro-kernel variant, one line each.
 * Include it after defining the entry macros you need (unset ones are ignored); it #undefs
 * them afterwards:
 *   PML_S8_GEMM(tile, isa, mr, nr): pml_s8_gemm_<tile>__<isa>, an mr x nr register tile
 *       (pml_qs8_gemm_ukernel)
 *   PML_S8_WIDEN(isa, tile): pml_s8_widen__<isa>, int8 -> int16 (pml_s8_widen_fn)
 *   PML_U8S8_GEMM(tile, isa, mr, nr): pml_u8s8_gemm_<tile>__<isa>, an mr x nr u8 x s8 tile
 *       over quad-packed weights (pml_qu8_gemm_ukernel)
 *   PML_U8S8_GEMM_RAW2(tile, isa, mr): pml_u8s8_gemm_raw_<tile>__<isa>, mr rows x two quad
 *       panels storing raw accumulators (pml_qs8_gemm_kernels.u8_gemm_raw2)
 *   PML_S8_DENSE_STORE(isa): pml_s8_dense_store__<isa>, the dense requantizing store
 *       (pml_qs8_dense_store_fn)
 * s8_gemm.h generates the declarations from it and native/tests/test_qgemm.c runs every
 * variant the CPU supports against the naive reference (exact equality).
 */
#include "kernels/isa.h"

#ifndef PML_S8_GEMM
#define PML_S8_GEMM(tile, isa, mr, nr)
#endif
#ifndef PML_S8_WIDEN
#define PML_S8_WIDEN(isa, tile)
#endif
#ifndef PML_U8S8_GEMM
#define PML_U8S8_GEMM(tile, isa, mr, nr)
#endif
#ifndef PML_U8S8_GEMM_RAW2
#define PML_U8S8_GEMM_RAW2(tile, isa, mr)
#endif
#ifndef PML_S8_DENSE_STORE
#define PML_S8_DENSE_STORE(isa)
#endif

PML_S8_GEMM(4x16, scalar, 4, 16)
PML_ISA_avx2(PML_S8_GEMM(4x16, avx2, 4, 16))
PML_ISA_avx2(PML_S8_GEMM(6x16, avx2, 6, 16))
PML_ISA_avx2(PML_S8_GEMM(1x16, avx2, 1, 16))
PML_ISA_avx512vnni(PML_S8_GEMM(6x16, avx512vnni, 6, 16))
PML_U8S8_GEMM(4x16, scalar, 4, 16)
PML_ISA_avx512vnni(PML_U8S8_GEMM(6x16, avx512vnni, 6, 16))
PML_ISA_avx512vnni(PML_U8S8_GEMM(1x16, avx512vnni, 1, 16))
PML_S8_WIDEN(scalar, 1)
PML_ISA_avx2(PML_S8_WIDEN(avx2, 32))
PML_ISA_avx512vnni(PML_U8S8_GEMM_RAW2(6x32, avx512vnni, 6))
PML_ISA_avx512vnni(PML_S8_DENSE_STORE(avx512vnni))

#undef PML_S8_GEMM
#undef PML_S8_WIDEN
#undef PML_U8S8_GEMM
#undef PML_U8S8_GEMM_RAW2
#undef PML_S8_DENSE_STORE
