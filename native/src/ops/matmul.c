/*
 * ops/matmul.c — the matmul op family: MatMul (numpy semantics: 1-D operands
 * promoted, batch dims broadcast) and Gemm (y = alpha*op(a)@op(b) + beta*c,
 * c unidirectionally broadcast to [M,N]), both with a fused activation; Det
 * lives in ops/matmul_det.c, MatMulInteger in ops/matmul_integer.c.
 * Semantics: src/pocketml/ops/matmul.py.
 *
 * Both run on the blocked GEMM engine (kernels/matmul/gemm.h):
 *  - a constant, unbatched B (weights) is packed once per session by pack
 *    (shape-independent: it reads only B, c and the attributes), with
 *    Gemm's alpha folded into it and a row-broadcast beta*c folded into the
 *    packed bias; every plan and every batch of A then share it, so MatMul
 *    flattens A's batch dims into M and runs one GEMM;
 *  - a batched or non-constant B is packed into arena scratch per run, a
 *    bounded chunk of batches at a time;
 *  - Gemm with transA packs A^T blocks through the driver's pack_a; a c with
 *    distinct rows is written to y first (beta*c) and the GEMM accumulates.
 * float16 nodes run these float32 functions through ops/f16_bridge.c (widened
 * operands, one rounding of y). The naive pml_f32_gemm_ref is the oracle of the
 * tests, not a run path.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "f16_bridge.h"
#include "q8_params.h"
#include "validate.h"
#include "kernels/matmul/gemm.h"

/* Bound on the run-time packed-B chunk (floats, 8 MiB). */
#define MM_PACK_CHUNK_FLOATS ((size_t)2 << 20)

enum { C_NONE, C_BIAS, C_FULL };

typedef struct mm_state {
    int is_gemm;
    int64_t m, n, k;
    int64_t batch;                  /* output batch count (MatMul) */
    int nbd;                        /* output batch rank */
    int64_t bdims[PML_MAX_RANK];    /* output batch dims */
    int64_t astr[PML_MAX_RANK];     /* matrix-index stride of A per batch dim (0: broadcast) */
    int64_t bstr[PML_MAX_RANK];
    int b_batched;
    int64_t b_stride_k, b_stride_n; /* element strides of one B matrix */
    /* Gemm */
    int trans_a;
    float alpha, beta;
    int c_mode;
    int64_t c_rs, c_cs;             /* element strides of c over [M,N] (0: broadcast) */
    pml_activation act;
    const pml_f32_kernels *kern;
    const float *packed;            /* B packed by pack (ctx->packed, not owned), or NULL */
    size_t packed_floats;           /* one packed B */
    int64_t chunk;                  /* batches packed per run-time chunk */
    size_t gemm_scratch;            /* floats per thread */
    size_t off_gemm;                /* scratch: packed B chunk at 0, then per-thread GEMM scratch */
    int threads;
} mm_state;

/* ---- infer ------------------------------------------------------------------------ */

/* Fills the shape part of st (m, n, k, batch layout) and the output dims. */
static pml_status matmul_shapes(const pml_kernel_ctx *ctx, mm_state *st, int *out_rank, int64_t *out) {
    char ba[160], bb[160];
    pml_status s;
    if ((s = pml_check_f32_input(ctx, 0, "a", -1)) || (s = pml_check_f32_input(ctx, 1, "b", -1))) return s;
    const pml_tensor *a = ctx->in[0], *b = ctx->in[1];
    pml_shape_str(a->rank, a->dims, ba, sizeof ba);
    pml_shape_str(b->rank, b->dims, bb, sizeof bb);
    if (a->rank < 1 || b->rank < 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "operands must have rank >= 1, got a %s and b %s", ba, bb);
    const int ra = a->rank, rb = b->rank;
    st->k = a->dims[ra - 1];
    st->m = ra >= 2 ? a->dims[ra - 2] : 1;
    const int64_t kb = rb >= 2 ? b->dims[rb - 2] : b->dims[0];
    st->n = rb >= 2 ? b->dims[rb - 1] : 1;
    if (kb != st->k)
        return pml_node_error(ctx, PML_ERR_SHAPE, "a %s and b %s: contraction dims differ (%lld vs %lld)", ba, bb,
                              (long long)st->k, (long long)kb);
    const int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
    if (pml_broadcast_shapes(nba, a->dims, nbb, b->dims, &st->nbd, st->bdims) != 0)
        return pml_node_error(ctx, PML_ERR_SHAPE, "batch dims of a %s and b %s do not broadcast", ba, bb);
    /* strides of the matrix index along each output batch dim */
    int64_t sa = 1, sb = 1;
    st->batch = 1;
    st->b_batched = 0;
    for (int i = st->nbd - 1; i >= 0; i--) {
        const int ia = i - (st->nbd - nba), ib = i - (st->nbd - nbb);
        const int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        st->astr[i] = da == 1 ? 0 : sa;
        st->bstr[i] = db == 1 ? 0 : sb;
        if (db != 1) st->b_batched = 1;
        sa *= da, sb *= db;
        st->batch *= st->bdims[i];
    }
    st->b_stride_k = rb >= 2 ? st->n : 1;
    st->b_stride_n = rb >= 2 ? 1 : 0;
    int r = 0;
    for (int i = 0; i < st->nbd; i++) out[r++] = st->bdims[i];
    if (ra >= 2) out[r++] = st->m;
    if (rb >= 2) out[r++] = st->n;
    *out_rank = r;
    return PML_OK;
}

static pml_status gemm_shapes(const pml_kernel_ctx *ctx, mm_state *st, int *out_rank, int64_t *out) {
    char ba[160], bb[160], bc[160];
    pml_status s;
    int64_t ta, tb;
    if ((s = pml_check_f32_input(ctx, 0, "a", 2)) || (s = pml_check_f32_input(ctx, 1, "b", 2)) ||
        (s = pml_attr_int_checked(ctx, "transA", 0, 0, 1, &ta)) ||
        (s = pml_attr_int_checked(ctx, "transB", 0, 0, 1, &tb)))
        return s;
    const pml_tensor *a = ctx->in[0], *b = ctx->in[1], *c = ctx->n_in > 2 ? ctx->in[2] : NULL;
    pml_shape_str(a->rank, a->dims, ba, sizeof ba);
    pml_shape_str(b->rank, b->dims, bb, sizeof bb);
    st->trans_a = (int)ta;
    st->m = ta ? a->dims[1] : a->dims[0];
    st->k = ta ? a->dims[0] : a->dims[1];
    const int64_t kb = tb ? b->dims[1] : b->dims[0];
    st->n = tb ? b->dims[0] : b->dims[1];
    if (kb != st->k)
        return pml_node_error(ctx, PML_ERR_SHAPE, "op(a) from a %s (transA=%lld) and op(b) from b %s (transB=%lld): "
                              "contraction dims differ (%lld vs %lld)",
                              ba, (long long)ta, bb, (long long)tb, (long long)st->k, (long long)kb);
    st->b_stride_k = tb ? 1 : st->n;
    st->b_stride_n = tb ? st->k : 1;
    st->alpha = pml_attr_float(ctx->node, "alpha", 1.0f);
    st->beta = pml_attr_float(ctx->node, "beta", 1.0f);
    st->c_mode = C_NONE;
    if (c) {
        if ((s = pml_check_f32_input(ctx, 2, "c", -1))) return s;
        pml_shape_str(c->rank, c->dims, bc, sizeof bc);
        const int64_t c0 = c->rank == 2 ? c->dims[0] : 1, c1 = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        if (c->rank > 2 || (c0 != 1 && c0 != st->m) || (c1 != 1 && c1 != st->n))
            return pml_node_error(ctx, PML_ERR_SHAPE, "c %s does not broadcast to [%lld,%lld]", bc,
                                  (long long)st->m, (long long)st->n);
        st->c_cs = c1 == 1 ? 0 : 1;
        st->c_rs = c0 == 1 ? 0 : c1;
        st->c_mode = c0 != 1 ? C_FULL : C_BIAS;
    }
    st->batch = 1;
    out[0] = st->m, out[1] = st->n;
    *out_rank = 2;
    return PML_OK;
}

static pml_status mm_parse(const pml_kernel_ctx *ctx, int is_gemm, mm_state *st, int *rank, int64_t *dims) {
    pml_status s = is_gemm ? gemm_shapes(ctx, st, rank, dims) : matmul_shapes(ctx, st, rank, dims);
    if (s) return s;
    st->is_gemm = is_gemm;
    return pml_activation_from_node(ctx, &st->act);
}

static pml_status matmul_infer_common(pml_kernel_ctx *ctx, int is_gemm) {
    mm_state st;
    int rank;
    int64_t dims[PML_MAX_RANK];
    memset(&st, 0, sizeof st);
    pml_status s = mm_parse(ctx, is_gemm, &st, &rank, dims);
    return s ? s : pml_set_f32_output(ctx, rank, dims);
}

static pml_status matmul_infer(pml_kernel_ctx *ctx) { return matmul_infer_common(ctx, 0); }
static pml_status gemm_infer(pml_kernel_ctx *ctx) { return matmul_infer_common(ctx, 1); }

/* ---- pack / prepare ------------------------------------------------------------------ */

/* Pack one B matrix (Gemm: alpha folded in, row-broadcast beta*c as bias). */
static void mm_pack(const mm_state *st, const float *b, const float *c, float *out) {
    const int bias = st->is_gemm && st->c_mode == C_BIAS;
    pml_gemm_pack_b(b, st->k, st->n, st->b_stride_k, st->b_stride_n, st->is_gemm ? st->alpha : 1.0f,
                    bias ? c : NULL, st->c_cs, st->beta, out);
}

/* ctx->packed: one B packed by mm_pack, with what it was packed for. */
typedef struct mm_packed {
    int64_t k, n, b_stride_k, b_stride_n, c_cs;
    float alpha, beta;  /* alpha as folded (1 for MatMul); beta only with bias */
    int bias;           /* beta*c folded into the packed bias (Gemm, C_BIAS) */
    float *data;        /* pml_gemm_packed_floats(k, n), 64-aligned, inside the same block */
} mm_packed;

#define MM_PACKED_HEADER ((sizeof(mm_packed) + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN)

static int f32_const(const pml_tensor *t, int rank) {
    return t && t->is_const && t->data && t->dtype == PML_FLOAT32 && t->rank >= 1 && (rank < 0 || t->rank == rank);
}

/* Shape-independent: packs a constant, unbatched B (reads only B, a constant
 * c and attributes). Anything unusual is left to infer/prepare (no packing). */
static pml_status matmul_pack_common(pml_kernel_ctx *ctx, int is_gemm) {
    const pml_tensor *b = ctx->n_in > 1 ? ctx->in[1] : NULL, *c = is_gemm && ctx->n_in > 2 ? ctx->in[2] : NULL;
    if (!f32_const(b, is_gemm ? 2 : -1)) return PML_OK;
    mm_state st;
    memset(&st, 0, sizeof st);
    st.is_gemm = is_gemm;
    const int rb = b->rank;
    if (!is_gemm) {
        for (int i = 0; i < rb - 2; i++)
            if (b->dims[i] != 1) return PML_OK; /* batched B: packed per run */
        st.k = rb >= 2 ? b->dims[rb - 2] : b->dims[0];
        st.n = rb >= 2 ? b->dims[rb - 1] : 1;
        st.b_stride_k = rb >= 2 ? st.n : 1;
        st.b_stride_n = rb >= 2 ? 1 : 0;
    } else {
        const int64_t tb = pml_attr_int(ctx->node, "transB", 0);
        if (tb != 0 && tb != 1) return PML_OK;
        st.k = tb ? b->dims[1] : b->dims[0];
        st.n = tb ? b->dims[0] : b->dims[1];
        st.b_stride_k = tb ? 1 : st.n;
        st.b_stride_n = tb ? st.k : 1;
        st.alpha = pml_attr_float(ctx->node, "alpha", 1.0f);
        st.beta = pml_attr_float(ctx->node, "beta", 1.0f);
        st.c_mode = C_NONE;
        if (c && c->is_const) {
            if (c->dtype != PML_FLOAT32 || c->rank > 2 || !c->data) return PML_OK;
            const int64_t c0 = c->rank == 2 ? c->dims[0] : 1, c1 = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
            if (c1 != 1 && c1 != st.n) return PML_OK;
            st.c_cs = c1 == 1 ? 0 : 1;
            st.c_mode = c0 != 1 ? C_FULL : C_BIAS;
        } else if (c) {
            st.c_mode = C_FULL; /* not constant: never folded (prepare packs per run if it needs it) */
        }
    }
    const size_t floats = pml_gemm_packed_floats(st.k, st.n);
    if (!floats) return PML_OK;
    mm_packed *pk = (mm_packed *)pml_aligned_alloc(MM_PACKED_HEADER + floats * sizeof(float));
    if (!pk) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing matmul weights");
    pk->k = st.k, pk->n = st.n, pk->b_stride_k = st.b_stride_k, pk->b_stride_n = st.b_stride_n;
    pk->bias = is_gemm && st.c_mode == C_BIAS;
    pk->alpha = is_gemm ? st.alpha : 1.0f;
    pk->beta = pk->bias ? st.beta : 0.0f;
    pk->c_cs = pk->bias ? st.c_cs : 0;
    pk->data = (float *)((char *)pk + MM_PACKED_HEADER);
    mm_pack(&st, (const float *)b->data, pk->bias ? (const float *)c->data : NULL, pk->data);
    ctx->packed = pk;
    ctx->packed_size = MM_PACKED_HEADER + floats * sizeof(float);
    return PML_OK;
}

static pml_status matmul_pack(pml_kernel_ctx *ctx) { return matmul_pack_common(ctx, 0); }
static pml_status gemm_pack(pml_kernel_ctx *ctx) { return matmul_pack_common(ctx, 1); }

static void matmul_unpack(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->packed);
    ctx->packed = NULL;
    ctx->packed_size = 0;
}

/* ctx->packed if it holds exactly the B this plan would pack, else NULL. */
static const float *mm_shared_packed(const pml_kernel_ctx *ctx, const mm_state *st) {
    const mm_packed *pk = (const mm_packed *)ctx->packed;
    const int bias = st->is_gemm && st->c_mode == C_BIAS;
    if (!pk || st->b_batched) return NULL;
    if (pk->k != st->k || pk->n != st->n || pk->b_stride_k != st->b_stride_k || pk->b_stride_n != st->b_stride_n ||
        pk->alpha != (st->is_gemm ? st->alpha : 1.0f) || pk->bias != bias ||
        (bias && (pk->beta != st->beta || pk->c_cs != st->c_cs)))
        return NULL;
    return pk->data;
}

static void gemm_pack_a_t(const void *arg, int64_t batch, int64_t m0, int64_t mb, int64_t k0, int64_t kcb,
                          float *dst, int64_t ld);

static pml_status matmul_prepare_common(pml_kernel_ctx *ctx, int is_gemm) {
    mm_state *st = (mm_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for matmul state");
    ctx->state = st;
    ctx->state_size = sizeof *st;
    int rank;
    int64_t dims[PML_MAX_RANK];
    pml_status s = mm_parse(ctx, is_gemm, st, &rank, dims);
    if (s) return s;
    st->kern = ctx->config->f32.mm;
    st->threads = pml_threadpool_size(ctx->pool);
    st->packed_floats = pml_gemm_packed_floats(st->k, st->n);
    size_t chunk_floats = 0;
    /* constant B packed once per session by pack, shared by every plan */
    st->packed = mm_shared_packed(ctx, st);
    if (!st->packed) {
        /* packed B per run: all batches' B in chunks of bounded size */
        /* K or N of 0 packs nothing (packed_floats 0): one batch per chunk, no division by it */
        st->chunk = st->b_batched && st->packed_floats ? (int64_t)(MM_PACK_CHUNK_FLOATS / st->packed_floats) : 1;
        if (st->chunk < 1) st->chunk = 1;
        if (st->chunk > st->batch) st->chunk = st->batch;
        chunk_floats = (size_t)st->chunk * st->packed_floats;
    }
    if (is_gemm && st->trans_a) {
        pml_gemm_problem p = {.m = st->m, .n = st->n, .k = st->k, .batch = 1, .pack_a = gemm_pack_a_t};
        st->gemm_scratch = pml_gemm_scratch_floats(st->kern, &p);
    }
    st->off_gemm = chunk_floats;
    ctx->scratch_size = (st->off_gemm + st->gemm_scratch * (size_t)st->threads) * sizeof(float);
    return PML_OK;
}

static pml_status matmul_prepare(pml_kernel_ctx *ctx) { return matmul_prepare_common(ctx, 0); }
static pml_status gemm_prepare(pml_kernel_ctx *ctx) { return matmul_prepare_common(ctx, 1); }

static void matmul_release(pml_kernel_ctx *ctx) {
    mm_state *st = (mm_state *)ctx->state;
    pml_aligned_free(st); /* st->packed belongs to ctx->packed */
    ctx->state = NULL;
    ctx->state_size = 0;
}

/* ---- run ------------------------------------------------------------------------------ */

typedef struct mm_run_ctx {
    const mm_state *st;
    const float *a, *b, *c;
    float *y;
    float *packed;      /* run-time packed chunk */
    int64_t batch0;     /* first batch of the chunk */
} mm_run_ctx;

/* Matrix indices of A and B for output batch i. */
static void batch_index(const mm_state *st, int64_t i, int64_t *ia, int64_t *ib) {
    int64_t ra = 0, rb = 0;
    for (int d = st->nbd - 1; d >= 0; d--) {
        const int64_t coord = i % st->bdims[d];
        i /= st->bdims[d];
        ra += coord * st->astr[d];
        rb += coord * st->bstr[d];
    }
    *ia = ra, *ib = rb;
}

static void mm_batch_ptrs(const void *arg, int64_t item, const float **a, const float **b, float **c) {
    const mm_run_ctx *rc = (const mm_run_ctx *)arg;
    const mm_state *st = rc->st;
    int64_t ia, ib;
    batch_index(st, rc->batch0 + item, &ia, &ib);
    *a = rc->a + ia * st->m * st->k;
    *b = rc->packed + (size_t)item * st->packed_floats;
    *c = rc->y + (rc->batch0 + item) * st->m * st->n;
}

static void mm_pack_task(void *arg, int64_t item, int thread) {
    const mm_run_ctx *rc = (const mm_run_ctx *)arg;
    const mm_state *st = rc->st;
    int64_t ia, ib;
    (void)thread;
    batch_index(st, rc->batch0 + item, &ia, &ib);
    mm_pack(st, rc->b + ib * st->k * st->n, rc->c, rc->packed + (size_t)item * st->packed_floats);
}

/* A^T block for Gemm transA: a is stored [K, M]. */
static void gemm_pack_a_t(const void *arg, int64_t batch, int64_t m0, int64_t mb, int64_t k0, int64_t kcb,
                          float *dst, int64_t ld) {
    const mm_run_ctx *rc = (const mm_run_ctx *)arg;
    const int64_t m = rc->st->m;
    (void)batch;
    for (int64_t kk = 0; kk < kcb; kk++) {
        const float *src = rc->a + (k0 + kk) * m + m0;
        for (int64_t r = 0; r < mb; r++) dst[r * ld + kk] = src[r];
    }
}

/* y = beta * c broadcast over [M, N] (or 0 without c). */
static void gemm_fill_c(const mm_state *st, const float *c, float *y) {
    for (int64_t i = 0; i < st->m; i++)
        for (int64_t j = 0; j < st->n; j++)
            y[i * st->n + j] = c ? st->beta * c[i * st->c_rs + j * st->c_cs] : 0.0f;
}

static pml_status matmul_run(pml_kernel_ctx *ctx) {
    const mm_state *st = (const mm_state *)ctx->state;
    const float *a = (const float *)ctx->in[0]->data, *b = (const float *)ctx->in[1]->data;
    const float *c = ctx->n_in > 2 && ctx->in[2] ? (const float *)ctx->in[2]->data : NULL;
    float *y = (float *)ctx->out[0]->data;
    float *scratch = (float *)ctx->scratch;
    if (st->m == 0 || st->n == 0 || st->batch == 0) return PML_OK;
    if (pml_threadpool_size(ctx->pool) > st->threads) /* per-thread scratch was sized in prepare */
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    mm_run_ctx rc = {st, a, b, c, y, scratch, 0};
    pml_gemm_problem p = {.m = st->m, .n = st->n, .k = st->k, .batch = 1, .a = a, .lda = st->k, .c = y,
                          .ldc = st->n, .cb_ctx = &rc, .act = st->act};
    if (st->is_gemm) {
        if (st->c_mode == C_FULL) {
            gemm_fill_c(st, c, y);
            p.accumulate = 1;
        }
        if (st->trans_a) p.pack_a = gemm_pack_a_t;
    }
    if (!st->b_batched) {
        /* one B for every batch: A's batches are consecutive rows */
        p.m = st->m * st->batch;
        p.packed_b = st->packed;
        if (!p.packed_b) {
            mm_pack(st, b, c, scratch);
            p.packed_b = scratch;
        }
        pml_gemm_run(st->kern, &p, ctx->pool, pml_f32_offset(scratch, st->off_gemm));
        return PML_OK;
    }
    p.batch_ptrs = mm_batch_ptrs;
    for (rc.batch0 = 0; rc.batch0 < st->batch; rc.batch0 += st->chunk) {
        p.batch = st->batch - rc.batch0 < st->chunk ? st->batch - rc.batch0 : st->chunk;
        pml_parallel_for(ctx->pool, p.batch, mm_pack_task, &rc);
        pml_gemm_run(st->kern, &p, ctx->pool, pml_f32_offset(scratch, st->off_gemm));
    }
    return PML_OK;
}

static const pml_op_def k_matmul_f32 = {PML_OP_MATMUL, matmul_infer, matmul_prepare, matmul_run,
                                        matmul_release, matmul_pack, matmul_unpack};
static const pml_op_def k_gemm_f32 = {PML_OP_GEMM, gemm_infer, gemm_prepare, matmul_run,
                                      matmul_release, gemm_pack, matmul_unpack};
/* float16 nodes run the float32 functions above on widened operands (ops/f16_bridge.c) */
PML_F16_BRIDGED(k_matmul, PML_OP_MATMUL, k_matmul_f32, 1u << 1); /* b */
PML_F16_BRIDGED(k_gemm, PML_OP_GEMM, k_gemm_f32, 1u << 1); /* b; a full c is read at run */

extern const pml_op_def pml_det_def;            /* ops/matmul_det.c */
extern const pml_op_def pml_matmul_integer_def, pml_matmul_integer_to_float_def; /* ops/matmul_integer.c */
extern const pml_op_def pml_matmul_q8_def, pml_gemm_q8_def; /* ops/gemm_q8.c */
PML_Q8_ROUTED(k_matmul_any, PML_OP_MATMUL, pml_matmul_q8_def, k_matmul);
PML_Q8_ROUTED(k_gemm_any, PML_OP_GEMM, pml_gemm_q8_def, k_gemm);

const pml_op_def *const pml_matmul_ops[] = {&k_matmul_any, &k_gemm_any, &pml_det_def, &pml_matmul_integer_def,
                                         &pml_matmul_integer_to_float_def, NULL};
