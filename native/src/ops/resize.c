/*
 * ops/resize.c — Resize over any axes: nearest (4 rounding modes, any
 * dtype), linear and cubic (float32), with the coordinate transforms
 * half_pixel, asymmetric, align_corners, pytorch_half_pixel,
 * half_pixel_symmetric and tf_half_pixel_for_nn. Semantics follow the ONNX
 * reference (onnx/reference/ops/op_resize.py): coordinates in double,
 * align_corners divides by scale*in - 1, out-of-range taps clamp to the edge
 * (or are dropped and the weights renormalised with exclude_outside), and an
 * axis whose size and scale do not change is left alone.
 *
 * Interpolation is separable, so prepare computes, per axis and output
 * index, up to 4 (input index, weight) taps; run visits output rows (all
 * axes but the last) and sums the tensor product of the outer axes' taps.
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
#include "params.h"
#include "validate.h"

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };

typedef struct resize_axis {
    int64_t ntap;   /* taps per output index: 1, 2, 4, or an antialias window */
    int identity;   /* output index o reads input o with weight 1 */
    int64_t *index; /* [out * ntap], already clamped to [0, in) */
    float *weight;  /* [out * ntap] */
} resize_axis;

typedef struct resize_state {
    int rank, mode;
    size_t esize;
    int64_t in[PML_MAX_RANK], out[PML_MAX_RANK], stride[PML_MAX_RANK];
    resize_axis axis[PML_MAX_RANK];
    const char *x;
    char *y;
    /* tap arrays follow */
} resize_state;

/* Output shape and per-axis scales from a scales (input 1, float32) or sizes (input 2,
 * int64) input known while planning: one value per axis of the 'axes' attribute (all
 * axes when empty), keep_aspect_ratio_policy applied to sizes. As onnxruntime: sizes
 * give scale out/in, scales give floor(in * scale) computed in float32. */
static pml_status input_geometry(pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *out, double *scale) {
    const pml_tensor *sc = ctx->n_in > 1 ? ctx->in[1] : NULL, *sz = ctx->n_in > 2 ? ctx->in[2] : NULL;
    int r = x->rank, axes[PML_MAX_RANK], na = r, seen[PML_MAX_RANK] = {0};
    const int64_t *av = NULL;
    int n = pml_attr_ints(ctx->node, "axes", &av);
    if (n > r) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%d axes for a rank-%d input", n, r);
    if (n > 0) na = n;
    for (int k = 0; k < na; k++) {
        if (n <= 0) axes[k] = k;
        else {
            pml_status s = pml_ew_axis(ctx, av[k], r, "resize axis", &axes[k]);
            if (s != PML_OK) return s;
        }
        if (seen[axes[k]]++) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis %d appears twice in 'axes'", axes[k]);
    }
    for (int a = 0; a < r; a++) out[a] = x->dims[a], scale[a] = 1.0;
    if ((sc != NULL) == (sz != NULL))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "exactly one of the scales and sizes inputs must be given");
    if (sz) {
        int64_t v[PML_MAX_RANK];
        int nv;
        pml_status s = pml_param_ints(ctx, 2, "sizes", 0, v, PML_MAX_RANK, &nv);
        if (s != PML_OK) return s;
        if (nv != na) return pml_node_error(ctx, PML_ERR_SHAPE, "sizes has %d values for %d axes", nv, na);
        int64_t policy = pml_attr_int(ctx->node, "keep_aspect_ratio_policy", 0);
        if (policy < 0 || policy > 2)
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                                  "keep_aspect_ratio_policy %lld (supported: 0 stretch, 1 not_larger, 2 not_smaller)",
                                  (long long)policy);
        double pick = policy == 1 ? INFINITY : -INFINITY;
        for (int k = 0; k < na; k++) {
            if (v[k] < 0 || v[k] > PML_EW_MAX_NUMEL)
                return pml_node_error(ctx, PML_ERR_SHAPE, "sizes[%d] = %lld is out of range", k, (long long)v[k]);
            int64_t in = x->dims[axes[k]];
            scale[axes[k]] = in ? (double)v[k] / (double)in : 1.0;
            out[axes[k]] = v[k];
            pick = policy == 1 ? fmin(pick, scale[axes[k]]) : fmax(pick, scale[axes[k]]);
        }
        for (int k = 0; k < na && policy != 0; k++) { /* one scale for every axis, sizes rounded half up */
            double o = floor(pick * (double)x->dims[axes[k]] + 0.5);
            if (!(o <= (double)PML_EW_MAX_NUMEL)) return pml_node_error(ctx, PML_ERR_SHAPE, "output is too large");
            scale[axes[k]] = pick;
            out[axes[k]] = (int64_t)o;
        }
        return PML_OK;
    }
    const float *f = pml_tensor_known_value(sc);
    if (sc->dtype != PML_FLOAT32) return pml_node_error(ctx, PML_ERR_DTYPE, "scales must be float32");
    if (!f)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "input 'scales' ('%s') must be known while planning", sc->name);
    if (sc->rank > 1 || pml_shape_numel(sc->rank, sc->dims) != na)
        return pml_node_error(ctx, PML_ERR_SHAPE, "scales has %lld values for %d axes",
                              (long long)pml_shape_numel(sc->rank, sc->dims), na);
    for (int k = 0; k < na; k++) {
        if (!(f[k] > 0.0f && f[k] < 1e30f))
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "scales[%d] = %g must be positive and finite", k,
                                  (double)f[k]);
        float o = floorf(f[k] * (float)x->dims[axes[k]]); /* float32, as onnxruntime */
        if (!(o <= (float)PML_EW_MAX_NUMEL)) return pml_node_error(ctx, PML_ERR_SHAPE, "output axis %d is too large", k);
        out[axes[k]] = (int64_t)o;
        scale[axes[k]] = f[k];
    }
    return PML_OK;
}

/* Output shape and per-axis scales from the attributes or the scales/sizes inputs;
 * validates all of them. */
static pml_status resize_geometry(pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *out, double *scale) {
    const pml_node *node = ctx->node;
    const float *scales = NULL;
    const int64_t *sizes = NULL;
    int ns = pml_attr_floats(node, "scales", &scales), nz = pml_attr_ints(node, "sizes", &sizes), r = x->rank;
    int64_t mode = pml_attr_int(node, "mode", 0), ctm = pml_attr_int(node, "coordinate_transformation_mode", 0);
    int64_t nm = pml_attr_int(node, "nearest_mode", 0);
    if (mode < 0 || mode > 2)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "mode %lld (supported: 0 nearest, 1 linear, 2 cubic)",
                              (long long)mode);
    if (ctm < 0 || ctm > 5)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "coordinate_transformation_mode %lld (supported: 0 half_pixel, 1 asymmetric, "
                              "2 align_corners, 3 pytorch_half_pixel, 4 half_pixel_symmetric, 5 tf_half_pixel_for_nn)",
                              (long long)ctm);
    if (nm < 0 || nm > 3)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "nearest_mode %lld (supported: 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil)",
                              (long long)nm);
    int64_t aa = pml_attr_int(node, "antialias", 0);
    if (aa < 0 || aa > 1 || (aa && mode == RS_NEAREST))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "antialias %lld with mode %lld (supported: 0, or 1 with "
                              "1 linear or 2 cubic)", (long long)aa, (long long)mode);
    if (mode != RS_NEAREST && x->dtype != PML_FLOAT32)
        return pml_node_error(ctx, PML_ERR_DTYPE, "%s resize of %s (supported: float32; nearest takes any dtype)",
                              mode == RS_LINEAR ? "linear" : "cubic", pml_dtype_name(x->dtype));
    if ((ctx->n_in > 1 && ctx->in[1]) || (ctx->n_in > 2 && ctx->in[2])) {
        pml_status s = input_geometry(ctx, x, out, scale);
        if (s != PML_OK) return s;
        for (int a = 0; a < r; a++)
            if (x->dims[a] == 0 && out[a] > 0)
                return pml_node_error(ctx, PML_ERR_SHAPE, "cannot resize the empty axis %d to %lld", a,
                                      (long long)out[a]);
        return PML_OK;
    }
    if (ns < 0 && nz < 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "neither 'scales' nor 'sizes' is given");
    if ((ns >= 0 && ns != r) || (nz >= 0 && nz != r))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "'scales'/'sizes' have %d/%d entries for a rank-%d input", ns,
                              nz, r);
    for (int a = 0; a < r; a++) {
        double in = (double)x->dims[a];
        if (ns >= 0 && !(scales[a] > 0.0f && scales[a] < 1e30f))
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "scales[%d] = %g must be positive and finite", a,
                                  (double)scales[a]);
        if (nz >= 0 && sizes[a] == -1) { /* symbolic at conversion: floor(in * scale) in float32, as onnxruntime */
            float o = ns >= 0 ? floorf(scales[a] * (float)x->dims[a]) : (float)x->dims[a];
            if (!(o <= (float)PML_EW_MAX_NUMEL)) return pml_node_error(ctx, PML_ERR_SHAPE, "output axis %d is too large", a);
            out[a] = ns >= 0 && scales[a] != 1.0f ? (int64_t)o : x->dims[a];
            scale[a] = ns >= 0 ? (double)scales[a] : 1.0;
        } else if (nz >= 0) {
            if (sizes[a] < 0 || sizes[a] > PML_EW_MAX_NUMEL)
                return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "sizes[%d] = %lld is out of range", a,
                                      (long long)sizes[a]);
            out[a] = sizes[a];
            if (ns >= 0 && fabs((double)sizes[a] - in * scales[a]) > 1.0 + 1e-6 * (double)sizes[a])
                return pml_node_error(ctx, PML_ERR_SHAPE, "sizes[%d] = %lld disagrees with scales[%d] = %g on an input of %lld",
                                      a, (long long)sizes[a], a, (double)scales[a], (long long)x->dims[a]);
            scale[a] = ns >= 0 ? (double)scales[a] : (x->dims[a] ? (double)sizes[a] / in : 1.0);
        } else {
            double o = floor(in * (double)scales[a]);
            if (o > (double)PML_EW_MAX_NUMEL) return pml_node_error(ctx, PML_ERR_SHAPE, "output axis %d is too large", a);
            out[a] = (int64_t)o;
            scale[a] = scales[a];
        }
        if (x->dims[a] == 0 && out[a] > 0)
            return pml_node_error(ctx, PML_ERR_SHAPE, "cannot resize the empty axis %d to %lld", a, (long long)out[a]);
        if (out[a] > 0 && !(scale[a] > 0.0))
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "scale of axis %d must be positive", a);
    }
    return PML_OK;
}

static pml_status resize_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    int64_t out[PML_MAX_RANK];
    double scale[PML_MAX_RANK];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = resize_geometry(ctx, x, out, scale)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, out);
}

/* Input coordinate of output index o (ONNX reference formulas). */
static double source_coord(int ctm, double o, double scale, int64_t in, int64_t out) {
    double out_w = scale * (double)in; /* ONNX uses the unrounded output length here */
    switch (ctm) {
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

/* Taps of one axis. */
static void axis_taps(const pml_node *node, int mode, resize_axis *ax, int64_t in, int64_t out, double scale) {
    int ctm = (int)pml_attr_int(node, "coordinate_transformation_mode", 0);
    int nm = (int)pml_attr_int(node, "nearest_mode", 0);
    int exclude = pml_attr_int(node, "exclude_outside", 0) != 0;
    int wide = mode != RS_NEAREST && pml_attr_int(node, "antialias", 0) && scale < 1.0;
    double A = pml_attr_float(node, "cubic_coeff_a", -0.75f);
    for (int64_t o = 0; o < out; o++) {
        int64_t *idx = ax->index + o * ax->ntap;
        float *wt = ax->weight + o * ax->ntap;
        if (ax->identity) {
            idx[0] = o, wt[0] = 1.0f;
            continue;
        }
        double xo = source_coord(ctm, (double)o, scale, in, out);
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

static pml_status resize_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    int64_t out[PML_MAX_RANK];
    double scale[PML_MAX_RANK];
    pml_status s = resize_geometry(ctx, x, out, scale);
    if (s != PML_OK) return s;
    int r = x->rank, mode = (int)pml_attr_int(ctx->node, "mode", 0);
    int antialias = mode != RS_NEAREST && pml_attr_int(ctx->node, "antialias", 0);
    size_t taps = 0;
    int identity[PML_MAX_RANK];
    int64_t ntap[PML_MAX_RANK];
    for (int a = 0; a < r; a++) {
        /* math.isclose(scale, 1) and same size, as the ONNX reference */
        identity[a] = out[a] == x->dims[a] && fabs(scale[a] - 1.0) <= 1e-9;
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
    }
    resize_state *st = pml_ew_alloc_state(ctx, sizeof *st + taps * (sizeof(int64_t) + sizeof(float)));
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for %zu resize taps", taps);
    int64_t *idx = (int64_t *)(st + 1);
    float *wt = (float *)(idx + taps);
    st->rank = r;
    st->mode = mode;
    st->esize = pml_dtype_size(x->dtype);
    int64_t t = 1;
    for (int a = r - 1; a >= 0; a--) st->stride[a] = t, t *= x->dims[a];
    for (int a = 0; a < r; a++) {
        resize_axis *ax = &st->axis[a];
        st->in[a] = x->dims[a];
        st->out[a] = out[a];
        ax->identity = identity[a];
        ax->ntap = ntap[a];
        ax->index = idx;
        ax->weight = wt;
        idx += out[a] * ax->ntap;
        wt += out[a] * ax->ntap;
        axis_taps(ctx->node, mode, ax, x->dims[a], out[a], scale[a]);
    }
    if (r == 0) { /* a scalar resizes to itself */
        st->rank = 1;
        st->in[0] = st->out[0] = 1, st->stride[0] = 1;
        st->axis[0].identity = 1;
    }
    return PML_OK;
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
        if (last->identity) {
            memcpy(y, x, (size_t)L * es);
            continue;
        }
        for (int64_t j = 0; j < L; j++) memcpy(y + j * (int64_t)es, x + last->index[j] * (int64_t)es, es);
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
    }
}

static pml_status resize_run(pml_kernel_ctx *ctx) {
    resize_state *st = (resize_state *)ctx->state;
    st->x = (const char *)ctx->in[0]->data;
    st->y = (char *)ctx->out[0]->data;
    int64_t L = st->out[st->rank - 1];
    if (ctx->out[0]->nbytes == 0 || L == 0) return PML_OK;
    int64_t rows = pml_shape_numel(st->rank - 1, st->out);
    pml_ew_parallel(ctx, rows, PML_EW_PARALLEL_MIN / L + 1, st->mode == RS_NEAREST ? nearest_rows : interp_rows, st);
    return PML_OK;
}

const pml_op_def pml_resize_def = {PML_OP_RESIZE, resize_infer, resize_prepare, resize_run,
                                   pml_ew_release};
