/*
 * kernels/attention/linear_attn_typed__scalar.c — LinearAttention's recurrence (see
 * attention_typed.h), one macro template instantiated for float32 and float16: elements
 * load as float32, the state and every sum stay float32, y and present round once.
 */
#include <math.h>

#include "kernels/attention/attention_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)

#define PML_LINEAR_ATTN(D, T)                                                                                  \
    static void pml_##D##_linear_attn__scalar(const pml_linear_attn_shape *s, size_t b, size_t j,            \
                                              const void *qv, const void *kv, const void *vv,                \
                                              const void *pastv, const void *decayv, const void *betav,      \
                                              void *yv, void *presentv, float *work) {                       \
        const T *q = (const T *)qv, *k = (const T *)kv, *v = (const T *)vv;                                   \
        const T *past = (const T *)pastv, *decay = (const T *)decayv, *beta = (const T *)betav;               \
        T *y = (T *)yv, *present = (T *)presentv;                                                             \
        const size_t dk = s->dk, dv = s->dv, group = s->hq / s->hkv;                                          \
        float *st = work, *u = work + dk * dv; /* state [dk, dv]; the token's value row */                    \
        const size_t sbase = (b * s->hkv + j) * dk * dv;                                                      \
        for (size_t e = 0; e < dk * dv; e++) st[e] = past ? PML_LD_##D(past[sbase + e]) : 0.0f;              \
        for (size_t t = 0; t < s->t; t++) {                                                                   \
            const size_t bt = b * s->t + t;                                                                   \
            const T *kt = k + (bt * s->hkv + j) * dk, *vt = v + (bt * s->hkv + j) * dv;                       \
            if (s->decay_n) { /* per head: one factor; per key dim: one per state row */                      \
                const int per_key = s->decay_n != s->hkv;                                                     \
                const T *g = decay + bt * s->decay_n + j * (per_key ? dk : 1);                                \
                for (size_t d = 0; d < dk; d++) {                                                             \
                    const float f = expf(PML_LD_##D(g[per_key ? d : 0]));                                     \
                    for (size_t m = 0; m < dv; m++) st[d * dv + m] *= f;                                      \
                }                                                                                             \
            }                                                                                                 \
            for (size_t m = 0; m < dv; m++) u[m] = PML_LD_##D(vt[m]);                                         \
            if (s->beta_n) { /* u = beta (v - S^T k) */                                                       \
                const float bj = PML_LD_##D(beta[bt * s->beta_n + (s->beta_n == 1 ? 0 : j)]);                 \
                for (size_t m = 0; m < dv; m++) {                                                             \
                    float r = 0.0f;                                                                           \
                    for (size_t d = 0; d < dk; d++) r += st[d * dv + m] * PML_LD_##D(kt[d]);                  \
                    u[m] = bj * (u[m] - r);                                                                   \
                }                                                                                             \
            }                                                                                                 \
            for (size_t d = 0; d < dk; d++) {                                                                 \
                const float kd = PML_LD_##D(kt[d]);                                                           \
                for (size_t m = 0; m < dv; m++) st[d * dv + m] += kd * u[m];                                  \
            }                                                                                                 \
            for (size_t h = j * group; h < (j + 1) * group; h++) {                                            \
                const T *qt = q + (bt * s->hq + h) * dk;                                                      \
                T *yt = y + (bt * s->hq + h) * dv;                                                            \
                for (size_t m = 0; m < dv; m++) {                                                             \
                    float acc = 0.0f;                                                                         \
                    for (size_t d = 0; d < dk; d++) acc += PML_LD_##D(qt[d]) * st[d * dv + m];               \
                    yt[m] = PML_ST_##D(s->scale * acc);                                                       \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
        for (size_t e = 0; e < dk * dv; e++) present[sbase + e] = PML_ST_##D(st[e]);                          \
    }

PML_LINEAR_ATTN(f32, float)
PML_LINEAR_ATTN(f16, uint16_t)

const pml_attention_typed pml_f32_attention_typed__scalar = {.linear_attn = pml_f32_linear_attn__scalar};
const pml_attention_typed pml_f16_attention_typed__scalar = {.linear_attn = pml_f16_linear_attn__scalar};
