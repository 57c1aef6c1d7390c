/*
 * ops/conv_integer.c — ConvInteger: y = conv(x - x_zero_point, w - w_zero_point), int8/uint8
 * x and w (NHWC, OHWI), exact int32 y, Conv's geometry (ops/conv_geometry.h).
 * Semantics: src/pocketml/ops/conv_integer.py.
 *
 * Per group, y[M = N*OH*OW, Cout/g] = patches[M, KH*KW*Cin/g] @ W^T on the integer GEMM of
 * kernels/matmul/matmul_typed.h. The weights pack once as a K x Cout operand (ops/igemm.h:
 * group g's columns are output channels [g*Cout/g, (g+1)*Cout/g), contiguous), with a
 * per-tensor or per-output-channel zero point subtracted: by pack when they and their zero
 * point are constant, else into scratch at the start of every run. Patches are gathered
 * CI_ROWS rows at a time into per-thread scratch (x's padding holds x_zero_point, so padded
 * taps add 0); a 1x1, stride-1, unpadded conv reads x's rows in place.
 */
#include <string.h>

#include "../internal.h"
#include "conv_geometry.h"
#include "igemm.h"
#include "kernels/config.h"
#include "validate.h"

#define CI_ROWS 32 /* patch rows per task */

typedef struct ci_state {
    pml_conv_geom g;
    pml_igemm_fn gemm;
    pml_igemm_pack_fn pack;
    int64_t kg, m, blocks;     /* patch length KH*KW*Cin/g, rows N*OH*OW, row blocks */
    int direct;                /* 1x1, stride 1, no pads: x's rows are the patches */
    size_t zw_stride;          /* w zero point: per output channel (1) or one value (0) */
    const pml_igemm_b *packed; /* ctx->packed (not owned), or NULL: packed into scratch per run */
    size_t b_bytes, patch_bytes; /* scratch: [packed weights], then one patch block per thread */
    int threads;
    /* run */
    const uint8_t *x, *w, *zx, *zw; /* int8 and uint8 are one byte */
    int32_t *y;
    char *scratch;
} ci_state;

static pml_status ci_parse(const pml_kernel_ctx *ctx, pml_conv_geom *g, size_t *zw_stride) {
    const pml_tensor *x, *w;
    pml_status s;
    if ((s = pml_conv_nhwc_inputs(ctx, &x, &w))) return s;
    if ((s = pml_conv_geometry(ctx, 0, g))) return s;
    *zw_stride = 0;
    for (int i = 2; i < 4 && i < ctx->n_in; i++) {
        const pml_tensor *z = ctx->in[i];
        if (!z) continue;
        const char *what = i == 2 ? "x_zero_point" : "w_zero_point";
        if ((s = pml_ew_check_shape(ctx, z->rank, z->dims, what))) return s;
        if (z->rank <= 1 && pml_shape_numel(z->rank, z->dims) == 1) continue;
        if (i == 3 && z->rank == 1 && z->dims[0] == g->cout) {
            *zw_stride = 1;
            continue;
        }
        char buf[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "%s %s must be one value%s", what,
                              pml_shape_str(z->rank, z->dims, buf, sizeof buf),
                              i == 3 ? " or one per output channel" : "");
    }
    return PML_OK;
}

static pml_status ci_infer(pml_kernel_ctx *ctx) {
    pml_conv_geom g;
    size_t zw_stride;
    pml_status s = ci_parse(ctx, &g, &zw_stride);
    if (s) return s;
    const int64_t dims[4] = {g.n, g.oh, g.ow, g.cout};
    return pml_ew_set_output(ctx, 0, PML_INT32, 4, dims);
}

/* Constant weights with a constant (or no) zero point: one K x Cout operand for every group. */
static pml_status ci_pack(pml_kernel_ctx *ctx) {
    const pml_tensor *w = ctx->n_in > 1 ? ctx->in[1] : NULL, *zw = ctx->n_in > 3 ? ctx->in[3] : NULL;
    if (!w || !w->is_const || !w->data || w->rank != 4 || (zw && (!zw->is_const || !zw->data))) return PML_OK;
    const pml_matmul_typed *t = ctx->config->typed.matmul[w->dtype];
    if (!t || !t->igemm_pack || (zw && zw->dtype != w->dtype)) return PML_OK;
    const int64_t cout = w->dims[0], kg = w->dims[1] * w->dims[2] * w->dims[3];
    const int64_t zn = zw ? pml_shape_numel(zw->rank, zw->dims) : 1;
    if (zn != 1 && zn != cout) return PML_OK; /* infer reports it */
    return pml_igemm_pack_const(ctx, t->igemm_pack, w->data, kg, cout, 1, (size_t)kg, zw ? zw->data : NULL,
                                zn == 1 ? 0 : 1);
}

static pml_status ci_prepare(pml_kernel_ctx *ctx) {
    ci_state *st = (ci_state *)pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for ConvInteger state");
    pml_status s = ci_parse(ctx, &st->g, &st->zw_stride);
    if (s || (s = pml_igemm_kernels(ctx, &st->gemm, &st->pack))) return s;
    const pml_conv_geom *g = &st->g;
    st->kg = g->kh * g->kw * g->cg;
    st->m = g->n * g->oh * g->ow;
    st->blocks = (st->m + CI_ROWS - 1) / CI_ROWS;
    st->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && !g->pt && !g->pl && !g->pb && !g->pr;
    st->threads = pml_threadpool_size(ctx->pool);
    st->packed = pml_igemm_packed(ctx, st->kg, g->cout);
    st->b_bytes = st->packed ? 0 : pml_igemm_b_bytes(st->kg, g->cout);
    st->patch_bytes = st->direct ? 0 : ((size_t)CI_ROWS * (size_t)st->kg + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN;
    ctx->scratch_size = st->b_bytes + st->patch_bytes * (size_t)st->threads;
    return PML_OK;
}

/* Task t = (block of rows, group). */
static void ci_task(void *arg, int64_t t, int thread) {
    const ci_state *st = (const ci_state *)arg;
    const pml_conv_geom *g = &st->g;
    const int64_t grp = t % g->group, m0 = t / g->group * CI_ROWS;
    const int64_t rows = st->m - m0 < CI_ROWS ? st->m - m0 : CI_ROWS;
    const pml_igemm_b op = st->packed ? *st->packed : pml_igemm_b_at(st->scratch, st->kg, g->cout);
    const uint8_t *a = st->x + m0 * g->cin + grp * g->cg;
    size_t lda = (size_t)g->cin;
    if (!st->direct) {
        uint8_t *patches = (uint8_t *)st->scratch + st->b_bytes + (size_t)thread * st->patch_bytes;
        pml_x8_im2col(g, st->x, grp, m0, rows, st->zx ? st->zx[0] : 0, patches);
        a = patches, lda = (size_t)st->kg;
    }
    st->gemm((size_t)rows, (size_t)g->coutg, (size_t)st->kg, a, lda, st->zx, 0, op.cols + grp * g->coutg * st->kg,
             op.colsum + grp * g->coutg, st->y + m0 * g->cout + grp * g->coutg, (size_t)g->cout);
}

static pml_status ci_run(pml_kernel_ctx *ctx) {
    ci_state *st = (ci_state *)ctx->state;
    if (pml_threadpool_size(ctx->pool) > st->threads) /* per-thread scratch was sized in prepare */
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    st->x = (const uint8_t *)ctx->in[0]->data, st->w = (const uint8_t *)ctx->in[1]->data;
    st->zx = ctx->n_in > 2 && ctx->in[2] ? (const uint8_t *)ctx->in[2]->data : NULL;
    st->zw = ctx->n_in > 3 && ctx->in[3] ? (const uint8_t *)ctx->in[3]->data : NULL;
    st->y = (int32_t *)ctx->out[0]->data;
    st->scratch = (char *)ctx->scratch;
    if (!st->packed) {
        pml_igemm_b op = pml_igemm_b_at(st->scratch, st->kg, st->g.cout);
        st->pack((size_t)st->kg, (size_t)st->g.cout, st->w, 1, (size_t)st->kg, st->zw, st->zw_stride, op.cols,
                 op.colsum);
    }
    pml_parallel_for(ctx->pool, st->blocks * st->g.group, ci_task, st);
    return PML_OK;
}

const pml_op_def pml_conv_integer_def = {PML_OP_CONVINTEGER, ci_infer, ci_prepare, ci_run, pml_ew_release,
                                         ci_pack, pml_igemm_unpack};
