/*
 * ops/f16_bridge.h — float16 nodes of ops whose kernels compute in float32 (MatMul, Gemm,
 * Conv, ConvTranspose): the op's float32 functions run on float32 views of the node's
 * tensors, widened and rounded with the session's f16 table (kernels/config.h).
 *
 * An op keeps its float32 pml_op_def and publishes PML_F16_BRIDGED(inner): a def whose
 * functions go straight to inner's for a float32 node (same state, scratch and speed)
 * and through the bridge for a float16 one (input 0 decides: the schema gives every
 * input of these ops one dtype). See f16_bridge.c for what each stage does.
 */
#ifndef PML_OPS_F16_BRIDGE_H
#define PML_OPS_F16_BRIDGE_H

#include "../internal.h"

/* Whether the node computes in float16 (its input 0 is float16). */
static inline int pml_f16_node(const pml_kernel_ctx *ctx) {
    return ctx->n_in > 0 && ctx->in[0] && ctx->in[0]->dtype == PML_FLOAT16;
}

pml_status pml_f16_bridge_infer(pml_kernel_ctx *ctx, const pml_op_def *inner);
pml_status pml_f16_bridge_prepare(pml_kernel_ctx *ctx, const pml_op_def *inner);
pml_status pml_f16_bridge_run(pml_kernel_ctx *ctx, const pml_op_def *inner);
void pml_f16_bridge_release(pml_kernel_ctx *ctx, const pml_op_def *inner);
pml_status pml_f16_bridge_pack(pml_kernel_ctx *ctx, const pml_op_def *inner, unsigned packed_inputs);
void pml_f16_bridge_unpack(pml_kernel_ctx *ctx, const pml_op_def *inner);

/* Defines `static const pml_op_def name` for op `code` (inner's), every stage dispatched on
 * the node's dtype. inner sets infer and run; prepare, release, pack and unpack may be NULL.
 * packed_inputs: bit i set when, once inner's pack has packed, its run reads input i only
 * through the packed block (the bridge then keeps no widened copy of it). */
#define PML_F16_BRIDGED(name, code, inner, packed_inputs)                                                                        \
    static pml_status name##_infer_(pml_kernel_ctx *c) {                                                      \
        return pml_f16_node(c) ? pml_f16_bridge_infer(c, &inner) : inner.infer(c);                            \
    }                                                                                                         \
    static pml_status name##_prepare_(pml_kernel_ctx *c) {                                                    \
        return pml_f16_node(c) ? pml_f16_bridge_prepare(c, &inner) : inner.prepare ? inner.prepare(c) : PML_OK;                        \
    }                                                                                                         \
    static pml_status name##_run_(pml_kernel_ctx *c) {                                                        \
        return pml_f16_node(c) ? pml_f16_bridge_run(c, &inner) : inner.run(c);                                \
    }                                                                                                         \
    static void name##_release_(pml_kernel_ctx *c) {                                                          \
        if (pml_f16_node(c)) pml_f16_bridge_release(c, &inner);                                               \
        else if (inner.release) inner.release(c);                                                                              \
    }                                                                                                         \
    static pml_status name##_pack_(pml_kernel_ctx *c) {                                                       \
        return pml_f16_node(c) ? pml_f16_bridge_pack(c, &inner, packed_inputs) : inner.pack ? inner.pack(c) : PML_OK;                              \
    }                                                                                                         \
    static void name##_unpack_(pml_kernel_ctx *c) {                                                           \
        if (pml_f16_node(c)) pml_f16_bridge_unpack(c, &inner);                                                \
        else if (inner.unpack) inner.unpack(c);                                                                               \
    }                                                                                                         \
    static const pml_op_def name = {code, name##_infer_, name##_prepare_, name##_run_,         \
                                    name##_release_, name##_pack_, name##_unpack_}

#endif /* PML_OPS_F16_BRIDGE_H */
