/*
 * kernels/matmul/qgemm_driver.c — the ISA-independent half of the int8 GEMM engine: weight
 * packing (int16 k-pairs, or u8 x s8 k-quads; the zero-point-corrected bias and the
 * per-column requantization parameters) and the blocked/threaded driver that calls a
 * micro-kernel from the session's qs8 table. The packed layout and the blocking are described in s8_gemm.h.
 */
#include <string.h>

#include "kernels/matmul/gemm_tasks.h"
#include "kernels/matmul/s8_gemm.h"

/* ---- packing ------------------------------------------------------------------------------ */

pml_qs8_cols pml_qs8_cols_at(void *packed, size_t data_bytes, int64_t n_pad) {
    int32_t *base = (int32_t *)((uint8_t *)packed + sizeof(pml_qs8_packed_header) + data_bytes);
    pml_qs8_cols c;
    c.bias = base;
    c.multiplier = base + n_pad;
    c.lshift = base + 2 * n_pad;
    c.rshift = base + 3 * n_pad;
    c.rmask = base + 4 * n_pad;
    c.rhalf = base + 5 * n_pad;
    c.scale = (float *)(base + 6 * n_pad);
    c.floor64 = (int64_t *)(void *)(base + 7 * n_pad); /* 8-byte aligned: data_bytes and 28 n_pad are */
    return c;
}

void pml_qs8_pack_cols(const pml_qs8_quant *q, int64_t ch0, int64_t k, int64_t kp, int64_t n, void *packed,
                       size_t data_bytes) {
    const int64_t n_pad = pml_qs8_n_pad(n);
    pml_qs8_packed_header *h = (pml_qs8_packed_header *)packed;
    memset(h, 0, sizeof *h);
    h->k = (int32_t)k, h->n = (int32_t)n, h->kp = (int32_t)kp, h->n_pad = (int32_t)n_pad;
    h->a_zero_point = q->a_zero_point;
    h->mode = q->rq.mode, h->zero_point = q->rq.zero_point, h->qmin = q->rq.qmin, h->qmax = q->rq.qmax;
    h->out_u8 = q->out_dtype == PML_UINT8;
    pml_qs8_cols c = pml_qs8_cols_at(packed, data_bytes, n_pad);
    memset(c.floor64, 0, (size_t)(n_pad / PML_QS8_NR) * PML_QS8_FLOOR64_PER_PANEL * sizeof(int64_t));
    for (int64_t j = 0; j < n_pad; j++) {
        c.bias[j] = c.multiplier[j] = c.lshift[j] = c.rshift[j] = c.rmask[j] = c.rhalf[j] = 0;
        c.scale[j] = 0.0f;
        if (j >= n) continue; /* padding columns: computed, never stored */
        const int64_t ch = ch0 + j, ri = q->rq.per_channel ? ch : 0;
        c.bias[j] = q->bias ? q->bias[ch] : 0;
        if (q->rq.mode == PML_REQUANT_FLOAT) {
            c.scale[j] = q->rq.scale[ri];
        } else {
            const int32_t shift = q->rq.shift[ri];
            c.multiplier[j] = q->rq.multiplier[ri];
            c.lshift[j] = shift > 0 ? shift : 0;
            c.rshift[j] = shift > 0 ? 0 : -shift;
            c.rmask[j] = (int32_t)(((int64_t)1 << c.rshift[j]) - 1);
            c.rhalf[j] = c.rmask[j] >> 1;
        }
    }
}

/* 1 when the weight zero points of channels ch0..ch0+n-1 are all 0 (the quad packing's
 * condition: vpdpbusd has no room for a per-column w - zw) */
static int w_zero_points_zero(const pml_qs8_quant *q, int64_t ch0, int64_t n) {
    if (!q->w_zero_point) return 1;
    const int64_t count = q->w_zp_per_channel ? n : 1, first = q->w_zp_per_channel ? ch0 : 0;
    for (int64_t j = 0; j < count; j++)
        if (q->w_zero_point[first + j] != 0) return 0;
    return 1;
}

/* int16 k-pairs of w' = w - zw */
static void pack_pairs(int64_t k, int64_t n, const int8_t *w, int64_t stride_k, int64_t stride_n,
                       const pml_qs8_quant *q, int64_t ch0, void *out, pml_qs8_cols *c) {
    const int64_t kp = pml_qs8_kp(k), n_pad = pml_qs8_n_pad(n);
    int16_t *panels = (int16_t *)((uint8_t *)out + sizeof(pml_qs8_packed_header));
    for (int64_t col = 0; col < n_pad; col++) {
        const int64_t j = col % PML_QS8_NR;
        const int32_t zw = q->w_zero_point && col < n ? q->w_zero_point[q->w_zp_per_channel ? ch0 + col : 0] : 0;
        /* column j of its panel sits in half j / 8 of each 64-byte k-pair, at slot j % 8 */
        int16_t *d = panels + (col / PML_QS8_NR) * kp * PML_QS8_NR + (j / 8) * 16 + (j % 8) * 2;
        uint32_t sum = 0;
        for (int64_t kk = 0; kk < kp; kk++) {
            const int32_t v = col < n && kk < k ? (int32_t)w[kk * stride_k + col * stride_n] - zw : 0;
            d[(kk / 2) * 2 * PML_QS8_NR + kk % 2] = (int16_t)v;
            sum += (uint32_t)v;
        }
        pml_qs8_fold_a_zero_point(c, col, q->a_zero_point, sum);
    }
}

/* int8 k-quads of w (zero points all 0); the fold pays back the activations' +128 */
static void pack_quads(int64_t k, int64_t n, const int8_t *w, int64_t stride_k, int64_t stride_n,
                       const pml_qs8_quant *q, void *out, pml_qs8_cols *c) {
    const int64_t kq = pml_qs8_kq(k), n_pad = pml_qs8_n_pad(n);
    int8_t *panels = (int8_t *)out + sizeof(pml_qs8_packed_header);
    for (int64_t col = 0; col < n_pad; col++) {
        int8_t *d = panels + (col / PML_QS8_NR) * kq * PML_QS8_NR + (col % PML_QS8_NR) * 4;
        uint32_t sum = 0;
        for (int64_t kk = 0; kk < kq; kk++) {
            const int8_t v = col < n && kk < k ? w[kk * stride_k + col * stride_n] : 0;
            d[(kk / 4) * 4 * PML_QS8_NR + kk % 4] = v;
            sum += (uint32_t)(int32_t)v;
        }
        pml_qs8_fold_a_zero_point(c, col, q->a_zero_point + 128, sum);
    }
}

/* 1 when no column's accumulator can reach 2^30 in magnitude (|bias'| + K * 128 * 255: every
 * product of either packing is at most 128 * 255) and every column shifts right by at least 1
 * without a left shift: pml_qs8_packed_header.small_acc. */
static int small_accumulators(const pml_qs8_cols *c, int64_t k, int64_t n) {
    const int64_t limit = (int64_t)1 << 30;
    if (k > limit / (128 * 255)) return 0;
    for (int64_t j = 0; j < n; j++) {
        const int64_t b = c->bias[j] < 0 ? -(int64_t)c->bias[j] : (int64_t)c->bias[j];
        if (c->lshift[j] != 0 || c->rshift[j] < 1 || b + k * 128 * 255 >= limit) return 0;
    }
    return 1;
}

void pml_qs8_gemm_pack(const pml_qs8_gemm_kernels *kern, int64_t k, int64_t n, const int8_t *w, int64_t stride_k,
                       int64_t stride_n, const pml_qs8_quant *q, int64_t ch0, void *out) {
    const int64_t kp = pml_qs8_kp(k), n_pad = pml_qs8_n_pad(n);
    const size_t data = (size_t)(kp * n_pad * 2);
    pml_qs8_pack_cols(q, ch0, k, kp, n, out, data);
    pml_qs8_cols c = pml_qs8_cols_at(out, data, n_pad);
    const int quads = kern && kern->u8_gemm && w_zero_points_zero(q, ch0, n);
    ((pml_qs8_packed_header *)out)->quads = quads;
    if (quads) pack_quads(k, n, w, stride_k, stride_n, q, out, &c);
    else pack_pairs(k, n, w, stride_k, stride_n, q, ch0, out, &c);
    ((pml_qs8_packed_header *)out)->small_acc = q->rq.mode == PML_REQUANT_FIXED_POINT && small_accumulators(&c, k, n);
    pml_qs8_set_floor64(out, data);
}

/*
 * The one-floor requantization (s8_requant__avx512.h derives it): with |acc| < 2^30, no left
 * shift and a right shift r >= 1 (small_acc), M >= 0 the multiplier and zp the output zero
 * point, the requantized value + zp is
 *   floor((acc M + 2^30 + 2^(30+r) + zp 2^(31+r) - [acc M < 0] 2^31) / 2^(31+r)).
 * It is exact when the int64 sum cannot overflow: |acc M| < 2^61 and, with r <= 22 and
 * |zp| <= 255, the constant's magnitude is below 2^30 + 2^52 + 255 2^53 < 2^61. The odd
 * columns' shifts are stored minus 32: their results land in the high dword of the lane.
 */
void pml_qs8_set_floor64(void *packed, size_t data_bytes) {
    pml_qs8_packed_header *h = (pml_qs8_packed_header *)packed;
    h->floor64 = PML_QS8_FLOOR64_NONE;
    const int32_t zp = h->zero_point;
    if (!h->small_acc || h->mode != PML_REQUANT_FIXED_POINT) return;
    const pml_qs8_cols c = pml_qs8_cols_at(packed, data_bytes, h->n_pad);
    const int32_t kind = pml_qs8_floor64_kind(zp, h->qmin, h->n, c.multiplier, c.lshift, c.rshift);
    if (kind == PML_QS8_FLOOR64_NONE) return;
    for (int64_t j = 0; j < h->n_pad; j++) {
        /* padding columns take r = 1: computed, never stored */
        const int64_t r = j < h->n ? c.rshift[j] : 1, lane = j % PML_QS8_NR;
        int64_t *panel = c.floor64 + j / PML_QS8_NR * PML_QS8_FLOOR64_PER_PANEL;
        const int64_t odd = lane & 1, slot = lane / 2;
        panel[odd * 8 + slot] = pml_qs8_floor64_offset(r, zp);
        panel[16 + odd * 8 + slot] = 31 + r - 32 * odd;
    }
    h->floor64 = kind;
}

pml_qs8_epilogue pml_qs8_panel_epilogue(const void *packed, size_t data_bytes, int64_t p) {
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    pml_qs8_cols c = pml_qs8_cols_at((void *)(uintptr_t)packed, data_bytes, h->n_pad);
    const int64_t j0 = p * PML_QS8_NR;
    pml_qs8_epilogue ep;
    ep.bias = c.bias + j0, ep.multiplier = c.multiplier + j0, ep.lshift = c.lshift + j0, ep.rshift = c.rshift + j0;
    ep.rmask = c.rmask + j0, ep.rhalf = c.rhalf + j0;
    ep.scale = c.scale + j0;
    ep.mode = h->mode, ep.zero_point = h->zero_point, ep.qmin = h->qmin, ep.qmax = h->qmax, ep.out_u8 = h->out_u8;
    ep.small_acc = h->small_acc;
    ep.floor64 = h->floor64, ep.rq64 = c.floor64 + p * PML_QS8_FLOOR64_PER_PANEL;
    ep.add = NULL, ep.res_delta = 0, ep.add_cache = NULL;
    ep.raw = 0;
    return ep;
}

/* ---- driver ------------------------------------------------------------------------------- */

/* Rows of A per M block: the block (mb x kp int16) stays in L2 while every panel of the
 * task passes over it (a panel, kp x 16 int16, stays in L1 for K <= 1024). */
#define QS8_A_BLOCK_BYTES (128 * 1024)

/* The dense store's accumulator block (int32, rows x N): it stays in L1 between the tiles
 * that write it and the store that reads it. */
#define QS8_DENSE_ACC_BYTES (16 * 1024)

/* Tasks per thread the split aims at (gemm_tasks.h), fewer than the f32 driver's 4: an int8
 * task is 2-4x shorter for the same rows, and every task boundary is where a thread may take
 * rows the other one wrote. Measured at 2 threads, whole networks, medians of fresh processes
 * binned by where the host had put the two CPUs (bench/host_probe.py), 2 instead of 4 tasks per
 * thread here and in the depthwise conv (qconv_driver.c): conv net 0.662-0.663 -> 0.657-0.659
 * ms with a shared L3, 0.828-0.831 -> 0.806-0.808 split; BlazeFace 0.444 -> 0.436 and
 * 0.618 -> 0.613. Next to busy processes (bench_int8_busy.py) no difference beyond its noise. */
#define QS8_TASKS_PER_THREAD 2

typedef struct qs8_plan {
    int64_t kp, n_pad, n_panels;
    pml_gemm_split sp;     /* the tasks: batch x M blocks x N blocks */
    size_t data_bytes;     /* panels of one packed B */
    size_t scratch_bytes;  /* per thread */
    int dense;             /* the tiles store raw accumulators, kern->dense_store requantizes */
    int64_t dense_rows;    /* rows of one accumulator block (a multiple of every tile's MR) */
    size_t a_bytes, acc_bytes; /* the thread's scratch: A block, accumulator block, dense columns */
} qs8_plan;

/* Rows of the dense store's accumulator block for N columns: a multiple of both tile heights. */
static int64_t qs8_dense_rows(const pml_qs8_gemm_kernels *kern, int64_t n) {
    const int64_t step = (int64_t)(kern->gemm_mr * (kern->u8_mr ? kern->u8_mr : 1));
    const int64_t rows = QS8_DENSE_ACC_BYTES / 4 / (n > 0 ? n : 1) / step * step;
    return rows > step ? rows : step;
}

static void qs8_plan_make(const pml_qs8_gemm_kernels *kern, const pml_qs8_gemm_problem *p, int threads, qs8_plan *pl) {
    const int64_t mr = (int64_t)kern->gemm_mr;
    pl->kp = pml_qs8_kp(p->k);
    pl->n_pad = pml_qs8_n_pad(p->n);
    pl->n_panels = pl->n_pad / PML_QS8_NR;
    pl->data_bytes = (size_t)(pl->kp * pl->n_pad * 2);
    int64_t mb = QS8_A_BLOCK_BYTES / ((pl->kp > 0 ? pl->kp : 2) * 2) / mr * mr;
    if (mb < 4 * mr) mb = 4 * mr;
    pl->sp = pml_gemm_split_make(p->batch, p->m, mr, mb, pl->n_panels, threads, QS8_TASKS_PER_THREAD);
    /* C's rows back to back, N not a whole number of panels (the tiles would requantize and
     * add padding lanes: 8 of 32 at N = 24) and every task over all the panels: the dense
     * store. Where N fills its panels the tiles' own epilogue measured faster (the raw
     * accumulators' round trip costs more than it saves: 1x1 conv K = 32 N = 64 +20%). The
     * scratch is sized for it whatever the thread count, as the A block. */
    pl->dense = kern->dense_store && p->ldc == p->n && p->n % PML_QS8_NR != 0;
    pl->dense_rows = pl->dense ? qs8_dense_rows(kern, p->n) : 0;
    pl->a_bytes = ((size_t)(mb * pl->kp) * 2 + 63) / 64 * 64;
    pl->acc_bytes = pl->dense ? ((size_t)(pl->dense_rows * p->n) * 4 + 63) / 64 * 64 : 0;
    /* the cycling int32 arrays, then the one floor's four int64 ones; 64-byte multiples, as the
     * Add's room after them must be aligned */
    const size_t cols = pl->dense ? ((size_t)pml_qs8_dense_cols_len(p->n) * 6 * 4 + 63) / 64 * 64 +
                                        ((size_t)pml_qs8_dense_rq64_len(p->n) * 4 * 8 + 63) / 64 * 64
                                  : 0;
    pl->scratch_bytes = pl->a_bytes + pl->acc_bytes + cols + PML_QS8_ADD_CACHE_BYTES; /* then the Add's room */
    pl->dense = pl->dense && pl->sp.n_blocks == 1;
}

size_t pml_qs8_gemm_scratch_bytes(const pml_qs8_gemm_kernels *kern, const pml_qs8_gemm_problem *p) {
    qs8_plan pl;
    qs8_plan_make(kern, p, 1, &pl);
    return pl.scratch_bytes;
}

typedef struct qs8_job {
    const pml_qs8_gemm_kernels *kern;
    const pml_qs8_gemm_problem *p;
    qs8_plan pl;
    pml_thread_scratch scratch;
} qs8_job;

/* One task's rows and panels. */
typedef struct qs8_span {
    int64_t batch, m0, mb, p0, p1;
    const int8_t *a;
    const void *packed;
    uint8_t *c;
    void *buf; /* the thread's scratch */
    pml_qs8_add_cache *add_cache; /* ... its fused Add's room (cleared for this task) */
} qs8_span;

/* Panel pn's epilogue, with the problem's residual Add */
static pml_qs8_epilogue qs8_span_epilogue(const qs8_job *job, const qs8_span *s, int64_t pn) {
    pml_qs8_epilogue ep = pml_qs8_panel_epilogue(s->packed, job->pl.data_bytes, pn);
    if (job->p->add) {
        ep.add = job->p->add;
        ep.res_delta = (intptr_t)((uintptr_t)job->p->residual - (uintptr_t)job->p->c);
        ep.add_cache = s->add_cache;
    }
    return ep;
}

/* Rows [i0, i0 + rows) of the span's A block (abuf, lda elements: uint8 for quads, int16 for
 * pairs; NULL when K == 0) times panel pn (and pn + 1 when two: raw quad tiles only) through
 * the configuration's tiles, with epilogue ep; row i0's C at cp, ldc bytes apart. */
static void qs8_tiles(const qs8_job *job, const qs8_span *s, int quads, const void *abuf, int64_t lda, int64_t i0,
                      int64_t rows, int64_t pn, int two, const pml_qs8_epilogue *ep, uint8_t *cp, size_t ldc) {
    static const uint8_t no_rows[4] = {0, 0, 0, 0}; /* K == 0: the kernels read nothing, but get a valid pointer */
    const pml_qs8_gemm_problem *p = job->p;
    const pml_qs8_gemm_kernels *kern = job->kern;
    const int64_t width = two ? 2 * PML_QS8_NR : PML_QS8_NR;
    const size_t nr = (size_t)(p->n - pn * PML_QS8_NR < width ? p->n - pn * PML_QS8_NR : width);
    const uint8_t *panels = (const uint8_t *)s->packed + sizeof(pml_qs8_packed_header);
    if (quads) {
        const int64_t mr_max = (int64_t)kern->u8_mr, kq = pml_qs8_kq(p->k);
        const int8_t *w = (const int8_t *)panels + pn * kq * PML_QS8_NR;
        const uint8_t *a = abuf ? (const uint8_t *)abuf + i0 * lda : no_rows;
        for (int64_t i = 0; i < rows; i += mr_max) {
            const size_t mr = (size_t)(rows - i < mr_max ? rows - i : mr_max);
            const pml_qu8_gemm_ukernel uk = two ? kern->u8_gemm_raw2 : mr == 1 ? kern->u8_gemm_1 : kern->u8_gemm;
            uk(mr, nr, (size_t)kq, abuf ? a + i * lda : no_rows, (size_t)lda, w, ep, cp + (size_t)i * ldc, ldc);
        }
    } else {
        const int64_t mr_max = (int64_t)kern->gemm_mr, kp = job->pl.kp;
        const int16_t *w = (const int16_t *)(const void *)panels + pn * kp * PML_QS8_NR;
        const int16_t *a = abuf ? (const int16_t *)abuf + i0 * lda : (const int16_t *)(const void *)no_rows;
        for (int64_t i = 0; i < rows; i += mr_max) {
            const size_t mr = (size_t)(rows - i < mr_max ? rows - i : mr_max);
            const pml_qs8_gemm_ukernel uk = mr == 1 ? kern->gemm_1 : kern->gemm;
            uk(mr, nr, (size_t)kp, abuf ? a + i * lda : a, (size_t)lda, w, ep, cp + (size_t)i * ldc, ldc);
        }
    }
}

/* The dense store's cycling column arrays (pml_qs8_dense: entry j is column j % n's) from the
 * span's packed column parameters, in the thread's scratch. */
static void qs8_dense_setup(const qs8_job *job, const qs8_span *s, pml_qs8_dense *d) {
    const pml_qs8_gemm_problem *p = job->p;
    const pml_qs8_packed_header *h = pml_qs8_header(s->packed);
    const pml_qs8_cols c = pml_qs8_cols_at((void *)(uintptr_t)s->packed, job->pl.data_bytes, job->pl.n_pad);
    const int64_t n = p->n, len = pml_qs8_dense_cols_len(n);
    int32_t *room = (int32_t *)(void *)((uint8_t *)s->buf + job->pl.a_bytes + job->pl.acc_bytes);
    int32_t *mult = room, *lsh = room + len, *rsh = room + 2 * len, *mask = room + 3 * len, *half = room + 4 * len;
    float *scale = (float *)(void *)(room + 5 * len);
    for (int64_t j = 0, col = 0; j < len; j++, col = col + 1 == n ? 0 : col + 1) {
        mult[j] = c.multiplier[col], lsh[j] = c.lshift[col], rsh[j] = c.rshift[col];
        mask[j] = c.rmask[col], half[j] = c.rhalf[col], scale[j] = c.scale[col];
    }
    d->multiplier = mult, d->lshift = lsh, d->rshift = rsh, d->rmask = mask, d->rhalf = half, d->scale = scale;
    d->n = n;
    d->mode = h->mode, d->zero_point = h->zero_point, d->qmin = h->qmin, d->qmax = h->qmax;
    d->out_u8 = h->out_u8, d->small_acc = h->small_acc;
    d->floor64 = h->floor64;
    d->rq64_len = pml_qs8_dense_rq64_len(n);
    int64_t *rq64 = (int64_t *)(void *)((uint8_t *)room + (len * 6 * 4 + 63) / 64 * 64);
    d->rq64 = rq64;
    if (h->floor64) pml_qs8_floor64_cycling(c.rshift, n, h->zero_point, d->rq64_len, rq64);
    d->add = p->add;
}

/* Every panel of the span: tiles with their own epilogue, or (the dense plan) blocks of rows
 * whose tiles store raw accumulators for the dense store. */
static void qs8_span_panels(const qs8_job *job, const qs8_span *s, int quads, const void *abuf, int64_t lda) {
    const pml_qs8_gemm_problem *p = job->p;
    const size_t ldc = (size_t)p->ldc;
    if (!job->pl.dense) {
        for (int64_t pn = s->p0; pn < s->p1; pn++) {
            const pml_qs8_epilogue ep = qs8_span_epilogue(job, s, pn);
            qs8_tiles(job, s, quads, abuf, lda, 0, s->mb, pn, 0, &ep, s->c + s->m0 * p->ldc + pn * PML_QS8_NR, ldc);
        }
        return;
    }
    pml_qs8_dense d;
    qs8_dense_setup(job, s, &d);
    int32_t *acc = (int32_t *)(void *)((uint8_t *)s->buf + job->pl.a_bytes);
    const intptr_t res_delta = p->add ? (intptr_t)((uintptr_t)p->residual - (uintptr_t)p->c) : 0;
    for (int64_t i0 = 0; i0 < s->mb; i0 += job->pl.dense_rows) {
        const int64_t rows = s->mb - i0 < job->pl.dense_rows ? s->mb - i0 : job->pl.dense_rows;
        for (int64_t pn = s->p0; pn < s->p1;) {
            pml_qs8_epilogue ep = pml_qs8_panel_epilogue(s->packed, job->pl.data_bytes, pn);
            ep.raw = 1;
            const int two = quads && job->kern->u8_gemm_raw2 && pn + 1 < s->p1;
            qs8_tiles(job, s, quads, abuf, lda, i0, rows, pn, two, &ep, (uint8_t *)(acc + pn * PML_QS8_NR),
                      (size_t)p->n * sizeof(int32_t));
            pn += two ? 2 : 1;
        }
        uint8_t *c = s->c + (s->m0 + i0) * p->ldc;
        job->kern->dense_store(&d, (size_t)(rows * p->n), acc, c,
                               p->add ? (const uint8_t *)((uintptr_t)c + (uintptr_t)res_delta) : NULL);
    }
}

/* int16 k-pairs: A widened (or im2col'ed) to int16, the pair tiles */
static void qs8_span_pairs(const qs8_job *job, const qs8_span *s) {
    const pml_qs8_gemm_problem *p = job->p;
    const int64_t kp = job->pl.kp;
    int16_t *abuf = kp > 0 ? (int16_t *)s->buf : NULL;
    if (kp > 0) {
        if (p->pack_a) {
            p->pack_a(p->cb_ctx, s->batch, s->m0, s->mb, abuf, kp);
        } else {
            for (int64_t r = 0; r < s->mb; r++) {
                if (p->a_u8) { /* not meant for pair-packed B (the ops flip first), but exact */
                    const uint8_t *src = (const uint8_t *)s->a + (s->m0 + r) * p->lda;
                    for (int64_t i = 0; i < p->k; i++) abuf[r * kp + i] = (int16_t)((int32_t)src[i] - 128);
                } else {
                    job->kern->widen((size_t)p->k, s->a + (s->m0 + r) * p->lda, abuf + r * kp);
                }
                if (kp > p->k) abuf[r * kp + p->k] = 0;
            }
        }
    }
    qs8_span_panels(job, s, 0, abuf, kp);
}

/* u8 x s8 k-quads: A flipped to uint8 rows of kq bytes (the K padding zeroed: its weights
 * are zero anyway, but the bytes are then defined), the quad tiles */
static void qs8_span_quads(const qs8_job *job, const qs8_span *s) {
    const pml_qs8_gemm_problem *p = job->p;
    const int64_t k = p->k, kq = pml_qs8_kq(k);
    const uint8_t *abuf = NULL;
    int64_t lda = kq;
    if (kq > 0 && p->pack_a_u8) {
        p->pack_a_u8(p->cb_ctx, s->batch, s->m0, s->mb, (uint8_t *)s->buf, kq);
        abuf = (const uint8_t *)s->buf;
    } else if (kq > 0 && p->a_u8 && k == kq) {
        /* uint8 rows of whole quads are the tiles' operand as they are: no copy */
        abuf = (const uint8_t *)s->a + s->m0 * p->lda, lda = p->lda;
    } else if (kq > 0 && !p->a_u8 && k == kq && p->lda == k) {
        /* contiguous whole-quad int8 rows (a 1x1 conv's NHWC input): one flip over the block,
         * not a short loop per row (at K = 24 or 32 the per-row loops cost a fifth of the conv) */
        uint8_t *buf = (uint8_t *)s->buf;
        const uint8_t *src = (const uint8_t *)s->a + s->m0 * p->lda;
        const size_t n = (size_t)(s->mb * k);
        for (size_t i = 0; i < n; i++) buf[i] = src[i] ^ 0x80u;
        abuf = buf;
    } else if (kq > 0) {
        uint8_t *buf = (uint8_t *)s->buf;
        for (int64_t r = 0; r < s->mb; r++) {
            const uint8_t *src = (const uint8_t *)s->a + (s->m0 + r) * p->lda;
            uint8_t *dst = buf + r * kq;
            if (p->a_u8) memcpy(dst, src, (size_t)k);
            else for (int64_t i = 0; i < k; i++) dst[i] = src[i] ^ 0x80u;
            for (int64_t i = k; i < kq; i++) dst[i] = 0;
        }
        abuf = buf;
    }
    qs8_span_panels(job, s, 1, abuf, lda);
}

static void qs8_task(void *arg, int64_t task, int thread) {
    const qs8_job *job = (const qs8_job *)arg;
    const pml_qs8_gemm_problem *p = job->p;
    const qs8_plan *pl = &job->pl;
    const int64_t per_batch = pl->sp.m_blocks * pl->sp.n_blocks;
    qs8_span s;
    s.batch = task / per_batch;
    pml_gemm_split_rows(&pl->sp, task % per_batch / pl->sp.n_blocks, &s.m0, &s.mb);
    pml_gemm_split_panels(&pl->sp, task % pl->sp.n_blocks, &s.p0, &s.p1);
    s.a = p->a;
    s.packed = p->packed;
    s.c = (uint8_t *)p->c;
    if (p->batch_ptrs) p->batch_ptrs(p->cb_ctx, s.batch, &s.a, &s.packed, &s.c);
    /* the quad block (mb x kq bytes) fits the pair block's scratch (kq <= 2 * kp) */
    s.buf = pml_thread_scratch_at(job->scratch, thread);
    s.add_cache = (pml_qs8_add_cache *)((uint8_t *)s.buf + pl->scratch_bytes - PML_QS8_ADD_CACHE_BYTES);
    s.add_cache->ready = 0;
    if (pml_qs8_header(s.packed)->quads) qs8_span_quads(job, &s);
    else qs8_span_pairs(job, &s);
}

void pml_qs8_gemm_run(const pml_qs8_gemm_kernels *kern, const pml_qs8_gemm_problem *p, pml_threadpool *pool,
                      pml_thread_scratch scratch) {
    if (p->m <= 0 || p->n <= 0 || p->batch <= 0) return;
    qs8_job job;
    job.kern = kern;
    job.p = p;
    job.scratch = scratch;
    qs8_plan_make(kern, p, pool ? pml_threadpool_size(pool) : 1, &job.pl);
    pml_parallel_for(pool, p->batch * job.pl.sp.m_blocks * job.pl.sp.n_blocks, qs8_task, &job);
}
