/*
 * kernels/unary/unary_typed__scalar.c — the unary family's tables for every
 * dtype but float32's fast path (see unary_typed.h for the semantics). Each
 * op's loop is one macro template over the dtype, instantiated below per
 * dtype; a dtype is described once by its storage type (PML_T_<d>), how an
 * element loads (PML_LD_<d>: as float, int64 or uint64) and the kind of that
 * value (PML_K_<d>: f, i or u), and stored by pml_st_<d>_<kind>.
 */
#include <math.h>
#include <string.h>

#include "kernels/unary/unary_typed.h"

/* ---- dtype descriptors -------------------------------------------------------------------------- */

#define PML_T_f32 float
#define PML_T_f16 uint16_t
#define PML_T_s8 int8_t
#define PML_T_u8 uint8_t
#define PML_T_s16 int16_t
#define PML_T_u16 uint16_t
#define PML_T_s32 int32_t
#define PML_T_u32 uint32_t
#define PML_T_s64 int64_t
#define PML_T_u64 uint64_t
#define PML_T_b8 uint8_t

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_LD_s8(v) ((int64_t)(v))
#define PML_LD_s16(v) ((int64_t)(v))
#define PML_LD_s32(v) ((int64_t)(v))
#define PML_LD_s64(v) ((int64_t)(v))
#define PML_LD_u8(v) ((uint64_t)(v))
#define PML_LD_u16(v) ((uint64_t)(v))
#define PML_LD_u32(v) ((uint64_t)(v))
#define PML_LD_u64(v) ((uint64_t)(v))
#define PML_LD_b8(v) ((int64_t)((v) != 0))

#define PML_K_f32 f
#define PML_K_f16 f
#define PML_K_s8 i
#define PML_K_s16 i
#define PML_K_s32 i
#define PML_K_s64 i
#define PML_K_u8 u
#define PML_K_u16 u
#define PML_K_u32 u
#define PML_K_u64 u
#define PML_K_b8 i

/* ---- stores: pml_st_<dtype>_<kind>(value) ------------------------------------------------------- */

/* float -> integer as x86 does it (cvttss2si): NaN and out-of-range give the minimum */
static inline int32_t f32_to_i32(float x) {
    return x >= -2147483648.0f && x < 2147483648.0f ? (int32_t)x : INT32_MIN; /* NaN fails both tests */
}
static inline int64_t f32_to_i64(float x) {
    return x >= -9223372036854775808.0f && x < 9223372036854775808.0f ? (int64_t)x : INT64_MIN;
}
static inline uint64_t f32_to_u64(float x) { /* what compilers emit for a float -> uint64 conversion on x86-64 */
    if (x >= 9223372036854775808.0f) /* [2^63, 2^64) exact; 2^64 and above give 0, as onnxruntime on x86 */
        return (uint64_t)f32_to_i64(x - 9223372036854775808.0f) ^ 0x8000000000000000u;
    return (uint64_t)f32_to_i64(x);
}
#define PML_NARROW_F(x) ((uint32_t)f32_to_i32(x)) /* targets up to 32 bits, signed: low bits of the int32 */

#define PML_ST_INT(D, T, U, FROM_F)                                                   \
    static inline T pml_st_##D##_i(int64_t v) { return (T)(U)v; }                     \
    static inline T pml_st_##D##_u(uint64_t v) { return (T)(U)v; }                    \
    static inline T pml_st_##D##_f(float v) { return (T)(U)FROM_F(v); }
PML_ST_INT(s8, int8_t, uint8_t, PML_NARROW_F)
PML_ST_INT(u8, uint8_t, uint8_t, PML_NARROW_F)
PML_ST_INT(s16, int16_t, uint16_t, PML_NARROW_F)
PML_ST_INT(u16, uint16_t, uint16_t, PML_NARROW_F)
PML_ST_INT(s32, int32_t, uint32_t, PML_NARROW_F)
PML_ST_INT(u32, uint32_t, uint32_t, (uint64_t)f32_to_i64)
PML_ST_INT(s64, int64_t, uint64_t, f32_to_i64)
PML_ST_INT(u64, uint64_t, uint64_t, f32_to_u64)

static inline float pml_st_f32_f(float v) { return v; }
static inline float pml_st_f32_i(int64_t v) { return (float)v; }
static inline float pml_st_f32_u(uint64_t v) { return (float)v; }
static inline uint16_t pml_st_f16_f(float v) { return pml_f32_to_f16_scalar(v); }
static inline uint16_t pml_st_f16_i(int64_t v) { return pml_f32_to_f16_scalar((float)v); }
static inline uint16_t pml_st_f16_u(uint64_t v) { return pml_f32_to_f16_scalar((float)v); }
static inline uint8_t pml_st_b8_f(float v) { return v != 0.0f; }
static inline uint8_t pml_st_b8_i(int64_t v) { return v != 0; }
static inline uint8_t pml_st_b8_u(uint64_t v) { return v != 0; }

#define PML_ST(D, K) PML_ST_(D, K) /* expands K (PML_K_<s>) before pasting */
#define PML_ST_(D, K) pml_st_##D##_##K

/* ---- Cast: one template, 11 x 11 instantiations -------------------------------------------------- */

#define PML_CAST_FN(S, D)                                                                        \
    static void pml_cast_##S##_to_##D(size_t n, const void *xv, void *yv) {                      \
        const PML_T_##S *x = (const PML_T_##S *)xv;                                              \
        PML_T_##D *y = (PML_T_##D *)yv;                                                          \
        for (size_t i = 0; i < n; i++) y[i] = PML_ST(D, PML_K_##S)(PML_LD_##S(x[i]));            \
    }
#define PML_CAST_ROW(S)                                                                          \
    PML_CAST_FN(S, f32) PML_CAST_FN(S, f16) PML_CAST_FN(S, s8) PML_CAST_FN(S, u8)                \
    PML_CAST_FN(S, s16) PML_CAST_FN(S, u16) PML_CAST_FN(S, s32) PML_CAST_FN(S, u32)              \
    PML_CAST_FN(S, s64) PML_CAST_FN(S, u64) PML_CAST_FN(S, b8)
#define PML_CAST_TABLE(S)                                                                        \
    .cast = {[PML_FLOAT32] = pml_cast_##S##_to_f32, [PML_FLOAT16] = pml_cast_##S##_to_f16,       \
             [PML_INT8] = pml_cast_##S##_to_s8,     [PML_UINT8] = pml_cast_##S##_to_u8,          \
             [PML_INT16] = pml_cast_##S##_to_s16,   [PML_UINT16] = pml_cast_##S##_to_u16,        \
             [PML_INT32] = pml_cast_##S##_to_s32,   [PML_UINT32] = pml_cast_##S##_to_u32,        \
             [PML_INT64] = pml_cast_##S##_to_s64,   [PML_UINT64] = pml_cast_##S##_to_u64,        \
             [PML_BOOL] = pml_cast_##S##_to_b8}

PML_CAST_ROW(f32)
PML_CAST_ROW(f16)
PML_CAST_ROW(s8)
PML_CAST_ROW(u8)
PML_CAST_ROW(s16)
PML_CAST_ROW(u16)
PML_CAST_ROW(s32)
PML_CAST_ROW(u32)
PML_CAST_ROW(s64)
PML_CAST_ROW(u64)
PML_CAST_ROW(b8)

/* ---- float predicates: IsNaN, IsInf ----------------------------------------------------------- */

#define PML_PREDICATES(S)                                                                                \
    static void pml_isnan_##S(size_t n, const void *xv, uint8_t *y) {                                    \
        const PML_T_##S *x = (const PML_T_##S *)xv;                                                      \
        for (size_t i = 0; i < n; i++) {                                                                 \
            float v = PML_LD_##S(x[i]);                                                                  \
            y[i] = v != v;                                                                               \
        }                                                                                                \
    }                                                                                                    \
    static void pml_isinf_##S(size_t n, const void *xv, uint8_t *y, int pos, int neg) {                  \
        const PML_T_##S *x = (const PML_T_##S *)xv;                                                      \
        for (size_t i = 0; i < n; i++) {                                                                 \
            float v = PML_LD_##S(x[i]);                                                                  \
            y[i] = (pos && v == INFINITY) || (neg && v == -INFINITY);                                    \
        }                                                                                                \
    }
PML_PREDICATES(f32)
PML_PREDICATES(f16)

/* ---- float16: each block widened, computed by the float32 reference kernel, rounded once ---- */

#define PML_F16_BLOCK 256
#define PML_F16_VIA_F32(E, name, isa)                                                                    \
    static void pml_f16_##name(size_t n, const void *xv, void *yv, const pml_unary_params *p) {          \
        const uint16_t *x = (const uint16_t *)xv;                                                        \
        uint16_t *y = (uint16_t *)yv;                                                                    \
        float buf[PML_F16_BLOCK];                                                                        \
        for (size_t b = 0; b < n; b += PML_F16_BLOCK) {                                                  \
            size_t m = n - b < PML_F16_BLOCK ? n - b : PML_F16_BLOCK;                                    \
            for (size_t i = 0; i < m; i++) buf[i] = pml_f16_to_f32_scalar(x[b + i]);                     \
            pml_f32_##name##__scalar(m, buf, buf, p);                                                    \
            for (size_t i = 0; i < m; i++) y[b + i] = pml_f32_to_f16_scalar(buf[i]);                     \
        }                                                                                                \
    }
PML_UNARY_OPS(PML_F16_VIA_F32)
#define PML_F16_ENTRY(E, name, isa) [PML_UN_##E] = pml_f16_##name,

/* ---- integers -------------------------------------------------------------------------------------- */

/* Clip bounds (float attributes) rounded into [MIN, MAX] of the dtype: min up, max down; NaN: no bound. */
#define PML_INT_CLIP(D, T, TMIN, TMAX)                                                                   \
    static void pml_##D##_clip(size_t n, const void *xv, void *yv, const pml_unary_params *p) {          \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        double a = p->alpha, b = p->beta;                                                                \
        T lo = !(a > (double)(TMIN)) ? (TMIN) : a >= (double)(TMAX) ? (TMAX) : (T)ceil(a);               \
        T hi = !(b < (double)(TMAX)) ? (TMAX) : b <= (double)(TMIN) ? (TMIN) : (T)floor(b);              \
        for (size_t i = 0; i < n; i++) {                                                                 \
            T v = x[i] < lo ? lo : x[i];                                                                 \
            y[i] = v > hi ? hi : v;                                                                      \
        }                                                                                                \
    }

/* Shrink computes in float32 and converts back as Cast does (onnxruntime's integer Shrink):
 * alpha = bias, beta = lambd */
#define PML_INT_SHRINK(D, T)                                                                             \
    static void pml_##D##_shrink(size_t n, const void *xv, void *yv, const pml_unary_params *p) {        \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        for (size_t i = 0; i < n; i++) {                                                                 \
            float v = (float)x[i];                                                                       \
            y[i] = v < -p->beta  ? pml_st_##D##_f(v + p->alpha)                                          \
                   : v > p->beta ? pml_st_##D##_f(v - p->alpha)                                          \
                                 : (T)0;                                                                 \
        }                                                                                                \
    }

/* signed: negation through the unsigned type U, so the minimum wraps instead of overflowing */
#define PML_SIGNED_OPS(D, T, U, TMIN, TMAX)                                                              \
    PML_INT_CLIP(D, T, TMIN, TMAX)                                                                       \
    PML_INT_SHRINK(D, T)                                                                                 \
    static void pml_##D##_abs(size_t n, const void *xv, void *yv, const pml_unary_params *p) {           \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = x[i] < 0 ? (T)(U)(0u - (U)x[i]) : x[i];                    \
        (void)p;                                                                                         \
    }                                                                                                    \
    static void pml_##D##_neg(size_t n, const void *xv, void *yv, const pml_unary_params *p) {           \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = (T)(U)(0u - (U)x[i]);                                      \
        (void)p;                                                                                         \
    }                                                                                                    \
    static void pml_##D##_sign(size_t n, const void *xv, void *yv, const pml_unary_params *p) {          \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0));                              \
        (void)p;                                                                                         \
    }                                                                                                    \
    static void pml_##D##_relu(size_t n, const void *xv, void *yv, const pml_unary_params *p) {          \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = x[i] < 0 ? (T)0 : x[i];                                    \
        (void)p;                                                                                         \
    }

/* unsigned: Abs is a copy, Sign is x != 0; no Neg/Relu (ONNX defines them for signed types only) */
#define PML_UNSIGNED_OPS(D, T, TMAX)                                                                     \
    PML_INT_CLIP(D, T, (T)0, TMAX)                                                                       \
    PML_INT_SHRINK(D, T)                                                                                 \
    static void pml_##D##_abs(size_t n, const void *xv, void *yv, const pml_unary_params *p) {           \
        if (xv != yv) memcpy(yv, xv, n * sizeof(T));                                                     \
        (void)p;                                                                                         \
    }                                                                                                    \
    static void pml_##D##_sign(size_t n, const void *xv, void *yv, const pml_unary_params *p) {          \
        const T *x = (const T *)xv;                                                                      \
        T *y = (T *)yv;                                                                                  \
        for (size_t i = 0; i < n; i++) y[i] = (T)(x[i] != 0);                                            \
        (void)p;                                                                                         \
    }

PML_SIGNED_OPS(s8, int8_t, uint8_t, INT8_MIN, INT8_MAX)
PML_SIGNED_OPS(s16, int16_t, uint16_t, INT16_MIN, INT16_MAX)
PML_SIGNED_OPS(s32, int32_t, uint32_t, INT32_MIN, INT32_MAX)
PML_SIGNED_OPS(s64, int64_t, uint64_t, INT64_MIN, INT64_MAX)
PML_UNSIGNED_OPS(u8, uint8_t, UINT8_MAX)
PML_UNSIGNED_OPS(u16, uint16_t, UINT16_MAX)
PML_UNSIGNED_OPS(u32, uint32_t, UINT32_MAX)
PML_UNSIGNED_OPS(u64, uint64_t, UINT64_MAX)

/* ---- tables ---------------------------------------------------------------------------------------- */

#define PML_SIGNED_TABLE(D)                                                                                  \
    const pml_unary_typed pml_##D##_unary_typed__scalar = {                                                  \
        .unary = {[PML_UN_ABS] = pml_##D##_abs, [PML_UN_NEG] = pml_##D##_neg, [PML_UN_SIGN] = pml_##D##_sign, \
                  [PML_UN_RELU] = pml_##D##_relu, [PML_UN_CLIP] = pml_##D##_clip,                             \
                  [PML_UN_SHRINK] = pml_##D##_shrink},                                                        \
        PML_CAST_TABLE(D)};
#define PML_UNSIGNED_TABLE(D)                                                                                \
    const pml_unary_typed pml_##D##_unary_typed__scalar = {                                                  \
        .unary = {[PML_UN_ABS] = pml_##D##_abs, [PML_UN_SIGN] = pml_##D##_sign, [PML_UN_CLIP] = pml_##D##_clip, \
                  [PML_UN_SHRINK] = pml_##D##_shrink},                                                        \
        PML_CAST_TABLE(D)};

PML_SIGNED_TABLE(s8)
PML_SIGNED_TABLE(s16)
PML_SIGNED_TABLE(s32)
PML_SIGNED_TABLE(s64)
PML_UNSIGNED_TABLE(u8)
PML_UNSIGNED_TABLE(u16)
PML_UNSIGNED_TABLE(u32)
PML_UNSIGNED_TABLE(u64)

/* float32's arithmetic runs the float32 table (ctx->config->f32); here only what it shares with the others */
const pml_unary_typed pml_f32_unary_typed__scalar = {
    .is_nan = pml_isnan_f32, .is_inf = pml_isinf_f32, PML_CAST_TABLE(f32)};

const pml_unary_typed pml_f16_unary_typed__scalar = {
    .unary = {PML_UNARY_OPS(PML_F16_ENTRY)},
    .is_nan = pml_isnan_f16,
    .is_inf = pml_isinf_f16,
    PML_CAST_TABLE(f16)};

const pml_unary_typed pml_b8_unary_typed__scalar = {PML_CAST_TABLE(b8)};
