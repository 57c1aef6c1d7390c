/*
 * ops/attention_linear.c — LinearAttention (ONNX opset 27), the attention family's
 * recurrent op for linear-attention / gated-delta-net layers. Semantics:
 * src/pocketml/ops/attention.py. The update rule is carried by the inputs: a decay
 * input makes it gated, a beta input makes it a delta rule.
 *
 * Each (batch, kv head) pair is independent: one task per pair on the session's pool
 * runs the whole token recurrence (typed kernel, kernels/attention/) in a float32 state
 * held in per-thread arena scratch, so float16 models keep a float32 state between
 * tokens and round once into present_state. Nothing is allocated in run.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

/* State scratch bound per thread (floats): dk*dv beyond this is not a plausible head. */
#define LINATT_MAX_STATE ((int64_t)1 << 26)

typedef struct linatt_state {
    pml_linear_attn_shape s;
    int64_t b;
    pml_linear_attn_fn fn;
    size_t thread_floats;
    int threads;
} linatt_state;

static pml_status linatt_bad(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role, const char *want) {
    char bt[160];
    return pml_node_error(ctx, PML_ERR_SHAPE, "%s %s must be %s", role, pml_shape_str(t->rank, t->dims, bt, sizeof bt),
                          want);
}

static pml_status linatt_parse(const pml_kernel_ctx *ctx, linatt_state *st) {
    pml_status s;
    const pml_tensor *q, *k, *v;
    int64_t hq, hkv;
    if ((s = pml_ew_input(ctx, 0, "query", &q)) || (s = pml_ew_input(ctx, 1, "key", &k)) ||
        (s = pml_ew_input(ctx, 2, "value", &v)) ||
        (s = pml_attr_int_checked(ctx, "q_num_heads", 0, 1, PML_MAX_DIM, &hq)) ||
        (s = pml_attr_int_checked(ctx, "kv_num_heads", 0, 1, PML_MAX_DIM, &hkv)))
        return s;
    if (hq < 1 || hkv < 1 || hq % hkv) /* absent attributes read as 0 */
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "q_num_heads %lld must be a positive multiple of kv_num_heads %lld (both required)",
                              (long long)hq, (long long)hkv);
    if (q->rank != 3) return linatt_bad(ctx, q, "query", "[B, T, q_num_heads*Dk]");
    const int64_t b = q->dims[0], t = q->dims[1];
    if (q->dims[2] % hq) return linatt_bad(ctx, q, "query", "[B, T, q_num_heads*Dk]");
    const int64_t dk = q->dims[2] / hq;
    if (k->rank != 3 || k->dims[0] != b || k->dims[1] != t || k->dims[2] != hkv * dk)
        return linatt_bad(ctx, k, "key", "[B, T, kv_num_heads*Dk] with query's B, T and Dk");
    if (v->rank != 3 || v->dims[0] != b || v->dims[1] != t || v->dims[2] % hkv)
        return linatt_bad(ctx, v, "value", "[B, T, kv_num_heads*Dv] with query's B and T");
    const int64_t dv = v->dims[2] / hkv;
    if (dv > 0 && hq > PML_MAX_NUMEL / dv) /* y's last dim q_num_heads*Dv must not overflow */
        return pml_node_error(ctx, PML_ERR_SHAPE, "q_num_heads %lld x Dv %lld is too large", (long long)hq,
                              (long long)dv);
    if (dk * dv > LINATT_MAX_STATE)
        return pml_node_error(ctx, PML_ERR_SHAPE, "head sizes Dk %lld x Dv %lld exceed the state bound of %lld",
                              (long long)dk, (long long)dv, (long long)LINATT_MAX_STATE);
    const pml_tensor *past = ctx->n_in > 3 ? ctx->in[3] : NULL, *decay = ctx->n_in > 4 ? ctx->in[4] : NULL;
    const pml_tensor *beta = ctx->n_in > 5 ? ctx->in[5] : NULL;
    if (past && (past->rank != 4 || past->dims[0] != b || past->dims[1] != hkv || past->dims[2] != dk ||
                 past->dims[3] != dv))
        return linatt_bad(ctx, past, "past_state", "[B, kv_num_heads, Dk, Dv]");
    if (decay && (decay->rank != 3 || decay->dims[0] != b || decay->dims[1] != t ||
                  (decay->dims[2] != hkv && decay->dims[2] != hkv * dk)))
        return linatt_bad(ctx, decay, "decay", "[B, T, kv_num_heads] or [B, T, kv_num_heads*Dk]");
    if (beta && (beta->rank != 3 || beta->dims[0] != b || beta->dims[1] != t ||
                 (beta->dims[2] != hkv && beta->dims[2] != 1)))
        return linatt_bad(ctx, beta, "beta", "[B, T, kv_num_heads] or [B, T, 1]");
    float scale = pml_attr_float(ctx->node, "scale", 0.0f);
    if (!isfinite(scale) || scale < 0.0f)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "scale %g must be finite and >= 0", (double)scale);
    st->b = b;
    st->s = (pml_linear_attn_shape){.t = (size_t)t, .hq = (size_t)hq, .hkv = (size_t)hkv, .dk = (size_t)dk,
                                    .dv = (size_t)dv, .decay_n = decay ? (size_t)decay->dims[2] : 0,
                                    .beta_n = beta ? (size_t)beta->dims[2] : 0,
                                    .scale = scale != 0.0f ? scale : dk > 0 ? 1.0f / sqrtf((float)dk) : 1.0f};
    return PML_OK;
}

static pml_status linatt_infer(pml_kernel_ctx *ctx) {
    linatt_state st = {0};
    pml_status s = linatt_parse(ctx, &st);
    if (s) return s;
    const pml_dtype dt = ctx->in[0]->dtype;
    const int64_t y[3] = {st.b, (int64_t)st.s.t, (int64_t)(st.s.hq * st.s.dv)};
    const int64_t state[4] = {st.b, (int64_t)st.s.hkv, (int64_t)st.s.dk, (int64_t)st.s.dv};
    if ((s = pml_ew_set_output(ctx, 0, dt, 3, y))) return s;
    return pml_ew_set_output(ctx, 1, dt, 4, state);
}

static pml_status linatt_prepare(pml_kernel_ctx *ctx) {
    linatt_state *st = (linatt_state *)pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for LinearAttention state");
    pml_status s = linatt_parse(ctx, st);
    if (s) return s;
    const pml_attention_typed *k = ctx->config->typed.attention[ctx->in[0]->dtype];
    if (!k || !k->linear_attn)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no LinearAttention kernel for dtype %s",
                              pml_dtype_name(ctx->in[0]->dtype));
    st->fn = k->linear_attn;
    st->threads = pml_threadpool_size(ctx->pool);
    st->thread_floats = (st->s.dk * st->s.dv + st->s.dv + 15) / 16 * 16; /* 64-byte aligned per thread */
    ctx->scratch_size = st->thread_floats * (size_t)(st->threads > 0 ? st->threads : 1) * sizeof(float);
    return PML_OK;
}

typedef struct linatt_job {
    const linatt_state *st;
    const void *q, *k, *v, *past, *decay, *beta;
    void *y, *present;
    float *scratch;
} linatt_job;

static void linatt_task(void *arg, int64_t task, int thread) {
    const linatt_job *j = (const linatt_job *)arg;
    const size_t hkv = j->st->s.hkv;
    j->st->fn(&j->st->s, (size_t)task / hkv, (size_t)task % hkv, j->q, j->k, j->v, j->past, j->decay, j->beta, j->y,
              j->present, j->scratch + (size_t)thread * j->st->thread_floats);
}

static pml_status linatt_run(pml_kernel_ctx *ctx) {
    const linatt_state *st = (const linatt_state *)ctx->state;
    if (pml_threadpool_size(ctx->pool) > st->threads)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    const pml_tensor *opt[3];
    for (int i = 0; i < 3; i++) opt[i] = ctx->n_in > 3 + i ? ctx->in[3 + i] : NULL;
    linatt_job j = {st, ctx->in[0]->data, ctx->in[1]->data, ctx->in[2]->data, opt[0] ? opt[0]->data : NULL,
                    opt[1] ? opt[1]->data : NULL, opt[2] ? opt[2]->data : NULL, ctx->out[0]->data,
                    ctx->out[1]->data, (float *)ctx->scratch};
    pml_parallel_for(ctx->pool, st->b * (int64_t)st->s.hkv, linatt_task, &j);
    return PML_OK;
}

const pml_op_def pml_linear_attention_def = {PML_OP_LINEARATTENTION, linatt_infer, linatt_prepare, linatt_run,
                                             pml_ew_release};
