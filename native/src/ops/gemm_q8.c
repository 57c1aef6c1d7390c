/*
 * ops/gemm_q8.c — Gemm and MatMul on quantized int8/uint8 tensors with constant int8/uint8
 * weights: y[M,N] = requant(bias + (a - za) @ (w - zw)), TFLite FULLY_CONNECTED and ONNX
 * QLinearMatMul/QGemm semantics (attribute requant). Semantics: src/pocketml/ops/matmul.py.
 *
 * Gemm: a [M,K] (transA 0), b [N,K] with transB=1 (TFLite's weights) or [K,N], alpha =
 * beta = 1, c an int32 [N] bias. MatMul: a [..., K] (leading dims are rows), b [K,N], no
 * bias. Weight scales per tensor or per output channel (b's N axis). prepare builds the
 * quantization (ops/q8_params.c) and packs b with it for the int8 GEMM
 * (kernels/matmul/s8_gemm.h), once per plan: the packed block holds the requantization.
 * A uint8 a is flipped to int8 at each run, unless b runs on the u8 x s8 tiles, which read
 * it as it is.
 * TFLite int16x8 (int16 a and y, int8 b, int64 accumulator) runs the scalar int64 kernel of
 * s8_gemm.h on the unpacked weights, on one thread (no SIMD kernel yet).
 */
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/matmul/s8_gemm.h"
#include "matmul_q8_batched.h"
#include "q8_params.h"
#include "validate.h"

typedef struct gemm_q8_state {
    int batched;         /* always 0: matmul_q8_batched.c's state starts with a 1 */
    int64_t m, n, k;
    int trans_b, x_u8;
    int x_direct;        /* uint8 a read as it is by the u8 x s8 tiles (no flip copy) */
    int s16;             /* TFLite int16x8: the scalar int64 kernel over qp (no packing) */
    pml_q8_params qp;    /* int16x8: kept for the run */
    void *packed;        /* pml_aligned_alloc'ed, owned */
    size_t x_bytes;      /* scratch: flipped uint8 a (0 for int8) */
    size_t thread_bytes; /* scratch per thread */
    int threads;
} gemm_q8_state;

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

/* Shapes of a quantized Gemm (is_gemm) or MatMul node: M, N, K and b's layout. */
static pml_status gemm_q8_parse(const pml_kernel_ctx *ctx, int is_gemm, gemm_q8_state *st) {
    const pml_tensor *a, *b;
    char ba[160], bb[160];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "a", &a)) || (s = pml_ew_input(ctx, 1, "b", &b))) return s;
    int64_t ta = 0, tb = 0;
    if (is_gemm && ((s = pml_attr_int_checked(ctx, "transA", 0, 0, 1, &ta)) ||
                    (s = pml_attr_int_checked(ctx, "transB", 0, 0, 1, &tb))))
        return s;
    if (is_gemm && (ta || pml_attr_float(ctx->node, "alpha", 1.0f) != 1.0f ||
                    pml_attr_float(ctx->node, "beta", 1.0f) != 1.0f))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized Gemm needs transA=0 and alpha=beta=1");
    pml_shape_str(a->rank, a->dims, ba, sizeof ba);
    pml_shape_str(b->rank, b->dims, bb, sizeof bb);
    if (b->rank != 2 || a->rank < 1 || (is_gemm && a->rank != 2))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s: a %s and b %s (need b 2-D%s)", ctx->op_name, ba,
                              bb, is_gemm ? ", a 2-D" : "");
    st->trans_b = (int)tb;
    st->k = a->dims[a->rank - 1];
    st->n = tb ? b->dims[0] : b->dims[1];
    st->m = pml_shape_numel(a->rank - 1, a->dims);
    if ((tb ? b->dims[1] : b->dims[0]) != st->k)
        return pml_node_error(ctx, PML_ERR_SHAPE, "a %s and b %s (transB=%lld): inner dims differ", ba, bb,
                              (long long)tb);
    const pml_tensor *c = is_gemm && ctx->n_in > 2 ? ctx->in[2] : NULL;
    const int s16 = a->dtype == PML_INT16;
    if (c && ((c->dtype != PML_INT32 && !(s16 && c->dtype == PML_INT64)) || c->rank != 1 || c->dims[0] != st->n))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized Gemm's c must be an int32 (int16x8: or int64) bias [%lld]",
                              (long long)st->n);
    if (!is_gemm && ctx->n_in > 2)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "MatMul takes two inputs");
    return PML_OK;
}

static pml_status gemm_q8_infer_common(pml_kernel_ctx *ctx, int is_gemm) {
    gemm_q8_state st = {0}; /* (parse fills what infer reads; zeroed for the compiler) */
    pml_status s = gemm_q8_parse(ctx, is_gemm, &st);
    if (s) return s;
    const pml_tensor *a = ctx->in[0];
    int64_t dims[PML_MAX_RANK];
    memcpy(dims, a->dims, sizeof(int64_t) * (size_t)a->rank);
    dims[a->rank - 1] = st.n;
    return pml_ew_set_output(ctx, 0, a->dtype, a->rank, dims);
}

static pml_status gemm_q8_infer(pml_kernel_ctx *ctx) { return gemm_q8_infer_common(ctx, 1); }
static pml_status matmul_q8_infer(pml_kernel_ctx *ctx) {
    if (pml_q8_matmul_batched_wanted(ctx)) return pml_q8_matmul_batched_infer(ctx); /* b at run time */
    return gemm_q8_infer_common(ctx, 0);
}

static void gemm_q8_release(pml_kernel_ctx *ctx) {
    gemm_q8_state *st = (gemm_q8_state *)ctx->state;
    if (st) {
        pml_aligned_free(st->packed);
        pml_q8_params_free(&st->qp);
    }
    pml_ew_release(ctx);
}

static pml_status gemm_q8_prepare_common(pml_kernel_ctx *ctx, int is_gemm) {
    gemm_q8_state *st = (gemm_q8_state *)pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for int8 gemm state");
    memset(st, 0, sizeof *st);
    pml_status s = gemm_q8_parse(ctx, is_gemm, st);
    if (s) return s;
    const pml_tensor *w = ctx->in[1], *c = is_gemm && ctx->n_in > 2 ? ctx->in[2] : NULL;
    if (!w->data || !w->is_const || (c && (!c->data || !c->is_const)))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized %s needs constant weights and bias",
                              ctx->op_name);
    /* TFLite's per-tensor fully connected computes its multiplier from the float product */
    const int per_tensor = w->quant && w->quant->count == 1;
    pml_q8_params qp;
    if ((s = pml_q8_params_init(ctx, ctx->in[0], w, c, ctx->out[0], st->n, st->trans_b ? 0 : 1, per_tensor, &qp)))
        return s;
    if (ctx->in[0]->dtype == PML_INT16) { /* the int64 accumulator kernel reads b and qp at run */
        st->s16 = 1;
        st->qp = qp;
        return PML_OK;
    }
    st->x_u8 = qp.x_u8;
    st->packed = pml_aligned_alloc(pml_qs8_gemm_packed_bytes(st->k, st->n));
    const size_t wn = (size_t)(st->k * st->n);
    int8_t *flipped = qp.w_u8 ? (int8_t *)malloc(wn ? wn : 1) : NULL;
    if (!st->packed || (qp.w_u8 && !flipped)) {
        free(flipped);
        pml_q8_params_free(&qp);
        return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing int8 weights");
    }
    const int8_t *wd = (const int8_t *)w->data;
    if (flipped) pml_q8_flip((const uint8_t *)w->data, flipped, wn), wd = flipped;
    const pml_qs8_gemm_kernels *kern = ctx->config->qs8->mm;
    pml_qs8_gemm_pack(kern, st->k, st->n, wd, st->trans_b ? 1 : st->n, st->trans_b ? st->k : 1, &qp.q, 0,
                      st->packed);
    free(flipped);
    pml_q8_params_free(&qp);
    pml_qs8_gemm_problem p = {.m = st->m, .n = st->n, .k = st->k, .batch = 1, .lda = st->k, .ldc = st->n};
    st->threads = pml_threadpool_size(ctx->pool);
    st->x_direct = st->x_u8 && pml_qs8_gemm_takes_u8(st->packed);
    st->x_bytes = st->x_u8 && !st->x_direct ? round64((size_t)(st->m * st->k)) : 0;
    st->thread_bytes = round64(pml_qs8_gemm_scratch_bytes(kern, &p));
    ctx->scratch_size = st->x_bytes;
    ctx->thread_scratch_size = st->thread_bytes;
    return PML_OK;
}

static pml_status gemm_q8_prepare(pml_kernel_ctx *ctx) { return gemm_q8_prepare_common(ctx, 1); }
static pml_status matmul_q8_prepare(pml_kernel_ctx *ctx) {
    if (pml_q8_matmul_batched_wanted(ctx)) return pml_q8_matmul_batched_prepare(ctx);
    return gemm_q8_prepare_common(ctx, 0);
}


static pml_status gemm_q8_run(pml_kernel_ctx *ctx) {
    const gemm_q8_state *st = (const gemm_q8_state *)ctx->state;
    if (st->m == 0 || st->n == 0) return PML_OK;
    if (st->s16) { /* single-threaded scalar: no int16x8 SIMD kernel yet */
        pml_qs16_gemm_ref(st->m, st->n, st->k, (const int16_t *)ctx->in[0]->data, st->k,
                          (const int8_t *)ctx->in[1]->data, st->trans_b ? 1 : st->n, st->trans_b ? st->k : 1,
                          st->qp.bias64, &st->qp.q.rq, (int16_t *)ctx->out[0]->data, st->n);
        return PML_OK;
    }
    if (pml_threadpool_size(ctx->pool) > st->threads) /* per-thread scratch was sized in prepare */
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    const int8_t *a = (const int8_t *)ctx->in[0]->data;
    char *scratch = (char *)ctx->scratch;
    if (st->x_u8 && !st->x_direct) {
        pml_q8_flip((const uint8_t *)ctx->in[0]->data, (int8_t *)scratch, (size_t)(st->m * st->k));
        a = (const int8_t *)scratch;
    }
    pml_qs8_gemm_problem p = {.m = st->m, .n = st->n, .k = st->k, .batch = 1, .a = a, .lda = st->k,
                              .packed = st->packed, .c = ctx->out[0]->data, .ldc = st->n, .a_u8 = st->x_direct};
    pml_qs8_gemm_run(ctx->config->qs8->mm, &p, ctx->pool, ctx->thread_scratch);
    return PML_OK;
}

static int batched_state(const pml_kernel_ctx *ctx) { return ctx->state && *(const int *)ctx->state; }

static pml_status matmul_q8_run(pml_kernel_ctx *ctx) {
    if (batched_state(ctx)) return pml_q8_matmul_batched_run(ctx);
    return gemm_q8_run(ctx);
}

/* The batched path's state owns no packed block. */
static void matmul_q8_release(pml_kernel_ctx *ctx) {
    if (batched_state(ctx)) pml_ew_release(ctx);
    else gemm_q8_release(ctx);
}

const pml_op_def pml_gemm_q8_def = {PML_OP_GEMM, gemm_q8_infer, gemm_q8_prepare, gemm_q8_run, gemm_q8_release,
                                    NULL, NULL};
const pml_op_def pml_matmul_q8_def = {PML_OP_MATMUL, matmul_q8_infer, matmul_q8_prepare, matmul_q8_run,
                                      matmul_q8_release, NULL, NULL};
