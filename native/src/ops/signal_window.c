/*
 * ops/signal_window.c — the signal family's generated tables: HannWindow,
 * HammingWindow, BlackmanWindow and MelWeightMatrix. Their sizes (window
 * size; mel bins and DFT length) shape the output, so they are read while
 * planning; MelWeightMatrix's sample rate and edge frequencies are read in
 * run. The values are computed in float32 (kernels/signal/) and, for any
 * other output_datatype, converted with the Cast kernels of the unary family
 * (float -> integer truncates toward zero, as onnxruntime does).
 */
#include <math.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"
#include "params.h"

static pml_status output_dtype(const pml_kernel_ctx *ctx, pml_dtype *out) {
    int64_t code = pml_attr_int(ctx->node, "output_datatype", PML_FLOAT32);
    if (code <= 0 || code >= PML_DTYPE_COUNT || code == PML_BOOL)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "output_datatype %lld is not a supported dtype code; supported: every number type "
                              "but bool", (long long)code);
    *out = (pml_dtype)code;
    return PML_OK;
}

/* The Cast kernel from float32 to the output dtype (NULL for float32: the kernel writes the output). */
typedef struct table_state {
    pml_typed_cast_fn cast;
    double a[3];     /* window coefficients */
    int64_t dft_len; /* MelWeightMatrix: the output has L / 2 + 1 rows, which loses L's parity */
} table_state;

static pml_status table_prepare(pml_kernel_ctx *ctx, size_t count) {
    table_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_dtype out = ctx->out[0]->dtype;
    if (out != PML_FLOAT32 && !(st->cast = ctx->config->typed.unary[PML_FLOAT32]->cast[out]))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no float32 -> %s conversion", pml_dtype_name(out));
    ctx->scratch_size += out != PML_FLOAT32 ? count * sizeof(float) : 0;
    return PML_OK;
}

/* Where the float32 values go: the output itself, or scratch before the cast. */
static float *table_values(const pml_kernel_ctx *ctx) {
    return ((const table_state *)ctx->state)->cast ? (float *)ctx->scratch : (float *)ctx->out[0]->data;
}

static void table_finish(const pml_kernel_ctx *ctx, const float *values, size_t count) {
    const table_state *st = (const table_state *)ctx->state;
    if (st->cast) st->cast(count, values, ctx->out[0]->data);
}

/* ---- windows ------------------------------------------------------------------------------------------- */

static pml_status window_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"periodic", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    pml_dtype out = PML_FLOAT32;
    int64_t size;
    pml_status s;
    if ((s = output_dtype(ctx, &out)) != PML_OK) return s;
    if ((s = pml_param_int(ctx, 0, "size", 0, -1, &size)) != PML_OK) return s;
    if (size < 0 || size > PML_EW_MAX_NUMEL)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "size %lld must be in [0, %lld]", (long long)size,
                              (long long)PML_EW_MAX_NUMEL);
    return pml_ew_set_output(ctx, 0, out, 1, &size);
}

static pml_status window_prepare(pml_kernel_ctx *ctx) {
    pml_status s = table_prepare(ctx, (size_t)ctx->out[0]->dims[0]);
    if (s != PML_OK) return s;
    table_state *st = (table_state *)ctx->state; /* w = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) */
    static const double hann[3] = {0.5, 0.5, 0.0}, hamming[3] = {25.0 / 46.0, 21.0 / 46.0, 0.0},
                        blackman[3] = {0.42, 0.5, 0.08};
    const int op = ctx->node->op;
    memcpy(st->a, op == PML_OP_HANNWINDOW ? hann : op == PML_OP_HAMMINGWINDOW ? hamming : blackman, sizeof st->a);
    return PML_OK;
}

static pml_status window_run(pml_kernel_ctx *ctx) {
    const table_state *st = (const table_state *)ctx->state;
    const size_t n = (size_t)ctx->out[0]->dims[0];
    float *w = table_values(ctx);
    pml_f32_cosine_window__scalar(n, pml_attr_int(ctx->node, "periodic", 1) != 0, st->a[0], st->a[1], st->a[2], w);
    table_finish(ctx, w, n);
    return PML_OK;
}

/* ---- MelWeightMatrix ----------------------------------------------------------------------------------- */

static pml_status scalar_input(const pml_kernel_ctx *ctx, int i, const char *role) {
    const pml_tensor *t;
    pml_status s = pml_ew_input(ctx, i, role, &t);
    if (s != PML_OK) return s;
    if (t->rank > 1 || pml_shape_numel(t->rank, t->dims) != 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "'%s' must be a scalar", role);
    return PML_OK;
}

static pml_status mel_infer(pml_kernel_ctx *ctx) {
    static const char *roles[5] = {"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
                                   "upper_edge_hertz"};
    pml_dtype out = PML_FLOAT32;
    int64_t mels, len;
    pml_status s;
    if ((s = output_dtype(ctx, &out)) != PML_OK) return s;
    for (int i = 0; i < 5; i++)
        if ((s = scalar_input(ctx, i, roles[i])) != PML_OK) return s;
    if ((s = pml_param_int(ctx, 0, "num_mel_bins", 0, -1, &mels)) != PML_OK) return s;
    if ((s = pml_param_int(ctx, 1, "dft_length", 0, -1, &len)) != PML_OK) return s;
    if (mels < 1 || len < 1 || mels > PML_EW_MAX_NUMEL || len > PML_EW_MAX_NUMEL)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "num_mel_bins %lld and dft_length %lld must be >= 1",
                              (long long)mels, (long long)len);
    const int64_t dims[2] = {len / 2 + 1, mels};
    return pml_ew_set_output(ctx, 0, out, 2, dims);
}

static pml_status mel_prepare(pml_kernel_ctx *ctx) {
    const int64_t *d = ctx->out[0]->dims;
    ctx->scratch_size = (size_t)(d[1] + 2) * sizeof(int64_t); /* the edges, then the cast's float32 values */
    pml_status s = table_prepare(ctx, (size_t)(d[0] * d[1]));
    if (s != PML_OK) return s;
    return pml_param_int(ctx, 1, "dft_length", 0, -1, &((table_state *)ctx->state)->dft_len);
}

static double scalar_value(const pml_tensor *t) {
    switch (t->dtype) {
    case PML_FLOAT16: return pml_f16_to_f32_scalar(((const uint16_t *)t->data)[0]);
    case PML_FLOAT32: return ((const float *)t->data)[0];
    default: return (double)pml_index_at(t, 0);
    }
}

static pml_status mel_run(pml_kernel_ctx *ctx) {
    const int64_t *d = ctx->out[0]->dims;
    const table_state *st = (const table_state *)ctx->state;
    const double rate = scalar_value(ctx->in[2]), lo = scalar_value(ctx->in[3]), hi = scalar_value(ctx->in[4]);
    if (!(rate > 0)) return pml_node_error(ctx, PML_ERR_RUNTIME, "sample_rate %g must be > 0", rate);
    int64_t *edges = (int64_t *)ctx->scratch;
    float *w = st->cast ? (float *)(edges + d[1] + 2) : (float *)ctx->out[0]->data;
    pml_f32_mel_weights__scalar((size_t)d[1], (size_t)st->dft_len, rate, lo, hi, edges, w);
    table_finish(ctx, w, (size_t)(d[0] * d[1]));
    return PML_OK;
}

const pml_op_def pml_hannwindow_def = {PML_OP_HANNWINDOW, window_infer, window_prepare, window_run, pml_ew_release};
const pml_op_def pml_hammingwindow_def = {PML_OP_HAMMINGWINDOW, window_infer, window_prepare, window_run,
                                          pml_ew_release};
const pml_op_def pml_blackmanwindow_def = {PML_OP_BLACKMANWINDOW, window_infer, window_prepare, window_run,
                                           pml_ew_release};
const pml_op_def pml_melweightmatrix_def = {PML_OP_MELWEIGHTMATRIX, mel_infer, mel_prepare, mel_run,
                                            pml_ew_release};
