/*
 * kernels/elementwise/ew_kernels.h — the float32 kernel table of the elementwise, unary,
 * logic, norm and reduce families (the streaming kernels that ops share).
 *
 * Every entry has a scalar reference, which is both the fallback and the oracle the SIMD
 * kernels are tested against. The kernels live in their family folders
 * (kernels/elementwise/f32_vbinary__*.c, kernels/unary/f32_vunary__*.c and
 * f16_vcvt__*.c, kernels/logic/, kernels/norm/f32_softmax__*.c and
 * f32_scale_shift__*.c, kernels/reduce/); the tables are filled in
 * kernels/elementwise/f32_ew_table__scalar.c and f32_ew_table__avx2.c (vector kernels
 * where they pay off, the scalar reference elsewhere). Ops take the table from their
 * session's configuration (ctx->config->f32.ew, see kernels/config.h) in prepare and
 * keep the pointer in their state. Names follow <dtype>_<op>__<isa>.
 *
 * Aliasing: y may equal x (or a) exactly for the streaming kernels (unary,
 * binary, scale_shift, softmax); partial overlap is not allowed. compare and
 * select32 write a different dtype and must not alias their inputs.
 */
#ifndef PML_ELEMENTWISE_KERNELS_H
#define PML_ELEMENTWISE_KERNELS_H

#include "kernels/common.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/logic/logic.h"
#include "kernels/norm/norm.h"
#include "kernels/reduce/reduce.h"
#include "kernels/unary/unary.h"

typedef struct pml_ew_kernels {
    const char *isa;
    pml_f32_vv_fn vv[PML_BIN_COUNT];
    pml_f32_vs_fn vs[PML_BIN_COUNT];
    pml_f32_sv_fn sv[PML_BIN_COUNT];
    pml_f32_unary_fn unary[PML_UN_COUNT];
    /* y[r*c + j] = x[r*c + j] * scale[j] + shift[j] for r < rows */
    void (*scale_shift)(size_t rows, size_t c, const float *x, const float *scale, const float *shift, float *y);
    /* softmax (log_softmax if is_log) over n contiguous floats */
    void (*softmax_row)(size_t n, const float *x, float *y, int is_log);
    /* softmax over the middle axis of a [len, inner] block (stride inner) */
    void (*softmax_strided)(size_t len, size_t inner, const float *x, float *y, int is_log);
    /* reductions over n contiguous floats (sum carries a double total, so long
     * rows keep ~1e-7 relative accuracy), and accumulate a row into acc */
    double (*sum)(size_t n, const float *x);
    float (*max)(size_t n, const float *x);
    void (*acc_add)(size_t n, const float *x, double *acc);
    void (*acc_max)(size_t n, const float *x, float *acc);
    /* y[i] = a[i*sa] cmp b[i*sb] as 0/1 bytes; sa, sb are 0 (broadcast) or 1 */
    void (*compare)(int cmp, size_t n, const float *a, size_t sa, const float *b, size_t sb, uint8_t *y);
    /* Where on 4-byte elements: y[i] = c[i*sc] ? x[i*sx] : z[i*sz]; strides 0 or 1 */
    void (*select32)(size_t n, const uint8_t *c, size_t sc, const uint32_t *x, size_t sx, const uint32_t *z,
                     size_t sz, uint32_t *y);
    /* IEEE half <-> float, round to nearest even */
    void (*f32_to_f16)(size_t n, const float *x, uint16_t *y);
    void (*f16_to_f32)(size_t n, const uint16_t *x, float *y);
} pml_ew_kernels;

/* The reference table and the AVX2/FMA/F16C one (kernels/config.c picks). */
extern const pml_ew_kernels pml_f32_ew__scalar;
extern const pml_ew_kernels pml_f32_ew__avx2;

#endif /* PML_ELEMENTWISE_KERNELS_H */
