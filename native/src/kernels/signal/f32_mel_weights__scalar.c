/*
 * kernels/signal/f32_mel_weights__scalar.c — ONNX MelWeightMatrix (signal.h):
 * num_mel + 2 edges equally spaced in mel (2595 log10(1 + f / 700)) between
 * the lower and upper edge, ONNX's spacing of (high - low) / (num_mel + 2),
 * each mapped to the spectrogram bin floor((dft_length + 1) f / rate); filter
 * i rises linearly from edge i to edge i + 1 (weight 1 there) and falls to
 * edge i + 2. Bins past the spectrogram's dft_length / 2 + 1 are dropped.
 */
#include <math.h>

#include "kernels/signal/signal.h"

void pml_f32_mel_weights__scalar(size_t num_mel, size_t dft_length, double sample_rate, double lower_hz,
                                 double upper_hz, int64_t *edges, float *w) {
    const size_t bins = dft_length / 2 + 1;
    const double ln10 = log(10.0);
    const double lo = 2595.0 * log1p(lower_hz / 700.0) / ln10, hi = 2595.0 * log1p(upper_hz / 700.0) / ln10;
    const double step = (hi - lo) / (double)(num_mel + 2);
    for (size_t i = 0; i < num_mel + 2; i++) {
        const double hz = 700.0 * expm1(((double)i * step + lo) / 2595.0 * ln10);
        const double b = floor((double)(dft_length + 1) * hz / sample_rate);
        edges[i] = b != b ? 0 : b > 9.0e18 ? INT64_MAX : b < -9.0e18 ? INT64_MIN : (int64_t)b; /* NaN: no filter */
    }
    memset(w, 0, bins * num_mel * sizeof(float));
    for (size_t i = 0; i < num_mel; i++) {
        const int64_t l = edges[i], c = edges[i + 1], h = edges[i + 2];
        for (int64_t j = l > 0 ? l : 0; j <= c && j < (int64_t)bins; j++)
            w[(size_t)j * num_mel + i] = c == l ? 1.0f : (float)(((double)j - (double)l) / ((double)c - (double)l));
        for (int64_t j = c > 0 ? c : 0; j < h && j < (int64_t)bins; j++)
            w[(size_t)j * num_mel + i] = (float)(((double)h - (double)j) / ((double)h - (double)c));
    }
}
