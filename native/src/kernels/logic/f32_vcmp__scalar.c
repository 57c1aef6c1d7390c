/*
 * kernels/logic/f32_vcmp__scalar.c — float32 comparisons to 0/1 bytes (anything
 * against NaN is false, as in C and numpy), inputs with stride 0 (broadcast) or 1.
 */
#include "kernels/logic/logic.h"

void pml_f32_compare__scalar(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb,
                                    uint8_t *y) {
    switch (cmp) {
    case PML_CMP_EQ: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] == b[i * sb]; break;
    case PML_CMP_LT: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] < b[i * sb]; break;
    case PML_CMP_LE: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] <= b[i * sb]; break;
    case PML_CMP_GT: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] > b[i * sb]; break;
    default: for (size_t i = 0; i < n; i++) y[i] = a[i * sa] >= b[i * sb]; break;
    }
}
