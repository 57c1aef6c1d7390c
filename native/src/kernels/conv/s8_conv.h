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
 * s8_gemm.h with bias' = bias - za * sum_taps w'; then, where the geometry fits them, the
 * row-vectorised kernels' plans and layouts: AVX-512's (kernels/conv/s8_dwconv_rows.h), then
 * AVX2's (kernels/conv/s8_dwconv_pairs.h).
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
                      void *y, pml_threadpool *pool, pml_thread_scratch scratch);
/* 1 when every group of a packed conv runs on the u8 x s8 tiles: then a uint8 x goes in as
 * it is (pml_qu8_conv_run; the packing is the one of its int8 view, zero point - 128). */
int pml_qs8_conv_takes_u8(const pml_conv_geom *g, const void *packed);
void pml_qu8_conv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const uint8_t *x, const void *packed,
                      void *y, pml_threadpool *pool, pml_thread_scratch scratch);
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
                          pml_thread_scratch scratch);
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

/* ---- few-channel convs (the 3-channel stems) as a direct u8 x s8 conv ------------------------ */

/* A stem conv (3x3/5x5/7x7 over 3 input channels, K = 27..147, N = 8..64) as a GEMM spends
 * most of its time in im2col and in tiles whose K is short; the direct kernels
 * (pml_qu8_stem_fn) read each window row straight from a zero-padded uint8 copy of x
 * instead: a window row of KW*Cin bytes is qrow = ceil(KW*Cin / 4) quads, the bytes past
 * KW*Cin (the next pixel's) meeting zero weights. The copy (pml_qs8_stem_run) puts the
 * padding in (x's uint8 zero point, so a padded tap adds (za - za) * w = 0 after the bias
 * fold), flips an int8 x to uint8 and leaves 64 readable bytes after the image.
 *
 * Packing (pml_qs8_stem_pack): the pml_qs8_packed_header (k = KH*KW*Cin, kp = KH*qrow*4,
 * n = Cout, quads = 1), then for each 16-channel panel p and quad t = r*qrow + j (window
 * row r, bytes 4j..4j+3 of it) 64 bytes: w[16p + c][r][byte 4j + b] int8 at 4c + b (zero
 * past KW*Cin and past Cout); then the column parameters of s8_gemm.h with
 * bias' = bias - (za + 128) * sum w (the +128 of the flip, as the quad GEMM tiles'). */

/* 1 when a kernel configuration with a stem kernel runs g directly: one group, 1..4 input
 * channels, dilation 1, KH and KW at most 11, every weight zero point 0 (vpdpbusd's
 * operand is w itself). */
int pml_qs8_stem_eligible(const pml_conv_geom *g, const pml_qs8_quant *q);
/* Quads per window row (ceil(KW*Cin / 4)). */
static inline int64_t pml_qs8_stem_qrow(const pml_conv_geom *g) { return (g->kw * g->cin + 3) / 4; }
/* Bytes of the packed weights' data part (what precedes the column parameters). */
static inline size_t pml_qs8_stem_data_bytes(const pml_conv_geom *g) {
    return (size_t)(g->kh * pml_qs8_stem_qrow(g) * 4) * (size_t)pml_qs8_n_pad(g->cout);
}
size_t pml_qs8_stem_packed_bytes(const pml_conv_geom *g);
void pml_qs8_stem_pack(const pml_conv_geom *g, const int8_t *w, const pml_qs8_quant *q, void *out);
/* A stem kernel may compute up to this many pixels past an output row's last (not stored). */
#define PML_QS8_STEM_PIXELS 8
/* Scratch of a run (the padded uint8 image and the slack those pixels and a window row's
 * last quad read), shared by all threads. */
size_t pml_qs8_stem_scratch_bytes(const pml_conv_geom *g);
/* Pads x (int8, or uint8 when x_u8) into scratch, then runs kern->stem over every output
 * row, split over the pool. */
void pml_qs8_stem_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const void *x, int x_u8,
                      const void *packed, void *y, pml_threadpool *pool, void *scratch);

/* ---- depthwise ------------------------------------------------------------------------------ */

/* 1 when the depthwise kernels run this geometry (group == Cin == Cout, multiplier 1);
 * other depthwise shapes run as grouped convs (pml_qs8_conv_run). */
static inline int pml_qs8_dwconv_eligible(const pml_conv_geom *g) {
    return g->group == g->cin && g->cout == g->cin && g->cg == 1 && g->coutg == 1;
}
size_t pml_qs8_dwconv_packed_bytes(const pml_conv_geom *g);
void pml_qs8_dwconv_pack(const pml_conv_geom *g, const int8_t *w, const pml_qs8_quant *q, void *out);
/* Per-thread scratch bytes of pml_qs8_dwconv_run (the row kernel's ring, for a
 * configuration that has one: kern->dwconv_rows names its layout). */
size_t pml_qs8_dwconv_scratch_bytes(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const void *packed);
/* 1 when kern's depthwise kernel reads a uint8 x as it is for this packing (then told so:
 * pass x unflipped); 0: the caller flips a uint8 x to int8 first. */
int pml_qs8_dwconv_take_u8(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, void *packed);
/* Every output row, split over the pool (tasks sized by the layer's work); scratch: a
 * region of pml_qs8_dwconv_scratch_bytes per thread. */
void pml_qs8_dwconv_run(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *x, const void *packed,
                        void *y, pml_threadpool *pool, pml_thread_scratch scratch);

/* A depthwise conv and the 1x1 conv that reads its output, run as one job: the pointwise
 * conv (stride 1, unpadded, one group) reads the depthwise output mid [N,OH,OW,C] and
 * writes y. The output rows are cut into bands, one task each; a band's thread runs the
 * depthwise rows, then the pointwise rows over the same pixels, which it has just written:
 * no byte of mid changes threads, and no barrier between the two convs. Each conv's
 * arithmetic is the one of its own run (same kernels, same requantization): y and mid come
 * out identical to pml_qs8_dwconv_run then pml_qs8_conv_run_sum. */
typedef struct pml_qs8_dwpw {
    const pml_conv_geom *dw, *pw;
    const void *dw_packed, *pw_packed;
    int pw_x_u8;                /* mid holds uint8 the pointwise tiles read as it is (pml_qs8_conv_takes_u8) */
    const pml_qs8_conv_sum *sum; /* the pointwise conv's residual Add in its epilogue, or NULL */
} pml_qs8_dwpw;
/* 1 when the pair can run so: shapes that chain, a pointwise second conv, rows to share. */
int pml_qs8_dwpw_eligible(const pml_conv_geom *dw, const pml_conv_geom *pw);
/* Bands for `threads` threads: a multiple of threads (two per thread where they are large
 * enough), or 0 when banding does not pay (one thread, or bands too small: each band reads
 * all of the pointwise weights). */
int64_t pml_qs8_dwpw_bands(const pml_conv_geom *dw, int threads);
/* Runs the pair in `bands` bands on the pool; scratch: per thread, the larger of the two
 * convs' scratch bytes (pml_qs8_dwconv_scratch_bytes, pml_qs8_conv_scratch_bytes). */
void pml_qs8_dwpw_run(const pml_qs8_gemm_kernels *kern, const pml_qs8_dwpw *pair, int64_t bands, const int8_t *x,
                      void *mid, void *y, pml_threadpool *pool, pml_thread_scratch scratch);

/* Byte size of the depthwise taps part (what precedes the column parameters). */
static inline size_t pml_qs8_dwconv_data_bytes(const pml_conv_geom *g) {
    return (size_t)pml_qs8_kp(g->kh * g->kw) * (size_t)pml_qs8_n_pad(g->cout) * 2;
}

/* The row-vectorised AVX-512 VNNI depthwise conv (int8-range weights; its layout packed by
 * pml_qs8_dwconv_pack, kernels/conv/s8_dwconv_rows.h): runs rows [row0, row1) with scratch of
 * pml_dwrows_scratch_bytes and returns 1 when the packing laid it out, else returns 0 having
 * written nothing (s8_dwconv_rows__avx512vnni.c). pml_s8_dwconv__avx512vnni takes it
 * whenever it is laid out. */
int pml_s8_dwconv_rows__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                   int64_t row0, int64_t row1, void *scratch);
/* The same over channels [c0, c1) only (pml_qs8_dwconv_cols_fn): C, c0 and c1 multiples of 16,
 * else (or when not laid out) it returns 0 having written nothing. */
int pml_s8_dwconv_rows_cols__avx512vnni(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                        int64_t row0, int64_t row1, int64_t c0, int64_t c1, void *scratch);

/* The row-vectorised AVX2 depthwise conv (vpmaddwd on int16 tap pairs; its layout packed by
 * pml_qs8_dwconv_pack, kernels/conv/s8_dwconv_pairs.h): runs rows [row0, row1) with scratch of
 * pml_dwpairs_scratch_bytes and returns 1 when the packing laid it out, else returns 0 having
 * written nothing (s8_dwconv_rows__avx2.c). pml_s8_dwconv_rows_or_channels__avx2 takes it
 * where it measured faster than the channel-vectorised pml_s8_dwconv__avx2, which runs the rest. */
int pml_s8_dwconv_rows__avx2(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0,
                             int64_t row1, void *scratch);
void pml_s8_dwconv_rows_or_channels__avx2(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                          int64_t row0, int64_t row1, void *scratch);

#define PML_S8_DWCONV(isa, tile)                                                                              \
    void pml_s8_dwconv__##isa(const pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y, int64_t row0, \
                              int64_t row1, void *scratch);
#define PML_U8S8_CONV_STEM(isa)                                                                          \
    void pml_u8s8_conv_stem__##isa(const pml_conv_geom *g, const uint8_t *xp, const void *packed, uint8_t *y, \
                                   int64_t row0, int64_t row1);
#include "kernels/conv/s8_conv_variants.h"

#endif /* PML_KERNELS_S8_CONV_H */
