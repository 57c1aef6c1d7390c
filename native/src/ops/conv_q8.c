/*
 * ops/conv_q8.c — Conv on quantized int8/uint8 tensors (NHWC x, OHWI int8/uint8 w, int32
 * bias, per-tensor or per-output-channel weight scales), TFLite CONV_2D and
 * DEPTHWISE_CONV_2D, ONNX QLinearConv semantics (attribute requant). Semantics:
 * src/pocketml/ops/conv.py.
 *
 * prepare builds the node's quantization from its tensors (ops/q8_params.c) and packs the
 * weights with it: the depthwise kernels when group == Cin == Cout, the direct stem kernel
 * for 1-4 input channels where the configuration has one (conv_q8_prepare_stem), else the
 * int8 GEMM per group (kernels/conv/s8_conv.h). The packed block holds the requantization, so it depends
 * on x's and y's parameters as well as the weights: it is built in prepare, once per plan.
 * uint8 tensors run as int8 (sign bit flipped; x into scratch at each run, w when packing),
 * except a uint8 x of a GEMM conv whose weights run on the u8 x s8 tiles: the tiles' operand
 * is uint8, so x goes in as it is.
 * TFLite int16x8 (int16 x and y, int8 w, int64 accumulator) runs the scalar int64 kernel of
 * kernels/conv/s8_conv.h on the unpacked weights, on one thread (no SIMD kernel yet).
 */
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "conv_geometry.h"
#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "q8_params.h"
#include "validate.h"

typedef struct conv_q8_state {
    pml_conv_geom g;
    int depthwise;
    int stem;               /* the direct few-channel kernel (kern->stem); scratch: its padded x */
    int x_u8;
    int x_direct;           /* uint8 x read as it is by the u8 x s8 tiles (no flip copy) */
    int s16;                /* TFLite int16x8: the scalar int64 kernel over qp (no packing) */
    pml_q8_params qp;       /* int16x8: kept for the run */
    void *packed;           /* pml_aligned_alloc'ed, owned */
    size_t x_bytes;         /* scratch: flipped uint8 x (0 for int8) */
    size_t thread_bytes;    /* scratch per thread (GEMM path) */
    int threads;
} conv_q8_state;

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

static pml_status conv_q8_parse(const pml_kernel_ctx *ctx, pml_conv_geom *g) {
    const pml_tensor *x, *w;
    pml_status s;
    if ((s = pml_conv_nhwc_inputs(ctx, &x, &w))) return s;
    if ((ctx->n_in > 3 && ctx->in[3]) || (ctx->n_in > 4 && ctx->in[4]))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized Conv takes no residual sum or prelu slope");
    return pml_conv_geometry(ctx, 0, g);
}

static pml_status conv_q8_infer(pml_kernel_ctx *ctx) {
    pml_conv_geom g;
    pml_status s = conv_q8_parse(ctx, &g);
    if (s) return s;
    const pml_tensor *b = ctx->n_in > 2 ? ctx->in[2] : NULL;
    const int s16 = ctx->in[0]->dtype == PML_INT16;
    if (b && ((b->dtype != PML_INT32 && !(s16 && b->dtype == PML_INT64)) || b->rank != 1 || b->dims[0] != g.cout))
        return pml_node_error(ctx, PML_ERR_SHAPE, "a quantized Conv's bias must be int32%s [%lld] (Cout)",
                              s16 ? " or int64" : "", (long long)g.cout);
    const int64_t dims[4] = {g.n, g.oh, g.ow, g.cout};
    return pml_ew_set_output(ctx, 0, ctx->in[0]->dtype, 4, dims);
}

static void conv_q8_release(pml_kernel_ctx *ctx) {
    conv_q8_state *st = (conv_q8_state *)ctx->state;
    if (st) {
        pml_aligned_free(st->packed);
        pml_q8_params_free(&st->qp);
    }
    pml_ew_release(ctx);
}

/* Packs w (flipped to int8 first when uint8) with the node's quantization. */
static pml_status conv_q8_pack_weights(const pml_kernel_ctx *ctx, conv_q8_state *st, const pml_q8_params *qp) {
    const pml_tensor *w = ctx->in[1];
    const pml_conv_geom *g = &st->g;
    const size_t bytes = st->depthwise ? pml_qs8_dwconv_packed_bytes(g) : pml_qs8_conv_packed_bytes(g);
    st->packed = pml_aligned_alloc(bytes);
    if (!st->packed) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing int8 conv weights");
    const int8_t *wd = (const int8_t *)w->data;
    int8_t *flipped = NULL;
    if (qp->w_u8) {
        const size_t n = (size_t)pml_shape_numel(w->rank, w->dims);
        if (!(flipped = (int8_t *)malloc(n ? n : 1)))
            return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing int8 conv weights");
        pml_q8_flip((const uint8_t *)w->data, flipped, n);
        wd = flipped;
    }
    if (st->depthwise) pml_qs8_dwconv_pack(g, wd, &qp->q, st->packed);
    else pml_qs8_conv_pack(ctx->config->qs8->mm, g, wd, &qp->q, st->packed);
    free(flipped);
    return PML_OK;
}

/* The 3-channel stems (1-4 input channels, zero weight zero points) on the configuration's
 * direct kernel, x of either dtype read by the stem driver's padded copy (no flip scratch).
 * Returns 1 when taken (st->stem set, weights packed or an error in *s), 0 otherwise. */
static int conv_q8_prepare_stem(pml_kernel_ctx *ctx, conv_q8_state *st, const pml_q8_params *qp, pml_status *s) {
    const pml_qs8_gemm_kernels *kern = ctx->config->qs8->mm;
    *s = PML_OK;
    if (!kern->stem || qp->w_u8 || !pml_qs8_stem_eligible(&st->g, &qp->q)) return 0;
    st->stem = 1;
    if (!(st->packed = pml_aligned_alloc(pml_qs8_stem_packed_bytes(&st->g)))) {
        *s = pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing int8 conv weights");
        return 1;
    }
    pml_qs8_stem_pack(&st->g, (const int8_t *)ctx->in[1]->data, &qp->q, st->packed);
    st->threads = pml_threadpool_size(ctx->pool);
    ctx->scratch_size = round64(pml_qs8_stem_scratch_bytes(&st->g));
    return 1;
}

static pml_status conv_q8_prepare(pml_kernel_ctx *ctx) {
    conv_q8_state *st = (conv_q8_state *)pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for int8 conv state");
    memset(st, 0, sizeof *st);
    pml_status s = conv_q8_parse(ctx, &st->g);
    if (s) return s;
    const pml_tensor *w = ctx->in[1], *b = ctx->n_in > 2 ? ctx->in[2] : NULL;
    if (!w->data || !w->is_const || (b && (!b->data || !b->is_const)))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized Conv needs constant weights and bias");
    pml_q8_params qp;
    if ((s = pml_q8_params_init(ctx, ctx->in[0], w, b, ctx->out[0], st->g.cout, 0, 0, &qp))) return s;
    if (ctx->in[0]->dtype == PML_INT16) { /* the int64 accumulator kernel reads w and qp at run */
        st->s16 = 1;
        st->qp = qp;
        return PML_OK;
    }
    if (qp.x_u8) { /* TFLite's uint8 conv: one multiplier from the float product of the scales */
        pml_q8_params_free(&qp);
        if ((s = pml_q8_params_init(ctx, ctx->in[0], w, b, ctx->out[0], st->g.cout, 0, 1, &qp))) return s;
    }
    const pml_qs8_gemm_kernels *kern = ctx->config->qs8->mm;
    st->depthwise = pml_qs8_dwconv_eligible(&st->g) && kern->dwconv;
    st->x_u8 = qp.x_u8;
    if (!st->depthwise && conv_q8_prepare_stem(ctx, st, &qp, &s)) {
        pml_q8_params_free(&qp);
        return s;
    }
    s = conv_q8_pack_weights(ctx, st, &qp);
    pml_q8_params_free(&qp);
    if (s) return s;
    st->threads = pml_threadpool_size(ctx->pool);
    st->x_direct = st->x_u8 && !st->depthwise && pml_qs8_conv_takes_u8(&st->g, st->packed);
    st->x_bytes = st->x_u8 && !st->x_direct ? round64((size_t)pml_shape_numel(4, ctx->in[0]->dims)) : 0;
    st->thread_bytes = st->depthwise ? 0 : round64(pml_qs8_conv_scratch_bytes(kern, &st->g));
    ctx->scratch_size = st->x_bytes + st->thread_bytes * (size_t)st->threads;
    return PML_OK;
}

static pml_status conv_q8_run(pml_kernel_ctx *ctx) {
    const conv_q8_state *st = (const conv_q8_state *)ctx->state;
    if (st->g.n == 0) return PML_OK;
    if (st->s16) { /* single-threaded scalar: no int16x8 SIMD kernel yet */
        pml_qs16_conv_ref(&st->g, (const int16_t *)ctx->in[0]->data, (const int8_t *)ctx->in[1]->data,
                          st->qp.bias64, &st->qp.q.rq, (int16_t *)ctx->out[0]->data);
        return PML_OK;
    }
    if (pml_threadpool_size(ctx->pool) > st->threads) /* per-thread scratch was sized in prepare */
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    const pml_qs8_gemm_kernels *kern = ctx->config->qs8->mm;
    const int8_t *x = (const int8_t *)ctx->in[0]->data;
    char *scratch = (char *)ctx->scratch;
    if (st->stem) {
        pml_qs8_stem_run(kern, &st->g, ctx->in[0]->data, st->x_u8, st->packed, ctx->out[0]->data, ctx->pool, scratch);
        return PML_OK;
    }
    if (st->x_direct) {
        pml_qu8_conv_run(kern, &st->g, (const uint8_t *)ctx->in[0]->data, st->packed, ctx->out[0]->data, ctx->pool,
                         scratch);
        return PML_OK;
    }
    if (st->x_u8) {
        pml_q8_flip((const uint8_t *)ctx->in[0]->data, (int8_t *)scratch,
                    (size_t)pml_shape_numel(4, ctx->in[0]->dims));
        x = (const int8_t *)scratch;
    }
    if (st->depthwise) pml_qs8_dwconv_run(kern, &st->g, x, st->packed, ctx->out[0]->data, ctx->pool);
    else pml_qs8_conv_run(kern, &st->g, x, st->packed, ctx->out[0]->data, ctx->pool, scratch + st->x_bytes);
    return PML_OK;
}

const pml_op_def pml_conv_q8_def = {PML_OP_CONV, conv_q8_infer, conv_q8_prepare, conv_q8_run, conv_q8_release,
                                    NULL, NULL};
