/*
 * kernels/elementwise/f32_ew__avx2.c — AVX2/FMA/F16C kernels of the float32 kernel table
 * (ew_kernels.h): binary ops (vector-vector, vector-scalar,
 * scalar-vector), the hot activations (erf and Gelu come from
 * kernels/matmul/f32_act__avx2.h), comparisons, 4-byte Where, scale-shift, softmax,
 * reductions and half conversions. Ops without a vector kernel here point at
 * the scalar reference. Float loop tails use masked loads/stores, so there is
 * no scalar tail loop to drift from the vector semantics; compare and select,
 * whose results are exact, finish with the scalar expression.
 *
 * exp uses the Cephes polynomial (relative error ~1e-7 on the reduced range)
 * with 2^n applied as two factors so results stay exact down to the float
 * subnormals; sigmoid and tanh are built on it. NaN propagates through every
 * kernel as in the reference (operand order of max/min is chosen for that).
 * Compiled with -mavx2 -mfma -mf16c; only called when the CPU has them.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/elementwise/ew_kernels.h"
#include "kernels/matmul/f32_act__avx2.h" /* erf/Gelu, shared with the fused activations of GEMM and conv */

static const int32_t g_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* lanes [0, r) set, r in 1..7 */
static inline __m256i tail_mask(size_t r) { return _mm256_loadu_si256((const __m256i *)(g_mask_table + 8 - r)); }

/* ---- vector math ---------------------------------------------------------------------- */

/* max/min that return NaN if either operand is NaN (vmaxps returns its
 * second operand when either is NaN, so patch lanes where a is NaN) */
static inline __m256 max_nan_v(__m256 a, __m256 b) {
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}
static inline __m256 min_nan_v(__m256 a, __m256 b) {
    return _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

/* ---- binary ----------------------------------------------------------------------------- */

static inline __m256 op_add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
static inline __m256 op_sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
static inline __m256 op_mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
static inline __m256 op_div(__m256 a, __m256 b) { return _mm256_div_ps(a, b); }
static inline __m256 op_max(__m256 a, __m256 b) { return max_nan_v(a, b); }
static inline __m256 op_min(__m256 a, __m256 b) { return min_nan_v(a, b); }
static inline __m256 op_prelu(__m256 a, __m256 b) {
    __m256 neg = _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(a, _mm256_mul_ps(a, b), neg);
}

#define PML_BINARY_AVX2(name)                                                                     \
    static void pml_f32_v##name##__avx2(size_t n, const float *a, const float *b, float *y) {     \
        size_t i = 0;                                                                             \
        for (; i + 16 <= n; i += 16) {                                                            \
            __m256 r0 = op_##name(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));                \
            __m256 r1 = op_##name(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));        \
            _mm256_storeu_ps(y + i, r0);                                                          \
            _mm256_storeu_ps(y + i + 8, r1);                                                      \
        }                                                                                         \
        for (; i + 8 <= n; i += 8)                                                                \
            _mm256_storeu_ps(y + i, op_##name(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));   \
        if (i < n) {                                                                              \
            __m256i m = tail_mask(n - i);                                                         \
            _mm256_maskstore_ps(y + i, m,                                                         \
                                op_##name(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m))); \
        }                                                                                         \
    }                                                                                             \
    static void pml_f32_v##name##s__avx2(size_t n, const float *a, float b, float *y) {           \
        __m256 vb = _mm256_set1_ps(b);                                                            \
        size_t i = 0;                                                                             \
        for (; i + 16 <= n; i += 16) {                                                            \
            __m256 r0 = op_##name(_mm256_loadu_ps(a + i), vb);                                    \
            __m256 r1 = op_##name(_mm256_loadu_ps(a + i + 8), vb);                                \
            _mm256_storeu_ps(y + i, r0);                                                          \
            _mm256_storeu_ps(y + i + 8, r1);                                                      \
        }                                                                                         \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, op_##name(_mm256_loadu_ps(a + i), vb)); \
        if (i < n) {                                                                              \
            __m256i m = tail_mask(n - i);                                                         \
            _mm256_maskstore_ps(y + i, m, op_##name(_mm256_maskload_ps(a + i, m), vb));           \
        }                                                                                         \
    }                                                                                             \
    static void pml_f32_s##name##v__avx2(size_t n, float a, const float *b, float *y) {           \
        __m256 va = _mm256_set1_ps(a);                                                            \
        size_t i = 0;                                                                             \
        for (; i + 16 <= n; i += 16) {                                                            \
            __m256 r0 = op_##name(va, _mm256_loadu_ps(b + i));                                    \
            __m256 r1 = op_##name(va, _mm256_loadu_ps(b + i + 8));                                \
            _mm256_storeu_ps(y + i, r0);                                                          \
            _mm256_storeu_ps(y + i + 8, r1);                                                      \
        }                                                                                         \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, op_##name(va, _mm256_loadu_ps(b + i))); \
        if (i < n) {                                                                              \
            __m256i m = tail_mask(n - i);                                                         \
            _mm256_maskstore_ps(y + i, m, op_##name(va, _mm256_maskload_ps(b + i, m)));           \
        }                                                                                         \
    }

PML_BINARY_AVX2(add)
PML_BINARY_AVX2(sub)
PML_BINARY_AVX2(mul)
PML_BINARY_AVX2(div)
PML_BINARY_AVX2(max)
PML_BINARY_AVX2(min)
PML_BINARY_AVX2(prelu)

/* ---- unary ---------------------------------------------------------------------------------- */

/* FN(v) computes one vector; P is the params pointer, visible to FN. */
#define PML_UNARY_AVX2(name, FN)                                                                    \
    static void pml_f32_##name##__avx2(size_t n, const float *x, float *y, const pml_unary_params *P) { \
        size_t i = 0;                                                                               \
        (void)P;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                \
            __m256 v = _mm256_loadu_ps(x + i);                                                      \
            _mm256_storeu_ps(y + i, FN);                                                            \
        }                                                                                           \
        if (i < n) {                                                                                \
            __m256i m = tail_mask(n - i);                                                           \
            __m256 v = _mm256_maskload_ps(x + i, m);                                                \
            _mm256_maskstore_ps(y + i, m, FN);                                                      \
        }                                                                                           \
    }

/* -1, 1, or x itself for 0, -0 and NaN */
static inline __m256 sign_v(__m256 x) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 r = _mm256_blendv_ps(x, _mm256_set1_ps(1.0f), _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
    return _mm256_blendv_ps(r, _mm256_set1_ps(-1.0f), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
}

static inline __m256 clamp01_v(__m256 t) {
    return _mm256_min_ps(_mm256_set1_ps(1.0f), _mm256_max_ps(_mm256_setzero_ps(), t));
}

PML_UNARY_AVX2(relu, _mm256_max_ps(_mm256_setzero_ps(), v))
PML_UNARY_AVX2(leaky_relu, _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(P->alpha)),
                                             _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ)))
PML_UNARY_AVX2(clip, _mm256_min_ps(_mm256_set1_ps(P->beta), _mm256_max_ps(_mm256_set1_ps(P->alpha), v)))
PML_UNARY_AVX2(sigmoid, pml_sigmoid8(v))
PML_UNARY_AVX2(tanh, pml_tanh8(v))
PML_UNARY_AVX2(hardsigmoid, clamp01_v(_mm256_fmadd_ps(v, _mm256_set1_ps(P->alpha), _mm256_set1_ps(P->beta))))
PML_UNARY_AVX2(hardswish,
               _mm256_mul_ps(v, clamp01_v(_mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f)))))
PML_UNARY_AVX2(sqrt, _mm256_sqrt_ps(v))
PML_UNARY_AVX2(exp, pml_exp8_inf(v))
PML_UNARY_AVX2(abs, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v))
PML_UNARY_AVX2(neg, _mm256_xor_ps(_mm256_set1_ps(-0.0f), v))
PML_UNARY_AVX2(reciprocal, _mm256_div_ps(_mm256_set1_ps(1.0f), v))
PML_UNARY_AVX2(floor, _mm256_floor_ps(v))
PML_UNARY_AVX2(ceil, _mm256_ceil_ps(v))
PML_UNARY_AVX2(round, _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)) /* ties to even */
PML_UNARY_AVX2(sign, sign_v(v))
PML_UNARY_AVX2(erf, pml_erf8(v))
PML_UNARY_AVX2(gelu_erf, pml_gelu_erf8(v))
PML_UNARY_AVX2(gelu_tanh, pml_gelu_tanh8(v))

/* ---- compare / select --------------------------------------------------------------------- */

/* 32 compare masks (4 vectors of -1/0 lanes) -> 32 bytes 0/1 in order */
static inline void store_mask32(uint8_t *y, __m256 m0, __m256 m1, __m256 m2, __m256 m3) {
    __m256i ab = _mm256_packs_epi32(_mm256_castps_si256(m0), _mm256_castps_si256(m1));
    __m256i cd = _mm256_packs_epi32(_mm256_castps_si256(m2), _mm256_castps_si256(m3));
    __m256i abcd = _mm256_packs_epi16(ab, cd); /* packs work per 128-bit half: fix the dword order */
    abcd = _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)y, _mm256_and_si256(abcd, _mm256_set1_epi8(1)));
}

/* One loop per predicate (the vcmpps predicate is an immediate). Inputs with
 * stride 0 are broadcast once; the tail (< 32 elements) is the scalar
 * expression, which gives the same exact result. */
#define PML_COMPARE_AVX2(name, PRED, OP)                                                                    \
    static void compare_##name##__avx2(size_t n, const float *a, size_t sa, const float *b, size_t sb,       \
                                       uint8_t *y) {                                                        \
        const __m256 ca = _mm256_set1_ps(a[0]), cb = _mm256_set1_ps(b[0]);                                  \
        size_t i = 0;                                                                                       \
        for (; i + 32 <= n; i += 32) {                                                                      \
            __m256 m[4];                                                                                    \
            for (int k = 0; k < 4; k++) {                                                                   \
                __m256 va = sa ? _mm256_loadu_ps(a + i + 8 * k) : ca;                                       \
                __m256 vb = sb ? _mm256_loadu_ps(b + i + 8 * k) : cb;                                       \
                m[k] = _mm256_cmp_ps(va, vb, PRED);                                                         \
            }                                                                                               \
            store_mask32(y + i, m[0], m[1], m[2], m[3]);                                                    \
        }                                                                                                   \
        for (; i < n; i++) y[i] = a[i * sa] OP b[i * sb];                                                   \
    }
PML_COMPARE_AVX2(eq, _CMP_EQ_OQ, ==)
PML_COMPARE_AVX2(lt, _CMP_LT_OQ, <)
PML_COMPARE_AVX2(le, _CMP_LE_OQ, <=)
PML_COMPARE_AVX2(gt, _CMP_GT_OQ, >)
PML_COMPARE_AVX2(ge, _CMP_GE_OQ, >=)

static void pml_f32_compare__avx2(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb,
                                  uint8_t *y) {
    switch (cmp) {
    case PML_CMP_EQ: compare_eq__avx2(n, a, sa, b, sb, y); break;
    case PML_CMP_LT: compare_lt__avx2(n, a, sa, b, sb, y); break;
    case PML_CMP_LE: compare_le__avx2(n, a, sa, b, sb, y); break;
    case PML_CMP_GT: compare_gt__avx2(n, a, sa, b, sb, y); break;
    default: compare_ge__avx2(n, a, sa, b, sb, y); break;
    }
}

/* condition bytes -> lane masks (any nonzero byte is true), then a blend */
static void pml_x32_select__avx2(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx,
                                 const uint32_t *z, size_t sz, uint32_t *y) {
    const __m256i zero = _mm256_setzero_si256();
    const __m256i cc = _mm256_set1_epi32(c[0] ? -1 : 0);
    const __m256i cx = _mm256_set1_epi32((int32_t)x[0]), cz = _mm256_set1_epi32((int32_t)z[0]);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i m = cc;
        if (sc) {
            __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(c + i)));
            m = _mm256_xor_si256(_mm256_cmpeq_epi32(b, zero), _mm256_set1_epi32(-1));
        }
        __m256i vx = sx ? _mm256_loadu_si256((const __m256i *)(x + i)) : cx;
        __m256i vz = sz ? _mm256_loadu_si256((const __m256i *)(z + i)) : cz;
        _mm256_storeu_si256((__m256i *)(y + i),
                            _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(vz), _mm256_castsi256_ps(vx),
                                                                 _mm256_castsi256_ps(m))));
    }
    for (; i < n; i++) y[i] = c[i * sc] ? x[i * sx] : z[i * sz];
}

/* ---- scale-shift, reductions, softmax ---------------------------------------------------------- */

static void pml_f32_scale_shift__avx2(size_t rows, size_t c, const float *x, const float *scale, const float *shift,
                                      float *y) {
    size_t cv = c & ~(size_t)7, rem = c - cv;
    __m256i m = rem ? tail_mask(rem) : _mm256_setzero_si256();
    for (size_t r = 0; r < rows; r++, x += c, y += c) {
        for (size_t j = 0; j < cv; j += 8)
            _mm256_storeu_ps(y + j, _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(scale + j),
                                                    _mm256_loadu_ps(shift + j)));
        if (rem)
            _mm256_maskstore_ps(y + cv, m,
                                _mm256_fmadd_ps(_mm256_maskload_ps(x + cv, m), _mm256_maskload_ps(scale + cv, m),
                                                _mm256_maskload_ps(shift + cv, m)));
    }
}


static inline float hmax(__m256 v) {
    float t[8];
    _mm256_storeu_ps(t, v);
    float m = t[0];
    for (int i = 1; i < 8; i++) m = t[i] > m ? t[i] : (t[i] != t[i] ? t[i] : m);
    return m;
}

/* float lanes over blocks of 1024 (error stays ~1e-7 relative within a
 * block), block totals added in double */
static double pml_f32_sum__avx2(size_t n, const float *x) {
    double total = 0.0;
    for (size_t b = 0; b < n; b += 1024) {
        size_t e = n - b < 1024 ? n : b + 1024, i = b;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (; i + 16 <= e; i += 16) {
            s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
            s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        }
        for (; i + 8 <= e; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        if (i < e) s1 = _mm256_add_ps(s1, _mm256_maskload_ps(x + i, tail_mask(e - i)));
        total += pml_hsum8(_mm256_add_ps(s0, s1));
    }
    return total;
}

static float pml_f32_max__avx2(size_t n, const float *x) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) m = max_nan_v(_mm256_loadu_ps(x + i), m);
    if (i < n) {
        __m256i k = tail_mask(n - i);
        __m256 v = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(x + i, k), _mm256_castsi256_ps(k));
        m = max_nan_v(v, m);
    }
    return hmax(m);
}

static void pml_f32_acc_add__avx2(size_t n, const float *x, double *acc) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
        _mm256_storeu_pd(acc + i + 4,
                         _mm256_add_pd(_mm256_loadu_pd(acc + i + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    }
    for (; i < n; i++) acc[i] += x[i];
}

static void pml_f32_acc_max__avx2(size_t n, const float *x, float *acc) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(acc + i, max_nan_v(_mm256_loadu_ps(acc + i), _mm256_loadu_ps(x + i)));
    if (i < n) {
        __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(acc + i, m, max_nan_v(_mm256_maskload_ps(acc + i, m), _mm256_maskload_ps(x + i, m)));
    }
}

static void pml_f32_softmax_row__avx2(size_t n, const float *x, float *y, int is_log) {
    if (n == 0) return;
    const __m256 vm = _mm256_set1_ps(pml_f32_max__avx2(n, x));
    size_t nv = n & ~(size_t)7, rem = n - nv;
    __m256i k = rem ? tail_mask(rem) : _mm256_setzero_si256();
    __m256 s = _mm256_setzero_ps();
    if (is_log) {
        for (size_t i = 0; i < nv; i += 8) s = _mm256_add_ps(s, pml_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
        if (rem) {
            __m256 e = pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm));
            s = _mm256_add_ps(s, _mm256_and_ps(e, _mm256_castsi256_ps(k)));
        }
        /* (x - m) - log(s): x - m is exact near the max, where the result is small */
        const __m256 ls = _mm256_set1_ps(logf(pml_hsum8(s)));
        for (size_t i = 0; i < nv; i += 8)
            _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), ls));
        if (rem) _mm256_maskstore_ps(y + nv, k, _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm), ls));
        return;
    }
    for (size_t i = 0; i < nv; i += 8) {
        __m256 e = pml_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(y + i, e);
        s = _mm256_add_ps(s, e);
    }
    if (rem) {
        __m256 e = _mm256_and_ps(pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + nv, k), vm)), _mm256_castsi256_ps(k));
        _mm256_maskstore_ps(y + nv, k, e);
        s = _mm256_add_ps(s, e);
    }
    const __m256 r = _mm256_set1_ps(1.0f / pml_hsum8(s));
    for (size_t i = 0; i < nv; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), r));
    if (rem) _mm256_maskstore_ps(y + nv, k, _mm256_mul_ps(_mm256_maskload_ps(y + nv, k), r));
}

/* 8 (or a masked tail of) inner columns at a time, walking the softmax axis with stride inner */
static void pml_f32_softmax_strided__avx2(size_t len, size_t inner, const float *x, float *y, int is_log) {
    for (size_t j = 0; j < inner; j += 8) {
        __m256i k = inner - j >= 8 ? _mm256_set1_epi32(-1) : tail_mask(inner - j);
        __m256 m = _mm256_set1_ps(-INFINITY), s = _mm256_setzero_ps();
        for (size_t a = 0; a < len; a++) m = max_nan_v(_mm256_maskload_ps(x + a * inner + j, k), m);
        if (is_log) {
            for (size_t a = 0; a < len; a++)
                s = _mm256_add_ps(s, pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + a * inner + j, k), m)));
            float ts[8];
            _mm256_storeu_ps(ts, s);
            for (int t = 0; t < 8; t++) ts[t] = logf(ts[t]);
            __m256 ls = _mm256_loadu_ps(ts);
            for (size_t a = 0; a < len; a++)
                _mm256_maskstore_ps(y + a * inner + j, k,
                                    _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + a * inner + j, k), m), ls));
        } else {
            for (size_t a = 0; a < len; a++) {
                __m256 e = pml_exp8(_mm256_sub_ps(_mm256_maskload_ps(x + a * inner + j, k), m));
                _mm256_maskstore_ps(y + a * inner + j, k, e);
                s = _mm256_add_ps(s, e);
            }
            __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), s);
            for (size_t a = 0; a < len; a++)
                _mm256_maskstore_ps(y + a * inner + j, k, _mm256_mul_ps(_mm256_maskload_ps(y + a * inner + j, k), r));
        }
    }
}

/* ---- half conversions ------------------------------------------------------------------------------ */

static void pml_f32_to_f16__f16c(size_t n, const float *x, uint16_t *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = pml_f32_to_f16_scalar(x[i]);
}

static void pml_f16_to_f32__f16c(size_t n, const uint16_t *x, float *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = pml_f16_to_f32_scalar(x[i]);
}

const pml_ew_kernels pml_f32_ew__avx2 = {
    .isa = "avx2",
    .vv = {pml_f32_vadd__avx2, pml_f32_vsub__avx2, pml_f32_vmul__avx2, pml_f32_vdiv__avx2, pml_f32_vpow__scalar,
           pml_f32_vmax__avx2, pml_f32_vmin__avx2, pml_f32_vprelu__avx2},
    .vs = {pml_f32_vadds__avx2, pml_f32_vsubs__avx2, pml_f32_vmuls__avx2, pml_f32_vdivs__avx2, pml_f32_vpows__scalar,
           pml_f32_vmaxs__avx2, pml_f32_vmins__avx2, pml_f32_vprelus__avx2},
    .sv = {pml_f32_saddv__avx2, pml_f32_ssubv__avx2, pml_f32_smulv__avx2, pml_f32_sdivv__avx2, pml_f32_spowv__scalar,
           pml_f32_smaxv__avx2, pml_f32_sminv__avx2, pml_f32_spreluv__avx2},
    .unary = {pml_f32_relu__avx2, pml_f32_leaky_relu__avx2, pml_f32_clip__avx2, pml_f32_sigmoid__avx2,
              pml_f32_tanh__avx2, pml_f32_hardsigmoid__avx2, pml_f32_hardswish__avx2, pml_f32_elu__scalar,
              pml_f32_selu__scalar, pml_f32_softplus__scalar, pml_f32_sqrt__avx2, pml_f32_exp__avx2,
              pml_f32_log__scalar, pml_f32_abs__avx2, pml_f32_neg__avx2, pml_f32_reciprocal__avx2,
              pml_f32_floor__avx2, pml_f32_ceil__avx2, pml_f32_round__avx2, pml_f32_sign__avx2,
              pml_f32_sin__scalar, pml_f32_cos__scalar, pml_f32_erf__avx2, pml_f32_gelu_erf__avx2,
              pml_f32_gelu_tanh__avx2},
    .compare = pml_f32_compare__avx2,
    .select32 = pml_x32_select__avx2,
    .scale_shift = pml_f32_scale_shift__avx2,
    .softmax_row = pml_f32_softmax_row__avx2,
    .softmax_strided = pml_f32_softmax_strided__avx2,
    .sum = pml_f32_sum__avx2,
    .max = pml_f32_max__avx2,
    .acc_add = pml_f32_acc_add__avx2,
    .acc_max = pml_f32_acc_max__avx2,
    .f32_to_f16 = pml_f32_to_f16__f16c,
    .f16_to_f32 = pml_f16_to_f32__f16c,
};

