/*
 * ops/norm_group.c — GroupNormalization (ONNX GroupNormalization and, with num_groups = C,
 * InstanceNormalization) on channels-last x [N, spatial..., C], float32 and float16.
 *
 * Two passes over x through the typed norm kernels (kernels/norm/norm_typed.h):
 *   1. per-channel sums and sums of squares in double, with each instance's rows cut into
 *      a fixed number of chunks (a function of the shape only, so results do not depend on
 *      the thread count) that run in parallel and are added up afterwards;
 *   2. per channel, the group's mean and scale / sqrt(var + eps) (group_coeffs), then
 *      y = (x - mean) * mul + bias over all rows in parallel.
 * Subtracting the mean before scaling keeps inputs with a large mean exact, where the
 * folded x * a + b would cancel. Scratch: the partial sums and the coefficients.
 * float16 rows widen into float32 blocks on the stack through the float32 table's
 * converters (F16C under AVX2), run the float32 row kernels and narrow back, rounding once.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "kernels/config.h"
#include "validate.h"

#define GN_MAX_CHUNKS 8       /* per instance, for the parallel sums */
#define GN_CHUNK_MIN 16384    /* elements per chunk at least */
#define GN_BLOCK 2048         /* floats of a widened float16 block (stack) */

typedef struct gn_state {
    const pml_norm_typed *k;   /* group_coeffs of x's dtype (reads scale, bias) */
    const pml_norm_typed *k32; /* the float32 row passes */
    void (*widen)(size_t n, const uint16_t *x, float *y);  /* float16 only, else NULL */
    void (*narrow)(size_t n, const float *x, uint16_t *y);
    int64_t n, rows, c, groups, chunks; /* rows: spatial positions per instance */
    size_t esize;
    float eps;
} gn_state;

static pml_status gn_vector(pml_kernel_ctx *ctx, int i, const char *role, int64_t c) {
    const pml_tensor *t;
    pml_status s = pml_ew_input(ctx, i, role, &t);
    if (s != PML_OK) return s;
    if (t->rank != 1 || t->dims[0] != c) {
        char buf[160];
        return pml_node_error(ctx, PML_ERR_SHAPE,
                              "input '%s' has shape %s; expected [%lld] (channels = last axis of x)", role,
                              pml_shape_str(t->rank, t->dims, buf, sizeof buf), (long long)c);
    }
    return PML_OK;
}

static pml_status gn_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if (x->rank < 2) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank >= 2 (batch first, channels last)");
    const int64_t c = x->dims[x->rank - 1];
    const pml_attr *g = pml_attr_find(ctx->node, "num_groups");
    if (!g || g->type != PML_ATTR_INT || g->i < 1 || c % g->i)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "attribute 'num_groups' must be an int >= 1 dividing the channels (%lld)", (long long)c);
    const float eps = pml_attr_float(ctx->node, "epsilon", 1e-5f);
    if (!(eps >= 0.0f) || isinf(eps))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "epsilon %g must be finite and >= 0", (double)eps);
    if ((s = gn_vector(ctx, 1, "scale", c)) != PML_OK || (s = gn_vector(ctx, 2, "bias", c)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static pml_status gn_prepare(pml_kernel_ctx *ctx) {
    gn_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    st->k = ctx->config->typed.norm[x->dtype];
    st->k32 = ctx->config->typed.norm[PML_FLOAT32];
    if (!st->k || !st->k32)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "no kernel for dtype %s", pml_dtype_name(x->dtype));
    if (x->dtype == PML_FLOAT16) {
        st->widen = ctx->config->f32.ew->f16_to_f32;
        st->narrow = ctx->config->f32.ew->f32_to_f16;
    }
    st->n = x->dims[0];
    st->c = x->dims[x->rank - 1];
    st->rows = pml_shape_numel(x->rank - 2, x->dims + 1);
    st->groups = pml_attr_int(ctx->node, "num_groups", 1);
    st->eps = pml_attr_float(ctx->node, "epsilon", 1e-5f);
    st->esize = pml_dtype_size(x->dtype);
    int64_t chunks = st->rows * st->c / GN_CHUNK_MIN;
    st->chunks = chunks < 1 ? 1 : chunks > GN_MAX_CHUNKS ? GN_MAX_CHUNKS : chunks;
    /* partial sums [n][chunk][sum, sumsq][c] doubles, then coefficients [n][mean, mul, add][c] floats */
    ctx->scratch_size = (size_t)(st->n * st->c) * (2 * (size_t)st->chunks * sizeof(double) + 3 * sizeof(float));
    return PML_OK;
}

typedef struct gn_job {
    const gn_state *st;
    const char *x;
    char *y;
    double *sums;
    float *coeffs;
} gn_job;

static double *gn_partial(const gn_job *j, int64_t n, int64_t chunk) {
    return j->sums + (size_t)((n * j->st->chunks + chunk) * 2 * j->st->c);
}

/* Rows [r0, r0 + rows) (global row indices) of float16 x through float32 stack blocks:
 * sums into sum/sumsq, or (sum NULL) apply instance n's coefficients and narrow into y.
 * Whole rows when c fits a block, else pieces of one row (the kernels index channels only). */
static void gn_f16_blocks(const gn_job *j, int64_t n, int64_t r0, int64_t rows, double *sum, double *sumsq) {
    const gn_state *st = j->st;
    const size_t c = (size_t)st->c, per = c <= GN_BLOCK ? GN_BLOCK / c : 1, wmax = c < GN_BLOCK ? c : GN_BLOCK;
    const float *mean = j->coeffs + (size_t)(n * 3 * st->c), *mul = mean + c, *add = mul + c;
    float buf[GN_BLOCK];
    for (size_t r = (size_t)r0; r < (size_t)(r0 + rows); r += per) {
        const size_t nr = (size_t)(r0 + rows) - r < per ? (size_t)(r0 + rows) - r : per;
        for (size_t k0 = 0; k0 < c; k0 += wmax) {
            const size_t w = c - k0 < wmax ? c - k0 : wmax; /* nr > 1 only when w == c */
            st->widen(nr * w, (const uint16_t *)j->x + r * c + k0, buf);
            if (sum) {
                st->k32->channel_sums(nr, w, buf, sum + k0, sumsq + k0);
            } else {
                st->k32->group_apply(nr, w, buf, mean + k0, mul + k0, add + k0, buf);
                st->narrow(nr * w, buf, (uint16_t *)j->y + r * c + k0);
            }
        }
    }
}

static void gn_sums_range(void *arg, int64_t t0, int64_t t1) {
    const gn_job *j = (const gn_job *)arg;
    const gn_state *st = j->st;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t n = t / st->chunks, k = t % st->chunks;
        const int64_t r0 = st->rows * k / st->chunks, r1 = st->rows * (k + 1) / st->chunks;
        double *sum = gn_partial(j, n, k);
        memset(sum, 0, 2 * (size_t)st->c * sizeof(double));
        if (st->widen) {
            gn_f16_blocks(j, n, n * st->rows + r0, r1 - r0, sum, sum + st->c);
            continue;
        }
        const char *x = j->x + (size_t)((n * st->rows + r0) * st->c) * st->esize;
        st->k32->channel_sums((size_t)(r1 - r0), (size_t)st->c, x, sum, sum + st->c);
    }
}

static void gn_apply_range(void *arg, int64_t r0, int64_t r1) {
    const gn_job *j = (const gn_job *)arg;
    const gn_state *st = j->st;
    for (int64_t r = r0; r < r1;) { /* one instance's coefficients at a time */
        const int64_t n = r / st->rows, end = (n + 1) * st->rows < r1 ? (n + 1) * st->rows : r1;
        const float *mean = j->coeffs + (size_t)(n * 3 * st->c);
        const size_t at = (size_t)(r * st->c) * st->esize;
        if (st->widen)
            gn_f16_blocks(j, n, r, end - r, NULL, NULL);
        else
            st->k32->group_apply((size_t)(end - r), (size_t)st->c, j->x + at, mean, mean + st->c, mean + 2 * st->c,
                                 j->y + at);
        r = end;
    }
}

static pml_status gn_run(pml_kernel_ctx *ctx) {
    const gn_state *st = (const gn_state *)ctx->state;
    if (st->n * st->rows * st->c == 0) return PML_OK;
    gn_job j = {st, ctx->in[0]->data, ctx->out[0]->data, (double *)ctx->scratch, NULL};
    j.coeffs = (float *)(j.sums + (size_t)(st->n * st->chunks * 2 * st->c));
    pml_ew_parallel(ctx, st->n * st->chunks, 1, gn_sums_range, &j);
    for (int64_t n = 0; n < st->n; n++) {
        double *total = gn_partial(&j, n, 0);
        for (int64_t k = 1; k < st->chunks; k++) {
            const double *part = gn_partial(&j, n, k);
            for (int64_t i = 0; i < 2 * st->c; i++) total[i] += part[i];
        }
        float *co = j.coeffs + (size_t)(n * 3 * st->c);
        st->k->group_coeffs((size_t)st->c, (size_t)st->groups, (double)st->rows, total, total + st->c,
                            ctx->in[1]->data, ctx->in[2]->data, st->eps, co, co + st->c, co + 2 * st->c);
    }
    pml_ew_parallel(ctx, st->n * st->rows, PML_EW_PARALLEL_MIN / st->c + 1, gn_apply_range, &j);
    return PML_OK;
}

const pml_op_def pml_group_norm_def = {PML_OP_GROUPNORMALIZATION, gn_infer, gn_prepare, gn_run, pml_ew_release};
