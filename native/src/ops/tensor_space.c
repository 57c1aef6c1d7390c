/*
 * ops/tensor_space.c — DepthToSpace and SpaceToDepth on NHWC [N, H, W, C], any dtype.
 *
 * Both are one pass of the tensor family's strided row copier (ops/tensor.h): the output
 * is viewed as six axes [N, H, b1, W, b2, C'] (DepthToSpace) or [N, H', W', b1, b2, C]
 * (SpaceToDepth), each with its stride into the input, and neighbouring axes that stay
 * contiguous are merged. In NHWC the DCR order keeps whole runs of b2 * C' (DepthToSpace)
 * or b2 * C (SpaceToDepth) elements contiguous on both sides, so DCR is a memcpy per
 * run; CRD gathers with stride blocksize^2 (C' == 1 merges to runs of blocksize again).
 * This beats the Reshape -> Transpose -> Reshape decomposition, which moves the data
 * at least twice and needs static spatial dims for its reshapes.
 */
#include "../internal.h"
#include "validate.h"
#include "tensor.h"

enum { MODE_DCR = 0, MODE_CRD = 1 };

static pml_status space_attrs(pml_kernel_ctx *ctx, int64_t *bs, int *mode) {
    const pml_attr *a = pml_attr_find(ctx->node, "blocksize");
    if (!a || a->type != PML_ATTR_INT || a->i < 1 || a->i > 65536)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute 'blocksize' must be an int in 1..65536");
    int64_t m = pml_attr_int(ctx->node, "mode", MODE_DCR);
    if (m != MODE_DCR && m != MODE_CRD)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "mode %lld is not supported; supported: 0 (DCR), 1 (CRD)",
                              (long long)m);
    *bs = a->i;
    *mode = (int)m;
    return PML_OK;
}

static pml_status space_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    int64_t bs;
    int mode;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = space_attrs(ctx, &bs, &mode)) != PML_OK) return s;
    char buf[160];
    if (x->rank != 4)
        return pml_node_error(ctx, PML_ERR_SHAPE, "x has shape %s; supported: rank 4 (NHWC)",
                              pml_shape_str(x->rank, x->dims, buf, sizeof buf));
    const int64_t *d = x->dims;
    int64_t y[4] = {d[0], d[1], d[2], d[3]};
    if (ctx->node->op == PML_OP_DEPTHTOSPACE) {
        if (d[3] % (bs * bs))
            return pml_node_error(ctx, PML_ERR_SHAPE,
                                  "x has shape %s: channels are not a multiple of blocksize^2 = %lld",
                                  pml_shape_str(x->rank, d, buf, sizeof buf), (long long)(bs * bs));
        if (d[1] > PML_EW_MAX_NUMEL / bs || d[2] > PML_EW_MAX_NUMEL / bs)
            return pml_node_error(ctx, PML_ERR_SHAPE, "output of x %s with blocksize %lld is too large",
                                  pml_shape_str(x->rank, d, buf, sizeof buf), (long long)bs);
        y[1] = d[1] * bs, y[2] = d[2] * bs, y[3] = d[3] / (bs * bs);
    } else {
        if (d[1] % bs || d[2] % bs)
            return pml_node_error(ctx, PML_ERR_SHAPE, "x has shape %s: H and W are not multiples of blocksize %lld",
                                  pml_shape_str(x->rank, d, buf, sizeof buf), (long long)bs);
        if (d[3] > PML_EW_MAX_NUMEL / (bs * bs))
            return pml_node_error(ctx, PML_ERR_SHAPE, "output of x %s with blocksize %lld is too large",
                                  pml_shape_str(x->rank, d, buf, sizeof buf), (long long)bs);
        y[1] = d[1] / bs, y[2] = d[2] / bs, y[3] = d[3] * bs * bs;
    }
    return pml_ew_set_output(ctx, 0, x->dtype, 4, y);
}

/* Output axes and their source strides (elements), before merging. */
static pml_status space_prepare(pml_kernel_ctx *ctx) {
    strided_copy *p = pml_ew_alloc_state(ctx, sizeof *p);
    if (!p) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    int64_t bs;
    int mode;
    pml_status s = space_attrs(ctx, &bs, &mode);
    if (s != PML_OK) return s;
    const pml_tensor *x = ctx->in[0];
    const int64_t h = x->dims[1], w = x->dims[2], c = x->dims[3];
    const int64_t sw = c, sh = w * c, sn = h * w * c; /* NHWC input strides */
    p->esize = pml_dtype_size(x->dtype);
    p->rank = 6;
    if (ctx->node->op == PML_OP_DEPTHTOSPACE) {
        const int64_t cd = c / (bs * bs); /* [N, H, b1, W, b2, C'] */
        const int64_t dims[6] = {x->dims[0], h, bs, w, bs, cd};
        const int64_t dcr[6] = {sn, sh, bs * cd, sw, cd, 1}, crd[6] = {sn, sh, bs, sw, 1, bs * bs};
        for (int i = 0; i < 6; i++) p->dims[i] = dims[i], p->stride[i] = mode == MODE_DCR ? dcr[i] : crd[i];
    } else if (mode == MODE_DCR) { /* [N, H', W', b1, b2, C] */
        const int64_t dims[6] = {x->dims[0], h / bs, w / bs, bs, bs, c}, st[6] = {sn, bs * sh, bs * sw, sh, sw, 1};
        for (int i = 0; i < 6; i++) p->dims[i] = dims[i], p->stride[i] = st[i];
    } else { /* CRD: [N, H', W', C, b1, b2] */
        const int64_t dims[6] = {x->dims[0], h / bs, w / bs, c, bs, bs}, st[6] = {sn, bs * sh, bs * sw, 1, sh, sw};
        for (int i = 0; i < 6; i++) p->dims[i] = dims[i], p->stride[i] = st[i];
    }
    pml_strided_copy_merge(p);
    return PML_OK;
}

const pml_op_def pml_depth_to_space_def = {PML_OP_DEPTHTOSPACE, space_infer, space_prepare,
                                           pml_strided_copy_op_run, pml_ew_release};
const pml_op_def pml_space_to_depth_def = {PML_OP_SPACETODEPTH, space_infer, space_prepare,
                                           pml_strided_copy_op_run, pml_ew_release};
