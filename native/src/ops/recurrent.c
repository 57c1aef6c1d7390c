/*
 * ops/recurrent.c — the recurrent family: LSTM, GRU, RNN (ONNX semantics,
 * time-major; see src/pocketml/ops/recurrent.py and kernels/recurrent.h).
 *
 * The input projection does not depend on the state, so it runs for every
 * time step and direction at once: one GEMM XW[S*B, D*G*H] = X W^T + bias,
 * with every bias that is simply added (Wb + Rb, except the GRU candidate's
 * Rb under linear_before_reset) folded into the packed panel. Each step then
 * multiplies the state by R (a [B,H] x [H,G*H] GEMM on R packed once; GRU
 * splits R into its z|r and candidate parts because the candidate needs r
 * first) and applies the gate nonlinearities row by row with the
 * elementwise family's vector sigmoid/tanh. Per-row time indices make
 * sequence_lens and the reverse direction the same code path.
 *
 * W, R, B are packed once per session by pack when constant (the layout
 * depends only on their shapes and the attributes, never on X's; every plan
 * shares them), else into arena scratch at every run (ONNX allows them as
 * graph inputs). Bidirectional nodes run their
 * two directions on two threads; otherwise the per-step GEMM uses the pool
 * when it is big enough to pay for the fork. The reference
 * (kernels/recurrent/rnn_ref.c) is the oracle of the tests.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"
#include "kernels/elementwise/ew_kernels.h"
#include "kernels/matmul/gemm.h"
#include "kernels/recurrent/recurrent.h"

/* Per-step GEMMs smaller than this many multiply-adds run on one thread: a
 * fork/join per time step costs more than it saves below it (measured: an
 * LSTM step of batch 1, hidden 128 is 64K MACs and ran 5x slower threaded). */
#define RNN_PARALLEL_MACS ((int64_t)1 << 18)

enum { IN_X, IN_W, IN_R, IN_B, IN_LENS, IN_H0, IN_C0, IN_P };

typedef struct rnn_state {
    pml_rnn_geom g;
    const pml_f32_kernels *kern; /* NULL: reference */
    const pml_ew_kernels *ew;
    /* packed region (floats): W panels [I -> D*G*H] with bias, then per
     * direction R panels [H -> G*H] (GRU: [H -> 2H] then [H -> H]), then the
     * D*G*H bias staging buffer */
    size_t off_rzr, off_rh, r_floats, off_bias, pack_floats;
    const float *packed;         /* ctx->packed's (not owned) when W, R, B are constant, else NULL */
    /* scratch (floats) */
    size_t off_pack, off_xw, off_dir, dir_floats;
    int threads;
} rnn_state;

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* ---- infer ------------------------------------------------------------------------ */

static pml_status check_shape(const pml_kernel_ctx *ctx, int index, const char *role, int rank, const int64_t *want) {
    char got[160], exp[160];
    pml_status s = pml_check_f32_input(ctx, index, role, rank);
    if (s) return s;
    const pml_tensor *t = ctx->in[index];
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != want[i])
            return pml_node_error(ctx, PML_ERR_SHAPE, "input '%s' has shape %s, expected %s", role,
                                  pml_shape_str(t->rank, t->dims, got, sizeof got),
                                  pml_shape_str(rank, want, exp, sizeof exp));
    return PML_OK;
}

/* Product of n non-negative factors, saturating at PML_MAX_NUMEL + 1 (no int64 overflow). */
static int64_t product_capped(const int64_t *f, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) {
        if (f[i] == 0) return 0;
        if (p > PML_MAX_NUMEL / f[i]) return PML_MAX_NUMEL + 1;
        p *= f[i];
    }
    return p;
}

static const pml_tensor *opt_in(const pml_kernel_ctx *ctx, int i) { return i < ctx->n_in ? ctx->in[i] : NULL; }

/* Reads and validates attributes and input shapes into g. */
static pml_status rnn_parse(const pml_kernel_ctx *ctx, int cell, pml_rnn_geom *g) {
    static const int k_gates[] = {4, 3, 1}, k_slots[] = {3, 2, 1};
    static const int k_default[][3] = {{PML_RNN_ACT_SIGMOID, PML_RNN_ACT_TANH, PML_RNN_ACT_TANH},
                                       {PML_RNN_ACT_SIGMOID, PML_RNN_ACT_TANH, 0},
                                       {PML_RNN_ACT_TANH, 0, 0}};
    pml_status s;
    int64_t dir, hid, v;
    memset(g, 0, sizeof *g);
    g->cell = cell;
    g->gates = k_gates[cell];
    g->slots = k_slots[cell];
    if ((s = pml_attr_int_checked(ctx, "direction", 0, 0, 2, &dir))) return s;
    if (!pml_attr_find(ctx->node, "hidden_size"))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute 'hidden_size' is missing");
    if ((s = pml_attr_int_checked(ctx, "hidden_size", 1, 1, PML_MAX_DIM / 4, &hid))) return s;
    g->dirs = dir == 2 ? 2 : 1;
    g->reverse = dir == 1;
    g->hidden = hid;
    if (cell == PML_RNN_CELL_LSTM) {
        if ((s = pml_attr_int_checked(ctx, "input_forget", 0, 0, 1, &v))) return s;
        g->input_forget = (int)v;
        g->cell_clip = pml_attr_float(ctx->node, "cell_clip", 0.0f);
        if (!(g->cell_clip >= 0.0f))
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "cell_clip %g must be >= 0 (0: no clip)",
                                  (double)g->cell_clip);
    }
    if (cell == PML_RNN_CELL_GRU) {
        if ((s = pml_attr_int_checked(ctx, "linear_before_reset", 0, 0, 1, &v))) return s;
        g->linear_before_reset = (int)v;
    }
    g->clip = pml_attr_float(ctx->node, "clip", 0.0f);
    if (!(g->clip >= 0.0f))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "clip %g must be >= 0 (0: no clip)", (double)g->clip);
    /* activations: one code per slot, or none for the defaults */
    const int n_slots = g->slots * g->dirs;
    const int64_t *codes = NULL;
    const float *alphas = NULL, *betas = NULL;
    const int nc = pml_attr_ints(ctx->node, "activations", &codes);
    const int na = pml_attr_floats(ctx->node, "activation_alpha", &alphas);
    const int nb = pml_attr_floats(ctx->node, "activation_beta", &betas);
    if (nc > 0 && nc != n_slots)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "activations has %d entries, expected %d (%d per direction)",
                              nc, n_slots, g->slots);
    if ((na > 0 && na != nc) || (nb > 0 && nb != nc))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "activation_alpha/beta have %d/%d entries, expected one per activation (%d)", na, nb, nc);
    for (int k = 0; k < n_slots; k++) {
        pml_rnn_act *a = &g->act[k];
        a->code = nc > 0 ? (int)codes[k] : k_default[cell][k % g->slots];
        if (nc > 0 && (codes[k] < 0 || codes[k] >= PML_RNN_ACT_COUNT))
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "activation code %lld is unknown (0..%d)",
                                  (long long)codes[k], PML_RNN_ACT_COUNT - 1);
        a->alpha = na > 0 ? alphas[k] : 0.0f;
        a->beta = nb > 0 ? betas[k] : 0.0f;
    }
    /* shapes */
    if ((s = pml_check_f32_input(ctx, IN_X, "X", 3))) return s;
    const pml_tensor *x = ctx->in[IN_X];
    g->seq = x->dims[0], g->batch = x->dims[1], g->input = x->dims[2];
    const int64_t D = g->dirs, GH = g->gates * hid, B = g->batch;
    const int64_t w_dims[] = {D, GH, g->input}, r_dims[] = {D, GH, hid}, b_dims[] = {D, 2 * GH};
    const int64_t st_dims[] = {D, B, hid}, p_dims[] = {D, 3 * hid};
    if ((s = check_shape(ctx, IN_W, "W", 3, w_dims)) || (s = check_shape(ctx, IN_R, "R", 3, r_dims))) return s;
    if (opt_in(ctx, IN_B) && (s = check_shape(ctx, IN_B, "B", 2, b_dims))) return s;
    if (opt_in(ctx, IN_H0) && (s = check_shape(ctx, IN_H0, "initial_h", 3, st_dims))) return s;
    if (cell == PML_RNN_CELL_LSTM) {
        if (opt_in(ctx, IN_C0) && (s = check_shape(ctx, IN_C0, "initial_c", 3, st_dims))) return s;
        if (opt_in(ctx, IN_P) && (s = check_shape(ctx, IN_P, "P", 2, p_dims))) return s;
    }
    const pml_tensor *lens = opt_in(ctx, IN_LENS);
    if (lens && (lens->dtype != PML_INT32 || lens->rank != 1 || lens->dims[0] != B)) {
        char buf[160];
        return pml_node_error(ctx, PML_ERR_SHAPE, "sequence_lens must be int32 [%lld], got %s %s", (long long)B,
                              pml_dtype_name(lens->dtype),
                              pml_shape_str(lens->rank < 0 || lens->rank > PML_MAX_RANK ? 0 : lens->rank, lens->dims,
                                            buf, sizeof buf));
    }
    /* bounds on every buffer the kernels index: outputs, XW and the packed weights */
    const int64_t sizes[][4] = {{g->seq, D, B, hid}, {g->seq, B, D, GH}, {g->input + 1, D * GH + 16, 1, 1},
                                {D, hid + 1, GH + 32, 1}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (product_capped(sizes[i], 4) > PML_MAX_NUMEL / 4)
            return pml_node_error(ctx, PML_ERR_SHAPE, "X %lldx%lldx%lld with hidden_size %lld is too large",
                                  (long long)g->seq, (long long)B, (long long)g->input, (long long)hid);
    return PML_OK;
}

static pml_status rnn_infer_common(pml_kernel_ctx *ctx, int cell) {
    pml_rnn_geom g;
    pml_status s = rnn_parse(ctx, cell, &g);
    if (s) return s;
    const int64_t y_dims[] = {g.seq, g.dirs, g.batch, g.hidden}, st_dims[] = {g.dirs, g.batch, g.hidden};
    pml_tensor_set_shape(ctx->out[0], PML_FLOAT32, 4, y_dims);
    for (int i = 1; i < ctx->n_out; i++) pml_tensor_set_shape(ctx->out[i], PML_FLOAT32, 3, st_dims);
    return PML_OK;
}

static pml_status lstm_infer(pml_kernel_ctx *ctx) { return rnn_infer_common(ctx, PML_RNN_CELL_LSTM); }
static pml_status gru_infer(pml_kernel_ctx *ctx) { return rnn_infer_common(ctx, PML_RNN_CELL_GRU); }
static pml_status rnn_infer(pml_kernel_ctx *ctx) { return rnn_infer_common(ctx, PML_RNN_CELL_RNN); }

/* ---- packing ------------------------------------------------------------------------ */

/* Packs W (with the folded biases) and R into out (st->pack_floats floats, 64-aligned). */
static void rnn_pack(const rnn_state *st, const float *w, const float *r, const float *b, float *out) {
    const pml_rnn_geom *g = &st->g;
    const int64_t H = g->hidden, GH = g->gates * H, D = g->dirs;
    float *bias = out + st->off_bias;
    for (int64_t d = 0; d < D; d++)
        for (int64_t j = 0; j < GH; j++) {
            const float *bd = b ? b + d * 2 * GH : NULL;
            /* the GRU candidate's Rb stays inside r * (...) under linear_before_reset */
            const int keep_rb = !(g->cell == PML_RNN_CELL_GRU && g->linear_before_reset && j >= 2 * H);
            bias[d * GH + j] = bd ? bd[j] + (keep_rb ? bd[GH + j] : 0.0f) : 0.0f;
        }
    /* B[k][n] = W[n][k]: W is [D*G*H, I] row-major */
    pml_gemm_pack_b(w, g->input, D * GH, 1, g->input, 1.0f, bias, 1, 1.0f, out);
    for (int64_t d = 0; d < D; d++) {
        const float *rd = r + d * GH * H;
        float *dst = out + st->off_rzr + (size_t)d * st->r_floats;
        if (g->cell != PML_RNN_CELL_GRU) {
            pml_gemm_pack_b(rd, H, GH, 1, H, 1.0f, NULL, 0, 0.0f, dst);
            continue;
        }
        pml_gemm_pack_b(rd, H, 2 * H, 1, H, 1.0f, NULL, 0, 0.0f, dst);
        const float *rbh = b && g->linear_before_reset ? b + d * 2 * GH + GH + 2 * H : NULL;
        pml_gemm_pack_b(rd + 2 * H * H, H, H, 1, H, 1.0f, rbh, 1, 1.0f, dst + (st->off_rh - st->off_rzr));
    }
}

/* The packed region's layout from g's cell, gates, dirs, hidden, input. */
static void rnn_layout(rnn_state *st) {
    const pml_rnn_geom *g = &st->g;
    const int64_t H = g->hidden, GH = g->gates * H, D = g->dirs;
    const size_t w_floats = pml_gemm_packed_floats(g->input, D * GH);
    if (g->cell == PML_RNN_CELL_GRU) {
        const size_t zr = pml_gemm_packed_floats(H, 2 * H), hh = pml_gemm_packed_floats(H, H);
        st->r_floats = zr + hh;
        st->off_rzr = w_floats;
        st->off_rh = w_floats + zr; /* of direction 0; direction d adds d * r_floats */
    } else {
        st->r_floats = pml_gemm_packed_floats(H, GH);
        st->off_rzr = st->off_rh = w_floats;
    }
    st->off_bias = round16(st->off_rzr + (size_t)D * st->r_floats);
    st->pack_floats = round16(st->off_bias + (size_t)(D * GH));
}

/* ctx->packed: W, R, B packed by rnn_pack, with what they were packed for. */
typedef struct rnn_packed {
    int cell, dirs, linear_before_reset;
    int64_t input, hidden;
    size_t pack_floats;
    float *data; /* 64-aligned, inside the same block */
} rnn_packed;

#define RNN_PACKED_HEADER ((sizeof(rnn_packed) + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN)

static int f32_const_dims(const pml_tensor *t, int rank, const int64_t *dims) {
    if (!t || !t->is_const || !t->data || t->dtype != PML_FLOAT32 || t->rank != rank) return 0;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return 0;
    return 1;
}

/* Shape-independent: packs constant W, R, B from their shapes and the
 * attributes only. Anything unusual is left to infer/prepare (no packing). */
static pml_status rnn_pack_common(pml_kernel_ctx *ctx, int cell) {
    rnn_state st;
    memset(&st, 0, sizeof st);
    const pml_tensor *w = opt_in(ctx, IN_W), *r = opt_in(ctx, IN_R), *b = opt_in(ctx, IN_B);
    pml_rnn_geom *g = &st.g;
    const int64_t dir = pml_attr_int(ctx->node, "direction", 0), hid = pml_attr_int(ctx->node, "hidden_size", 0);
    const int64_t lbr = cell == PML_RNN_CELL_GRU ? pml_attr_int(ctx->node, "linear_before_reset", 0) : 0;
    if (dir < 0 || dir > 2 || hid < 1 || hid > PML_MAX_DIM / 4 || (lbr != 0 && lbr != 1) || !w || w->rank != 3)
        return PML_OK;
    g->cell = cell;
    g->gates = cell == PML_RNN_CELL_LSTM ? 4 : cell == PML_RNN_CELL_GRU ? 3 : 1;
    g->dirs = dir == 2 ? 2 : 1;
    g->hidden = hid;
    g->linear_before_reset = (int)lbr;
    g->input = w->dims[2];
    const int64_t D = g->dirs, GH = g->gates * hid;
    const int64_t w_dims[] = {D, GH, g->input}, r_dims[] = {D, GH, hid}, b_dims[] = {D, 2 * GH};
    if (!f32_const_dims(w, 3, w_dims) || !f32_const_dims(r, 3, r_dims) || (b && !f32_const_dims(b, 2, b_dims)))
        return PML_OK;
    const int64_t sizes[][4] = {{g->input + 1, D * GH + 16, 1, 1}, {D, hid + 1, GH + 32, 1}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (product_capped(sizes[i], 4) > PML_MAX_NUMEL / 4) return PML_OK;
    rnn_layout(&st);
    rnn_packed *pk = (rnn_packed *)pml_aligned_alloc(RNN_PACKED_HEADER + st.pack_floats * sizeof(float));
    if (!pk) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing recurrent weights");
    pk->cell = cell, pk->dirs = g->dirs, pk->linear_before_reset = g->linear_before_reset;
    pk->input = g->input, pk->hidden = g->hidden, pk->pack_floats = st.pack_floats;
    pk->data = (float *)((char *)pk + RNN_PACKED_HEADER);
    rnn_pack(&st, (const float *)w->data, (const float *)r->data, b ? (const float *)b->data : NULL, pk->data);
    ctx->packed = pk;
    ctx->packed_size = RNN_PACKED_HEADER + st.pack_floats * sizeof(float);
    return PML_OK;
}

static pml_status lstm_pack(pml_kernel_ctx *ctx) { return rnn_pack_common(ctx, PML_RNN_CELL_LSTM); }
static pml_status gru_pack(pml_kernel_ctx *ctx) { return rnn_pack_common(ctx, PML_RNN_CELL_GRU); }
static pml_status rnn_pack_op(pml_kernel_ctx *ctx) { return rnn_pack_common(ctx, PML_RNN_CELL_RNN); }

static void rnn_unpack(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->packed);
    ctx->packed = NULL;
    ctx->packed_size = 0;
}

/* ---- prepare ------------------------------------------------------------------------ */

static pml_status rnn_prepare_common(pml_kernel_ctx *ctx, int cell) {
    rnn_state *st = (rnn_state *)pml_aligned_alloc(sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for recurrent state");
    ctx->state = st;
    ctx->state_size = sizeof *st;
    pml_status s = rnn_parse(ctx, cell, &st->g);
    if (s) return s;
    const pml_rnn_geom *g = &st->g;
    st->threads = pml_threadpool_size(ctx->pool);
    st->kern = ctx->config->f32.mm;
    st->ew = ctx->config->f32.ew;
    const int64_t H = g->hidden, GH = g->gates * H, D = g->dirs, B = g->batch;
    rnn_layout(st);
    /* constant W, R, B packed once per session by pack, shared by every plan */
    const rnn_packed *pk = (const rnn_packed *)ctx->packed;
    const int consts = pk && pk->cell == cell && pk->dirs == g->dirs &&
                       pk->linear_before_reset == g->linear_before_reset && pk->input == g->input &&
                       pk->hidden == g->hidden && pk->pack_floats == st->pack_floats;
    if (consts) st->packed = pk->data;
    /* scratch: [packed (run-time weights)] [XW] [per direction: h, c, gates, rh] */
    st->off_pack = 0;
    st->off_xw = consts ? 0 : st->pack_floats;
    const size_t bh = round16((size_t)(B * H));
    st->dir_floats = 3 * bh + round16((size_t)(B * GH));
    st->off_dir = st->off_xw + round16((size_t)(g->seq * B * D * GH));
    ctx->scratch_size = (st->off_dir + (size_t)D * st->dir_floats) * sizeof(float);
    return PML_OK;
}

static pml_status lstm_prepare(pml_kernel_ctx *ctx) { return rnn_prepare_common(ctx, PML_RNN_CELL_LSTM); }
static pml_status gru_prepare(pml_kernel_ctx *ctx) { return rnn_prepare_common(ctx, PML_RNN_CELL_GRU); }
static pml_status rnn_prepare(pml_kernel_ctx *ctx) { return rnn_prepare_common(ctx, PML_RNN_CELL_RNN); }

static void rnn_release(pml_kernel_ctx *ctx) {
    rnn_state *st = (rnn_state *)ctx->state;
    pml_aligned_free(st); /* st->packed belongs to ctx->packed */
    ctx->state = NULL;
    ctx->state_size = 0;
}

/* ---- run ------------------------------------------------------------------------------ */

/* In place over n floats: the elementwise family's vector kernel where one
 * exists, else the scalar definition. */
static void act_apply(const rnn_state *st, const pml_rnn_act *a, float *x, size_t n) {
    pml_unary_params p = {a->alpha, a->beta, 0.0f};
    int un = -1;
    switch (a->code) {
    case PML_RNN_ACT_SIGMOID: un = PML_UN_SIGMOID; break;
    case PML_RNN_ACT_TANH: un = PML_UN_TANH; break;
    case PML_RNN_ACT_RELU: un = PML_UN_RELU; break;
    case PML_RNN_ACT_HARDSIGMOID: un = PML_UN_HARDSIGMOID; break;
    case PML_RNN_ACT_LEAKYRELU: un = PML_UN_LEAKY_RELU; break;
    case PML_RNN_ACT_ELU: un = PML_UN_ELU; break;
    case PML_RNN_ACT_SOFTPLUS: un = PML_UN_SOFTPLUS; break;
    default: break;
    }
    if (un >= 0) {
        st->ew->unary[un](n, x, x, &p);
        return;
    }
    for (size_t i = 0; i < n; i++) x[i] = pml_rnn_act_scalar(a, x[i]);
}

static void clip_apply(const rnn_state *st, float *x, size_t n) {
    const float c = st->g.clip;
    if (c <= 0.0f) return;
    for (size_t i = 0; i < n; i++) x[i] = x[i] < -c ? -c : (x[i] > c ? c : x[i]);
}

typedef struct rnn_run_ctx {
    const rnn_state *st;
    pml_rnn_io io;
    const float *packed, *xw;
    float *scratch;
    pml_threadpool *inner_pool; /* the pool for per-step GEMMs (NULL when directions run in parallel) */
} rnn_run_ctx;

/* gates[B, n] = a[B, H] @ packed (its bias; 0 for R without bias) */
static void step_gemm(const rnn_run_ctx *rc, const float *a, const float *packed, int64_t n, float *c, int64_t ldc) {
    const rnn_state *st = rc->st;
    const int64_t B = st->g.batch, H = st->g.hidden;
    pml_gemm_problem p = {.m = B, .n = n, .k = H, .batch = 1, .a = a, .lda = H, .packed_b = packed, .c = c,
                          .ldc = ldc};
    pml_threadpool *pool = B * n * H >= RNN_PARALLEL_MACS ? rc->inner_pool : NULL;
    pml_gemm_run(st->kern, &p, pool, NULL);
}

/* The LSTM cell for one row: sg = gate pre-activations (R h already added),
 * xw = the input projection of this row; updates h, c. */
static void lstm_row(const rnn_state *st, const pml_rnn_act *f, const float *p, float *sg, const float *xw, float *h,
                     float *c) {
    const int64_t H = st->g.hidden;
    float *gi = sg, *go = sg + H, *gf = sg + 2 * H, *gc = sg + 3 * H;
    for (int64_t j = 0; j < 4 * H; j++) sg[j] += xw[j];
    if (p)
        for (int64_t j = 0; j < H; j++) gi[j] += p[j] * c[j], gf[j] += p[2 * H + j] * c[j];
    if (!p) {
        clip_apply(st, sg, (size_t)(4 * H));
    } else { /* o is clipped once its peephole term is in */
        clip_apply(st, gi, (size_t)H);
        clip_apply(st, gf, (size_t)(2 * H));
    }
    if (!p && !st->g.input_forget) {
        act_apply(st, &f[0], gi, (size_t)(3 * H)); /* i, o, f are adjacent */
    } else {
        act_apply(st, &f[0], gi, (size_t)H);
        if (st->g.input_forget)
            for (int64_t j = 0; j < H; j++) gf[j] = 1.0f - gi[j];
        else
            act_apply(st, &f[0], gf, (size_t)H);
        if (!p) act_apply(st, &f[0], go, (size_t)H);
    }
    act_apply(st, &f[1], gc, (size_t)H);
    for (int64_t j = 0; j < H; j++) c[j] = gf[j] * c[j] + gi[j] * gc[j];
    if (st->g.cell_clip > 0.0f) {
        const float cc = st->g.cell_clip;
        for (int64_t j = 0; j < H; j++) c[j] = c[j] < -cc ? -cc : (c[j] > cc ? cc : c[j]);
    }
    if (p) {
        for (int64_t j = 0; j < H; j++) go[j] += p[H + j] * c[j];
        clip_apply(st, go, (size_t)H);
        act_apply(st, &f[0], go, (size_t)H);
    }
    memcpy(gc, c, (size_t)H * sizeof(float));
    act_apply(st, &f[2], gc, (size_t)H);
    for (int64_t j = 0; j < H; j++) h[j] = go[j] * gc[j];
}

/* Time index of row n at step s, or -1 when the row's sequence has ended. */
static inline int64_t row_time(const pml_rnn_geom *g, const int32_t *lens, int rev, int64_t n, int64_t s) {
    const int64_t len = lens ? lens[n] : g->seq;
    if (s >= len) return -1;
    return rev ? len - 1 - s : s;
}

static void rnn_direction(const rnn_run_ctx *rc, int d) {
    const rnn_state *st = rc->st;
    const pml_rnn_geom *g = &st->g;
    const pml_rnn_io *io = &rc->io;
    const int64_t H = g->hidden, GH = g->gates * H, B = g->batch, D = g->dirs;
    const size_t bh = round16((size_t)(B * H));
    float *h = rc->scratch + st->off_dir + (size_t)d * st->dir_floats, *c = h + bh, *rh = c + bh, *gates = rh + bh;
    const float *rzr = rc->packed + st->off_rzr + (size_t)d * st->r_floats;
    const float *rhp = rc->packed + st->off_rh + (size_t)d * st->r_floats;
    const pml_rnn_act *f = &g->act[d * g->slots];
    const float *p = io->p ? io->p + d * 3 * H : NULL;
    const int rev = d == 1 || g->reverse;
    int64_t steps = 0;
    for (int64_t n = 0; n < B; n++) {
        const int64_t len = io->lens ? io->lens[n] : g->seq;
        steps = len > steps ? len : steps;
    }
    for (int64_t i = 0; i < B * H; i++) {
        h[i] = io->h0 ? io->h0[d * B * H + i] : 0.0f;
        c[i] = io->c0 ? io->c0[d * B * H + i] : 0.0f;
    }
    for (int64_t s = 0; s < steps; s++) {
        if (g->cell == PML_RNN_CELL_GRU) {
            step_gemm(rc, h, rzr, 2 * H, gates, GH);
            for (int64_t n = 0; n < B; n++) {
                const int64_t t = row_time(g, io->lens, rev, n, s);
                if (t < 0) continue;
                const float *xw = rc->xw + (t * B + n) * D * GH + d * GH;
                float *sg = gates + n * GH;
                for (int64_t j = 0; j < 2 * H; j++) sg[j] += xw[j];
                clip_apply(st, sg, (size_t)(2 * H));
                act_apply(st, &f[0], sg, (size_t)(2 * H));
                if (!g->linear_before_reset)
                    for (int64_t j = 0; j < H; j++) rh[n * H + j] = sg[H + j] * h[n * H + j];
            }
            /* candidate: R_h (r*h) accumulated as is, or r * (R_h h + Rb_h) */
            step_gemm(rc, g->linear_before_reset ? h : rh, rhp, H, gates + 2 * H, GH);
            for (int64_t n = 0; n < B; n++) {
                const int64_t t = row_time(g, io->lens, rev, n, s);
                if (t < 0) continue;
                const float *xw = rc->xw + (t * B + n) * D * GH + d * GH + 2 * H;
                float *sg = gates + n * GH, *z = sg, *r = sg + H, *hc = sg + 2 * H, *hn = h + n * H;
                if (g->linear_before_reset)
                    for (int64_t j = 0; j < H; j++) hc[j] = xw[j] + r[j] * hc[j];
                else
                    for (int64_t j = 0; j < H; j++) hc[j] += xw[j];
                clip_apply(st, hc, (size_t)H);
                act_apply(st, &f[1], hc, (size_t)H);
                for (int64_t j = 0; j < H; j++) hn[j] = hc[j] + z[j] * (hn[j] - hc[j]);
                memcpy(io->y + ((t * D + d) * B + n) * H, hn, (size_t)H * sizeof(float));
            }
            continue;
        }
        step_gemm(rc, h, rzr, GH, gates, GH);
        for (int64_t n = 0; n < B; n++) {
            const int64_t t = row_time(g, io->lens, rev, n, s);
            if (t < 0) continue;
            const float *xw = rc->xw + (t * B + n) * D * GH + d * GH;
            float *sg = gates + n * GH, *hn = h + n * H;
            if (g->cell == PML_RNN_CELL_LSTM) {
                lstm_row(st, f, p, sg, xw, hn, c + n * H);
            } else {
                for (int64_t j = 0; j < H; j++) sg[j] += xw[j];
                clip_apply(st, sg, (size_t)H);
                act_apply(st, &f[0], sg, (size_t)H);
                memcpy(hn, sg, (size_t)H * sizeof(float));
            }
            memcpy(io->y + ((t * D + d) * B + n) * H, hn, (size_t)H * sizeof(float));
        }
    }
    if (io->lens) /* an empty sequence leaves zero states, as onnxruntime does */
        for (int64_t n = 0; n < B; n++)
            if (io->lens[n] == 0) {
                memset(h + n * H, 0, (size_t)H * sizeof(float));
                memset(c + n * H, 0, (size_t)H * sizeof(float));
            }
    memcpy(io->yh + d * B * H, h, (size_t)(B * H) * sizeof(float));
    if (io->yc) memcpy(io->yc + d * B * H, c, (size_t)(B * H) * sizeof(float));
}

static void rnn_direction_task(void *arg, int64_t task, int thread) {
    (void)thread;
    rnn_direction((const rnn_run_ctx *)arg, (int)task);
}

static pml_status rnn_run(pml_kernel_ctx *ctx) {
    const rnn_state *st = (const rnn_state *)ctx->state;
    const pml_rnn_geom *g = &st->g;
    const pml_tensor *lens = opt_in(ctx, IN_LENS), *b = opt_in(ctx, IN_B), *h0 = opt_in(ctx, IN_H0);
    const pml_tensor *c0 = opt_in(ctx, IN_C0), *p = opt_in(ctx, IN_P);
    rnn_run_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.st = st;
    pml_rnn_io *io = &rc.io;
    io->x = (const float *)ctx->in[IN_X]->data;
    io->w = (const float *)ctx->in[IN_W]->data;
    io->r = (const float *)ctx->in[IN_R]->data;
    io->b = b ? (const float *)b->data : NULL;
    io->lens = lens ? (const int32_t *)lens->data : NULL;
    io->h0 = h0 ? (const float *)h0->data : NULL;
    if (g->cell == PML_RNN_CELL_LSTM) {
        io->c0 = c0 ? (const float *)c0->data : NULL;
        io->p = p ? (const float *)p->data : NULL;
        io->yc = (float *)ctx->out[2]->data;
    }
    io->y = (float *)ctx->out[0]->data;
    io->yh = (float *)ctx->out[1]->data;
    if (io->lens)
        for (int64_t n = 0; n < g->batch; n++)
            if (io->lens[n] < 0 || io->lens[n] > g->seq)
                return pml_node_error(ctx, PML_ERR_RUNTIME, "sequence_lens[%lld] = %d is outside [0, %lld]",
                                      (long long)n, (int)io->lens[n], (long long)g->seq);
    float *scratch = (float *)ctx->scratch;
    const int64_t B = g->batch, H = g->hidden, GH = g->gates * H, D = g->dirs;
    /* Batch 0: every output is empty. Empty tensors and scratch have NULL data, which the
     * pointer arithmetic and memcpy below must not see (undefined even for 0 bytes). */
    if (B == 0 || H == 0) return PML_OK;
    if (io->lens && g->seq > 0) memset(io->y, 0, (size_t)(g->seq * D * B * H) * sizeof(float));
    rc.scratch = scratch;
    rc.packed = st->packed;
    if (!rc.packed) {
        rnn_pack(st, io->w, io->r, io->b, scratch + st->off_pack);
        rc.packed = scratch + st->off_pack;
    }
    float *xw = scratch + st->off_xw;
    rc.xw = xw;
    pml_gemm_problem pw = {.m = g->seq * B, .n = D * GH, .k = g->input, .batch = 1, .a = io->x, .lda = g->input,
                           .packed_b = rc.packed, .c = xw, .ldc = D * GH};
    pml_gemm_run(st->kern, &pw, ctx->pool, NULL);
    if (D == 2 && pml_threadpool_size(ctx->pool) > 1) {
        rc.inner_pool = NULL;
        pml_parallel_for(ctx->pool, 2, rnn_direction_task, &rc);
    } else {
        rc.inner_pool = ctx->pool;
        for (int d = 0; d < D; d++) rnn_direction(&rc, d);
    }
    return PML_OK;
}

static const pml_op_def k_lstm = {PML_OP_LSTM, lstm_infer, lstm_prepare, rnn_run, rnn_release,
                                  lstm_pack, rnn_unpack};
static const pml_op_def k_gru = {PML_OP_GRU, gru_infer, gru_prepare, rnn_run, rnn_release,
                                 gru_pack, rnn_unpack};
static const pml_op_def k_rnn = {PML_OP_RNN, rnn_infer, rnn_prepare, rnn_run, rnn_release,
                                 rnn_pack_op, rnn_unpack};

const pml_op_def *const pml_recurrent_ops[] = {&k_lstm, &k_gru, &k_rnn, NULL};
