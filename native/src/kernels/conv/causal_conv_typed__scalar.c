/*
 * kernels/conv/causal_conv_typed__scalar.c — CausalConvWithState (see conv_typed.h), one
 * macro template instantiated for float32 and float16. Sums run in float32; the
 * convolution rounds to the storage type before the SiLU reads it back (onnx's
 * reference rounds there too), so float16 output rounds at most twice, as onnx's does.
 */
#include <math.h>

#include "kernels/conv/conv_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

#define PML_CAUSAL_CONV(D, T)                                                                                 \
    void pml_##D##_causal_conv__scalar(size_t r0, size_t r1, size_t c, size_t len, size_t k,           \
                                              const void *xv, const void *wv, const void *bv,               \
                                              const void *pv, int silu, void *yv, void *sv) {               \
        const T *x = (const T *)xv, *w = (const T *)wv, *bias = (const T *)bv, *past = (const T *)pv;        \
        T *y = (T *)yv, *present = (T *)sv;                                                                  \
        const size_t h = k - 1; /* history length */                                                         \
        for (size_t r = r0; r < r1; r++) {                                                                   \
            const T *xr = x + r * len, *pr = past ? past + r * h : NULL, *wr = w + (r % c) * k;              \
            T *yr = y + r * len;                                                                             \
            const float b0 = bias ? PML_LD_##D(bias[r % c]) : 0.0f;                                          \
            for (size_t t = 0; t < len; t++) {                                                               \
                float acc = b0;                                                                              \
                for (size_t i = 0; i < k; i++) { /* p[t + i]: history while t + i < h, then x */             \
                    const size_t e = t + i;                                                                  \
                    const float pe = e >= h ? PML_LD_##D(xr[e - h]) : pr ? PML_LD_##D(pr[e]) : 0.0f;         \
                    acc += PML_LD_##D(wr[i]) * pe;                                                           \
                }                                                                                            \
                T out = PML_ST_##D(acc);                                                                     \
                if (silu) {                                                                                  \
                    const float a = PML_LD_##D(out);                                                         \
                    out = PML_ST_##D(a / (1.0f + expf(-a)));                                                 \
                }                                                                                            \
                yr[t] = out;                                                                                 \
            }                                                                                                \
            T *sr = present + r * h;                                                                         \
            for (size_t i = 0; i < h; i++) { /* p[len + i] */                                                \
                const size_t e = len + i;                                                                    \
                sr[i] = e >= h ? xr[e - h] : pr ? pr[e] : (T)0;                                              \
            }                                                                                                \
        }                                                                                                    \
    }

PML_CAUSAL_CONV(f32, float)
PML_CAUSAL_CONV(f16, uint16_t)

/* (the per-dtype tables, with these two entries, are in col2im_typed__scalar.c) */
