/*
 * kernels/quant/quant_typed__avx2.c — QuantizeLinear float32 -> int8 / uint8 on AVX2 (the
 * activations of QDQ graphs and DynamicQuantizeLinear's output), and the AVX2 int8/uint8
 * quant tables; every other entry is the scalar kernel.
 *
 * The same float32 arithmetic as the scalar kernel, 8 values at a time, so the bits are equal:
 * an IEEE division x / scale (vdivps rounds as the scalar divide), round half to even
 * (vroundps in nearest mode = nearbyintf in the default mode), + zero point, then the clamp
 * as max(v, lo) (vmaxps returns its second operand when the first is NaN: NaN -> lo, as the
 * scalar "v > lo ? v : lo") and min(v, hi); the values are integers in range, so the int32
 * conversion is exact. Runs whose scale or zero point step per element (step != 0) take the
 * scalar kernel.
 *
 * DynamicQuantizeLinear's float32 min/max: vminps/vmaxps return their second operand when the
 * first is NaN, so accumulators started at +-inf skip NaNs; a lane mask records whether any value
 * was a number, else the result is NaN as the scalar loop's (every value NaN). Equal values of
 * different sign (-0, +0) may come out as either zero: the same number, and DynamicQuantizeLinear
 * widens the range to include 0 anyway.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/quant/quant_typed.h"

#define PML_QUANTIZE_AVX2(Q, QT, LO, HI, PACK)                                                                \
    static void Q##_quantize_f32__avx2(size_t n, const void *xv, const float *scale, const void *zv, size_t step, \
                                       void *yv) {                                                            \
        if (step != 0) {                                                                                      \
            pml_##Q##_quantize_f32__scalar(n, xv, scale, zv, step, yv);                                       \
            return;                                                                                           \
        }                                                                                                     \
        const float *x = (const float *)xv;                                                                   \
        const QT *zp = (const QT *)zv;                                                                        \
        QT *y = (QT *)yv;                                                                                     \
        const __m256 s = _mm256_set1_ps(scale[0]), z = _mm256_set1_ps(zp ? (float)zp[0] : 0.0f);              \
        const __m256 lo = _mm256_set1_ps((float)(LO)), hi = _mm256_set1_ps((float)(HI));                      \
        size_t i = 0;                                                                                         \
        for (; i + 8 <= n; i += 8) {                                                                          \
            __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s),                              \
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);                        \
            v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, z), lo), hi);                                    \
            const __m256i q = _mm256_cvtps_epi32(v);                                                          \
            const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));     \
            _mm_storel_epi64((__m128i *)(y + i), PACK(w, w));                                                 \
        }                                                                                                     \
        if (i < n) pml_##Q##_quantize_f32__scalar(n - i, x + i, scale, zv, 0, y + i);                         \
    }                                                                                                         \
    const pml_quant_typed pml_##Q##_quant_typed__avx2 = {                                                     \
        {pml_##Q##_dequantize_f32__scalar, pml_##Q##_dequantize_f16__scalar},                                 \
        {Q##_quantize_f32__avx2, pml_##Q##_quantize_f16__scalar, pml_##Q##_quantize_s32__scalar}, NULL};

/* the clamped values fit int16 (packs_epi32 keeps them) and then the byte type (packs/packus) */
PML_QUANTIZE_AVX2(s8, int8_t, INT8_MIN, INT8_MAX, _mm_packs_epi16)
PML_QUANTIZE_AVX2(u8, uint8_t, 0, UINT8_MAX, _mm_packus_epi16)

static void f32_minmax__avx2(size_t n, const float *x, float *lo, float *hi) {
    __m256 vlo = _mm256_set1_ps(INFINITY), vhi = _mm256_set1_ps(-INFINITY), seen = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        vlo = _mm256_min_ps(v, vlo);
        vhi = _mm256_max_ps(v, vhi);
        seen = _mm256_or_ps(seen, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
    }
    float l[8], h[8];
    _mm256_storeu_ps(l, vlo);
    _mm256_storeu_ps(h, vhi);
    float a = l[0], b = h[0];
    int any = _mm256_movemask_ps(seen) != 0;
    for (int k = 1; k < 8; k++) {
        a = l[k] < a ? l[k] : a;
        b = h[k] > b ? h[k] : b;
    }
    for (; i < n; i++) {
        if (x[i] != x[i]) continue;
        any = 1;
        a = x[i] < a ? x[i] : a;
        b = x[i] > b ? x[i] : b;
    }
    *lo = any ? a : NAN;
    *hi = any ? b : NAN;
}

const pml_quant_typed pml_f32_quant_typed__avx2 = {{NULL, NULL}, {NULL, NULL, NULL}, f32_minmax__avx2};
