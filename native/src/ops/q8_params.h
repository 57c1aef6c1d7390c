/*
 * ops/q8_params.h — what the int8 GEMM-family ops (ops/conv_q8.c, ops/gemm_q8.c) share:
 * the quantization of one node (a pml_qs8_quant built from its tensors' pml_tensor.quant:
 * zero points in the int8 domain, requantization multipliers per output channel, the fused
 * activation as the output clamp), the sign flip that runs uint8 tensors on the int8
 * kernels, and the routing of a node to its int8 or float definition by input 0's dtype.
 */
#ifndef PML_OPS_Q8_PARAMS_H
#define PML_OPS_Q8_PARAMS_H

#include "../internal.h"
#include "kernels/matmul/s8_gemm.h"

/* 1 when the node computes on quantized int8/uint8 (or TFLite int16x8: int16) activations
 * (input 0 decides). */
static inline int pml_q8_node(const pml_kernel_ctx *ctx) {
    return ctx->n_in > 0 && ctx->in[0] &&
           (ctx->in[0]->dtype == PML_INT8 || ctx->in[0]->dtype == PML_UINT8 || ctx->in[0]->dtype == PML_INT16);
}

/* One node's quantization, its per-channel arrays owned (pml_q8_params_free). */
typedef struct pml_q8_params {
    pml_qs8_quant q;
    int x_u8, w_u8; /* uint8 tensors: their bytes flipped (x ^ 0x80) to reach the kernels */
    int32_t *arrays; /* w zero points, multipliers, shifts, float scales (cout each) */
    int64_t *bias64; /* int16x8: the bias widened to int64 (NULL without bias) */
} pml_q8_params;

/* Checks x, w, b (may be NULL), y of a quantized node whose cout output channels are w's
 * dimension w_axis (a per-channel w must be quantized along it) and builds p: requant from
 * attribute `requant` (0 TFLite fixed point, 1 ONNX float), clamp from the fused activation
 * (none, relu, clip). float_product: the real multiplier as TFLite's per-tensor paths
 * compute it ((float)(sx * sw) / sy, in double after the float product). int16 x (TFLite
 * int16x8): int8 w, int32 or int64 bias (widened into bias64), fixed point only. */
pml_status pml_q8_params_init(const pml_kernel_ctx *ctx, const pml_tensor *x, const pml_tensor *w,
                              const pml_tensor *b, const pml_tensor *y, int64_t cout, int w_axis, int float_product,
                              pml_q8_params *p);
void pml_q8_params_free(pml_q8_params *p);

/* dst[i] = src[i] ^ 0x80: uint8 as int8 (the zero point moves by -128), exact. */
void pml_q8_flip(const uint8_t *src, int8_t *dst, size_t n);

/* A float node's inputs all have input 0's dtype (the schema gives weights and bias type
 * variables of their own for the quantized forms, so it no longer checks this). */
pml_status pml_q8_float_dtypes_agree(const pml_kernel_ctx *ctx);

/* Defines `static const pml_op_def name` for op `code` running q8's functions on int8/uint8
 * nodes and other's on the rest (after pml_q8_float_dtypes_agree). */
#define PML_Q8_ROUTED(name, code, q8, other)                                                                    \
    static pml_status name##_infer_(pml_kernel_ctx *c) {                                                        \
        if (pml_q8_node(c)) return q8.infer(c);                                                                 \
        pml_status s_ = pml_q8_float_dtypes_agree(c);                                                           \
        return s_ ? s_ : other.infer(c);                                                                        \
    }                                                                                                           \
    static pml_status name##_prepare_(pml_kernel_ctx *c) {                                                      \
        return pml_q8_node(c) ? q8.prepare(c) : other.prepare ? other.prepare(c) : PML_OK;                      \
    }                                                                                                           \
    static pml_status name##_run_(pml_kernel_ctx *c) { return pml_q8_node(c) ? q8.run(c) : other.run(c); }       \
    static void name##_release_(pml_kernel_ctx *c) {                                                            \
        if (pml_q8_node(c)) q8.release(c);                                                                      \
        else if (other.release) other.release(c);                                                               \
    }                                                                                                           \
    static pml_status name##_pack_(pml_kernel_ctx *c) {                                                         \
        return pml_q8_node(c) ? PML_OK : other.pack ? other.pack(c) : PML_OK;                                   \
    }                                                                                                           \
    static void name##_unpack_(pml_kernel_ctx *c) {                                                             \
        if (!pml_q8_node(c) && other.unpack) other.unpack(c);                                                   \
    }                                                                                                           \
    static int name##_fuses_next_(const pml_kernel_ctx *c, const pml_kernel_ctx *n) {                           \
        const pml_op_def *d_ = pml_q8_node(c) ? &q8 : &other;                                                   \
        return d_->fuses_next && d_->run_with_next && d_->fuses_next(c, n);                                     \
    }                                                                                                           \
    static pml_status name##_run_with_next_(pml_kernel_ctx *c, pml_kernel_ctx *n) {                             \
        return (pml_q8_node(c) ? q8 : other).run_with_next(c, n);                                               \
    }                                                                                                           \
    static const pml_op_def name = {code,           name##_infer_,  name##_prepare_,    name##_run_,             \
                                    name##_release_, name##_pack_,  name##_unpack_,     name##_fuses_next_,      \
                                    name##_run_with_next_}

#endif /* PML_OPS_Q8_PARAMS_H */
