/*
 * ops/conv.c — the conv op family: Conv and ConvTranspose (NHWC, fused
 * activation). Semantics: src/pocketml/ops/conv.py.
 *
 * infer validates every shape and attribute (conv_parse) so that no kernel
 * index can leave its tensor. prepare picks one path per node:
 *   depthwise  group == Cin == Cout: direct NHWC kernel over channels
 *   gemm       everything else: per group, y[M = N*OH*OW, Cout/g] =
 *              patches[M, KH*KW*Cin/g] @ W; 1x1/stride-1/unpadded convs read x
 *              in place; one-group convs whose patch fits one K block (stems,
 *              strided 1x1) run implicit-GEMM tiles that read patches in place
 *              (kernels/conv/conv_direct.c); the rest im2col one M x K block at a
 *              time into per-thread scratch (the GEMM driver's pack_a)
 *   transpose  ConvTranspose: per group cols = x @ W[Cin/g, KH*KW*Cout/g] on a
 *              chunk of input rows, overlap-added (col2im) into y, then one
 *              bias + activation pass
 * Conv also takes an optional residual `sum` (y's shape, added before the
 * activation, like onnxruntime's FusedConv Z) and a per-channel PRelu slope
 * (act = prelu). The GEMM and implicit-GEMM micro-kernels apply both to each
 * tile in registers before storing it (pml_activation's has_sum/slope), so
 * Conv -> Add -> PRelu writes y once; the depthwise path runs
 * one sum_act pass over each block of rows right after computing it.
 * Constant weights (and bias) are packed once per session by pack, which
 * reads only the weights, bias and attributes (the layout depends on them
 * and the configuration, never on x's shape), and every plan shares them; otherwise
 * they are packed into arena scratch at the start of every run.
 *
 * float16 nodes run these float32 functions through ops/f16_bridge.c (widened
 * operands, bias, residual and activation in float32, one rounding of y).
 *
 * CausalConvWithState lives in ops/conv_causal.c, DeformConv in ops/conv_deform.c, ConvInteger in
 * ops/conv_integer.c.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/conv/conv.h"
#include "conv_geometry.h"
#include "f16_bridge.h"
#include "q8_params.h"
#include "validate.h"
#include "kernels/conv/conv_direct.h"
#include "kernels/matmul/gemm.h"

enum { PATH_DW, PATH_GEMM, PATH_T_GEMM };

/* Floats of ConvTranspose's cols buffer per chunk (4 MiB). */
#define CONVT_COLS_FLOATS ((int64_t)1 << 20)

typedef struct conv_state {
    pml_conv_geom g;
    pml_activation act;
    int path;
    const pml_f32_kernels *kern;
    int direct;             /* gemm path reads x in place (1x1, stride 1, no pads) */
    int implicit;           /* gemm path runs implicit-GEMM conv tiles (kernels/conv/conv_direct.c) */
    int epilogue;           /* sum input or prelu */
    pml_activation kernel_act; /* depthwise/reference kernels: none when epilogue (a sum_act pass follows) */
    const float *packed;    /* weights packed by pack (ctx->packed, not owned); NULL: per run into scratch */
    size_t group_floats;    /* packed floats of one group (multiple of 16: keeps 64-byte alignment) */
    size_t packed_floats;
    size_t gemm_scratch;    /* floats per thread */
    int threads;
    int64_t chunk_rows;     /* transpose: input rows per cols chunk */
    size_t off_gemm, off_cols; /* scratch offsets in floats; packed weights (if any) at 0 */
} conv_state;

/* ---- validation ------------------------------------------------------------------ */

/* The node's fused activation; Conv alone may use prelu (slope = input 4, set at run time). */
static pml_status conv_activation(const pml_kernel_ctx *ctx, int transpose, pml_activation *act) {
    if (!transpose && pml_attr_int(ctx->node, "act", PML_ACT_NONE) == PML_ACT_PRELU) {
        memset(act, 0, sizeof *act);
        act->kind = PML_ACT_PRELU;
        if (ctx->n_in < 5 || !ctx->in[4])
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "act=prelu needs the slope input (input 4)");
        return PML_OK;
    }
    return pml_activation_from_node(ctx, act);
}

/* The optional residual (input 3, y's shape) and prelu slope (input 4, [Cout]). */
static pml_status conv_check_extras(const pml_kernel_ctx *ctx, const pml_conv_geom *g, const pml_activation *act) {
    char buf[160];
    pml_status s;
    if (ctx->n_in > 3 && ctx->in[3]) {
        if ((s = pml_check_f32_input(ctx, 3, "sum", 4))) return s;
        const int64_t *d = ctx->in[3]->dims;
        if (d[0] != g->n || d[1] != g->oh || d[2] != g->ow || d[3] != g->cout)
            return pml_node_error(ctx, PML_ERR_SHAPE, "sum %s must have the output's shape [%lld,%lld,%lld,%lld]",
                                  pml_shape_str(4, d, buf, sizeof buf), (long long)g->n, (long long)g->oh,
                                  (long long)g->ow, (long long)g->cout);
    }
    if (ctx->n_in > 4 && ctx->in[4]) {
        if (act->kind != PML_ACT_PRELU)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "a slope input (4) needs act=prelu (%d), got act=%d",
                                  PML_ACT_PRELU, act->kind);
        if ((s = pml_check_f32_input(ctx, 4, "slope", 1))) return s;
        if (ctx->in[4]->dims[0] != g->cout)
            return pml_node_error(ctx, PML_ERR_SHAPE, "slope shape [%lld] must be [%lld] (Cout)",
                                  (long long)ctx->in[4]->dims[0], (long long)g->cout);
    }
    return PML_OK;
}

/* Geometry of a Conv-like node (x NHWC and w OHWI, or ConvTranspose's [Cin,KH,KW,Cout/g],
 * both rank 4 with valid dims): attributes, groups and output size, all checked. Shared with
 * ConvInteger (ops/conv_integer.c). */
pml_status pml_conv_nhwc_inputs(const pml_kernel_ctx *ctx, const pml_tensor **x, const pml_tensor **w) {
    char buf[160];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", x)) || (s = pml_ew_input(ctx, 1, "w", w))) return s;
    if ((*x)->rank != 4 || (*w)->rank != 4)
        return pml_node_error(ctx, PML_ERR_SHAPE, "x (NHWC) and w (OHWI) must have rank 4, got x %s and w of rank %d",
                              pml_shape_str((*x)->rank, (*x)->dims, buf, sizeof buf), (*w)->rank);
    return PML_OK;
}

pml_status pml_conv_geometry(const pml_kernel_ctx *ctx, int transpose, pml_conv_geom *g) {
    static const int64_t one2[2] = {1, 1}, zero4[4] = {0, 0, 0, 0}, zero2[2] = {0, 0};
    char bx[160], bw[160];
    pml_status s;
    const pml_tensor *x = ctx->in[0], *w = ctx->in[1];
    int64_t st[2], dil[2], pads[4], opad[2] = {0, 0}, group;
    if ((s = pml_attr_ints_checked(ctx, "strides", 2, one2, 1, PML_MAX_WINDOW_ATTR, st)) ||
        (s = pml_attr_ints_checked(ctx, "dilations", 2, one2, 1, PML_MAX_WINDOW_ATTR, dil)) ||
        (s = pml_attr_ints_checked(ctx, "pads", 4, zero4, 0, PML_MAX_WINDOW_ATTR, pads)) ||
        (s = pml_attr_int_checked(ctx, "group", 1, 1, PML_MAX_DIM, &group)))
        return s;
    if (transpose && (s = pml_attr_ints_checked(ctx, "output_padding", 2, zero2, 0, PML_MAX_WINDOW_ATTR, opad)))
        return s;
    memset(g, 0, sizeof *g);
    g->n = x->dims[0], g->h = x->dims[1], g->w = x->dims[2], g->cin = x->dims[3];
    g->sh = st[0], g->sw = st[1], g->dh = dil[0], g->dw = dil[1];
    g->pt = pads[0], g->pl = pads[1], g->pb = pads[2], g->pr = pads[3];
    g->oph = opad[0], g->opw = opad[1];
    g->group = group;
    g->kh = w->dims[1], g->kw = w->dims[2];
    int64_t auto_pad = 0; /* 1 SAME_UPPER, 2 SAME_LOWER: the pads follow this input's size */
    if (!transpose && (s = pml_attr_int_checked(ctx, "auto_pad", 0, 0, 2, &auto_pad))) return s;
    if (auto_pad) {
        pml_same_pads(g->h, g->kh, g->sh, g->dh, auto_pad == 2, &g->pt, &g->pb);
        pml_same_pads(g->w, g->kw, g->sw, g->dw, auto_pad == 2, &g->pl, &g->pr);
    }
    pml_shape_str(x->rank, x->dims, bx, sizeof bx);
    pml_shape_str(w->rank, w->dims, bw, sizeof bw);
    if (g->h < 1 || g->w < 1 || g->cin < 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "x %s (NHWC) needs H, W and C >= 1", bx);
    if (g->kh < 1 || g->kw < 1 || w->dims[0] < 1 || w->dims[3] < 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "weight %s has an empty dimension", bw);
    if (g->cin % group)
        return pml_node_error(ctx, PML_ERR_SHAPE, "x %s has %lld channels, not divisible by group=%lld", bx,
                              (long long)g->cin, (long long)group);
    g->cg = g->cin / group;
    if (!transpose) {
        g->cout = w->dims[0];
        if (g->cout % group || w->dims[3] != g->cg)
            return pml_node_error(ctx, PML_ERR_SHAPE,
                                  "x %s, group=%lld, weight OHWI %s: need Cout%%group==0 and weight last dim "
                                  "Cin/group=%lld",
                                  bx, (long long)group, bw, (long long)g->cg);
        g->coutg = g->cout / group;
        g->oh = pml_window_out(g->h, g->kh, g->sh, g->dh, g->pt, g->pb, 0);
        g->ow = pml_window_out(g->w, g->kw, g->sw, g->dw, g->pl, g->pr, 0);
        if (g->oh < 1 || g->ow < 1) return pml_window_too_large(ctx, x, g->kh, g->kw, g->dh, g->dw, pads);
    } else {
        if (w->dims[0] != g->cin)
            return pml_node_error(ctx, PML_ERR_SHAPE,
                                  "x %s, weight [Cin,KH,KW,Cout/group] %s: weight dim 0 must equal Cin=%lld", bx, bw,
                                  (long long)g->cin);
        g->coutg = w->dims[3];
        g->cout = g->coutg * group;
        for (int i = 0; i < 2; i++)
            if (opad[i] >= (st[i] > dil[i] ? st[i] : dil[i]))
                return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                                      "output_padding [%lld,%lld] must be smaller than stride or dilation",
                                      (long long)opad[0], (long long)opad[1]);
        g->oh = (g->h - 1) * g->sh - g->pt - g->pb + g->dh * (g->kh - 1) + 1 + g->oph;
        g->ow = (g->w - 1) * g->sw - g->pl - g->pr + g->dw * (g->kw - 1) + 1 + g->opw;
        if (g->oh < 1 || g->ow < 1)
            return pml_node_error(ctx, PML_ERR_SHAPE, "output spatial size %lldx%lld < 1 (x %s, pads too large)",
                                  (long long)g->oh, (long long)g->ow, bx);
    }
    return PML_OK;
}

static pml_status conv_parse(const pml_kernel_ctx *ctx, int transpose, pml_conv_geom *g) {
    pml_status s;
    if ((s = pml_check_f32_input(ctx, 0, "x", 4)) || (s = pml_check_f32_input(ctx, 1, "w", 4))) return s;
    const pml_tensor *b = ctx->n_in > 2 ? ctx->in[2] : NULL;
    pml_activation act;
    if ((s = conv_activation(ctx, transpose, &act)) || (s = pml_conv_geometry(ctx, transpose, g))) return s;
    if (b) {
        if ((s = pml_check_f32_input(ctx, 2, "b", 1))) return s;
        if (b->dims[0] != g->cout)
            return pml_node_error(ctx, PML_ERR_SHAPE, "bias shape [%lld] must be [%lld] (Cout)",
                                  (long long)b->dims[0], (long long)g->cout);
    }
    return transpose ? PML_OK : conv_check_extras(ctx, g, &act);
}

static pml_status conv_infer_common(pml_kernel_ctx *ctx, int transpose) {
    pml_conv_geom g;
    pml_status s = conv_parse(ctx, transpose, &g);
    if (s) return s;
    const int64_t dims[4] = {g.n, g.oh, g.ow, g.cout};
    return pml_set_f32_output(ctx, 4, dims);
}

static pml_status conv_infer(pml_kernel_ctx *ctx) { return conv_infer_common(ctx, 0); }
static pml_status conv_transpose_infer(pml_kernel_ctx *ctx) { return conv_infer_common(ctx, 1); }

/* ---- packing ------------------------------------------------------------------------- */

static void conv_pack(const conv_state *st, const float *w, const float *b, float *out) {
    const pml_conv_geom *g = &st->g;
    if (st->path == PATH_DW) {
        pml_dwconv_pack(g, w, b, out);
        return;
    }
    for (int64_t grp = 0; grp < g->group; grp++) {
        float *dst = out + (size_t)grp * st->group_floats;
        if (st->path == PATH_GEMM) {
            /* B[k = (kh,kw,ci)][n = co] = w[grp*coutg + co][kh][kw][ci] */
            const int64_t k = g->kh * g->kw * g->cg;
            pml_gemm_pack_b(w + grp * g->coutg * k, k, g->coutg, 1, k, 1.0f, b ? b + grp * g->coutg : NULL, 1, 1.0f,
                            dst);
        } else {
            /* B[k = ci][n = (kh,kw,co)] = w[grp*cg + ci][kh][kw][co]; bias comes later */
            const int64_t ng = g->kh * g->kw * g->coutg;
            pml_gemm_pack_b(w + grp * g->cg * ng, g->cg, ng, ng, 1, 1.0f, NULL, 0, 0.0f, dst);
        }
    }
}

/* Path and packed layout from the kernel table and the weight-derived
 * geometry (group, cg, coutg, cout, kh, kw): shared by pack and prepare. */
static void conv_layout(conv_state *st, int transpose) {
    const pml_conv_geom *g = &st->g;
    if (transpose) {
        st->path = PATH_T_GEMM;
        st->group_floats = pml_gemm_packed_floats(g->cg, g->kh * g->kw * g->coutg);
    } else if (g->cg == 1 && g->coutg == 1 && st->kern->dwconv) {
        st->path = PATH_DW;
        st->group_floats = (size_t)((g->kh * g->kw + 1) * pml_dwconv_c_pad(g->cout));
    } else {
        st->path = PATH_GEMM;
        st->group_floats = pml_gemm_packed_floats(g->kh * g->kw * g->cg, g->coutg);
    }
    st->packed_floats = st->path == PATH_DW ? st->group_floats : st->group_floats * (size_t)g->group;
}

/* ctx->packed: the weights packed by conv_pack, with what they were packed for. */
typedef struct conv_packed {
    int path, has_bias;
    int64_t group, cg, coutg, cout, kh, kw;
    size_t group_floats, packed_floats;
    float *data; /* 64-aligned, inside the same block */
} conv_packed;

#define CONV_PACKED_HEADER ((sizeof(conv_packed) + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN)

static int f32_const(const pml_tensor *t, int rank) {
    return t && t->is_const && t->data && t->dtype == PML_FLOAT32 && t->rank == rank;
}

/* Shape-independent: packs constant weights (and Conv's constant bias) from
 * the weight shape and attributes only. Anything unusual is left to
 * infer/prepare (no packing). */
static pml_status conv_pack_common(pml_kernel_ctx *ctx, int transpose) {
    conv_state st;
    memset(&st, 0, sizeof st);
    st.kern = ctx->config->f32.mm;
    const pml_tensor *w = ctx->n_in > 1 ? ctx->in[1] : NULL, *b = ctx->n_in > 2 ? ctx->in[2] : NULL;
    if (!f32_const(w, 4)) return PML_OK;
    /* ConvTranspose adds its bias after col2im, so only Conv packs b */
    const int has_bias = !transpose && b;
    if (has_bias && !f32_const(b, 1)) return PML_OK;
    pml_conv_geom *g = &st.g;
    g->group = pml_attr_int(ctx->node, "group", 1);
    g->kh = w->dims[1], g->kw = w->dims[2];
    if (g->group < 1 || g->group > PML_MAX_DIM || w->dims[0] < 1 || g->kh < 1 || g->kw < 1 || w->dims[3] < 1)
        return PML_OK;
    if (!transpose) {
        g->cout = w->dims[0], g->cg = w->dims[3];
        if (g->cout % g->group) return PML_OK;
        g->coutg = g->cout / g->group;
        g->cin = g->cg * g->group;
        if (has_bias && b->dims[0] != g->cout) return PML_OK;
    } else {
        g->cin = w->dims[0];
        if (g->cin % g->group) return PML_OK;
        g->cg = g->cin / g->group;
        g->coutg = w->dims[3];
        g->cout = g->coutg * g->group;
    }
    conv_layout(&st, transpose);
    conv_packed *pk = (conv_packed *)pml_aligned_alloc(CONV_PACKED_HEADER + st.packed_floats * sizeof(float));
    if (!pk) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing conv weights");
    pk->path = st.path, pk->has_bias = has_bias;
    pk->group = g->group, pk->cg = g->cg, pk->coutg = g->coutg, pk->cout = g->cout, pk->kh = g->kh, pk->kw = g->kw;
    pk->group_floats = st.group_floats, pk->packed_floats = st.packed_floats;
    pk->data = (float *)((char *)pk + CONV_PACKED_HEADER);
    conv_pack(&st, (const float *)w->data, has_bias ? (const float *)b->data : NULL, pk->data);
    ctx->packed = pk;
    ctx->packed_size = CONV_PACKED_HEADER + st.packed_floats * sizeof(float);
    return PML_OK;
}

static pml_status conv_pack_op(pml_kernel_ctx *ctx) { return conv_pack_common(ctx, 0); }
static pml_status conv_transpose_pack(pml_kernel_ctx *ctx) { return conv_pack_common(ctx, 1); }

static void conv_unpack(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->packed);
    ctx->packed = NULL;
    ctx->packed_size = 0;
}

/* ---- prepare / release ------------------------------------------------------------------ */

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

static void conv_pack_a(const void *arg, int64_t grp, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst,
                        int64_t ld);

static pml_status conv_prepare_common(pml_kernel_ctx *ctx, int transpose) {
    conv_state *st = (conv_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for conv state");
    ctx->state = st;
    ctx->state_size = sizeof *st;
    pml_status s = conv_parse(ctx, transpose, &st->g);
    if (s || (s = conv_activation(ctx, transpose, &st->act))) return s;
    const pml_conv_geom *g = &st->g;
    st->epilogue = !transpose && ((ctx->n_in > 3 && ctx->in[3]) || st->act.kind == PML_ACT_PRELU);
    st->kernel_act = st->act;
    if (st->epilogue) memset(&st->kernel_act, 0, sizeof st->kernel_act);
    st->kern = ctx->config->f32.mm;
    st->threads = pml_threadpool_size(ctx->pool);
    size_t cols = 0;
    conv_layout(st, transpose);
    if (st->path == PATH_T_GEMM) {
        const int64_t row_floats = g->w * g->kh * g->kw * g->coutg;
        st->chunk_rows = row_floats > 0 ? CONVT_COLS_FLOATS / row_floats : 1; /* an empty width or channel */
        if (st->chunk_rows < 1) st->chunk_rows = 1;
        if (st->chunk_rows > g->h) st->chunk_rows = g->h;
        cols = round16((size_t)(st->chunk_rows * row_floats));
    } else if (st->path == PATH_GEMM) {
        st->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && !g->pt && !g->pl && !g->pb && !g->pr;
        const int64_t k = g->kh * g->kw * g->cg;
        st->implicit = !st->direct && pml_conv_direct_eligible(st->kern, g);
        if (st->implicit) {
            st->gemm_scratch = pml_conv_direct_scratch_floats(st->kern, g);
        } else if (!st->direct) {
            pml_gemm_problem p = {.m = g->n * g->oh * g->ow, .n = g->coutg, .k = k, .batch = g->group,
                                  .pack_a = conv_pack_a};
            st->gemm_scratch = pml_gemm_scratch_floats(st->kern, &p);
        }
    }

    /* constant weights packed once per session by pack, shared by every plan */
    const conv_packed *pk = (const conv_packed *)ctx->packed;
    const int has_bias = !transpose && ctx->n_in > 2 && ctx->in[2];
    size_t packed_scratch = 0;
    if (pk && pk->path == st->path && pk->has_bias == has_bias && pk->group == g->group && pk->cg == g->cg &&
        pk->coutg == g->coutg && pk->cout == g->cout && pk->kh == g->kh && pk->kw == g->kw &&
        pk->group_floats == st->group_floats && pk->packed_floats == st->packed_floats) {
        st->packed = pk->data;
    } else {
        packed_scratch = round16(st->packed_floats);
    }
    st->off_gemm = packed_scratch;
    st->off_cols = st->off_gemm + st->gemm_scratch * (size_t)st->threads;
    ctx->scratch_size = (st->off_cols + cols) * sizeof(float);
    return PML_OK;
}

static pml_status conv_prepare(pml_kernel_ctx *ctx) { return conv_prepare_common(ctx, 0); }
static pml_status conv_transpose_prepare(pml_kernel_ctx *ctx) { return conv_prepare_common(ctx, 1); }

static void conv_release(pml_kernel_ctx *ctx) {
    conv_state *st = (conv_state *)ctx->state;
    pml_aligned_free(st); /* st->packed belongs to ctx->packed */
    ctx->state = NULL;
    ctx->state_size = 0;
}

/* ---- run ------------------------------------------------------------------------------ */

typedef struct conv_run_ctx {
    const conv_state *st;
    const float *x, *packed;
    float *y;
    float *scratch;     /* the node's arena scratch */
    pml_activation act; /* the full epilogue (prelu: slope of channel 0; has_sum) for the tile kernels */
} conv_run_ctx;

/* Output rows [r0, r1) of the flattened [N*OH] space that pool task `task` of
 * 4 per thread computes; 0 if the task has none. */
static int task_rows(const conv_state *st, int64_t task, int64_t *r0, int64_t *r1) {
    const int64_t rows = st->g.n * st->g.oh, per = (rows + 4 * st->threads - 1) / (4 * st->threads);
    *r0 = task * per;
    *r1 = *r0 + per < rows ? *r0 + per : rows;
    return *r0 < *r1;
}

static void conv_batch_ptrs(const void *arg, int64_t grp, const float **a, const float **b, float **c) {
    const conv_run_ctx *rc = (const conv_run_ctx *)arg;
    const pml_conv_geom *g = &rc->st->g;
    *a = rc->x + grp * g->cg;
    *b = rc->packed + (size_t)grp * rc->st->group_floats;
    *c = rc->y + grp * g->coutg;
}

static void conv_pack_a(const void *arg, int64_t grp, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst,
                        int64_t ld) {
    const conv_run_ctx *rc = (const conv_run_ctx *)arg;
    pml_f32_im2col(&rc->st->g, rc->x, grp, m0, mb, k0, kcb, dst, ld);
}

static void dw_task(void *arg, int64_t task, int thread) {
    const conv_run_ctx *rc = (const conv_run_ctx *)arg;
    const pml_conv_geom *g = &rc->st->g;
    int64_t r0, r1;
    (void)thread;
    if (!task_rows(rc->st, task, &r0, &r1)) return;
    rc->st->kern->dwconv(g, rc->x, rc->packed, rc->y, r0, r1, &rc->st->kernel_act);
    if (rc->st->epilogue) /* residual/PRelu over these rows while they are in cache */
        rc->st->kern->sum_act(rc->y + r0 * g->ow * g->cout, (r1 - r0) * g->ow, g->cout, g->cout, &rc->act);
}

static void implicit_task(void *arg, int64_t task, int thread) {
    const conv_run_ctx *rc = (const conv_run_ctx *)arg;
    const conv_state *st = rc->st;
    const pml_conv_geom *g = &st->g;
    int64_t r0, r1;
    if (!task_rows(st, task, &r0, &r1)) return;
    pml_f32_conv_direct_rows(st->kern, g, rc->x, rc->packed, rc->y, r0, r1,
                             pml_f32_offset(rc->scratch, st->off_gemm + (size_t)thread * st->gemm_scratch), &rc->act);
}

static void conv_transpose_gemm(const conv_state *st, const float *x, const float *packed, float *y, float *scratch,
                                pml_threadpool *pool, const float *bias) {
    const pml_conv_geom *g = &st->g;
    float *cols = pml_f32_offset(scratch, st->off_cols);
    memset(y, 0, (size_t)(g->n * g->oh * g->ow * g->cout) * sizeof(float));
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t ih0 = 0; ih0 < g->h; ih0 += st->chunk_rows) {
            const int64_t ih1 = ih0 + st->chunk_rows < g->h ? ih0 + st->chunk_rows : g->h;
            for (int64_t grp = 0; grp < g->group; grp++) {
                pml_gemm_problem p = {.m = (ih1 - ih0) * g->w, .n = g->kh * g->kw * g->coutg, .k = g->cg, .batch = 1,
                                      .a = x + ((n * g->h + ih0) * g->w) * g->cin + grp * g->cg, .lda = g->cin,
                                      .packed_b = packed + (size_t)grp * st->group_floats, .c = cols,
                                      .ldc = g->kh * g->kw * g->coutg};
                pml_gemm_run(st->kern, &p, pool, NULL);
                pml_f32_col2im_add(g, cols, n, ih0, ih1, grp, y);
            }
        }
    if (bias || st->act.kind != PML_ACT_NONE)
        st->kern->bias_act(y, g->n * g->oh * g->ow, g->cout, g->cout, bias, &st->act);
}

static pml_status conv_run(pml_kernel_ctx *ctx) {
    const conv_state *st = (const conv_state *)ctx->state;
    const pml_conv_geom *g = &st->g;
    const float *x = (const float *)ctx->in[0]->data, *w = (const float *)ctx->in[1]->data;
    const float *b = ctx->n_in > 2 && ctx->in[2] ? (const float *)ctx->in[2]->data : NULL;
    float *y = (float *)ctx->out[0]->data;
    float *scratch = (float *)ctx->scratch;
    if (g->n == 0) return PML_OK;
    if (pml_threadpool_size(ctx->pool) > st->threads) /* per-thread scratch was sized in prepare */
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    conv_run_ctx rc = {st, x, NULL, y, scratch, st->act};
    if (st->act.kind == PML_ACT_PRELU) rc.act.slope = (const float *)ctx->in[4]->data;
    if (ctx->n_in > 3 && ctx->in[3]) { /* the residual, read at a fixed offset from each output element */
        rc.act.has_sum = 1;
        rc.act.sum_offset = (const float *)ctx->in[3]->data - y;
    }
    const float *packed = st->packed;
    if (!packed) {
        conv_pack(st, w, b, scratch);
        packed = scratch;
    }
    rc.packed = packed;
    if (st->path == PATH_DW) {
        pml_parallel_for(ctx->pool, 4 * (int64_t)st->threads, dw_task, &rc);
    } else if (st->implicit) {
        pml_parallel_for(ctx->pool, 4 * (int64_t)st->threads, implicit_task, &rc);
    } else if (st->path == PATH_GEMM) {
        pml_gemm_problem p = {.m = g->n * g->oh * g->ow, .n = g->coutg, .k = g->kh * g->kw * g->cg,
                              .batch = g->group, .a = x, .lda = g->cin, .packed_b = packed, .c = y, .ldc = g->cout,
                              .batch_ptrs = conv_batch_ptrs, .pack_a = st->direct ? NULL : conv_pack_a, .cb_ctx = &rc,
                              .act = rc.act, .batch_cols = g->coutg};
        pml_gemm_run(st->kern, &p, ctx->pool, pml_f32_offset(scratch, st->off_gemm));
    } else {
        conv_transpose_gemm(st, x, packed, y, scratch, ctx->pool, b);
    }
    return PML_OK;
}

static const pml_op_def k_conv_f32 = {PML_OP_CONV, conv_infer, conv_prepare, conv_run, conv_release,
                                      conv_pack_op, conv_unpack};
static const pml_op_def k_conv_transpose_f32 = {PML_OP_CONVTRANSPOSE, conv_transpose_infer,
                                                conv_transpose_prepare, conv_run, conv_release,
                                                conv_transpose_pack, conv_unpack};
/* float16 nodes run the float32 functions above on widened operands (ops/f16_bridge.c) */
PML_F16_BRIDGED(k_conv, PML_OP_CONV, k_conv_f32, 1u << 1 | 1u << 2); /* w, b */
PML_F16_BRIDGED(k_conv_transpose, PML_OP_CONVTRANSPOSE, k_conv_transpose_f32, 1u << 1); /* w; b is added at run */

extern const pml_op_def pml_col2im_def;      /* ops/conv_col2im.c */
extern const pml_op_def pml_causal_conv_def; /* ops/conv_causal.c */
extern const pml_op_def pml_deform_conv_f32_def; /* ops/conv_deform.c */
PML_F16_BRIDGED(k_deform_conv, PML_OP_DEFORMCONV, pml_deform_conv_f32_def, 0);
extern const pml_op_def pml_conv_integer_def; /* ops/conv_integer.c */

extern const pml_op_def pml_conv_q8_def; /* ops/conv_q8.c: int8/uint8 nodes */
PML_Q8_ROUTED(k_conv_any, PML_OP_CONV, pml_conv_q8_def, k_conv);

const pml_op_def *const pml_conv_ops[] = {&k_conv_any, &k_conv_transpose, &pml_col2im_def, &pml_causal_conv_def,
                                          &k_deform_conv, &pml_conv_integer_def, NULL};
