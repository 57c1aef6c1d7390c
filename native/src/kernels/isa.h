/*
 * kernels/isa.h — which ISA kernel files this target architecture compiles, as list
 * wrappers for the variant lists (kernels/<family>/<family>_variants.h):
 * PML_ISA_<isa>(entry) keeps the entry where CMake builds the __<isa>.c files
 * (PML_ISA_ARCH_<isa> in native/CMakeLists.txt; keep the two in step) and drops it
 * elsewhere. Together with config.c and cpu.c, the only place that names an
 * architecture; whether the CPU running the code has the ISA is config.c's question
 * (pml_kernel_isa_available).
 */
#ifndef PML_KERNELS_ISA_H
#define PML_KERNELS_ISA_H

#define PML_ISA_scalar(entry) entry

#if defined(__x86_64__) || defined(__i386__)
#define PML_ARCH_X86 1
#define PML_ISA_avx2(entry) entry
#define PML_ISA_avx2_fma(entry) entry
#define PML_ISA_avx512vnni(entry) entry
#else
#define PML_ISA_avx2(entry)
#define PML_ISA_avx2_fma(entry)
#define PML_ISA_avx512vnni(entry)
#endif

#endif /* PML_KERNELS_ISA_H */
