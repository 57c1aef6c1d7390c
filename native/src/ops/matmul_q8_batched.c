/*
 * ops/matmul_q8_batched.c — quantized MatMul whose b is computed at run time or batched
 * (TFLite BATCH_MATMUL on two int8/uint8 activations, or two int16 ones in int16x8 with zero
 * points 0 and an int64 accumulator): a [..., M, K] @ b [..., K, N] with the
 * leading dims broadcast, per-tensor parameters on a, b and y, TFLite's fixed point (requant 0:
 * multiplier from the float product sa * sb over sy, as GetQuantizedConvolutionMultipler) or
 * onnxruntime's float (requant 1), fused Relu/Clip as the clamp. ops/gemm_q8.c hands such
 * nodes here (constant 2-D weights take its packed GEMM); the kernel is qmatmul.h's, one call
 * per matrix of the batch, batches split over the pool.
 */
#include <string.h>

#include "elementwise_q8.h"
#include "kernels/config.h"
#include "kernels/quant/qmatmul.h"
#include "matmul_q8_batched.h"
#include "validate.h"

typedef struct q8_bmm_state {
    int batched; /* always 1: tells ops/gemm_q8.c's run and release this state from its own */
    pml_qmatmul_fn matmul;
    pml_requant rq;
    int32_t multiplier, shift;
    float scale;
    int32_t za, zb;
    int64_t m, n, k, batches;
    int rank; /* of the batch dims */
    int64_t out_dims[PML_MAX_RANK], a_stride[PML_MAX_RANK], b_stride[PML_MAX_RANK]; /* in matrices, 0 broadcast */
    size_t esize;
} q8_bmm_state;

int pml_q8_matmul_batched_wanted(const pml_kernel_ctx *ctx) {
    const pml_tensor *b = ctx->n_in > 1 ? ctx->in[1] : NULL;
    return b && ctx->in[0]->quant && (b->rank != 2 || !b->is_const || !b->data);
}

/* The broadcast batch dims of a and b (each padded on the left with 1s). */
static pml_status batch_dims(const pml_kernel_ctx *ctx, q8_bmm_state *st) {
    const pml_tensor *a = ctx->in[0], *b = ctx->in[1];
    char sa[160], sb[160];
    if (a->rank < 2 || b->rank < 2 || a->dims[a->rank - 1] != b->dims[b->rank - 2])
        return pml_node_error(ctx, PML_ERR_SHAPE, "quantized MatMul of run-time operands: a %s and b %s (need "
                              "[..., M, K] and [..., K, N])", pml_shape_str(a->rank, a->dims, sa, sizeof sa),
                              pml_shape_str(b->rank, b->dims, sb, sizeof sb));
    const int ra = a->rank - 2, rb = b->rank - 2, r = ra > rb ? ra : rb;
    int64_t as = 1, bs = 1;
    st->rank = r;
    st->batches = 1;
    for (int i = r - 1; i >= 0; i--) {
        const int64_t da = i - (r - ra) >= 0 ? a->dims[i - (r - ra)] : 1;
        const int64_t db = i - (r - rb) >= 0 ? b->dims[i - (r - rb)] : 1;
        if (da != db && da != 1 && db != 1)
            return pml_node_error(ctx, PML_ERR_SHAPE, "MatMul batch dims %s and %s do not broadcast",
                                  pml_shape_str(a->rank, a->dims, sa, sizeof sa),
                                  pml_shape_str(b->rank, b->dims, sb, sizeof sb));
        st->out_dims[i] = da == 1 ? db : da;
        st->a_stride[i] = da == 1 ? 0 : as;
        st->b_stride[i] = db == 1 ? 0 : bs;
        as *= da, bs *= db;
        st->batches *= st->out_dims[i];
    }
    st->m = a->dims[a->rank - 2];
    st->k = a->dims[a->rank - 1];
    st->n = b->dims[b->rank - 1];
    return PML_OK;
}

pml_status pml_q8_matmul_batched_infer(pml_kernel_ctx *ctx) {
    q8_bmm_state st;
    pml_status s = batch_dims(ctx, &st);
    if (s != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    memcpy(dims, st.out_dims, sizeof(int64_t) * (size_t)st.rank);
    dims[st.rank] = st.m;
    dims[st.rank + 1] = st.n;
    return pml_ew_set_output(ctx, 0, ctx->in[0]->dtype, st.rank + 2, dims);
}

static pml_status per_tensor(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role, pml_dtype dt) {
    if (!t->quant || t->quant->count != 1 || t->dtype != dt)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized MatMul of run-time operands: %s '%s' must be %s "
                              "quantized per tensor", role, t->name, pml_dtype_name(dt));
    return PML_OK;
}

pml_status pml_q8_matmul_batched_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *a = ctx->in[0], *b = ctx->in[1], *y = ctx->out[0];
    const pml_dtype dt = a->dtype;
    if (dt != PML_INT8 && dt != PML_UINT8 && dt != PML_INT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized MatMul of run-time operands on %s (int8, "
                              "uint8 or int16)", pml_dtype_name(dt));
    pml_status s;
    if ((s = per_tensor(ctx, b, "b", dt)) || (s = per_tensor(ctx, y, "output", dt))) return s;
    const int64_t mode = pml_attr_int(ctx->node, "requant", 0);
    if (dt == PML_INT16 && (mode != 0 || a->quant->zero_point[0] != 0 || b->quant->zero_point[0] != 0 ||
                            y->quant->zero_point[0] != 0))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized int16 MatMul of run-time operands needs zero "
                              "points 0 and requant=0 (TFLite int16x8 BATCH_MATMUL)");
    q8_bmm_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->batched = 1;
    if ((s = batch_dims(ctx, st)) != PML_OK) return s;
    if (mode != 0 && mode != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1", (long long)mode);
    const float sa = a->quant->scale[0], sb = b->quant->scale[0], sy = y->quant->scale[0];
    if (!(sa > 0) || !(sb > 0) || !(sy > 0))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
    int32_t qmin, qmax;
    if ((s = pml_q8_act_range(ctx, y, &qmin, &qmax)) != PML_OK) return s;
    /* TFLite: (double)(float)(sa * sb) / sy; onnxruntime: the float32 multiplier */
    pml_quantize_multiplier((double)(sa * sb) / (double)sy, &st->multiplier, &st->shift);
    st->scale = sa * sb / sy;
    st->rq = (pml_requant){.mode = mode == 0 ? PML_REQUANT_FIXED_POINT : PML_REQUANT_FLOAT, .per_channel = 0,
                           .zero_point = y->quant->zero_point[0], .qmin = qmin, .qmax = qmax};
    st->za = a->quant->zero_point[0];
    st->zb = b->quant->zero_point[0];
    st->esize = pml_dtype_size(dt);
    st->matmul = dt == PML_UINT8   ? ctx->config->qu8->matmul
                 : dt == PML_INT16 ? ctx->config->qs8->matmul_s16
                                   : ctx->config->qs8->matmul;
    return PML_OK;
}

typedef struct q8_bmm_job {
    const q8_bmm_state *st;
    const char *a, *b;
    char *y;
} q8_bmm_job;

static void bmm_range(void *arg, int64_t s, int64_t e) {
    const q8_bmm_job *j = (const q8_bmm_job *)arg;
    const q8_bmm_state *st = j->st;
    pml_requant rq = st->rq; /* points at the state's multiplier/shift/scale */
    rq.multiplier = &st->multiplier, rq.shift = &st->shift, rq.scale = &st->scale;
    for (int64_t t = s; t < e; t++) {
        int64_t rest = t, ai = 0, bi = 0;
        for (int i = st->rank - 1; i >= 0; i--) {
            const int64_t idx = rest % st->out_dims[i];
            rest /= st->out_dims[i];
            ai += idx * st->a_stride[i];
            bi += idx * st->b_stride[i];
        }
        st->matmul(st->m, st->n, st->k, j->a + (size_t)(ai * st->m * st->k) * st->esize, st->za,
                   j->b + (size_t)(bi * st->k * st->n) * st->esize, st->zb, &rq,
                   j->y + (size_t)(t * st->m * st->n) * st->esize);
    }
}

pml_status pml_q8_matmul_batched_run(pml_kernel_ctx *ctx) {
    const q8_bmm_state *st = (const q8_bmm_state *)ctx->state;
    q8_bmm_job j = {st, (const char *)ctx->in[0]->data, (const char *)ctx->in[1]->data, (char *)ctx->out[0]->data};
    if (st->batches == 0 || st->m == 0 || st->n == 0) return PML_OK;
    pml_ew_parallel(ctx, st->batches, 1, bmm_range, &j);
    return PML_OK;
}
