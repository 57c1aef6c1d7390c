/*
 * kernels/qbinary_params.h — the parameters of a quantized Add, Sub or Mul (their semantics are
 * described in quant/qelementwise.h): a leaf header, so the int8 GEMM's fused residual Add
 * (matmul/s8_gemm.h) and the elementwise kernels (quant/) share them without including
 * each other.
 */
#ifndef PML_KERNELS_QBINARY_PARAMS_H
#define PML_KERNELS_QBINARY_PARAMS_H

#include "kernels/common.h"
#include "kernels/requant.h"

enum { PML_QBIN_ADD, PML_QBIN_SUB, PML_QBIN_MUL, PML_QBIN_COUNT };

typedef struct pml_qbinary_params {
    int32_t mode; /* pml_requant_mode */
    int32_t op;   /* PML_QBIN_* */
    int32_t a_zp, b_zp, y_zp;
    int32_t qmin, qmax; /* output clamp (the dtype's range, narrowed by a fused activation) */
    /* PML_REQUANT_FIXED_POINT */
    int32_t left_shift;
    int32_t a_multiplier, a_shift, b_multiplier, b_shift, y_multiplier, y_shift;
    /* PML_REQUANT_FLOAT */
    float a_scale, b_scale, y_scale, ratio; /* ratio: Mul's a_scale * b_scale / y_scale (float) */
} pml_qbinary_params;

/* Fill p for op on 8-bit (bits16 = 0) or 16-bit operands. Returns 0, or -1 when a scale is
 * not finite and > 0 (the op reports the error). */
int pml_qbinary_params_init(pml_qbinary_params *p, int op, int mode, int bits16, float a_scale, int32_t a_zp,
                            float b_scale, int32_t b_zp, float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax);

#endif /* PML_KERNELS_QBINARY_PARAMS_H */
