/*
 * kernels/conv/conv.h — geometry and kernels of the conv family (NHWC).
 *
 * Conv:          x [N,H,W,Cin], w [Cout,KH,KW,Cin/group] (OHWI), b [Cout]
 * ConvTranspose: x [N,H,W,Cin], w [Cin,KH,KW,Cout/group],        b [Cout]
 * The geometry is validated by ops/conv.c's infer before any kernel sees it:
 * every index a kernel forms from it stays inside x, w, b and y.
 */
#ifndef PML_KERNELS_CONV_H
#define PML_KERNELS_CONV_H

#include <stdint.h>

#include "kernels/activation.h"
#include "kernels/conv/window.h"

typedef struct pml_conv_geom {
    int64_t n, h, w, cin;       /* input */
    int64_t oh, ow, cout;       /* output */
    int64_t kh, kw;
    int64_t sh, sw, dh, dw;     /* strides, dilations */
    int64_t pt, pl, pb, pr;     /* pads: top, left, bottom, right */
    int64_t oph, opw;           /* ConvTranspose output_padding */
    int64_t group, cg, coutg;   /* cg = Cin/group, coutg = Cout/group */
} pml_conv_geom;

/* Scalar references (the oracles and the scalar_only kernels). b may be NULL. */
void pml_f32_conv_ref(const pml_conv_geom *g, const float *x, const float *w, const float *b,
                      const pml_activation *act, float *y);
void pml_f32_conv_transpose_ref(const pml_conv_geom *g, const float *x, const float *w, const float *b,
                                const pml_activation *act, float *y);

/* im2col: rows [m0, m0+mb) (m = (n*OH + oh)*OW + ow) and columns [k0, k0+kcb)
 * (k = (kh*KW + kw)*cg + ci) of group `grp`'s patch matrix into dst (row
 * stride ld); taps falling into the padding are zero. */
void pml_f32_im2col(const pml_conv_geom *g, const float *x, int64_t grp, int64_t m0, int64_t mb, int64_t k0,
                    int64_t kcb, float *dst, int64_t ld);

/* im2col of one-byte elements (ConvInteger): whole rows [m0, m0+mb) of group `grp`'s patch
 * matrix into dst ([mb][KH*KW*cg], dense); taps falling into the padding are `pad`. */
void pml_x8_im2col(const pml_conv_geom *g, const uint8_t *x, int64_t grp, int64_t m0, int64_t mb, uint8_t pad,
                   uint8_t *dst);

/* col2im for ConvTranspose: cols holds rows [ih0, ih1) of image n, each
 * input pixel a row of KH*KW*coutg values (ld = KH*KW*coutg); they are added
 * onto y's group `grp` channels. */
void pml_f32_col2im_add(const pml_conv_geom *g, const float *cols, int64_t n, int64_t ih0, int64_t ih1,
                        int64_t grp, float *y);

/* Pack depthwise weights OHWI [C,KH,KW,1] and bias into [KH*KW][c_pad] + [c_pad]. */
int64_t pml_dwconv_c_pad(int64_t c);
void pml_dwconv_pack(const pml_conv_geom *g, const float *w, const float *b, float *out);
#define PML_F32_DWCONV(isa, tile)                                                                           \
    void pml_f32_dwconv__##isa(const pml_conv_geom *g, const float *x, const float *w, float *y, int64_t row0, \
                               int64_t row1, const pml_activation *act);
#include "kernels/conv/conv_variants.h"

#endif /* PML_KERNELS_CONV_H */
