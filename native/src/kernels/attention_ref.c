/*
 * kernels/attention_ref.c — scalar row kernels of the norm and attention
 * families: LayerNormalization/RMSNormalization over one row and the fused
 * Attention's capped, masked softmax over one row of logits. They are the
 * scalar_only kernels, the portable fallback and the oracle of the AVX2 ones
 * (f32_attention_avx2.c); statistics and sums accumulate in double.
 */
#include <math.h>

#include "gemm.h"

void pml_f32_norm_row__scalar(size_t n, const float *x, const float *scale, const float *bias, float eps, int rms,
                              float *y, float *mean_out, float *inv_out) {
    double mean = 0.0, var = 0.0;
    if (!rms) {
        for (size_t i = 0; i < n; i++) mean += x[i];
        mean /= (double)n;
    }
    for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= (double)n;
    const double inv = 1.0 / sqrt(var + (double)eps);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((x[i] - mean) * inv * scale[i] + (bias ? bias[i] : 0.0f));
    if (mean_out) *mean_out = (float)mean;
    if (inv_out) *inv_out = (float)inv;
}

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
