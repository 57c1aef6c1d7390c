/*
 * kernels/elementwise/ew_kernels.h — the float32 kernel table of the elementwise, norm,
 * softmax and reduce families.
 *
 * Every entry has a scalar reference (kernels/elementwise/f32_ew__scalar.c), which is
 * both the fallback and the oracle the SIMD kernels are tested against;
 * kernels/elementwise/f32_ew__avx2.c fills the same table with AVX2/FMA/F16C kernels
 * where they pay off and points the rest at the reference. Ops take the
 * table from their session's configuration (ctx->config->f32.ew, see
 * kernels/config.h) in prepare and keep the pointer in their state.
 * Names follow <dtype>_<op>__<isa>.
 *
 * Aliasing: y may equal x (or a) exactly for the streaming kernels (unary,
 * binary, scale_shift, softmax); partial overlap is not allowed. compare and
 * select32 write a different dtype and must not alias their inputs.
 */
#ifndef PML_ELEMENTWISE_KERNELS_H
#define PML_ELEMENTWISE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* binary ops with a float kernel; PRelu is y = a < 0 ? a*b : a */
enum {
    PML_BIN_ADD, PML_BIN_SUB, PML_BIN_MUL, PML_BIN_DIV, PML_BIN_POW, PML_BIN_MAX, PML_BIN_MIN, PML_BIN_PRELU,
    PML_BIN_COUNT
};

/* unary float ops (also the fused activations, see pml_ew_act_to_unary) */
enum {
    PML_UN_RELU, PML_UN_LEAKY_RELU, PML_UN_CLIP, PML_UN_SIGMOID, PML_UN_TANH, PML_UN_HARDSIGMOID,
    PML_UN_HARDSWISH, PML_UN_ELU, PML_UN_SELU, PML_UN_SOFTPLUS, PML_UN_SQRT, PML_UN_EXP, PML_UN_LOG,
    PML_UN_ABS, PML_UN_NEG, PML_UN_RECIPROCAL, PML_UN_FLOOR, PML_UN_CEIL, PML_UN_ROUND, PML_UN_SIGN,
    PML_UN_SIN, PML_UN_COS, PML_UN_ERF, PML_UN_GELU_ERF, PML_UN_GELU_TANH, PML_UN_COUNT
};

/* comparisons, output bytes 0/1 (anything against NaN is false, as in C and numpy) */
enum { PML_CMP_EQ, PML_CMP_LT, PML_CMP_LE, PML_CMP_GT, PML_CMP_GE, PML_CMP_COUNT };

/* alpha/beta/gamma as the op defines them (Clip: alpha = min, beta = max) */
typedef struct pml_unary_params {
    float alpha, beta, gamma;
} pml_unary_params;

typedef void (*pml_f32_unary_fn)(size_t n, const float *x, float *y, const pml_unary_params *p);
typedef void (*pml_f32_vv_fn)(size_t n, const float *a, const float *b, float *y); /* y = a op b */
typedef void (*pml_f32_vs_fn)(size_t n, const float *a, float b, float *y);        /* y = a op b (b scalar) */
typedef void (*pml_f32_sv_fn)(size_t n, float a, const float *b, float *y);        /* y = a op b (a scalar) */

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

/* Fused activation -> unary kernel index and params; returns -1 for none. */
int pml_ew_act_to_unary(const pml_activation *act, pml_unary_params *p);

/* Scalar half conversions (shared by Cast's reference path). */
uint16_t pml_f32_to_f16_scalar(float f);
float pml_f16_to_f32_scalar(uint16_t h);

/* The scalar kernels the AVX2 table falls back to for ops it does not vectorise. */
void pml_f32_vpow__scalar(size_t n, const float *a, const float *b, float *y);
void pml_f32_vpows__scalar(size_t n, const float *a, float b, float *y);
void pml_f32_spowv__scalar(size_t n, float a, const float *b, float *y);
void pml_f32_softplus__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);
void pml_f32_log__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);
void pml_f32_elu__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);
void pml_f32_selu__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);
void pml_f32_sin__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);
void pml_f32_cos__scalar(size_t n, const float *x, float *y, const pml_unary_params *p);


#endif /* PML_ELEMENTWISE_KERNELS_H */
