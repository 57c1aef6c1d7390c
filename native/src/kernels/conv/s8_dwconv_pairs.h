/*
 * kernels/conv/s8_dwconv_pairs.h — the plan and the packed weights of the row-vectorised int8
 * depthwise conv for AVX2 without VNNI (s8_dwconv_rows__avx2.c): the AVX-512 row kernel's
 * scheme (kernels/conv/s8_dwconv_rows.h) with tap pairs summed by vpmaddwd on int16 instead
 * of tap quads summed by vpdpbusd on bytes, so its own plan and layout.
 *
 * The plan: a kernel row's taps as pairs, each read from a phase line (stride s: pixels
 * j = s*k + phase of a padded input row) at a byte offset, its two taps kw[0..1] (-1: none,
 * weight 0); the pair lines' sizes and the column segments that keep the kernel's buffers
 * within PML_DWPAIRS_RING_BYTES / LINE_BYTES.
 * The layout, after the depthwise packing and the AVX-512 row kernel's (64-byte aligned,
 * pml_dwpairs_offset): a pml_dwpairs_packed, then int32 arrays of ext = C + 8 entries, entry
 * i for channel i mod C (so that 8 consecutive entries load at any channel phase): bias'
 * (the input is read signed, padding holds its zero point), multiplier, left shift, right
 * shift, 2^right - 1, its half, float scale; then for each kernel row and pair the two int16
 * weights w' = w - zw of every channel in a dword (w' always fits int16: no decline).
 * small_acc: no accumulator reaches 2^30 (|bias'| + taps * 128 * 255) and every channel shifts
 * right by at least 1 without a left shift, so the cheaper exact rounding applies.
 */
#ifndef PML_KERNELS_S8_DWCONV_PAIRS_H
#define PML_KERNELS_S8_DWCONV_PAIRS_H

#include "kernels/conv/s8_conv.h"
#include "kernels/conv/s8_dwconv_rows.h"

#define PML_DWPAIRS_MAX_C 1024
#define PML_DWPAIRS_MAX_KH 7
#define PML_DWPAIRS_MAX_PAIRS 6 /* tap pairs per kernel row, over all phases */
#define PML_DWPAIRS_MAX_STRIDE 4
#define PML_DWPAIRS_MAX_SLOTS 32
#define PML_DWPAIRS_EXT 8
#define PML_DWPAIRS_RING_BYTES (64 * 1024) /* with LINE_BYTES, bounds the run's scratch (~80 KB) */
#define PML_DWPAIRS_LINE_BYTES (16 * 1024)

typedef struct pml_dwpairs_pair {
    int64_t phase, offset; /* phase line, position in it (bytes of the padded line) */
    int64_t kw[2];         /* the tap column of each half, -1: none */
} pml_dwpairs_pair;

typedef struct pml_dwpairs_plan {
    int64_t C, s, pair_stride, pairs, slots;
    pml_dwpairs_pair pair[PML_DWPAIRS_MAX_PAIRS];
    int64_t seg_ow;  /* output columns per segment */
    int64_t np;      /* pair positions per phase line (of a segment), a multiple of 16 */
    int64_t line_px; /* pixels per padded phase line */
    int64_t owc;     /* bytes of a segment's output row */
    int64_t period;  /* lcm(C, 8): output bytes after which the channel phase repeats */
} pml_dwpairs_plan;

typedef struct pml_dwpairs_packed {
    int64_t ok;
    int64_t small_acc; /* the requantization's short rounding applies (pml_qs8_epilogue.small_acc) */
    pml_dwpairs_plan plan;
} pml_dwpairs_packed;

/* The plan of g; 0 when the geometry does not fit the kernel. */
int pml_dwpairs_plan_make(const pml_conv_geom *g, pml_dwpairs_plan *p);
/* Bytes of the layout (0 when the geometry does not fit). */
size_t pml_dwpairs_packed_bytes(const pml_conv_geom *g);
/* Per-thread scratch bytes of a run: the ring of pair lines, the phase line, the ring's tags
 * (0 when not laid out). */
size_t pml_dwpairs_scratch_bytes(const pml_conv_geom *g, const void *packed);
/* Lays it out at pml_dwpairs_offset(g) from the depthwise packing before it. */
void pml_dwpairs_pack(const pml_conv_geom *g, void *packed);

static inline size_t pml_dwpairs_offset(const pml_conv_geom *g) {
    return (pml_dwrows_offset(g) + pml_dwrows_packed_bytes(g) + 63) / 64 * 64;
}
static inline size_t pml_dwpairs_arrays_offset(void) { return (sizeof(pml_dwpairs_packed) + 63) / 64 * 64; }

#endif /* PML_KERNELS_S8_DWCONV_PAIRS_H */
