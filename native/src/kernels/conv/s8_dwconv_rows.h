/*
 * kernels/conv/s8_dwconv_rows.h — the plan and the packed weights of the row-vectorised int8
 * depthwise conv (s8_dwconv_rows__avx512vnni.c), ISA-independent so that pml_qs8_dwconv_pack
 * lays them out once per plan instead of at each run (which measured 2-6 us a call).
 *
 * The plan: a kernel row's taps as quads (4 taps summed by one vpdpbusd), each read from a
 * phase line (stride s: pixels j = s*k + phase of a padded input row) at a byte offset, its
 * lanes' taps kw[0..3] (-1: none, weight 0); the ring and line sizes of the kernel's buffers,
 * and the column segments that keep them within PML_DWROWS_RING_BYTES / LINE_BYTES.
 * The layout, after the depthwise packing (64-byte aligned, pml_dwrows_offset): a
 * pml_dwrows_packed, then int32 arrays of ext = C + 16 entries, entry i for channel i mod C
 * (so that 16 consecutive entries load at any channel phase): bias'' (bias' - 128 * sum w',
 * the input being read as x ^ 0x80), multiplier, left shift, right shift, 2^right - 1, its
 * half, float scale; then for each kernel row and quad the 4 int8 weights of every channel
 * packed in a dword.
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
#define PML_DWROWS_RING_BYTES (64 * 1024) /* with LINE_BYTES, the kernel's stack (80 KB) */
#define PML_DWROWS_LINE_BYTES (16 * 1024) /* one padded phase line before the interleave */

typedef struct pml_dwrows_quad {
    int64_t phase, offset; /* phase line, byte offset in it */
    int64_t kw[4];         /* the tap column of each lane, -1: none */
} pml_dwrows_quad;

typedef struct pml_dwrows_plan {
    int64_t C, s, quad_stride, quads, slots;
    pml_dwrows_quad quad[PML_DWROWS_MAX_QUADS];
    int64_t seg_ow;  /* output columns per segment (rows too wide for the ring go in segments) */
    int64_t nq;      /* quads per phase line (of a segment) */
    int64_t line_px; /* pixels per padded phase line */
    int64_t owc;     /* bytes of a segment's output row */
    int64_t period;  /* lcm(C, 16): output bytes after which the channel phase repeats */
} pml_dwrows_plan;

typedef struct pml_dwrows_packed {
    int64_t ok; /* 1: every w' fits int8 (else the kernel declines) */
    pml_dwrows_plan plan;
} pml_dwrows_packed;

/* The plan of g; 0 when the geometry does not fit the kernel. */
int pml_dwrows_plan_make(const pml_conv_geom *g, pml_dwrows_plan *p);
/* Bytes of the layout (0 when the geometry does not fit). */
size_t pml_dwrows_packed_bytes(const pml_conv_geom *g);
/* Lays it out at pml_dwrows_offset(g) from the depthwise packing before it. */
void pml_dwrows_pack(const pml_conv_geom *g, void *packed);

/* Where the layout starts in a depthwise packing. */
static inline size_t pml_dwrows_offset(const pml_conv_geom *g) {
    return (pml_qs8_cols_bytes(pml_qs8_n_pad(g->cout)) + pml_qs8_dwconv_data_bytes(g) + 63) / 64 * 64;
}
static inline size_t pml_dwrows_arrays_offset(void) { return (sizeof(pml_dwrows_packed) + 63) / 64 * 64; }

#endif /* PML_KERNELS_S8_DWCONV_ROWS_H */
