/*
 * ops/f16_bridge.c — runs an op's float32 functions for a float16 node (MatMul, Gemm, Conv,
 * ConvTranspose, Softmax, LogSoftmax), with onnxruntime's CPU semantics: operands widen exactly to float32, the float32 kernels accumulate (bias,
 * residual and fused activation included) and the result rounds to float16 once.
 *
 * Each stage hands the op a float32 view of the node: copies of its tensor descriptors
 * with dtype float32 whose data points at float32 planes, swapped into ctx->in/out for
 * the call and swapped back after it.
 *   pack     widens the constant float16 inputs once per session, then lets the op pack
 *            from them (its packed weights are float32 as for any float32 node); the
 *            widened copies of the inputs the op then reads only through its packed block
 *            (the op's packed_inputs mask) are freed again; ctx->packed holds the bridge's
 *            block, the op's inside it
 *   infer    the op's infer on the view; the output gets the op's shape, dtype float16
 *   prepare  the op's prepare on the view; its state goes inside the bridge's, and its
 *            scratch is followed by one float32 plane per non-constant input and one for
 *            the output (planned here: run allocates nothing)
 *   run      widens those inputs into their planes, runs the op, rounds the output plane
 * Widening and rounding use the session's f16 table (ctx->config->f16), split over the
 * thread pool. Memory: a float16 node holds, besides the op's packed weights, the widened
 * constant inputs its run still reads (Gemm's full c, ConvTranspose's bias, unpacked
 * weights), and its arena scratch holds float32 copies of its activations.
 */
#include <string.h>

#include "f16_bridge.h"
#include "kernels/config.h"

#define BRIDGE_MAX_IO 8
#define NO_PLANE ((size_t)-1)
/* Elements per conversion task: large enough to amortise a task, small enough to split. */
#define CVT_TASK_ELEMS ((size_t)1 << 15)

typedef struct f16_packed {
    void *inner;                  /* the op's packed block (NULL when it packed nothing) */
    size_t inner_size;
    float *wide[BRIDGE_MAX_IO];   /* constant float16 input i widened, or NULL */
    unsigned dropped;             /* bit i: input i's widened copy was freed (the op's packed block has it) */
} f16_packed;

typedef struct f16_state {
    void *inner;                  /* the op's state */
    size_t inner_size;
    size_t in_plane[BRIDGE_MAX_IO]; /* byte offset in scratch of input i's float32 plane, or NO_PLANE */
    size_t out_plane;
} f16_state;

/* The float32 view of a node: descriptors, the pointer arrays the op reads, and what it replaced. */
typedef struct f16_view {
    pml_tensor in[BRIDGE_MAX_IO], out[BRIDGE_MAX_IO];
    pml_tensor *in_p[BRIDGE_MAX_IO], *out_p[BRIDGE_MAX_IO];
    pml_tensor **saved_in, **saved_out;
} f16_view;

static size_t align_up(size_t n) { return (n + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN; }
static size_t elems(const pml_tensor *t) { return t->nbytes / pml_dtype_size(t->dtype); }

static pml_status check_arity(const pml_kernel_ctx *ctx) {
    if (ctx->n_in > BRIDGE_MAX_IO || ctx->n_out > BRIDGE_MAX_IO)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "float16 bridge takes at most %d inputs and outputs", BRIDGE_MAX_IO);
    return PML_OK;
}

static void as_f32(pml_tensor *t) {
    if (t->dtype != PML_FLOAT16) return;
    t->dtype = PML_FLOAT32;
    t->nbytes = t->nbytes / 2 * sizeof(float);
}

/* Swaps the float32 view into ctx. Data: widened constants from pk, planes from st in
 * scratch, NULL otherwise (infer and prepare read no data of these ops). */
static void view_enter(pml_kernel_ctx *ctx, f16_view *v, const f16_packed *pk, const f16_state *st, char *scratch) {
    for (int i = 0; i < ctx->n_in; i++) {
        v->in_p[i] = NULL;
        if (!ctx->in[i]) continue;
        v->in[i] = *ctx->in[i];
        if (v->in[i].dtype == PML_FLOAT16) {
            as_f32(&v->in[i]);
            v->in[i].data = NULL;
            if (pk && pk->wide[i]) v->in[i].data = pk->wide[i];
            else if (st && scratch && st->in_plane[i] != NO_PLANE) v->in[i].data = scratch + st->in_plane[i];
        }
        v->in_p[i] = &v->in[i];
    }
    for (int i = 0; i < ctx->n_out; i++) {
        v->out[i] = *ctx->out[i];
        as_f32(&v->out[i]);
        v->out[i].data = st && scratch && i == 0 ? scratch + st->out_plane : NULL;
        v->out_p[i] = &v->out[i];
    }
    v->saved_in = ctx->in, v->saved_out = ctx->out;
    ctx->in = v->in_p, ctx->out = v->out_p;
}

static void view_leave(pml_kernel_ctx *ctx, f16_view *v) { ctx->in = v->saved_in, ctx->out = v->saved_out; }

/* ---- conversions over the pool ---------------------------------------------------------- */

typedef struct cvt_job {
    const pml_f16_config *f16;
    const void *src;
    void *dst;
    size_t n;
    int narrow;
} cvt_job;

static void cvt_task(void *arg, int64_t task, int thread) {
    const cvt_job *j = (const cvt_job *)arg;
    const size_t i0 = (size_t)task * CVT_TASK_ELEMS, n = j->n - i0 < CVT_TASK_ELEMS ? j->n - i0 : CVT_TASK_ELEMS;
    (void)thread;
    if (j->narrow) j->f16->narrow(n, (const float *)j->src + i0, (uint16_t *)j->dst + i0);
    else j->f16->widen(n, (const uint16_t *)j->src + i0, (float *)j->dst + i0);
}

static void convert(pml_threadpool *pool, const pml_f16_config *f16, const void *src, void *dst, size_t n, int narrow) {
    cvt_job j = {f16, src, dst, n, narrow};
    const int64_t tasks = (int64_t)((n + CVT_TASK_ELEMS - 1) / CVT_TASK_ELEMS);
    if (tasks == 1) cvt_task(&j, 0, 0);
    else if (tasks > 1) pml_parallel_for(pool, tasks, cvt_task, &j);
}

/* ---- the stages ---------------------------------------------------------------------------- */

static int widens(const pml_tensor *t) { return t && t->is_const && t->data && t->dtype == PML_FLOAT16; }

pml_status pml_f16_bridge_pack(pml_kernel_ctx *ctx, const pml_op_def *inner, unsigned packed_inputs) {
    pml_status s = check_arity(ctx);
    if (s) return s;
    f16_packed *pk = (f16_packed *)pml_aligned_alloc(sizeof *pk);
    if (!pk) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory widening float16 weights");
    ctx->packed = pk, ctx->packed_size = sizeof *pk; /* unpack frees whatever this leaves */
    for (int i = 0; i < ctx->n_in; i++) {
        if (!widens(ctx->in[i])) continue;
        pk->wide[i] = (float *)pml_aligned_alloc(elems(ctx->in[i]) * sizeof(float));
        if (!pk->wide[i]) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory widening float16 weights");
        ctx->config->f16->widen(elems(ctx->in[i]), (const uint16_t *)ctx->in[i]->data, pk->wide[i]);
    }
    f16_view v;
    view_enter(ctx, &v, pk, NULL, NULL);
    ctx->packed = NULL, ctx->packed_size = 0;
    if (inner->pack) s = inner->pack(ctx);
    view_leave(ctx, &v);
    pk->inner = ctx->packed, pk->inner_size = ctx->packed_size;
    ctx->packed = pk;
    ctx->packed_size = sizeof *pk + pk->inner_size;
    for (int i = 0; i < ctx->n_in; i++) {
        if (!pk->wide[i]) continue;
        if (pk->inner && (packed_inputs >> i & 1u)) { /* the op reads it only through its packed block now */
            pml_aligned_free(pk->wide[i]);
            pk->wide[i] = NULL;
            pk->dropped |= 1u << i;
        } else {
            ctx->packed_size += elems(ctx->in[i]) * sizeof(float);
        }
    }
    return s;
}

void pml_f16_bridge_unpack(pml_kernel_ctx *ctx, const pml_op_def *inner) {
    f16_packed *pk = (f16_packed *)ctx->packed;
    if (pk && pk->inner && inner->unpack) {
        ctx->packed = pk->inner, ctx->packed_size = pk->inner_size;
        inner->unpack(ctx);
    }
    if (pk)
        for (int i = 0; i < BRIDGE_MAX_IO; i++) pml_aligned_free(pk->wide[i]);
    pml_aligned_free(pk);
    ctx->packed = NULL;
    ctx->packed_size = 0;
}

pml_status pml_f16_bridge_infer(pml_kernel_ctx *ctx, const pml_op_def *inner) {
    pml_status s = check_arity(ctx);
    if (s) return s;
    f16_view v;
    view_enter(ctx, &v, (const f16_packed *)ctx->packed, NULL, NULL);
    s = inner->infer(ctx);
    view_leave(ctx, &v);
    if (s) return s;
    for (int i = 0; i < ctx->n_out; i++)
        pml_tensor_set_shape(ctx->out[i], PML_FLOAT16, v.out[i].rank, v.out[i].dims);
    return PML_OK;
}

/* Runs inner's stage `fn` with the op's own state and packed block in ctx. */
static pml_status with_inner(pml_kernel_ctx *ctx, f16_state *st, pml_status (*fn)(pml_kernel_ctx *)) {
    f16_packed *pk = (f16_packed *)ctx->packed;
    const size_t packed_size = ctx->packed_size;
    ctx->state = st->inner, ctx->state_size = st->inner_size;
    ctx->packed = pk ? pk->inner : NULL, ctx->packed_size = pk ? pk->inner_size : 0;
    pml_status s = fn(ctx);
    st->inner = ctx->state, st->inner_size = ctx->state_size;
    ctx->state = st, ctx->state_size = sizeof *st + st->inner_size;
    ctx->packed = pk, ctx->packed_size = packed_size;
    return s;
}

pml_status pml_f16_bridge_prepare(pml_kernel_ctx *ctx, const pml_op_def *inner) {
    pml_status s = check_arity(ctx);
    if (s) return s;
    if (ctx->n_out != 1) return pml_node_error(ctx, PML_ERR_INTERNAL, "float16 bridge takes one output");
    f16_state *st = (f16_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for float16 state");
    ctx->state = st, ctx->state_size = sizeof *st;
    ctx->scratch_size = 0;
    const f16_packed *pk = (const f16_packed *)ctx->packed;
    f16_view v;
    view_enter(ctx, &v, pk, NULL, NULL);
    if (inner->prepare) s = with_inner(ctx, st, inner->prepare);
    view_leave(ctx, &v);
    if (s) return s;
    size_t off = align_up(ctx->scratch_size);
    for (int i = 0; i < ctx->n_in; i++) {
        const pml_tensor *t = ctx->in[i];
        st->in_plane[i] = NO_PLANE;
        if (!t || t->dtype != PML_FLOAT16 || (pk && (pk->wide[i] || (pk->dropped >> i & 1u)))) continue;
        st->in_plane[i] = off;
        off += align_up(elems(t) * sizeof(float));
    }
    st->out_plane = off;
    off += align_up(elems(ctx->out[0]) * sizeof(float));
    ctx->scratch_size = off;
    return PML_OK;
}

pml_status pml_f16_bridge_run(pml_kernel_ctx *ctx, const pml_op_def *inner) {
    f16_state *st = (f16_state *)ctx->state;
    const pml_f16_config *f16 = ctx->config->f16;
    char *scratch = (char *)ctx->scratch;
    for (int i = 0; i < ctx->n_in; i++)
        if (st->in_plane[i] != NO_PLANE)
            convert(ctx->pool, f16, ctx->in[i]->data, scratch + st->in_plane[i], elems(ctx->in[i]), 0);
    f16_view v;
    view_enter(ctx, &v, (const f16_packed *)ctx->packed, st, scratch);
    pml_status s = with_inner(ctx, st, inner->run);
    view_leave(ctx, &v);
    if (s) return s;
    convert(ctx->pool, f16, scratch + st->out_plane, ctx->out[0]->data, elems(ctx->out[0]), 1);
    return PML_OK;
}

void pml_f16_bridge_release(pml_kernel_ctx *ctx, const pml_op_def *inner) {
    f16_state *st = (f16_state *)ctx->state;
    if (st && st->inner && inner->release) {
        ctx->state = st->inner, ctx->state_size = st->inner_size;
        inner->release(ctx);
    }
    pml_aligned_free(st);
    ctx->state = NULL;
    ctx->state_size = 0;
}
