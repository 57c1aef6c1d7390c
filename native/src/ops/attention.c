/*
 * ops/attention.c — the attention family: the fused scaled-dot-product
 * Attention op and RotaryEmbedding. Semantics: src/pocketml/ops/attention.py.
 *
 * Attention runs one task per (batch, query head, block of query rows) on the
 * session's pool. A task packs its K (as the B operand of Q K^T, with the
 * scale folded in) and V into per-thread arena scratch, then for each block
 * of up to `rows` query rows: scores = Q_blk K^T (GEMM engine, on the task's
 * thread), the attn_row kernel caps/masks/softmaxes each row in place
 * (bool or broadcast masks are first expanded into a row of floats), and
 * Y_blk = P V (GEMM engine). The score block is rows x L floats, sized to stay
 * in L2; nothing is allocated in run. Each row attends one span of keys
 * [lo, hi) (key_span: causal frontier, sliding window, the external cache's
 * nonpad_kv_seqlen, a mask with Lm < L keys); the row kernel runs on the span
 * and the keys before it get probability 0. The optional qk output is copied
 * from the score row before (modes 0-2) or after (mode 3) the row kernel.
 * float16 widens Q/K/V into float32 scratch per task and narrows Y (and qk)
 * once. The scalar configuration runs the same loop on its portable kernels.
 *
 * RotaryEmbedding rotates pairs of features per (batch, position, head) with
 * cos/sin read from caches (indexed by position_ids, checked in run: they are
 * data) and copies the unrotated tail.
 *
 * LinearAttention lives in ops/attention_linear.c.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/common.h" /* pml_f16_to_f32_scalar */
#include "kernels/config.h"
#include "validate.h"
#include "kernels/matmul/gemm.h"

/* Score block budget (floats): rows x L stays around 64 KiB. */
#define ATTN_BLOCK_FLOATS 16384

/* floats rounded up to a 64-byte line, so every scratch part stays aligned for the GEMM packs */
static size_t line_floats(int64_t n) { return ((size_t)(n > 0 ? n : 1) + 15) / 16 * 16; }

typedef struct attn_state {
    int64_t b, hq, hkv, s, l, d, dv;
    int k_transposed;
    float scale, softcap;
    int causal;
    int64_t causal_offset, win_left, win_right; /* windows: -1 = unbounded */
    /* mask: element strides over [B, Hq, S, key] (0: broadcast); mask_keys keys covered */
    int has_mask;
    pml_dtype mask_dtype;
    int64_t mstr[4], mask_keys;
    int has_nonpad;  /* nonpad_kv_seqlen: per-batch key count and query position offset */
    int qk_mode;     /* -1: no qk output */
    int f16;         /* float16 q/k/v/y/qk: widened into float32 scratch, narrowed once */
    const pml_f32_kernels *kern;
    pml_f32_attn_row_fn row;
    void (*widen)(size_t n, const uint16_t *x, float *y);
    void (*narrow)(size_t n, const float *x, uint16_t *y);
    int64_t rows;                /* query rows per block */
    int64_t chunks;              /* row blocks split across tasks per (b, h) */
    size_t pk_floats, pv_floats, f16_floats, thread_floats;
    int threads;
} attn_state;

static pml_status attn_input(const pml_kernel_ctx *ctx, int i, const char *role, const pml_tensor **t) {
    pml_status s = pml_ew_input(ctx, i, role, t);
    if (s) return s;
    if ((*t)->rank != 4) {
        char b[160];
        pml_shape_str((*t)->rank, (*t)->dims, b, sizeof b);
        return pml_node_error(ctx, PML_ERR_SHAPE, "%s %s must be 4-D [batch, heads, sequence, head size]", role, b);
    }
    return PML_OK;
}

static pml_status attn_parse_mask(const pml_kernel_ctx *ctx, attn_state *st) {
    const pml_tensor *m = ctx->in[3];
    char bm[160];
    pml_shape_str(m->rank, m->dims, bm, sizeof bm);
    if (m->dtype != PML_FLOAT32 && m->dtype != PML_FLOAT16 && m->dtype != PML_BOOL)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "mask has dtype %s; supported: float32, float16, bool",
                              pml_dtype_name(m->dtype));
    if (m->rank > 4) return pml_node_error(ctx, PML_ERR_SHAPE, "mask %s has rank > 4", bm);
    st->mask_dtype = m->dtype;
    const int64_t full[4] = {st->b, st->hq, st->s, st->l};
    int64_t stride = 1;
    for (int d = 3; d >= 0; d--) {
        const int md = d - (4 - m->rank);
        const int64_t size = md >= 0 ? m->dims[md] : 1;
        if (size < 0 || (d < 3 && size != 1 && size != full[d]) || (d == 3 && size > st->l && size != 1))
            return pml_node_error(ctx, PML_ERR_SHAPE, "mask %s does not broadcast to [%lld,%lld,%lld,<=%lld]", bm,
                                  (long long)st->b, (long long)st->hq, (long long)st->s, (long long)st->l);
        st->mstr[d] = size == 1 ? 0 : stride;
        if (d == 3) st->mask_keys = size == 1 ? st->l : size;
        stride *= size;
    }
    return PML_OK;
}

static pml_status attn_parse(const pml_kernel_ctx *ctx, attn_state *st) {
    pml_status s;
    int64_t kt, causal, qk_mode, wl, wr;
    const pml_tensor *q, *k, *v;
    if ((s = attn_input(ctx, 0, "q", &q)) || (s = attn_input(ctx, 1, "k", &k)) || (s = attn_input(ctx, 2, "v", &v)) ||
        (s = pml_attr_int_checked(ctx, "k_transposed", 0, 0, 1, &kt)) ||
        (s = pml_attr_int_checked(ctx, "is_causal", 0, 0, 1, &causal)) ||
        (s = pml_attr_int_checked(ctx, "qk_mode", 0, 0, 3, &qk_mode)) ||
        (s = pml_attr_int_checked(ctx, "window_left", -1, -1, INT64_MAX, &wl)) ||
        (s = pml_attr_int_checked(ctx, "window_right", -1, -1, INT64_MAX, &wr)))
        return s;
    if (q->dtype != PML_FLOAT32 && q->dtype != PML_FLOAT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "q has dtype %s; supported: float32, float16",
                              pml_dtype_name(q->dtype));
    if (k->dtype != q->dtype || v->dtype != q->dtype)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "q, k and v must share one dtype (%s, %s, %s)",
                              pml_dtype_name(q->dtype), pml_dtype_name(k->dtype), pml_dtype_name(v->dtype));
    st->f16 = q->dtype == PML_FLOAT16;
    char bq[160], bk[160], bv[160];
    pml_shape_str(4, q->dims, bq, sizeof bq);
    pml_shape_str(4, k->dims, bk, sizeof bk);
    pml_shape_str(4, v->dims, bv, sizeof bv);
    st->b = q->dims[0], st->hq = q->dims[1], st->s = q->dims[2], st->d = q->dims[3];
    st->hkv = k->dims[1];
    st->k_transposed = (int)kt;
    st->l = kt ? k->dims[3] : k->dims[2];
    const int64_t kd = kt ? k->dims[2] : k->dims[3];
    st->dv = v->dims[3];
    if (k->dims[0] != st->b || v->dims[0] != st->b || v->dims[1] != st->hkv || v->dims[2] != st->l || kd != st->d)
        return pml_node_error(ctx, PML_ERR_SHAPE, "q %s, k %s (k_transposed=%d), v %s do not agree on batch, heads, "
                              "head size or key count", bq, bk, (int)kt, bv);
    if (st->hkv < 1 || st->hq % st->hkv)
        return pml_node_error(ctx, PML_ERR_SHAPE, "q heads (%lld) must be a multiple of k/v heads (%lld)",
                              (long long)st->hq, (long long)st->hkv);
    st->scale = pml_attr_float(ctx->node, "scale", 0.0f);
    st->softcap = pml_attr_float(ctx->node, "softcap", 0.0f);
    if (!isfinite(st->scale) || !isfinite(st->softcap) || st->softcap < 0.0f)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "scale %g must be finite and softcap %g finite and >= 0",
                              (double)st->scale, (double)st->softcap);
    if (st->scale == 0.0f) st->scale = st->d > 0 ? 1.0f / sqrtf((float)st->d) : 1.0f;
    st->causal = (int)causal;
    /* offsets and windows beyond +-(S + L) mean "everything" / "nothing": clamp so positions cannot overflow */
    const int64_t lim = st->s + st->l + 1, off = pml_attr_int(ctx->node, "causal_offset", 0);
    st->causal_offset = off > lim ? lim : off < -lim ? -lim : off;
    st->win_left = wl > lim ? lim : wl;
    st->win_right = wr > lim ? lim : wr;
    st->qk_mode = ctx->n_out > 1 && ctx->out[1] ? (int)qk_mode : -1;

    st->has_mask = ctx->n_in > 3 && ctx->in[3];
    if (st->has_mask && (s = attn_parse_mask(ctx, st))) return s;
    st->has_nonpad = ctx->n_in > 4 && ctx->in[4];
    if (st->has_nonpad) {
        const pml_tensor *n = ctx->in[4];
        if (n->dtype != PML_INT64 || n->rank != 1 || n->dims[0] != st->b) {
            char bn[160];
            return pml_node_error(ctx, PML_ERR_SHAPE, "nonpad_kv_seqlen (%s %s) must be int64 [batch] = [%lld]",
                                  pml_dtype_name(n->dtype), pml_shape_str(n->rank, n->dims, bn, sizeof bn),
                                  (long long)st->b);
        }
    }
    return PML_OK;
}

static pml_status attn_infer(pml_kernel_ctx *ctx) {
    attn_state st;
    memset(&st, 0, sizeof st);
    pml_status s = attn_parse(ctx, &st);
    if (s) return s;
    const pml_dtype dt = ctx->in[0]->dtype;
    const int64_t dims[4] = {st.b, st.hq, st.s, st.dv}, qk_dims[4] = {st.b, st.hq, st.s, st.l};
    if ((s = pml_ew_set_output(ctx, 0, dt, 4, dims))) return s;
    return st.qk_mode >= 0 ? pml_ew_set_output(ctx, 1, dt, 4, qk_dims) : PML_OK;
}

static pml_status attn_prepare(pml_kernel_ctx *ctx) {
    attn_state *st = (attn_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for attention state");
    memset(st, 0, sizeof *st);
    ctx->state = st;
    ctx->state_size = sizeof *st;
    pml_status s = attn_parse(ctx, st);
    if (s) return s;
    st->kern = ctx->config->f32.mm;
    st->row = st->kern->attn_row;
    st->widen = ctx->config->f32.ew->f16_to_f32;
    st->narrow = ctx->config->f32.ew->f32_to_f16;
    st->threads = pml_threadpool_size(ctx->pool);
    const int64_t l1 = st->l > 0 ? st->l : 1;
    st->rows = ATTN_BLOCK_FLOATS / l1;
    st->rows = st->rows < 6 ? 6 : st->rows / 6 * 6;
    if (st->rows > st->s) st->rows = st->s > 0 ? st->s : 1;
    /* enough tasks to keep every thread busy when B*Hq is small */
    const int64_t blocks = (st->s + st->rows - 1) / st->rows, bh = st->b * st->hq;
    st->chunks = 1;
    if (st->threads > 1 && bh > 0 && bh < 2 * st->threads) {
        st->chunks = (2 * st->threads + bh - 1) / bh;
        if (st->chunks > blocks) st->chunks = blocks > 0 ? blocks : 1;
    }
    st->pk_floats = pml_gemm_packed_floats(st->d, st->l);
    st->pv_floats = pml_gemm_packed_floats(st->l, st->dv);
    /* float16: K or V widened before packing, a block of Q rows, a block of Y rows, a qk row */
    const int64_t kv = st->d > st->dv ? st->d : st->dv;
    st->f16_floats = st->f16 ? line_floats(st->l * kv) + line_floats(st->rows * st->d) +
                                   line_floats(st->rows * st->dv) + line_floats(st->l) : 0;
    const size_t row_floats = line_floats(l1);
    st->thread_floats = st->pk_floats + st->pv_floats + (size_t)st->rows * row_floats + row_floats + st->f16_floats;
    if (st->thread_floats > ((size_t)1 << 36) / (size_t)(st->threads > 0 ? st->threads : 1))
        return pml_node_error(ctx, PML_ERR_SHAPE, "attention over %lld keys x head sizes %lld/%lld needs too much "
                              "scratch", (long long)st->l, (long long)st->d, (long long)st->dv);
    ctx->scratch_size = st->thread_floats * (size_t)st->threads * sizeof(float);
    return PML_OK;
}

static void attn_release(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->state);
    ctx->state = NULL;
    ctx->state_size = 0;
}

typedef struct attn_job {
    const attn_state *st;
    const void *q, *k, *v, *mask;
    const int64_t *nonpad;
    void *y, *qk;
    float *scratch;
} attn_job;

/* The mask row of (b, h, i) as floats: in place when float32 and contiguous
 * over keys, else expanded into buf. NULL without a mask. */
static const float *mask_row(const attn_job *j, int64_t b, int64_t h, int64_t i, float *buf) {
    const attn_state *st = j->st;
    if (!st->has_mask) return NULL;
    const int64_t off = b * st->mstr[0] + h * st->mstr[1] + i * st->mstr[2];
    if (st->mask_dtype == PML_FLOAT32 && st->mstr[3] == 1) return (const float *)j->mask + off;
    for (int64_t t = 0; t < st->mask_keys; t++) {
        const int64_t e = off + t * st->mstr[3];
        buf[t] = st->mask_dtype == PML_BOOL      ? (((const uint8_t *)j->mask)[e] ? 0.0f : -INFINITY)
                 : st->mask_dtype == PML_FLOAT16 ? pml_f16_to_f32_scalar(((const uint16_t *)j->mask)[e])
                                                 : ((const float *)j->mask)[e];
    }
    return buf;
}

/* The keys [*lo, *hi) query row i of batch b may attend: the mask's keys, the
 * external cache's valid keys, the causal frontier and the sliding window around
 * its position p (i + causal_offset, or i + nonpad[b] - S with an external cache). */
static void key_span(const attn_job *j, int64_t b, int64_t i, int64_t *lo, int64_t *hi) {
    const attn_state *st = j->st;
    int64_t end = st->has_mask ? st->mask_keys : st->l, start = 0, p = i + st->causal_offset;
    if (st->has_nonpad) {
        const int64_t lim = st->s + st->l + 1, raw = j->nonpad[b], n = raw > lim ? lim : raw < -lim ? -lim : raw;
        if (n < end) end = n;
        p = i + n - st->s;
    }
    if (st->causal && p + 1 < end) end = p + 1;
    if (st->win_right >= 0 && p + st->win_right + 1 < end) end = p + st->win_right + 1;
    if (st->win_left >= 0 && p - st->win_left > start) start = p - st->win_left;
    if (start > st->l) start = st->l;
    *lo = start;
    *hi = end < start ? start : end;
}

static float cap(const attn_state *st, float x) {
    return st->softcap > 0.0f ? st->softcap * tanhf(x / st->softcap) : x;
}

/* qk_mode 0 (raw), 1 (capped), 2 (capped + bias) from a row's scores, before the row kernel softmaxes them */
static void qk_scores(const attn_state *st, const float *sc, const float *m, int64_t lo, int64_t hi, float *out) {
    for (int64_t t = 0; t < st->l; t++) {
        if (st->qk_mode == 0) out[t] = sc[t];
        else if (st->qk_mode == 1) out[t] = cap(st, sc[t]);
        else out[t] = t >= lo && t < hi ? cap(st, sc[t]) + (m ? m[t] : 0.0f) : -INFINITY;
    }
}

/* Row i of the qk output: written in place (float32) or narrowed from tmp (float16). */
static void qk_store(const attn_job *j, int64_t bh, int64_t i, const float *row) {
    const attn_state *st = j->st;
    const size_t off = (size_t)((bh * st->s + i) * st->l);
    if (st->f16) st->narrow((size_t)st->l, row, (uint16_t *)j->qk + off);
    else if ((float *)j->qk + off != row) memcpy((float *)j->qk + off, row, (size_t)st->l * sizeof(float));
}

static void attn_task(void *arg, int64_t task, int thread) {
    const attn_job *j = (const attn_job *)arg;
    const attn_state *st = j->st;
    const int64_t bh = task / st->chunks, chunk = task % st->chunks;
    const int64_t b = bh / st->hq, h = bh % st->hq, hk = h / (st->hq / st->hkv);
    const int64_t blocks = (st->s + st->rows - 1) / st->rows;
    const int64_t blk0 = blocks * chunk / st->chunks, blk1 = blocks * (chunk + 1) / st->chunks;
    if (blk0 >= blk1) return;
    const size_t ld = line_floats(st->l);
    float *pk = j->scratch + (size_t)thread * st->thread_floats, *pv = pk + st->pk_floats, *sc = pv + st->pv_floats;
    float *mbuf = sc + (size_t)st->rows * ld;
    const size_t q_off = (size_t)(bh * st->s * st->d), y_off = (size_t)(bh * st->s * st->dv);
    const size_t k_off = (size_t)((b * st->hkv + hk) * st->l * st->d);
    const size_t v_off = (size_t)((b * st->hkv + hk) * st->l * st->dv);
    const float *q = NULL, *k, *v;
    float *y = NULL, *qrow = NULL, *yblk = NULL, *qkrow = NULL;
    if (st->f16) { /* widen K then V through one buffer before each is packed */
        float *kv = mbuf + ld;
        qrow = kv + line_floats(st->l * (st->d > st->dv ? st->d : st->dv));
        yblk = qrow + line_floats(st->rows * st->d);
        qkrow = yblk + line_floats(st->rows * st->dv);
        st->widen((size_t)(st->l * st->d), (const uint16_t *)j->k + k_off, kv);
        k = v = kv;
    } else {
        q = (const float *)j->q + q_off, k = (const float *)j->k + k_off, v = (const float *)j->v + v_off;
        y = (float *)j->y + y_off;
    }
    /* K as the B operand [D, L] of Q K^T: element (d, j) */
    const int64_t kd_stride = st->k_transposed ? st->l : 1, kl_stride = st->k_transposed ? 1 : st->d;
    pml_gemm_pack_b(k, st->d, st->l, kd_stride, kl_stride, st->scale, NULL, 0, 0.0f, pk);
    if (st->f16) st->widen((size_t)(st->l * st->dv), (const uint16_t *)j->v + v_off, mbuf + ld);
    pml_gemm_pack_b(v, st->l, st->dv, st->dv, 1, 1.0f, NULL, 0, 0.0f, pv);
    for (int64_t blk = blk0; blk < blk1; blk++) {
        const int64_t i0 = blk * st->rows, nr = st->s - i0 < st->rows ? st->s - i0 : st->rows;
        const float *qb = qrow;
        if (st->f16) st->widen((size_t)(nr * st->d), (const uint16_t *)j->q + q_off + (size_t)(i0 * st->d), qrow);
        else qb = q + i0 * st->d;
        pml_gemm_problem p = {.m = nr, .n = st->l, .k = st->d, .batch = 1, .a = qb, .lda = st->d,
                              .packed_b = pk, .c = sc, .ldc = (int64_t)ld};
        pml_gemm_run(st->kern, &p, NULL, NULL);
        for (int64_t r = 0; r < nr; r++) {
            const int64_t i = i0 + r;
            int64_t lo = 0, hi = st->has_mask ? st->mask_keys : st->l;
            if (st->causal || st->has_nonpad || st->win_left >= 0 || st->win_right >= 0) key_span(j, b, i, &lo, &hi);
            float *row = sc + r * (int64_t)ld;
            const float *m = mask_row(j, b, h, i, mbuf);
            if (st->qk_mode >= 0 && st->qk_mode < 3) {
                float *out = st->f16 ? qkrow : (float *)j->qk + (bh * st->s + i) * st->l;
                qk_scores(st, row, m, lo, hi, out);
                qk_store(j, bh, i, out);
            }
            st->row((size_t)(st->l - lo), (size_t)(hi - lo), row + lo, st->softcap, m ? m + lo : NULL);
            for (int64_t t = 0; t < lo; t++) row[t] = 0.0f;
            if (st->qk_mode == 3) qk_store(j, bh, i, row);
        }
        if (st->dv == 0) continue;
        pml_gemm_problem p2 = {.m = nr, .n = st->dv, .k = st->l, .batch = 1, .a = sc, .lda = (int64_t)ld,
                               .packed_b = pv, .c = st->f16 ? yblk : y + i0 * st->dv, .ldc = st->dv};
        pml_gemm_run(st->kern, &p2, NULL, NULL);
        if (st->f16) st->narrow((size_t)(nr * st->dv), yblk, (uint16_t *)j->y + y_off + (size_t)(i0 * st->dv));
    }
}

static pml_status attn_run(pml_kernel_ctx *ctx) {
    const attn_state *st = (const attn_state *)ctx->state;
    if (pml_threadpool_size(ctx->pool) > st->threads)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    if (st->b * st->hq * st->s == 0) return PML_OK;
    if (st->l == 0 || st->dv == 0) { /* no keys: every row is fully masked (and qk is empty) */
        memset(ctx->out[0]->data, 0, ctx->out[0]->nbytes);
        if (st->l == 0) return PML_OK;
    }
    attn_job j = {st, ctx->in[0]->data, ctx->in[1]->data, ctx->in[2]->data, st->has_mask ? ctx->in[3]->data : NULL,
                  st->has_nonpad ? (const int64_t *)ctx->in[4]->data : NULL, ctx->out[0]->data,
                  st->qk_mode >= 0 ? ctx->out[1]->data : NULL, (float *)ctx->scratch};
    pml_parallel_for(ctx->pool, st->b * st->hq * st->chunks, attn_task, &j);
    return PML_OK;
}

/* ---- RotaryEmbedding ----------------------------------------------------------------------------- */

typedef struct rope_state {
    int64_t b, s, h, dh, rd;  /* x viewed as [B, S, H, Dh] (4-D inputs: [B, H, S, Dh]) */
    int four_d, interleaved, has_pos;
    int64_t max_pos;          /* rows of the caches when indexed by position_ids */
} rope_state;

static pml_status rope_parse(const pml_kernel_ctx *ctx, rope_state *st) {
    pml_status s;
    int64_t inter, rd, heads;
    if ((s = pml_check_f32_input(ctx, 0, "x", -1)) || (s = pml_check_f32_input(ctx, 1, "cos_cache", -1)) ||
        (s = pml_check_f32_input(ctx, 2, "sin_cache", -1)) ||
        (s = pml_attr_int_checked(ctx, "interleaved", 0, 0, 1, &inter)) ||
        (s = pml_attr_int_checked(ctx, "rotary_embedding_dim", 0, 0, PML_MAX_DIM, &rd)) ||
        (s = pml_attr_int_checked(ctx, "num_heads", 0, 0, PML_MAX_DIM, &heads)))
        return s;
    const pml_tensor *x = ctx->in[0], *cs = ctx->in[1], *sn = ctx->in[2];
    const pml_tensor *pos = ctx->n_in > 3 ? ctx->in[3] : NULL;
    char bx[160], bc[160], bs[160];
    pml_shape_str(x->rank, x->dims, bx, sizeof bx);
    pml_shape_str(cs->rank, cs->dims, bc, sizeof bc);
    pml_shape_str(sn->rank, sn->dims, bs, sizeof bs);
    st->interleaved = (int)inter;
    st->b = x->rank >= 1 ? x->dims[0] : 0;
    if (x->rank == 4) {
        st->four_d = 1;
        st->h = x->dims[1], st->s = x->dims[2], st->dh = x->dims[3];
    } else if (x->rank == 3) {
        if (heads < 1 || x->dims[2] % heads)
            return pml_node_error(ctx, PML_ERR_SHAPE, "3-D x %s needs num_heads (%lld) dividing its hidden size", bx,
                                  (long long)heads);
        st->four_d = 0;
        st->s = x->dims[1], st->h = heads, st->dh = x->dims[2] / heads;
    } else {
        return pml_node_error(ctx, PML_ERR_SHAPE, "x %s must have rank 3 or 4", bx);
    }
    st->rd = rd ? rd : st->dh;
    if (st->rd % 2 || st->rd > st->dh)
        return pml_node_error(ctx, PML_ERR_SHAPE, "rotary_embedding_dim %lld must be even and <= head size %lld",
                              (long long)st->rd, (long long)st->dh);
    st->has_pos = pos != NULL;
    const int crank = st->has_pos ? 2 : 3;
    int ok = cs->rank == crank && sn->rank == crank && cs->dims[crank - 1] * 2 == st->rd;
    for (int d = 0; ok && d < crank; d++) ok = cs->dims[d] == sn->dims[d];
    if (ok && !st->has_pos) ok = cs->dims[0] == st->b && cs->dims[1] == st->s;
    if (!ok)
        return pml_node_error(ctx, PML_ERR_SHAPE, "cos_cache %s / sin_cache %s must both be %s with last dim "
                              "rotary_embedding_dim/2 = %lld (x %s)", bc, bs,
                              st->has_pos ? "[max_position, rd/2]" : "[B, S, rd/2]", (long long)(st->rd / 2), bx);
    if (st->has_pos) {
        if (pos->dtype != PML_INT64 && pos->dtype != PML_INT32)
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "position_ids has dtype %s; supported: int64, int32",
                                  pml_dtype_name(pos->dtype));
        if (pos->rank != 2 || pos->dims[0] != st->b || pos->dims[1] != st->s) {
            char bp[160];
            return pml_node_error(ctx, PML_ERR_SHAPE, "position_ids %s must be [B, S] = [%lld, %lld]",
                                  pml_shape_str(pos->rank, pos->dims, bp, sizeof bp), (long long)st->b,
                                  (long long)st->s);
        }
        st->max_pos = cs->dims[0];
    }
    return PML_OK;
}

static pml_status rope_infer(pml_kernel_ctx *ctx) {
    rope_state st;
    pml_status s = rope_parse(ctx, &st);
    return s ? s : pml_set_f32_output(ctx, ctx->in[0]->rank, ctx->in[0]->dims);
}

static pml_status rope_prepare(pml_kernel_ctx *ctx) {
    rope_state *st = (rope_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    ctx->state = st;
    ctx->state_size = sizeof *st;
    return rope_parse(ctx, st);
}

static pml_status rope_run(pml_kernel_ctx *ctx) {
    const rope_state *st = (const rope_state *)ctx->state;
    const float *x = (const float *)ctx->in[0]->data, *cs = (const float *)ctx->in[1]->data;
    const float *sn = (const float *)ctx->in[2]->data;
    const pml_tensor *pos = st->has_pos ? ctx->in[3] : NULL;
    float *y = (float *)ctx->out[0]->data;
    const int64_t half = st->rd / 2;
    for (int64_t b = 0; b < st->b; b++)
        for (int64_t i = 0; i < st->s; i++) {
            int64_t row = b * st->s + i; /* cache row */
            if (pos) {
                const int64_t p = pos->dtype == PML_INT64 ? ((const int64_t *)pos->data)[row]
                                                          : ((const int32_t *)pos->data)[row];
                if (p < 0 || p >= st->max_pos)
                    return pml_node_error(ctx, PML_ERR_RUNTIME, "position_ids[%lld][%lld] = %lld is out of "
                                          "range [0, %lld) of the cos/sin caches", (long long)b, (long long)i,
                                          (long long)p, (long long)st->max_pos);
                row = p;
            }
            const float *c = cs + row * half, *s = sn + row * half;
            for (int64_t h = 0; h < st->h; h++) {
                const int64_t off = st->four_d ? ((b * st->h + h) * st->s + i) * st->dh
                                               : ((b * st->s + i) * st->h + h) * st->dh;
                const float *xr = x + off;
                float *yr = y + off;
                for (int64_t t = 0; t < half; t++) {
                    const int64_t i1 = st->interleaved ? 2 * t : t, i2 = st->interleaved ? 2 * t + 1 : t + half;
                    const float x1 = xr[i1], x2 = xr[i2];
                    yr[i1] = c[t] * x1 - s[t] * x2;
                    yr[i2] = s[t] * x1 + c[t] * x2;
                }
                for (int64_t t = st->rd; t < st->dh; t++) yr[t] = xr[t];
            }
        }
    return PML_OK;
}

static void rope_release(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->state);
    ctx->state = NULL;
    ctx->state_size = 0;
}

static const pml_op_def k_attention = {PML_OP_ATTENTION, attn_infer, attn_prepare, attn_run,
                                       attn_release};
static const pml_op_def k_rotary = {PML_OP_ROTARYEMBEDDING, rope_infer, rope_prepare,
                                    rope_run, rope_release};

extern const pml_op_def pml_linear_attention_def; /* ops/attention_linear.c */

const pml_op_def *const pml_attention_ops[] = {&k_attention, &k_rotary, &pml_linear_attention_def, NULL};
