/*
 * quant_guard.c — refuses a node that would compute on quantized integers it does not
 * understand. A quantized tensor's elements stand for (x - zero_point) * scale; an op
 * reading them as plain integers gives a silent wrong answer, so before infer (from
 * pml_schema_check_inputs) a node whose tensors carry quantization parameters runs only
 * if its op's schema says it may (traits generated from the Python registry):
 *   quant_aware     : it reads the parameters itself;
 *   quant_explicit  : its parameters are inputs (QuantizeLinear, MatMulInteger, ...);
 *   shape_only      : it never reads elements;
 *   quant_transparent: data movement, when every data input and output (the ports of the
 *                     first output's type variable, or the first input's for an op without
 *                     outputs) carries the same parameters (per
 *                     channel only through Identity, or Transpose with the axis moved);
 *                     a Pad's fill value is a stored integer like the elements it pads.
 * The same rules as src/pocketml/quant_support.py, which refuses such nodes at conversion;
 * this guard covers hand-made files.
 */
#include <string.h>

#include "internal.h"

#define PML_QUANT_UNSUPPORTED "quantized %s tensors are not supported by this op yet"

/* The dtype the refusal names: the node's first quantized tensor that is not an int32 bias (an
 * int16x8 or uint8 model is refused as what it is, not as "int8"). */
static const char *quantized_dtype(const pml_kernel_ctx *ctx) {
    const char *found = NULL;
    for (int k = 0; k < ctx->n_in + ctx->n_out; k++) {
        const pml_tensor *t = k < ctx->n_in ? ctx->in[k] : ctx->out[k - ctx->n_in];
        if (!t || !t->quant) continue;
        if (t->dtype != PML_INT32) return pml_dtype_name(t->dtype);
        if (!found) found = pml_dtype_name(t->dtype);
    }
    return found ? found : "int8";
}

static int same_quant(const pml_quant *a, const pml_quant *b, int b_axis) {
    if (!a || !b) return a == b;
    return a->count == b->count && (a->count == 1 || b_axis == b->axis) &&
           memcmp(a->scale, b->scale, sizeof(float) * (size_t)a->count) == 0 &&
           memcmp(a->zero_point, b->zero_point, sizeof(int32_t) * (size_t)a->count) == 0;
}

/* Where input axis `axis` lands after the node's Transpose (-2: no valid perm). */
static int transposed_axis(const pml_node *n, int axis) {
    const int64_t *perm;
    int rank = pml_attr_ints(n, "perm", &perm);
    for (int i = 0; i < rank; i++)
        if (perm[i] == axis) return i;
    return -2;
}

static int is_data_port(const pml_port_schema *ports, int n_ports, int k, int type_var, int output) {
    const pml_port_schema *p = pml_schema_port(ports, n_ports, k);
    if (!p) return 0;
    int tv = p->same_as >= 0 ? p->same_as : (output ? -1 : (k < n_ports ? k : n_ports - 1));
    return tv == type_var;
}

static pml_status check_transparent(const pml_kernel_ctx *ctx, const pml_op_schema *s) {
    /* the input port of the outputs' type variable (an op without outputs, VariableAssign: the first input's) */
    int type_var = s->n_out_ports ? s->out[0].same_as : (s->n_in_ports ? 0 : -1);
    const char *dtype = quantized_dtype(ctx);
    if (type_var < 0) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, PML_QUANT_UNSUPPORTED, dtype);
    const pml_quant *first = NULL;
    int seen = 0;
    for (int k = 0; k < ctx->n_in; k++) {
        const pml_tensor *t = ctx->in[k];
        if (!t) continue;
        if (!is_data_port(s->in, s->n_in_ports, k, type_var, 0)) {
            if (t->quant)
                return pml_node_error(ctx, PML_ERR_UNSUPPORTED, PML_QUANT_UNSUPPORTED " (quantized parameter input %d '%s')",
                                      dtype, k, t->name);
            continue;
        }
        if (seen++ && !same_quant(first, t->quant, t->quant ? t->quant->axis : -1))
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                                  PML_QUANT_UNSUPPORTED " unless all its data inputs have the same quantization parameters",
                                  dtype);
        if (seen == 1) first = t->quant;
    }
    if (!first) return pml_node_error(ctx, PML_ERR_UNSUPPORTED, PML_QUANT_UNSUPPORTED " (its data input is not quantized)",
                                      dtype);
    int op = ctx->node->op, out_axis = first->axis;
    if (first->count > 1 && op != PML_OP_IDENTITY && op != PML_OP_TRANSPOSE)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, PML_QUANT_UNSUPPORTED " on per-channel quantized tensors (axis %d)",
                              dtype, first->axis);
    if (first->count > 1 && op == PML_OP_TRANSPOSE) out_axis = transposed_axis(ctx->node, first->axis);
    for (int k = 0; k < ctx->n_out; k++) {
        const pml_tensor *t = ctx->out[k];
        if (!t || !is_data_port(s->out, s->n_out_ports, k, type_var, 1)) continue;
        if (!same_quant(first, t->quant, out_axis))
            return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                                  PML_QUANT_UNSUPPORTED " when output '%s' has quantization parameters other than its input's",
                                  dtype, t->name);
    }
    return PML_OK;
}

pml_status pml_quant_check_node(const pml_kernel_ctx *ctx) {
    int quantized = 0;
    for (int k = 0; k < ctx->n_in && !quantized; k++) quantized = ctx->in[k] && ctx->in[k]->quant;
    for (int k = 0; k < ctx->n_out && !quantized; k++) quantized = ctx->out[k] && ctx->out[k]->quant;
    if (!quantized) return PML_OK;
    const pml_op_schema *s = pml_op_schema_get(ctx->node->op);
    if (!s) return PML_OK; /* the loader rejected unknown ops already */
    if (s->traits & (PML_TRAIT_QUANT_AWARE | PML_TRAIT_QUANT_EXPLICIT | PML_TRAIT_SHAPE_ONLY)) return PML_OK;
    if (s->traits & PML_TRAIT_QUANT_TRANSPARENT) return check_transparent(ctx, s);
    return pml_node_error(ctx, PML_ERR_UNSUPPORTED, PML_QUANT_UNSUPPORTED, quantized_dtype(ctx));
}
