/*
 * kernels/quant/i32_dequant_cols__scalar.c — int32 products to float32 with per-column scales and
 * bias, in place (contract: pml_i32_dequant_cols in qmatmul.h). Plain C the compiler vectorises
 * (one loop per form, no aliasing between the columns' parameters and y: restrict); this
 * directory's -ffp-contract=off keeps the product and the sum two roundings on every architecture.
 */
#include <string.h>

#include "kernels/quant/qmatmul.h"

/* One row of len values. y's bytes are read as int32 and written back as float32 one value at a
 * time: memcpy, not a pointer cast, moves them (no aliasing of int32 and float lvalues). */
static void dequant_row(size_t len, unsigned char *restrict y, float a_scale, const float *restrict b_scale,
                        size_t b_scale_col, const float *restrict bias) {
    for (size_t j = 0; j < len; j++) {
        int32_t acc;
        memcpy(&acc, y + 4 * j, 4);
        const float m = a_scale * b_scale[j * b_scale_col];
        float v = (float)acc * m;
        if (bias) v = v + bias[j];
        memcpy(y + 4 * j, &v, 4);
    }
}

void pml_i32_dequant_cols(size_t count, size_t n, void *y, float a_scale, const float *b_scale, size_t b_scale_col,
                          const float *bias) {
    for (size_t i0 = 0; i0 < count; i0 += n) {
        unsigned char *row = (unsigned char *)y + 4 * i0;
        const size_t len = count - i0 < n ? count - i0 : n;
        if (b_scale_col && bias)
            dequant_row(len, row, a_scale, b_scale, 1, bias);
        else if (b_scale_col)
            dequant_row(len, row, a_scale, b_scale, 1, NULL);
        else if (bias)
            dequant_row(len, row, a_scale, b_scale, 0, bias);
        else
            dequant_row(len, row, a_scale, b_scale, 0, NULL);
    }
}
