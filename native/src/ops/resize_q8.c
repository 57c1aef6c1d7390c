/*
 * ops/resize_q8.c — Resize on quantized tensors (x and y with the same per-tensor parameters).
 * Nearest copies stored values, so ops/resize.c runs it as for any dtype once this file has
 * checked the parameters; linear is TFLite's integer bilinear (kernels/quant/qpool.h:
 * reference_ops::ResizeBilinearInteger, 10-bit source coordinates) over H and W of an NHWC
 * tensor, with align_corners, half_pixel (TFLite half_pixel_centers) or asymmetric
 * coordinates. Everything else (cubic, antialias, crops, ONNX's float linear with requant 1,
 * other axes) is refused naming the mode, never run on the raw integers.
 */
#include <math.h>

#include "kernels/config.h"
#include "kernels/quant/qpool.h"
#include "resize.h"
#include "validate.h"

enum { COORD_HALF_PIXEL = 0, COORD_ASYMMETRIC = 1, COORD_ALIGN_CORNERS = 2 };

typedef struct q8_resize_state {
    int quantized; /* always 1: ops/resize.c's run tells this state from its own */
    pml_qresize_bilinear_fn bilinear;
    int align_corners, half_pixel;
    int64_t n, ih, iw, c, oh, ow;
} q8_resize_state;

static pml_status refuse(const pml_kernel_ctx *ctx, const char *why, long long mode, long long coord) {
    return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s Resize (mode %lld, coordinate_transformation_mode "
                          "%lld): %s", pml_dtype_name(ctx->in[0]->dtype), mode, coord, why);
}

pml_status pml_q8_resize_prepare(pml_kernel_ctx *ctx, int *handled) {
    const pml_tensor *x = ctx->in[0], *y = ctx->out[0];
    const int64_t mode = pml_attr_int(ctx->node, "mode", 0);
    const int64_t coord = pml_attr_int(ctx->node, "coordinate_transformation_mode", 0);
    *handled = 0;
    if (!y->quant || y->dtype != x->dtype || x->quant->count != 1 || y->quant->count != 1 ||
        x->quant->scale[0] != y->quant->scale[0] || x->quant->zero_point[0] != y->quant->zero_point[0])
        return refuse(ctx, "input and output need the same per-tensor quantization parameters (Resize does not "
                      "rescale)", mode, coord);
    if (coord == PML_RS_TF_CROP) /* its extrapolation value is a real, not a stored integer */
        return refuse(ctx, "tf_crop_and_resize is not implemented", mode, coord);
    if (mode == PML_RS_NEAREST) return PML_OK; /* stored values copied: resize.c's nearest */
    const int64_t requant = pml_attr_int(ctx->node, "requant", 0);
    if (mode != PML_RS_LINEAR) return refuse(ctx, "only nearest and linear are implemented", mode, coord);
    if (requant != 0)
        return refuse(ctx, "linear runs TFLite's integer bilinear (requant 0) only", mode, coord);
    if (coord != COORD_HALF_PIXEL && coord != COORD_ASYMMETRIC && coord != COORD_ALIGN_CORNERS)
        return refuse(ctx, "linear needs half_pixel, asymmetric or align_corners coordinates", mode, coord);
    if (pml_attr_int(ctx->node, "antialias", 0) != 0) return refuse(ctx, "antialias is not implemented", mode, coord);
    if (x->dtype != PML_INT8 && x->dtype != PML_UINT8 && x->dtype != PML_INT16)
        return refuse(ctx, "int8, uint8 or int16 expected", mode, coord);
    int64_t out[PML_MAX_RANK];
    double scale[PML_MAX_RANK];
    pml_status s = pml_resize_geometry(ctx, x, out, scale);
    if (s != PML_OK) return s;
    if (x->rank != 4 || out[0] != x->dims[0] || out[3] != x->dims[3])
        return refuse(ctx, "linear resizes H and W of a 4-D NHWC tensor only", mode, coord);
    q8_resize_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->quantized = 1;
    st->bilinear = x->dtype == PML_UINT8 ? ctx->config->qu8->resize_bilinear
                   : x->dtype == PML_INT16 ? ctx->config->qs8->resize_bilinear_s16 : ctx->config->qs8->resize_bilinear;
    st->align_corners = coord == COORD_ALIGN_CORNERS;
    st->half_pixel = coord == COORD_HALF_PIXEL;
    st->n = x->dims[0], st->ih = x->dims[1], st->iw = x->dims[2], st->c = x->dims[3];
    st->oh = out[1], st->ow = out[2];
    *handled = 1;
    return PML_OK;
}

/* One call on the whole tensor: tiny next to the GEMMs, and the kernel has no row interface. */
pml_status pml_q8_resize_run(pml_kernel_ctx *ctx) {
    const q8_resize_state *st = (const q8_resize_state *)ctx->state;
    if (ctx->out[0]->nbytes == 0) return PML_OK;
    st->bilinear(st->n, st->ih, st->iw, st->c, st->oh, st->ow, st->align_corners, st->half_pixel, ctx->in[0]->data,
                 ctx->out[0]->data);
    return PML_OK;
}
