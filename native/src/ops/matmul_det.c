/*
 * ops/matmul_det.c — Det: y[...] = det(x[..., M, M]) over the batch of square
 * matrices (float32, float16), through the typed matmul kernel
 * (ctx->config->typed.matmul[dtype].det: LU with partial pivoting in float32).
 * Semantics: src/pocketml/ops/matmul.py.
 *
 * The factorisation needs an M x M float32 copy per matrix in flight: prepare
 * allocates DET_SLOTS of them with the state (run never allocates) and run hands
 * each thread-pool chunk whole slots -- slot k owns the batches
 * [k * B / slots, (k + 1) * B / slots) -- so no two threads share a copy.
 */
#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

#define DET_SLOTS 8 /* workspaces, hence the most threads one Det uses */

typedef struct det_state {
    pml_det_fn fn;
    size_t m, batch, slots, esize;
    const char *x;
    char *y;
    float *work; /* [slots][m * m] */
} det_state;

static pml_status det_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2]) {
        char buf[128];
        return pml_node_error(ctx, PML_ERR_SHAPE, "x must be square matrices [..., M, M], got %s",
                              pml_shape_str(x->rank, x->dims, buf, sizeof buf));
    }
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank - 2, x->dims);
}

static pml_status det_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    const pml_matmul_typed *t = ctx->config->typed.matmul[x->dtype];
    if (!t || !t->det) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no Det kernel for dtype %s", pml_dtype_name(x->dtype));
    size_t m = (size_t)x->dims[x->rank - 1], batch = (size_t)pml_shape_numel(x->rank - 2, x->dims);
    /* an empty batch reads nothing (its M may be anything); otherwise M * M <= the input's size */
    size_t slots = batch == 0 ? 0 : (batch < DET_SLOTS ? batch : DET_SLOTS);
    det_state *st = pml_ew_alloc_state(ctx, sizeof *st + slots * m * m * sizeof(float));
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for %zu Det workspaces of %zu x %zu", slots,
                                   m, m);
    st->fn = t->det;
    st->m = m, st->batch = batch, st->slots = slots;
    st->esize = pml_dtype_size(x->dtype);
    st->work = (float *)(st + 1);
    return PML_OK;
}

static void det_slots(void *arg, int64_t k0, int64_t k1) {
    const det_state *st = (const det_state *)arg;
    for (int64_t k = k0; k < k1; k++) {
        size_t b0 = (size_t)k * st->batch / st->slots, b1 = (size_t)(k + 1) * st->batch / st->slots;
        st->fn(st->m, b1 - b0, st->x + b0 * st->m * st->m * st->esize, st->y + b0 * st->esize,
               st->work + (size_t)k * st->m * st->m);
    }
}

static pml_status det_run(pml_kernel_ctx *ctx) {
    det_state *st = (det_state *)ctx->state;
    if (st->batch == 0) return PML_OK;
    st->x = (const char *)ctx->in[0]->data;
    st->y = (char *)ctx->out[0]->data;
    /* one slot per chunk once a slot's share of the elimination (~M^3 / 3 per matrix) is worth a thread */
    size_t work = st->batch / st->slots * (st->m * st->m * st->m / 3 + 1);
    pml_ew_parallel(ctx, (int64_t)st->slots, work >= PML_EW_PARALLEL_MIN ? 1 : (int64_t)st->slots, det_slots, st);
    return PML_OK;
}

const pml_op_def pml_det_def = {PML_OP_DET, det_infer, det_prepare, det_run, pml_ew_release};
