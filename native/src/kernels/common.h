/*
 * kernels/common.h — the one header every kernel includes (instead of the runtime's
 * internal.h): fixed-width types, the dtype codes (pocketml.h), small portable helpers
 * and the scalar IEEE half <-> float32 conversions the float16 kernels use (load to
 * float32, compute, store rounding to nearest even once).
 *
 * Kernels are pure functions over pointers and parameter structs: nothing here knows
 * about tensors, nodes or sessions.
 */
#ifndef PML_KERNELS_COMMON_H
#define PML_KERNELS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pocketml.h" /* pml_dtype, PML_DTYPE_COUNT */

#if defined(__GNUC__) || defined(__clang__)
#define PML_RESTRICT __restrict__
#define PML_INLINE static inline __attribute__((always_inline))
#else
#define PML_RESTRICT
#define PML_INLINE static inline
#endif

/* base + n where base may be absent: empty tensors and zero-byte scratch have NULL data, and
 * NULL + 0 is undefined behaviour in C (UBSan reports it), so an absent buffer stays NULL. */
static inline float *pml_f32_offset(float *base, size_t n) { return base ? base + n : NULL; }

/* max/min that propagate NaN from either operand (as numpy's maximum/minimum do) */
static inline float pml_max_nanf(float a, float b) { return a > b ? a : (a != a ? a : b); }
static inline float pml_min_nanf(float a, float b) { return a < b ? a : (a != a ? a : b); }

/* ---- IEEE half <-> float32 ------------------------------------------------------------ */

static inline uint32_t pml_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float pml_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to nearest even, overflow to inf, NaN stays a quiet NaN with the top
 * payload bits (what F16C's vcvtps2ph does), subnormals exact. */
static inline uint16_t pml_f32_to_f16_scalar(float f) {
    uint32_t u = pml_f32_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    u &= 0x7fffffffu;
    uint16_t o;
    if (u >= 0x47800000u) { /* >= 2^16 (already past the largest half), inf or NaN */
        o = u > 0x7f800000u ? (uint16_t)(0x7e00u | ((u >> 13) & 0x3ffu)) : 0x7c00u;
    } else if (u < 0x38800000u) { /* below 2^-14: half subnormal or zero */
        /* adding 0.5f aligns the 10 subnormal mantissa bits at the bottom of
         * the float's mantissa; the FPU's own round-to-nearest-even does the rest */
        float t = pml_bits_f32(u) + 0.5f;
        o = (uint16_t)(pml_f32_bits(t) - 0x3f000000u);
    } else {
        uint32_t odd = (u >> 13) & 1u;
        u += ((uint32_t)(15 - 127) << 23) + 0xfffu + odd; /* rebias + round half to even */
        o = (uint16_t)(u >> 13);                          /* a carry into 0x7c00 is overflow to inf */
    }
    return (uint16_t)(o | sign);
}

static inline float pml_f16_to_f32_scalar(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        float v = (float)m * 5.9604644775390625e-8f; /* m * 2^-24, exact */
        return pml_bits_f32(pml_f32_bits(v) | sign);
    }
    if (e == 31) return pml_bits_f32(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u)); /* NaN comes out quiet, as F16C */
    return pml_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

#endif /* PML_KERNELS_COMMON_H */
