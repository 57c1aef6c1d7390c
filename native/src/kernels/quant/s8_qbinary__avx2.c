/*
 * kernels/quant/s8_qbinary__avx2.c — TFLite's int8 Add and Sub (PML_REQUANT_FIXED_POINT) in
 * AVX2, eight elements per step, bit for bit the scalar kernel's AddFunc/SubFunc: both inputs
 * (x - zp) << left_shift, each through MultiplyByQuantizedMultiplier, summed (wrapping), the
 * output's MultiplyByQuantizedMultiplier, + zero point, clamp. The output's multiplication is
 * the GEMM epilogue's vector requantization (s8_requant__avx2.h, proven equal to
 * pml_requantize over the int32 range) with one multiplier in every lane.
 *
 * The inputs' multiplications take a shortcut in 32-bit lanes (the products of the general
 * one need 64): with d = x - zp (|d| <= 255) and x = d << 20, SaturatingRoundingDoublingHighMul
 * is floor((x * M + 2^30) / 2^31) (s8_requant__avx2.h) = floor((d * M + 2^10) / 2^11), and
 * splitting M = Mh * 2^11 + Ml (0 <= Ml < 2^11) that is d * Mh + ((d * Ml + 2^10) >> 11)
 * exactly (d * Mh is a multiple of 2^11 before the division); |d * Mh| < 2^28 and
 * |d * Ml| < 2^19, so vpmulld serves. RoundingDivideByPOT follows as usual. It holds for the
 * 8-bit left shift 20 and a multiplier shift <= 0 (always: the ratio in_scale / (2 * max
 * in_scale) is at most 1/2); other parameters take the general path. The input of the larger
 * scale always has ratio exactly 1/2, i.e. M = 2^30 and shift 0, where the result is d << 19
 * exactly (Mh = 2^19, Ml = 0, no division): one shift. ONNX's float
 * semantics, Mul, and the last n % 8 elements run the scalar kernel (same arithmetic).
 */
#include <stdint.h>

#include "kernels/matmul/s8_requant__avx2.h"
#include "kernels/quant/qelementwise.h"

/* An input's multiplier on the 32-bit shortcut: M's high and low parts, then the rounding
 * divide by 2^rsh. */
typedef struct input_scale {
    __m256i m_hi, m_lo, rsh, mask, thr;
} input_scale;

typedef struct addsub_vec {
    pml_qs8_rq8 a, b, y;     /* the three multipliers, broadcast */
    pml_qs8_rqc inner, out;  /* inner: no zero point, no clamp; out: the output's */
    __m256i a_zp, b_zp, left;
    int short_inputs;        /* the inputs take the 32-bit shortcut (a_in, b_in) */
    int a_half, b_half;      /* ... and that input's multiplier is 1/2 (M = 2^30, shift 0): d << 19 */
    input_scale a_in, b_in;
} addsub_vec;

static input_scale input_scale_setup(int32_t multiplier, int32_t shift) {
    const int32_t rsh = -shift, mask = (int32_t)(((int64_t)1 << rsh) - 1);
    input_scale s;
    s.m_hi = _mm256_set1_epi32(multiplier >> 11);
    s.m_lo = _mm256_set1_epi32(multiplier & 0x7FF);
    s.rsh = _mm256_set1_epi32(rsh);
    s.mask = _mm256_set1_epi32(mask);
    s.thr = _mm256_set1_epi32(mask >> 1);
    return s;
}

/* MultiplyByQuantizedMultiplier(d << 20, M, shift) for |d| <= 255, M >= 0, shift <= 0. */
static inline __m256i scale_input(__m256i d, const input_scale *s) {
    const __m256i lo = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(d, s->m_lo), _mm256_set1_epi32(1 << 10)), 11);
    const __m256i h = _mm256_add_epi32(_mm256_mullo_epi32(d, s->m_hi), lo);
    const __m256i rem = _mm256_and_si256(h, s->mask);
    const __m256i thr = _mm256_sub_epi32(s->thr, _mm256_cmpgt_epi32(_mm256_setzero_si256(), h)); /* +1 if h < 0 */
    return _mm256_sub_epi32(_mm256_srav_epi32(h, s->rsh), _mm256_cmpgt_epi32(rem, thr));
}

static pml_qs8_rq8 broadcast_multiplier(int32_t multiplier, int32_t shift) {
    const int32_t lsh = shift > 0 ? shift : 0, rsh = shift > 0 ? 0 : -shift;
    const int32_t mask = (int32_t)(((int64_t)1 << rsh) - 1);
    pml_qs8_rq8 r;
    r.mult = _mm256_set1_epi32(multiplier);
    r.mult_odd = _mm256_srli_epi64(r.mult, 32);
    r.lsh = _mm256_set1_epi32(lsh);
    r.rsh = _mm256_set1_epi32(rsh);
    r.mask = _mm256_set1_epi32(mask);
    r.thr = _mm256_set1_epi32(mask >> 1);
    r.scale = _mm256_setzero_ps();
    return r;
}

static pml_qs8_rqc clamp_consts(int32_t zp, int32_t qmin, int32_t qmax) {
    pml_qs8_rqc c;
    c.float_mode = 0;
    c.zp = _mm256_set1_epi32(zp);
    c.qmin = _mm256_set1_epi32(qmin);
    c.qmax = _mm256_set1_epi32(qmax);
    c.lo = c.hi = _mm256_setzero_ps();
    return c;
}

static addsub_vec addsub_setup(const pml_qbinary_params *p) {
    addsub_vec v;
    v.a = broadcast_multiplier(p->a_multiplier, p->a_shift);
    v.b = broadcast_multiplier(p->b_multiplier, p->b_shift);
    v.y = broadcast_multiplier(p->y_multiplier, p->y_shift);
    v.inner = clamp_consts(0, INT32_MIN, INT32_MAX);
    v.out = clamp_consts(p->y_zp, p->qmin, p->qmax);
    v.a_zp = _mm256_set1_epi32(p->a_zp);
    v.b_zp = _mm256_set1_epi32(p->b_zp);
    v.left = _mm256_set1_epi32(p->left_shift);
    v.short_inputs = p->left_shift == 20 && p->a_multiplier >= 0 && p->b_multiplier >= 0 && p->a_shift <= 0 &&
                     p->b_shift <= 0 && p->a_shift >= -31 && p->b_shift >= -31;
    v.a_half = v.short_inputs && p->a_multiplier == 1 << 30 && p->a_shift == 0;
    v.b_half = v.short_inputs && p->b_multiplier == 1 << 30 && p->b_shift == 0;
    if (v.short_inputs) {
        v.a_in = input_scale_setup(p->a_multiplier, p->a_shift);
        v.b_in = input_scale_setup(p->b_multiplier, p->b_shift);
    }
    return v;
}

static inline __m256i load8(const int8_t *p) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)); }

/* Eight outputs from eight a and b values (int32 lanes); vpsllvd wraps like the scalar shift.
 * a_half / b_half: constants at every call, so each loop below compiles its own path. */
PML_INLINE void addsub8(__m256i a, __m256i b, const addsub_vec *v, int sub, int a_half, int b_half, int8_t *y) {
    __m256i va, vb;
    if (v->short_inputs) {
        va = a_half ? _mm256_slli_epi32(_mm256_sub_epi32(a, v->a_zp), 19)
                    : scale_input(_mm256_sub_epi32(a, v->a_zp), &v->a_in);
        vb = b_half ? _mm256_slli_epi32(_mm256_sub_epi32(b, v->b_zp), 19)
                    : scale_input(_mm256_sub_epi32(b, v->b_zp), &v->b_in);
    } else {
        const __m256i sa = _mm256_sllv_epi32(_mm256_sub_epi32(a, v->a_zp), v->left);
        const __m256i sb = _mm256_sllv_epi32(_mm256_sub_epi32(b, v->b_zp), v->left);
        va = pml_qs8_requant8(sa, &v->a, &v->inner);
        vb = pml_qs8_requant8(sb, &v->b, &v->inner);
    }
    const __m256i r = pml_qs8_requant8(sub ? _mm256_sub_epi32(va, vb) : _mm256_add_epi32(va, vb), &v->y, &v->out);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)); /* in range */
    _mm_storel_epi64((__m128i *)y, _mm_packs_epi16(w, w));
}

/* One run: a and b step 1 (a vector) or 0 (the broadcast scalar sa / sb, a stored value). */
static void addsub_run(int op, size_t n, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int8_t *y,
                       const pml_qbinary_params *p) {
    const int sub = op == PML_QBIN_SUB;
    size_t i = 0;
    if (p->mode == PML_REQUANT_FIXED_POINT) {
        const addsub_vec v = addsub_setup(p);
        const __m256i va = _mm256_set1_epi32(sa), vb = _mm256_set1_epi32(sb);
        if (v.a_half)
            for (; i + 8 <= n; i += 8) addsub8(a ? load8(a + i) : va, b ? load8(b + i) : vb, &v, sub, 1, 0, y + i);
        else if (v.b_half)
            for (; i + 8 <= n; i += 8) addsub8(a ? load8(a + i) : va, b ? load8(b + i) : vb, &v, sub, 0, 1, y + i);
        else
            for (; i + 8 <= n; i += 8) addsub8(a ? load8(a + i) : va, b ? load8(b + i) : vb, &v, sub, 0, 0, y + i);
    }
    if (i == n) return;
    const pml_qbinary_kernels *k = &pml_s8_qbinary__scalar[op];
    if (a && b) k->vv(n - i, a + i, b + i, y + i, p);
    else if (a) k->vs(n - i, a + i, sb, y + i, p);
    else k->sv(n - i, sa, b + i, y + i, p);
}

static void s8_vadd(size_t n, const void *a, const void *b, void *y, const pml_qbinary_params *p) {
    addsub_run(PML_QBIN_ADD, n, (const int8_t *)a, 0, (const int8_t *)b, 0, (int8_t *)y, p);
}
static void s8_vadds(size_t n, const void *a, int32_t b, void *y, const pml_qbinary_params *p) {
    addsub_run(PML_QBIN_ADD, n, (const int8_t *)a, 0, NULL, b, (int8_t *)y, p);
}
static void s8_saddv(size_t n, int32_t a, const void *b, void *y, const pml_qbinary_params *p) {
    addsub_run(PML_QBIN_ADD, n, NULL, a, (const int8_t *)b, 0, (int8_t *)y, p);
}
static void s8_vsub(size_t n, const void *a, const void *b, void *y, const pml_qbinary_params *p) {
    addsub_run(PML_QBIN_SUB, n, (const int8_t *)a, 0, (const int8_t *)b, 0, (int8_t *)y, p);
}
static void s8_vsubs(size_t n, const void *a, int32_t b, void *y, const pml_qbinary_params *p) {
    addsub_run(PML_QBIN_SUB, n, (const int8_t *)a, 0, NULL, b, (int8_t *)y, p);
}
static void s8_ssubv(size_t n, int32_t a, const void *b, void *y, const pml_qbinary_params *p) {
    addsub_run(PML_QBIN_SUB, n, NULL, a, (const int8_t *)b, 0, (int8_t *)y, p);
}

/* Mul keeps the scalar kernels (entries copied at first use would need a constructor; the
 * table names them directly). */
static void s8_vmul(size_t n, const void *a, const void *b, void *y, const pml_qbinary_params *p) {
    pml_s8_qbinary__scalar[PML_QBIN_MUL].vv(n, a, b, y, p);
}
static void s8_vmuls(size_t n, const void *a, int32_t b, void *y, const pml_qbinary_params *p) {
    pml_s8_qbinary__scalar[PML_QBIN_MUL].vs(n, a, b, y, p);
}
static void s8_smulv(size_t n, int32_t a, const void *b, void *y, const pml_qbinary_params *p) {
    pml_s8_qbinary__scalar[PML_QBIN_MUL].sv(n, a, b, y, p);
}

const pml_qbinary_kernels pml_s8_qbinary__avx2[PML_QBIN_COUNT] = {
    [PML_QBIN_ADD] = {s8_vadd, s8_vadds, s8_saddv},
    [PML_QBIN_SUB] = {s8_vsub, s8_vsubs, s8_ssubv},
    [PML_QBIN_MUL] = {s8_vmul, s8_vmuls, s8_smulv},
};
