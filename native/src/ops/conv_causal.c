/*
 * ops/conv_causal.c — CausalConvWithState (ONNX opset 27), the conv family's stateful
 * causal depthwise 1-D convolution (Mamba / gated-delta-net blocks). Semantics:
 * src/pocketml/ops/conv.py. It runs in ONNX's [B, C, L] layout: each (batch, channel)
 * row is independent, so rows split across the session's pool and the typed kernel
 * (kernels/conv/) streams one row's history and inputs. The state output is the last
 * K-1 steps of the history followed by the inputs, ready to be fed back as past_state.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

typedef struct cconv_state {
    int64_t b, c, len, k;
    int silu;
    pml_causal_conv_fn fn;
} cconv_state;

typedef struct cconv_job {
    const cconv_state *st;
    const void *x, *w, *bias, *past;
    void *y, *present;
} cconv_job;

static pml_status cconv_parse(const pml_kernel_ctx *ctx, cconv_state *st) {
    pml_status s;
    const pml_tensor *x, *w;
    int64_t silu;
    char bx[160], bw[160];
    if ((s = pml_ew_input(ctx, 0, "x", &x)) || (s = pml_ew_input(ctx, 1, "w", &w)) ||
        (s = pml_attr_int_checked(ctx, "silu", 0, 0, 1, &silu)))
        return s;
    pml_shape_str(x->rank, x->dims, bx, sizeof bx);
    pml_shape_str(w->rank, w->dims, bw, sizeof bw);
    if (x->rank != 3) return pml_node_error(ctx, PML_ERR_SHAPE, "x %s must be [B, C, L]", bx);
    if (w->rank != 3 || w->dims[0] != x->dims[1] || w->dims[1] != 1 || w->dims[2] < 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "w %s must be [C, 1, K] with K >= 1 for x %s", bw, bx);
    st->b = x->dims[0], st->c = x->dims[1], st->len = x->dims[2], st->k = w->dims[2];
    st->silu = (int)silu;
    const pml_tensor *bias = ctx->n_in > 2 ? ctx->in[2] : NULL, *past = ctx->n_in > 3 ? ctx->in[3] : NULL;
    if (bias && (bias->rank != 1 || bias->dims[0] != st->c)) {
        char bb[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "b %s must be [C] = [%lld]",
                              pml_shape_str(bias->rank, bias->dims, bb, sizeof bb), (long long)st->c);
    }
    if (past && (past->rank != 3 || past->dims[0] != st->b || past->dims[1] != st->c || past->dims[2] != st->k - 1)) {
        char bp[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "past_state %s must be [B, C, K-1] = [%lld,%lld,%lld]",
                              pml_shape_str(past->rank, past->dims, bp, sizeof bp), (long long)st->b,
                              (long long)st->c, (long long)(st->k - 1));
    }
    return PML_OK;
}

static pml_status cconv_infer(pml_kernel_ctx *ctx) {
    cconv_state st = {0};
    pml_status s = cconv_parse(ctx, &st);
    if (s) return s;
    const int64_t state[3] = {st.b, st.c, st.k - 1};
    if ((s = pml_ew_set_output(ctx, 0, ctx->in[0]->dtype, 3, ctx->in[0]->dims))) return s;
    return pml_ew_set_output(ctx, 1, ctx->in[0]->dtype, 3, state);
}

static pml_status cconv_prepare(pml_kernel_ctx *ctx) {
    cconv_state *st = (cconv_state *)pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for CausalConvWithState state");
    pml_status s = cconv_parse(ctx, st);
    if (s) return s;
    const pml_conv_typed *k = ctx->config->typed.conv[ctx->in[0]->dtype];
    if (!k || !k->causal_conv)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no CausalConvWithState kernel for dtype %s",
                              pml_dtype_name(ctx->in[0]->dtype));
    st->fn = k->causal_conv;
    return PML_OK;
}

static void cconv_rows(void *arg, int64_t r0, int64_t r1) {
    const cconv_job *j = (const cconv_job *)arg;
    const cconv_state *st = j->st;
    st->fn((size_t)r0, (size_t)r1, (size_t)st->c, (size_t)st->len, (size_t)st->k, j->x, j->w, j->bias, j->past,
           st->silu, j->y, j->present);
}

static pml_status cconv_run(pml_kernel_ctx *ctx) {
    const cconv_state *st = (const cconv_state *)ctx->state;
    const pml_tensor *bias = ctx->n_in > 2 ? ctx->in[2] : NULL, *past = ctx->n_in > 3 ? ctx->in[3] : NULL;
    cconv_job j = {st, ctx->in[0]->data, ctx->in[1]->data, bias ? bias->data : NULL, past ? past->data : NULL,
                   ctx->out[0]->data, ctx->out[1]->data};
    /* a row costs len * k multiply-adds: chunks of about PML_EW_PARALLEL_MIN of them */
    const int64_t span = st->len + st->k; /* both < 2^40: the product is taken only when small */
    const int64_t min_rows = span >= PML_EW_PARALLEL_MIN ? 1 : PML_EW_PARALLEL_MIN / (span * st->k) + 1;
    pml_ew_parallel(ctx, st->b * st->c, min_rows, cconv_rows, &j);
    return PML_OK;
}

const pml_op_def pml_causal_conv_def = {PML_OP_CAUSALCONVWITHSTATE, cconv_infer, cconv_prepare, cconv_run,
                                        pml_ew_release};
