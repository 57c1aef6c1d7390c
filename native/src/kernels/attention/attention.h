/*
 * kernels/attention/attention.h — the attention row kernel (the masked softmax of fused
 * Attention; a slot of the f32 table in kernels/matmul/gemm.h) and its variants.
 */
#ifndef PML_KERNELS_ATTENTION_H
#define PML_KERNELS_ATTENTION_H

#include "kernels/common.h"

/* One attention row in place (s holds already-scaled logits for n keys):
 * s[j] = softmax over j < n_live of (cap(s[j]) + mask[j]), 0 for j >= n_live,
 * cap(x) = softcap * tanh(x / softcap) when softcap > 0; mask may be NULL.
 * A row without a finite logit (everything masked) becomes all zeros. */
typedef void (*pml_f32_attn_row_fn)(size_t n, size_t n_live, float *s, float softcap, const float *mask);

#define PML_F32_ATTN_ROW(isa, tile) \
    void pml_f32_attn_row__##isa(size_t n, size_t n_live, float *s, float softcap, const float *mask);
#include "kernels/attention/attention_variants.h"

#endif /* PML_KERNELS_ATTENTION_H */
