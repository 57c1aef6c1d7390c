/*
 * ops/params.h — integer parameters that an op takes either as an ints
 * attribute (the converter folded a constant into it) or as an input whose
 * value the session knows while planning (a constant, or a small shape
 * tensor it computed then; see pml_tensor_known_value). Reshape's shape,
 * Slice's bounds, Split's sizes, Expand's shape, Tile's repeats, TopK's k,
 * OneHot's depth, ConstantOfShape's shape and Range's bounds come through here.
 * The input, when present, wins over the attribute.
 */
#ifndef PML_OPS_PARAMS_H
#define PML_OPS_PARAMS_H

#include "../internal.h"

/* Values of the parameter into vals[0..cap). *n = -1 when neither the input
 * nor the attribute is present. Errors (naming the node and parameter): the
 * input's value is unknown while planning, it is not int32/int64 (float32
 * too when allow_float: truncated), has rank > 1, or holds more than cap values. */
pml_status pml_param_ints(const pml_kernel_ctx *ctx, int input, const char *name, int allow_float, int64_t *vals,
                          int cap, int *n);

/* One value (a scalar or 1-element input, or an int attribute); def when absent. */
pml_status pml_param_int(const pml_kernel_ctx *ctx, int input, const char *name, int allow_float, int64_t def,
                         int64_t *value);

/* Element k of an int32/int64 tensor as int64 (run-time index reads). */
static inline int64_t pml_index_at(const pml_tensor *t, int64_t k) {
    return t->dtype == PML_INT32 ? (int64_t)((const int32_t *)t->data)[k] : ((const int64_t *)t->data)[k];
}

#endif /* PML_OPS_PARAMS_H */
