/*
 * kernels/matmul/s8_gemm_dense__avx512vnni.c — the dense requantizing store (s8_gemm.h,
 * pml_qs8_dense_store_fn) on AVX-512: 16 consecutive outputs of C's back-to-back rows a
 * vector, each lane with its own column's parameters (unaligned loads from the cycling column
 * arrays), the tiles' requantization (s8_requant__avx512.h) and fused residual Add
 * (s8_qadd__avx512.h) on them: the same arithmetic, so the same bytes. One loop per
 * requantization mode and Add case, chosen once per call, so the body has no branches; the
 * vectors are independent and the out-of-order core overlaps their chains.
 */
#include <string.h>

#include "kernels/matmul/s8_requant__avx512.h"
#include "kernels/matmul/s8_qadd__avx512.h"

/* rq: 0 float, 1 fixed point with small accumulators, 2 fixed point, 3 and 4 the one floor
 * (s8_requant__avx512.h) without and with its sign correction; add: -1 none, else as
 * pml_qs8_add16_kind's. Constants at every call. */
PML_INLINE void dense_loop(const pml_qs8_dense *d, size_t count, const int32_t *acc, uint8_t *c, const uint8_t *res,
                           const pml_qadd16 *av, int rq, int add) {
    pml_qs8_rq16 p;
    pml_qs8_rq64 f;
    f.qmin = _mm512_set1_epi32(d->qmin), f.qmax = _mm512_set1_epi32(d->qmax);
    const int64_t np = d->rq64_len;
    p.float_mode = rq == 0, p.small_acc = rq == 1;
    p.zp = _mm512_set1_epi32(d->zero_point);
    p.qmin = _mm512_set1_epi32(d->qmin), p.qmax = _mm512_set1_epi32(d->qmax);
    p.lo = _mm512_set1_ps((float)(d->qmin - d->zero_point));
    p.hi = _mm512_set1_ps((float)(d->qmax - d->zero_point));
    const __m512i one = _mm512_set1_epi32(1);
    const int64_t n = d->n;
    int64_t col = 0; /* the column of the vector's first lane */
    for (size_t i = 0; i < count; i += 16) {
        const __mmask16 m = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const __m512i a = m == 0xFFFF ? _mm512_loadu_si512((const void *)(acc + i)) : _mm512_maskz_loadu_epi32(m, acc + i);
        if (rq >= 3) { /* the even lanes are columns col + 2i, the odd ones col + 1 + 2i */
            pml_qs8_rq64_load_cycling(&f, d->multiplier, d->rq64, np, col);
        } else if (rq == 0) {
            p.scale = _mm512_loadu_ps(d->scale + col);
        } else {
            p.mult = _mm512_loadu_si512((const void *)(d->multiplier + col));
            p.mult_odd = _mm512_loadu_si512((const void *)(d->multiplier + col + 1)); /* odd lanes' in the low dwords */
            p.rsh = _mm512_loadu_si512((const void *)(d->rshift + col));
            p.thr = _mm512_loadu_si512((const void *)(d->rhalf + col));
            if (rq == 1) {
                p.nudge = _mm512_add_epi32(p.thr, one);
            } else {
                p.lsh = _mm512_loadu_si512((const void *)(d->lshift + col));
                p.mask = _mm512_loadu_si512((const void *)(d->rmask + col));
            }
        }
        __m512i v = rq >= 3 ? pml_qs8_requant16_floor(a, &f, rq == 4) : pml_qs8_requant16(a, &p);
        if (add >= 0) {
            const __m128i b = m == 0xFFFF ? _mm_loadu_si128((const __m128i *)(const void *)(res + i))
                                          : _mm_maskz_loadu_epi8(m, (const void *)(res + i));
            const __m512i r = d->out_u8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
            v = add == 0 ? pml_qadd16_float(v, r, av)
              : add == 1 ? pml_qadd16_fixed_nudged(v, r, av, 1, 0)
              : add == 2 ? pml_qadd16_fixed_nudged(v, r, av, 0, 1)
              : add == 3 ? pml_qadd16_fixed_nudged(v, r, av, 0, 0)
              : add == 5 ? pml_qadd16_fixed_nudged(v, r, av, 1, 1)
                         : pml_qadd16_fixed(v, r, av);
        }
        if (m == 0xFFFF) _mm_storeu_si128((__m128i *)(void *)(c + i), _mm512_cvtepi32_epi8(v));
        else _mm512_mask_cvtepi32_storeu_epi8(c + i, m, v);
        for (col += 16; col >= n;) col -= n;
    }
}

#define DENSE_ADD_CASES(rq)                                                           \
    switch (add) {                                                                    \
    case -1: dense_loop(d, count, acc, c, res, &av, rq, -1); break;                   \
    case 0: dense_loop(d, count, acc, c, res, &av, rq, 0); break;                     \
    case 1: dense_loop(d, count, acc, c, res, &av, rq, 1); break;                     \
    case 2: dense_loop(d, count, acc, c, res, &av, rq, 2); break;                     \
    case 3: dense_loop(d, count, acc, c, res, &av, rq, 3); break;                     \
    case 5: dense_loop(d, count, acc, c, res, &av, rq, 5); break;                     \
    default: dense_loop(d, count, acc, c, res, &av, rq, 4); break;                    \
    }

void pml_s8_dense_store__avx512vnni(const pml_qs8_dense *d, size_t count, const int32_t *acc, uint8_t *c,
                                    const uint8_t *res) {
    pml_qadd16 av;
    int add = -1;
    if (d->add) {
        av = pml_qadd16_setup(d->add);
        add = pml_qs8_add16_kind(&av);
    } else {
        memset(&av, 0, sizeof av);
    }
    const int rq = d->mode == PML_REQUANT_FLOAT           ? 0
                 : d->floor64 == PML_QS8_FLOOR64_RELU   ? 3
                 : d->floor64 == PML_QS8_FLOOR64_SIGNED ? 4
                 : d->small_acc                         ? 1
                                                        : 2;
    if (rq == 0) DENSE_ADD_CASES(0)
    else if (rq == 1) DENSE_ADD_CASES(1)
    else if (rq == 3) DENSE_ADD_CASES(3)
    else if (rq == 4) DENSE_ADD_CASES(4)
    else DENSE_ADD_CASES(2)
}
