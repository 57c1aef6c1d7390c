/*
 * kernels/signal/signal.h — the signal family's kernels: a complex FFT of any
 * length on float32 (re, im) pairs, the cosine-sum windows and the mel
 * filterbank, plus the per-dtype line loads and stores the DFT/STFT ops use
 * (float16 loads to float32, computes there and rounds once when stored).
 *
 * FFT: a plan (pml_fft_plan_init, at prepare) factors n into radices 4, 2 and
 * the odd primes and runs Stockham autosort passes (radix 2, 3, 4 and 5 unrolled,
 * any other prime as a direct radix-p butterfly, so a small prime length is
 * the plain O(n^2) DFT). A length with a prime factor above
 * PML_FFT_MAX_RADIX goes through Bluestein's chirp-z: a power-of-two FFT of
 * length m >= 2n - 1. Twiddles are computed in double and stored as float.
 * The inverse transform is conj(FFT(conj(x))), unscaled.
 *
 * Real FFT: a real plan of even length n transforms n real samples as n/2
 * complex ones (x[2j] + i x[2j+1]) and untangles the n/2 + 1 bins of the
 * real signal from them: half the work, and the DC and Nyquist bins come out
 * exactly real.
 */
#ifndef PML_KERNELS_SIGNAL_H
#define PML_KERNELS_SIGNAL_H

#include "kernels/common.h"

#define PML_FFT_MAX_RADIX 64  /* larger prime factors: Bluestein */
#define PML_FFT_MAX_FACTORS 64
#define PML_FFT_MAX_LEN ((int64_t)1 << 26) /* longest transform: a plan's tables stay below 2 GiB */

typedef struct pml_fft_plan {
    size_t n;                         /* complex transform length (n / 2 of a real plan) */
    size_t real_n;                    /* real plan: the real length 2n; 0 for a complex plan */
    const float *rtw;                 /* real plan: e^{-2 pi i k / real_n}, k < n */
    int nfactors;                     /* radices of the direct passes (of m for Bluestein) */
    int factors[PML_FFT_MAX_FACTORS];
    const float *tw;                  /* e^{-2 pi i k / len}, k < len, len = n (direct) or m */
    size_t m;                         /* Bluestein: power-of-two length >= 2n - 1; 0 when direct */
    const float *chirp;               /* Bluestein: e^{-pi i k^2 / n}, k < n */
    const float *kernel;              /* Bluestein: FFT_m of the conjugate chirp, divided by m */
} pml_fft_plan;

/* Floats of table memory a plan of length n keeps (n >= 1; real: n even, a real plan). */
size_t pml_fft_plan_floats(size_t n, int real);
/* Fills the plan; mem holds pml_fft_plan_floats(n, real) floats and must outlive it. */
void pml_fft_plan_init(pml_fft_plan *p, size_t n, int real, float *mem);
/* Floats of work memory one transform needs. */
size_t pml_fft_work_floats(const pml_fft_plan *p);

/* In place over data[2n] (re, im pairs): the forward DFT, or the unscaled
 * inverse when inverse is set. work: pml_fft_work_floats(p) floats. */
typedef void (*pml_fft_fn)(const pml_fft_plan *p, float *data, int inverse, float *work);
void pml_f32_fft__scalar(const pml_fft_plan *p, float *data, int inverse, float *work);
/* Real plan: data[real_n] real samples in, data[real_n + 2] = the real_n / 2 + 1 bins (re, im) out. */
typedef void (*pml_rfft_fn)(const pml_fft_plan *p, float *data, float *work);
void pml_f32_rfft__scalar(const pml_fft_plan *p, float *data, float *work);

/* w[k] = a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N), k < n, N = n (periodic) or n - 1. */
void pml_f32_cosine_window__scalar(size_t n, int periodic, double a0, double a1, double a2, float *w);

/* The [dft_length / 2 + 1, num_mel] triangular filterbank of ONNX MelWeightMatrix
 * (row-major); edges: num_mel + 2 int64 of scratch. */
void pml_f32_mel_weights__scalar(size_t num_mel, size_t dft_length, double sample_rate, double lower_hz,
                                 double upper_hz, int64_t *edges, float *w);

/* Line moves between a dtype and float32 (re, im) pairs. c: values per element (1 real, 2 complex);
 * stride: elements between consecutive samples. load fills im with 0 when c == 1; store multiplies by
 * scale and writes re only when c == 1. */
typedef struct pml_signal_typed {
    void (*load)(const void *x, size_t n, size_t stride, int c, float *dst);
    void (*store)(const float *src, size_t n, size_t stride, int c, float scale, void *y);
    void (*load_real)(const void *x, size_t n, size_t stride, float *dst); /* dst[j] = x[j * stride] */
    pml_fft_fn fft;
    pml_rfft_fn rfft;
} pml_signal_typed;

extern const pml_signal_typed pml_f32_signal_typed__scalar, pml_f16_signal_typed__scalar;

/* The initialiser of pml_typed_config.signal (every configuration uses the scalar tables). */
#define PML_SIGNAL_TYPED__SCALAR \
    {[PML_FLOAT32] = &pml_f32_signal_typed__scalar, [PML_FLOAT16] = &pml_f16_signal_typed__scalar}

#endif /* PML_KERNELS_SIGNAL_H */
