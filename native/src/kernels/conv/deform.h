/*
 * kernels/conv/deform.h — DeformConv's kernels (NHWC; semantics in
 * src/pocketml/ops/conv_deform.py).
 *
 * x [N,H,W,C], w [Cout,KH,KW,C/group] (OHWI), offset [N,OH,OW,og*KH*KW*2] (dy, dx per tap),
 * mask [N,OH,OW,og*KH*KW] or NULL, b [Cout] or NULL, y [N,OH,OW,Cout]. The geometry (the
 * conv one plus the offset groups) is validated by ops/conv_deform.c's infer; sample
 * positions are data and are checked per tap, so any offset value (NaN, huge) is safe.
 */
#ifndef PML_KERNELS_DEFORM_H
#define PML_KERNELS_DEFORM_H

#include <stdint.h>

#include "kernels/conv/conv.h"

typedef struct pml_deform_geom {
    pml_conv_geom g;       /* x, w, y and the window; oph/opw unused */
    int64_t offset_group;  /* og >= 1, dividing C */
    int64_t cpog;          /* channels per offset group, C / og */
} pml_deform_geom;

/* The sampling im2col for the GEMM driver's pack_a: rows [m0, m0+mb) (m = (n*OH + oh)*OW + ow)
 * and columns [k0, k0+kcb) (k = (kh*KW + kw)*cg + ci, as Conv's OHWI weights) of group grp's
 * matrix of mask-scaled bilinear samples into dst (row stride ld). */
void pml_f32_deform_im2col(const pml_deform_geom *d, const float *x, const float *offset, const float *mask,
                           int64_t grp, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst, int64_t ld);

/* The scalar reference (test oracle): one output element at a time, as the definition reads. */
void pml_f32_deform_conv_ref(const pml_deform_geom *d, const float *x, const float *w, const float *offset,
                             const float *b, const float *mask, float *y);

#endif /* PML_KERNELS_DEFORM_H */
