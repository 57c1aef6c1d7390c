/*
 * kernels/matmul/u8s8_gemm_raw_6x32__avx512vnni.c — the u8 x s8 micro-kernel of the dense
 * store's blocks (qgemm_driver.c): 6 rows x two 16-column panels (w, then w + kq * 16) at once,
 * storing the raw int32 accumulators (bias' included; pml_qs8_epilogue.raw) for the dense
 * requantizing store. At small K (a 1x1 conv over 24 or 32 channels) a 6x16 tile is mostly
 * call, setup and store around its few vpdpbusd; two panels per call share each row's
 * broadcast of A and halve that overhead per multiply-add. nr (1..32) columns are stored;
 * the second panel is read even when nr <= 16 (the caller passes two panels).
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/matmul/s8_gemm.h"

static inline __m512i bcast_quad(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

#define RAW2_ROW_INIT(r)                                                          \
    const uint8_t *a##r = a + ((r) < mr ? (r) : mr - 1) * lda;                    \
    __m512i c##r = bias_lo, d##r = bias_hi

#define RAW2_ROW_STEP(r)                                                          \
    {                                                                             \
        const __m512i av = bcast_quad(a##r + q);                       \
        c##r = _mm512_dpbusd_epi32(c##r, av, w0);                                 \
        d##r = _mm512_dpbusd_epi32(d##r, av, w1);                                 \
    }

#define RAW2_ROW_STORE(r)                                                         \
    if ((r) < mr) {                                                               \
        int32_t *dst = (int32_t *)(void *)(c + (r) * ldc);                        \
        if (m_lo == 0xFFFF) _mm512_storeu_si512((void *)dst, c##r);              \
        else _mm512_mask_storeu_epi32(dst, m_lo, c##r);                           \
        _mm512_mask_storeu_epi32(dst + 16, m_hi, d##r);                           \
    }

void pml_u8s8_gemm_raw_6x32__avx512vnni(size_t mr, size_t nr, size_t kq, const uint8_t *a, size_t lda,
                                        const int8_t *w, const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc) {
    const __m512i bias_lo = _mm512_loadu_si512((const void *)ep->bias);
    const __m512i bias_hi = _mm512_loadu_si512((const void *)(ep->bias + 16));
    const int8_t *wb = w + kq * PML_QS8_NR;
    RAW2_ROW_INIT(0);
    RAW2_ROW_INIT(1);
    RAW2_ROW_INIT(2);
    RAW2_ROW_INIT(3);
    RAW2_ROW_INIT(4);
    RAW2_ROW_INIT(5);
    for (size_t q = 0; q < kq; q += 4, w += 64, wb += 64) {
        const __m512i w0 = _mm512_load_si512((const void *)w), w1 = _mm512_load_si512((const void *)wb);
        RAW2_ROW_STEP(0)
        RAW2_ROW_STEP(1)
        RAW2_ROW_STEP(2)
        RAW2_ROW_STEP(3)
        RAW2_ROW_STEP(4)
        RAW2_ROW_STEP(5)
    }
    const __mmask16 m_lo = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m_hi = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
    RAW2_ROW_STORE(0);
    RAW2_ROW_STORE(1);
    RAW2_ROW_STORE(2);
    RAW2_ROW_STORE(3);
    RAW2_ROW_STORE(4);
    RAW2_ROW_STORE(5);
}
