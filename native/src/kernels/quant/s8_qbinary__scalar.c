/*
 * kernels/quant/s8_qbinary__scalar.c — quantized Add, Sub and Mul on runs (qelementwise.h):
 * one element function per op and semantics (Add/Sub: qadd_scalar.h), instantiated for int8
 * and int16 storage and the three broadcast shapes (vv, vs, sv), the parameter set-up from
 * float scales, and Add on int8 or uint8 stored values as they are (a conv's residual).
 */
#include <math.h>

#include "kernels/qadd_scalar.h"
#include "kernels/quant/qelementwise.h"

static int bad_scale(float s) { return !(s > 0.0f) || !isfinite(s); }

int pml_qbinary_params_init(pml_qbinary_params *p, int op, int mode, int bits16, float a_scale, int32_t a_zp,
                            float b_scale, int32_t b_zp, float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax) {
    memset(p, 0, sizeof *p);
    if (bad_scale(a_scale) || bad_scale(b_scale) || bad_scale(y_scale) || op < 0 || op >= PML_QBIN_COUNT) return -1;
    p->mode = mode;
    p->op = op;
    p->a_zp = a_zp;
    p->b_zp = b_zp;
    p->y_zp = y_zp;
    p->qmin = qmin;
    p->qmax = qmax;
    p->a_scale = a_scale;
    p->b_scale = b_scale;
    p->y_scale = y_scale;
    p->ratio = a_scale * b_scale / y_scale; /* float, left to right, as MLAS */
    if (op == PML_QBIN_MUL) {
        /* mul.cc: input1 scale * input2 scale / output scale, all float operands, so the
         * C++ expression is evaluated in float before it becomes QuantizeMultiplier's double */
        const double real = (double)(a_scale * b_scale / y_scale);
        pml_quantize_multiplier(real, &p->y_multiplier, &p->y_shift);
        return 0;
    }
    /* add.cc / sub.cc Prepare (the float max doubled is exact, then everything in double) */
    p->left_shift = bits16 ? 15 : 20;
    const double twice_max = 2.0 * (double)(a_scale > b_scale ? a_scale : b_scale);
    pml_quantize_multiplier((double)a_scale / twice_max, &p->a_multiplier, &p->a_shift);
    pml_quantize_multiplier((double)b_scale / twice_max, &p->b_multiplier, &p->b_shift);
    const double y_real = twice_max / ((double)(float)((float)(1 << p->left_shift) * y_scale));
    pml_quantize_multiplier(y_real, &p->y_multiplier, &p->y_shift);
    return 0;
}

PML_INLINE int32_t qadd(int32_t a, int32_t b, const pml_qbinary_params *p) { return pml_qadd_scalar(a, b, p); }
PML_INLINE int32_t qsub(int32_t a, int32_t b, const pml_qbinary_params *p) { return pml_qsub_scalar(a, b, p); }
/* reference_integer_ops::MulElementwise / MLAS QLinearMul. */
PML_INLINE int32_t qmul(int32_t a, int32_t b, const pml_qbinary_params *p) {
    const int32_t prod = (int32_t)((uint32_t)(a - p->a_zp) * (uint32_t)(b - p->b_zp)); /* wraps as above */
    if (p->mode == PML_REQUANT_FLOAT) return pml_requant_float(prod, p->ratio, p->y_zp, p->qmin, p->qmax);
    const int32_t y = pml_multiply_by_quantized_multiplier(prod, p->y_multiplier, p->y_shift) + p->y_zp;
    return pml_clamp_i32(y, p->qmin, p->qmax);
}

#define PML_QBINARY_SHAPES(Q, T, OP)                                                                          \
    static void Q##_v##OP(size_t n, const void *av, const void *bv, void *yv, const pml_qbinary_params *p) { \
        const T *a = (const T *)av, *b = (const T *)bv;                                                      \
        T *y = (T *)yv;                                                                                      \
        for (size_t i = 0; i < n; i++) y[i] = (T)q##OP(a[i], b[i], p);                                       \
    }                                                                                                         \
    static void Q##_v##OP##s(size_t n, const void *av, int32_t b, void *yv, const pml_qbinary_params *p) {   \
        const T *a = (const T *)av;                                                                          \
        T *y = (T *)yv;                                                                                      \
        for (size_t i = 0; i < n; i++) y[i] = (T)q##OP(a[i], b, p);                                          \
    }                                                                                                         \
    static void Q##_s##OP##v(size_t n, int32_t a, const void *bv, void *yv, const pml_qbinary_params *p) {   \
        const T *b = (const T *)bv;                                                                          \
        T *y = (T *)yv;                                                                                      \
        for (size_t i = 0; i < n; i++) y[i] = (T)q##OP(a, b[i], p);                                          \
    }

#define PML_QBINARY_DTYPE(Q, T)                                                                   \
    PML_QBINARY_SHAPES(Q, T, add)                                                                 \
    PML_QBINARY_SHAPES(Q, T, sub)                                                                 \
    PML_QBINARY_SHAPES(Q, T, mul)                                                                 \
    const pml_qbinary_kernels pml_##Q##_qbinary__scalar[PML_QBIN_COUNT] = {                       \
        [PML_QBIN_ADD] = {Q##_vadd, Q##_vadds, Q##_saddv},                                        \
        [PML_QBIN_SUB] = {Q##_vsub, Q##_vsubs, Q##_ssubv},                                        \
        [PML_QBIN_MUL] = {Q##_vmul, Q##_vmuls, Q##_smulv},                                        \
    };

PML_QBINARY_DTYPE(s8, int8_t)
PML_QBINARY_DTYPE(s16, int16_t)

void pml_x8_qadd_rows__scalar(size_t n, const void *av, const void *bv, void *yv, int u8, const pml_qbinary_params *p) {
    const uint8_t *a = (const uint8_t *)av, *b = (const uint8_t *)bv;
    uint8_t *y = (uint8_t *)yv;
    for (size_t i = 0; i < n; i++) {
        const int32_t va = u8 ? (int32_t)a[i] : (int32_t)(int8_t)a[i], vb = u8 ? (int32_t)b[i] : (int32_t)(int8_t)b[i];
        y[i] = (uint8_t)pml_qadd_scalar(va, vb, p);
    }
}
