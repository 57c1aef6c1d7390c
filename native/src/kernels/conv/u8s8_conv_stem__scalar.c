/*
 * kernels/conv/u8s8_conv_stem__scalar.c — the direct few-channel int8 conv in scalar code:
 * the layout's specification (kernels/conv/s8_conv.h, pml_qs8_stem_*) and the variant the
 * tests run on every CPU. Not in a configuration: without u8 x s8 tiles the GEMM runs stems.
 */
#include "kernels/conv/s8_conv.h"

void pml_u8s8_conv_stem__scalar(const pml_conv_geom *g, const uint8_t *xp, const void *packed, uint8_t *y,
                                int64_t row0, int64_t row1) {
    const int64_t cin = g->cin, wp = g->w + g->pl + g->pr, hp = g->h + g->pt + g->pb;
    const int64_t qrow = pml_qs8_stem_qrow(g), quads = g->kh * qrow, C = g->cout;
    const size_t data = pml_qs8_stem_data_bytes(g);
    const int8_t *w = (const int8_t *)packed + sizeof(pml_qs8_packed_header);
    const pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, data, 0);
    for (int64_t row = row0; row < row1; row++) {
        const int64_t n = row / g->oh, oh = row % g->oh;
        const uint8_t *top = xp + (n * hp + oh * g->sh) * wp * cin;
        uint8_t *yrow = y + row * g->ow * C;
        for (int64_t ow = 0; ow < g->ow; ow++)
            for (int64_t c = 0; c < C; c++) {
                const int8_t *wc = w + (c / PML_QS8_NR) * quads * 64 + (c % PML_QS8_NR) * 4;
                uint32_t acc = (uint32_t)ep.bias[c]; /* wraps like the references' int32 sums */
                for (int64_t r = 0; r < g->kh; r++) {
                    const uint8_t *win = top + r * wp * cin + ow * g->sw * cin;
                    for (int64_t b = 0; b < qrow * 4; b++)
                        acc += (uint32_t)((int32_t)win[b] * (int32_t)wc[(r * qrow + b / 4) * 64 + b % 4]);
                }
                yrow[ow * C + c] = (uint8_t)pml_qs8_requant_scalar(&ep, (size_t)c, (int32_t)acc);
            }
    }
}
