/*
 * ops/unary_q8.c — activations on quantized tensors (per-tensor parameters on x and y):
 * Sigmoid, Tanh, Gelu, Elu through a 256-entry table built in prepare (int8/uint8; Gelu also
 * int16 through TFLite's interpolated 513-entry table), int16 Sigmoid and Tanh as LiteRT's
 * int16x8 LOGISTIC/TANH (kernels/quant/qsigmoid16.h: zero points 0, output scale 2^-15),
 * HardSwish and LeakyRelu with TFLite's
 * fixed-point kernels (requant 0) or a table (requant 1, onnxruntime), Relu and Clip as a
 * requantization into the clamp of their bounds (TFLite's ReluX). Kernels:
 * kernels/quant/qactivation.h and qelementwise.h through ctx->config->qs8 / qu8.
 *
 * The requantizing kernel (Relu, Clip) rounds in blocks as LiteRT does, so it runs once on the
 * whole tensor; the others are per element and split over the pool.
 */
#include <math.h>
#include <string.h>

#include "elementwise_q8.h"
#include "kernels/config.h"
#include "kernels/quant/qactivation.h"
#include "kernels/quant/qelementwise.h"
#include "kernels/quant/qsigmoid16.h"
#include "unary_q8.h"
#include "validate.h"

enum { QU_LUT, QU_LUT16, QU_SIGMOID16, QU_HARDSWISH, QU_LEAKY, QU_REQUANT };

typedef struct q8_unary_state {
    int kind;      /* QU_* */
    size_t esize;
    pml_x8_lut_fn lut;
    pml_s16_lut_fn lut16;
    pml_qsigmoid16_fn sigmoid16;
    pml_qhardswish_fn hardswish;
    pml_qleaky_fn leaky;
    pml_qrequant_fn requant;
    pml_qhardswish_params hp;
    pml_qleaky_params lp;
    pml_qrequant_params rp;
    uint8_t table[256];
    int16_t table16[513];
    pml_qsigmoid16_params sp;
} q8_unary_state;

/* The table function of a table-driven op, or -1. */
static int lut_fn(const pml_node *node) {
    switch (node->op) {
    case PML_OP_SIGMOID: return PML_QLUT_LOGISTIC;
    case PML_OP_TANH: return PML_QLUT_TANH;
    case PML_OP_ELU: return PML_QLUT_ELU;
    case PML_OP_HARDSWISH: return PML_QLUT_HARDSWISH;
    case PML_OP_LEAKYRELU: return PML_QLUT_LEAKYRELU;
    case PML_OP_GELU: {
        const pml_attr *a = pml_attr_find(node, "approximate");
        return a && a->type == PML_ATTR_STRING && a->s && strcmp(a->s, "tanh") == 0 ? PML_QLUT_GELU_TANH
                                                                                     : PML_QLUT_GELU;
    }
    default: return -1;
    }
}

static pml_status refuse(const pml_kernel_ctx *ctx, const char *why) {
    return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s: %s", pml_dtype_name(ctx->in[0]->dtype), why);
}

/* TFLite int16x8 LOGISTIC / TANH: input and output zero points 0, output scale 2^-15. */
static pml_status prepare_sigmoid16(const pml_kernel_ctx *ctx, q8_unary_state *st, int is_tanh) {
    const pml_quant *xq = ctx->in[0]->quant, *yq = ctx->out[0]->quant;
    if (xq->zero_point[0] != 0 || !pml_qsigmoid16_output_ok(is_tanh, yq->scale[0], yq->zero_point[0]))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized int16 %s needs zero points 0 and an output scale of 2^-15 (TFLite int16x8); "
                              "got input zero point %d, output scale %g and zero point %d",
                              is_tanh ? "Tanh" : "Sigmoid", (int)xq->zero_point[0], (double)yq->scale[0],
                              (int)yq->zero_point[0]);
    if (pml_qsigmoid16_params_init(&st->sp, is_tanh, xq->scale[0]) != 0) return refuse(ctx, "bad scales");
    st->kind = QU_SIGMOID16;
    st->sigmoid16 = ctx->config->qs8->sigmoid_s16;
    return PML_OK;
}

pml_status pml_q8_unary_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const pml_dtype dt = x->dtype;
    const int op = ctx->node->op;
    if (dt != PML_INT8 && dt != PML_UINT8 && dt != PML_INT16) return refuse(ctx, "int8, uint8 or int16 expected");
    if (!y->quant || x->quant->count != 1 || y->quant->count != 1 || y->dtype != dt)
        return refuse(ctx, "needs per-tensor parameters on its input and output, of one dtype");
    const int64_t mode = pml_attr_int(ctx->node, "requant", 0);
    if (mode != 0 && mode != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1", (long long)mode);
    q8_unary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->esize = pml_dtype_size(dt);
    const float xs = x->quant->scale[0], ys = y->quant->scale[0];
    const int32_t xz = x->quant->zero_point[0], yz = y->quant->zero_point[0];
    const int32_t lo = dt == PML_UINT8 ? 0 : dt == PML_INT16 ? -32768 : -128;
    const int32_t hi = dt == PML_UINT8 ? 255 : dt == PML_INT16 ? 32767 : 127;
    const pml_qs8_config *s8 = ctx->config->qs8;
    const pml_qu8_config *u8 = ctx->config->qu8;
    const float alpha = pml_attr_float(ctx->node, "alpha", op == PML_OP_ELU ? 1.0f : 0.01f);
    if (op == PML_OP_RELU || op == PML_OP_CLIP) {
        const float rlo = op == PML_OP_RELU ? 0.0f : pml_attr_float(ctx->node, "min", -INFINITY);
        const float rhi = op == PML_OP_RELU ? INFINITY : pml_attr_float(ctx->node, "max", INFINITY);
        int32_t qmin, qmax;
        pml_q8_real_range(y, rlo, rhi, &qmin, &qmax);
        st->kind = QU_REQUANT;
        const int ti = dt == PML_UINT8 ? PML_Q8_U8 : dt == PML_INT16 ? PML_Q16_S16 : PML_Q8_S8;
        st->requant = s8->requant[ti][ti];
        if (pml_qrequant_params_init(&st->rp, PML_REQUANT_FIXED_POINT, 0, xs, xz, ys, yz, qmin, qmax) != 0)
            return refuse(ctx, "scales must be finite and > 0");
        return PML_OK;
    }
    if (mode == 0 && op == PML_OP_HARDSWISH) {
        if (dt == PML_INT16) return refuse(ctx, "HardSwish runs on int8 and uint8");
        st->kind = QU_HARDSWISH;
        st->hardswish = dt == PML_UINT8 ? u8->hardswish : s8->hardswish;
        if (pml_qhardswish_params_init(&st->hp, xs, xz, ys, yz) != 0) return refuse(ctx, "bad scales");
        return PML_OK;
    }
    if (mode == 0 && op == PML_OP_LEAKYRELU) {
        st->kind = QU_LEAKY;
        st->leaky = dt == PML_UINT8 ? u8->leaky_relu : dt == PML_INT16 ? s8->leaky_relu_s16 : s8->leaky_relu;
        if (pml_qleaky_params_init(&st->lp, alpha, xs, xz, ys, yz, lo, hi) != 0) return refuse(ctx, "bad scales");
        return PML_OK;
    }
    const int fn = lut_fn(ctx->node);
    if (fn < 0) return refuse(ctx, "this op has no quantized kernel");
    if (dt == PML_INT16) {
        if (mode != 0) return refuse(ctx, "int16 with requant=1 (ONNX is 8-bit)");
        if (fn == PML_QLUT_LOGISTIC || fn == PML_QLUT_TANH) return prepare_sigmoid16(ctx, st, fn == PML_QLUT_TANH);
        if (fn != PML_QLUT_GELU && fn != PML_QLUT_GELU_TANH) return refuse(ctx, "int16 runs Sigmoid, Tanh and Gelu");
        st->kind = QU_LUT16;
        st->lut16 = s8->lut_s16;
        if (pml_qlut16_build(st->table16, fn, alpha, xs, xz, ys, yz) != 0) return refuse(ctx, "bad scales");
        return PML_OK;
    }
    st->kind = QU_LUT;
    st->lut = dt == PML_UINT8 ? u8->lut : s8->lut;
    if (pml_qlut_build(st->table, (int)mode, dt == PML_INT8, fn, alpha, xs, xz, ys, yz) != 0)
        return refuse(ctx, "bad scales");
    return PML_OK;
}

typedef struct q8_unary_job {
    const q8_unary_state *st;
    const char *x;
    char *y;
} q8_unary_job;

static void q8_unary_range(void *arg, int64_t s, int64_t e) {
    const q8_unary_job *j = (const q8_unary_job *)arg;
    const q8_unary_state *st = j->st;
    const size_t n = (size_t)(e - s), at = (size_t)s * st->esize;
    const void *x = j->x + at;
    void *y = j->y + at;
    switch (st->kind) {
    case QU_LUT: st->lut(n, (const uint8_t *)x, st->table, (uint8_t *)y); break;
    case QU_LUT16: st->lut16(n, (const int16_t *)x, st->table16, (int16_t *)y); break;
    case QU_SIGMOID16: st->sigmoid16(n, (const int16_t *)x, (int16_t *)y, &st->sp); break;
    case QU_HARDSWISH: st->hardswish(n, x, y, &st->hp); break;
    case QU_LEAKY: st->leaky(n, x, y, &st->lp); break;
    default: st->requant(n, x, y, &st->rp); break;
    }
}

pml_status pml_q8_unary_run(pml_kernel_ctx *ctx) {
    const q8_unary_state *st = (const q8_unary_state *)ctx->state;
    q8_unary_job j = {st, (const char *)ctx->in[0]->data, (char *)ctx->out[0]->data};
    const int64_t n = pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims);
    if (st->kind == QU_REQUANT) q8_unary_range(&j, 0, n); /* once: its rounding blocks (see above) */
    else pml_ew_parallel(ctx, n, PML_EW_PARALLEL_MIN, q8_unary_range, &j);
    return PML_OK;
}
