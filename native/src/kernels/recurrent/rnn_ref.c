/*
 * kernels/recurrent/rnn_ref.c — the scalar reference of LSTM, GRU and RNN: a
 * direct transcription of the ONNX equations, one batch row and direction
 * at a time, with plain dot products against the unpacked W and R. It is the
 * oracle the optimized path (ops/recurrent.c) is tested against and what
 * scalar_only sessions run.
 */
#include <math.h>
#include <string.h>

#include "kernels/recurrent/recurrent.h"

float pml_rnn_act_scalar(const pml_rnn_act *a, float x) {
    switch (a->code) {
    case PML_RNN_ACT_SIGMOID:
        if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
        else {
            const float e = expf(x);
            return e / (1.0f + e);
        }
    case PML_RNN_ACT_TANH: return tanhf(x);
    case PML_RNN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case PML_RNN_ACT_HARDSIGMOID: {
        const float t = a->alpha * x + a->beta;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    case PML_RNN_ACT_AFFINE: return a->alpha * x + a->beta;
    case PML_RNN_ACT_LEAKYRELU: return x < 0.0f ? a->alpha * x : x;
    case PML_RNN_ACT_THRESHOLDEDRELU: return x > a->alpha ? x : 0.0f;
    case PML_RNN_ACT_SCALEDTANH: return a->alpha * tanhf(a->beta * x);
    case PML_RNN_ACT_ELU: return x < 0.0f ? a->alpha * expm1f(x) : x;
    case PML_RNN_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
    case PML_RNN_ACT_SOFTPLUS: return (x > 0.0f ? x : 0.0f) + log1pf(expf(-fabsf(x)));
    default: return x; /* infer rejects unknown codes */
    }
}

static float bound(float v, float c) { return v < -c ? -c : (v > c ? c : v); }

static float clipf(const pml_rnn_geom *g, float v) { return g->clip > 0.0f ? bound(v, g->clip) : v; }

/* out[j] = sum_k m[j*ld + k] * v[k] for j < rows */
static void matvec(const float *m, int64_t rows, int64_t cols, const float *v, float *out) {
    for (int64_t j = 0; j < rows; j++) {
        float s = 0.0f;
        for (int64_t k = 0; k < cols; k++) s += m[j * cols + k] * v[k];
        out[j] = s;
    }
}

/* One step of batch row n, direction d, at time t: updates h and c in place. */
static void step(const pml_rnn_geom *g, const pml_rnn_io *io, int d, int64_t n, int64_t t, float *h, float *c,
                 float *sg, float *tmp) {
    const int64_t H = g->hidden, I = g->input, GH = g->gates * H;
    const float *x = io->x + (t * g->batch + n) * I;
    const float *w = io->w + d * GH * I, *r = io->r + d * GH * H;
    const float *wb = io->b ? io->b + d * 2 * GH : NULL, *rb = wb ? wb + GH : NULL;
    const pml_rnn_act *f = &g->act[d * g->slots];
    float *rh = tmp + H; /* GRU: r * h */
    matvec(w, GH, I, x, sg);
    for (int64_t j = 0; j < GH; j++) sg[j] += wb ? wb[j] : 0.0f;
    if (g->cell == PML_RNN_CELL_GRU) {
        /* z and r see R h; the candidate sees R (r*h) or r*(R h) */
        matvec(r, 2 * H, H, h, tmp);
        for (int64_t j = 0; j < 2 * H; j++)
            sg[j] = pml_rnn_act_scalar(&f[0], clipf(g, sg[j] + tmp[j] + (rb ? rb[j] : 0.0f)));
        const float *rz = sg, *rr = sg + H;
        const float *rhw = r + 2 * H * H, *rbh = rb ? rb + 2 * H : NULL;
        if (g->linear_before_reset) {
            matvec(rhw, H, H, h, tmp);
            for (int64_t j = 0; j < H; j++) tmp[j] = rr[j] * (tmp[j] + (rbh ? rbh[j] : 0.0f));
        } else {
            for (int64_t j = 0; j < H; j++) rh[j] = rr[j] * h[j];
            matvec(rhw, H, H, rh, tmp);
            for (int64_t j = 0; j < H; j++) tmp[j] += rbh ? rbh[j] : 0.0f;
        }
        for (int64_t j = 0; j < H; j++) {
            const float cand = pml_rnn_act_scalar(&f[1], clipf(g, sg[2 * H + j] + tmp[j]));
            h[j] = (1.0f - rz[j]) * cand + rz[j] * h[j];
        }
        return;
    }
    matvec(r, GH, H, h, tmp);
    for (int64_t j = 0; j < GH; j++) sg[j] += tmp[j] + (rb ? rb[j] : 0.0f);
    if (g->cell == PML_RNN_CELL_RNN) {
        for (int64_t j = 0; j < H; j++) h[j] = pml_rnn_act_scalar(&f[0], clipf(g, sg[j]));
        return;
    }
    /* LSTM, gates i o f c */
    const float *p = io->p ? io->p + d * 3 * H : NULL;
    for (int64_t j = 0; j < H; j++) {
        const float pi = p ? p[j] : 0.0f, po = p ? p[H + j] : 0.0f, pf = p ? p[2 * H + j] : 0.0f;
        const float i = pml_rnn_act_scalar(&f[0], clipf(g, sg[j] + pi * c[j]));
        const float fg = g->input_forget ? 1.0f - i : pml_rnn_act_scalar(&f[0], clipf(g, sg[2 * H + j] + pf * c[j]));
        const float cand = pml_rnn_act_scalar(&f[1], clipf(g, sg[3 * H + j]));
        c[j] = fg * c[j] + i * cand;
        if (g->cell_clip > 0.0f) c[j] = bound(c[j], g->cell_clip);
        const float o = pml_rnn_act_scalar(&f[0], clipf(g, sg[H + j] + po * c[j]));
        h[j] = o * pml_rnn_act_scalar(&f[2], c[j]);
    }
}

void pml_f32_rnn_ref(const pml_rnn_geom *g, const pml_rnn_io *io, float *scratch) {
    const int64_t S = g->seq, B = g->batch, H = g->hidden, D = g->dirs;
    float *h = scratch, *c = h + H, *sg = c + H, *tmp = sg + g->gates * H;
    /* tmp: GH floats (R h) for LSTM/RNN, 2H (R h, then r*h) for GRU */
    memset(io->y, 0, (size_t)(S * D * B * H) * sizeof(float));
    for (int d = 0; d < D; d++) {
        const int rev = d == 1 || g->reverse;
        for (int64_t n = 0; n < B; n++) {
            const int64_t len = io->lens ? io->lens[n] : S;
            for (int64_t j = 0; j < H; j++) {
                h[j] = io->h0 ? io->h0[(d * B + n) * H + j] : 0.0f;
                c[j] = io->c0 ? io->c0[(d * B + n) * H + j] : 0.0f;
            }
            for (int64_t s = 0; s < len; s++) {
                const int64_t t = rev ? len - 1 - s : s;
                step(g, io, d, n, t, h, c, sg, tmp);
                memcpy(io->y + ((t * D + d) * B + n) * H, h, (size_t)H * sizeof(float));
            }
            if (len == 0) { /* an empty sequence leaves zero states, as onnxruntime does */
                memset(h, 0, (size_t)H * sizeof(float));
                memset(c, 0, (size_t)H * sizeof(float));
            }
            memcpy(io->yh + (d * B + n) * H, h, (size_t)H * sizeof(float));
            if (io->yc) memcpy(io->yc + (d * B + n) * H, c, (size_t)H * sizeof(float));
        }
    }
}
