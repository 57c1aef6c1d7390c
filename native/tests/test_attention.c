/*
 * test_attention.c — the fused Attention op (scale, softcap, float/bool/
 * broadcast/short masks, causal with offsets, grouped-query heads,
 * k_transposed, sliding windows, nonpad_kv_seqlen, the qk output in modes
 * 0-3, float16) against a naive double-precision loop, AVX2 and 2 threads
 * against the reference kernels at awkward sizes (1, 7, 8, 9, 13, 127 keys
 * and head sizes), RotaryEmbedding (halves/interleaved, partial rotary dim,
 * 3-D and 4-D, with and without position_ids) and the error paths, including
 * out-of-range position_ids at run time. LinearAttention (every update rule, per-head
 * and per-key decay, shared and per-head beta, grouped-query heads, with and without
 * past_state, 1 and 2 threads, float16) against a naive double loop, and its errors.
 */
#include "testutil.h"

static pml_tensor rand_t(int rank, const int64_t *dims, float lo, float hi) {
    pml_tensor t = test_tensor(PML_FLOAT32, rank, dims, 0);
    test_fill((float *)t.data, t.nbytes / 4, lo, hi);
    return t;
}

typedef struct attn_case {
    int64_t b, hq, hkv, s, l, d, dv;
    int mask_kind;   /* 0 none, 1 float [S, Lm], 2 bool [B,1,S,L], 3 float [B,Hq,S,1] */
    int64_t lm;      /* mask keys (kind 1) */
    int causal;
    int64_t offset;
    float scale, softcap;
    int k_transposed;
    int windowed;    /* 1: window_left/right = wl/wr (-1 unbounded) */
    int64_t wl, wr;
    const int64_t *nonpad; /* per-batch valid keys (external cache), NULL: none */
    int qk;          /* qk output in mode qk - 1; 0: none */
    int f16;         /* float16 q/k/v/y/qk */
} attn_case;

/* naive attention in double: y[b,h,i,:] */
static void naive_attention(const attn_case *c, const float *q, const float *k, const float *v, const void *mask,
                            const int64_t *mstr, float *y, float *qk) {
    const int64_t rep = c->hq / c->hkv;
    const double scale = c->scale > 0 ? c->scale : 1.0 / sqrt((double)c->d);
    double *s = malloc((size_t)c->l * sizeof(double));
    for (int64_t b = 0; b < c->b; b++)
        for (int64_t h = 0; h < c->hq; h++)
            for (int64_t i = 0; i < c->s; i++) {
                const int64_t hk = h / rep;
                double top = -INFINITY;
                for (int64_t j = 0; j < c->l; j++) {
                    double dot = 0;
                    for (int64_t t = 0; t < c->d; t++) {
                        const int64_t ki = c->k_transposed ? ((b * c->hkv + hk) * c->d + t) * c->l + j
                                                           : ((b * c->hkv + hk) * c->l + j) * c->d + t;
                        dot += (double)q[((b * c->hq + h) * c->s + i) * c->d + t] * k[ki];
                    }
                    double x = dot * scale;
                    float *qkr = qk ? qk + ((b * c->hq + h) * c->s + i) * c->l : NULL;
                    if (c->qk == 1) qkr[j] = (float)x;
                    if (c->softcap > 0) x = c->softcap * tanh(x / c->softcap);
                    if (c->qk == 2) qkr[j] = (float)x;
                    double bias = 0;
                    if (c->mask_kind) {
                        const int64_t keys = c->mask_kind == 1 ? c->lm : c->l;
                        if (j >= keys) {
                            bias = -INFINITY;
                        } else {
                            const int64_t e = b * mstr[0] + h * mstr[1] + i * mstr[2] + j * mstr[3];
                            bias = c->mask_kind == 2 ? (((const uint8_t *)mask)[e] ? 0.0 : -INFINITY)
                                                     : ((const float *)mask)[e];
                        }
                    }
                    const int64_t p = i + (c->nonpad ? c->nonpad[b] - c->s : c->offset);
                    if (c->causal && j > p) bias = -INFINITY;
                    if (c->windowed && ((c->wl >= 0 && j < p - c->wl) || (c->wr >= 0 && j > p + c->wr)))
                        bias = -INFINITY;
                    if (c->nonpad && j >= c->nonpad[b]) bias = -INFINITY;
                    s[j] = x + bias;
                    if (c->qk == 3) qkr[j] = (float)s[j];
                    if (s[j] > top) top = s[j];
                }
                float *yr = y + ((b * c->hq + h) * c->s + i) * c->dv;
                double sum = 0;
                for (int64_t j = 0; j < c->l; j++) sum += top == -INFINITY ? 0 : exp(s[j] - top);
                float *qkp = c->qk == 4 ? qk + ((b * c->hq + h) * c->s + i) * c->l : NULL;
                for (int64_t j = 0; qkp && j < c->l; j++)
                    qkp[j] = top == -INFINITY ? 0.0f : (float)(exp(s[j] - top) / sum);
                for (int64_t t = 0; t < c->dv; t++) {
                    double acc = 0;
                    for (int64_t j = 0; j < c->l && top != -INFINITY; j++)
                        acc += exp(s[j] - top) / sum * v[((b * c->hkv + hk) * c->l + j) * c->dv + t];
                    yr[t] = (float)acc;
                }
            }
    free(s);
}

/* t rounded to float16 in place (the naive loop then sees what the op sees) and its float16 copy */
static pml_tensor to_f16(pml_tensor *t) {
    pml_tensor h = test_tensor(PML_FLOAT16, t->rank, t->dims, 0);
    for (size_t e = 0; e < t->nbytes / 4; e++) {
        ((uint16_t *)h.data)[e] = pml_f32_to_f16_scalar(((float *)t->data)[e]);
        ((float *)t->data)[e] = pml_f16_to_f32_scalar(((uint16_t *)h.data)[e]);
    }
    return h;
}

/* output o of a run as float32 (float16 widened in place into a new buffer) */
static float *as_f32(pml_tensor *o, int f16) {
    if (!f16) return (float *)o->data;
    const size_t n = o->nbytes / 2;
    float *f = pml_aligned_alloc(n * sizeof(float) + 4);
    for (size_t e = 0; e < n; e++) f[e] = pml_f16_to_f32_scalar(((uint16_t *)o->data)[e]);
    pml_aligned_free(o->data);
    return f;
}

static void run_case(const attn_case *c) {
    const int64_t qd[4] = {c->b, c->hq, c->s, c->d}, vd[4] = {c->b, c->hkv, c->l, c->dv};
    const int64_t kd[4] = {c->b, c->hkv, c->k_transposed ? c->d : c->l, c->k_transposed ? c->l : c->d};
    pml_tensor q = rand_t(4, qd, -1, 1), k = rand_t(4, kd, -1, 1), v = rand_t(4, vd, -1, 1), m, np;
    pml_tensor q16, k16, v16, m16;
    int64_t mstr[4] = {0, 0, 0, 0};
    pml_tensor *ins[5] = {&q, &k, &v, NULL, NULL};
    if (c->mask_kind == 1) {
        const int64_t md[2] = {c->s, c->lm};
        m = rand_t(2, md, -2, 1);
        for (int64_t e = 0; e < c->s * c->lm; e += 5) ((float *)m.data)[e] = -INFINITY;
        mstr[2] = c->lm, mstr[3] = 1;
    } else if (c->mask_kind == 2) {
        const int64_t md[4] = {c->b, 1, c->s, c->l};
        m = test_tensor(PML_BOOL, 4, md, 0);
        for (size_t e = 0; e < m.nbytes; e++) ((uint8_t *)m.data)[e] = test_randf(0, 1) < 0.7f;
        mstr[0] = c->s * c->l, mstr[2] = c->l, mstr[3] = 1;
    } else if (c->mask_kind == 3) {
        const int64_t md[4] = {c->b, c->hq, c->s, 1};
        m = rand_t(4, md, -1, 1);
        mstr[0] = c->hq * c->s, mstr[1] = c->s, mstr[2] = 1;
    }
    if (c->mask_kind) ins[3] = &m;
    if (c->f16) {
        q16 = to_f16(&q), k16 = to_f16(&k), v16 = to_f16(&v);
        ins[0] = &q16, ins[1] = &k16, ins[2] = &v16;
        if (c->mask_kind == 1) m16 = to_f16(&m), ins[3] = &m16;
    }
    if (c->nonpad) {
        np = test_tensor(PML_INT64, 1, &c->b, 0);
        memcpy(np.data, c->nonpad, (size_t)c->b * sizeof(int64_t));
        ins[4] = &np;
    }
    pml_attr at[9] = {attr_float("scale", c->scale), attr_float("softcap", c->softcap),
                      attr_int("is_causal", c->causal), attr_int("causal_offset", c->offset),
                      attr_int("k_transposed", c->k_transposed), attr_int("qk_mode", c->qk > 0 ? c->qk - 1 : 0),
                      attr_int("window_left", c->windowed ? c->wl : -1),
                      attr_int("window_right", c->windowed ? c->wr : -1)};
    pml_tensor runs[3][2];
    const int n_in = c->nonpad ? 5 : c->mask_kind ? 4 : 3, n_out = c->qk ? 2 : 1;
    CHECK_OK(pml_test_op(PML_OP_ATTENTION, at, 8, ins, n_in, runs[0], n_out, 1, 1));
    CHECK_OK(pml_test_op(PML_OP_ATTENTION, at, 8, ins, n_in, runs[1], n_out, 0, 1));
    CHECK_OK(pml_test_op(PML_OP_ATTENTION, at, 8, ins, n_in, runs[2], n_out, 0, 2));
    const size_t n = (size_t)(c->b * c->hq * c->s * c->dv), nqk = (size_t)(c->b * c->hq * c->s * c->l);
    float *want = malloc(n * sizeof(float) + 4), *want_qk = c->qk ? malloc(nqk * sizeof(float) + 4) : NULL;
    naive_attention(c, (float *)q.data, (float *)k.data, (float *)v.data, c->mask_kind ? m.data : NULL, mstr, want,
                    want_qk);
    char what[200];
    snprintf(what, sizeof what, "attention b%lld hq%lld hkv%lld s%lld l%lld d%lld dv%lld mask%d causal%d/%lld kt%d "
             "win%d/%lld/%lld nonpad%d qk%d f16%d", (long long)c->b, (long long)c->hq, (long long)c->hkv,
             (long long)c->s, (long long)c->l, (long long)c->d, (long long)c->dv, c->mask_kind, c->causal,
             (long long)c->offset, c->k_transposed, c->windowed, (long long)c->wl, (long long)c->wr, c->nonpad != NULL,
             c->qk, c->f16);
    for (size_t e = 0; c->qk && e < nqk; e++)
        if (want_qk[e] == -INFINITY) want_qk[e] = -1e30f;
    const float tol = c->f16 ? 2e-3f : 1e-4f, atol = c->f16 ? 2e-3f : 1e-5f;
    for (int r = 0; r < 3; r++) {
        CHECK(runs[r][0].dims[3] == c->dv && runs[r][0].dims[1] == c->hq);
        CHECK(runs[r][0].dtype == (c->f16 ? PML_FLOAT16 : PML_FLOAT32));
        float *y = as_f32(&runs[r][0], c->f16);
        CHECK(test_allclose(y, want, n, tol, atol, what));
        pml_aligned_free(y);
        if (c->qk) {
            CHECK(runs[r][1].dims[3] == c->l);
            float *qk = as_f32(&runs[r][1], c->f16);
            for (size_t e = 0; e < nqk; e++) /* -inf where mode 2 masks: compared as a sentinel */
                if (qk[e] == -INFINITY) qk[e] = -1e30f;
            CHECK(test_allclose(qk, want_qk, nqk, tol, atol, what));
            pml_aligned_free(qk);
        }
    }
    free(want), free(want_qk);
    pml_aligned_free(q.data), pml_aligned_free(k.data), pml_aligned_free(v.data);
    if (c->f16) pml_aligned_free(q16.data), pml_aligned_free(k16.data), pml_aligned_free(v16.data);
    if (c->f16 && c->mask_kind == 1) pml_aligned_free(m16.data);
    if (c->mask_kind) pml_aligned_free(m.data);
    if (c->nonpad) pml_aligned_free(np.data);
}

static void test_attention(void) {
    static const int64_t sizes[] = {1, 7, 8, 9, 13, 127};
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    for (int a = 0; a < ns; a++)
        for (int b = 0; b < ns; b += 2) {
            attn_case c = {1, 2, 2, sizes[a], sizes[(a + b) % ns], sizes[b], sizes[(b + 1) % ns], 0, 0, 0, 0, 0, 0, 0};
            run_case(&c);
            c.k_transposed = 1, c.mask_kind = 1, c.lm = c.l > 3 ? c.l - 2 : c.l;
            run_case(&c);
            c.k_transposed = 0, c.mask_kind = 2, c.causal = 1, c.offset = c.l - c.s;
            run_case(&c);
            c.mask_kind = 3, c.causal = 1, c.offset = 0, c.softcap = 2.0f, c.scale = 0.3f;
            run_case(&c);
        }
    /* grouped-query heads, batch 2, long sequence (several row blocks, tasks split by rows) */
    attn_case g = {2, 6, 2, 200, 150, 16, 24, 1, 150, 1, 5, 0, 0, 0};
    run_case(&g);
    attn_case one_head = {1, 1, 1, 300, 300, 64, 64, 0, 0, 1, 0, 0.125f, 0, 1};
    run_case(&one_head);
    /* a negative offset masks whole rows: they must come out 0 */
    attn_case dead = {1, 1, 1, 5, 4, 8, 8, 0, 0, 1, -2, 0, 0, 0};
    run_case(&dead);
    /* windows, the external cache, the qk output in every mode, float16; at awkward key counts */
    static const int64_t keys[] = {1, 7, 8, 9, 13, 127};
    for (int a = 0; a < 6; a++) {
        const int64_t l = keys[a], sq = l < 5 ? l : 5, np[2] = {l, l > 3 ? l - 3 : 0};
        attn_case w = {2, 4, 2, sq, l, 8, 6, 1, l > 2 ? l - 1 : l, 1, l - sq, 0, 2.0f, 0};
        w.windowed = 1, w.wl = 2, w.wr = -1, w.qk = 1 + a % 4;
        run_case(&w);
        w.mask_kind = 0, w.causal = 0, w.wl = 1, w.wr = 2, w.qk = 1 + (a + 2) % 4;
        run_case(&w);
        w.causal = 1, w.nonpad = np, w.windowed = a % 2, w.mask_kind = 2, w.qk = 3;
        run_case(&w);
        w.f16 = 1, w.mask_kind = 1, w.qk = 4;
        run_case(&w);
        w.nonpad = NULL, w.windowed = 0, w.k_transposed = 1, w.qk = 0;
        run_case(&w);
    }
    const int64_t np_far[2] = {-3, 1000}; /* out-of-range counts: nothing / everything valid */
    attn_case far = {2, 2, 2, 3, 9, 8, 8, 0, 0, 1, 0, 0, 0, 0, 1, 0, -1, np_far, 4, 0};
    run_case(&far);
    attn_case big = {1, 3, 1, 140, 130, 16, 16, 1, 130, 1, 0, 0, 0, 0, 1, 20, 3, NULL, 3, 1};
    run_case(&big);
}

static void test_attention_errors(void) {
    const int64_t qd[4] = {1, 3, 4, 8}, kd[4] = {1, 2, 5, 8}, kd_bad[4] = {1, 3, 5, 7}, vd[4] = {1, 2, 5, 8};
    pml_tensor q = rand_t(4, qd, -1, 1), k = rand_t(4, kd, -1, 1), kb = rand_t(4, kd_bad, -1, 1);
    pml_tensor v = rand_t(4, vd, -1, 1);
    pml_tensor y;
    pml_tensor *ins[4] = {&q, &k, &v, NULL};
    CHECK(pml_test_op(PML_OP_ATTENTION, NULL, 0, ins, 3, &y, 1, 1, 1) == PML_ERR_SHAPE); /* 3 heads vs 2 */
    CHECK(strstr(pml_last_error(), "multiple") != NULL);
    ins[1] = &kb;
    CHECK(pml_test_op(PML_OP_ATTENTION, NULL, 0, ins, 3, &y, 1, 1, 1) == PML_ERR_SHAPE);
    /* mask wider than the keys, and an int mask */
    const int64_t qd2[4] = {1, 2, 4, 8}, md[2] = {4, 6};
    pml_tensor q2 = rand_t(4, qd2, -1, 1), m = rand_t(2, md, -1, 1), mi = test_tensor(PML_INT32, 2, md, 0);
    const int64_t md_ok[2] = {4, 5};
    pml_tensor mi_ok = test_tensor(PML_INT32, 2, md_ok, 0);
    pml_tensor *ins2[4] = {&q2, &k, &v, &m};
    CHECK(pml_test_op(PML_OP_ATTENTION, NULL, 0, ins2, 4, &y, 1, 1, 1) == PML_ERR_SHAPE);
    ins2[3] = &mi_ok;
    CHECK(pml_test_op(PML_OP_ATTENTION, NULL, 0, ins2, 4, &y, 1, 1, 1) == PML_ERR_DTYPE); /* int32 mask: outside the schema */
    pml_attr bad_cap = attr_float("softcap", -1.0f);
    ins2[3] = NULL;
    CHECK(pml_test_op(PML_OP_ATTENTION, &bad_cap, 1, ins2, 3, &y, 1, 1, 1) == PML_ERR_INVALID_MODEL);
    pml_attr bad_kt = attr_int("k_transposed", 2);
    CHECK(pml_test_op(PML_OP_ATTENTION, &bad_kt, 1, ins2, 3, &y, 1, 1, 1) == PML_ERR_INVALID_MODEL);
    pml_attr bad_qk = attr_int("qk_mode", 4), bad_win = attr_int("window_left", -2);
    CHECK(pml_test_op(PML_OP_ATTENTION, &bad_qk, 1, ins2, 3, &y, 1, 1, 1) == PML_ERR_INVALID_MODEL);
    CHECK(pml_test_op(PML_OP_ATTENTION, &bad_win, 1, ins2, 3, &y, 1, 1, 1) == PML_ERR_INVALID_MODEL);
    /* nonpad_kv_seqlen must be int64 [batch] */
    const int64_t nd[1] = {2};
    pml_tensor np_bad = test_tensor(PML_INT64, 1, nd, 0);
    pml_tensor *ins3[5] = {&q2, &k, &v, NULL, &np_bad};
    CHECK(pml_test_op(PML_OP_ATTENTION, NULL, 0, ins3, 5, &y, 1, 1, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "nonpad_kv_seqlen") != NULL);
    pml_aligned_free(np_bad.data);
    pml_aligned_free(q.data), pml_aligned_free(k.data), pml_aligned_free(kb.data), pml_aligned_free(v.data);
    pml_aligned_free(q2.data), pml_aligned_free(m.data), pml_aligned_free(mi.data), pml_aligned_free(mi_ok.data);
}

/* RotaryEmbedding vs a naive loop over every layout/option combination */
static void test_rotary(void) {
    static const int64_t heads_dims[][2] = {{1, 2}, {2, 8}, {3, 14}, {2, 16}};
    for (int hc = 0; hc < 4; hc++)
        for (int four_d = 0; four_d < 2; four_d++)
            for (int inter = 0; inter < 2; inter++)
                for (int partial = 0; partial < 2; partial++)
                    for (int with_pos = 0; with_pos < 2; with_pos++) {
                        const int64_t B = 2, S = 7, H = heads_dims[hc][0], Dh = heads_dims[hc][1];
                        const int64_t rd = partial && Dh >= 4 ? Dh / 2 / 2 * 2 : Dh, half = rd / 2, P = 11;
                        int64_t xd4[4] = {B, H, S, Dh}, xd3[3] = {B, S, H * Dh};
                        pml_tensor x = four_d ? rand_t(4, xd4, -1, 1) : rand_t(3, xd3, -1, 1);
                        int64_t cd2[2] = {P, half}, cd3[3] = {B, S, half}, pd[2] = {B, S};
                        pml_tensor cs = with_pos ? rand_t(2, cd2, -1, 1) : rand_t(3, cd3, -1, 1);
                        pml_tensor sn = with_pos ? rand_t(2, cd2, -1, 1) : rand_t(3, cd3, -1, 1);
                        pml_tensor pos = test_tensor(PML_INT64, 2, pd, 0);
                        for (int64_t e = 0; e < B * S; e++) ((int64_t *)pos.data)[e] = (e * 7) % P;
                        pml_attr at[3] = {attr_int("interleaved", inter),
                                          attr_int("rotary_embedding_dim", partial ? rd : 0),
                                          attr_int("num_heads", four_d ? 0 : H)};
                        pml_tensor *ins[4] = {&x, &cs, &sn, with_pos ? &pos : NULL};
                        pml_tensor y;
                        CHECK_OK(pml_test_op(PML_OP_ROTARYEMBEDDING, at, 3, ins, with_pos ? 4 : 3, &y, 1, 0, 1));
                        const float *xp = (const float *)x.data, *yp = (const float *)y.data;
                        int ok = 1;
                        for (int64_t b = 0; b < B; b++)
                            for (int64_t i = 0; i < S; i++)
                                for (int64_t h = 0; h < H; h++) {
                                    const int64_t off = four_d ? ((b * H + h) * S + i) * Dh
                                                               : ((b * S + i) * H + h) * Dh;
                                    const int64_t row = with_pos ? ((int64_t *)pos.data)[b * S + i] : b * S + i;
                                    for (int64_t t = 0; t < Dh; t++) {
                                        double want = xp[off + t];
                                        if (t < rd) {
                                            const int64_t pr = inter ? t / 2 : t % half;
                                            const int first = inter ? t % 2 == 0 : t < half;
                                            const int64_t i1 = inter ? 2 * pr : pr, i2 = inter ? 2 * pr + 1 : pr + half;
                                            const double c = ((float *)cs.data)[row * half + pr],
                                                         s = ((float *)sn.data)[row * half + pr];
                                            want = first ? c * xp[off + i1] - s * xp[off + i2]
                                                         : s * xp[off + i1] + c * xp[off + i2];
                                        }
                                        if (fabs(want - yp[off + t]) > 1e-5) ok = 0;
                                    }
                                }
                        CHECK(ok);
                        pml_aligned_free(y.data);
                        pml_aligned_free(x.data), pml_aligned_free(cs.data), pml_aligned_free(sn.data);
                        pml_aligned_free(pos.data);
                    }
    /* position_ids out of range: a clear run-time error, no read outside the caches */
    int64_t xd[4] = {1, 1, 2, 4}, cd[2] = {3, 2}, pd[2] = {1, 2};
    pml_tensor x = rand_t(4, xd, -1, 1), cs = rand_t(2, cd, -1, 1), sn = rand_t(2, cd, -1, 1);
    pml_tensor pos = test_tensor(PML_INT64, 2, pd, 0), y;
    ((int64_t *)pos.data)[0] = 0, ((int64_t *)pos.data)[1] = 3;
    pml_tensor *ins[4] = {&x, &cs, &sn, &pos};
    CHECK(pml_test_op(PML_OP_ROTARYEMBEDDING, NULL, 0, ins, 4, &y, 1, 0, 1) == PML_ERR_RUNTIME);
    CHECK(strstr(pml_last_error(), "out of range") != NULL);
    pml_aligned_free(y.data);
    ((int64_t *)pos.data)[1] = -1;
    CHECK(pml_test_op(PML_OP_ROTARYEMBEDDING, NULL, 0, ins, 4, &y, 1, 0, 1) == PML_ERR_RUNTIME);
    pml_aligned_free(y.data);
    /* odd rotary dim, wrong cache width, 3-D without num_heads */
    pml_attr odd = attr_int("rotary_embedding_dim", 3);
    CHECK(pml_test_op(PML_OP_ROTARYEMBEDDING, &odd, 1, ins, 4, &y, 1, 0, 1) == PML_ERR_SHAPE);
    int64_t cd_bad[2] = {3, 3};
    pml_tensor cb = rand_t(2, cd_bad, -1, 1);
    ins[1] = &cb;
    CHECK(pml_test_op(PML_OP_ROTARYEMBEDDING, NULL, 0, ins, 4, &y, 1, 0, 1) == PML_ERR_SHAPE);
    int64_t xd3[3] = {1, 2, 4};
    pml_tensor x3 = rand_t(3, xd3, -1, 1);
    ins[0] = &x3, ins[1] = &cs;
    CHECK(pml_test_op(PML_OP_ROTARYEMBEDDING, NULL, 0, ins, 4, &y, 1, 0, 1) == PML_ERR_SHAPE);
    pml_aligned_free(x.data), pml_aligned_free(cs.data), pml_aligned_free(sn.data), pml_aligned_free(pos.data);
    pml_aligned_free(cb.data), pml_aligned_free(x3.data);
}

/* ---- LinearAttention ------------------------------------------------------------------------------ */

typedef struct linatt_case {
    int64_t b, t, hq, hkv, dk, dv;
    int64_t decay_n, beta_n; /* 0: absent */
    int past;
} linatt_case;

/* naive recurrence in double: y [B,T,Hq*dv], state [B,Hkv,dk,dv] */
static void naive_linatt(const linatt_case *c, float **in, double *y, double *st) {
    const float *q = in[0], *k = in[1], *v = in[2], *past = in[3], *g = in[4], *beta = in[5];
    const int64_t dk = c->dk, dv = c->dv, grp = c->hq / c->hkv;
    double *u = malloc((size_t)dv * sizeof(double));
    for (int64_t b = 0; b < c->b; b++)
        for (int64_t j = 0; j < c->hkv; j++) {
            double *s = st + (b * c->hkv + j) * dk * dv;
            for (int64_t e = 0; e < dk * dv; e++) s[e] = past ? past[(b * c->hkv + j) * dk * dv + e] : 0.0;
            for (int64_t t = 0; t < c->t; t++) {
                const int64_t bt = b * c->t + t;
                const float *kt = k + (bt * c->hkv + j) * dk, *vt = v + (bt * c->hkv + j) * dv;
                for (int64_t d = 0; d < dk && g; d++) {
                    const double f = exp(c->decay_n == c->hkv ? g[bt * c->hkv + j] : g[(bt * c->hkv + j) * dk + d]);
                    for (int64_t m = 0; m < dv; m++) s[d * dv + m] *= f;
                }
                for (int64_t m = 0; m < dv; m++) {
                    double r = 0;
                    for (int64_t d = 0; d < dk; d++) r += s[d * dv + m] * kt[d];
                    u[m] = beta ? beta[bt * c->beta_n + (c->beta_n == 1 ? 0 : j)] * (vt[m] - r) : vt[m];
                }
                for (int64_t d = 0; d < dk; d++)
                    for (int64_t m = 0; m < dv; m++) s[d * dv + m] += kt[d] * u[m];
                for (int64_t h = j * grp; h < (j + 1) * grp; h++)
                    for (int64_t m = 0; m < dv; m++) {
                        double acc = 0;
                        for (int64_t d = 0; d < dk; d++) acc += q[(bt * c->hq + h) * dk + d] * s[d * dv + m];
                        y[(bt * c->hq + h) * dv + m] = acc / sqrt((double)dk);
                    }
            }
        }
    free(u);
}

static void run_linatt(const linatt_case *c) {
    const int64_t dims[6][4] = {{c->b, c->t, c->hq * c->dk}, {c->b, c->t, c->hkv * c->dk}, {c->b, c->t, c->hkv * c->dv},
                                {c->b, c->hkv, c->dk, c->dv}, {c->b, c->t, c->decay_n}, {c->b, c->t, c->beta_n}};
    pml_tensor t[6], h[6], *ins[6], *hins[6];
    float *raw[6];
    for (int i = 0; i < 6; i++) {
        const int present = i < 3 || (i == 3 && c->past) || (i == 4 && c->decay_n) || (i == 5 && c->beta_n);
        t[i] = rand_t(i == 3 ? 4 : 3, dims[i], i == 4 ? -1.0f : i == 5 ? 0.0f : -1.0f, i == 4 ? 0.0f : 1.0f);
        h[i] = test_tensor(PML_FLOAT16, i == 3 ? 4 : 3, dims[i], 0);
        for (size_t e = 0; e < t[i].nbytes / 4; e++) { /* float16 copies; the float32 data takes their rounding */
            ((uint16_t *)h[i].data)[e] = pml_f32_to_f16_scalar(((float *)t[i].data)[e]);
            ((float *)t[i].data)[e] = pml_f16_to_f32_scalar(((uint16_t *)h[i].data)[e]);
        }
        ins[i] = present ? &t[i] : NULL, hins[i] = present ? &h[i] : NULL;
        raw[i] = present ? (float *)t[i].data : NULL;
    }
    const size_t ny = (size_t)(c->b * c->t * c->hq * c->dv), ns = (size_t)(c->b * c->hkv * c->dk * c->dv);
    double *wy = malloc(ny * sizeof(double) + 8), *ws = malloc(ns * sizeof(double) + 8);
    naive_linatt(c, raw, wy, ws);
    float *fy = malloc(ny * sizeof(float) + 4), *fs = malloc(ns * sizeof(float) + 4);
    for (size_t e = 0; e < ny; e++) fy[e] = (float)wy[e];
    for (size_t e = 0; e < ns; e++) fs[e] = (float)ws[e];
    pml_attr at[2] = {attr_int("q_num_heads", c->hq), attr_int("kv_num_heads", c->hkv)};
    char what[160];
    snprintf(what, sizeof what, "linear attention b%lld t%lld hq%lld hkv%lld dk%lld dv%lld decay%lld beta%lld past%d",
             (long long)c->b, (long long)c->t, (long long)c->hq, (long long)c->hkv, (long long)c->dk,
             (long long)c->dv, (long long)c->decay_n, (long long)c->beta_n, c->past);
    for (int threads = 1; threads <= 2; threads++) {
        pml_tensor out[2];
        CHECK_OK(pml_test_op(PML_OP_LINEARATTENTION, at, 2, ins, 6, out, 2, threads == 1, threads));
        CHECK(out[1].rank == 4 && out[1].dims[1] == c->hkv && out[1].dims[2] == c->dk && out[1].dims[3] == c->dv);
        CHECK(test_allclose((float *)out[0].data, fy, ny, 1e-4f, 1e-5f, what));
        CHECK(test_allclose((float *)out[1].data, fs, ns, 1e-4f, 1e-5f, what));
        pml_aligned_free(out[0].data), pml_aligned_free(out[1].data);
    }
    pml_tensor ho[2];
    CHECK_OK(pml_test_op(PML_OP_LINEARATTENTION, at, 2, hins, 6, ho, 2, 1, 1));
    CHECK(ho[0].dtype == PML_FLOAT16 && ho[1].dtype == PML_FLOAT16);
    for (size_t e = 0; e < ny; e++) fy[e] = pml_f16_to_f32_scalar(pml_f32_to_f16_scalar((float)wy[e]));
    float *got = malloc((ny > ns ? ny : ns) * sizeof(float) + 4);
    for (size_t e = 0; e < ny; e++) got[e] = pml_f16_to_f32_scalar(((uint16_t *)ho[0].data)[e]);
    CHECK(test_allclose(got, fy, ny, 2e-3f, 1e-4f, what));
    pml_aligned_free(ho[0].data), pml_aligned_free(ho[1].data);
    for (int i = 0; i < 6; i++) pml_aligned_free(t[i].data), pml_aligned_free(h[i].data);
    free(wy), free(ws), free(fy), free(fs), free(got);
}

static void test_linear_attention(void) {
    static const int64_t sizes[] = {1, 7, 13};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            linatt_case c = {2, sizes[(a + b) % 3] + 1, 4, 2, sizes[a], sizes[b], 0, 0, 0};
            run_linatt(&c);
            c.decay_n = c.hkv * c.dk, c.beta_n = c.hkv, c.past = 1;
            run_linatt(&c);
            c.decay_n = c.hkv, c.beta_n = 1, c.hq = 6, c.hkv = 1;
            c.decay_n = 1;
            run_linatt(&c);
        }
    linatt_case delta_only = {1, 1, 3, 3, 8, 5, 0, 3, 1};
    run_linatt(&delta_only);
}

static void test_linear_attention_errors(void) {
    const int64_t qd[3] = {1, 2, 8}, kd[3] = {1, 2, 6}, sd[4] = {1, 2, 4, 3}, gd[3] = {1, 2, 3};
    pml_tensor q = rand_t(3, qd, -1, 1), k = rand_t(3, kd, -1, 1), st = rand_t(4, sd, -1, 1), g = rand_t(3, gd, -1, 1);
    pml_tensor out[2];
    pml_attr at[2] = {attr_int("q_num_heads", 2), attr_int("kv_num_heads", 2)};
    pml_tensor *ins[6] = {&q, &k, &q, NULL, NULL, NULL};
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, at, 2, ins, 6, out, 2, 1, 1) == PML_ERR_SHAPE); /* key 6 != 2*4 */
    CHECK(strstr(pml_last_error(), "key") != NULL);
    ins[1] = &q, ins[3] = &st; /* state Dv 3 != 4 */
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, at, 2, ins, 6, out, 2, 1, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "past_state") != NULL);
    ins[3] = NULL, ins[4] = &g; /* decay last dim 3: neither 2 nor 8 */
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, at, 2, ins, 6, out, 2, 1, 1) == PML_ERR_SHAPE);
    ins[4] = NULL;
    pml_attr bad[2] = {attr_int("q_num_heads", 3), attr_int("kv_num_heads", 2)};
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, bad, 2, ins, 6, out, 2, 1, 1) == PML_ERR_INVALID_MODEL);
    pml_attr zero[1] = {attr_int("q_num_heads", 2)}; /* kv_num_heads missing */
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, zero, 1, ins, 6, out, 2, 1, 1) == PML_ERR_INVALID_MODEL);
    pml_attr neg[3] = {attr_int("q_num_heads", 2), attr_int("kv_num_heads", 2), attr_float("scale", -1.0f)};
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, neg, 3, ins, 6, out, 2, 1, 1) == PML_ERR_INVALID_MODEL);
    /* hostile: 2^30 query heads over one kv head of a huge Dv: y's last dim would overflow */
    const int64_t hq_d[3] = {1, 1, 0}, hv_d[3] = {1, 1, (int64_t)1 << 34};
    pml_tensor hq0 = test_tensor(PML_FLOAT32, 3, hq_d, 0), hv;
    memset(&hv, 0, sizeof hv); /* shape only: infer never reads data */
    pml_tensor_set_shape(&hv, PML_FLOAT32, 3, hv_d);
    hv.name = "v";
    pml_tensor *hins[6] = {&hq0, &hq0, &hv, NULL, NULL, NULL};
    pml_attr huge[2] = {attr_int("q_num_heads", (int64_t)1 << 30), attr_int("kv_num_heads", 1)};
    CHECK(pml_test_op(PML_OP_LINEARATTENTION, huge, 2, hins, 6, out, 2, 1, 1) == PML_ERR_SHAPE);
    pml_aligned_free(hq0.data);
    pml_aligned_free(q.data), pml_aligned_free(k.data), pml_aligned_free(st.data), pml_aligned_free(g.data);
}

int main(void) {
    test_attention();
    test_attention_errors();
    test_rotary();
    test_linear_attention();
    test_linear_attention_errors();
    return test_finish("test_attention");
}
