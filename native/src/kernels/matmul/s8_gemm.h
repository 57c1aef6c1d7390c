/*
 * kernels/matmul/s8_gemm.h — the exact int8 GEMM engine (qs8: signed 8-bit activations and
 * weights, int32 accumulation, requantization fused into the store), shared by the
 * quantized FullyConnected/MatMul/Gemm and Conv ops, and the qs8 kernel table.
 *
 *   y[i,j] = requant_j( bias[j] + sum_k (a[i,k] - za) * (w[k,j] - zw[j]) )
 *
 * uint8 tensors reach these kernels as int8 (the op flips the sign bit and subtracts 128
 * from the zero point; exact), except on the u8 x s8 quad path, whose A operand is uint8
 * anyway: there a uint8 A goes in as it is (pml_qs8_gemm_problem.a_u8), no flip at all. Outputs may be int8 or uint8 (the requant's zero point and
 * clamp are in the output's own dtype).
 *
 * Exact on AVX2 without VNNI: weights are packed once as int16 w' = w - zw (in [-255, 255])
 * and activations are sign-extended to int16 per M block, so products go through vpmaddwd
 * (two int16 products summed into int32; |a * w'| <= 128 * 255, nothing can saturate).
 * vpmaddubsw, whose int16 pair sums saturate, is never used. The activation zero point
 * leaves the inner loop: sum_k (a - za) w' = sum_k a w' - za * colsum(w'), and
 * bias - za * colsum(w') is packed as the column's starting value. Every sum wraps modulo
 * 2^32, as the references' do, so results equal the references bit for bit.
 *
 * Packed weights (pml_qs8_gemm_pack; 64-byte aligned), for K rows and N columns,
 * kp = K rounded up to even, n_pad = N rounded up to 16:
 *   pml_qs8_packed_header (64 bytes)
 *   panel p (columns 16p..16p+15): kp/2 k-pairs of 64 bytes each, k-pair q holding
 *       (w'[2q][j], w'[2q+1][j]) int16 for columns j = 0..7 (one ymm), then 8..15;
 *       zero beyond N and in the K padding row
 *   the column parameters, n_pad entries each (pml_qs8_cols): int32 bias', Q31 multiplier,
 *       left shift, right shift, 2^right - 1, (2^right - 1) / 2 (fixed point), float scale
 *       (float mode)
 *   the one-floor requantization's int64 constants (pml_qs8_cols.floor64), 32 per panel: the
 *       even columns' offsets, the odd columns' offsets, the even columns' shifts 31 + r, the
 *       odd columns' shifts 31 + r - 32 (8 each); zero unless header.floor64
 * The depthwise conv packs its taps differently (kernels/conv/s8_conv.h) but shares the
 * header and the column parameters.
 *
 * The u8 x s8 quad packing (header.quads = 1; configurations with a u8_gemm tile, when every
 * weight zero point of the buffer is 0, as TFLite's and ONNX's symmetric int8 weights have):
 * vpdpbusd multiplies unsigned by signed bytes, four products per int32 lane, twice
 * vpdpwssd's MACs. Activations enter as u = a ^ 0x80 = a + 128 (uint8), so
 *   sum_k (a - za) w = sum_k u w - (za + 128) colsum(w),
 * and bias' = bias - (za + 128) * colsum(w) (the same wrapping fold). Panel p holds kq/4
 * k-quads of 64 bytes (kq = K rounded up to 4): quad q is (w[4q..4q+3][j]) int8 for columns
 * j = 0..15, zero beyond N and in the K padding (so the padded A bytes may hold anything).
 * The panels use the first kq * n_pad bytes of the int16 layout's data part (kq <= 2 * kp),
 * so the column parameters, the buffer size and the conv's per-group stride do not depend
 * on the packing. The driver widens A into neither int16 nor in place: it flips each M block
 * into uint8 rows of kq bytes (im2col does the flip itself). A uint8 tensor's bytes already
 * are u (its int8 view is u ^ 0x80, and za + 128 is its own uint8 zero point, so the packed
 * bias is the same): a_u8 rows are copied unflipped, or read in place when K % 4 == 0.
 *
 * The driver (qgemm_driver.c) splits the work into tasks (batch x M blocks x N blocks) on
 * the thread pool; a task widens its M block of A to int16 (or im2cols it, through
 * pack_a) into per-thread scratch, then for each 16-column panel runs the micro-kernel over
 * the block's MR-row tiles with the full K: the panel stays in L1 (K <= 1024) while the
 * block streams from L2, and accumulators never leave registers. Where C's rows are back to
 * back and N is not a whole number of panels (N = 24, 28, 36...), and the configuration has a
 * dense store, the tiles of a block of rows store their raw int32 accumulators instead (a
 * 16 KiB block, in L1) and the dense store requantizes (and adds the residual to) 16
 * consecutive outputs a vector across rows: no padding lanes (pml_qs8_dense).
 */
#ifndef PML_KERNELS_S8_GEMM_H
#define PML_KERNELS_S8_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/parallel.h"
#include "kernels/qadd_scalar.h"
#include "kernels/requant.h"

#define PML_QS8_NR 16

/* The quantization of one int8 GEMM or conv: what the references and the packing read.
 * Per-channel arrays (w_zero_point when w_zp_per_channel, bias, rq's arrays when
 * rq.per_channel) are indexed by output channel. */
typedef struct pml_qs8_quant {
    int32_t a_zero_point;        /* activations (int8 domain) */
    const int32_t *w_zero_point; /* weights (int8 domain); NULL: 0 */
    int32_t w_zp_per_channel;
    const int32_t *bias;         /* int32, scale a_scale * w_scale, zero point 0; NULL: none */
    pml_requant rq;              /* to the output; rq.multiplier in [0, 2^31), shift in [-31, 30] */
    int32_t out_dtype;           /* PML_INT8 or PML_UINT8 (references: also PML_INT16) */
} pml_qs8_quant;

typedef struct pml_qs8_packed_header {
    int32_t k, n, kp, n_pad;    /* GEMM: K, N; depthwise: taps, channels (kp: taps rounded to even) */
    int32_t a_zero_point;
    int32_t mode, zero_point, qmin, qmax, out_u8;
    int32_t quads;              /* 1: u8 x s8 quad panels (for u8_gemm), 0: int16 k-pairs */
    int32_t small_acc;          /* 1: fixed point, and every column has lshift 0, rshift >= 1 and
                                 * |bias'| + K * 32640 < 2^30 (no accumulator reaches 2^30): the
                                 * epilogue may round with a nudge that cannot overflow */
    int32_t floor64;            /* PML_QS8_FLOOR64_*: the tiles may requantize with one int64
                                 * floor per output (pml_qs8_set_floor64; s8_requant__avx512.h) */
    int32_t reserved[3];
} pml_qs8_packed_header;

/* header.floor64: none; the one floor with TFLite's sign correction; without it (qmin >= zp,
 * where the correction cannot change a stored byte) */
enum { PML_QS8_FLOOR64_NONE = 0, PML_QS8_FLOOR64_SIGNED = 1, PML_QS8_FLOOR64_RELU = 2 };
/* int64 entries of the floor64 constants per 16-column panel */
#define PML_QS8_FLOOR64_PER_PANEL 32
/* The one floor's constant of a column of right shift r and output zero point zp:
 * 2^30 + 2^(30+r) + zp 2^(31+r) (the divisor is 2^(31+r); pml_qs8_set_floor64). */
static inline int64_t pml_qs8_floor64_offset(int64_t r, int32_t zp) {
    return ((int64_t)1 << 30) + ((int64_t)1 << (30 + r)) + (int64_t)zp * ((int64_t)1 << (31 + r));
}
/* Which one floor n columns may take (PML_QS8_FLOOR64_*), given small accumulators (|acc| <
 * 2^30) in fixed-point mode: every multiplier M >= 0, no left shift (lshift NULL: known none),
 * right shifts 1..22 and |zp| <= 255 keep the int64 sum below 2^61 (pml_qs8_set_floor64 says
 * why); RELU where qmin >= zp drops the sign correction. The GEMM and depthwise packings' check. */
static inline int32_t pml_qs8_floor64_kind(int32_t zp, int32_t qmin, int64_t n, const int32_t *mult,
                                           const int32_t *lshift, const int32_t *rshift) {
    if (zp < -255 || zp > 255) return PML_QS8_FLOOR64_NONE;
    for (int64_t j = 0; j < n; j++)
        if (mult[j] < 0 || rshift[j] < 1 || rshift[j] > 22 || (lshift && lshift[j] != 0)) return PML_QS8_FLOOR64_NONE;
    return qmin >= zp ? PML_QS8_FLOOR64_RELU : PML_QS8_FLOOR64_SIGNED;
}
/* The one floor's constants for vectors that start at any column of a row whose n columns
 * cycle (the dense store, the depthwise rows): four arrays of len int64, the offsets of
 * columns (2i + par) % n for par = 0, 1, then their shifts 31 + r likewise. A vector from
 * column col takes its even lanes' at index col / 2 of array col % 2, its odd lanes' at
 * (col + 1) / 2 of array (col + 1) % 2. */
static inline void pml_qs8_floor64_cycling(const int32_t *rshift, int64_t n, int32_t zp, int64_t len, int64_t *out) {
    for (int64_t par = 0; par < 2; par++)
        for (int64_t i = 0; i < len; i++) {
            const int64_t r = rshift[(2 * i + par) % n];
            out[par * len + i] = pml_qs8_floor64_offset(r, zp);
            out[(2 + par) * len + i] = 31 + r;
        }
}

/* Pointers into a packed buffer's column parameters (every array n_pad long). */
typedef struct pml_qs8_cols {
    int32_t *bias, *multiplier, *lshift, *rshift;
    int32_t *rmask, *rhalf; /* 2^rshift - 1 and its half: RoundingDivideByPOT's constants */
    float *scale;
    int64_t *floor64; /* PML_QS8_FLOOR64_PER_PANEL per panel (n_pad / 16 panels) */
} pml_qs8_cols;

/* The epilogue of one 16-column tile: its column parameters and the output's scalars. */
typedef struct pml_qs8_epilogue {
    const int32_t *bias, *multiplier, *lshift, *rshift; /* this tile's 16 columns, 32-byte aligned */
    const int32_t *rmask, *rhalf;
    const float *scale;
    int32_t mode, zero_point, qmin, qmax;
    int32_t out_u8; /* 1: store uint8 bytes, 0: int8 */
    int32_t small_acc; /* the packed header's */
    int32_t floor64;   /* the packed header's (PML_QS8_FLOOR64_*) */
    const int64_t *rq64; /* this tile's PML_QS8_FLOOR64_PER_PANEL constants (floor64 set) */
    /* A residual Add fused after the requantization (NULL: none): the tile's value v, exactly
     * what the store would write (requantized, clamped to qmin..qmax), and the residual's
     * stored byte r (uint8 or int8 as out_u8) at the stored byte's address + res_delta give
     * the output Add(v, r) (qadd_scalar.h; add's zero points and clamp in the output's own
     * domain). The conv's int8 output never exists: one pass writes the Add's. */
    const pml_qbinary_params *add;
    intptr_t res_delta;
    void *add_cache; /* PML_QS8_ADD_CACHE_BYTES, 64-byte aligned, this thread's: a tile may keep
                      * its ISA's vector form of add there (pml_qs8_add_cache) */
    int32_t raw; /* 1: the tile stores its int32 accumulators (bias' included, nothing else) to c
                  * instead, row r at c + r*ldc bytes, only the first nr (the driver's dense
                  * store requantizes them: pml_qs8_dense_store_fn); add is then NULL */
} pml_qs8_epilogue;

/* The per-thread room of a fused Add's vectors: the driver clears `ready` at each task, the
 * first tile sets its vectors up and its bit of `ready`, later tiles of the task read them.
 * One slot per vector width: a configuration may mix tiles of two ISAs (an AVX2 single-row
 * tile beside AVX-512 ones). */
#define PML_QS8_ADD_CACHE_BYTES 8192
enum { PML_QS8_ADD_SLOT_256, PML_QS8_ADD_SLOT_512 };
typedef struct pml_qs8_add_cache {
    int32_t ready; /* bit s: slot s is set up */
    int32_t pad[15];
    unsigned char slot[2][(PML_QS8_ADD_CACHE_BYTES - 64) / 2 / 64 * 64]; /* 64-byte aligned */
} pml_qs8_add_cache;

/*
 * Micro-kernel: C[mr x nr] = requant(bias' + A[mr x kp] @ W[kp x 16]).
 *   a  : mr rows of kp int16 (sign-extended activations), row r at a + r*lda, lda even,
 *        each row 4-byte aligned
 *   w  : one packed panel (kp/2 k-pairs of 64 bytes, 64-byte aligned)
 *   ep : the panel's epilogue
 *   c  : row r at c + r*ldc bytes; only the mr x nr corner is written
 * 1 <= mr <= the kernel's MR, 1 <= nr <= 16, kp even (may be 0).
 */
typedef void (*pml_qs8_gemm_ukernel)(size_t mr, size_t nr, size_t kp, const int16_t *a, size_t lda, const int16_t *w,
                                     const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc);

/*
 * u8 x s8 micro-kernel (vpdpbusd): C[mr x nr] = requant(bias' + U[mr x kq] @ W[kq x 16]).
 *   a  : mr rows of kq uint8 (activations ^ 0x80), row r at a + r*lda bytes, rows 4-byte
 *        readable
 *   w  : one quad panel (kq/4 k-quads of 64 bytes, 64-byte aligned)
 * kq a multiple of 4 (may be 0); otherwise as pml_qs8_gemm_ukernel.
 */
typedef void (*pml_qu8_gemm_ukernel)(size_t mr, size_t nr, size_t kq, const uint8_t *a, size_t lda, const int8_t *w,
                                     const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc);

/*
 * The dense store: requantizes `count` int32 accumulators (bias' included) of rows laid back
 * to back (C's rows with ldc == n: element e is row e / n, column e % n) and stores their
 * bytes to c[0..count), after the residual Add res[e] where add is set. A GEMM of N = 24 on
 * 16-column tiles requantizes and adds 32 lanes a row for 24 outputs; this runs 16 outputs
 * a vector whatever N is, the column parameters cycling with the lanes: the cols arrays
 * hold n + 17 entries, entry j the column j % n's (a window of 16 from any column < n, and
 * one more for the odd lanes' multiplier). count starts at a row's column 0.
 */
typedef struct pml_qs8_dense {
    const int32_t *multiplier, *lshift, *rshift, *rmask, *rhalf; /* n + 17 entries each */
    const float *scale;
    int64_t n;
    int32_t mode, zero_point, qmin, qmax, out_u8, small_acc; /* the packed header's */
    int32_t floor64; /* the packed header's: the one-floor requantization, with rq64 */
    const int64_t *rq64; /* pml_qs8_floor64_cycling's four arrays of rq64_len */
    int64_t rq64_len;
    const pml_qbinary_params *add; /* NULL: none */
} pml_qs8_dense;
/* Entries of each of a dense store's one-floor arrays for n columns. */
static inline int64_t pml_qs8_dense_rq64_len(int64_t n) { return n / 2 + 9; }
typedef void (*pml_qs8_dense_store_fn)(const pml_qs8_dense *d, size_t count, const int32_t *acc, uint8_t *c,
                                       const uint8_t *res);
/* Entries of each of a dense store's column arrays for n columns. */
static inline int64_t pml_qs8_dense_cols_len(int64_t n) { return n + 17; }

/* y[i] = x[i] sign-extended, i < n (A's widening to int16). */
typedef void (*pml_s8_widen_fn)(size_t n, const int8_t *x, int16_t *y);

struct pml_conv_geom;
/* Depthwise int8 conv (group == Cin == Cout, channel multiplier 1, NHWC) over output rows
 * [row0, row1) of the flattened [N*OH] space, weights packed by pml_qs8_dwconv_pack
 * (kernels/conv/s8_conv.h); padded taps read the input zero point. scratch: the calling
 * thread's pml_qs8_dwconv_scratch_bytes (unused by kernels without a row ring). */
typedef void (*pml_qs8_dwconv_fn)(const struct pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                  int64_t row0, int64_t row1, void *scratch);
/* The same over output channels [c0, c1) only, so that a small map splits across threads by
 * channel blocks (no input row built twice); returns 0, having written nothing, where it does not
 * apply (the driver then splits by rows). */
typedef int (*pml_qs8_dwconv_cols_fn)(const struct pml_conv_geom *g, const int8_t *x, const void *packed, uint8_t *y,
                                      int64_t row0, int64_t row1, int64_t c0, int64_t c1, void *scratch);
/* Direct u8 x s8 conv of few input channels (the 3-channel stems; kernels/conv/s8_conv.h,
 * pml_qs8_stem_*) over output rows [row0, row1) of [N*OH], reading the zero-padded uint8
 * image xp the stem driver builds, weights packed by pml_qs8_stem_pack. */
typedef void (*pml_qu8_stem_fn)(const struct pml_conv_geom *g, const uint8_t *xp, const void *packed, uint8_t *y,
                                int64_t row0, int64_t row1);

/* The row layouts of the depthwise packing a configuration's dwconv reads (its per-thread
 * scratch is that layout's ring of input rows): none, AVX-512's tap quads
 * (kernels/conv/s8_dwconv_rows.h), AVX2's tap pairs (kernels/conv/s8_dwconv_pairs.h). */
enum { PML_DW_LAYOUT_NONE = 0, PML_DW_LAYOUT_QUADS = 1, PML_DW_LAYOUT_PAIRS = 2 };

/* The int8 GEMM/conv kernels of one configuration (kernels/config.c). */
typedef struct pml_qs8_gemm_kernels {
    const char *isa;
    size_t gemm_mr;              /* rows of gemm's tile */
    pml_qs8_gemm_ukernel gemm;   /* gemm_mr x 16 */
    pml_qs8_gemm_ukernel gemm_1; /* 1 x 16, for single-row tiles (batch-1 fully connected) */
    pml_s8_widen_fn widen;       /* int8 -> int16 (A blocks) */
    pml_qs8_dwconv_fn dwconv;    /* depthwise conv, any kernel size/stride/dilation */
    int dwconv_rows;             /* the row layout dwconv runs where packed (PML_DW_LAYOUT_*): its scratch */
    pml_qs8_dwconv_cols_fn dwconv_cols; /* dwconv over a channel block (NULL: none) */
    /* the u8 x s8 path (NULL: this configuration packs int16 k-pairs only) */
    size_t u8_mr;                  /* rows of u8_gemm's tile */
    pml_qu8_gemm_ukernel u8_gemm;   /* u8_mr x 16 */
    pml_qu8_gemm_ukernel u8_gemm_1; /* 1 x 16 */
    /* u8_mr rows x two panels (w and w + kq * 16, nr <= 32), raw accumulators only: the dense
     * store's blocks (NULL: u8_gemm a panel at a time) */
    pml_qu8_gemm_ukernel u8_gemm_raw2;
    pml_qu8_stem_fn stem;           /* direct few-channel conv (NULL: such convs run on the GEMM) */
    /* 1: a conv's fused residual Add runs in these tiles' epilogue (pml_qs8_epilogue.add); 0:
     * the op runs the conv, then the configuration's Add kernel over its output (the tiles can
     * still do it, exactly; measured slower: AVX2's, BlazeFace-like int8 +6%) */
    int add_in_epilogue;
    /* the requantization (and residual Add) of GEMMs whose C rows are contiguous (ldc == N),
     * after tiles that store raw accumulators (pml_qs8_epilogue.raw); NULL: the tiles' own */
    pml_qs8_dense_store_fn dense_store;
} pml_qs8_gemm_kernels;

/* ---- packing ------------------------------------------------------------------------- */

static inline int64_t pml_qs8_kp(int64_t k) { return (k + 1) / 2 * 2; }
static inline int64_t pml_qs8_n_pad(int64_t n) { return (n + PML_QS8_NR - 1) / PML_QS8_NR * PML_QS8_NR; }
static inline int64_t pml_qs8_kq(int64_t k) { return (k + 3) / 4 * 4; } /* K of the quad packing */
/* Bytes of the header + column parameters for n_pad columns. */
static inline size_t pml_qs8_cols_bytes(int64_t n_pad) {
    return sizeof(pml_qs8_packed_header) + (size_t)n_pad * 7 * sizeof(int32_t) +
           (size_t)(n_pad / PML_QS8_NR) * PML_QS8_FLOOR64_PER_PANEL * sizeof(int64_t);
}
/* Bytes of one packed GEMM weight (multiple of 64). */
static inline size_t pml_qs8_gemm_packed_bytes(int64_t k, int64_t n) {
    const size_t b = pml_qs8_cols_bytes(pml_qs8_n_pad(n)) + (size_t)pml_qs8_kp(k) * (size_t)pml_qs8_n_pad(n) * 2;
    return (b + 63) / 64 * 64;
}
static inline const pml_qs8_packed_header *pml_qs8_header(const void *packed) {
    return (const pml_qs8_packed_header *)packed;
}

/* The column parameters of a packed buffer whose data part is data_bytes long. */
pml_qs8_cols pml_qs8_cols_at(void *packed, size_t data_bytes, int64_t n_pad);

/* Writes the header and the column parameters of columns [0, n) (channels ch0 + j of q's
 * per-channel arrays), with bias' = bias until pml_qs8_fold_a_zero_point. */
void pml_qs8_pack_cols(const pml_qs8_quant *q, int64_t ch0, int64_t k, int64_t kp, int64_t n, void *packed,
                       size_t data_bytes);
/* Sets header.floor64 and the panels' one-floor constants where that rounding is exact for
 * every column (after the packing set small_acc; qgemm_driver.c says why). */
void pml_qs8_set_floor64(void *packed, size_t data_bytes);
/* bias'[j] -= za * colsum (colsum = sum_k w'[k][j]), wrapping like the int32 accumulator it starts. */
static inline void pml_qs8_fold_a_zero_point(pml_qs8_cols *c, int64_t j, int32_t za, uint32_t colsum) {
    c->bias[j] = (int32_t)((uint32_t)c->bias[j] - (uint32_t)za * colsum);
}

/* Pack W[k][n] = w[k*stride_k + n*stride_n] (int8) with the quantization q of output
 * channels ch0 + n into out (pml_qs8_gemm_packed_bytes(k, n) bytes, 64-byte aligned), for
 * kern: as u8 x s8 quads when kern has a u8_gemm and these channels' weight zero points are
 * all 0, else as int16 k-pairs. Run it with the same kern. */
void pml_qs8_gemm_pack(const pml_qs8_gemm_kernels *kern, int64_t k, int64_t n, const int8_t *w, int64_t stride_k, int64_t stride_n,
                       const pml_qs8_quant *q, int64_t ch0, void *out);

/* 1 when a buffer packed for kern runs on the u8 x s8 tiles, which take uint8 activations
 * unflipped (pml_qs8_gemm_problem.a_u8). */
static inline int pml_qs8_gemm_takes_u8(const void *packed) { return pml_qs8_header(packed)->quads; }

/* The epilogue of panel p of a packed buffer. */
pml_qs8_epilogue pml_qs8_panel_epilogue(const void *packed, size_t data_bytes, int64_t p);
/* ep0 (panel 0's epilogue) moved to the columns from j0 on (inline: kernels call it per tile). */
static inline pml_qs8_epilogue pml_qs8_epilogue_at(const pml_qs8_epilogue *ep0, int64_t j0) {
    pml_qs8_epilogue ep = *ep0;
    ep.bias += j0, ep.multiplier += j0, ep.lshift += j0, ep.rshift += j0, ep.rmask += j0, ep.rhalf += j0;
    ep.scale += j0;
    if (j0 % PML_QS8_NR) ep.floor64 = PML_QS8_FLOOR64_NONE; /* its constants are per whole panel */
    else ep.rq64 += j0 / PML_QS8_NR * PML_QS8_FLOOR64_PER_PANEL;
    return ep;
}

/* ---- the driver ---------------------------------------------------------------------- */

/* Rows [m0, m0+mb) of batch item `batch`'s A as int16 into dst (row r at dst + r*ld), all
 * kp columns (the K padding column, if any, may hold anything: its weights are zero). */
typedef void (*pml_qs8_pack_a_fn)(const void *ctx, int64_t batch, int64_t m0, int64_t mb, int16_t *dst, int64_t ld);
/* The same rows flipped to uint8 (a ^ 0x80) into dst (row r at dst + r*ld bytes), all kq
 * columns (the K padding may hold anything). */
typedef void (*pml_qu8_pack_a_fn)(const void *ctx, int64_t batch, int64_t m0, int64_t mb, uint8_t *dst, int64_t ld);
/* Pointers of batch item `batch`: A (ignored when pack_a is set), packed B, C. */
typedef void (*pml_qs8_batch_fn)(const void *ctx, int64_t batch, const int8_t **a, const void **packed,
                                 uint8_t **c);

typedef struct pml_qs8_gemm_problem {
    int64_t m, n, k;
    int64_t batch;              /* independent GEMMs of this shape (groups); >= 1 */
    const int8_t *a;            /* batch 0 (or all batches when batch_ptrs is NULL) */
    int64_t lda;                /* elements */
    const void *packed;         /* pml_qs8_gemm_pack'ed B */
    void *c;                    /* int8 or uint8, as packed */
    int64_t ldc;                /* elements */
    pml_qs8_batch_fn batch_ptrs; /* NULL: every batch uses a, packed, c */
    pml_qs8_pack_a_fn pack_a;    /* NULL: A rows widened in place */
    pml_qu8_pack_a_fn pack_a_u8; /* for quad-packed B; set exactly when pack_a is */
    const void *cb_ctx;
    int a_u8;                    /* 1: A (and what pack_a_u8 reads) holds uint8 bytes, the int8
                                  * values ^ 0x80 (a uint8 tensor as it is); only with quad-packed
                                  * B (pml_qs8_gemm_takes_u8) */
    const pml_qbinary_params *add; /* the epilogue's residual Add (pml_qs8_epilogue.add); NULL: none */
    const void *residual;        /* its other operand, laid out as C: C's byte at c + e (any batch's
                                  * c, as batch_ptrs gives it) pairs with residual's at residual + e */
} pml_qs8_gemm_problem;

/* Bytes of scratch one thread needs (an M block of int16 A). */
size_t pml_qs8_gemm_scratch_bytes(const pml_qs8_gemm_kernels *kern, const pml_qs8_gemm_problem *p);
/* Runs the problem on the pool. scratch: a region of pml_qs8_gemm_scratch_bytes for each of
 * pml_threadpool_size(pool) threads (stride >= those bytes), 64-byte aligned. */
void pml_qs8_gemm_run(const pml_qs8_gemm_kernels *kern, const pml_qs8_gemm_problem *p, pml_threadpool *pool,
                      pml_thread_scratch scratch);

/* ---- references (kernels/matmul/s8_gemm_ref.c) ------------------------------------------ */

/* Naive fully connected / GEMM: y[i*ldy + j] = requant_j(bias[j] + sum_k (a[i,k] - za) *
 * (w[k*stride_k + j*stride_n] - zw[j])), int32 arithmetic wrapping modulo 2^32; y of
 * q->out_dtype (int8, uint8 or int16). The oracle of the packed GEMM. */
void pml_qs8_gemm_ref(int64_t m, int64_t n, int64_t k, const int8_t *a, int64_t lda, const int8_t *w,
                      int64_t stride_k, int64_t stride_n, const pml_qs8_quant *q, void *y, int64_t ldy);
/* TFLite's int16x8 fully connected: int16 activations (zero point 0), int8 weights (zero
 * point 0), int64 accumulator and bias (bias may be NULL), the int64 requantization
 * (pml_requantize_s64), int16 output. */
void pml_qs16_gemm_ref(int64_t m, int64_t n, int64_t k, const int16_t *a, int64_t lda, const int8_t *w,
                       int64_t stride_k, int64_t stride_n, const int64_t *bias, const pml_requant *rq, int16_t *y,
                       int64_t ldy);

/* One requantized value of column j of a tile, in scalar code (the scalar micro-kernels'
 * epilogue; the same arithmetic as pml_requantize). */
PML_INLINE int32_t pml_qs8_requant_scalar(const pml_qs8_epilogue *ep, size_t j, int32_t acc) {
    if (ep->mode == PML_REQUANT_FLOAT) return pml_requant_float(acc, ep->scale[j], ep->zero_point, ep->qmin, ep->qmax);
    int32_t v = pml_multiply_by_quantized_multiplier(acc, ep->multiplier[j], ep->lshift[j] - ep->rshift[j]);
    v = pml_add_zero_point(v, ep->zero_point);
    return v < ep->qmin ? ep->qmin : (v > ep->qmax ? ep->qmax : v);
}

/* The stored value of column j of a tile whose byte goes to *dst: the requantization, then
 * the residual Add where the epilogue has one (the scalar micro-kernels' epilogue). */
PML_INLINE int32_t pml_qs8_epilogue_scalar(const pml_qs8_epilogue *ep, size_t j, int32_t acc, const uint8_t *dst) {
    const int32_t v = pml_qs8_requant_scalar(ep, j, acc);
    if (!ep->add) return v;
    const uint8_t r = *(const uint8_t *)((uintptr_t)dst + (uintptr_t)ep->res_delta);
    return pml_qadd_scalar(v, ep->out_u8 ? (int32_t)r : (int32_t)(int8_t)r, ep->add);
}

/* Stores one value of q->out_dtype (int8, uint8 or int16) at index i of y. */
PML_INLINE void pml_qs8_store(int32_t dtype, void *y, int64_t i, int32_t v) {
    if (dtype == PML_INT16) ((int16_t *)y)[i] = (int16_t)v;
    else ((uint8_t *)y)[i] = (uint8_t)v; /* int8 or uint8: the low byte */
}

/* The micro-kernels and the widening, declared from their variant list. */
#define PML_S8_GEMM(tile, isa, mr, nr)                                                                                 \
    void pml_s8_gemm_##tile##__##isa(size_t mr_, size_t nr_, size_t kp, const int16_t *a, size_t lda, const int16_t *w, \
                                     const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc);
#define PML_S8_WIDEN(isa, tile) void pml_s8_widen__##isa(size_t n, const int8_t *x, int16_t *y);
#define PML_U8S8_GEMM(tile, isa, mr, nr)                                                                              \
    void pml_u8s8_gemm_##tile##__##isa(size_t mr_, size_t nr_, size_t kq, const uint8_t *a, size_t lda, const int8_t *w, \
                                       const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc);
#define PML_U8S8_GEMM_RAW2(tile, isa, mr)                                                                             \
    void pml_u8s8_gemm_raw_##tile##__##isa(size_t mr_, size_t nr_, size_t kq, const uint8_t *a, size_t lda,               \
                                           const int8_t *w, const pml_qs8_epilogue *ep, uint8_t *c, size_t ldc);
#define PML_S8_DENSE_STORE(isa)                                                                                        \
    void pml_s8_dense_store__##isa(const pml_qs8_dense *d, size_t count, const int32_t *acc, uint8_t *c,               \
                                   const uint8_t *res);
#include "kernels/matmul/s8_gemm_variants.h"

#endif /* PML_KERNELS_S8_GEMM_H */
