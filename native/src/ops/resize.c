/*
 * ops/resize.c — Resize over any axes: nearest (4 rounding modes, any
 * dtype), linear and cubic (float32), with the coordinate transforms
 * half_pixel, asymmetric, align_corners, pytorch_half_pixel,
 * half_pixel_symmetric, tf_half_pixel_for_nn and tf_crop_and_resize (the roi
 * crops each axis; outputs whose coordinate falls outside the input take
 * extrapolation_value, as TF's CropAndResize). Semantics follow the ONNX
 * reference (onnx/reference/ops/op_resize.py): coordinates in double,
 * align_corners divides by scale*in - 1, out-of-range taps clamp to the edge
 * (or are dropped and the weights renormalised with exclude_outside), and an
 * axis whose size and scale do not change is left alone. antialias=1 widens
 * the linear/cubic filter by 1/scale on the axes that shrink (the ONNX
 * reference's 2 - 2*start taps, start = floor(-support/scale) + 1, weights
 * normalised to sum 1).
 *
 * Interpolation is separable, so one place (axis_taps) computes, per axis and
 * output index, ntap (input index, weight) taps -- 1, 2 or 4, or the
 * antialias window folded onto the input's edges (at most min(window, in)) --
 * in prepare, or in run when a crop's roi is computed at run time; run visits
 * output rows (all axes but the last) and sums the tensor product of the
 * outer axes' taps.
 * When the last axis is unchanged (channels in NHWC) that is a few
 * axpy's over a contiguous channel row; otherwise the last axis' taps are
 * applied per element.
 *
 * Scale and size: the output shape is the 'sizes' attribute (checked
 * against in*scale when 'scales' is given too, to within one element; -1
 * keeps the input dim, for axes that were symbolic at conversion), or
 * floor(in*scale). The coordinate transform uses 'scales' when given, else
 * out/in in double -- so a converter should pass only 'sizes' when the ONNX
 * model gave sizes, to reproduce ONNX's exact out/in scale.
 */
#include <math.h>
#include <string.h>

#include "../internal.h"
#include "resize.h"
#include "tensor.h"
#include "validate.h"

enum { RS_NEAREST = PML_RS_NEAREST, RS_LINEAR = PML_RS_LINEAR, RS_CUBIC = PML_RS_CUBIC };

typedef struct resize_axis {
    int64_t ntap;   /* taps per output index: 1, 2, 4, or an antialias window */
    int identity;   /* output index o reads input o with weight 1 */
    int64_t *index; /* [out * ntap], already clamped to [0, in) */
    float *weight;  /* [out * ntap] */
    unsigned char *outside; /* [out]: tf_crop_and_resize reads outside the input there; NULL otherwise */
} resize_axis;

typedef struct resize_state {
    int quantized;   /* 0: tells run this state from ops/resize_q8.c's */
    int rank, mode;
    int crop;        /* tf_crop_and_resize: outputs outside the input take the extrapolation value */
    int roi_at_run;  /* the roi input is computed at run time: run refills the taps */
    size_t esize;
    int64_t in[PML_MAX_RANK], out[PML_MAX_RANK], stride[PML_MAX_RANK];
    double scale[PML_MAX_RANK];
    resize_axis axis[PML_MAX_RANK];
    unsigned char fill[8]; /* the extrapolation value as one element of x's dtype */
    const char *x;
    char *y;
    /* tap arrays follow: index, weight, outside flags */
} resize_state;

static pml_status resize_infer(pml_kernel_ctx *ctx) {
    static const char *const flags[] = {"exclude_outside", NULL};
    if (pml_attr_flags_checked(ctx, flags) != PML_OK) return PML_ERR_INVALID_MODEL;
    const pml_tensor *x;
    int64_t out[PML_MAX_RANK];
    double scale[PML_MAX_RANK];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = pml_resize_geometry(ctx, x, out, scale)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, out);
}

/* Input coordinate of output index o (ONNX reference formulas); roi [r0, r1] is
 * tf_crop_and_resize's crop of the axis, in fractions of in - 1. */
static double source_coord(int ctm, double o, double scale, int64_t in, int64_t out, double r0, double r1) {
    double out_w = scale * (double)in; /* ONNX uses the unrounded output length here */
    switch (ctm) {
    case PML_RS_TF_CROP: { /* the roi's difference and start offset rounded to float32, as the ONNX
                            * reference's float32 roi arithmetic (ties of nearest depend on it) */
        double span = (double)(float)(r1 - r0) * (double)(in - 1), first = (double)(float)(r0 * (double)(in - 1));
        return first + (out_w == 1.0 ? span / 2.0 : o * span / (out_w - 1.0));
    }
    case 1: return o / scale;
    case 2: return out_w == 1.0 ? 0.0 : o * (double)(in - 1) / (out_w - 1.0);
    case 3: return out_w == 1.0 ? -0.5 : (o + 0.5) / scale - 0.5;
    case 4: {
        double center = (double)in / 2.0, adjustment = (double)out / out_w;
        return center * (1.0 - adjustment) + (o + 0.5) / scale - 0.5;
    }
    case 5: return (o + 0.5) / scale;
    default: return (o + 0.5) / scale - 0.5;
    }
}

static int64_t clamp_index(double v, int64_t in) {
    if (!(v > 0.0)) return 0; /* also NaN */
    if (v >= (double)(in - 1)) return in - 1;
    return (int64_t)v;
}

static void cubic_weights(double r, double A, double *w) {
    double s = r + 1.0, t = 1.0 - r, u = 2.0 - r;
    w[0] = ((A * s - 5.0 * A) * s + 8.0 * A) * s - 4.0 * A;
    w[1] = ((A + 2.0) * r - (A + 3.0)) * r * r + 1.0;
    w[2] = ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0;
    w[3] = ((A * u - 5.0 * A) * u + 8.0 * A) * u - 4.0 * A;
}

/* The linear (triangle) or Keys cubic filter at distance d, in taps. */
static double filter_at(int mode, double d, double A) {
    d = fabs(d);
    if (mode == RS_LINEAR) return d < 1.0 ? 1.0 - d : 0.0;
    if (d <= 1.0) return ((A + 2.0) * d - (A + 3.0)) * d * d + 1.0;
    return d < 2.0 ? ((A * d - 5.0 * A) * d + 8.0 * A) * d - 4.0 * A : 0.0;
}

/* First tap of the antialias window relative to the left neighbour: the window
 * [start, 1 - start] holds every tap within the filter's support / scale. */
static double antialias_start(int mode, double scale) {
    return floor(-(mode == RS_LINEAR ? 1.0 : 2.0) / scale) + 1.0;
}

/* Antialias taps of one output index at left neighbour base, ratio in (0, 1]: the
 * window's n = 2 - 2*start weights filter(scale * distance), normalised to sum 1
 * (excluded taps dropped first with exclude_outside), then folded onto the
 * input's edges -- the taps land on ntap consecutive indices from lo. */
static void antialias_taps(int mode, const resize_axis *ax, double base, double ratio, double scale, double A,
                           int exclude, int64_t in, int64_t *idx, float *wt) {
    double start = antialias_start(mode, scale), n = 2.0 - 2.0 * start, sum = 0.0;
    double first = base + start, lo = fmin(fmax(first, 0.0), (double)(in - 1));
    for (int64_t t = 0; t < ax->ntap; t++) idx[t] = (int64_t)fmin(lo + (double)t, (double)(in - 1)), wt[t] = 0.0f;
    for (int pass = 0; pass < 2; pass++)
        for (double k = 0.0; k < n; k += 1.0) {
            double p = first + k, w = filter_at(mode, scale * (start + k - ratio), A);
            if (exclude && (p < 0.0 || p >= (double)in)) w = 0.0;
            if (pass == 0) sum += w;
            else if (sum != 0.0) wt[clamp_index(p, in) - (int64_t)lo] += (float)(w / sum);
        }
}

/* Taps of one axis (and, cropping, which outputs fall outside the input). */
static void axis_taps(const pml_node *node, int mode, resize_axis *ax, int64_t in, int64_t out, double scale,
                      double r0, double r1) {
    int ctm = (int)pml_attr_int(node, "coordinate_transformation_mode", 0);
    int nm = (int)pml_attr_int(node, "nearest_mode", 0);
    int exclude = pml_attr_int(node, "exclude_outside", 0) != 0;
    int wide = mode != RS_NEAREST && pml_attr_int(node, "antialias", 0) && scale < 1.0;
    double A = pml_attr_float(node, "cubic_coeff_a", -0.75f);
    for (int64_t o = 0; o < out; o++) {
        int64_t *idx = ax->index + o * ax->ntap;
        float *wt = ax->weight + o * ax->ntap;
        double xo = source_coord(ctm, (double)o, scale, in, out, r0, r1);
        if (ax->outside) ax->outside[o] = xo < 0.0 || xo > (double)(in - 1);
        double fl = floor(xo);
        int integral = xo == fl;
        double ratio = integral ? 1.0 : xo - fl; /* in (0, 1]: prefer the left neighbour */
        double base = integral ? xo - 1.0 : fl;  /* left neighbour of the [base, base+1] pair */
        if (mode == RS_NEAREST) {
            double pick;
            switch (nm) {
            case 1: pick = ratio < 0.5 ? base : base + 1.0; break;
            case 2: pick = integral ? xo : fl; break;
            case 3: pick = integral ? xo : fl + 1.0; break;
            default: pick = ratio <= 0.5 ? base : base + 1.0; break;
            }
            idx[0] = clamp_index(pick, in), wt[0] = 1.0f;
            continue;
        }
        if (wide) {
            antialias_taps(mode, ax, base, ratio, scale, A, exclude, in, idx, wt);
            continue;
        }
        double w[4], pos[4];
        int n = (int)ax->ntap;
        if (mode == RS_LINEAR) {
            w[0] = 1.0 - ratio, w[1] = ratio, pos[0] = base, pos[1] = base + 1.0;
        } else {
            cubic_weights(ratio, A, w);
            for (int t = 0; t < 4; t++) pos[t] = base - 1.0 + t;
        }
        if (exclude) {
            double sum = 0.0;
            for (int t = 0; t < n; t++) {
                if (pos[t] < 0.0 || pos[t] >= (double)in) w[t] = 0.0;
                sum += w[t];
            }
            if (sum != 0.0)
                for (int t = 0; t < n; t++) w[t] /= sum;
        }
        for (int t = 0; t < n; t++) idx[t] = clamp_index(pos[t], in), wt[t] = (float)w[t];
    }
}

/* The taps of every axis that is not an identity, for the crop roi [start, end]. */
static void fill_taps(const pml_node *node, resize_state *st, const double *start, const double *end) {
    for (int a = 0; a < st->rank; a++)
        if (!st->axis[a].identity)
            axis_taps(node, st->mode, &st->axis[a], st->in[a], st->out[a], st->scale[a], start[a], end[a]);
}

static pml_status resize_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    if (x->quant) { /* checked (and linear run) by ops/resize_q8.c */
        int handled;
        pml_status qs = pml_q8_resize_prepare(ctx, &handled);
        if (qs != PML_OK || handled) return qs;
    }
    int64_t out[PML_MAX_RANK];
    double scale[PML_MAX_RANK], roi0[PML_MAX_RANK], roi1[PML_MAX_RANK];
    pml_status s = pml_resize_geometry(ctx, x, out, scale);
    if (s != PML_OK) return s;
    int r = x->rank, mode = (int)pml_attr_int(ctx->node, "mode", 0), listed[PML_MAX_RANK];
    int crop = pml_attr_int(ctx->node, "coordinate_transformation_mode", 0) == PML_RS_TF_CROP;
    int antialias = mode != RS_NEAREST && pml_attr_int(ctx->node, "antialias", 0);
    const pml_tensor *roi = ctx->n_in > 3 ? ctx->in[3] : NULL;
    int roi_known = pml_resize_roi(ctx, r, roi ? (const float *)pml_tensor_known_value(roi) : NULL, roi0, roi1, listed);
    size_t taps = 0, flags = 0;
    int identity[PML_MAX_RANK];
    int64_t ntap[PML_MAX_RANK];
    for (int a = 0; a < r; a++) {
        /* math.isclose(scale, 1), same size and (cropping) the whole axis, as the ONNX reference;
         * an axis a run-time roi lists may crop at any run */
        identity[a] = out[a] == x->dims[a] && fabs(scale[a] - 1.0) <= 1e-9 &&
                      (!crop || (!(listed[a] && !roi_known) && fabs(roi0[a]) <= 1e-9 && fabs(roi1[a] - 1.0) <= 1e-9));
        ntap[a] = identity[a] || mode == RS_NEAREST ? 1 : (mode == RS_LINEAR ? 2 : 4);
        if (!identity[a] && antialias && scale[a] < 1.0 && out[a] > 0) {
            /* the window folded onto the input: at most min(window, in) distinct taps. A window far
             * wider than the input (a scale well below 1/in) only comes from a hostile file. */
            double window = 2.0 - 2.0 * antialias_start(mode, scale[a]);
            if (!(window <= 8.0 * (double)x->dims[a] + 16.0))
                return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                                      "antialias window of %g taps on axis %d of %lld elements (scale %g)", window, a,
                                      (long long)x->dims[a], scale[a]);
            ntap[a] = (int64_t)fmin(window, (double)x->dims[a]);
        }
        taps += (size_t)out[a] * (size_t)ntap[a];
        flags += crop && !identity[a] ? (size_t)out[a] : 0;
    }
    resize_state *st = pml_ew_alloc_state(ctx, sizeof *st + taps * (sizeof(int64_t) + sizeof(float)) + flags);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for %zu resize taps", taps);
    int64_t *idx = (int64_t *)(st + 1);
    float *wt = (float *)(idx + taps);
    unsigned char *outside = (unsigned char *)(wt + taps);
    st->rank = r;
    st->mode = mode;
    st->crop = crop;
    st->roi_at_run = crop && !roi_known;
    st->esize = pml_dtype_size(x->dtype);
    float fill = pml_attr_float(ctx->node, "extrapolation_value", 0.0f);
    if (x->dtype == PML_FLOAT32) memcpy(st->fill, &fill, sizeof fill);
    else pml_tensor_value_bytes(ctx->node, x->dtype, fill, st->fill);
    int64_t t = 1;
    for (int a = r - 1; a >= 0; a--) st->stride[a] = t, t *= x->dims[a];
    for (int a = 0; a < r; a++) {
        resize_axis *ax = &st->axis[a];
        st->in[a] = x->dims[a];
        st->out[a] = out[a];
        st->scale[a] = scale[a];
        ax->identity = identity[a];
        ax->ntap = ntap[a];
        ax->index = idx;
        ax->weight = wt;
        ax->outside = crop && !identity[a] ? outside : NULL;
        for (int64_t o = 0; o < out[a] && identity[a]; o++) idx[o] = o, wt[o] = 1.0f;
        idx += out[a] * ax->ntap;
        wt += out[a] * ax->ntap;
        outside += ax->outside ? out[a] : 0;
    }
    if (!st->roi_at_run) fill_taps(ctx->node, st, roi0, roi1);
    if (r == 0) { /* a scalar resizes to itself */
        st->rank = 1;
        st->in[0] = st->out[0] = 1, st->stride[0] = 1;
        st->axis[0].identity = 1;
    }
    return PML_OK;
}

/* Whether output row `row` (all axes but the last) lies outside a crop. */
static int row_outside(const resize_state *st, int64_t row) {
    for (int a = st->rank - 2; a >= 0; a--) {
        const resize_axis *ax = &st->axis[a];
        if (ax->outside && ax->outside[row % st->out[a]]) return 1;
        row /= st->out[a];
    }
    return 0;
}

/* Crop: rows and last-axis elements outside the input take the extrapolation value. */
static void extrapolate_row(const resize_state *st, int64_t row, int whole) {
    const resize_axis *last = &st->axis[st->rank - 1];
    const int64_t L = st->out[st->rank - 1];
    char *y = st->y + row * L * (int64_t)st->esize;
    for (int64_t j = 0; j < L; j++)
        if (whole || (last->outside && last->outside[j])) memcpy(y + j * (int64_t)st->esize, st->fill, st->esize);
}

/* Nearest: every output element copies one input element (any dtype). */
static void nearest_rows(void *arg, int64_t r0, int64_t r1) {
    const resize_state *st = (const resize_state *)arg;
    const int r = st->rank;
    const int64_t L = st->out[r - 1];
    const size_t es = st->esize;
    const resize_axis *last = &st->axis[r - 1];
    for (int64_t row = r0; row < r1; row++) {
        int64_t t = row, src = 0;
        for (int a = r - 2; a >= 0; a--) {
            src += st->axis[a].index[t % st->out[a]] * st->stride[a];
            t /= st->out[a];
        }
        const char *x = st->x + src * (int64_t)es;
        char *y = st->y + row * L * (int64_t)es;
        if (st->crop && row_outside(st, row)) {
            extrapolate_row(st, row, 1);
            continue;
        }
        if (last->identity) memcpy(y, x, (size_t)L * es);
        else
            for (int64_t j = 0; j < L; j++) memcpy(y + j * (int64_t)es, x + last->index[j] * (int64_t)es, es);
        if (st->crop) extrapolate_row(st, row, 0);
    }
}

/* Linear/cubic (float32): sum over the tensor product of the outer axes' taps. */
static void interp_rows(void *arg, int64_t r0, int64_t r1) {
    const resize_state *st = (const resize_state *)arg;
    const int r = st->rank;
    const int64_t L = st->out[r - 1];
    const resize_axis *last = &st->axis[r - 1];
    const float *xf = (const float *)st->x;
    for (int64_t row = r0; row < r1; row++) {
        if (st->crop && row_outside(st, row)) {
            extrapolate_row(st, row, 1);
            continue;
        }
        int64_t o[PML_MAX_RANK], t = row, base = 0, ncombo = 1;
        float base_w = 1.0f;
        int multi[PML_MAX_RANK], k = 0;
        for (int a = r - 2; a >= 0; a--) o[a] = t % st->out[a], t /= st->out[a];
        for (int a = 0; a < r - 1; a++) {
            const resize_axis *ax = &st->axis[a];
            if (ax->ntap == 1) {
                base += ax->index[o[a]] * st->stride[a];
                base_w *= ax->weight[o[a]];
            } else {
                multi[k++] = a;
                ncombo *= ax->ntap;
            }
        }
        float *y = (float *)st->y + row * L;
        if (last->identity) memset(y, 0, (size_t)L * sizeof(float));
        else
            for (int64_t j = 0; j < L; j++) y[j] = 0.0f;
        for (int64_t c = 0; c < ncombo; c++) {
            int64_t rest = c, off = base;
            float w = base_w;
            for (int i = k - 1; i >= 0; i--) {
                const resize_axis *ax = &st->axis[multi[i]];
                int64_t tap = rest % ax->ntap;
                rest /= ax->ntap;
                int64_t at = o[multi[i]] * ax->ntap + tap;
                off += ax->index[at] * st->stride[multi[i]];
                w *= ax->weight[at];
            }
            if (w == 0.0f) continue; /* exact-integer coordinates give zero-weight taps */
            const float *x = xf + off;
            if (last->identity) {
                for (int64_t j = 0; j < L; j++) y[j] += w * x[j];
            } else {
                const int64_t n = last->ntap;
                for (int64_t j = 0; j < L; j++) {
                    const int64_t *ix = last->index + j * n;
                    const float *wx = last->weight + j * n;
                    float acc = 0.0f;
                    for (int64_t q = 0; q < n; q++) acc += wx[q] * x[ix[q]];
                    y[j] += w * acc;
                }
            }
        }
        if (st->crop) extrapolate_row(st, row, 0);
    }
}

static pml_status resize_run(pml_kernel_ctx *ctx) {
    resize_state *st = (resize_state *)ctx->state;
    if (st->quantized) return pml_q8_resize_run(ctx);
    st->x = (const char *)ctx->in[0]->data;
    st->y = (char *)ctx->out[0]->data;
    int64_t L = st->out[st->rank - 1];
    if (ctx->out[0]->nbytes == 0 || L == 0) return PML_OK;
    if (st->roi_at_run) { /* the crop moves with the roi input's values */
        double roi0[PML_MAX_RANK], roi1[PML_MAX_RANK];
        int listed[PML_MAX_RANK];
        pml_resize_roi(ctx, st->rank, (const float *)ctx->in[3]->data, roi0, roi1, listed);
        fill_taps(ctx->node, st, roi0, roi1);
    }
    int64_t rows = pml_shape_numel(st->rank - 1, st->out);
    pml_ew_parallel(ctx, rows, PML_EW_PARALLEL_MIN / L + 1, st->mode == RS_NEAREST ? nearest_rows : interp_rows, st);
    return PML_OK;
}

const pml_op_def pml_resize_def = {PML_OP_RESIZE, resize_infer, resize_prepare, resize_run,
                                   pml_ew_release};
