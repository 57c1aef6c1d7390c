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
 * except a uint8 x of a GEMM conv whose weights run on the u8 x s8 tiles, or of a depthwise
 * conv on the row kernel: their operand is uint8, so x goes in as it is.
 * TFLite int16x8 (int16 x and y, int8 w, int64 accumulator) runs the scalar int64 kernel of
 * kernels/conv/s8_conv.h on the unpacked weights, on one thread (no SIMD kernel yet).
 *
 * A residual Add folded into the conv (input 3, passes/fuse_conv_residual_q8.py): the node's
 * sum_scale / sum_zero_point are the quantization of the conv's own output, which no tensor
 * holds any more (packed as the requantization, clamped to the dtype: the conv had no
 * activation), sum_requant the Add's semantics, act the Add's activation; y and input 3 keep
 * their own parameters. The GEMM convs run the Add in their epilogue where the configuration
 * says that is faster (pml_qs8_gemm_kernels.add_in_epilogue); depthwise convs and the others
 * write the conv's output to scratch and run the Add kernel over it (the same arithmetic).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "conv_geometry.h"
#include "kernels/config.h"
#include "kernels/conv/s8_conv.h"
#include "kernels/quant/qelementwise.h"
#include "elementwise_q8.h"
#include "q8_params.h"
#include "validate.h"

typedef struct conv_q8_state {
    pml_conv_geom g;
    int depthwise;
    int stem;               /* the direct few-channel kernel (kern->stem); scratch: its padded x */
    int x_u8;
    int x_direct;           /* uint8 x read as it is (u8 x s8 tiles, row depthwise kernel): no flip copy */
    int s16;                /* TFLite int16x8: the scalar int64 kernel over qp (no packing) */
    pml_q8_params qp;       /* int16x8: kept for the run */
    void *packed;           /* pml_aligned_alloc'ed, owned */
    size_t x_bytes;         /* scratch: flipped uint8 x (0 for int8) */
    size_t thread_bytes;    /* the kernels' scratch per thread (ctx->thread_scratch) */
    int threads;
    int sum;                /* a residual Add folded in (input 3) */
    int sum_fused;          /* ... run in the GEMM epilogue; else after the conv, from mid scratch */
    size_t mid_bytes;       /* scratch: the conv's own output when the Add runs after it */
    pml_qbinary_params add; /* the Add: the conv's output (a), input 3 (b), y; the tensors' own domain */
} conv_q8_state;

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

/* ---- the residual Add (input 3) ---------------------------------------------------------- */

static int conv_q8_has_sum(const pml_kernel_ctx *ctx) { return ctx->n_in > 3 && ctx->in[3] != NULL; }

/* Input 3 and the sum_* attributes, before anything trusts them. */
static pml_status conv_q8_sum_check(const pml_kernel_ctx *ctx, const pml_conv_geom *g) {
    const pml_tensor *x = ctx->in[0], *r = ctx->in[3];
    if (x->dtype != PML_INT8 && x->dtype != PML_UINT8)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized Conv's residual sum needs int8 or uint8 x, got %s",
                              pml_dtype_name(x->dtype));
    if (r->dtype != x->dtype || !r->quant || r->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "residual sum '%s' must be %s quantized per tensor, got %s%s",
                              r->name, pml_dtype_name(x->dtype), pml_dtype_name(r->dtype),
                              r->quant ? (r->quant->count != 1 ? " per channel" : "") : " not quantized");
    const int64_t dims[4] = {g->n, g->oh, g->ow, g->cout};
    if (r->rank != 4 || memcmp(r->dims, dims, sizeof dims) != 0)
        return pml_node_error(ctx, PML_ERR_SHAPE, "residual sum '%s' must have the output's shape [%lld,%lld,%lld,%lld]",
                              r->name, (long long)g->n, (long long)g->oh, (long long)g->ow, (long long)g->cout);
    const float scale = pml_attr_float(ctx->node, "sum_scale", 0.0f);
    const int64_t zp = pml_attr_int(ctx->node, "sum_zero_point", 0), mode = pml_attr_int(ctx->node, "sum_requant", 0);
    const int64_t lo = x->dtype == PML_UINT8 ? 0 : -128, hi = x->dtype == PML_UINT8 ? 255 : 127;
    if (!(scale > 0.0f) || !isfinite(scale))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute sum_scale=%g (the conv output's scale before the "
                              "residual Add) must be finite and > 0", (double)scale);
    if (zp < lo || zp > hi)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute sum_zero_point=%lld is outside %s's range",
                              (long long)zp, pml_dtype_name(x->dtype));
    if (mode != PML_REQUANT_FIXED_POINT && mode != PML_REQUANT_FLOAT)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute sum_requant=%lld must be 0 or 1", (long long)mode);
    return PML_OK;
}

/* mid: y as the conv alone would have written it (sum_scale, sum_zero_point). */
static void conv_q8_sum_mid(const pml_kernel_ctx *ctx, pml_tensor *mid, pml_quant *q, float *scale, int32_t *zp) {
    *scale = pml_attr_float(ctx->node, "sum_scale", 0.0f);
    *zp = (int32_t)pml_attr_int(ctx->node, "sum_zero_point", 0);
    *mid = *ctx->out[0];
    q->axis = -1, q->count = 1, q->scale = scale, q->zero_point = zp;
    mid->quant = q;
}

/* After the conv's parameters were built for mid: its clamp is the dtype's (the node's act is
 * the Add's), and the Add's parameters. */
static pml_status conv_q8_sum_prepare(pml_kernel_ctx *ctx, conv_q8_state *st, const pml_tensor *mid,
                                      pml_q8_params *qp) {
    const pml_tensor *r = ctx->in[3], *y = ctx->out[0];
    if (!y->quant || y->quant->count != 1 || y->dtype != mid->dtype)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "output '%s' of a Conv with a quantized residual must be %s "
                              "quantized per tensor", y->name, pml_dtype_name(mid->dtype));
    const int u8 = mid->dtype == PML_UINT8;
    qp->q.rq.qmin = u8 ? 0 : -128, qp->q.rq.qmax = u8 ? 255 : 127;
    int32_t qmin, qmax;
    pml_status s = pml_q8_act_range(ctx, y, &qmin, &qmax);
    if (s) return s;
    if (pml_qbinary_params_init(&st->add, PML_QBIN_ADD, (int)pml_attr_int(ctx->node, "sum_requant", 0), 0,
                                mid->quant->scale[0], mid->quant->zero_point[0], r->quant->scale[0],
                                r->quant->zero_point[0], y->quant->scale[0], y->quant->zero_point[0], qmin, qmax))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
    st->sum = 1;
    return PML_OK;
}

typedef struct conv_q8_sum_job {
    const conv_q8_state *st;
    const pml_qbinary_kernels *k; /* int8: the configuration's Add; NULL: the scalar rows (uint8) */
    const uint8_t *mid, *res;
    uint8_t *y;
    int u8;
} conv_q8_sum_job;

static void conv_q8_sum_range(void *arg, int64_t s, int64_t e) {
    const conv_q8_sum_job *j = (const conv_q8_sum_job *)arg;
    if (j->k) j->k->vv((size_t)(e - s), j->mid + s, j->res + s, j->y + s, &j->st->add);
    else pml_x8_qadd_rows__scalar((size_t)(e - s), j->mid + s, j->res + s, j->y + s, j->u8, &j->st->add);
}

/* The Add after a conv that does not run it in its epilogue: mid (scratch) + input 3 -> y, by
 * the configuration's int8 Add kernel (its parameters are the int8 domain's as they are) or,
 * for uint8, the scalar rows on the stored bytes. */
static void conv_q8_sum_after(pml_kernel_ctx *ctx, const conv_q8_state *st, const void *mid) {
    const int u8 = ctx->out[0]->dtype == PML_UINT8;
    conv_q8_sum_job j = {st, u8 ? NULL : &ctx->config->qs8->binary[PML_QBIN_ADD], (const uint8_t *)mid,
                         (const uint8_t *)ctx->in[3]->data, (uint8_t *)ctx->out[0]->data, u8};
    pml_ew_parallel(ctx, pml_shape_numel(4, ctx->out[0]->dims), PML_EW_PARALLEL_MIN, conv_q8_sum_range, &j);
}

/* ---- the conv ----------------------------------------------------------------------------- */

static pml_status conv_q8_parse(const pml_kernel_ctx *ctx, pml_conv_geom *g) {
    const pml_tensor *x, *w;
    pml_status s;
    if ((s = pml_conv_nhwc_inputs(ctx, &x, &w))) return s;
    if (ctx->n_in > 4 && ctx->in[4])
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "a quantized Conv takes no prelu slope");
    if ((s = pml_conv_geometry(ctx, 0, g))) return s;
    return conv_q8_has_sum(ctx) ? conv_q8_sum_check(ctx, g) : PML_OK;
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
    pml_tensor mid;
    pml_quant mid_q;
    float mid_scale;
    int32_t mid_zp;
    const pml_tensor *yq = ctx->out[0]; /* the quantization the conv itself requantizes to */
    if (conv_q8_has_sum(ctx)) conv_q8_sum_mid(ctx, &mid, &mid_q, &mid_scale, &mid_zp), yq = &mid;
    pml_q8_params qp;
    if ((s = pml_q8_params_init(ctx, ctx->in[0], w, b, yq, st->g.cout, 0, 0, &qp))) return s;
    if (ctx->in[0]->dtype == PML_INT16) { /* the int64 accumulator kernel reads w and qp at run */
        st->s16 = 1;
        st->qp = qp;
        return PML_OK;
    }
    if (qp.x_u8) { /* TFLite's uint8 conv: one multiplier from the float product of the scales */
        pml_q8_params_free(&qp);
        if ((s = pml_q8_params_init(ctx, ctx->in[0], w, b, yq, st->g.cout, 0, 1, &qp))) return s;
    }
    if (yq == &mid && (s = conv_q8_sum_prepare(ctx, st, &mid, &qp))) {
        pml_q8_params_free(&qp);
        return s;
    }
    const pml_qs8_gemm_kernels *kern = ctx->config->qs8->mm;
    st->depthwise = pml_qs8_dwconv_eligible(&st->g) && kern->dwconv;
    st->x_u8 = qp.x_u8;
    /* (a stem with a fused residual Add runs on the GEMM, whose epilogue or mid scratch has it) */
    if (!st->depthwise && !st->sum && conv_q8_prepare_stem(ctx, st, &qp, &s)) {
        pml_q8_params_free(&qp);
        return s;
    }
    s = conv_q8_pack_weights(ctx, st, &qp);
    pml_q8_params_free(&qp);
    if (s) return s;
    st->threads = pml_threadpool_size(ctx->pool);
    /* a uint8 x goes in as it is where the kernel reads it so (the row depthwise kernel is told) */
    st->x_direct = st->x_u8 && (st->depthwise ? pml_qs8_dwconv_take_u8(kern, &st->g, st->packed)
                                              : pml_qs8_conv_takes_u8(&st->g, st->packed));
    st->x_bytes = st->x_u8 && !st->x_direct ? round64((size_t)pml_shape_numel(4, ctx->in[0]->dims)) : 0;
    st->thread_bytes = round64(st->depthwise ? pml_qs8_dwconv_scratch_bytes(kern, &st->g, st->packed)
                                             : pml_qs8_conv_scratch_bytes(kern, &st->g));
    st->sum_fused = st->sum && !st->depthwise && kern->add_in_epilogue;
    st->mid_bytes = st->sum && !st->sum_fused ? round64((size_t)pml_shape_numel(4, ctx->out[0]->dims)) : 0;
    ctx->scratch_size = st->x_bytes + st->mid_bytes;
    ctx->thread_scratch_size = st->thread_bytes;
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
    const pml_qs8_conv_sum sum = {st->sum_fused ? ctx->in[3]->data : NULL, &st->add};
    const pml_qs8_conv_sum *fused = st->sum_fused ? &sum : NULL;
    if (st->x_direct && !st->depthwise) {
        pml_qs8_conv_run_sum(kern, &st->g, x, 1, st->packed, fused, ctx->out[0]->data, ctx->pool, ctx->thread_scratch);
        return PML_OK;
    }
    if (st->x_u8 && !st->x_direct) {
        pml_q8_flip((const uint8_t *)ctx->in[0]->data, (int8_t *)scratch,
                    (size_t)pml_shape_numel(4, ctx->in[0]->dims));
        x = (const int8_t *)scratch;
    }
    void *y = st->mid_bytes ? scratch + st->x_bytes : ctx->out[0]->data; /* mid: the Add runs after */
    if (st->depthwise) pml_qs8_dwconv_run(kern, &st->g, x, st->packed, y, ctx->pool, ctx->thread_scratch);
    else pml_qs8_conv_run_sum(kern, &st->g, x, 0, st->packed, fused, y, ctx->pool, ctx->thread_scratch);
    if (st->mid_bytes) conv_q8_sum_after(ctx, st, y);
    return PML_OK;
}

/* ---- a depthwise conv with the 1x1 conv after it, in bands (pml_qs8_dwpw_run) ---------------- */

/* Node ctx, a depthwise conv, and next, a 1x1 conv reading its output, both on the SIMD kernels
 * with no node scratch (no uint8 flip copy, no residual Add after the conv) and no residual
 * Add on the depthwise one; the pair as the bands will run it. */
static int conv_q8_pair(const pml_kernel_ctx *ctx, const pml_kernel_ctx *next, pml_qs8_dwpw *pair,
                        pml_qs8_conv_sum *sum) {
    const conv_q8_state *dw = (const conv_q8_state *)ctx->state, *pw = (const conv_q8_state *)next->state;
    if (!dw || !pw || !dw->depthwise || dw->s16 || dw->sum || ctx->scratch_size || pw->depthwise || pw->stem ||
        pw->s16 || next->scratch_size || next->in[0] != ctx->out[0] || !pml_qs8_dwpw_eligible(&dw->g, &pw->g))
        return 0;
    *sum = (pml_qs8_conv_sum){pw->sum_fused ? next->in[3]->data : NULL, &pw->add};
    *pair = (pml_qs8_dwpw){&dw->g, &pw->g, dw->packed, pw->packed, pw->x_direct, pw->sum_fused ? sum : NULL};
    return 1;
}

static int conv_q8_fuses_next(const pml_kernel_ctx *ctx, const pml_kernel_ctx *next) {
    pml_qs8_dwpw pair;
    pml_qs8_conv_sum sum;
    /* a quantized Conv node runs here (ops/conv.c routes it): its state is a conv_q8_state */
    return next->node->op == PML_OP_CONV && pml_q8_node(next) && conv_q8_pair(ctx, next, &pair, &sum) &&
           pml_qs8_dwpw_bands(pair.dw, pml_threadpool_size(ctx->pool)) > 0;
}

static pml_status conv_q8_run_with_next(pml_kernel_ctx *ctx, pml_kernel_ctx *next) {
    pml_qs8_dwpw pair;
    pml_qs8_conv_sum sum;
    const conv_q8_state *dw = (const conv_q8_state *)ctx->state, *pw = (const conv_q8_state *)next->state;
    const int threads = pml_threadpool_size(ctx->pool);
    if (!conv_q8_pair(ctx, next, &pair, &sum) || threads > dw->threads || threads > pw->threads)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "the depthwise + 1x1 pair no longer matches its plan");
    if (dw->g.n == 0) return PML_OK;
    /* the plan's per-thread regions, sized for the larger of the two (a configuration
     * without a depthwise row ring asks for none on the first) */
    const pml_thread_scratch ts = next->thread_scratch.base ? next->thread_scratch : ctx->thread_scratch;
    pml_qs8_dwpw_run(ctx->config->qs8->mm, &pair, pml_qs8_dwpw_bands(pair.dw, threads),
                     (const int8_t *)ctx->in[0]->data, ctx->out[0]->data, next->out[0]->data, ctx->pool, ts);
    return PML_OK;
}

const pml_op_def pml_conv_q8_def = {PML_OP_CONV,        conv_q8_infer, conv_q8_prepare,      conv_q8_run,
                                    conv_q8_release,    NULL,          NULL,                 conv_q8_fuses_next,
                                    conv_q8_run_with_next};
