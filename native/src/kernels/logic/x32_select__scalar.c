/*
 * kernels/logic/x32_select__scalar.c — Where on 4-byte elements: y = c ? x : z,
 * each input with stride 0 (broadcast) or 1.
 */
#include "kernels/logic/logic.h"

void pml_x32_select__scalar(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx,
                                   const uint32_t *z, size_t sz, uint32_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = c[i * sc] ? x[i * sx] : z[i * sz];
}
