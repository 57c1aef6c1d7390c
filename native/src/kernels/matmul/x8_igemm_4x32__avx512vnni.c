/*
 * kernels/matmul/x8_igemm_4x32__avx512vnni.c — the exact integer GEMM of MatMulInteger in its
 * u8 x s8 quad form (contract in matmul_typed.h): int8 B with a zero point of 0 (the weights
 * onnxruntime's quantize_dynamic writes), int8 or uint8 A, int32 y, on vpdpbusd.
 *
 * B is packed once as panels of 16 columns, each kq/4 k-quads of 64 bytes: quad q holds
 * (b[4q..4q+3][j]) for j = 0..15, so one zmm load is one quad of 16 columns and lane j is
 * column j; zero past N and in the K padding. A tile is 4 rows x 2 panels (8 zmm
 * accumulators): per k-quad, 2 panel loads, 4 broadcasts of a row's 4 bytes and 8 vpdpbusd.
 * vpdpbusd multiplies unsigned by signed bytes: a uint8 row goes in as it is; an int8 row as
 * u = a ^ 0x80 = a + 128. Each product fits int16 (255 * 128); the four of a lane are summed
 * in 32 bits and added wrapping (vpdpbusds, the saturating form, is never used), so
 *   y = sum_k u * b - (za + flip) * colsum(b),  flip = 128 for int8 A, 0 for uint8,
 * equals the scalar kernel's modulo-2^32 sums bit for bit (vpmulld keeps the low 32 bits).
 * The K tail (K mod 4 bytes of each row) is read by memcpy, so no row is read past its end.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/matmul/matmul_typed.h"

#define XQ_MR 4
#define XQ_PANEL 16

void pml_s8_igemm_quad_pack__avx512vnni(size_t k, size_t n, const void *bv, size_t sk, size_t sn, int8_t *packed,
                                        int32_t *colsum) {
    const int8_t *b = (const int8_t *)bv;
    const size_t kq = (k + 3) / 4 * 4, n_pad = (n + XQ_PANEL - 1) / XQ_PANEL * XQ_PANEL;
    memset(packed, 0, kq * n_pad);
    for (size_t j = 0; j < n; j++) {
        int8_t *panel = packed + j / XQ_PANEL * XQ_PANEL * kq;
        uint32_t sum = 0;
        for (size_t kk = 0; kk < k; kk++) {
            const int8_t v = b[kk * sk + j * sn];
            panel[kk / 4 * 64 + j % XQ_PANEL * 4 + kk % 4] = v;
            sum += (uint32_t)(int32_t)v;
        }
        colsum[j] = (int32_t)sum;
    }
}

/* Row a's 4 bytes at byte offset o, or its last `tail` bytes (1-3) zero-padded: never past the
 * row's end (the padding meets zero weights). */
static inline __m512i xq_bcast(const uint8_t *a, __m512i flip) {
    int32_t v;
    memcpy(&v, a, 4);
    return _mm512_xor_si512(_mm512_set1_epi32(v), flip);
}

static inline __m512i xq_bcast_tail(const uint8_t *a, size_t tail, __m512i flip) {
    int32_t v = 0;
    memcpy(&v, a, tail);
    return _mm512_xor_si512(_mm512_set1_epi32(v), flip);
}

/* One tile: rows past mr repeat the last valid row (valid memory) and are not stored; np
 * panels (1 or 2), the last one's nr_last columns stored. */
static void xq_tile(size_t mr, size_t np, size_t nr_last, size_t k, const uint8_t *a, size_t lda,
                    const int32_t *zfix, const int8_t *w0, const int8_t *w1, const int32_t *colsum, int32_t *y,
                    size_t ldy, int32_t flip_bits) {
    const __m512i flip = _mm512_set1_epi32(flip_bits);
    const uint8_t *ar[XQ_MR];
    for (size_t r = 0; r < XQ_MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * lda;
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
            c31 = c00;
    const size_t full = k / 4, tail = k % 4;
#define XQ_STEP(BCAST, OFF, W)                                                                       \
    {                                                                                                \
        const __m512i v0 = _mm512_load_si512((const void *)(w0 + (W))), v1 = _mm512_load_si512((const void *)(w1 + (W))); \
        __m512i u;                                                                                   \
        u = BCAST(ar[0] + (OFF)), c00 = _mm512_dpbusd_epi32(c00, u, v0), c01 = _mm512_dpbusd_epi32(c01, u, v1); \
        u = BCAST(ar[1] + (OFF)), c10 = _mm512_dpbusd_epi32(c10, u, v0), c11 = _mm512_dpbusd_epi32(c11, u, v1); \
        u = BCAST(ar[2] + (OFF)), c20 = _mm512_dpbusd_epi32(c20, u, v0), c21 = _mm512_dpbusd_epi32(c21, u, v1); \
        u = BCAST(ar[3] + (OFF)), c30 = _mm512_dpbusd_epi32(c30, u, v0), c31 = _mm512_dpbusd_epi32(c31, u, v1); \
    }
#define XQ_FULL(p) xq_bcast((p), flip)
#define XQ_TAIL(p) xq_bcast_tail((p), tail, flip)
    for (size_t q = 0; q < full; q++) XQ_STEP(XQ_FULL, 4 * q, q * 64)
    if (tail) XQ_STEP(XQ_TAIL, 4 * full, full * 64)
#undef XQ_STEP
#undef XQ_FULL
#undef XQ_TAIL
    const __mmask16 m_last = (__mmask16)((1u << nr_last) - 1u);
    const __mmask16 m0 = np == 1 ? m_last : (__mmask16)0xFFFF, m1 = np == 2 ? m_last : 0;
    const __m512i s0 = _mm512_maskz_loadu_epi32(m0, colsum), s1 = _mm512_maskz_loadu_epi32(m1, colsum + XQ_PANEL);
    const __m512i acc[XQ_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    for (size_t r = 0; r < mr; r++) {
        const __m512i z = _mm512_set1_epi32(zfix[r]);
        const __m512i y0 = _mm512_sub_epi32(acc[r][0], _mm512_mullo_epi32(z, s0));
        /* full rows by plain stores: a masked store does not forward to the loads that read y
         * next (MatMulIntegerToFloat converts it in place), and they would wait for it */
        if (m0 == 0xFFFF) _mm512_storeu_si512((void *)(y + r * ldy), y0);
        else _mm512_mask_storeu_epi32(y + r * ldy, m0, y0);
        if (!m1) continue;
        const __m512i y1 = _mm512_sub_epi32(acc[r][1], _mm512_mullo_epi32(z, s1));
        if (m1 == 0xFFFF) _mm512_storeu_si512((void *)(y + r * ldy + XQ_PANEL), y1);
        else _mm512_mask_storeu_epi32(y + r * ldy + XQ_PANEL, m1, y1);
    }
}

/* Panel pairs outside, row tiles inside: the pair (2 * kq * 16 bytes) stays in L1 while A
 * streams. */
static void xq_gemm(size_t m, size_t n, size_t k, const uint8_t *a, size_t lda, const void *zav, size_t za_stride,
                    int a_signed, const int8_t *packed, const int32_t *colsum, int32_t *y, size_t ldy) {
    const size_t kq = (k + 3) / 4 * 4;
    /* (the flip goes to the tile as bits, not as a zmm argument: with a vector passed by value
     * between these functions, gcc 12 left out the vzeroupper at their exit, and the SSE code
     * running next -- the in-place float conversion -- ran 2-3x slower) */
    const int32_t flip = a_signed ? (int32_t)0x80808080u : 0;
    for (size_t j0 = 0; j0 < n; j0 += 2 * XQ_PANEL) {
        const size_t cols = n - j0 < 2 * XQ_PANEL ? n - j0 : 2 * XQ_PANEL;
        const size_t np = cols > XQ_PANEL ? 2 : 1, nr_last = cols - (np - 1) * XQ_PANEL;
        const int8_t *w0 = packed + j0 * kq, *w1 = np == 2 ? w0 + XQ_PANEL * kq : w0;
        for (size_t i = 0; i < m; i += XQ_MR) {
            const size_t mr = m - i < XQ_MR ? m - i : XQ_MR;
            int32_t zfix[XQ_MR];
            for (size_t r = 0; r < mr; r++) {
                const size_t row = (i + r) * za_stride;
                const int32_t za = !zav ? 0 : a_signed ? (int32_t)((const int8_t *)zav)[row]
                                                       : (int32_t)((const uint8_t *)zav)[row];
                zfix[r] = za + (a_signed ? 128 : 0);
            }
            xq_tile(mr, np, nr_last, k, a + i * lda, lda, zfix, w0, w1, colsum + j0, y + i * ldy + j0, ldy, flip);
        }
    }
}

static void igemm_quad_s8(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *za, size_t za_stride,
                          const int8_t *packed, const int32_t *colsum, int32_t *y, size_t ldy) {
    xq_gemm(m, n, k, (const uint8_t *)a, lda, za, za_stride, 1, packed, colsum, y, ldy);
}

static void igemm_quad_u8(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *za, size_t za_stride,
                          const int8_t *packed, const int32_t *colsum, int32_t *y, size_t ldy) {
    xq_gemm(m, n, k, (const uint8_t *)a, lda, za, za_stride, 0, packed, colsum, y, ldy);
}

/* avx2's tables (the int16 form, for any zero point) plus the quad form. */
const pml_matmul_typed pml_s8_matmul_typed__avx512vnni = {.igemm_pack = pml_s8_igemm_pack__scalar,
                                                          .igemm = pml_s8_igemm__avx2,
                                                          .igemm_quad_pack = pml_s8_igemm_quad_pack__avx512vnni,
                                                          .igemm_quad = igemm_quad_s8};
const pml_matmul_typed pml_u8_matmul_typed__avx512vnni = {.igemm_pack = pml_u8_igemm_pack__scalar,
                                                          .igemm = pml_u8_igemm__avx2,
                                                          .igemm_quad = igemm_quad_u8};
