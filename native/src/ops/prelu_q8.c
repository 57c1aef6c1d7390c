/*
 * ops/prelu_q8.c — PRelu on quantized tensors (int8, uint8, int16; per-tensor parameters on x,
 * slope and y, slope of x's dtype): TFLite's PRELU (reference_ops::BroadcastPrelu4DSlow), two
 * fixed-point multipliers, x_scale / y_scale for x >= zp and x_scale * slope_scale / y_scale
 * applied to (x - x_zp) * (slope - slope_zp) below it. Only TFLite's semantics exist (requant
 * 0): ONNX has no quantized PRelu. Called by ops/elementwise.c when x is quantized; run walks
 * the unidirectional broadcast plan and calls kernels/quant/qactivation.h's prelu per run.
 */
#include "elementwise_q8.h"
#include "kernels/config.h"
#include "kernels/quant/qactivation.h"
#include "validate.h"

typedef struct q8_prelu_state {
    int quantized; /* always 1: tells elementwise.c's run this state from binary_state */
    pml_qprelu_fn prelu;
    pml_qprelu_params p;
    size_t esize;
    pml_bcast_plan plan;
} q8_prelu_state;

static pml_status check_port(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role, pml_dtype dtype) {
    if (!t->quant)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized PRelu: %s '%s' is not quantized", role, t->name);
    if (t->dtype != dtype)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized PRelu: %s '%s' is %s, x is %s", role, t->name,
                              pml_dtype_name(t->dtype), pml_dtype_name(dtype));
    if (t->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized PRelu: %s '%s' is quantized per channel (axis %d): "
                              "only per-tensor parameters are supported", role, t->name, t->quant->axis);
    return PML_OK;
}

pml_status pml_q8_prelu_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0], *slope = ctx->in[1], *y = ctx->out[0];
    const pml_dtype dt = x->dtype;
    if (dt != PML_INT8 && dt != PML_UINT8 && dt != PML_INT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized PRelu on %s (int8, uint8 or int16 expected)",
                              pml_dtype_name(dt));
    pml_status s;
    if ((s = check_port(ctx, x, "input", dt)) != PML_OK || (s = check_port(ctx, slope, "slope", dt)) != PML_OK ||
        (s = check_port(ctx, y, "output", dt)) != PML_OK)
        return s;
    const int64_t requant = pml_attr_int(ctx->node, "requant", 0);
    if (requant != 0)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized PRelu with requant=%lld (only TFLite's "
                              "fixed point, requant=0, is implemented)", (long long)requant);
    q8_prelu_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->quantized = 1;
    st->esize = pml_dtype_size(dt);
    st->prelu = dt == PML_UINT8 ? ctx->config->qu8->prelu
                : dt == PML_INT16 ? ctx->config->qs8->prelu_s16 : ctx->config->qs8->prelu;
    const int32_t lo = dt == PML_UINT8 ? 0 : dt == PML_INT16 ? -32768 : -128;
    const int32_t hi = dt == PML_UINT8 ? 255 : dt == PML_INT16 ? 32767 : 127;
    if (pml_qprelu_params_init(&st->p, x->quant->scale[0], x->quant->zero_point[0], slope->quant->scale[0],
                               slope->quant->zero_point[0], y->quant->scale[0], y->quant->zero_point[0], lo, hi) != 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
    pml_bcast_plan_init(&st->plan, 2, (const pml_tensor *const *)ctx->in, y);
    return PML_OK;
}

typedef struct q8_prelu_job {
    const q8_prelu_state *st;
    const char *x, *slope;
    char *y;
} q8_prelu_job;

static void prelu_row(void *arg, const int64_t *off, int64_t yo, int64_t n) {
    const q8_prelu_job *j = (const q8_prelu_job *)arg;
    const q8_prelu_state *st = j->st;
    const size_t slope_step = (size_t)st->plan.strides[1][st->plan.rank - 1]; /* 0 or 1 */
    st->prelu((size_t)n, j->x + (size_t)off[0] * st->esize, j->slope + (size_t)off[1] * st->esize, slope_step,
              j->y + (size_t)yo * st->esize, &st->p);
}

static void prelu_range(void *arg, int64_t s, int64_t e) {
    pml_bcast_walk(&((const q8_prelu_job *)arg)->st->plan, s, e, prelu_row, arg);
}

pml_status pml_q8_prelu_run(pml_kernel_ctx *ctx) {
    const q8_prelu_state *st = (const q8_prelu_state *)ctx->state;
    q8_prelu_job j = {st, (const char *)ctx->in[0]->data, (const char *)ctx->in[1]->data, (char *)ctx->out[0]->data};
    pml_ew_parallel(ctx, pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims), PML_EW_PARALLEL_MIN, prelu_range, &j);
    return PML_OK;
}
