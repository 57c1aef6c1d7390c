/*
 * ops/params.c — reading integer parameters from an attribute or from an
 * input known while planning (see params.h).
 */
#include "params.h"

#include <math.h>

#include "kernels/common.h" /* pml_f16_to_f32_scalar */
#include "validate.h"

static pml_status input_values(const pml_kernel_ctx *ctx, int input, const char *name, int allow_float, int64_t *vals,
                               int cap, int *n) {
    const pml_tensor *t;
    pml_status s = pml_ew_input(ctx, input, name, &t);
    if (s != PML_OK) return s;
    /* allow_float: any number (OneHot's depth; its dtypes come from the schema) */
    if (t->dtype != PML_INT32 && t->dtype != PML_INT64 && !(allow_float && t->dtype != PML_BOOL))
        return pml_node_error(ctx, PML_ERR_DTYPE, "input '%s' has dtype %s; supported: int32, int64%s", name,
                              pml_dtype_name(t->dtype), allow_float ? " and the other numbers" : "");
    if (t->rank > 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "input '%s' must be a scalar or 1-D, got rank %d", name, t->rank);
    int64_t count = pml_shape_numel(t->rank, t->dims);
    if (count > cap)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "input '%s' has %lld values; at most %d are supported", name,
                              (long long)count, cap);
    const void *data = pml_tensor_known_value(t);
    if (!data)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "input '%s' ('%s') must be known while planning (a constant or a shape computation), "
                              "but it is only computed at run time",
                              name, t->name);
    for (int64_t k = 0; k < count; k++) { /* plan-time reads: the value as a float or an integer */
        double f = 0;
        int is_float = 1;
        switch (t->dtype) {
        case PML_FLOAT32: f = ((const float *)data)[k]; break;
        case PML_FLOAT16: f = pml_f16_to_f32_scalar(((const uint16_t *)data)[k]); break;
        default: is_float = 0; break;
        }
        if (is_float) {
            if (!(fabs(f) < 9.2e18))
                return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "input '%s' value %g is not a finite integer", name, f);
            vals[k] = (int64_t)f;
            continue;
        }
        switch (t->dtype) {
        case PML_INT8: vals[k] = ((const int8_t *)data)[k]; break;
        case PML_UINT8: vals[k] = ((const uint8_t *)data)[k]; break;
        case PML_INT16: vals[k] = ((const int16_t *)data)[k]; break;
        case PML_UINT16: vals[k] = ((const uint16_t *)data)[k]; break;
        case PML_INT32: vals[k] = ((const int32_t *)data)[k]; break;
        case PML_UINT32: vals[k] = ((const uint32_t *)data)[k]; break;
        case PML_UINT64: {
            uint64_t u = ((const uint64_t *)data)[k];
            vals[k] = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
            break;
        }
        default: vals[k] = ((const int64_t *)data)[k]; break;
        }
    }
    *n = (int)count;
    return PML_OK;
}

pml_status pml_param_ints(const pml_kernel_ctx *ctx, int input, const char *name, int allow_float, int64_t *vals,
                          int cap, int *n) {
    *n = -1;
    if (input < ctx->n_in && ctx->in[input]) return input_values(ctx, input, name, allow_float, vals, cap, n);
    const pml_attr *a = pml_attr_find(ctx->node, name);
    if (!a) return PML_OK;
    if (a->type == PML_ATTR_INT) {
        if (cap < 1) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' must be a list", name);
        vals[0] = a->i;
        *n = 1;
        return PML_OK;
    }
    if (a->type != PML_ATTR_INTS)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' must hold integers", name);
    if (a->n_ints > cap)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "attribute '%s' has %d values; at most %d are supported", name,
                              a->n_ints, cap);
    for (int k = 0; k < a->n_ints; k++) vals[k] = a->ints[k];
    *n = a->n_ints;
    return PML_OK;
}

pml_status pml_param_int(const pml_kernel_ctx *ctx, int input, const char *name, int allow_float, int64_t def,
                         int64_t *value) {
    int64_t v[1] = {0};
    int n;
    pml_status s = pml_param_ints(ctx, input, name, allow_float, v, 1, &n);
    if (s != PML_OK) return s;
    if (n == 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "parameter '%s' is empty; it needs one value", name);
    *value = n < 0 ? def : v[0];
    return PML_OK;
}
