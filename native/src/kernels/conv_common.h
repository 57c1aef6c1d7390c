/*
 * kernels/conv_common.h — sliding-window arithmetic and the attribute/shape
 * validation shared by the conv, pool and matmul families. Everything a
 * hostile model can put in an attribute or a shape passes through these
 * checks in infer, before any kernel forms an index from it.
 */
#ifndef PML_KERNELS_CONV_COMMON_H
#define PML_KERNELS_CONV_COMMON_H

#include <stdint.h>

#include "../internal.h"

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

/* Largest element count an output may have, and largest dim/attribute value:
 * with these caps no index arithmetic in int64 can overflow. */
#define PML_MAX_NUMEL ((int64_t)1 << 40)
#define PML_MAX_DIM ((int64_t)1 << 31)
#define PML_MAX_WINDOW_ATTR ((int64_t)1 << 20)

/* INTS attribute `name` with exactly n values, each in [lo, hi]; def (n
 * values) when absent. Errors (PML_ERR_INVALID_MODEL) name node, attribute
 * and values. */
pml_status pml_attr_ints_checked(const pml_kernel_ctx *ctx, const char *name, int n, const int64_t *def, int64_t lo,
                                 int64_t hi, int64_t *out);
/* INT attribute in [lo, hi], def when absent. */
pml_status pml_attr_int_checked(const pml_kernel_ctx *ctx, const char *name, int64_t def, int64_t lo, int64_t hi,
                                int64_t *out);
/* Input `index` (role names it in errors) must be present, float32, of the
 * given rank (-1: any), with every dim in [0, PML_MAX_DIM). */
pml_status pml_check_f32_input(const pml_kernel_ctx *ctx, int index, const char *role, int rank);
/* Sets out[0] to float32 dims after checking the element count stays <= PML_MAX_NUMEL. */
pml_status pml_set_f32_output(const pml_kernel_ctx *ctx, int rank, const int64_t *dims);
/* Output length of a sliding window (ONNX rules, including ceil_mode's "the
 * last window starts inside the input or its leading pad"); -1 when the
 * dilated window is larger than the padded input. */
int64_t pml_window_out(int64_t size, int64_t k, int64_t stride, int64_t dil, int64_t pad0, int64_t pad1, int ceil_mode);

/* The error for a window (kh x kw, dilations dh, dw) that does not fit x padded by pads[4]. */
pml_status pml_window_too_large(const pml_kernel_ctx *ctx, const pml_tensor *x, int64_t kh, int64_t kw, int64_t dh,
                                int64_t dw, const int64_t *pads);

#endif /* PML_KERNELS_CONV_COMMON_H */
