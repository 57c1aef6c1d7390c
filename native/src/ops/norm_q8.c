/*
 * ops/norm_q8.c — Softmax over the last axis of a quantized int8/uint8 tensor (per-tensor
 * parameters on x and y, y of x's dtype): LiteRT's builtin SOFTMAX arithmetic (requant 0) or
 * onnxruntime's QLinearSoftmax (requant 1), kernels/quant/qsoftmax.h. prepare builds the exp
 * table once; run spreads the rows over the pool (each row is independent).
 */
#include "kernels/config.h"
#include "kernels/quant/qsoftmax.h"
#include "norm_q8.h"
#include "validate.h"

typedef struct q8_softmax_state {
    pml_qsoftmax_fn fn;
    pml_qsoftmax_params p;
    int64_t rows, len;
} q8_softmax_state;

pml_status pml_q8_softmax_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    int axis;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK ||
        (s = pml_ew_axis(ctx, pml_attr_int(ctx->node, "axis", -1), x->rank, "axis", &axis)) != PML_OK)
        return s;
    if (x->dtype != PML_INT8 && x->dtype != PML_UINT8)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s Softmax (int8 and uint8 are supported)",
                              pml_dtype_name(x->dtype));
    if (axis != x->rank - 1 && pml_shape_numel(x->rank - axis - 1, x->dims + axis + 1) != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized Softmax over axis %d (only the last)", axis);
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

pml_status pml_q8_softmax_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    if (!y->quant || x->quant->count != 1 || y->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized Softmax needs per-tensor parameters on its input and output");
    const int64_t mode = pml_attr_int(ctx->node, "requant", 0);
    if (mode != 0 && mode != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1", (long long)mode);
    q8_softmax_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->len = x->rank ? x->dims[x->rank - 1] : 1;
    st->rows = st->len ? pml_shape_numel(x->rank, x->dims) / st->len : 0;
    const int u8 = x->dtype == PML_UINT8;
    if (mode == 0) st->fn = (u8 ? ctx->config->qu8->softmax_tflite : ctx->config->qs8->softmax_tflite)[u8 ? 1 : 0];
    else st->fn = u8 ? ctx->config->qu8->softmax_onnx : ctx->config->qs8->softmax_onnx;
    if (st->len > 0 && pml_qsoftmax_params_init(&st->p, (int)mode, !u8, x->quant->scale[0], 1.0f, (size_t)st->len,
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
    for (int64_t r = r0; r < r1; r++)
        j->st->fn(len, j->x + (size_t)r * len * j->esize, j->y + (size_t)r * len * j->esize, &j->st->p);
}

pml_status pml_q8_softmax_run(pml_kernel_ctx *ctx) {
    const q8_softmax_state *st = (const q8_softmax_state *)ctx->state;
    if (st->len == 0 || st->rows == 0) return PML_OK;
    q8_softmax_job j = {st, (const char *)ctx->in[0]->data, (char *)ctx->out[0]->data, 1};
    pml_ew_parallel(ctx, st->rows, PML_EW_PARALLEL_MIN / st->len + 1, q8_softmax_rows, &j);
    return PML_OK;
}
