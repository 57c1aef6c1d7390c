/*
 * ops/conv_deform.c — DeformConv (NHWC; semantics in src/pocketml/ops/conv_deform.py).
 *
 * Per group, y[M = N*OH*OW, Cout/g] = S[M, KH*KW*C/g] @ W: the GEMM driver asks for one
 * M block x K block of S at a time (pack_a) and the sampling im2col fills it in per-thread
 * scratch (kernels/conv/f32_deform_im2col__scalar.c: mask-scaled bilinear samples at the
 * offset positions), so S is never materialised whole. The weights are packed into arena
 * scratch at the start of every run (offsets and mask are run-time inputs anyway; the
 * sampling, not the packing, is the cost), the bias rides in the packed panels.
 * infer validates every shape and attribute, so no kernel index leaves its tensor; offset
 * values are data and each tap checks its own position. float16 runs these functions through
 * ops/f16_bridge.c (ops/conv.c publishes the bridged def).
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "kernels/conv/deform.h"
#include "kernels/matmul/gemm.h"
#include "validate.h"

typedef struct deform_state {
    pml_deform_geom d;
    const pml_f32_kernels *kern;
    size_t group_floats; /* packed weights + bias of one group (a multiple of 16 floats) */
    size_t gemm_scratch; /* floats per thread */
    size_t off_gemm;     /* scratch: packed weights at 0, then per-thread GEMM scratch */
    int threads;
} deform_state;

typedef struct deform_run {
    const deform_state *st;
    const float *x, *offset, *mask, *packed;
    float *y;
} deform_run;

/* Input i (a per-output-pixel tensor) must be [N, OH, OW, per * og * KH * KW]. */
static pml_status deform_check_pixels(const pml_kernel_ctx *ctx, int i, const char *role, const pml_conv_geom *g,
                                      int64_t per, int64_t *og) {
    pml_status s = pml_check_f32_input(ctx, i, role, 4);
    if (s) return s;
    const pml_tensor *t = ctx->in[i];
    const int64_t taps = g->kh * g->kw, ch = t->dims[3];
    if (t->dims[0] != g->n || t->dims[1] != g->oh || t->dims[2] != g->ow || ch < 1 || ch % per || ch / per % taps ||
        (*og && ch / per / taps != *og))
        return pml_node_error(ctx, PML_ERR_SHAPE,
                              "%s [%lld, %lld, %lld, %lld] must be [N, OH, OW, offset_group*%lld%s] = [%lld, %lld, %lld, "
                              "%lld*%lld%s] (NHWC)",
                              role, (long long)t->dims[0], (long long)t->dims[1], (long long)t->dims[2], (long long)ch,
                              (long long)taps, per == 2 ? "*2" : "", (long long)g->n, (long long)g->oh,
                              (long long)g->ow, (long long)(*og ? *og : 1), (long long)taps, per == 2 ? "*2" : "");
    *og = ch / per / taps;
    return PML_OK;
}

static pml_status deform_parse(const pml_kernel_ctx *ctx, pml_deform_geom *d) {
    static const int64_t one2[2] = {1, 1}, zero4[4] = {0, 0, 0, 0};
    pml_conv_geom *g = &d->g;
    int64_t st[2], dil[2], pads[4], group, og;
    pml_status s;
    if ((s = pml_check_f32_input(ctx, 0, "x", 4)) || (s = pml_check_f32_input(ctx, 1, "w", 4)) ||
        (s = pml_attr_ints_checked(ctx, "strides", 2, one2, 1, PML_MAX_WINDOW_ATTR, st)) ||
        (s = pml_attr_ints_checked(ctx, "dilations", 2, one2, 1, PML_MAX_WINDOW_ATTR, dil)) ||
        (s = pml_attr_ints_checked(ctx, "pads", 4, zero4, 0, PML_MAX_WINDOW_ATTR, pads)) ||
        (s = pml_attr_int_checked(ctx, "group", 1, 1, PML_MAX_DIM, &group)) ||
        (s = pml_attr_int_checked(ctx, "offset_group", 1, 1, PML_MAX_DIM, &og)))
        return s;
    const pml_tensor *x = ctx->in[0], *w = ctx->in[1];
    memset(d, 0, sizeof *d);
    g->n = x->dims[0], g->h = x->dims[1], g->w = x->dims[2], g->cin = x->dims[3];
    g->sh = st[0], g->sw = st[1], g->dh = dil[0], g->dw = dil[1];
    g->pt = pads[0], g->pl = pads[1], g->pb = pads[2], g->pr = pads[3];
    g->group = group, g->kh = w->dims[1], g->kw = w->dims[2], g->cout = w->dims[0];
    if (g->h < 1 || g->w < 1 || g->cin < 1 || g->kh < 1 || g->kw < 1 || g->cout < 1 || w->dims[3] < 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "x [N,H,W,C] needs H, W, C >= 1 and w [Cout,KH,KW,C/group] no empty dim");
    if (g->cin % group || g->cout % group || w->dims[3] != g->cin / group || g->cin % og)
        return pml_node_error(ctx, PML_ERR_SHAPE,
                              "x has %lld channels, w is [%lld, %lld, %lld, %lld] (OHWI), group=%lld, offset_group=%lld: "
                              "need C%%group==0, C%%offset_group==0, Cout%%group==0 and w's last dim C/group",
                              (long long)g->cin, (long long)w->dims[0], (long long)g->kh, (long long)g->kw,
                              (long long)w->dims[3], (long long)group, (long long)og);
    g->cg = g->cin / group, g->coutg = g->cout / group;
    if (g->kh > PML_MAX_NUMEL / g->kw || g->kh * g->kw > PML_MAX_NUMEL / g->cg) /* K = KH*KW*C/group fits */
        return pml_node_error(ctx, PML_ERR_SHAPE, "w [%lld, %lld, %lld, %lld] is too large", (long long)g->cout,
                              (long long)g->kh, (long long)g->kw, (long long)g->cg);
    g->oh = pml_window_out(g->h, g->kh, g->sh, g->dh, g->pt, g->pb, 0);
    g->ow = pml_window_out(g->w, g->kw, g->sw, g->dw, g->pl, g->pr, 0);
    if (g->oh < 1 || g->ow < 1) return pml_window_too_large(ctx, x, g->kh, g->kw, g->dh, g->dw, pads);
    d->offset_group = og, d->cpog = g->cin / og;
    if ((s = deform_check_pixels(ctx, 2, "offset", g, 2, &og))) return s;
    if (ctx->n_in > 4 && ctx->in[4] && (s = deform_check_pixels(ctx, 4, "mask", g, 1, &og))) return s;
    if (ctx->n_in > 3 && ctx->in[3]) {
        if ((s = pml_check_f32_input(ctx, 3, "b", 1))) return s;
        if (ctx->in[3]->dims[0] != g->cout)
            return pml_node_error(ctx, PML_ERR_SHAPE, "bias shape [%lld] must be [%lld] (Cout)",
                                  (long long)ctx->in[3]->dims[0], (long long)g->cout);
    }
    return PML_OK;
}

static pml_status deform_infer(pml_kernel_ctx *ctx) {
    pml_deform_geom d;
    pml_status s = deform_parse(ctx, &d);
    if (s) return s;
    const int64_t dims[4] = {d.g.n, d.g.oh, d.g.ow, d.g.cout};
    return pml_set_f32_output(ctx, 4, dims);
}

static void deform_pack_a(const void *arg, int64_t grp, int64_t m0, int64_t mb, int64_t k0, int64_t kcb, float *dst,
                          int64_t ld) {
    const deform_run *r = (const deform_run *)arg;
    pml_f32_deform_im2col(&r->st->d, r->x, r->offset, r->mask, grp, m0, mb, k0, kcb, dst, ld);
}

static void deform_batch_ptrs(const void *arg, int64_t grp, const float **a, const float **b, float **c) {
    const deform_run *r = (const deform_run *)arg;
    *a = r->x;
    *b = r->packed + (size_t)grp * r->st->group_floats;
    *c = r->y + grp * r->st->d.g.coutg;
}

static pml_status deform_prepare(pml_kernel_ctx *ctx) {
    deform_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    pml_status s = deform_parse(ctx, &st->d);
    if (s) return s;
    const pml_conv_geom *g = &st->d.g;
    const int64_t k = g->kh * g->kw * g->cg;
    st->kern = ctx->config->f32.mm;
    st->threads = pml_threadpool_size(ctx->pool);
    st->group_floats = pml_gemm_packed_floats(k, g->coutg);
    pml_gemm_problem p = {.m = g->n * g->oh * g->ow, .n = g->coutg, .k = k, .batch = g->group,
                          .pack_a = deform_pack_a};
    st->gemm_scratch = pml_gemm_scratch_floats(st->kern, &p);
    st->off_gemm = st->group_floats * (size_t)g->group;
    ctx->scratch_size = (st->off_gemm + st->gemm_scratch * (size_t)st->threads) * sizeof(float);
    return PML_OK;
}

static pml_status deform_run_op(pml_kernel_ctx *ctx) {
    const deform_state *st = (const deform_state *)ctx->state;
    const pml_conv_geom *g = &st->d.g;
    if (g->n == 0) return PML_OK;
    if (pml_threadpool_size(ctx->pool) > st->threads) /* per-thread scratch was sized in prepare */
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    const float *w = (const float *)ctx->in[1]->data;
    const float *b = ctx->n_in > 3 && ctx->in[3] ? (const float *)ctx->in[3]->data : NULL;
    float *scratch = (float *)ctx->scratch;
    const int64_t k = g->kh * g->kw * g->cg;
    for (int64_t grp = 0; grp < g->group; grp++) /* B[k = (kh,kw,ci)][n = co] = w[grp*coutg + co][kh][kw][ci] */
        pml_gemm_pack_b(w + grp * g->coutg * k, k, g->coutg, 1, k, 1.0f, b ? b + grp * g->coutg : NULL, 1, 1.0f,
                        scratch + (size_t)grp * st->group_floats);
    deform_run r = {st, (const float *)ctx->in[0]->data, (const float *)ctx->in[2]->data,
                    ctx->n_in > 4 && ctx->in[4] ? (const float *)ctx->in[4]->data : NULL, scratch,
                    (float *)ctx->out[0]->data};
    pml_gemm_problem p = {.m = g->n * g->oh * g->ow, .n = g->coutg, .k = k, .batch = g->group, .a = r.x,
                          .lda = g->cin, .packed_b = scratch, .c = r.y, .ldc = g->cout, .batch_ptrs = deform_batch_ptrs,
                          .pack_a = deform_pack_a, .cb_ctx = &r, .batch_cols = g->coutg};
    pml_gemm_run(st->kern, &p, ctx->pool, pml_f32_offset(scratch, st->off_gemm));
    return PML_OK;
}

/* float32; ops/conv.c publishes it through the float16 bridge (PML_F16_BRIDGED) with Conv's */
const pml_op_def pml_deform_conv_f32_def = {PML_OP_DEFORMCONV, deform_infer, deform_prepare, deform_run_op,
                                            pml_ew_release};
