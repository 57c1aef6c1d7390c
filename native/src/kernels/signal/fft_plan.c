/*
 * kernels/signal/fft_plan.c — FFT plans (see signal.h): the factorisation into
 * radices, the twiddle table and, for lengths with a large prime factor, the
 * Bluestein chirp and its transformed kernel. Built once at prepare; the
 * memory comes from the caller (the op state), so the transform never allocates.
 */
#include <math.h>

#include "kernels/signal/signal.h"

/* Radices of n, 4 first (fewest passes), then 2, then odd primes; 0 when a prime
 * factor exceeds PML_FFT_MAX_RADIX (n then needs Bluestein). */
static int factorize(size_t n, int *f) {
    int k = 0;
    while (n % 4 == 0) f[k++] = 4, n /= 4;
    if (n % 2 == 0) f[k++] = 2, n /= 2;
    for (size_t p = 3; n > 1; p += 2) {
        if (p * p > n) p = n; /* what is left is prime */
        if (p > PML_FFT_MAX_RADIX) return 0;
        while (n % p == 0) f[k++] = (int)p, n /= p;
    }
    return k; /* at most log2(n) factors: fits PML_FFT_MAX_FACTORS */
}

static size_t bluestein_length(size_t n) {
    size_t m = 1;
    while (m < 2 * n - 1) m *= 2;
    return m;
}

static int needs_bluestein(size_t n) {
    int f[PML_FFT_MAX_FACTORS];
    return n > 1 && factorize(n, f) == 0;
}

static size_t complex_floats(size_t n) {
    if (!needs_bluestein(n)) return 2 * n;
    size_t m = bluestein_length(n);
    return 2 * m /* tw */ + 2 * n /* chirp */ + 2 * m /* kernel */ + 2 * m /* init work */;
}

size_t pml_fft_plan_floats(size_t n, int real) { return real ? n /* rtw */ + complex_floats(n / 2) : complex_floats(n); }

size_t pml_fft_work_floats(const pml_fft_plan *p) { return p->m ? 4 * p->m : 2 * p->n; }

/* tw[k] = e^{-2 pi i k / len}, k < count */
static void twiddles(size_t len, size_t count, float *tw) {
    const double step = -2.0 * 3.14159265358979323846 / (double)len;
    for (size_t k = 0; k < count; k++) {
        tw[2 * k] = (float)cos(step * (double)k);
        tw[2 * k + 1] = (float)sin(step * (double)k);
    }
}

static void complex_init(pml_fft_plan *p, size_t n, float *mem);

void pml_fft_plan_init(pml_fft_plan *p, size_t n, int real, float *mem) {
    if (!real) {
        complex_init(p, n, mem);
        return;
    }
    complex_init(p, n / 2, mem + n); /* the rtw table first, the half-length plan's after it */
    twiddles(n, n / 2, mem);
    p->real_n = n;
    p->rtw = mem;
}

static void complex_init(pml_fft_plan *p, size_t n, float *mem) {
    memset(p, 0, sizeof *p);
    p->n = n;
    if (!needs_bluestein(n)) {
        p->nfactors = n > 1 ? factorize(n, p->factors) : 0;
        twiddles(n, n, mem);
        p->tw = mem;
        return;
    }
    const size_t m = bluestein_length(n);
    float *tw = mem, *chirp = tw + 2 * m, *kernel = chirp + 2 * n, *work = kernel + 2 * m;
    p->m = m;
    p->nfactors = factorize(m, p->factors);
    twiddles(m, m, tw);
    for (size_t k = 0; k < n; k++) { /* k^2 mod 2n keeps the angle exact for large k */
        double a = -3.14159265358979323846 * (double)((uint64_t)k * k % (2 * (uint64_t)n)) / (double)n;
        chirp[2 * k] = (float)cos(a), chirp[2 * k + 1] = (float)sin(a);
    }
    memset(kernel, 0, 2 * m * sizeof(float));
    for (size_t k = 0; k < n; k++) { /* the conjugate chirp, wrapped: b[k] = b[m - k] */
        kernel[2 * k] = chirp[2 * k], kernel[2 * k + 1] = -chirp[2 * k + 1];
        if (k) kernel[2 * (m - k)] = chirp[2 * k], kernel[2 * (m - k) + 1] = -chirp[2 * k + 1];
    }
    p->tw = tw, p->chirp = chirp, p->kernel = kernel;
    pml_fft_plan sub = *p; /* the direct length-m transform of the same tables */
    sub.n = m, sub.m = 0;
    pml_f32_fft__scalar(&sub, kernel, 0, work);
    for (size_t k = 0; k < 2 * m; k++) kernel[k] /= (float)m;
}
