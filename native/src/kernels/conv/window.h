/*
 * kernels/conv/window.h — sliding-window arithmetic of the conv and pool
 * families (pure functions; the attribute/shape checks that keep their
 * inputs sane are in ops/validate.h).
 */
#ifndef PML_KERNELS_CONV_WINDOW_H
#define PML_KERNELS_CONV_WINDOW_H

#include <stdint.h>

/* Taps [*k0, *k1) of a window of k taps (dilation dil) starting at input
 * index `start` that fall inside [0, n); empty ranges have *k0 == *k1. */
static inline void pml_window_taps(int64_t start, int64_t dil, int64_t k, int64_t n, int64_t *k0, int64_t *k1) {
    int64_t lo = start >= 0 ? 0 : (-start + dil - 1) / dil;
    int64_t last = n - 1 - start; /* largest offset tap*dil may reach */
    int64_t hi = last < 0 ? 0 : last / dil + 1;
    if (hi > k) hi = k;
    *k0 = lo < hi ? lo : hi;
    *k1 = hi;
}

/* Output length of a sliding window (ONNX rules, including ceil_mode's "the
 * last window starts inside the input or its leading pad"); -1 when the
 * dilated window is larger than the padded input. */
static inline int64_t pml_window_out(int64_t size, int64_t k, int64_t stride, int64_t dil, int64_t pad0, int64_t pad1,
                                     int ceil_mode) {
    const int64_t span = size + pad0 + pad1 - (dil * (k - 1) + 1);
    if (span < 0) return -1;
    if (!ceil_mode) return span / stride + 1;
    int64_t out = (span + stride - 1) / stride + 1;
    if ((out - 1) * stride >= size + pad0) out--; /* last window must start inside input or leading pad */
    return out;
}

/* ONNX auto_pad SAME_UPPER (lower = 0) / SAME_LOWER (lower = 1) padding of one axis: the
 * output is ceil(size / stride), the odd element of the total goes at the end (upper) or
 * the beginning (lower). */
static inline void pml_same_pads(int64_t size, int64_t k, int64_t stride, int64_t dil, int lower, int64_t *pad0,
                                 int64_t *pad1) {
    const int64_t out = (size + stride - 1) / stride;
    int64_t total = (out - 1) * stride + (k - 1) * dil + 1 - size;
    if (total < 0) total = 0;
    *pad0 = lower ? total - total / 2 : total / 2;
    *pad1 = total - *pad0;
}

#endif /* PML_KERNELS_CONV_WINDOW_H */
