/*
 * ops/state.c — the state family: Variable and VariableAssign (values that persist
 * across runs of one session: streaming state, resource variables, later KV caches).
 *
 * A Variable's output is session-owned memory outside the arena (session.c allocates it
 * from the initial value at creation and on pml_session_reset_state; the planner leaves
 * it out of the arena and never computes it while planning), so Variable itself does
 * nothing at run time. VariableAssign copies its value into that memory; the verifier
 * guarantees it runs after every other reader of the variable.
 */
#include <string.h>

#include "../internal.h"
#include "validate.h"

static pml_status variable_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *init;
    pml_status s = pml_ew_input(ctx, 0, "initial", &init);
    if (s != PML_OK) return s;
    return pml_ew_set_output(ctx, 0, init->dtype, init->rank, init->dims);
}

static pml_status variable_run(pml_kernel_ctx *ctx) {
    (void)ctx; /* the value lives in the session's state memory */
    return PML_OK;
}

static pml_status assign_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *v, *x;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "variable", &v)) != PML_OK || (s = pml_ew_input(ctx, 1, "value", &x)) != PML_OK)
        return s;
    char a[256], b[256];
    if (v->dtype != x->dtype || v->rank != x->rank || memcmp(v->dims, x->dims, sizeof(int64_t) * (size_t)v->rank))
        return pml_node_error(ctx, PML_ERR_SHAPE, "value %s %s does not match the variable's %s %s",
                              pml_dtype_name(x->dtype), pml_shape_str(x->rank, x->dims, a, sizeof a),
                              pml_dtype_name(v->dtype), pml_shape_str(v->rank, v->dims, b, sizeof b));
    return PML_OK;
}

static pml_status assign_run(pml_kernel_ctx *ctx) {
    pml_tensor *v = ctx->in[0];
    const pml_tensor *x = ctx->in[1];
    if (v->data != x->data && x->nbytes) memmove(v->data, x->data, x->nbytes);
    return PML_OK;
}

const pml_op_def pml_variable_def = {PML_OP_VARIABLE, variable_infer, NULL, variable_run, NULL};
const pml_op_def pml_variable_assign_def = {PML_OP_VARIABLEASSIGN, assign_infer, NULL, assign_run, NULL};

const pml_op_def *const pml_state_ops[] = {&pml_variable_def, &pml_variable_assign_def, NULL};
