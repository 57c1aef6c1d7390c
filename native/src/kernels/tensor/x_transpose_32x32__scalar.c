/*
 * kernels/tensor/x_transpose_32x32__scalar.c — scalar blocked 2-D transpose kernels (x8/x16/x32/x64).
 * Tiles of PML_TR_TILE x PML_TR_TILE keep both the source rows and the
 * destination columns of a tile in L1, so neither side streams through the
 * cache with a large stride.
 */
#include <stdint.h>

#include "kernels/tensor/transpose.h"

#define PML_TR_TILE 32

#define PML_TRANSPOSE2D_SCALAR(name, T)                                                                 \
    void pml_##name##_transpose2d__scalar(size_t rows, size_t cols, size_t r0, size_t r1,        \
                                                 const void *xv, void *yv) {                            \
        const T *x = (const T *)xv;                                                                     \
        T *y = (T *)yv;                                                                                 \
        for (size_t rb = r0; rb < r1; rb += PML_TR_TILE) {                                              \
            size_t re = rb + PML_TR_TILE < r1 ? rb + PML_TR_TILE : r1;                                  \
            for (size_t cb = 0; cb < cols; cb += PML_TR_TILE) {                                         \
                size_t ce = cb + PML_TR_TILE < cols ? cb + PML_TR_TILE : cols;                          \
                for (size_t r = rb; r < re; r++)                                                        \
                    for (size_t c = cb; c < ce; c++) y[c * rows + r] = x[r * cols + c];                 \
            }                                                                                           \
        }                                                                                               \
    }

PML_TRANSPOSE2D_SCALAR(x8, uint8_t)
PML_TRANSPOSE2D_SCALAR(x16, uint16_t)
PML_TRANSPOSE2D_SCALAR(x32, uint32_t)
PML_TRANSPOSE2D_SCALAR(x64, uint64_t)
