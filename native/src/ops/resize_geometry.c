/*
 * ops/resize_geometry.c — Resize's output shape, per-axis scales and region of
 * interest, and the validation of every attribute and parameter input they come
 * from (hostile files reach it): the 'scales'/'sizes' attributes, or a scales /
 * sizes input known while planning (one value per axis of 'axes', with
 * keep_aspect_ratio_policy), and the roi of tf_crop_and_resize (the 'roi'
 * attribute over every axis, or input 3 over the axes of 'axes', which may be
 * computed at run time: it moves no output size).
 */
#include <math.h>

#include "../internal.h"
#include "params.h"
#include "resize.h"
#include "validate.h"

pml_status pml_resize_axes(pml_kernel_ctx *ctx, int r, int *axes, int *na) {
    int seen[PML_MAX_RANK] = {0};
    const int64_t *av = NULL;
    int n = pml_attr_ints(ctx->node, "axes", &av);
    if (n > r) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "%d axes for a rank-%d input", n, r);
    *na = n > 0 ? n : r;
    for (int k = 0; k < *na; k++) {
        if (n <= 0) axes[k] = k;
        else {
            pml_status s = pml_ew_axis(ctx, av[k], r, "resize axis", &axes[k]);
            if (s != PML_OK) return s;
        }
        if (seen[axes[k]]++) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis %d appears twice in 'axes'", axes[k]);
    }
    return PML_OK;
}

/* The roi attribute holds 2 * rank values, the roi input 2 * len(axes) float32. */
static pml_status check_roi(pml_kernel_ctx *ctx, int r) {
    const float *rv;
    int nr = pml_attr_floats(ctx->node, "roi", &rv), axes[PML_MAX_RANK], na;
    if (nr > 0 && nr != 2 * r)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "'roi' has %d values for a rank-%d input (need %d)", nr, r,
                              2 * r);
    const pml_tensor *t = ctx->n_in > 3 ? ctx->in[3] : NULL;
    if (!t) return PML_OK;
    pml_status s = pml_resize_axes(ctx, r, axes, &na);
    if (s != PML_OK) return s;
    if (t->rank > 1 || pml_shape_numel(t->rank, t->dims) != 2 * na)
        return pml_node_error(ctx, PML_ERR_SHAPE, "roi has %lld values for %d axes (need %d)",
                              (long long)pml_shape_numel(t->rank, t->dims), na, 2 * na);
    return PML_OK;
}

int pml_resize_roi(pml_kernel_ctx *ctx, int r, const float *values, double *start, double *end, int *listed) {
    const float *rv;
    int nr = pml_attr_floats(ctx->node, "roi", &rv), axes[PML_MAX_RANK], na = 0;
    for (int a = 0; a < r; a++) start[a] = 0.0, end[a] = 1.0, listed[a] = 0;
    if (nr == 2 * r)
        for (int a = 0; a < r; a++) start[a] = rv[a], end[a] = rv[r + a];
    if (!(ctx->n_in > 3 && ctx->in[3])) return 1;
    if (pml_resize_axes(ctx, r, axes, &na) != PML_OK) return 1; /* validated by infer */
    for (int k = 0; k < na; k++) {
        listed[axes[k]] = 1;
        if (values) start[axes[k]] = values[k], end[axes[k]] = values[na + k];
    }
    return values != NULL;
}

/* Output shape and per-axis scales from a scales (input 1, float32) or sizes (input 2,
 * int64) input known while planning: one value per axis of the 'axes' attribute (all
 * axes when empty), keep_aspect_ratio_policy applied to sizes. As onnxruntime: sizes
 * give scale out/in, scales give floor(in * scale) computed in float32. */
static pml_status input_geometry(pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *out, double *scale) {
    const pml_tensor *sc = ctx->n_in > 1 ? ctx->in[1] : NULL, *sz = ctx->n_in > 2 ? ctx->in[2] : NULL;
    int r = x->rank, axes[PML_MAX_RANK], na;
    pml_status as = pml_resize_axes(ctx, r, axes, &na);
    if (as != PML_OK) return as;
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
pml_status pml_resize_geometry(pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *out, double *scale) {
    const pml_node *node = ctx->node;
    const float *scales = NULL;
    const int64_t *sizes = NULL;
    int ns = pml_attr_floats(node, "scales", &scales), nz = pml_attr_ints(node, "sizes", &sizes), r = x->rank;
    int64_t mode = pml_attr_int(node, "mode", 0), ctm = pml_attr_int(node, "coordinate_transformation_mode", 0);
    int64_t nm = pml_attr_int(node, "nearest_mode", 0);
    if (mode < 0 || mode > 2)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "mode %lld (supported: 0 nearest, 1 linear, 2 cubic)",
                              (long long)mode);
    if (ctm < 0 || ctm > PML_RS_TF_CROP)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "coordinate_transformation_mode %lld (supported: 0 half_pixel, 1 asymmetric, "
                              "2 align_corners, 3 pytorch_half_pixel, 4 half_pixel_symmetric, 5 tf_half_pixel_for_nn, "
                              "6 tf_crop_and_resize)",
                              (long long)ctm);
    pml_status rs = check_roi(ctx, r);
    if (rs != PML_OK) return rs;
    if (nm < 0 || nm > 3)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "nearest_mode %lld (supported: 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil)",
                              (long long)nm);
    int64_t aa = pml_attr_int(node, "antialias", 0);
    if (aa < 0 || aa > 1 || (aa && mode == PML_RS_NEAREST))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "antialias %lld with mode %lld (supported: 0, or 1 with "
                              "1 linear or 2 cubic)", (long long)aa, (long long)mode);
    if (mode != PML_RS_NEAREST && x->dtype != PML_FLOAT32 && !x->quant) /* quantized: ops/resize_q8.c checks */
        return pml_node_error(ctx, PML_ERR_DTYPE, "%s resize of %s (supported: float32; nearest takes any dtype)",
                              mode == PML_RS_LINEAR ? "linear" : "cubic", pml_dtype_name(x->dtype));
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
            /* a float32 scale that is out/in rounded: the exact out/in, as the model's sizes gave it (the
             * single-output special cases of align_corners, pytorch_half_pixel and tf_crop_and_resize
             * compare scale * in with 1) */
            if (ns >= 0 && x->dims[a] && fabs(scale[a] * in - (double)sizes[a]) <= 1e-6 * (double)sizes[a])
                scale[a] = (double)sizes[a] / in;
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
