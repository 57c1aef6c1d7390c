/*
 * ops/q8_params.c — the quantization of an int8 GEMM-family node, built from its tensors'
 * parameters (ops/q8_params.h): every check a hostile file could fail is made here, so the
 * packing and the kernels can trust the values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "q8_params.h"

static int finite_positive(float s) { return isfinite(s) && s > 0.0f; }

/* A per-tensor quantization with a usable scale and a zero point in dtype's range. */
static pml_status check_per_tensor(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role) {
    if (!t->quant)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%s (%s) is not quantized: an int8 %s needs scales on x, w and y",
                              role, t->name ? t->name : "?", ctx->op_name);
    if (t->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "%s must be quantized per tensor, got %d scales on axis %d", role,
                              t->quant->count, t->quant->axis);
    if (!finite_positive(t->quant->scale[0]))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%s has scale %g: scales must be finite and > 0", role,
                              (double)t->quant->scale[0]);
    return PML_OK;
}

/* The output clamp of the fused activation, TFLite's CalculateActivationRangeQuantized
 * (zero point + round half away from zero of the float bound / scale). */
static pml_status activation_clamp(const pml_kernel_ctx *ctx, float scale, int32_t zp, int32_t *lo, int32_t *hi) {
    pml_activation act;
    pml_status s = pml_activation_from_node(ctx, &act);
    if (s) return s;
#define Q8_QUANTIZE(f) (zp + (int32_t)roundf((f) / scale))
    switch (act.kind) {
    case PML_ACT_NONE: return PML_OK;
    case PML_ACT_RELU:
        if (Q8_QUANTIZE(0.0f) > *lo) *lo = Q8_QUANTIZE(0.0f);
        return PML_OK;
    case PML_ACT_CLIP: {
        const float a = act.alpha / scale, b = act.beta / scale;
        if (!(fabsf(a) < 4e9f) || !(fabsf(b) < 4e9f)) break; /* bounds past any int32: keep the dtype's */
        if (Q8_QUANTIZE(act.alpha) > *lo) *lo = Q8_QUANTIZE(act.alpha);
        if (Q8_QUANTIZE(act.beta) < *hi) *hi = Q8_QUANTIZE(act.beta);
        if (*lo > *hi) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "clip [%g, %g] is empty on the output's grid",
                                             (double)act.alpha, (double)act.beta);
        return PML_OK;
    }
    default: break;
    }
#undef Q8_QUANTIZE
    return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                          "fused activation %d on quantized tensors (supported: none, relu, clip)", act.kind);
}

pml_status pml_q8_params_init(const pml_kernel_ctx *ctx, const pml_tensor *x, const pml_tensor *w,
                              const pml_tensor *b, const pml_tensor *y, int64_t cout, int w_axis, int float_product,
                              pml_q8_params *p) {
    pml_status s;
    memset(p, 0, sizeof *p);
    if ((s = check_per_tensor(ctx, x, "x")) || (s = check_per_tensor(ctx, y, "y"))) return s;
    const int s16 = x->dtype == PML_INT16;
    if (s16 ? w->dtype != PML_INT8 : (w->dtype != PML_INT8 && w->dtype != PML_UINT8))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s needs int8 or uint8 weights, got %s",
                              ctx->op_name, pml_dtype_name(w->dtype));
    if (y->dtype != x->dtype)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "y (%s) must have x's dtype (%s)", pml_dtype_name(y->dtype),
                              pml_dtype_name(x->dtype));
    if (!w->quant) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "w is not quantized: an int8 %s needs its scales",
                                         ctx->op_name);
    const pml_quant *wq = w->quant;
    if (wq->count != 1 && (wq->axis != w_axis || wq->count != cout))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "w has %d scales on axis %d: need one, or one per output channel (%lld) on axis %d",
                              wq->count, wq->axis, (long long)cout, w_axis);
    for (int i = 0; i < wq->count; i++)
        if (!finite_positive(wq->scale[i]))
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "w scale %d is %g: scales must be finite and > 0", i,
                                  (double)wq->scale[i]);
    if (b && ((b->dtype != PML_INT32 && !(s16 && b->dtype == PML_INT64)) || b->rank != 1 || b->dims[0] != cout))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized %s's bias must be int32 [%lld], got %s of rank %d",
                              ctx->op_name, (long long)cout, pml_dtype_name(b->dtype), b->rank);
    const int64_t mode = pml_attr_int(ctx->node, "requant", PML_REQUANT_FIXED_POINT);
    if (mode != PML_REQUANT_FIXED_POINT && (mode != PML_REQUANT_FLOAT || s16))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "requant %lld unknown (0 TFLite fixed point, 1 ONNX float)",
                              (long long)mode);
    p->x_u8 = x->dtype == PML_UINT8, p->w_u8 = w->dtype == PML_UINT8;
    const int32_t flip_x = p->x_u8 ? 128 : 0, flip_w = p->w_u8 ? 128 : 0;
    int32_t lo = s16 ? -32768 : p->x_u8 ? 0 : -128, hi = s16 ? 32767 : p->x_u8 ? 255 : 127;
    const float sx = x->quant->scale[0], sy = y->quant->scale[0];
    const int32_t zy = y->quant->zero_point[0];
    if (s16 && (x->quant->zero_point[0] || zy))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "int16x8: x and y zero points must be 0 (TFLite), got %d and %d",
                              x->quant->zero_point[0], zy);
    for (int i = 0; s16 && i < wq->count; i++)
        if (wq->zero_point[i])
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "int16x8: weight zero points must be 0, got %d",
                                  wq->zero_point[i]);
    if ((s = activation_clamp(ctx, sy, zy, &lo, &hi))) return s;

    p->arrays = (int32_t *)malloc((size_t)cout * 4 * sizeof(int32_t) + 1);
    if (!p->arrays) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for quantization parameters");
    int32_t *zw = p->arrays, *mult = zw + cout, *shift = mult + cout;
    float *scale = (float *)(shift + cout);
    for (int64_t c = 0; c < cout; c++) {
        const int i = wq->count == 1 ? 0 : (int)c;
        zw[c] = wq->zero_point[i] - flip_w;
        const float sw = wq->scale[i];
        const double real = float_product ? (double)(sx * sw) / (double)sy : (double)sx * (double)sw / (double)sy;
        pml_quantize_multiplier(real, &mult[c], &shift[c]);
        scale[c] = sx * sw / sy; /* onnxruntime/MLAS: the float product, one float multiplier */
    }
    if (s16 && b) {
        if (!(p->bias64 = (int64_t *)malloc((size_t)cout * sizeof(int64_t)))) {
            pml_q8_params_free(p);
            return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for quantization parameters");
        }
        for (int64_t c = 0; c < cout; c++)
            p->bias64[c] = b->dtype == PML_INT64 ? ((const int64_t *)b->data)[c] : ((const int32_t *)b->data)[c];
    }
    p->q.a_zero_point = x->quant->zero_point[0] - flip_x;
    p->q.w_zero_point = zw;
    p->q.w_zp_per_channel = 1;
    p->q.bias = b && !s16 ? (const int32_t *)b->data : NULL;
    p->q.rq.mode = (int32_t)mode;
    p->q.rq.per_channel = 1;
    p->q.rq.multiplier = mult, p->q.rq.shift = shift, p->q.rq.scale = scale;
    p->q.rq.zero_point = zy, p->q.rq.qmin = lo, p->q.rq.qmax = hi;
    p->q.out_dtype = y->dtype;
    return PML_OK;
}

void pml_q8_params_free(pml_q8_params *p) {
    free(p->arrays);
    free(p->bias64);
    p->arrays = NULL;
    p->bias64 = NULL;
}

void pml_q8_flip(const uint8_t *src, int8_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (int8_t)(src[i] ^ 0x80u);
}

pml_status pml_q8_float_dtypes_agree(const pml_kernel_ctx *ctx) {
    if (ctx->n_in < 1 || !ctx->in[0]) return PML_OK; /* the op's infer reports a missing x */
    for (int i = 1; i < ctx->n_in; i++)
        if (ctx->in[i] && ctx->in[i]->dtype != ctx->in[0]->dtype)
            return pml_node_error(ctx, PML_ERR_DTYPE, "input %d has dtype %s, input 0 %s: a %s on %s computes with "
                                  "one dtype (int8/uint8/int16 inputs are quantized)", i,
                                  pml_dtype_name(ctx->in[i]->dtype), pml_dtype_name(ctx->in[0]->dtype), ctx->op_name,
                                  pml_dtype_name(ctx->in[0]->dtype));
    return PML_OK;
}
