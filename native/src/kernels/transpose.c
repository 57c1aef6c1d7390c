/*
 * transpose.c — scalar blocked 2-D transpose kernels and their dispatch.
 * Tiles of PML_TR_TILE x PML_TR_TILE keep both the source rows and the
 * destination columns of a tile in L1, so neither side streams through the
 * cache with a large stride.
 */
#include <stdint.h>

#include "transpose.h"

#define PML_TR_TILE 32

#define PML_TRANSPOSE2D_SCALAR(name, T)                                                                 \
    static void pml_##name##_transpose2d__scalar(size_t rows, size_t cols, size_t r0, size_t r1,        \
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

pml_transpose2d_fn pml_transpose2d_select(const pml_kernel_ctx *ctx, size_t esize) {
    switch (esize) {
    case 1: return pml_x8_transpose2d__scalar;
    case 2: return pml_x16_transpose2d__scalar;
    case 4:
#if defined(PML_HAVE_X86)
        if (!ctx->scalar_only && ctx->cpu && ctx->cpu->avx2) return pml_x32_transpose2d__avx2;
#endif
        return pml_x32_transpose2d__scalar;
    default: return pml_x64_transpose2d__scalar;
    }
}
