/*
 * kernels/recurrent.h — geometry of one LSTM/GRU/RNN node and the scalar
 * reference kernel (the oracle of the optimized path in ops/recurrent.c).
 * Semantics and tensor layouts: src/pocketml/ops/recurrent.py (ONNX,
 * time-major): X [S,B,I], W [D,G*H,I], R [D,G*H,H], B [D,2*G*H],
 * Y [S,D,B,H], states [D,B,H], P [D,3*H].
 */
#ifndef PML_KERNELS_RECURRENT_H
#define PML_KERNELS_RECURRENT_H

#include <stdint.h>

#include "kernels/common.h"

enum { PML_RNN_CELL_LSTM, PML_RNN_CELL_GRU, PML_RNN_CELL_RNN };

/* Activation codes; the Python registry's RNN_ACTIVATIONS mirrors them. */
enum {
    PML_RNN_ACT_SIGMOID, PML_RNN_ACT_TANH, PML_RNN_ACT_RELU, PML_RNN_ACT_HARDSIGMOID, PML_RNN_ACT_AFFINE,
    PML_RNN_ACT_LEAKYRELU, PML_RNN_ACT_THRESHOLDEDRELU, PML_RNN_ACT_SCALEDTANH, PML_RNN_ACT_ELU,
    PML_RNN_ACT_SOFTSIGN, PML_RNN_ACT_SOFTPLUS, PML_RNN_ACT_COUNT
};

#define PML_RNN_MAX_SLOTS 6 /* 3 activations per direction x 2 directions */

typedef struct pml_rnn_act {
    int code;
    float alpha, beta;
} pml_rnn_act;

typedef struct pml_rnn_geom {
    int cell;                 /* PML_RNN_CELL_* */
    int gates, slots;         /* gates per hidden unit (4/3/1), activations per direction (3/2/1) */
    int64_t seq, batch, input, hidden;
    int dirs;                 /* 1 or 2 */
    int reverse;              /* direction 0 runs backwards (direction = reverse) */
    pml_rnn_act act[PML_RNN_MAX_SLOTS]; /* [d * slots + k] */
    float clip;               /* > 0: gate pre-activations clipped to [-clip, clip] */
    float cell_clip;          /* LSTM, > 0: the updated cell state clipped to [-cell_clip, cell_clip] */
    int input_forget;         /* LSTM: f = 1 - i */
    int linear_before_reset;  /* GRU */
} pml_rnn_geom;

/* Tensors of one run; optional ones may be NULL. */
typedef struct pml_rnn_io {
    const float *x, *w, *r, *b, *h0, *c0, *p;
    const int32_t *lens; /* validated: every value in [0, seq] */
    float *y, *yh, *yc;  /* yc only for LSTM */
} pml_rnn_io;

float pml_rnn_act_scalar(const pml_rnn_act *a, float x);

/* Floats of scratch the reference needs. */
static inline size_t pml_rnn_ref_scratch_floats(const pml_rnn_geom *g) {
    /* h, c, the gates, and a temporary of max(G, 2) * H */
    return (size_t)(2 + g->gates + (g->gates > 2 ? g->gates : 2)) * (size_t)g->hidden;
}
/* Runs the whole node, one batch row and direction at a time, with plain dot
 * products. A row with sequence length 0 gets zero Y_h/Y_c (onnxruntime's choice). */
void pml_f32_rnn_ref(const pml_rnn_geom *g, const pml_rnn_io *io, float *scratch);

#endif /* PML_KERNELS_RECURRENT_H */
