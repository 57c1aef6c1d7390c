/*
 * kernels/attention/f32_attn_row__scalar.c — the fused Attention's capped,
 * masked softmax over one row of logits (contract: pml_f32_attn_row_fn in
 * kernels/matmul/gemm.h). The scalar configuration's kernel and the oracle of
 * the SIMD ones; sums accumulate in double.
 */
#include <math.h>

#include "kernels/attention/attention.h"

void pml_f32_attn_row__scalar(size_t n, size_t n_live, float *s, float softcap, const float *mask) {
    float top = -INFINITY;
    for (size_t j = 0; j < n_live; j++) {
        float v = softcap > 0.0f ? softcap * tanhf(s[j] / softcap) : s[j];
        if (mask) v += mask[j];
        s[j] = v;
        if (v > top) top = v;
    }
    if (top == -INFINITY) { /* no attendable key: ONNX gives a zero row */
        for (size_t j = 0; j < n; j++) s[j] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (size_t j = 0; j < n_live; j++) {
        s[j] = expf(s[j] - top);
        sum += s[j];
    }
    const float r = (float)(1.0 / sum);
    for (size_t j = 0; j < n_live; j++) s[j] *= r;
    for (size_t j = n_live; j < n; j++) s[j] = 0.0f;
}
