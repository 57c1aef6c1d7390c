/*
 * ops/tensor_shape.c — the tensor family's shape ops and fills: Shape, Size,
 * ConstantOfShape and EyeLike (which read only their input's shape, so the
 * session computes them while planning when they are small), and the
 * one-element fill value that Pad and ConstantOfShape write (pml_tensor_value_bytes).
 */
#include <string.h>

#include "../internal.h"
#include "kernels/elementwise/ew_kernels.h" /* pml_f32_to_f16_scalar */
#include "validate.h"
#include "params.h"
#include "tensor.h"

/* One element of dtype holding the node's fill value (Pad and ConstantOfShape):
 * the attribute value_int when the node has it and dtype is an integer or bool
 * (exact: float32 holds integers exactly only up to 2^24), else the float v:
 * floats round, integers truncate toward zero and wrap to their width (NaN is
 * 0, beyond int64 saturates), bool is v != 0. Elements are stored by size, so
 * the low bytes of the wrapped value are the element (little-endian). */
void pml_tensor_value_bytes(const pml_node *node, pml_dtype dtype, float v, unsigned char *out) {
    int64_t i = v != v ? 0 : (v >= 9.2e18f ? INT64_MAX : (v <= -9.2e18f ? INT64_MIN : (int64_t)v));
    uint64_t u = v >= 1.8e19f ? UINT64_MAX : (v >= 9.2e18f ? (uint64_t)v : (uint64_t)i);
    const int64_t *exact;
    if (pml_attr_ints(node, "value_int", &exact) == 1) {
        i = exact[0];
        u = (uint64_t)exact[0];
        v = (float)exact[0]; /* bool: v != 0 below */
    }
    switch (dtype) {
    case PML_FLOAT32: memcpy(out, &v, 4); break;
    case PML_FLOAT16: {
        uint16_t h = pml_f32_to_f16_scalar(v);
        memcpy(out, &h, 2);
        break;
    }
    case PML_BOOL: out[0] = v != 0.0f; break;
    case PML_INT8: case PML_UINT8: out[0] = (unsigned char)i; break;
    case PML_INT16: case PML_UINT16: {
        uint16_t t = (uint16_t)(uint64_t)i;
        memcpy(out, &t, 2);
        break;
    }
    case PML_INT32: case PML_UINT32: {
        uint32_t t = (uint32_t)(uint64_t)i;
        memcpy(out, &t, 4);
        break;
    }
    case PML_UINT64: memcpy(out, &u, 8); break;
    default: memcpy(out, &i, 8); break;
    }
}

/* ---- Shape, Size, ConstantOfShape ----------------------------------------------------------------------- */

/* Shape's [start, end) after ONNX clamping (negative values count from the end). */
static void shape_range(const pml_kernel_ctx *ctx, int rank, int64_t *start, int64_t *end) {
    int64_t b = pml_attr_int(ctx->node, "start", 0), e = pml_attr_int(ctx->node, "end", INT64_MAX);
    if (b < 0) b = b < -(int64_t)rank ? 0 : b + rank;
    if (e < 0) e = e < -(int64_t)rank ? 0 : e + rank;
    *start = clamp64(b, 0, rank);
    *end = clamp64(e, *start, rank);
}

static pml_status shape_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    int64_t b, e;
    shape_range(ctx, x->rank, &b, &e);
    int64_t n = e - b;
    return pml_ew_set_output(ctx, 0, PML_INT64, 1, &n);
}

static pml_status shape_run(pml_kernel_ctx *ctx) {
    int64_t b, e;
    shape_range(ctx, ctx->in[0]->rank, &b, &e);
    for (int64_t a = b; a < e; a++) ((int64_t *)ctx->out[0]->data)[a - b] = ctx->in[0]->dims[a];
    return PML_OK;
}

static pml_status size_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    return s != PML_OK ? s : pml_ew_set_output(ctx, 0, PML_INT64, 0, NULL);
}

static pml_status size_run(pml_kernel_ctx *ctx) {
    *(int64_t *)ctx->out[0]->data = pml_shape_numel(ctx->in[0]->rank, ctx->in[0]->dims);
    return PML_OK;
}

/* The dtype attribute as an output dtype the op's schema allows. */
static pml_status output_dtype_attr(pml_kernel_ctx *ctx, int op, int64_t def, pml_dtype *out) {
    int64_t code = pml_attr_int(ctx->node, "dtype", def);
    if (!pml_schema_output_allows(ctx, 0, code)) { /* the registry's output type variable */
        char list[160];
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "dtype code %lld (supported: %s)", (long long)code,
                              pml_schema_dtype_codes(pml_op_schema_get(op)->out[0].dtypes, list, sizeof list));
    }
    *out = (pml_dtype)code;
    return PML_OK;
}

static pml_status constant_of_shape_infer(pml_kernel_ctx *ctx) {
    int64_t dims[PML_MAX_RANK];
    int n;
    pml_status s = pml_param_ints(ctx, 0, "shape", 0, dims, PML_MAX_RANK, &n);
    if (s != PML_OK) return s;
    if (ctx->in[0]->rank != 1 || ctx->in[0]->dtype != PML_INT64)
        return pml_node_error(ctx, PML_ERR_SHAPE, "input 'shape' must be a 1-D int64 tensor");
    pml_dtype dt = PML_FLOAT32;
    if ((s = output_dtype_attr(ctx, PML_OP_CONSTANTOFSHAPE, PML_FLOAT32, &dt)) != PML_OK) return s;
    const float *value;
    if (pml_attr_floats(ctx->node, "value", &value) > 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "'value' must hold one number");
    return pml_ew_set_output(ctx, 0, dt, n, dims); /* checks dims >= 0 and the size bound */
}


static pml_status constant_of_shape_run(pml_kernel_ctx *ctx) {
    const float *value;
    float v = pml_attr_floats(ctx->node, "value", &value) == 1 ? value[0] : 0.0f;
    const pml_tensor *y = ctx->out[0];
    size_t es = pml_dtype_size(y->dtype);
    unsigned char bytes[8];
    pml_tensor_value_bytes(ctx->node, y->dtype, v, bytes);
    char *p = (char *)y->data;
    for (size_t off = 0; off < y->nbytes; off += es) memcpy(p + off, bytes, es);
    return PML_OK;
}

static pml_status eye_like_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_dtype dt = PML_FLOAT32;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK) return s;
    if (x->rank != 2) return pml_node_error(ctx, PML_ERR_SHAPE, "x must have rank 2, got %d", x->rank);
    if (!pml_attr_find(ctx->node, "dtype"))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute 'dtype' is required");
    if ((s = output_dtype_attr(ctx, PML_OP_EYELIKE, PML_FLOAT32, &dt)) != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, dt, 2, x->dims);
}

/* y[i, i + k] = 1, 0 elsewhere. */
static pml_status eye_like_run(pml_kernel_ctx *ctx) {
    const pml_tensor *y = ctx->out[0];
    const int64_t rows = y->dims[0], cols = y->dims[1];
    int64_t k = pml_attr_int(ctx->node, "k", 0);
    k = clamp64(k, -rows, cols); /* beyond: no diagonal, and no overflow in i + k */
    const size_t es = pml_dtype_size(y->dtype);
    unsigned char one[8];
    pml_tensor_value_bytes(ctx->node, y->dtype, 1.0f, one);
    memset(y->data, 0, y->nbytes);
    for (int64_t i = k < 0 ? -k : 0; i < rows && i + k < cols; i++)
        memcpy((char *)y->data + (size_t)(i * cols + i + k) * es, one, es);
    return PML_OK;
}

const pml_op_def pml_shape_def = {PML_OP_SHAPE, shape_infer, NULL, shape_run, NULL};
const pml_op_def pml_size_def = {PML_OP_SIZE, size_infer, NULL, size_run, NULL};
const pml_op_def pml_constant_of_shape_def = {PML_OP_CONSTANTOFSHAPE, constant_of_shape_infer, NULL,
                                              constant_of_shape_run, NULL};
const pml_op_def pml_eye_like_def = {PML_OP_EYELIKE, eye_like_infer, NULL, eye_like_run, NULL};
