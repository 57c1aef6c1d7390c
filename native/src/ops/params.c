/*
 * ops/params.c — reading integer parameters from an attribute or from an
 * input known while planning (see params.h).
 */
#include "params.h"

#include <math.h>

#include "validate.h"

static pml_status input_values(const pml_kernel_ctx *ctx, int input, const char *name, int allow_float, int64_t *vals,
                               int cap, int *n) {
    const pml_tensor *t;
    pml_status s = pml_ew_input(ctx, input, name, &t);
    if (s != PML_OK) return s;
    if (t->dtype != PML_INT32 && t->dtype != PML_INT64 && !(allow_float && t->dtype == PML_FLOAT32))
        return pml_node_error(ctx, PML_ERR_DTYPE, "input '%s' has dtype %s; supported: int32, int64%s", name,
                              pml_dtype_name(t->dtype), allow_float ? ", float32" : "");
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
    for (int64_t k = 0; k < count; k++) {
        if (t->dtype == PML_FLOAT32) {
            float f = ((const float *)data)[k];
            if (!(fabsf(f) < 9.2e18f))
                return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "input '%s' value %g is not a finite integer", name,
                                      (double)f);
            vals[k] = (int64_t)f;
        } else {
            vals[k] = t->dtype == PML_INT32 ? ((const int32_t *)data)[k] : ((const int64_t *)data)[k];
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
