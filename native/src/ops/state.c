/*
 * ops/state.c — the state family: Variable and VariableAssign (values that persist
 * across runs of one session: streaming state, resource variables, later KV caches).
 *
 * A Variable's output is session-owned memory outside the arena (session.c allocates it
 * from the initial value at creation and on pml_session_reset_state; the planner leaves
 * it out of the arena and never computes it while planning), so Variable itself does
 * nothing at run time. VariableAssign copies its value into that memory; the verifier
 * guarantees it runs after every other reader of the variable. Dropout in training mode draws
 * its masks from a generator whose run count persists the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "kernels/common.h" /* pml_f16_to_f32_scalar */
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

/* ---- Dropout in training mode ---------------------------------------------------------------------
 * The generator is counter based (splitmix64's finaliser of the seed, the run count and the element
 * index; ops/state.py has the same in numpy): any thread count gives the same masks, and the run
 * count lives in ctx->packed (created by pack, shared by every plan), so each run of a session
 * draws a new mask and a re-plan does not start over. */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static pml_status dropout_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    pml_status s = pml_ew_input(ctx, 0, "x", &x);
    if (s != PML_OK) return s;
    for (int k = 1; k < ctx->n_in && k < 3; k++)
        if (ctx->in[k] && pml_shape_numel(ctx->in[k]->rank, ctx->in[k]->dims) != 1)
            return pml_node_error(ctx, PML_ERR_SHAPE, "%s must hold one value", k == 1 ? "ratio" : "training_mode");
    if ((s = pml_ew_set_output(ctx, 0, x->dtype, x->rank, x->dims)) != PML_OK) return s;
    return ctx->n_out > 1 ? pml_ew_set_output(ctx, 1, PML_BOOL, x->rank, x->dims) : PML_OK;
}

static pml_status dropout_pack(pml_kernel_ctx *ctx) {
    ctx->packed = calloc(1, sizeof(uint64_t)); /* training runs so far */
    if (!ctx->packed) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    ctx->packed_size = sizeof(uint64_t);
    return PML_OK;
}

static void dropout_unpack(pml_kernel_ctx *ctx) {
    free(ctx->packed);
    ctx->packed = NULL;
}

static float scalar_float(const pml_tensor *t) {
    if (t->dtype == PML_FLOAT16) return pml_f16_to_f32_scalar(*(const uint16_t *)t->data);
    return *(const float *)t->data;
}

static pml_status dropout_run(pml_kernel_ctx *ctx) {
    const pml_tensor *x = ctx->in[0];
    pml_tensor *y = ctx->out[0];
    uint8_t *mask = ctx->n_out > 1 ? (uint8_t *)ctx->out[1]->data : NULL;
    const int64_t n = pml_shape_numel(x->rank, x->dims);
    const float ratio = ctx->n_in > 1 && ctx->in[1] ? scalar_float(ctx->in[1]) : 0.5f;
    const int training = ctx->n_in > 2 && ctx->in[2] && *(const uint8_t *)ctx->in[2]->data;
    if (!training || ratio == 0.0f) { /* every element kept */
        if (y->data != x->data) memcpy(y->data, x->data, x->nbytes);
        if (mask) memset(mask, 1, (size_t)n);
        return PML_OK;
    }
    if (!(ratio >= 0.0f && ratio < 1.0f))
        return pml_node_error(ctx, PML_ERR_RUNTIME, "ratio %g is outside [0, 1)", (double)ratio);
    uint64_t *runs = (uint64_t *)ctx->packed;
    const uint64_t key = mix64((uint64_t)pml_attr_int(ctx->node, "seed", 0x5EED) ^ (*runs * 0x9E3779B97F4A7C15ull));
    (*runs)++;
    const float scale = 1.0f / (1.0f - ratio);
    for (int64_t i = 0; i < n; i++) {
        float u = (float)(mix64(key + (uint64_t)i * 0xD1B54A32D192ED03ull) >> 40) * (1.0f / 16777216.0f);
        int keep = u >= ratio;
        if (mask) mask[i] = (uint8_t)keep;
        if (x->dtype == PML_FLOAT16) {
            float v = keep ? pml_f16_to_f32_scalar(((const uint16_t *)x->data)[i]) * scale : 0.0f;
            ((uint16_t *)y->data)[i] = pml_f32_to_f16_scalar(v);
        } else {
            ((float *)y->data)[i] = keep ? ((const float *)x->data)[i] * scale : 0.0f;
        }
    }
    return PML_OK;
}

const pml_op_def pml_variable_def = {PML_OP_VARIABLE, variable_infer, NULL, variable_run, NULL};
const pml_op_def pml_variable_assign_def = {PML_OP_VARIABLEASSIGN, assign_infer, NULL, assign_run, NULL};

const pml_op_def pml_dropout_def = {PML_OP_DROPOUT, dropout_infer, NULL, dropout_run, NULL, dropout_pack,
                                     dropout_unpack};

const pml_op_def *const pml_state_ops[] = {&pml_variable_def, &pml_variable_assign_def, &pml_dropout_def, NULL};
