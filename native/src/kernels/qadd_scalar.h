/*
 * kernels/qadd_scalar.h — one element of a quantized Add or Sub (quant/qelementwise.h gives
 * both semantics' sources), in scalar code: the definition the run kernels
 * (quant/s8_qbinary__scalar.c) and the int8 GEMM epilogue's fused residual Add (s8_gemm.h) share,
 * so the fused and the standalone Add cannot drift apart.
 *
 * Values and zero points are in any one domain (int8 or uint8 stored values, or int16): both
 * semantics only see x - zp, and qmin/qmax are in that domain too.
 */
#ifndef PML_KERNELS_QADD_SCALAR_H
#define PML_KERNELS_QADD_SCALAR_H

#include <math.h>

#include "kernels/qbinary_params.h"

/* TFLite AddFunc/SubFunc (reference_integer_ops::AddFunc, reference_ops::SubFunc). */
PML_INLINE int32_t pml_qaddsub_fixed(int32_t a, int32_t b, const pml_qbinary_params *p, int sub) {
    /* TFLite multiplies in int32; a 16-bit zero point other than 0 (which TFLite refuses)
     * would overflow, so the shift wraps (unsigned) instead of being undefined */
    const int32_t sa = (int32_t)((uint32_t)(a - p->a_zp) << p->left_shift);
    const int32_t sb = (int32_t)((uint32_t)(b - p->b_zp) << p->left_shift);
    const int32_t va = pml_multiply_by_quantized_multiplier(sa, p->a_multiplier, p->a_shift);
    const int32_t vb = pml_multiply_by_quantized_multiplier(sb, p->b_multiplier, p->b_shift);
    const int32_t raw = sub ? va - vb : va + vb;
    const int32_t y = pml_multiply_by_quantized_multiplier(raw, p->y_multiplier, p->y_shift) + p->y_zp;
    return pml_clamp_i32(y, p->qmin, p->qmax);
}

/* MlasQLinearAddKernelRawHelper (Sub: the same with the difference, ONNX's DQ -> Sub -> Q),
 * except that the zero point is added after rounding, as QuantizeLinear does: MLAS adds it to
 * the float first, which moves a value lying within a float ulp of a tie; after, the result
 * depends on x - zp only and uint8 through the int8 kernel stays exact. Every file that
 * compiles this for a target with FMA must turn contraction off (-ffp-contract=off): a fused
 * a_scale * (a - za) + vb rounds once where this rounds twice. */
PML_INLINE int32_t pml_qaddsub_float(int32_t a, int32_t b, const pml_qbinary_params *p, int sub) {
    const float va = p->a_scale * (float)(a - p->a_zp);
    const float vb = p->b_scale * (float)(b - p->b_zp);
    float v = (sub ? va - vb : va + vb) / p->y_scale;
    const float lo = (float)(p->qmin - p->y_zp), hi = (float)(p->qmax - p->y_zp);
    v = v < lo ? lo : (v > hi ? hi : v);
    return (int32_t)nearbyintf(v) + p->y_zp;
}

PML_INLINE int32_t pml_qadd_scalar(int32_t a, int32_t b, const pml_qbinary_params *p) {
    return p->mode == PML_REQUANT_FLOAT ? pml_qaddsub_float(a, b, p, 0) : pml_qaddsub_fixed(a, b, p, 0);
}
PML_INLINE int32_t pml_qsub_scalar(int32_t a, int32_t b, const pml_qbinary_params *p) {
    return p->mode == PML_REQUANT_FLOAT ? pml_qaddsub_float(a, b, p, 1) : pml_qaddsub_fixed(a, b, p, 1);
}

#endif /* PML_KERNELS_QADD_SCALAR_H */
