/*
 * kernels/quant/s8_qbinary__avx2.c — TFLite's int8 Add and Sub (PML_REQUANT_FIXED_POINT) in
 * AVX2, eight elements per step, bit for bit the scalar kernel's AddFunc/SubFunc (the
 * arithmetic and its 32-bit shortcut are in s8_qadd__avx2.h). ONNX's float semantics, Mul,
 * and the last n % 8 elements run the scalar kernel (same arithmetic).
 */
#include "kernels/matmul/s8_qadd__avx2.h"
#include "kernels/quant/qelementwise.h"

static inline __m256i load8(const int8_t *p) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)); }

/* Eight outputs from eight a and b values (int32 lanes). a_half / b_half: constants at every
 * call, so each loop below compiles its own path. */
PML_INLINE void addsub8(__m256i a, __m256i b, const pml_qadd8 *v, int sub, int a_half, int b_half, int8_t *y) {
    const __m256i r = pml_qaddsub8_fixed(a, b, v, sub, a_half, b_half);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)); /* in range */
    _mm_storel_epi64((__m128i *)y, _mm_packs_epi16(w, w));
}

/* One run: a and b step 1 (a vector) or 0 (the broadcast scalar sa / sb, a stored value). */
static void addsub_run(int op, size_t n, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int8_t *y,
                       const pml_qbinary_params *p) {
    const int sub = op == PML_QBIN_SUB;
    size_t i = 0;
    if (p->mode == PML_REQUANT_FIXED_POINT) {
        const pml_qadd8 v = pml_qadd8_setup(p);
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
