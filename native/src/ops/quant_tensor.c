/*
 * ops/quant_tensor.c — Quantize (float32 -> int8/uint8/int16), Dequantize (-> float32) and
 * Requantize (between int8, uint8 and int16) with the parameters of their tensors
 * (pml_tensor.quant, per tensor): TFLite's QUANTIZE and DEQUANTIZE of activations.
 *
 * The kernels (kernels/quant/qelementwise.h) copy LiteRT's x86 kernels, which round whole
 * blocks of 8 (Quantize, Dequantize) or 16 (Requantize between 8-bit types) differently from
 * the tail, so each run calls its kernel ONCE on the whole tensor: splitting it over threads
 * would move block boundaries and change results. A Requantize between 8-bit types is two
 * byte tables instead, built in prepare from the same kernel (the blocks' and the tail's; one
 * for the float modes), looked up by the configuration's table kernel over the threads: each
 * element takes the table of its position in the whole tensor.
 */
#include "../internal.h"
#include "kernels/config.h"
#include "kernels/quant/qelementwise.h"
#include "validate.h"

typedef struct qt_state {
    pml_quantize_tflite_fn quantize;
    pml_dequantize_tflite_fn dequantize;
    pml_qrequant_fn requant;
    pml_qrequant_params rp;
    pml_x8_lut_fn lut;     /* 8-bit Requantize: table[] up to `blocked` elements, tail[] after */
    size_t blocked;
    uint8_t table[256], tail[256];
    float scale; /* Quantize: y's; Dequantize: x's */
    int32_t zp;
    size_t n;
} qt_state;

static pml_status qt_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    pml_dtype yt = PML_FLOAT32;
    if (ctx->node->op != PML_OP_DEQUANTIZE) {
        int64_t to = pml_attr_int(ctx->node, "to", PML_INT8);
        if (to != PML_INT8 && to != PML_UINT8 && to != PML_INT16)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute to=%lld is not int8, uint8 or int16",
                                  (long long)to);
        yt = (pml_dtype)to;
    }
    return pml_ew_set_output(ctx, 0, yt, x->rank, x->dims);
}

/* t must carry per-tensor parameters; role names it in the error. */
static pml_status per_tensor(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role) {
    if (!t->quant)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%s '%s' has no quantization parameters", role, t->name);
    if (t->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "%s '%s' is quantized per channel (axis %d): only "
                              "per-tensor parameters are supported", role, t->name, t->quant->axis);
    return PML_OK;
}

static int qtype_index(pml_dtype t) {
    return t == PML_UINT8 ? PML_Q8_U8 : t == PML_INT16 ? PML_Q16_S16 : PML_Q8_S8;
}

static pml_status qt_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const int op = ctx->node->op;
    pml_status s;
    if (op != PML_OP_QUANTIZE && (s = per_tensor(ctx, x, "input")) != PML_OK) return s;
    if (op != PML_OP_DEQUANTIZE && (s = per_tensor(ctx, y, "output")) != PML_OK) return s;
    qt_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->n = (size_t)pml_shape_numel(x->rank, x->dims);
    const pml_qs8_config *s8 = ctx->config->qs8;
    const pml_qu8_config *u8 = ctx->config->qu8;
    if (op == PML_OP_QUANTIZE) {
        st->scale = y->quant->scale[0];
        st->zp = y->quant->zero_point[0];
        st->quantize = y->dtype == PML_UINT8 ? u8->quantize_tflite
                       : y->dtype == PML_INT16 ? s8->quantize_tflite_s16 : s8->quantize_tflite;
    } else if (op == PML_OP_DEQUANTIZE) {
        st->scale = x->quant->scale[0];
        st->zp = x->quant->zero_point[0];
        st->dequantize = x->dtype == PML_UINT8 ? u8->dequantize_tflite
                         : x->dtype == PML_INT16 ? s8->dequantize_tflite_s16 : s8->dequantize_tflite;
    } else {
        const int32_t qmin = y->dtype == PML_UINT8 ? 0 : y->dtype == PML_INT16 ? -32768 : -128;
        const int32_t qmax = y->dtype == PML_UINT8 ? 255 : y->dtype == PML_INT16 ? 32767 : 127;
        /* requant: 0 TFLite fixed point, 1 ONNX float (DequantizeLinear -> QuantizeLinear), 2 TFLite's
         * float ConcatenationWithScaling */
        const int64_t rq = pml_attr_int(ctx->node, "requant", 0);
        if (rq < 0 || rq > 2)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0, 1 or 2",
                                  (long long)rq);
        const int mode = rq == 0 ? PML_REQUANT_FIXED_POINT : PML_REQUANT_FLOAT;
        const int variant = rq == 2 ? PML_QREQUANT_TFLITE_FLOAT : PML_QREQUANT_ONNX;
        if (pml_qrequant_params_init(&st->rp, mode, variant, x->quant->scale[0], x->quant->zero_point[0],
                                     y->quant->scale[0], y->quant->zero_point[0], qmin, qmax) != 0)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
        st->requant = s8->requant[qtype_index(x->dtype)][qtype_index(y->dtype)];
        if (x->dtype != PML_INT16 && y->dtype != PML_INT16) {
            pml_qrequant_table(&st->rp, x->dtype == PML_INT8, 1, st->table);
            pml_qrequant_table(&st->rp, x->dtype == PML_INT8, 0, st->tail);
            st->blocked = mode == PML_REQUANT_FIXED_POINT ? st->n / 16 * 16 : st->n;
            st->lut = s8->lut;
        }
    }
    if (!(st->scale > 0.0f) && op != PML_OP_REQUANTIZE)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scale %g must be finite and > 0",
                              (double)st->scale);
    if (!st->quantize && !st->dequantize && !st->requant)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for %s -> %s", pml_dtype_name(x->dtype),
                              pml_dtype_name(y->dtype));
    return PML_OK;
}

typedef struct qt_lut_job {
    const qt_state *st;
    const uint8_t *x;
    uint8_t *y;
} qt_lut_job;

static void qt_lut_range(void *arg, int64_t s, int64_t e) {
    const qt_lut_job *j = (const qt_lut_job *)arg;
    const int64_t b = (int64_t)j->st->blocked, mid = e < b ? e : s > b ? s : b;
    if (mid > s) j->st->lut((size_t)(mid - s), j->x + s, j->st->table, j->y + s);
    if (e > mid) j->st->lut((size_t)(e - mid), j->x + mid, j->st->tail, j->y + mid);
}

/* Once on the whole tensor (see the header comment); the tables over the threads. */
static pml_status qt_run(pml_kernel_ctx *ctx) {
    const qt_state *st = (const qt_state *)ctx->state;
    const void *x = ctx->in[0]->data;
    void *y = ctx->out[0]->data;
    if (st->lut) {
        qt_lut_job j = {st, (const uint8_t *)x, (uint8_t *)y};
        pml_ew_parallel(ctx, (int64_t)st->n, 4 * PML_EW_PARALLEL_MIN, qt_lut_range, &j);
    } else if (st->quantize) st->quantize(st->n, (const float *)x, st->scale, st->zp, y);
    else if (st->dequantize) st->dequantize(st->n, x, st->scale, st->zp, (float *)y);
    else st->requant(st->n, x, y, &st->rp);
    return PML_OK;
}

static const pml_op_def g_quantize = {PML_OP_QUANTIZE, qt_infer, qt_prepare, qt_run, pml_ew_release};
static const pml_op_def g_dequantize = {PML_OP_DEQUANTIZE, qt_infer, qt_prepare, qt_run, pml_ew_release};
static const pml_op_def g_requantize = {PML_OP_REQUANTIZE, qt_infer, qt_prepare, qt_run, pml_ew_release};

const pml_op_def *const pml_quant_tensor_ops[] = {&g_quantize, &g_dequantize, &g_requantize, NULL};
