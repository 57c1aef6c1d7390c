/*
 * kernels/conv/s8_dwconv_rows.h — the plan and the packed weights of the row-vectorised int8
 * depthwise conv (s8_dwconv_rows__avx512vnni.c), ISA-independent so that pml_qs8_dwconv_pack
 * lays them out once per plan instead of at each run (which measured 2-6 us a call).
 *
 * The plan: a padded input row is split into s phase lines (stride s: pixels j = s*k + phase),
 * then rewritten as quad lines, each byte position q of a quad line holding 4 bytes from
 * phase lines at q plus a lane offset (4 taps summed by one vpdpbusd). Stride 1: one quad
 * line, lanes 0, d, 2d, 3d pixels apart (d dilation); strides 2 and 4: one quad line of 4
 * consecutive taps (s*k .. s*k + 3: for stride 2, phases 0, 1, 0, 1 at pixels k, k, k+1,
 * k+1), so a 3-wide kernel row is one quad, not one per phase; other strides: a quad line
 * per phase, lanes 1 pixel apart. Each kernel row's taps are then quads: a quad line read at
 * a byte offset, its lanes' taps kw[0..3] (-1: none, weight 0). The plan also gives the
 * ring and line sizes of the kernel's buffers (the run's scratch) and the column segments
 * that keep them within PML_DWROWS_RING_BYTES / LINE_BYTES.
 * The layout, after the depthwise packing (64-byte aligned, pml_dwrows_offset): a
 * pml_dwrows_packed, then int32 arrays of ext = C + 16 entries, entry i for channel i mod C
 * (so that 16 consecutive entries load at any channel phase): bias'' (bias' - 128 * sum w',
 * the input being read as x ^ 0x80), multiplier, left shift, right shift, 2^right - 1, its
 * half, float scale; then for each kernel row and quad the 4 int8 weights of every channel
 * packed in a dword; then (64-byte aligned, pml_dwrows_rq64_offset) the one-step
 * requantization's int64 constants (fast_rq, s8_dwconv_rows__avx512vnni.c): the offset
 * 2^30 + 2^(30+r) + zp 2^(31+r) and the shift 31 + r of each channel, each array split by
 * channel parity (entry j of parity p: channel 2j + p of the ext entries), so that the 8 even
 * and the 8 odd channels of a 16-byte chunk each load as one contiguous zmm.
 */
#ifndef PML_KERNELS_S8_DWCONV_ROWS_H
#define PML_KERNELS_S8_DWCONV_ROWS_H

#include "kernels/conv/s8_conv.h"

#define PML_DWROWS_MAX_C 1024     /* the layout's size: (7 + KH * quads) * (C + 16) int32 */
#define PML_DWROWS_MAX_KH 7
#define PML_DWROWS_MAX_QUADS 4    /* tap quads per kernel row, over all phases */
#define PML_DWROWS_MAX_STRIDE 4
#define PML_DWROWS_MAX_SLOTS 32   /* padded rows a kernel column spans: (KH - 1) * dilation + 1 */
#define PML_DWROWS_EXT 16
#define PML_DWROWS_RING_BYTES (64 * 1024) /* bound on the quad-line ring (keeps it in L2) */
#define PML_DWROWS_LINE_BYTES (16 * 1024) /* bound on the padded phase lines before the interleave */

typedef struct pml_dwrows_quad {
    int64_t line, offset; /* quad line, byte offset in it */
    int64_t kw[4];        /* the tap column of each lane, -1: none */
} pml_dwrows_quad;

typedef struct pml_dwrows_src {
    int64_t phase[4], offset[4]; /* lane l of a quad line at q: phase line phase[l], byte q + offset[l] */
} pml_dwrows_src;

typedef struct pml_dwrows_plan {
    int64_t C, s, quads, slots;
    int64_t lines;  /* quad lines per padded row */
    pml_dwrows_src src[PML_DWROWS_MAX_STRIDE];
    pml_dwrows_quad quad[PML_DWROWS_MAX_QUADS];
    int64_t seg_ow;  /* output columns per segment (rows too wide for the ring go in segments) */
    int64_t nq;      /* quads per phase line (of a segment) */
    int64_t line_px; /* pixels per padded phase line (each line_px * C + 64 bytes) */
    int64_t owc;     /* bytes of a segment's output row */
    int64_t period;  /* lcm(C, 16): output bytes after which the channel phase repeats */
} pml_dwrows_plan;

typedef struct pml_dwrows_packed {
    int64_t ok;   /* 1: every w' fits int8 (else the kernel declines) */
    int64_t x_u8; /* 1: x is uint8, read as it is (pml_dwrows_set_x_u8); 0: int8, flipped as read */
    int64_t small_acc; /* the requantization's short rounding applies (pml_qs8_epilogue.small_acc) */
    int64_t fast_rq;   /* the one-step 64-bit requantization (PML_QS8_FLOOR64_*: none, with the
                        * negative accumulators' correction, or without it where qmin >= zp) */
    pml_dwrows_plan plan;
} pml_dwrows_packed;

/* The plan of g; 0 when the geometry does not fit the kernel. */
int pml_dwrows_plan_make(const pml_conv_geom *g, pml_dwrows_plan *p);
/* Bytes of the layout (0 when the geometry does not fit). */
size_t pml_dwrows_packed_bytes(const pml_conv_geom *g);
/* Lays it out at pml_dwrows_offset(g) from the depthwise packing before it. */
void pml_dwrows_pack(const pml_conv_geom *g, void *packed);

/* Per-thread scratch bytes of a run (the ring and the phase lines; 0 when not laid out). */
size_t pml_dwrows_scratch_bytes(const pml_conv_geom *g, const void *packed);
/* Tells the layout (when laid out, ok) that x will be uint8: returns 1 then, else 0 (x must
 * then be int8: the caller flips it). */
int pml_dwrows_set_x_u8(const pml_conv_geom *g, void *packed);

/* Where the layout starts in a depthwise packing. */
static inline size_t pml_dwrows_offset(const pml_conv_geom *g) {
    return (pml_qs8_cols_bytes(pml_qs8_n_pad(g->cout)) + pml_qs8_dwconv_data_bytes(g) + 63) / 64 * 64;
}
static inline size_t pml_dwrows_arrays_offset(void) { return (sizeof(pml_dwrows_packed) + 63) / 64 * 64; }
/* Entries per parity of the int64 arrays (channels 0 .. ext - 1 split by parity), and where the
 * arrays start (bytes from the int32 arrays' start): offsets parity 0, 1, then shifts 0, 1. */
static inline int64_t pml_dwrows_rq64_entries(const pml_dwrows_plan *p) { return (p->C + PML_DWROWS_EXT + 1) / 2; }
static inline size_t pml_dwrows_rq64_offset(const pml_dwrows_plan *p, int64_t kh) {
    return ((size_t)(7 + kh * p->quads) * (size_t)(p->C + PML_DWROWS_EXT) * 4 + 63) / 64 * 64;
}

#endif /* PML_KERNELS_S8_DWCONV_ROWS_H */
