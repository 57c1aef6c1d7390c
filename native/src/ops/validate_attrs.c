/*
 * ops/validate_attrs.c — attribute and shape validation shared by the conv,
 * pool and matmul families' infer functions, and Cast/BitCast's dtype attribute
 * (see validate.h); the caps in pml_limits.h keep all index arithmetic far from
 * int64 overflow.
 */
#include <stdio.h>

#include "validate.h"

pml_status pml_attr_ints_checked(const pml_kernel_ctx *ctx, const char *name, int n, const int64_t *def, int64_t lo,
                                 int64_t hi, int64_t *out) {
    const pml_attr *a = pml_attr_find(ctx->node, name);
    if (!a) {
        for (int i = 0; i < n; i++) out[i] = def[i];
        return PML_OK;
    }
    if (a->type != PML_ATTR_INTS || a->n_ints != n || (n > 0 && !a->ints))
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' must be a list of %d ints (got %s%d values)",
                              name, n, a->type == PML_ATTR_INTS ? "" : "a non-list, ",
                              a->type == PML_ATTR_INTS ? a->n_ints : 0);
    for (int i = 0; i < n; i++) {
        if (a->ints[i] < lo || a->ints[i] > hi)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s'[%d] = %lld is out of range [%lld, %lld]",
                                  name, i, (long long)a->ints[i], (long long)lo, (long long)hi);
        out[i] = a->ints[i];
    }
    return PML_OK;
}

pml_status pml_attr_int_checked(const pml_kernel_ctx *ctx, const char *name, int64_t def, int64_t lo, int64_t hi,
                                int64_t *out) {
    const pml_attr *a = pml_attr_find(ctx->node, name);
    if (!a) {
        *out = def;
        return PML_OK;
    }
    if (a->type != PML_ATTR_INT)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' must be an int", name);
    if (a->i < lo || a->i > hi)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' = %lld is out of range [%lld, %lld]", name,
                              (long long)a->i, (long long)lo, (long long)hi);
    *out = a->i;
    return PML_OK;
}

pml_status pml_attr_flags_checked(const pml_kernel_ctx *ctx, const char *const *names) {
    for (; *names; names++) {
        const pml_attr *a = pml_attr_find(ctx->node, *names);
        if (!a) continue;
        if (a->type != PML_ATTR_INT)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' must be an int (0 or 1)", *names);
        if (a->i != 0 && a->i != 1)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute '%s' = %lld is outside its domain; allowed: 0, 1",
                                  *names, (long long)a->i);
    }
    return PML_OK;
}

pml_status pml_check_f32_input(const pml_kernel_ctx *ctx, int index, const char *role, int rank) {
    char buf[160];
    if (index >= ctx->n_in || !ctx->in[index])
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "input '%s' is missing", role);
    const pml_tensor *t = ctx->in[index];
    if (t->dtype != PML_FLOAT32)
        return pml_node_error(ctx, PML_ERR_DTYPE, "input '%s' has dtype %s; supported: float32", role,
                              pml_dtype_name(t->dtype));
    if (t->rank < 0 || t->rank > PML_MAX_RANK || (rank >= 0 && t->rank != rank))
        return pml_node_error(ctx, PML_ERR_SHAPE, "input '%s' must have rank %d, got %s", role, rank,
                              pml_shape_str(t->rank < 0 || t->rank > PML_MAX_RANK ? 0 : t->rank, t->dims, buf, sizeof buf));
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i] < 0 || t->dims[i] >= PML_MAX_DIM)
            return pml_node_error(ctx, PML_ERR_SHAPE, "input '%s' has an invalid dimension in %s", role,
                                  pml_shape_str(t->rank, t->dims, buf, sizeof buf));
    return PML_OK;
}

pml_status pml_set_f32_output(const pml_kernel_ctx *ctx, int rank, const int64_t *dims) {
    char buf[160];
    if (ctx->n_out < 1 || !ctx->out[0]) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "output is missing");
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] >= PML_MAX_DIM || (dims[i] > 0 && numel > PML_MAX_NUMEL / dims[i]))
            return pml_node_error(ctx, PML_ERR_SHAPE, "output shape %s is too large",
                                  pml_shape_str(rank, dims, buf, sizeof buf));
        numel *= dims[i];
    }
    pml_tensor_set_shape(ctx->out[0], PML_FLOAT32, rank, dims);
    return PML_OK;
}

pml_status pml_window_too_large(const pml_kernel_ctx *ctx, const pml_tensor *x, int64_t kh, int64_t kw, int64_t dh,
                                int64_t dw, const int64_t *pads) {
    char bx[160];
    return pml_node_error(ctx, PML_ERR_SHAPE,
                          "kernel %lldx%lld with dilations [%lld,%lld] is larger than the padded input (x %s, pads "
                          "[%lld,%lld,%lld,%lld])",
                          (long long)kh, (long long)kw, (long long)dh, (long long)dw,
                          pml_shape_str(x->rank, x->dims, bx, sizeof bx), (long long)pads[0], (long long)pads[1],
                          (long long)pads[2], (long long)pads[3]);
}

pml_status pml_attr_dtype_to(const pml_kernel_ctx *ctx, pml_dtype *out) {
    const pml_attr *to = pml_attr_find(ctx->node, "to");
    if (!to || to->type != PML_ATTR_INT)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required int attribute 'to' is missing");
    if (!pml_schema_output_allows(ctx, 0, to->i)) { /* the registry's output type variable */
        char list[160];
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "attribute to=%lld is not a supported dtype code (%s)",
                              (long long)to->i, pml_schema_dtype_codes(pml_op_schema_get(ctx->node->op)->out[0].dtypes,
                                                                       list, sizeof list));
    }
    *out = (pml_dtype)to->i;
    return PML_OK;
}
