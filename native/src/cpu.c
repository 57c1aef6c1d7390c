/*
 * cpu.c — CPU feature detection, done once per session. x86 uses CPUID plus
 * XGETBV (the OS must save YMM state for AVX to be usable); other
 * architectures report no x86 features (their SIMD paths come later).
 */
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void pml_cpu_detect(pml_cpu *cpu) {
    unsigned int a, b, c, d;
    memset(cpu, 0, sizeof *cpu);
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    int fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return;
    unsigned long long xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return; /* XMM and YMM state enabled by the OS */
    cpu->fma = fma;
    cpu->f16c = f16c;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        cpu->avx2 = (b >> 5) & 1;
        const int zmm_state = (xcr0 & 0xe6) == 0xe6; /* opmask, ZMM_Hi256, Hi16_ZMM saved by the OS */
        cpu->avx512f = ((b >> 16) & 1) && zmm_state;
        cpu->avx512bw = ((b >> 30) & 1) && zmm_state;
        cpu->avx512vl = ((b >> 31) & 1) && zmm_state;
        cpu->avx512vnni = ((c >> 11) & 1) && zmm_state;
    }
}
#else
void pml_cpu_detect(pml_cpu *cpu) { memset(cpu, 0, sizeof *cpu); }
#endif
