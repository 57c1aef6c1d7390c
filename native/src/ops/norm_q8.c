/*
 * ops/norm_q8.c — Softmax over the last axis of a quantized int8/uint8 tensor (per-tensor
 * parameters on x and y, y of x's dtype): LiteRT's builtin SOFTMAX arithmetic (requant 0) or
 * onnxruntime's QLinearSoftmax (requant 1), kernels/quant/qsoftmax.h; and of an int16 tensor
 * as LiteRT's int16x8 SOFTMAX (requant 0, zero points 0, output scale 2^-15,
 * kernels/quant/qsoftmax16.h). prepare builds the tables once; run spreads the rows over the
 * pool (each row is independent).
 */
#include <math.h>

#include "kernels/config.h"
#include "kernels/quant/qsoftmax.h"
#include "kernels/quant/qsoftmax16.h"
#include "norm_q8.h"
#include "validate.h"

typedef struct q8_softmax_state {
    pml_qsoftmax_fn fn;
    pml_qsoftmax16_fn fn16; /* int16: set instead of fn */
    pml_qsoftmax_params p;
    pml_qsoftmax16_params p16;
    int64_t rows, len;
} q8_softmax_state;

pml_status pml_q8_softmax_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK ||
        (s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis)) != PML_OK)
        return s;
    if (x->dtype != PML_INT8 && x->dtype != PML_UINT8 && x->dtype != PML_INT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s Softmax (int8, uint8 and int16 are supported)",
                              pml_dtype_name(x->dtype));
    if (axis != x->rank - 1 && pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1) != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized Softmax over axis %d (only the last)", axis);
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/* TFLite int16x8: zero points 0, an output scale within 0.1% of 2^-15 (SoftmaxPrepare's
 * check), rows of at most 65536 (its int32 sum). */
static pml_status prepare_int16(const pml_kernel_ctx *ctx, q8_softmax_state *st, int64_t mode, float beta) {
    const pml_quant *xq = ctx->in[0]->quant, *yq = ctx->out[0]->quant;
    const float ys = yq->scale[0];
    if (mode != 0) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized int16 Softmax with requant=1 (ONNX is 8-bit)");
    if (ctx->out[0]->dtype != PML_INT16 || xq->zero_point[0] != 0 || yq->zero_point[0] != 0 ||
        !(fabsf(ys - 1.0f / 32768.0f) <= 0.001f / 32768.0f))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized int16 Softmax needs an int16 output, zero points 0 and an output scale of "
                              "2^-15 (TFLite int16x8); got input zero point %d, output scale %g and zero point %d",
                              (int)xq->zero_point[0], (double)ys, (int)yq->zero_point[0]);
    if (st->len > PML_QSOFTMAX16_MAX_ROW)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized int16 Softmax over %lld elements (at most %d: "
                              "TFLite's int32 sum of exponentials)", (long long)st->len, PML_QSOFTMAX16_MAX_ROW);
    if (pml_qsoftmax16_params_init(&st->p16, xq->scale[0], beta) != 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
    st->fn16 = ctx->config->qs8->softmax_s16;
    return PML_OK;
}

pml_status pml_q8_softmax_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    if (!y->quant || x->quant->count != 1 || y->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized Softmax needs per-tensor parameters on its input and output");
    const int64_t mode = pml_attr_int(ctx->node, "requant", 0);
    if (mode != 0 && mode != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1", (long long)mode);
    /* TFLite's beta scales the input (folded into the input multiplier); ONNX has none */
    const float beta = pml_attr_float(ctx->node, "beta", 1.0f);
    if (!(beta > 0.0f) || !isfinite(beta) || (mode != 0 && beta != 1.0f))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute beta=%g must be finite and > 0 (and 1 "
                              "with requant=1)", (double)beta);
    q8_softmax_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->len = x->rank ? x->dims[x->rank - 1] : 1;
    st->rows = st->len ? pml_shape_numel(x->rank, x->dims) / st->len : 0;
    if (x->dtype == PML_INT16) return prepare_int16(ctx, st, mode, beta);
    const int u8 = x->dtype == PML_UINT8;
    if (mode == 0) st->fn = (u8 ? ctx->config->qu8->softmax_tflite : ctx->config->qs8->softmax_tflite)[u8 ? 1 : 0];
    else st->fn = u8 ? ctx->config->qu8->softmax_onnx : ctx->config->qs8->softmax_onnx;
    if (st->len > 0 && pml_qsoftmax_params_init(&st->p, (int)mode, !u8, x->quant->scale[0], beta, (size_t)st->len,
                                                y->quant->scale[0], y->quant->zero_point[0]) != 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
    return PML_OK;
}

typedef struct q8_softmax_job {
    const q8_softmax_state *st;
    const char *x;
    char *y;
    size_t esize;
} q8_softmax_job;

static void q8_softmax_rows(void *arg, int64_t r0, int64_t r1) {
    const q8_softmax_job *j = (const q8_softmax_job *)arg;
    const size_t len = (size_t)j->st->len;
    for (int64_t r = r0; r < r1; r++) {
        const char *x = j->x + (size_t)r * len * j->esize;
        char *y = j->y + (size_t)r * len * j->esize;
        if (j->st->fn16) j->st->fn16(len, (const int16_t *)x, (int16_t *)y, &j->st->p16);
        else j->st->fn(len, x, y, &j->st->p);
    }
}

pml_status pml_q8_softmax_run(pml_kernel_ctx *ctx) {
    const q8_softmax_state *st = (const q8_softmax_state *)ctx->state;
    if (st->len == 0 || st->rows == 0) return PML_OK;
    q8_softmax_job j = {st, (const char *)ctx->in[0]->data, (char *)ctx->out[0]->data, st->fn16 ? 2 : 1};
    pml_ew_parallel(ctx, st->rows, PML_EW_PARALLEL_MIN / st->len + 1, q8_softmax_rows, &j);
    return PML_OK;
}
