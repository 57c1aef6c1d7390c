/*
 * ops/signal.c — the signal family's transforms: DFT (ONNX opsets 17-20) and
 * STFT, on the FFT kernel of kernels/signal/ (windows and MelWeightMatrix are
 * in ops/signal_window.c). Complex tensors carry (re, im) in a trailing dim
 * of 2, real ones a trailing 1.
 *
 * Lengths, the DFT axis and the STFT frame step/length shape the output, so
 * they are read while planning (ops/params.h). prepare builds the FFT plan
 * (twiddles, Bluestein tables) into the op state and asks for scratch: one
 * line of L complex values plus the transform's work memory per thread; run
 * moves each line into its thread's scratch (float16 widens there),
 * transforms it and stores the bins. Lines are spread over the session's
 * threads in contiguous chunks.
 * A forward transform of a real signal of even length takes the real FFT
 * (half the work; the DC and Nyquist bins exactly real); the bins past L/2 of
 * a two-sided output are then the mirrored conjugates.
 */
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"
#include "params.h"

/* What infer decides and prepare/run reuse: DFT along `axis` of x viewed as [outer, n, inner, c_in]. */
typedef struct dft_geom {
    int axis, c_in, c_out, inverse, onesided;
    int64_t n, len, out_len, outer, inner;
} dft_geom;

static pml_status flag_attr(const pml_kernel_ctx *ctx, const char *name, int def, int *out) {
    int64_t v = pml_attr_int(ctx->node, name, def);
    if (v != 0 && v != 1) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute %s=%lld must be 0 or 1", name,
                                                (long long)v);
    *out = (int)v;
    return PML_OK;
}

static pml_status complex_input(const pml_kernel_ctx *ctx, int i, const char *role, const pml_tensor **t) {
    pml_status s = pml_ew_input(ctx, i, role, t);
    if (s != PML_OK) return s;
    if ((*t)->rank < 2 || ((*t)->dims[(*t)->rank - 1] != 1 && (*t)->dims[(*t)->rank - 1] != 2))
        return pml_node_error(ctx, PML_ERR_SHAPE,
                              "%s must be [..., n, 1] (real) or [..., n, 2] (complex), got rank %d with last dim %lld",
                              role, (*t)->rank, (long long)((*t)->rank ? (*t)->dims[(*t)->rank - 1] : 0));
    return PML_OK;
}

static pml_status dft_geometry(const pml_kernel_ctx *ctx, const pml_tensor *x, dft_geom *g) {
    pml_status s;
    int64_t axis, len;
    memset(g, 0, sizeof *g);
    if ((s = flag_attr(ctx, "inverse", 0, &g->inverse)) != PML_OK) return s;
    if ((s = flag_attr(ctx, "onesided", 0, &g->onesided)) != PML_OK) return s;
    if ((s = pml_param_int(ctx, 2, "axis", 0, 1, &axis)) != PML_OK) return s;
    const int r = x->rank;
    if (!((axis >= -r && axis <= -2) || (axis >= 0 && axis <= r - 2)))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "axis %lld must be in [-%d, -2] or [0, %d] (the last dim holds re/im)", (long long)axis,
                              r, r - 2);
    g->axis = (int)(axis < 0 ? axis + r : axis);
    g->n = x->dims[g->axis];
    g->c_in = (int)x->dims[r - 1];
    const int64_t def = g->inverse && g->onesided ? 2 * (g->n - 1) : g->n;
    if ((s = pml_param_int(ctx, 1, "dft_length", 0, def, &len)) != PML_OK) return s;
    if (len < 1 || len > PML_FFT_MAX_LEN)
        return pml_node_error(ctx, len < 1 ? PML_ERR_INVALID_MODEL : PML_ERR_UNSUPPORTED,
                              "dft_length %lld must be in [1, %lld]%s", (long long)len, (long long)PML_FFT_MAX_LEN,
                              g->inverse && g->onesided && len == def ? " (2*(n-1) for a one-sided inverse)" : "");
    g->len = len;
    g->out_len = g->onesided && !g->inverse ? len / 2 + 1 : len;
    g->c_out = g->inverse && g->onesided ? 1 : 2;
    g->outer = pml_shape_numel(g->axis, x->dims);
    g->inner = pml_shape_numel(r - 2 - g->axis, x->dims + g->axis + 1);
    return PML_OK;
}

static pml_status dft_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    dft_geom g;
    pml_status s;
    if ((s = complex_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if ((s = dft_geometry(ctx, x, &g)) != PML_OK) return s;
    int64_t dims[PML_MAX_RANK];
    memcpy(dims, x->dims, (size_t)x->rank * sizeof dims[0]);
    dims[g.axis] = g.out_len;
    dims[x->rank - 1] = g.c_out;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, dims);
}

/* The op state: the kernels, the geometry and the FFT plan, whose tables follow the struct. */
typedef struct signal_state {
    const pml_signal_typed *k;
    dft_geom g;
    int64_t step, frames, win_len; /* STFT */
    int real;                      /* the plan is a real FFT plan (real forward transform, even length) */
    int threads;                   /* per-thread scratch slots (the pool's size at prepare) */
    size_t slot;                   /* floats of one thread's scratch: a line and the FFT's work */
    pml_fft_plan plan;
    float tables[];
} signal_state;

static pml_status signal_prepare(pml_kernel_ctx *ctx, const dft_geom *g, size_t extra_scratch_floats) {
    const pml_signal_typed *k = ctx->config->typed.signal[ctx->in[0]->dtype];
    if (!k) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s; supported: float32, float16",
                                  pml_dtype_name(ctx->in[0]->dtype));
    const int real = g->c_in == 1 && !g->inverse && g->len % 2 == 0;
    const size_t table = pml_fft_plan_floats((size_t)g->len, real);
    signal_state *st = pml_ew_alloc_state(ctx, sizeof *st + table * sizeof(float));
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for an FFT plan of length %lld",
                                   (long long)g->len);
    st->k = k;
    st->g = *g;
    st->real = real;
    pml_fft_plan_init(&st->plan, (size_t)g->len, real, st->tables);
    st->threads = pml_threadpool_size(ctx->pool);
    st->slot = (2 * (size_t)g->len + pml_fft_work_floats(&st->plan) + 15) / 16 * 16; /* 64-byte aligned slots */
    ctx->scratch_size = (extra_scratch_floats + st->slot * (size_t)st->threads) * sizeof(float);
    return PML_OK;
}

/* The lines of a run, chunked over the pool; each task transforms lines [begin, end) in its thread's slot. */
typedef struct signal_job {
    const pml_kernel_ctx *ctx;
    const signal_state *st;
    float *slots;      /* st->threads slots of st->slot floats */
    const float *win;  /* STFT: the window as (w, 0) pairs, or NULL */
    int64_t lines, per_task;
    void (*line)(const struct signal_job *j, int64_t line, float *buf, float *work);
} signal_job;

static void signal_task(void *arg, int64_t task, int thread) {
    const signal_job *j = (const signal_job *)arg;
    float *buf = j->slots + (size_t)thread * j->st->slot, *work = buf + 2 * j->st->g.len;
    const int64_t end = (task + 1) * j->per_task < j->lines ? (task + 1) * j->per_task : j->lines;
    for (int64_t l = task * j->per_task; l < end; l++) j->line(j, l, buf, work);
}

static pml_status signal_run_lines(const pml_kernel_ctx *ctx, signal_job *j) {
    const signal_state *st = j->st;
    if (pml_threadpool_size(ctx->pool) > st->threads)
        return pml_node_error(ctx, PML_ERR_INTERNAL, "thread pool grew after prepare (%d > %d threads)",
                              pml_threadpool_size(ctx->pool), st->threads);
    if (j->lines == 0) return PML_OK;
    /* a line costs ~ L log L; below PML_EW_PARALLEL_MIN elements of work one task runs on the caller */
    const int64_t work = j->lines * st->g.len, tasks_max = (int64_t)st->threads * 4;
    int64_t tasks = work < PML_EW_PARALLEL_MIN || st->threads < 2 ? 1 : (j->lines < tasks_max ? j->lines : tasks_max);
    j->per_task = (j->lines + tasks - 1) / tasks;
    tasks = (j->lines + j->per_task - 1) / j->per_task;
    pml_parallel_for(tasks > 1 ? ctx->pool : NULL, tasks, signal_task, j);
    return PML_OK;
}

static pml_status dft_prepare(pml_kernel_ctx *ctx) {
    dft_geom g;
    pml_status s = dft_geometry(ctx, ctx->in[0], &g);
    return s != PML_OK ? s : signal_prepare(ctx, &g, 0);
}

/* A one-sided spectrum of `have` bins -> the full Hermitian spectrum of length L
 * (numpy's irfft: bins past L/2 dropped, missing ones 0, the DC and Nyquist
 * imaginary parts ignored). */
static void hermitian_fill(float *buf, int64_t have, int64_t len) {
    const int64_t half = len / 2 + 1;
    for (int64_t j = have; j < half; j++) buf[2 * j] = buf[2 * j + 1] = 0.0f;
    buf[1] = 0.0f;
    if (len % 2 == 0) buf[2 * (len / 2) + 1] = 0.0f;
    for (int64_t j = half; j < len; j++) buf[2 * j] = buf[2 * (len - j)], buf[2 * j + 1] = -buf[2 * (len - j) + 1];
}

/* Real plan: buf holds L real samples; out come the L/2 + 1 bins, or all L (the rest mirrored) unless onesided. */
static void real_forward(const signal_state *st, float *buf, float *work, int onesided) {
    const int64_t len = st->g.len;
    st->k->rfft(&st->plan, buf, work);
    if (!onesided)
        for (int64_t j = len / 2 + 1; j < len; j++) buf[2 * j] = buf[2 * (len - j)], buf[2 * j + 1] = -buf[2 * (len - j) + 1];
}

static void dft_line(const signal_job *j, int64_t line, float *buf, float *work) {
    const signal_state *st = j->st;
    const dft_geom *g = &st->g;
    const size_t es = pml_dtype_size(j->ctx->in[0]->dtype);
    const int64_t o = line / g->inner, i = line % g->inner;
    const int irfft = g->inverse && g->onesided;
    const int64_t take = irfft ? (g->n < g->len / 2 + 1 ? g->n : g->len / 2 + 1) : (g->n < g->len ? g->n : g->len);
    const char *x = (const char *)j->ctx->in[0]->data + (size_t)((o * g->n * g->inner + i) * g->c_in) * es;
    char *y = (char *)j->ctx->out[0]->data + (size_t)((o * g->out_len * g->inner + i) * g->c_out) * es;
    if (st->real) {
        st->k->load_real(x, (size_t)take, (size_t)g->inner, buf);
        memset(buf + take, 0, (size_t)(g->len - take) * sizeof(float));
        real_forward(st, buf, work, g->onesided);
    } else {
        st->k->load(x, (size_t)take, (size_t)(g->inner * g->c_in), g->c_in, buf);
        if (irfft) hermitian_fill(buf, take, g->len);
        else memset(buf + 2 * take, 0, (size_t)(g->len - take) * 2 * sizeof(float));
        st->k->fft(&st->plan, buf, g->inverse, work);
    }
    const float scale = g->inverse ? 1.0f / (float)g->len : 1.0f;
    st->k->store(buf, (size_t)g->out_len, (size_t)(g->inner * g->c_out), g->c_out, scale, y);
}

static pml_status dft_run(pml_kernel_ctx *ctx) {
    const signal_state *st = (const signal_state *)ctx->state;
    signal_job j = {ctx, st, (float *)ctx->scratch, NULL, st->g.outer * st->g.inner, 0, dft_line};
    return signal_run_lines(ctx, &j);
}

/* ---- STFT ------------------------------------------------------------------------------------------------ */

static pml_status stft_geometry(const pml_kernel_ctx *ctx, const pml_tensor *x, dft_geom *g, int64_t *step,
                                int64_t *frames, int64_t *win_len) {
    pml_status s;
    memset(g, 0, sizeof *g);
    if (x->rank != 3)
        return pml_node_error(ctx, PML_ERR_SHAPE, "signal must be [batch, length, 1 or 2], got rank %d", x->rank);
    if ((s = flag_attr(ctx, "onesided", 1, &g->onesided)) != PML_OK) return s;
    if ((s = pml_param_int(ctx, 1, "frame_step", 0, -1, step)) != PML_OK) return s;
    if (*step < 1) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "frame_step %lld must be >= 1", (long long)*step);
    *win_len = -1;
    if (ctx->n_in > 2 && ctx->in[2]) {
        const pml_tensor *w;
        if ((s = pml_ew_input(ctx, 2, "window", &w)) != PML_OK) return s;
        if (w->rank != 1) return pml_node_error(ctx, PML_ERR_SHAPE, "window must be 1-D, got rank %d", w->rank);
        if (w->dtype != x->dtype)
            return pml_node_error(ctx, PML_ERR_DTYPE, "window has dtype %s, signal %s", pml_dtype_name(w->dtype),
                                  pml_dtype_name(x->dtype));
        *win_len = w->dims[0];
    }
    int64_t fl;
    if ((s = pml_param_int(ctx, 3, "frame_length", 0, *win_len >= 0 ? *win_len : x->dims[1], &fl)) != PML_OK) return s;
    if (fl < 1 || fl > x->dims[1] || fl > PML_FFT_MAX_LEN)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "frame_length %lld must be in [1, %lld] (the signal length, at most %lld)", (long long)fl,
                              (long long)x->dims[1], (long long)PML_FFT_MAX_LEN);
    if (*win_len >= 0 && *win_len != fl)
        return pml_node_error(ctx, PML_ERR_SHAPE, "window has %lld values but frame_length is %lld",
                              (long long)*win_len, (long long)fl);
    g->n = g->len = fl;
    g->out_len = g->onesided ? fl / 2 + 1 : fl;
    g->c_in = (int)x->dims[2];
    g->c_out = 2;
    g->outer = x->dims[0];
    *frames = (x->dims[1] - fl) / *step + 1;
    return PML_OK;
}

static pml_status stft_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    dft_geom g;
    int64_t step = 0, frames = 0, win = -1;
    pml_status s;
    if ((s = complex_input(ctx, 0, "signal", &x)) != PML_OK) return s;
    if ((s = stft_geometry(ctx, x, &g, &step, &frames, &win)) != PML_OK) return s;
    const int64_t dims[4] = {x->dims[0], frames, g.out_len, 2};
    return pml_ew_set_output(ctx, 0, x->dtype, 4, dims);
}

static pml_status stft_prepare(pml_kernel_ctx *ctx) {
    dft_geom g;
    int64_t step = 0, frames = 0, win = -1;
    pml_status s = stft_geometry(ctx, ctx->in[0], &g, &step, &frames, &win);
    if (s != PML_OK || (s = signal_prepare(ctx, &g, (2 * (size_t)g.len + 15) / 16 * 16)) != PML_OK) return s;
    signal_state *st = (signal_state *)ctx->state;
    st->step = step, st->frames = frames, st->win_len = win;
    return PML_OK;
}

static void stft_line(const signal_job *j, int64_t line, float *buf, float *work) {
    const signal_state *st = j->st;
    const dft_geom *g = &st->g;
    const pml_tensor *x = j->ctx->in[0];
    const size_t es = pml_dtype_size(x->dtype);
    const int64_t b = line / st->frames, f = line % st->frames;
    const char *xs = (const char *)x->data + (size_t)((b * x->dims[1] + f * st->step) * g->c_in) * es;
    char *y = (char *)j->ctx->out[0]->data + (size_t)(line * g->out_len * 2) * es;
    if (st->real) {
        st->k->load_real(xs, (size_t)g->len, 1, buf);
        if (j->win)
            for (int64_t k = 0; k < g->len; k++) buf[k] *= j->win[2 * k];
        real_forward(st, buf, work, g->onesided);
    } else {
        st->k->load(xs, (size_t)g->len, (size_t)g->c_in, g->c_in, buf);
        if (j->win)
            for (int64_t k = 0; k < g->len; k++) buf[2 * k] *= j->win[2 * k], buf[2 * k + 1] *= j->win[2 * k];
        st->k->fft(&st->plan, buf, 0, work);
    }
    st->k->store(buf, (size_t)g->out_len, 2, 2, 1.0f, y);
}

static pml_status stft_run(pml_kernel_ctx *ctx) {
    const signal_state *st = (const signal_state *)ctx->state;
    float *win = (float *)ctx->scratch; /* the window first, then the threads' slots */
    if (st->win_len >= 0) st->k->load(ctx->in[2]->data, (size_t)st->g.len, 1, 1, win); /* (w, 0) pairs */
    signal_job j = {ctx, st, win + (2 * (size_t)st->g.len + 15) / 16 * 16, st->win_len >= 0 ? win : NULL,
                    st->g.outer * st->frames, 0, stft_line};
    return signal_run_lines(ctx, &j);
}

static const pml_op_def g_dft = {PML_OP_DFT, dft_infer, dft_prepare, dft_run, pml_ew_release};
static const pml_op_def g_stft = {PML_OP_STFT, stft_infer, stft_prepare, stft_run, pml_ew_release};
extern const pml_op_def pml_hannwindow_def, pml_hammingwindow_def, pml_blackmanwindow_def, pml_melweightmatrix_def;

const pml_op_def *const pml_signal_ops[] = {&g_dft, &g_stft, &pml_hannwindow_def, &pml_hammingwindow_def,
                                            &pml_blackmanwindow_def, &pml_melweightmatrix_def, NULL};
