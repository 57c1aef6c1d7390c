/*
 * kernels/attention/attention_typed.h — the attention family's type-generic scalar
 * kernels, one table per dtype, reached through ctx->config->typed.attention[dtype]
 * (see kernels/config.h): LinearAttention's recurrence over float32 and float16
 * (float16 loads to float32, the state stays float32, results round once).
 */
#ifndef PML_KERNELS_ATTENTION_TYPED_H
#define PML_KERNELS_ATTENTION_TYPED_H

#include "kernels/common.h"

/* Geometry of one LinearAttention call; tensors are packed [B, T, H*D] (ONNX's layout). */
typedef struct pml_linear_attn_shape {
    size_t t, hq, hkv, dk, dv;
    size_t decay_n; /* decay's last dim: 0 (absent), hkv (per head) or hkv*dk (per key dim) */
    size_t beta_n;  /* beta's last dim: 0 (absent), 1 (shared) or hkv */
    float scale;
} pml_linear_attn_shape;

/* The recurrence of kv head j of batch b over all T tokens: the state S [dk, dv] starts
 * from past ([B, Hkv, dk, dv]; NULL: zeros) and, per token, decays (S *= exp(g)), takes the
 * delta correction (v <- beta (v - S^T k)), adds k v^T and gives y = scale q^T S to the
 * query heads j*g .. j*g+g-1 (g = hq/hkv). Writes y's rows of those heads and present's
 * [dk, dv] block of (b, j). work: dk*dv + dv floats. Inputs are whole tensors. */
typedef void (*pml_linear_attn_fn)(const pml_linear_attn_shape *s, size_t b, size_t j, const void *q, const void *k,
                                   const void *v, const void *past, const void *decay, const void *beta, void *y,
                                   void *present, float *work);

typedef struct pml_attention_typed {
    pml_linear_attn_fn linear_attn;
} pml_attention_typed;

extern const pml_attention_typed pml_f32_attention_typed__scalar, pml_f16_attention_typed__scalar;

/* The initialiser of pml_typed_config.attention (every configuration uses the scalar tables). */
#define PML_ATTENTION_TYPED__SCALAR \
    {[PML_FLOAT32] = &pml_f32_attention_typed__scalar, [PML_FLOAT16] = &pml_f16_attention_typed__scalar}

#endif /* PML_KERNELS_ATTENTION_TYPED_H */
