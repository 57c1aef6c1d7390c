/*
 * ops/reduce_q8.c — ReduceMean on quantized tensors (int8, uint8, int16; per-tensor parameters
 * on x and y), as TFLite's MEAN (requant 0) or onnxruntime's QLinearGlobalAveragePool
 * arithmetic (requant 1) — kernels/quant/qpool.h.
 *
 * The reduced axes must form one contiguous block once size-1 axes are dropped, so x is
 * [outer, count, inner]: a sum kernel fills one int32 per output (scratch), then the finishing
 * rescale runs. LiteRT's HxW Mean (4-D x, axes 1 and 2) rounds in blocks of 16 channels, so the
 * finish runs once per image over its channels; the other forms once on the whole output.
 * Everything runs on the calling thread, for the same reason.
 */
#include "reduce_q8.h"
#include "kernels/config.h"
#include "kernels/quant/qpool.h"
#include "validate.h"

typedef struct q8_mean_state {
    pml_qsum_rows_fn sum;
    pml_qmean_fn finish;
    pml_qmean_params p;
    int64_t outer, count, inner;
    int per_image; /* the HxW form: finish once per image (outer) on its inner channels */
} q8_mean_state;

/* x as [outer, count, inner] around the reduced axes; -1 when they are not one block. */
static int split_axes(const pml_tensor *x, const int *mask, int64_t *outer, int64_t *count, int64_t *inner) {
    int first = -1, last = -1;
    for (int a = 0; a < x->rank; a++) {
        if (!mask[a] || x->dims[a] == 1) continue;
        if (first < 0) first = a;
        last = a;
    }
    *outer = *count = *inner = 1;
    for (int a = 0; a < x->rank; a++) {
        if (x->dims[a] == 1) continue;
        if (first >= 0 && a >= first && a <= last) {
            if (!mask[a]) return -1;
            *count *= x->dims[a];
        } else if (first < 0 || a < first) {
            *outer *= x->dims[a];
        } else {
            *inner *= x->dims[a];
        }
    }
    return 0;
}

pml_status pml_q8_mean_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const pml_dtype dt = x->dtype;
    if (dt != PML_INT8 && dt != PML_UINT8 && dt != PML_INT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s ReduceMean (int8, uint8 or int16 only)",
                              pml_dtype_name(dt));
    if (!y->quant || x->quant->count != 1 || y->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized ReduceMean needs per-tensor parameters on its input and output");
    int mask[PML_MAX_RANK], noop;
    pml_status s = pml_reduce_axes(ctx, x, mask, &noop);
    if (s != PML_OK) return s;
    if (noop) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized ReduceMean reducing nothing");
    q8_mean_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    if (split_axes(x, mask, &st->outer, &st->count, &st->inner) != 0)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "quantized ReduceMean over axes that are not one contiguous block");
    const int64_t mode = pml_attr_int(ctx->node, "requant", 0);
    if (mode != 0 && mode != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1", (long long)mode);
    if (mode == 1 && dt == PML_INT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "int16 ReduceMean with requant=1 (ONNX is 8-bit)");
    const int hw = x->rank == 4 && mask[1] && mask[2] && !mask[0] && !mask[3];
    const int variant = mode == 1 ? PML_QMEAN_ONNX : hw && dt != PML_INT16 ? PML_QMEAN_TFLITE_HW : PML_QMEAN_TFLITE;
    st->per_image = variant == PML_QMEAN_TFLITE_HW;
    const int32_t qmin = dt == PML_UINT8 ? 0 : dt == PML_INT16 ? -32768 : -128;
    const int32_t qmax = dt == PML_UINT8 ? 255 : dt == PML_INT16 ? 32767 : 127;
    if (pml_qmean_params_init(&st->p, variant, st->count, x->quant->scale[0], x->quant->zero_point[0],
                              y->quant->scale[0], y->quant->zero_point[0], qmin, qmax) != 0)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized ReduceMean of %lld elements with these scales "
                              "(scales must be finite and > 0, at most 2^24 elements per mean)",
                              (long long)st->count);
    const pml_qs8_config *s8 = ctx->config->qs8;
    st->sum = dt == PML_UINT8 ? ctx->config->qu8->sum_rows : dt == PML_INT16 ? s8->sum_rows_s16 : s8->sum_rows;
    st->finish = dt == PML_UINT8 ? ctx->config->qu8->mean : dt == PML_INT16 ? s8->mean_s16 : s8->mean;
    ctx->scratch_size = (size_t)(st->outer * st->inner) * sizeof(int32_t);
    return PML_OK;
}

pml_status pml_q8_mean_run(pml_kernel_ctx *ctx) {
    const q8_mean_state *st = (const q8_mean_state *)ctx->state;
    const size_t n = (size_t)(st->outer * st->inner), esize = pml_dtype_size(ctx->out[0]->dtype);
    if (n == 0) return PML_OK;
    int32_t *acc = (int32_t *)ctx->scratch;
    st->sum((size_t)st->outer, (size_t)st->count, (size_t)st->inner, ctx->in[0]->data, acc);
    char *y = (char *)ctx->out[0]->data;
    if (!st->per_image) {
        st->finish(n, acc, y, &st->p);
        return PML_OK;
    }
    for (int64_t o = 0; o < st->outer; o++)
        st->finish((size_t)st->inner, acc + o * st->inner, y + (size_t)(o * st->inner) * esize, &st->p);
    return PML_OK;
}
