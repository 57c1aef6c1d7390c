/*
 * kernels/logic/logic.h — comparisons (float32 -> 0/1 bytes) and Where on 4-byte
 * elements. Both write a different dtype than they read and must not alias their inputs.
 */
#ifndef PML_KERNELS_LOGIC_H
#define PML_KERNELS_LOGIC_H

#include "kernels/common.h"

/* comparisons, output bytes 0/1 (anything against NaN is false, as in C and numpy) */
enum { PML_CMP_EQ, PML_CMP_LT, PML_CMP_LE, PML_CMP_GT, PML_CMP_GE, PML_CMP_COUNT };

/* y[i] = a[i*sa] cmp b[i*sb] as 0/1 bytes; sa, sb are 0 (broadcast) or 1 */
typedef void (*pml_f32_compare_fn)(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb,
                                   uint8_t *y);
/* y[i] = c[i*sc] ? x[i*sx] : z[i*sz]; strides 0 or 1 */
typedef void (*pml_x32_select_fn)(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx,
                                  const uint32_t *z, size_t sz, uint32_t *y);

#define PML_F32_VCMP(isa, tile) \
    void pml_f32_compare__##isa(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb, uint8_t *y);
#define PML_X32_SELECT(isa, tile)                                                                           \
    void pml_x32_select__##isa(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx, const uint32_t *z, \
                               size_t sz, uint32_t *y);
#include "kernels/logic/logic_variants.h"

#endif /* PML_KERNELS_LOGIC_H */
