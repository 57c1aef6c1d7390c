/*
 * schema_check.c — checks a node's input dtypes against the generated op
 * schema (op_schema.c, from the Python registry's type constraints) before
 * the op's infer runs, so every op reports a wrong dtype the same way:
 *   node 'x' (Add): input 'b' has dtype int16; supported: float32, int32, int64
 * Inputs bound to one type variable must also have one dtype. Then quant_guard.c checks
 * that the op may run on the node's quantized tensors, if it has any.
 */
#include <stdio.h>

#include "internal.h"

static const char *dtype_list(uint32_t mask, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int d = 1; d < PML_DTYPE_COUNT && len < cap; d++)
        if (mask & PML_DT(d)) len += (size_t)snprintf(buf + len, cap - len, len ? ", %s" : "%s", pml_dtype_name((pml_dtype)d));
    return buf;
}

int pml_schema_output_allows(const pml_kernel_ctx *ctx, int k, int64_t code) {
    const pml_op_schema *s = pml_op_schema_get(ctx->node->op);
    const pml_port_schema *p = s ? pml_schema_port(s->out, s->n_out_ports, k) : NULL;
    return p && code > 0 && code < PML_DTYPE_COUNT && (p->dtypes & PML_DT(code));
}

const char *pml_schema_dtype_codes(uint32_t mask, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int d = 1; d < PML_DTYPE_COUNT && len < cap; d++)
        if (mask & PML_DT(d))
            len += (size_t)snprintf(buf + len, cap - len, len ? ", %d %s" : "%d %s", d, pml_dtype_name((pml_dtype)d));
    return buf;
}

/* Port index of input k (a variadic last port covers the rest), -1 if none. */
static int port_of(const pml_op_schema *s, int k) {
    if (k < s->n_in_ports) return k;
    return s->n_in_ports && s->in[s->n_in_ports - 1].variadic ? s->n_in_ports - 1 : -1;
}

/* The type variable of a port: the index of the first port bound to it. */
static int type_var(const pml_op_schema *s, int port) {
    return s->in[port].same_as >= 0 ? s->in[port].same_as : port;
}

static const char *role(const pml_op_schema *s, int k, char *buf, size_t cap) {
    const pml_port_schema *p = &s->in[port_of(s, k)];
    if (!p->variadic) return p->name;
    snprintf(buf, cap, "%s[%d]", p->name, k - (s->n_in_ports - 1));
    return buf;
}

pml_status pml_schema_check_inputs(const pml_kernel_ctx *ctx) {
    const pml_op_schema *s = pml_op_schema_get(ctx->node->op);
    if (!s) return PML_OK; /* the loader rejected unknown ops already */
    for (int k = 0; k < ctx->n_in; k++) {
        const pml_tensor *t = ctx->in[k];
        int port = port_of(s, k);
        if (!t || port < 0) continue;
        char a[64], b[64], list[160];
        if (!(s->in[port].dtypes & PML_DT(t->dtype)))
            return pml_node_error(ctx, PML_ERR_DTYPE, "input '%s' has dtype %s; supported: %s", role(s, k, a, sizeof a),
                                  pml_dtype_name(t->dtype), dtype_list(s->in[port].dtypes, list, sizeof list));
        if (s->in[port].same_as == -2) continue; /* each value its own dtype (control flow) */
        for (int j = 0; j < k; j++) { /* the first present input of the same type variable */
            if (!ctx->in[j] || type_var(s, port_of(s, j)) != type_var(s, port)) continue;
            if (ctx->in[j]->dtype != t->dtype)
                return pml_node_error(ctx, PML_ERR_DTYPE, "inputs '%s' and '%s' have different dtypes %s and %s",
                                      role(s, j, a, sizeof a), role(s, k, b, sizeof b),
                                      pml_dtype_name(ctx->in[j]->dtype), pml_dtype_name(t->dtype));
            break;
        }
    }
    return pml_quant_check_node(ctx);
}
