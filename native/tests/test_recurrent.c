/*
 * test_recurrent.c — LSTM, GRU, RNN: the optimized path (packed GEMMs and
 * vector gate kernels, 1 and 2 threads, constant and run-time weights)
 * against the scalar reference at awkward sizes (hidden 1, 7, 8, 9, 13;
 * batch 1, 3; seq 1, 5; every direction; sequence_lens; peepholes; GRU
 * linear_before_reset; LSTM input_forget; clip; non-default activations),
 * the reference against hand-computed values, and the error paths a hostile
 * model or input can reach.
 */
#include "kernels/recurrent/recurrent.h"
#include "testutil.h"

typedef struct rnn_case {
    int op, cell;
    int64_t seq, batch, input, hidden;
    int direction;
    int lens, init, bias, peep;  /* optional inputs present */
    int lbr, input_forget;
    float clip;
    int custom_act;              /* non-default activations with alpha/beta */
    float cell_clip;             /* LSTM: the cell state's bound (TFLite's cell_clip) */
} rnn_case;

static const int k_gates[] = {4, 3, 1};
static const int k_slots[] = {3, 2, 1};

/* Runs case c twice (reference and optimized) and compares every output. */
static void run_case(const rnn_case *c, int threads, int const_weights) {
    const int64_t D = c->direction == 2 ? 2 : 1, G = k_gates[c->cell], H = c->hidden, B = c->batch;
    const int64_t xd[] = {c->seq, B, c->input}, wd[] = {D, G * H, c->input}, rd[] = {D, G * H, H};
    const int64_t bd[] = {D, 2 * G * H}, ld[] = {B}, sd[] = {D, B, H}, pd[] = {D, 3 * H};
    pml_tensor x = test_tensor(PML_FLOAT32, 3, xd, 0), w = test_tensor(PML_FLOAT32, 3, wd, const_weights),
               r = test_tensor(PML_FLOAT32, 3, rd, const_weights), b = test_tensor(PML_FLOAT32, 2, bd, const_weights),
               lens = test_tensor(PML_INT32, 1, ld, 0), h0 = test_tensor(PML_FLOAT32, 3, sd, 0),
               c0 = test_tensor(PML_FLOAT32, 3, sd, 0), p = test_tensor(PML_FLOAT32, 2, pd, const_weights);
    test_fill((float *)x.data, (size_t)(x.nbytes / 4), -1.5f, 1.5f);
    test_fill((float *)w.data, (size_t)(w.nbytes / 4), -0.6f, 0.6f);
    test_fill((float *)r.data, (size_t)(r.nbytes / 4), -0.6f, 0.6f);
    test_fill((float *)b.data, (size_t)(b.nbytes / 4), -0.5f, 0.5f);
    test_fill((float *)h0.data, (size_t)(h0.nbytes / 4), -1.0f, 1.0f);
    test_fill((float *)c0.data, (size_t)(c0.nbytes / 4), -1.0f, 1.0f);
    test_fill((float *)p.data, (size_t)(p.nbytes / 4), -0.5f, 0.5f);
    for (int64_t n = 0; n < B; n++) ((int32_t *)lens.data)[n] = (int32_t)((c->seq * (n + 2)) / (B + 1));
    pml_tensor *ins[8] = {&x, &w, &r, c->bias ? &b : NULL, c->lens ? &lens : NULL, c->init ? &h0 : NULL,
                          c->init ? &c0 : NULL, c->peep ? &p : NULL};
    const int n_in = c->cell == PML_RNN_CELL_LSTM ? 8 : 6, n_out = c->cell == PML_RNN_CELL_LSTM ? 3 : 2;

    /* custom activations: a mix with and without alpha/beta, per direction */
    static const int64_t acts[][6] = {{PML_RNN_ACT_HARDSIGMOID, PML_RNN_ACT_SCALEDTANH, PML_RNN_ACT_SOFTSIGN,
                                       PML_RNN_ACT_SIGMOID, PML_RNN_ACT_ELU, PML_RNN_ACT_AFFINE},
                                      {PML_RNN_ACT_LEAKYRELU, PML_RNN_ACT_THRESHOLDEDRELU, PML_RNN_ACT_SOFTPLUS,
                                       PML_RNN_ACT_RELU, PML_RNN_ACT_TANH, PML_RNN_ACT_SCALEDTANH}};
    static const float alphas[] = {0.3f, 0.8f, 0.5f, 1.2f, 0.9f, 0.7f}, betas[] = {0.4f, 1.1f, 0.2f, 0.6f, 0.3f, 0.1f};
    int64_t act_codes[6];
    const int n_act = (int)(k_slots[c->cell] * D);
    for (int k = 0; k < n_act; k++) act_codes[k] = acts[c->cell == PML_RNN_CELL_GRU][k];
    pml_attr attrs[8];
    int na = 0;
    attrs[na++] = attr_int("hidden_size", H);
    attrs[na++] = attr_int("direction", c->direction);
    attrs[na++] = attr_float("clip", c->clip);
    if (c->cell == PML_RNN_CELL_GRU) attrs[na++] = attr_int("linear_before_reset", c->lbr);
    if (c->cell == PML_RNN_CELL_LSTM) attrs[na++] = attr_int("input_forget", c->input_forget);
    if (c->cell == PML_RNN_CELL_LSTM && c->cell_clip > 0.0f) attrs[na++] = attr_float("cell_clip", c->cell_clip);
    if (c->custom_act) {
        attrs[na++] = attr_ints("activations", act_codes, n_act);
        attrs[na++] = attr_floats("activation_alpha", alphas, n_act);
        attrs[na++] = attr_floats("activation_beta", betas, n_act);
    }
    pml_tensor ref[3], opt[3];
    CHECK_OK(pml_test_op(c->op, attrs, na, ins, n_in, ref, n_out, 1, 1));
    CHECK_OK(pml_test_op(c->op, attrs, na, ins, n_in, opt, n_out, 0, threads));
    char what[200];
    snprintf(what, sizeof what, "op %d S%lld B%lld I%lld H%lld dir %d lens %d init %d bias %d peep %d lbr %d if %d "
             "clip %g cclip %g act %d threads %d const %d", c->op, (long long)c->seq, (long long)B, (long long)c->input,
             (long long)H, c->direction, c->lens, c->init, c->bias, c->peep, c->lbr, c->input_forget, (double)c->clip,
             (double)c->cell_clip, c->custom_act, threads, const_weights);
    for (int i = 0; i < n_out; i++) {
        CHECK(ref[i].nbytes == opt[i].nbytes);
        if (ref[i].data && opt[i].data && ref[i].nbytes == opt[i].nbytes)
            CHECK(test_allclose((const float *)opt[i].data, (const float *)ref[i].data, ref[i].nbytes / 4, 1e-4f,
                                1e-5f, what));
        pml_aligned_free(ref[i].data);
        pml_aligned_free(opt[i].data);
    }
    pml_tensor *all[] = {&x, &w, &r, &b, &lens, &h0, &c0, &p};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) pml_aligned_free(all[i]->data);
}

static void test_vs_reference(void) {
    static const int ops[] = {PML_OP_LSTM, PML_OP_GRU, PML_OP_RNN};
    static const int64_t hiddens[] = {1, 7, 8, 9, 13};
    static const int64_t batches[] = {1, 3};
    static const int64_t seqs[] = {1, 5};
    int variant = 0;
    for (int cell = 0; cell < 3; cell++)
        for (size_t hi = 0; hi < 5; hi++)
            for (size_t bi = 0; bi < 2; bi++)
                for (size_t si = 0; si < 2; si++)
                    for (int dir = 0; dir < 3; dir++) {
                        variant++;
                        rnn_case c = {ops[cell], cell, seqs[si], batches[bi], 1 + variant % 6, hiddens[hi], dir,
                                      variant % 2, variant % 3 != 0, variant % 4 != 1, variant % 5 < 3,
                                      variant % 2 == 0, (variant / 2) % 2, (variant % 7 == 3) ? 0.7f : 0.0f,
                                      variant % 6 == 5, variant % 5 == 1 ? 0.3f : 0.0f};
                        run_case(&c, 1 + variant % 2, (variant / 3) % 2);
                    }
    /* bigger ones: the per-step GEMM runs threaded (>= RNN_PARALLEL_MACS) or directions run in parallel */
    rnn_case big[] = {{PML_OP_LSTM, PML_RNN_CELL_LSTM, 4, 8, 33, 127, 0, 1, 1, 1, 1, 0, 0, 0.0f, 0}, /* threaded */
                      {PML_OP_GRU, PML_RNN_CELL_GRU, 4, 5, 33, 70, 1, 0, 1, 1, 0, 0, 0, 0.0f, 0},
                      {PML_OP_GRU, PML_RNN_CELL_GRU, 3, 6, 300, 127, 2, 1, 1, 1, 0, 1, 0, 0.0f, 0},
                      {PML_OP_RNN, PML_RNN_CELL_RNN, 3, 6, 17, 127, 0, 1, 1, 1, 0, 0, 0, 0.0f, 0}};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        run_case(&big[i], 2, 1);
        run_case(&big[i], 1, 0);
    }
}

/* RNN with H = I = 1, by hand: h1 = tanh(w x1 + r h0 + wb + rb), reverse runs x2 first. */
static void test_known_values(void) {
    const int64_t xd[] = {2, 1, 1}, wd[] = {1, 1, 1}, bd[] = {1, 2};
    pml_tensor x = test_tensor(PML_FLOAT32, 3, xd, 0), w = test_tensor(PML_FLOAT32, 3, wd, 1),
               r = test_tensor(PML_FLOAT32, 3, wd, 1), b = test_tensor(PML_FLOAT32, 2, bd, 1);
    ((float *)x.data)[0] = 0.5f, ((float *)x.data)[1] = -1.0f;
    ((float *)w.data)[0] = 2.0f, ((float *)r.data)[0] = 0.5f;
    ((float *)b.data)[0] = 0.1f, ((float *)b.data)[1] = 0.2f;
    pml_tensor *ins[] = {&x, &w, &r, &b};
    for (int scalar = 0; scalar < 2; scalar++)
        for (int dir = 0; dir < 2; dir++) {
            pml_attr attrs[] = {attr_int("hidden_size", 1), attr_int("direction", dir)};
            pml_tensor out[2];
            CHECK_OK(pml_test_op(PML_OP_RNN, attrs, 2, ins, 4, out, 2, scalar, 1));
            const float *y = (const float *)out[0].data;
            float e0, e1;
            if (dir == 0) {
                e0 = tanhf(2.0f * 0.5f + 0.3f);
                e1 = tanhf(2.0f * -1.0f + 0.5f * e0 + 0.3f);
            } else {
                e1 = tanhf(2.0f * -1.0f + 0.3f);
                e0 = tanhf(2.0f * 0.5f + 0.5f * e1 + 0.3f);
            }
            CHECK(fabsf(y[0] - e0) < 1e-6f && fabsf(y[1] - e1) < 1e-6f);
            CHECK(fabsf(((const float *)out[1].data)[0] - (dir == 0 ? e1 : e0)) < 1e-6f);
            pml_aligned_free(out[0].data);
            pml_aligned_free(out[1].data);
        }
    pml_aligned_free(x.data), pml_aligned_free(w.data), pml_aligned_free(r.data), pml_aligned_free(b.data);
}

static pml_status try_gru(const int64_t *wdims, pml_attr *attrs, int na, int lens_value, pml_dtype lens_dtype) {
    const int64_t xd[] = {3, 2, 4}, rd[] = {1, 6, 2}, ld[] = {2};
    pml_tensor x = test_tensor(PML_FLOAT32, 3, xd, 0), w = test_tensor(PML_FLOAT32, 3, wdims, 1),
               r = test_tensor(PML_FLOAT32, 3, rd, 1), lens = test_tensor(lens_dtype, 1, ld, 0);
    ((int32_t *)lens.data)[0] = 1;
    ((int32_t *)lens.data)[1] = lens_value;
    pml_tensor *ins[] = {&x, &w, &r, NULL, &lens};
    pml_tensor out[2];
    memset(out, 0, sizeof out);
    pml_status s = pml_test_op(PML_OP_GRU, attrs, na, ins, 5, out, 2, 0, 1);
    pml_aligned_free(out[0].data), pml_aligned_free(out[1].data);
    pml_aligned_free(x.data), pml_aligned_free(w.data), pml_aligned_free(r.data), pml_aligned_free(lens.data);
    return s;
}

static void test_errors(void) {
    const int64_t good[] = {1, 6, 4}, bad_w[] = {1, 6, 5}, two_dirs[] = {2, 6, 4};
    pml_attr ok[] = {attr_int("hidden_size", 2)};
    CHECK(try_gru(good, ok, 1, 3, PML_INT32) == PML_OK);
    CHECK(try_gru(bad_w, ok, 1, 3, PML_INT32) == PML_ERR_SHAPE);
    CHECK(try_gru(two_dirs, ok, 1, 3, PML_INT32) == PML_ERR_SHAPE); /* W has 2 directions, node 1 */
    CHECK(try_gru(good, ok, 1, 4, PML_INT32) == PML_ERR_RUNTIME);    /* length > seq */
    CHECK(strstr(pml_last_error(), "sequence_lens") != NULL);
    CHECK(try_gru(good, ok, 1, -1, PML_INT32) == PML_ERR_RUNTIME);
    CHECK(try_gru(good, ok, 1, 3, PML_FLOAT32) == PML_ERR_DTYPE); /* sequence_lens must be int32 (schema) */
    CHECK(try_gru(good, NULL, 0, 3, PML_INT32) == PML_ERR_INVALID_MODEL); /* no hidden_size */
    pml_attr bad_dir[] = {attr_int("hidden_size", 2), attr_int("direction", 3)};
    CHECK(try_gru(good, bad_dir, 2, 3, PML_INT32) == PML_ERR_INVALID_MODEL);
    const int64_t codes[] = {0, 42}, one[] = {0};
    pml_attr bad_act[] = {attr_int("hidden_size", 2), attr_ints("activations", codes, 2)};
    CHECK(try_gru(good, bad_act, 2, 3, PML_INT32) == PML_ERR_UNSUPPORTED);
    pml_attr few_act[] = {attr_int("hidden_size", 2), attr_ints("activations", one, 1)};
    CHECK(try_gru(good, few_act, 2, 3, PML_INT32) == PML_ERR_INVALID_MODEL);
    pml_attr neg_clip[] = {attr_int("hidden_size", 2), attr_float("clip", -1.0f)};
    CHECK(try_gru(good, neg_clip, 2, 3, PML_INT32) == PML_ERR_INVALID_MODEL);
    pml_attr huge[] = {attr_int("hidden_size", (int64_t)1 << 40)};
    CHECK(try_gru(good, huge, 1, 3, PML_INT32) != PML_OK);
}

int main(void) {
    test_known_values();
    test_vs_reference();
    test_errors();
    return test_finish("test_recurrent");
}
