/*
 * ops/elementwise_q8.c — Add, Sub and Mul on quantized tensors (int8, uint8, int16 with
 * per-tensor scale and zero point on both inputs and the output).
 *
 * The node's `requant` attribute picks the semantics (kernels/requant.h): 0 = TFLite's fixed
 * point (bit-exact with LiteRT's builtin kernels), 1 = onnxruntime's float (QLinearAdd/Mul;
 * 8-bit only). A fused Relu/Clip narrows the output clamp as TFLite does. prepare builds the
 * kernel parameters once; run walks the broadcast plan (ops/validate.h) as the float path
 * and calls the qelementwise kernels of ctx->config->qs8 on each contiguous run. uint8 goes
 * through the int8 kernels with the sign bit flipped (x ^ 0x80, zero points and clamp minus
 * 128): both semantics only see x - zp, so that is exact.
 */
#include <math.h>

#include "elementwise_q8.h"
#include "kernels/config.h"
#include "kernels/quant/qelementwise.h"
#include "validate.h"

#define Q8_CHUNK 512 /* uint8 runs are flipped through stack buffers of this many elements */

typedef struct q8_binary_state {
    int quantized; /* always 1: tells run this state from binary_state */
    const pml_qbinary_kernels *k;
    pml_qbinary_params p;
    int u8;        /* uint8 tensors: flip the sign bit around the int8 kernels */
    size_t esize;  /* bytes per element (1 or 2) */
    pml_bcast_plan plan;
} q8_binary_state;

int pml_q8_binary_wanted(const pml_kernel_ctx *ctx) {
    return ctx->n_in >= 2 && ((ctx->in[0] && ctx->in[0]->quant) || (ctx->in[1] && ctx->in[1]->quant));
}

static int is_q8_dtype(pml_dtype t) {
    return t == PML_INT8 || t == PML_UINT8 || t == PML_INT16;
}

static void dtype_range(pml_dtype t, int32_t *lo, int32_t *hi) {
    *lo = t == PML_UINT8 ? 0 : t == PML_INT16 ? -32768 : -128;
    *hi = t == PML_UINT8 ? 255 : t == PML_INT16 ? 32767 : 127;
}

/* zp + round(v / scale) (TfLiteRound: half away from zero, in float), kept inside [lo, hi]. */
static int32_t quantize_bound(float v, float scale, int32_t zp, int32_t lo, int32_t hi) {
    double q = (double)zp + (double)roundf(v / scale);
    if (!(q >= lo)) return lo; /* also NaN */
    return q > hi ? hi : (int32_t)q;
}

void pml_q8_real_range(const pml_tensor *y, float lo_real, float hi_real, int32_t *qmin, int32_t *qmax) {
    int32_t lo, hi;
    dtype_range(y->dtype, &lo, &hi);
    *qmin = quantize_bound(lo_real, y->quant->scale[0], y->quant->zero_point[0], lo, hi);
    *qmax = quantize_bound(hi_real, y->quant->scale[0], y->quant->zero_point[0], lo, hi);
}

pml_status pml_q8_act_range(const pml_kernel_ctx *ctx, const pml_tensor *y, int32_t *qmin, int32_t *qmax) {
    pml_activation act;
    pml_status s = pml_activation_from_node(ctx, &act);
    if (s != PML_OK) return s;
    int32_t lo, hi;
    dtype_range(y->dtype, &lo, &hi);
    const float scale = y->quant->scale[0];
    const int32_t zp = y->quant->zero_point[0];
    *qmin = lo;
    *qmax = hi;
    switch (act.kind) {
    case PML_ACT_NONE: return PML_OK;
    case PML_ACT_RELU: *qmin = quantize_bound(0.0f, scale, zp, lo, hi); return PML_OK;
    case PML_ACT_CLIP:
        *qmin = quantize_bound(act.alpha, scale, zp, lo, hi);
        *qmax = quantize_bound(act.beta, scale, zp, lo, hi);
        if (*qmin > *qmax)
            return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "fused clip [%g, %g] is empty", (double)act.alpha,
                                  (double)act.beta);
        return PML_OK;
    default:
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "fused activation %d on quantized tensors (only Relu and Clip are)", act.kind);
    }
}

/* A per-tensor quantized operand of the node's 8/16-bit dtype. */
static pml_status check_operand(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role, pml_dtype dtype) {
    if (!t->quant)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "%s '%s' is not quantized but the other operand is",
                              role, t->name);
    if (t->dtype != dtype)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s '%s' is %s, the first input %s", role,
                              t->name, pml_dtype_name(t->dtype), pml_dtype_name(dtype));
    if (t->quant->count != 1)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "%s '%s' is quantized per channel (axis %d): only "
                              "per-tensor parameters are supported here", role, t->name, t->quant->axis);
    if (dtype == PML_INT16 && t->quant->zero_point[0] != 0)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "int16 %s '%s' has zero point %d (TFLite int16x8 needs 0)",
                              role, t->name, (int)t->quant->zero_point[0]);
    return PML_OK;
}

pml_status pml_q8_binary_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *a, *b;
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "a", &a)) != PML_OK || (s = pml_ew_input(ctx, 1, "b", &b)) != PML_OK) return s;
    const pml_dtype dt = (a->quant ? a : b)->dtype;
    if (!is_q8_dtype(dt))
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized %s operands (int8, uint8 or int16 expected)",
                              pml_dtype_name(dt));
    if ((s = check_operand(ctx, a, "input", dt)) != PML_OK || (s = check_operand(ctx, b, "input", dt)) != PML_OK)
        return s;
    int64_t requant = pml_attr_int(ctx->node, "requant", 0);
    if (requant != 0 && requant != 1)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "attribute requant=%lld must be 0 or 1",
                              (long long)requant);
    if (requant == 1 && dt == PML_INT16)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "int16 operands with requant=1 (ONNX semantics are 8-bit)");
    return pml_ew_set_broadcast_output(ctx, a, b, dt);
}

static int qbin_index(int op) {
    return op == PML_OP_ADD ? PML_QBIN_ADD : op == PML_OP_SUB ? PML_QBIN_SUB : PML_QBIN_MUL;
}

pml_status pml_q8_binary_prepare(pml_kernel_ctx *ctx) {
    const pml_tensor *a = ctx->in[0], *b = ctx->in[1], *y = ctx->out[0];
    pml_status s = check_operand(ctx, y, "output", a->dtype);
    if (s != PML_OK) return s;
    if (ctx->node->op != PML_OP_ADD && ctx->node->op != PML_OP_SUB && ctx->node->op != PML_OP_MUL)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED, "quantized tensors (only Add, Sub and Mul are)");
    q8_binary_state *st = pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    st->quantized = 1;
    const int op = qbin_index(ctx->node->op);
    const int bits16 = a->dtype == PML_INT16;
    st->u8 = a->dtype == PML_UINT8;
    st->esize = bits16 ? 2 : 1;
    st->k = &(bits16 ? ctx->config->qs8->binary_s16 : ctx->config->qs8->binary)[op];
    int32_t qmin, qmax;
    if ((s = pml_q8_act_range(ctx, y, &qmin, &qmax)) != PML_OK) return s;
    const int32_t off = st->u8 ? 128 : 0; /* uint8 seen as int8 with the sign bit flipped */
    if (pml_qbinary_params_init(&st->p, op, (int)pml_attr_int(ctx->node, "requant", 0), bits16, a->quant->scale[0],
                                a->quant->zero_point[0] - off, b->quant->scale[0], b->quant->zero_point[0] - off,
                                y->quant->scale[0], y->quant->zero_point[0] - off, qmin - off, qmax - off) != 0)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "quantization scales must be finite and > 0");
    pml_bcast_plan_init(&st->plan, 2, (const pml_tensor *const *)ctx->in, y);
    return PML_OK;
}

typedef struct q8_binary_job {
    const q8_binary_state *st;
    const char *a, *b;
    char *y;
} q8_binary_job;

static int32_t scalar_at(const q8_binary_state *st, const char *p) {
    if (st->esize == 2) return *(const int16_t *)p;
    return st->u8 ? (int32_t)(int8_t)(*(const uint8_t *)p ^ 0x80) : (int32_t) * (const int8_t *)p;
}

static void flip(size_t n, const char *x, int8_t *y) {
    for (size_t i = 0; i < n; i++) y[i] = (int8_t)((uint8_t)x[i] ^ 0x80);
}

/* One run on stored values the kernels take directly (int8, int16). */
static void run_direct(const q8_binary_state *st, size_t n, const char *a, int sa, const char *b, int sb, char *y) {
    if (sa && sb) st->k->vv(n, a, b, y, &st->p);
    else if (sa) st->k->vs(n, a, scalar_at(st, b), y, &st->p);
    else st->k->sv(n, scalar_at(st, a), b, y, &st->p);
}

/* One uint8 run: flipped into int8 chunks, computed, flipped back. */
static void run_u8(const q8_binary_state *st, size_t n, const char *a, int sa, const char *b, int sb, char *y) {
    int8_t ta[Q8_CHUNK], tb[Q8_CHUNK], ty[Q8_CHUNK];
    for (size_t i = 0; i < n; i += Q8_CHUNK) {
        size_t m = n - i < Q8_CHUNK ? n - i : Q8_CHUNK;
        if (sa) flip(m, a + i, ta);
        if (sb) flip(m, b + i, tb);
        run_direct(st, m, sa ? (const char *)ta : a, sa, sb ? (const char *)tb : b, sb, (char *)ty);
        flip(m, (const char *)ty, (int8_t *)(y + i));
    }
}

static void q8_row(void *arg, const int64_t *off, int64_t yo, int64_t n) {
    const q8_binary_job *j = (const q8_binary_job *)arg;
    const q8_binary_state *st = j->st;
    const int r = st->plan.rank - 1;
    const int sa = st->plan.strides[0][r] != 0, sb = st->plan.strides[1][r] != 0;
    const char *a = j->a + (size_t)off[0] * st->esize, *b = j->b + (size_t)off[1] * st->esize;
    char *y = j->y + (size_t)yo * st->esize;
    if (st->u8) run_u8(st, (size_t)n, a, sa, b, sb, y);
    else run_direct(st, (size_t)n, a, sa, b, sb, y);
}

static void q8_range(void *arg, int64_t s, int64_t e) {
    const q8_binary_job *j = (const q8_binary_job *)arg;
    pml_bcast_walk(&j->st->plan, s, e, q8_row, arg);
}

pml_status pml_q8_binary_run(pml_kernel_ctx *ctx) {
    const q8_binary_state *st = (const q8_binary_state *)ctx->state;
    q8_binary_job j = {st, (const char *)ctx->in[0]->data, (const char *)ctx->in[1]->data, (char *)ctx->out[0]->data};
    int64_t n = pml_shape_numel(ctx->out[0]->rank, ctx->out[0]->dims);
    pml_ew_parallel(ctx, n, PML_EW_PARALLEL_MIN, q8_range, &j);
    return PML_OK;
}
