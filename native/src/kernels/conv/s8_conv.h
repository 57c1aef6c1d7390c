/*
 * kernels/conv/s8_conv.h — the int8 convolutions (NHWC): naive references, the general conv
 * as an int8 GEMM (1x1 convs read the NHWC input in place; others im2col one M block at a
 * time into int16, padding with the input zero point), and the depthwise conv.
 *
 * Layouts as the float conv (kernels/conv/conv.h): x [N,H,W,Cin], w [Cout,KH,KW,Cin/group]
 * (OHWI), y [N,OH,OW,Cout]; the quantization (zero points, bias, requantization, output
 * dtype) is a pml_qs8_quant indexed by output channel. A padded tap reads the input zero
 * point, i.e. contributes nothing, as ONNX QLinearConv and TFLite define it.
 *
 * Depthwise packing (pml_qs8_dwconv_pack; group == Cin == Cout): the pml_qs8_packed_header
 * (k = taps KH*KW, kp = taps rounded up to even, n = C), then for each 16-channel block b
 * and tap pair q, 64 bytes: (w'[c][2q], w'[c][2q+1]) int16 for channels c = 16b..16b+7, then
 * 16b+8..16b+15 (w' = w - zw, zero past C and in the odd tap); then the column parameters of
 * s8_gemm.h with bias' = bias - za * sum_taps w'.
 */
#ifndef PML_KERNELS_S8_CONV_H
#define PML_KERNELS_S8_CONV_H

#include "kernels/conv/conv.h"
#include "kernels/matmul/s8_gemm.h"

/* ---- references (kernels/conv/s8_conv_ref.c) ------------------------------------------------ */

/* Any group count (depthwise with a channel multiplier is group == Cin, Cout = mult * Cin),
 * strides, dilations, pads; y of q->out_dtype. */
void pml_qs8_conv_ref(const pml_conv_geom *g, const int8_t *x, const int8_t *w, const pml_qs8_quant *q, void *y);
/* TFLite's int16x8 conv: int16 x (zero point 0, so padding is 0), int8 w (zero point 0),
 * int64 accumulator and bias (may be NULL), pml_requantize_s64, int16 y. */
void pml_qs16_conv_ref(const pml_conv_geom *g, const int16_t *x, const int8_t *w, const int64_t *bias,
                       const pml_requant *rq, int16_t *y);

/* ---- general conv on the int8 GEMM (kernels/conv/qconv_pack.c, qconv_driver.c) -------------- */

/* Bytes of the packed weights: one packed GEMM B (K = KH*KW*cg, N = coutg) per group. */
size_t pml_qs8_conv_packed_bytes(const pml_conv_geom *g);
/* Packed for kern (pml_qs8_gemm_pack: u8 x s8 quads where kern and the zero points allow);
 * run with the same kern. */
void pml_qs8_conv_pack(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *w,
                       const pml_qs8_quant *q, void *out);
/* Per-thread scratch bytes and the run (scratch as pml_qs8_gemm_run's). */
size_t pml_qs8_conv_scratch_bytes(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g);
void pml_qs8_conv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, const void *packed,
                      void *y, pml_threadpool *pool, void *scratch);
/* 1 when every group of a packed conv runs on the u8 x s8 tiles: then a uint8 x goes in as
 * it is (pml_qu8_conv_run; the packing is the one of its int8 view, zero point - 128). */
int pml_qs8_conv_takes_u8(const pml_conv_geom *g, const void *packed);
void pml_qu8_conv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const uint8_t *x, const void *packed,
                      void *y, pml_threadpool *pool, void *scratch);
/* A residual Add fused into the conv's epilogue (s8_gemm.h, pml_qs8_epilogue.add): y =
 * Add(conv(x), residual), residual [N,OH,OW,Cout] of y's dtype, the conv's own output (the
 * packing's requantization and clamp) never stored. */
typedef struct pml_qs8_conv_sum {
    const void *residual;
    const pml_qbinary_params *add;
} pml_qs8_conv_sum;
/* pml_qs8_conv_run (x_u8 = 0) or pml_qu8_conv_run (x_u8 = 1) with the residual Add. */
void pml_qs8_conv_run_sum(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, int x_u8,
                          const void *packed, const pml_qs8_conv_sum *sum, void *y, pml_threadpool *pool,
                          void *scratch);
/* im2col to int16: rows [m0, m0+mb) of group grp's patch matrix (k = (kh*KW + kw)*cg + ci)
 * sign-extended into dst (row r at dst + r*ld, ld >= K), taps in the padding = pad; the
 * column after K (when ld > K) is zeroed. */
void pml_s8_im2col_s16(const pml_conv_geom *g, const int8_t *x, int64_t grp, int64_t m0, int64_t mb, int16_t pad,
                       int16_t *dst, int64_t ld);
/* The same rows flipped to uint8 (x ^ 0x80; padded taps pad ^ 0x80), row r at dst + r*ld
 * bytes, the columns from K to ld zeroed: the A of the u8 x s8 tiles. */
void pml_s8_im2col_u8(const pml_conv_geom *g, const int8_t *x, int64_t grp, int64_t m0, int64_t mb, int8_t pad,
                      uint8_t *dst, int64_t ld);
/* The same rows of a uint8 x copied as they are (padded taps pad ^ 0x80, pad being the zero
 * point of x's int8 view). */
void pml_u8_im2col_u8(const pml_conv_geom *g, const uint8_t *x, int64_t grp, int64_t m0, int64_t mb, int8_t pad,
                      uint8_t *dst, int64_t ld);

/* ---- depthwise ------------------------------------------------------------------------------ */

/* 1 when the depthwise kernels run this geometry (group == Cin == Cout, multiplier 1);
 * other depthwise shapes run as grouped convs (pml_qs8_conv_run). */
static inline int pml_qs8_dwconv_eligible(const pml_conv_geom *g) {
    return g->group == g->cin && g->cout == g->cin && g->cg == 1 && g->coutg == 1;
}
size_t pml_qs8_dwconv_packed_bytes(const pml_conv_geom *g);
void pml_qs8_dwconv_pack(const pml_conv_geom *g, const int8_t *w, const pml_qs8_quant *q, void *out);
/* Every output row, split over the pool. */
void pml_qs8_dwconv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, const void *packed,
                        void *y, pml_threadpool *pool);
/* Byte size of the depthwise taps part (what precedes the column parameters). */
static inline size_t pml_qs8_dwconv_data_bytes(const pml_conv_geom *g) {
    return (size_t)pml_qs8_kp(g->kh * g->kw) * (size_t)pml_qs8_n_pad(g->cout) * 2;
}

#define PML_S8_DWCONV(isa, tile)                                                                              \
    void pml_s8_dwconv__##isa(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0, \
                              int64_t row1);
#include "kernels/conv/s8_conv_variants.h"

#endif /* PML_KERNELS_S8_CONV_H */
