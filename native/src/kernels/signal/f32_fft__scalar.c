/*
 * kernels/signal/f32_fft__scalar.c — the complex FFT of a plan (signal.h):
 * Stockham autosort passes (no bit reversal; each pass reads one buffer and
 * writes the other) and Bluestein's chirp-z on top of them for lengths with a
 * large prime factor. Radices 2, 3, 4 and 5 have unrolled butterflies.
 *
 * A pass of radix p over the current sub-length L = p * q, stride s (the
 * product of the radices done): for every q' < q and k < s,
 *   y[k + s (p q' + r)] = W_L^(q' r) * sum_j x[k + s (q' + q j)] W_p^(j r),  r < p,
 * with W_len^e = tw[e * n / len] from the one table of n twiddles.
 */
#include "kernels/signal/signal.h"

typedef struct cplx {
    float re, im;
} cplx;

static inline cplx cmul(cplx a, cplx b) { return (cplx){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

static void pass2(size_t q, size_t s, const cplx *tw, size_t tstep, const cplx *x, cplx *y) {
    for (size_t j = 0; j < q; j++) {
        const cplx w = tw[j * tstep];
        for (size_t k = 0; k < s; k++) {
            const cplx a = x[k + s * j], b = x[k + s * (j + q)];
            y[k + s * 2 * j] = (cplx){a.re + b.re, a.im + b.im};
            y[k + s * (2 * j + 1)] = cmul((cplx){a.re - b.re, a.im - b.im}, w);
        }
    }
}

static void pass4(size_t q, size_t s, const cplx *tw, size_t tstep, const cplx *x, cplx *y) {
    for (size_t j = 0; j < q; j++) {
        const cplx w1 = tw[j * tstep], w2 = tw[2 * j * tstep], w3 = tw[3 * j * tstep];
        for (size_t k = 0; k < s; k++) {
            const cplx a = x[k + s * j], b = x[k + s * (j + q)], c = x[k + s * (j + 2 * q)],
                       d = x[k + s * (j + 3 * q)];
            const cplx apc = {a.re + c.re, a.im + c.im}, amc = {a.re - c.re, a.im - c.im};
            const cplx bpd = {b.re + d.re, b.im + d.im}, bmd = {b.re - d.re, b.im - d.im};
            /* W_4 = -i: (b - d) * -i = (bmd.im, -bmd.re) */
            y[k + s * 4 * j] = (cplx){apc.re + bpd.re, apc.im + bpd.im};
            y[k + s * (4 * j + 1)] = cmul((cplx){amc.re + bmd.im, amc.im - bmd.re}, w1);
            y[k + s * (4 * j + 2)] = cmul((cplx){apc.re - bpd.re, apc.im - bpd.im}, w2);
            y[k + s * (4 * j + 3)] = cmul((cplx){amc.re - bmd.im, amc.im + bmd.re}, w3);
        }
    }
}

/* -i z and i z */
static inline cplx mul_mi(cplx z) { return (cplx){z.im, -z.re}; }
static inline cplx cadd(cplx a, cplx b) { return (cplx){a.re + b.re, a.im + b.im}; }
static inline cplx csub(cplx a, cplx b) { return (cplx){a.re - b.re, a.im - b.im}; }
static inline cplx cscale(cplx a, float k) { return (cplx){a.re * k, a.im * k}; }

/* Radix 3 with W_3 = -1/2 - i sqrt(3)/2: y1,2 = a - (b + c)/2 -+ i sqrt(3)/2 (b - c). */
static void pass3(size_t q, size_t s, const cplx *tw, size_t tstep, const cplx *x, cplx *y) {
    const float h = 0.86602540378443864676f;
    for (size_t j = 0; j < q; j++) {
        const cplx w1 = tw[j * tstep], w2 = tw[2 * j * tstep];
        for (size_t k = 0; k < s; k++) {
            const cplx a = x[k + s * j], b = x[k + s * (j + q)], c = x[k + s * (j + 2 * q)];
            const cplx t = cadd(b, c), m = csub(a, cscale(t, 0.5f)), d = mul_mi(cscale(csub(b, c), h));
            y[k + s * 3 * j] = cadd(a, t);
            y[k + s * (3 * j + 1)] = cmul(cadd(m, d), w1);
            y[k + s * (3 * j + 2)] = cmul(csub(m, d), w2);
        }
    }
}

/* Radix 5 by the conjugate symmetry of W_5: with t1 = b + e, t2 = c + d, t3 = b - e, t4 = c - d,
 * y1,4 = a + c1 t1 + c2 t2 -+ i (s1 t3 + s2 t4), y2,3 = a + c2 t1 + c1 t2 -+ i (s2 t3 - s1 t4). */
static void pass5(size_t q, size_t s, const cplx *tw, size_t tstep, const cplx *x, cplx *y) {
    const float c1 = 0.30901699437494742410f, c2 = -0.80901699437494742410f;
    const float s1 = 0.95105651629515357212f, s2 = 0.58778525229247312917f;
    for (size_t j = 0; j < q; j++) {
        const cplx w1 = tw[j * tstep], w2 = tw[2 * j * tstep], w3 = tw[3 * j * tstep], w4 = tw[4 * j * tstep];
        for (size_t k = 0; k < s; k++) {
            const cplx a = x[k + s * j], b = x[k + s * (j + q)], c = x[k + s * (j + 2 * q)],
                       d = x[k + s * (j + 3 * q)], e = x[k + s * (j + 4 * q)];
            const cplx t1 = cadd(b, e), t2 = cadd(c, d), t3 = csub(b, e), t4 = csub(c, d);
            const cplx m1 = cadd(a, cadd(cscale(t1, c1), cscale(t2, c2)));
            const cplx m2 = cadd(a, cadd(cscale(t1, c2), cscale(t2, c1)));
            const cplx n1 = mul_mi(cadd(cscale(t3, s1), cscale(t4, s2)));
            const cplx n2 = mul_mi(csub(cscale(t3, s2), cscale(t4, s1)));
            y[k + s * 5 * j] = cadd(a, cadd(t1, t2));
            y[k + s * (5 * j + 1)] = cmul(cadd(m1, n1), w1);
            y[k + s * (5 * j + 2)] = cmul(cadd(m2, n2), w2);
            y[k + s * (5 * j + 3)] = cmul(csub(m2, n2), w3);
            y[k + s * (5 * j + 4)] = cmul(csub(m1, n1), w4);
        }
    }
}

/* Any radix p (an odd prime): the direct p-point DFT, O(p^2) per butterfly. */
static void passp(size_t p, size_t q, size_t s, const cplx *tw, size_t tstep, size_t n, const cplx *x, cplx *y) {
    const size_t pstep = n / p; /* W_p^e = tw[e * n / p] */
    for (size_t j = 0; j < q; j++)
        for (size_t k = 0; k < s; k++)
            for (size_t r = 0; r < p; r++) {
                cplx acc = {0.0f, 0.0f};
                for (size_t i = 0, e = 0; i < p; i++) { /* e = i r mod p */
                    const cplx v = cmul(x[k + s * (j + q * i)], tw[e * pstep]);
                    acc.re += v.re, acc.im += v.im;
                    e += r;
                    if (e >= p) e -= p;
                }
                y[k + s * (p * j + r)] = cmul(acc, tw[j * r * tstep]);
            }
}

/* Forward transform of data[n] by the plan's passes (length n, table of n twiddles). */
static void stockham(size_t n, const int *f, int nf, const cplx *tw, cplx *data, cplx *work) {
    cplx *x = data, *y = work;
    size_t len = n, s = 1;
    for (int i = 0; i < nf; i++) {
        const size_t p = (size_t)f[i], q = len / p, tstep = n / len;
        if (p == 4) pass4(q, s, tw, tstep, x, y);
        else if (p == 2) pass2(q, s, tw, tstep, x, y);
        else if (p == 3) pass3(q, s, tw, tstep, x, y);
        else if (p == 5) pass5(q, s, tw, tstep, x, y);
        else passp(p, q, s, tw, tstep, n, x, y);
        cplx *t = x;
        x = y, y = t;
        len = q, s *= p;
    }
    if (x != data) memcpy(data, x, n * sizeof(cplx));
}

static void conj_all(cplx *v, size_t n) {
    for (size_t k = 0; k < n; k++) v[k].im = -v[k].im;
}

static void bluestein(const pml_fft_plan *p, cplx *data, cplx *work) {
    const size_t n = p->n, m = p->m;
    const cplx *chirp = (const cplx *)p->chirp, *kernel = (const cplx *)p->kernel, *tw = (const cplx *)p->tw;
    cplx *a = work, *tmp = work + m;
    for (size_t k = 0; k < n; k++) a[k] = cmul(data[k], chirp[k]);
    memset(a + n, 0, (m - n) * sizeof(cplx));
    stockham(m, p->factors, p->nfactors, tw, a, tmp);
    for (size_t k = 0; k < m; k++) a[k] = cmul(a[k], kernel[k]);
    conj_all(a, m); /* inverse FFT (the 1/m is in the kernel) as conj(FFT(conj)) */
    stockham(m, p->factors, p->nfactors, tw, a, tmp);
    for (size_t k = 0; k < n; k++) data[k] = cmul((cplx){a[k].re, -a[k].im}, chirp[k]);
}

void pml_f32_fft__scalar(const pml_fft_plan *p, float *data, int inverse, float *work) {
    cplx *d = (cplx *)data;
    if (inverse) conj_all(d, p->n);
    if (p->m) bluestein(p, d, (cplx *)work);
    else stockham(p->n, p->factors, p->nfactors, (const cplx *)p->tw, d, (cplx *)work);
    if (inverse) conj_all(d, p->n);
}

/* Z = FFT_h(x[2j] + i x[2j+1]); with A = Z[k], B = conj(Z[h-k]) (Z[h] = Z[0]):
 * X[k] = (A + B)/2 - i W_n^k (A - B)/2 for k <= h. Pairs (k, h-k) are untangled together so the
 * transform stays in place; X[0] and X[h] are exactly real. */
void pml_f32_rfft__scalar(const pml_fft_plan *p, float *data, float *work) {
    const size_t h = p->n;
    cplx *z = (cplx *)data;
    const cplx *w = (const cplx *)p->rtw;
    pml_f32_fft__scalar(p, data, 0, work);
    const cplx z0 = z[0];
    z[0] = (cplx){z0.re + z0.im, 0.0f};
    z[h] = (cplx){z0.re - z0.im, 0.0f};
    for (size_t k = 1; k <= h - k; k++) {
        const size_t q = h - k;
        const cplx a = z[k], b = z[q];
        /* bin k from (a, conj b); bin q from (b, conj a) */
        const cplx ek = {0.5f * (a.re + b.re), 0.5f * (a.im - b.im)}, ok = {0.5f * (a.re - b.re), 0.5f * (a.im + b.im)};
        const cplx eq = {ek.re, -ek.im}, oq = {-ok.re, ok.im};
        const cplx tk = cmul(w[k], ok), tq = cmul(w[q], oq); /* -i t = (t.im, -t.re) */
        z[k] = (cplx){ek.re + tk.im, ek.im - tk.re};
        z[q] = (cplx){eq.re + tq.im, eq.im - tq.re};
    }
}
