/*
 * kernels/signal/f32_cosine_window__scalar.c — the generalised cosine windows
 * (Hann, Hamming, Blackman: signal.h), evaluated in double and rounded once.
 * A symmetric window of one sample divides by N = 0 as ONNX's formula does
 * (NaN), so every runtime agrees on it.
 */
#include <math.h>

#include "kernels/signal/signal.h"

void pml_f32_cosine_window__scalar(size_t n, int periodic, double a0, double a1, double a2, float *w) {
    const double denom = periodic ? (double)n : (double)n - 1.0;
    for (size_t k = 0; k < n; k++) {
        const double phase = 2.0 * 3.14159265358979323846 * (double)k / denom;
        w[k] = (float)(a0 - a1 * cos(phase) + a2 * cos(2.0 * phase));
    }
}
