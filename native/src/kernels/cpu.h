/*
 * kernels/cpu.h — the CPU features the kernel configurations test (kernels/config.c);
 * cpu.c detects them (pml_cpu_detect, internal.h).
 */
#ifndef PML_KERNELS_CPU_H
#define PML_KERNELS_CPU_H

typedef struct pml_cpu {
    int avx2, fma, f16c, avx512f;
    int avx512bw, avx512vl, avx512vnni; /* each only with the OS saving zmm/opmask state */
} pml_cpu;

#endif /* PML_KERNELS_CPU_H */
